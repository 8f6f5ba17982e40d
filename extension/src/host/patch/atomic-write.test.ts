// The host's writer through the real sidecar on a real directory: everything lands, or every file is
// as it was, under the write policy.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { FileChange } from './engine';
import { SidecarClient } from '../sidecar/client';
import { ApplyChangesError, checkWrites, summarizeChanges, touchedPaths, writeChanges, writePolicyFor } from './atomic-write';

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p).split(path.sep).join('/');
      if (e.isDirectory()) {
        out[`${rel}/`] = '';
        walk(p);
      } else out[rel] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

function workspace(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-atomic-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

const add = (p: string, text: string): FileChange => ({ kind: 'add', path: p, original: null, newContents: text });
const modify = (p: string, from: string, to: string, movePath?: string): FileChange => ({
  kind: 'modify',
  path: p,
  original: from,
  newContents: to,
  ...(movePath ? { movePath } : {}),
});
const del = (p: string, from: string): FileChange => ({ kind: 'delete', path: p, original: from, newContents: null });

const sidecar = new SidecarClient();
after(() => sidecar.dispose());

function write(dir: string, changes: FileChange[], mode: 'read-only' | 'workspace-write' = 'workspace-write'): Promise<string[]> {
  return writeChanges(sidecar, { cwd: dir, policy: writePolicyFor(mode, dir) }, changes);
}

async function refused(p: Promise<unknown>, reason: string, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof ApplyChangesError, String(e));
    assert.equal(e.reason, reason, e.message);
    assert.match(e.message, message);
    return true;
  });
}

test('adds (with new parent dirs), modifies, moves and deletes land together; no temp files remain', async () => {
  const dir = workspace({ 'a.txt': 'a\n', 'm.txt': 'm\n', 'd.txt': 'd\n' });
  try {
    const summary = await write(dir, [
      add('new/deep/n.txt', 'n\n'),
      modify('a.txt', 'a\n', 'A\n'),
      modify('m.txt', 'm\n', 'M\n', 'moved/m.txt'),
      del('d.txt', 'd\n'),
    ]);
    assert.deepEqual(summary, ['A new/deep/n.txt', 'M a.txt', 'M moved/m.txt', 'D d.txt']);
    assert.deepEqual(snapshot(dir), {
      'a.txt': 'A\n',
      'new/': '',
      'new/deep/': '',
      'new/deep/n.txt': 'n\n',
      'moved/': '',
      'moved/m.txt': 'M\n',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure while preparing (a parent path is a file) leaves everything as it was', async () => {
  const dir = workspace({ 'a.txt': 'a\n', file: 'not a dir\n' });
  const before = snapshot(dir);
  try {
    await refused(write(dir, [modify('a.txt', 'a\n', 'A\n'), add('made/by/us.txt', 'x'), add('file/child.txt', 'x')]), 'not-a-directory', /^nothing was written: file\/child.txt: /);
    assert.deepEqual(snapshot(dir), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('deleting a file that vanished since it was read fails before anything is written', async () => {
  const dir = workspace({ 'a.txt': 'a\n' });
  try {
    await refused(write(dir, [modify('a.txt', 'a\n', 'A\n'), del('gone.txt', 'g')]), 'missing', /cannot delete gone.txt: it does not exist/);
    assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'a\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('paths escaping the root are refused: .., absolute, and a symlinked directory leading out', async () => {
  const dir = workspace({ 'a.txt': 'a\n' });
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-outside-'));
  try {
    fs.symlinkSync(outside, path.join(dir, 'out'));
    await refused(write(dir, [add('../escape.txt', 'x')]), 'bad-path', /'\.\.' is not allowed/);
    await refused(write(dir, [add('/tmp/abs.txt', 'x')]), 'bad-path', /absolute paths are not allowed/);
    await refused(write(dir, [add('out/planted.txt', 'x')]), 'symlink-escape', /leads outside the writable root/);
    assert.deepEqual(fs.readdirSync(outside), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('.git is refused in any case and read-only refuses everything; checkWrites says the same without writing', async () => {
  const dir = workspace({ '.git/config': '[core]\n', 'a.txt': 'a\n' });
  const before = snapshot(dir);
  try {
    await refused(write(dir, [modify('a.txt', 'a\n', 'A\n'), add('.git/hooks/pre-commit', '#!/bin/sh\n')]), 'git-dir', /\.git\/hooks\/pre-commit: writing inside a git directory is not allowed/);
    await refused(write(dir, [add('.GIT/config', 'x')]), 'git-dir', /git directory/);
    await refused(write(dir, [modify('a.txt', 'a\n', 'A\n')], 'read-only'), 'read-only', /the sandbox is read-only/);
    const target = { cwd: dir, policy: writePolicyFor('workspace-write', dir) };
    await refused(checkWrites(sidecar, target, ['.git/config']), 'git-dir', /git directory/);
    await refused(checkWrites(sidecar, { cwd: dir, policy: writePolicyFor('read-only', dir) }, ['a.txt']), 'read-only', /read-only/);
    await checkWrites(sidecar, target, ['a.txt', 'new/file.txt'], ['a.txt', 'not-there.txt']);
    assert.deepEqual(snapshot(dir), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a rewritten file keeps its permission bits', async () => {
  const dir = workspace({ 'run.sh': 'echo 1\n' });
  try {
    fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
    await write(dir, [modify('run.sh', 'echo 1\n', 'echo 2\n')]);
    assert.equal(fs.statSync(path.join(dir, 'run.sh')).mode & 0o777, 0o755);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('summary lines: A, M, D and a move as M <destination>; touched paths', () => {
  const changes = [add('a', ''), modify('b', '', ''), modify('c', '', '', 'd'), del('e', '')];
  assert.deepEqual(summarizeChanges(changes), ['A a', 'M b', 'M d', 'D e']);
  assert.deepEqual(touchedPaths(changes), { writes: ['a', 'b', 'd'], deletes: ['c', 'e'] });
});
