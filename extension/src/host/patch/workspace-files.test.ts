// What the engine is told about each path: text, missing, directory, outside the workspace, unreadable.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readFileMap } from './workspace-files';

test('readFileMap reports each kind of path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-files-'));
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-outside-'));
  try {
    fs.writeFileSync(path.join(dir, 'text.txt'), '\ufeffhé\r\n');
    fs.writeFileSync(path.join(dir, 'bin.dat'), Buffer.from([0x41, 0x00, 0x42]));
    fs.writeFileSync(path.join(dir, 'latin1.txt'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(dir, 'link-out.txt'));
    fs.symlinkSync(outside, path.join(dir, 'dir-out'));
    fs.symlinkSync('text.txt', path.join(dir, 'link-in.txt'));
    const map = readFileMap(dir, ['text.txt', 'missing.txt', 'sub', 'bin.dat', 'latin1.txt', 'link-out.txt', 'dir-out/new.txt', 'link-in.txt', '../x', '/etc/passwd', 'text.txt/child']);
    assert.deepEqual(map['text.txt'], { state: 'text', contents: '\ufeffhé\r\n' });
    assert.deepEqual(map['missing.txt'], { state: 'missing' });
    assert.deepEqual(map['sub'], { state: 'directory' });
    assert.deepEqual(map['bin.dat'], { state: 'unreadable', reason: 'it is a binary file (it contains NUL bytes)' });
    assert.deepEqual(map['latin1.txt'], { state: 'unreadable', reason: 'it is not valid UTF-8 text' });
    assert.deepEqual(map['link-out.txt'], { state: 'outsideWorkspace' });
    assert.deepEqual(map['dir-out/new.txt'], { state: 'outsideWorkspace' });
    assert.deepEqual(map['link-in.txt'], { state: 'text', contents: '\ufeffhé\r\n' });
    assert.deepEqual(map['../x'], { state: 'outsideWorkspace' });
    assert.deepEqual(map['/etc/passwd'], { state: 'outsideWorkspace' });
    assert.equal(map['text.txt/child'].state, 'unreadable');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  }
});
