// The apply_patch functions of the real .wasm, called the way the extension calls them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines, formatPatchError, type FileMap } from '../../extension/src/host/patch/engine';
import { testCore } from './lib/core';

const core = testCore();
const eng = engines(core);

const PATCH = '*** Begin Patch\n*** Update File: a.txt\n*** Move to: b/c.txt\n@@\n-x\n+y\n*** Add File: n.txt\n+new\n*** End Patch\n';

test('patchPaths lists the normalised paths to read; applyPatch returns plain JSON-shaped changes', () => {
  const paths = eng.patchPaths(PATCH);
  assert.deepEqual(paths, { ok: true, paths: ['a.txt', 'b/c.txt', 'n.txt'] });
  const files: FileMap = { 'a.txt': { state: 'text', contents: 'x\r\n' }, 'b/c.txt': { state: 'missing' }, 'n.txt': { state: 'missing' } };
  const r = eng.applyPatch(PATCH, files);
  assert.deepEqual(r, {
    ok: true,
    changes: [
      { kind: 'modify', path: 'a.txt', movePath: 'b/c.txt', original: 'x\r\n', newContents: 'y\r\n' },
      { kind: 'add', path: 'n.txt', original: null, newContents: 'new\n' },
    ],
  });
});

test('a bad patch is a result with the error, not an exception', () => {
  const r = eng.applyPatch('*** Begin Patch\n*** Update File: a.txt\n@@\n-nope\n+y\n*** End Patch', { 'a.txt': { state: 'text', contents: 'x\n' } });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.error.line, 3);
  assert.equal(formatPatchError(r.error), 'patch line 3: could not find the lines to replace in a.txt:\n  nope');
  const p = eng.patchPaths('hello');
  assert.equal(p.ok, false);
  if (!p.ok) assert.match(formatPatchError(p.error), /^patch line 1: the patch must start with '\*\*\* Begin Patch'/);
});

test('a malformed FileMap throws a clear error naming the argument', () => {
  const bad = (files: unknown) => () => eng.applyPatch(PATCH, files as FileMap);
  assert.throws(bad({ 'a.txt': { state: 'banana' } }), {
    message: 'applyPatch: files is not a FileMap: a.txt: unknown state `banana`, expected one of `text`, `missing`, `directory`, `outsideWorkspace`, `unreadable`',
  });
  assert.throws(bad(42), { message: 'applyPatch: files is not a FileMap: not an object' });
  assert.throws(bad({ 'a.txt': { state: 'text', contents: 7 } }), { message: 'applyPatch: files is not a FileMap: a.txt: its contents are not a string' });
  assert.throws(bad({ 'a.txt': { state: 'unreadable' } }), { message: 'applyPatch: files is not a FileMap: entry 0: missing field `reason`' });
  assert.throws(bad({ 'a.txt': null }), { message: 'applyPatch: files is not a FileMap: a.txt: not a FileState' });
});

test('contents cross as UTF-8 bytes: non-ASCII text, several files, empty files and every state keep their places', () => {
  const patch = [
    '*** Begin Patch',
    '*** Update File: é/ü.txt',
    '@@',
    ' café',
    '-naïve 😀',
    '+naive 🙂',
    '*** Delete File: empty.txt',
    '*** Update File: z.txt',
    '@@',
    '-last',
    '+LAST ✓',
    '*** Delete File: bin.dat',
    '*** Add File: new/ñ.md',
    '+# ñ',
    '*** End Patch',
  ].join('\n');
  const files: FileMap = {
    'z.txt': { state: 'text', contents: 'first\nlast' },
    'é/ü.txt': { state: 'text', contents: '\uFEFFcafé\r\nnaïve 😀\r\n' },
    'bin.dat': { state: 'unreadable', reason: 'binary' },
    'empty.txt': { state: 'text', contents: '' },
    'new/ñ.md': { state: 'missing' },
    'd': { state: 'directory' },
    'out': { state: 'outsideWorkspace' },
  };
  assert.deepEqual(eng.applyPatch(patch, files), {
    ok: true,
    changes: [
      { kind: 'modify', path: 'é/ü.txt', original: '\uFEFFcafé\r\nnaïve 😀\r\n', newContents: '\uFEFFcafé\r\nnaive 🙂\r\n' },
      { kind: 'delete', path: 'empty.txt', original: '', newContents: null },
      { kind: 'modify', path: 'z.txt', original: 'first\nlast', newContents: 'first\nLAST ✓\n' },
      { kind: 'delete', path: 'bin.dat', original: null, newContents: null },
      { kind: 'add', path: 'new/ñ.md', original: null, newContents: '# ñ\n' },
    ],
  });
  // The same call again (the encode buffer is reused) gives the same answer.
  assert.equal(JSON.stringify(eng.applyPatch(patch, files)), JSON.stringify(eng.applyPatch(patch, files)));
});
