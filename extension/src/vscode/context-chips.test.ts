import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contextPreview, withoutParts } from './context-chips';

const ctx = {
  activeFile: 'src/a.ts',
  openFiles: ['src/a.ts', 'src/b.ts'],
  selection: { path: 'src/a.ts', startLine: 3, endLine: 7, text: 'const x = 1;' },
  diagnostics: [],
};

test('the chips show what the next message carries, and the permissions', () => {
  assert.deepEqual(contextPreview(ctx, 'untrusted', 'workspace-write'), {
    file: 'src/a.ts',
    openFiles: 1,
    selection: { path: 'src/a.ts', startLine: 3, endLine: 7 },
    approvalPolicy: 'untrusted',
    sandboxMode: 'workspace-write',
  });
  assert.deepEqual(contextPreview(undefined, 'never', 'read-only'), { openFiles: 0, approvalPolicy: 'never', sandboxMode: 'read-only' });
});

test('a removed chip keeps its part out of the message; nothing left means no context at all', () => {
  assert.equal(withoutParts(ctx, []), ctx);
  const noSelection = withoutParts(ctx, ['selection']);
  assert.equal(noSelection?.selection, undefined);
  assert.equal(noSelection?.activeFile, 'src/a.ts');
  const noFile = withoutParts(ctx, ['file']);
  assert.equal(noFile?.activeFile, undefined);
  assert.deepEqual(noFile?.openFiles, []);
  assert.equal(noFile?.selection?.text, 'const x = 1;');
  assert.equal(withoutParts(ctx, ['file', 'selection']), undefined);
  assert.equal(ctx.selection.text, 'const x = 1;', 'the original is not changed');
});
