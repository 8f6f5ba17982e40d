import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readInsideRoot } from './workspace-read';

function workspace(): { base: string; root: string; done: () => void } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-read-'));
  const root = path.join(base, 'ws');
  fs.mkdirSync(root);
  return { base, root, done: () => fs.rmSync(base, { recursive: true, force: true }) };
}

test('a regular file inside the root is read; a symlink that stays inside is followed', () => {
  const { root, done } = workspace();
  try {
    fs.writeFileSync(path.join(root, 'a.txt'), 'hello');
    fs.symlinkSync('a.txt', path.join(root, 'link.txt'));
    const r = readInsideRoot(root, 'link.txt', { maxBytes: 100 });
    assert.ok(r.ok);
    assert.equal(r.bytes.toString(), 'hello');
    assert.equal(r.truncated, false);
    const abs = readInsideRoot(root, path.join(root, 'a.txt'), { maxBytes: 100 });
    assert.ok(abs.ok);
  } finally {
    done();
  }
});

test('symlinks out of the root are refused: /proc/self/environ, a secret beside the workspace, a directory link', () => {
  const { base, root, done } = workspace();
  try {
    fs.writeFileSync(path.join(base, 'secret'), 'sk-live-secret');
    fs.symlinkSync('/proc/self/environ', path.join(root, 'AGENTS.md'));
    fs.symlinkSync('../secret', path.join(root, 'logo.png'));
    fs.symlinkSync(base, path.join(root, 'up'));
    for (const p of ['AGENTS.md', 'logo.png', 'up/secret', '../secret', '/etc/passwd']) {
      const r = readInsideRoot(root, p, { maxBytes: 1 << 20 });
      assert.equal(r.ok, false, p);
      assert.equal(!r.ok && r.kind, 'outside', p);
      assert.match(!r.ok ? r.reason : '', /outside the workspace/);
    }
  } finally {
    done();
  }
});

test('a FIFO, a device and a directory are refused without hanging; missing is missing', () => {
  const { root, done } = workspace();
  try {
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    fs.mkdirSync(path.join(root, 'dir'));
    const fifo = readInsideRoot(root, 'pipe', { maxBytes: 100 });
    assert.deepEqual(fifo.ok ? 'read' : fifo.kind, 'notRegular');
    const dir = readInsideRoot(root, 'dir', { maxBytes: 100 });
    assert.equal(dir.ok ? 'read' : dir.kind, 'directory');
    const missing = readInsideRoot(root, 'nope', { maxBytes: 100 });
    assert.equal(missing.ok ? 'read' : missing.kind, 'missing');
    // A device inside the root (a workspace that is itself /dev): regular files only.
    const dev = readInsideRoot('/dev', 'zero', { maxBytes: 100 });
    assert.equal(dev.ok ? 'read' : dev.kind, 'notRegular');
  } finally {
    done();
  }
});

test('the size cap is checked on the file: refused, or the first bytes when truncation is asked', () => {
  const { root, done } = workspace();
  try {
    fs.writeFileSync(path.join(root, 'big'), 'x'.repeat(1000));
    const refused = readInsideRoot(root, 'big', { maxBytes: 999 });
    assert.equal(refused.ok ? 'read' : refused.kind, 'tooLarge');
    assert.match(!refused.ok ? refused.reason : '', /1000 bytes; the limit is 999/);
    const cut = readInsideRoot(root, 'big', { maxBytes: 10, truncate: true });
    assert.ok(cut.ok);
    assert.equal(cut.bytes.length, 10);
    assert.equal(cut.truncated, true);
    // A file that reports size 0 but has contents (like /proc files) is still read at most the cap.
    const proc = readInsideRoot('/proc/self', 'status', { maxBytes: 16, truncate: true });
    assert.ok(proc.ok);
    assert.equal(proc.bytes.length, 16);
    assert.equal(proc.truncated, true);
  } finally {
    done();
  }
});
