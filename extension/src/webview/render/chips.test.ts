import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initialState, reduce } from '../state';
import { renderEntry } from './cards';
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

test('image chips: a thumbnail per prepared image, a warning for a refused one, removable, gone once sent', () => {
  const s = initialState();
  const png = 'data:image/png;base64,iVBORw0KGgo=';
  reduce(s, { type: 'attachment', attachment: { id: 'img_0', name: 'shot.png', thumbnail: png, width: 800, height: 600 } });
  reduce(s, { type: 'attachment', attachment: { id: 'img_1', name: 'notes.txt', error: 'the file is not an image (PNG, JPEG, GIF or WebP)' } });
  // Anything but the host's PNG/JPEG data: URL never reaches src.
  reduce(s, { type: 'attachment', attachment: { id: 'img_2', name: '<b>x</b>.png', thumbnail: 'javascript:alert(1)' } });
  let html = renderChips(s);
  assert.match(html, /data-testid="chip-image" data-attachment="img_0" title="shot\.png \(800x600, as sent\)"><img class="chip-thumb" src="data:image\/png;base64,iVBORw0KGgo="/);
  assert.match(html, /class="chip image refused".*title="notes\.txt was not attached: the file is not an image/);
  assert.doesNotMatch(html, /javascript:/);
  assert.match(html, /&lt;b&gt;x&lt;\/b&gt;\.png/);
  assert.equal((html.match(/data-action="image-remove"/g) ?? []).length, 3);
  reduce(s, { type: 'local.removeAttachment', id: 'img_2' });
  html = renderChips(s);
  assert.doesNotMatch(html, /img_2/);
  reduce(s, { type: 'local.send', text: 'look', images: 2 });
  assert.deepEqual(s.attachments, []);
  assert.match(renderEntry(s.entries.at(-1)!, s), /data-testid="message-images">.*2 images</);
  assert.equal(renderChips(s), '');
});

test('a hosted web search shows as one line naming the query, markup shown not obeyed', () => {
  const s = initialState();
  reduce(s, { type: 'event', event: { type: 'item.completed', item: { id: 'w1', type: 'web_search', query: 'rust <b>image</b> crate' } } });
  const html = renderEntry(s.entries.at(-1)!, s);
  assert.match(html, /data-testid="web-search">.*Searched the web: rust &lt;b&gt;image&lt;\/b&gt; crate/);
});
