import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialState, reduce } from '../state';
import { renderChips } from './chips';

test('chips: file and selection removable until the message is sent; permissions chip names policy and sandbox', () => {
  const s = initialState();
  assert.equal(renderChips(s), '', 'nothing before the host says');
  reduce(s, {
    type: 'context',
    context: { file: 'src/deep/a.ts', openFiles: 2, selection: { path: 'src/deep/a.ts', startLine: 3, endLine: 7 }, approvalPolicy: 'untrusted', sandboxMode: 'workspace-write' },
  });
  let html = renderChips(s);
  assert.match(html, /data-testid="chip-file" title="the open file src\/deep\/a\.ts and 2 other open file name\(s\)">.*a\.ts \+2</);
  assert.match(html, /data-testid="chip-selection".*a\.ts:3-7</);
  assert.match(html, /data-action="chip-remove" data-part="selection"/);
  assert.match(html, /data-testid="chip-permissions".*Ask before commands · workspace-write sandbox/);
  reduce(s, { type: 'local.exclude', part: 'selection' });
  html = renderChips(s);
  assert.doesNotMatch(html, /chip-selection/);
  assert.deepEqual(s.excluded, ['selection']);
  // Sending uses the exclusion once; the next message carries the selection again.
  reduce(s, { type: 'local.send', text: 'hi' });
  assert.deepEqual(s.excluded, []);
  assert.match(renderChips(s), /chip-selection/);
  // No sandbox and never asking is flagged.
  reduce(s, { type: 'context', context: { openFiles: 0, approvalPolicy: 'never', sandboxMode: 'danger-full-access' } });
  assert.match(renderChips(s), /class="chip permissions risky".*Never ask · no sandbox/);
  // A file name with markup is shown, not obeyed.
  reduce(s, { type: 'context', context: { file: '<img src=x onerror=1>.ts', openFiles: 0, approvalPolicy: 'never', sandboxMode: 'read-only' } });
  assert.match(renderChips(s), /&lt;img src=x onerror=1&gt;\.ts/);
});
