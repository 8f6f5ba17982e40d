// The atomic writer on a real directory: everything lands, or every file is as it was.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { FileChange } from './engine';
import { ApplyChangesError, summarizeChanges, writeChangesAtomically } from './atomic-write';

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

test('adds (with new parent dirs), modifies, moves and deletes land together; no temp files remain', () => {
  const dir = workspace({ 'a.txt': 'a\n', 'm.txt': 'm\n', 'd.txt': 'd\n' });
  try {
    const summary = writeChangesAtomically(dir, [
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

test('a failure in the commit phase puts back every file already renamed (fault injected at the third rename)', () => {
  const dir = workspace({ 'a.txt': 'a\n', 'b.txt': 'b\n', 'c.txt': 'c\n' });
  const before = snapshot(dir);
  try {
    assert.throws(
      () =>
        writeChangesAtomically(dir, [modify('a.txt', 'a\n', 'A\n'), del('b.txt', 'b\n'), add('x/new.txt', 'new\n'), modify('c.txt', 'c\n', 'C\n')], {
          onCommitStep: (i) => {
            if (i === 2) throw new Error('disk on fire');
          },
        }),
      (e: Error) => e instanceof ApplyChangesError && /nothing was changed: disk on fire/.test(e.message),
    );
    assert.deepEqual(snapshot(dir), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a failure while preparing (a parent path is a file) removes the temp files and the dirs it created', () => {
  const dir = workspace({ 'a.txt': 'a\n', 'file': 'not a dir\n' });
  const before = snapshot(dir);
  try {
    assert.throws(
      () => writeChangesAtomically(dir, [modify('a.txt', 'a\n', 'A\n'), add('made/by/us.txt', 'x'), add('file/child.txt', 'x')]),
      (e: Error) => e instanceof ApplyChangesError && /nothing was changed/.test(e.message),
    );
    assert.deepEqual(snapshot(dir), before);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('deleting a file that vanished since it was read fails before anything is written', () => {
  const dir = workspace({ 'a.txt': 'a\n' });
  try {
    assert.throws(() => writeChangesAtomically(dir, [modify('a.txt', 'a\n', 'A\n'), del('gone.txt', 'g')]), /cannot delete gone.txt: it does not exist/);
    assert.equal(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8'), 'a\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('paths escaping the root are refused: .., absolute, and a symlinked directory leading out', () => {
  const dir = workspace({ 'a.txt': 'a\n' });
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-outside-'));
  try {
    fs.symlinkSync(outside, path.join(dir, 'out'));
    for (const p of ['../escape.txt', '/tmp/abs.txt', 'out/planted.txt']) {
      assert.throws(() => writeChangesAtomically(dir, [add(p, 'x')]), /outside the workspace|absolute/, p);
    }
    assert.deepEqual(fs.readdirSync(outside), []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
});

test('a rewritten file keeps its permission bits', () => {
  const dir = workspace({ 'run.sh': 'echo 1\n' });
  try {
    fs.chmodSync(path.join(dir, 'run.sh'), 0o755);
    writeChangesAtomically(dir, [modify('run.sh', 'echo 1\n', 'echo 2\n')]);
    assert.equal(fs.statSync(path.join(dir, 'run.sh')).mode & 0o777, 0o755);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('summary lines: A, M, D and a move as M <destination>', () => {
  assert.deepEqual(summarizeChanges([add('a', ''), modify('b', '', ''), modify('c', '', '', 'd'), del('e', '')]), ['A a', 'M b', 'M d', 'D e']);
});
