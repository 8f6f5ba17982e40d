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
  assert.throws(() => core.applyPatch(PATCH, { 'a.txt': { state: 'banana' } }), /files is not a FileMap/);
  assert.throws(() => core.applyPatch(PATCH, 42), /files is not a FileMap/);
});
