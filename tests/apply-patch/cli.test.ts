// `tack apply-patch` as a person runs it: the built CLI in a real directory.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tackCli } from '../lib/paths';
import { readTree, tempDir, treeDifference } from './lib/tree';

function tack(cwd: string, args: string[], input?: string) {
  return spawnSync(process.execPath, [tackCli, 'apply-patch', ...args], { cwd, input, encoding: 'utf8' });
}

function withDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = tempDir('cli');
  try {
    for (const [rel, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    }
    fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const PATCH = [
  '*** Begin Patch',
  '*** Add File: docs/new.md',
  '+hello',
  '*** Update File: src/a.txt',
  '*** Move to: src/b.txt',
  '@@',
  '-one',
  '+ONE',
  '*** Delete File: gone.txt',
  '*** End Patch',
  '',
].join('\n');

test('patch from stdin with "-": prints A/M/D per file (a move prints M and the destination) and writes the tree', () => {
  withDir({ 'src/a.txt': 'one\r\ntwo\r\n', 'gone.txt': 'x\n' }, (dir) => {
    const r = tack(dir, ['-'], PATCH);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'A docs/new.md\nM src/b.txt\nD gone.txt\n');
    assert.equal(r.stderr, '');
    const tree = readTree(dir);
    assert.deepEqual([...tree.keys()].sort(), ['docs/new.md', 'src/b.txt']);
    assert.equal(tree.get('src/b.txt')!.toString(), 'ONE\r\ntwo\r\n');
  });
});

test('patch from stdin without an argument, and as the argument itself', () => {
  withDir({ 'f.txt': 'a\n' }, (dir) => {
    const body = '*** Begin Patch\n*** Update File: f.txt\n@@\n-a\n+b\n*** End Patch\n';
    assert.equal(tack(dir, [], body).stdout, 'M f.txt\n');
    assert.equal(fs.readFileSync(path.join(dir, 'f.txt'), 'utf8'), 'b\n');
    const again = body.replace('-a\n+b', '-b\n+c');
    assert.equal(tack(dir, [again]).stdout, 'M f.txt\n');
    assert.equal(fs.readFileSync(path.join(dir, 'f.txt'), 'utf8'), 'c\n');
  });
});

test('a failing patch: exit 1, the reason with its patch line on stderr, nothing changed', () => {
  withDir({ 'src/a.txt': 'one\n', 'gone.txt': 'x\n' }, (dir) => {
    const before = readTree(dir);
    const bad = PATCH.replace('-one', '-not there');
    const r = tack(dir, ['-'], bad);
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^tack apply-patch: patch line 6: could not find the lines to replace in src\/a\.txt/);
    assert.equal(treeDifference(readTree(dir), before), '');
  });
});

test('an empty stdin is a clear error, exit 1', () => {
  withDir({}, (dir) => {
    const r = tack(dir, ['-'], '');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the patch is empty/);
  });
});

test('bad usage: two arguments exit 2 with the usage; --help prints it', () => {
  withDir({}, (dir) => {
    const r = tack(dir, ['a', 'b']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /expected one argument/);
    const h = tack(dir, ['--help']);
    assert.equal(h.status, 0);
    assert.match(h.stdout, /Usage: tack apply-patch \[PATCH \| -\]/);
  });
});
