// Messages from the webview are checked before the host acts on them: good ones pass through
// unchanged, malformed ones are refused with a message naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseViewMessage } from './chat-protocol';

test('well-formed view messages parse to themselves', () => {
  const good = [
    { type: 'ready' },
    { type: 'send', text: 'fix the bug' },
    { type: 'stop' },
    { type: 'newTask' },
    { type: 'retry' },
    { type: 'decideApproval', requestId: 'r1', decision: 'approved' },
    { type: 'decideApproval', requestId: 'r1', decision: 'denied', message: 'use npm test' },
    { type: 'decideHunks', itemId: 'c1', path: 'src/a.ts', hunkIds: ['h1', 'h2'], accept: true },
    { type: 'decideFile', itemId: 'c1', path: 'src/a.ts', accept: false },
    { type: 'decideFile', itemId: 'c1', path: null, accept: true },
    { type: 'rejectWithReason', itemId: 'c1' },
    { type: 'openDiff', itemId: 'c1', path: 'src/a.ts' },
    { type: 'openFile', path: 'src/a.ts', line: 12 },
    { type: 'listSessions' },
    { type: 'resumeSession', id: 's-1' },
    { type: 'listModels' },
    { type: 'setModel', model: 'gpt-5.1-codex' },
    { type: 'send', text: 'what is this?', images: ['img_0', 'img_1'] },
    { type: 'attachImage', name: 'pasted image', data: 'iVBORw0KGgo=' },
    { type: 'attachFiles', uris: ['file:///home/me/shot.png'] },
  ];
  for (const m of good) assert.deepEqual(parseViewMessage(m), { ok: true, message: m }, JSON.stringify(m));
});

test('extra fields are dropped and a blank denial message is left out', () => {
  assert.deepEqual(parseViewMessage({ type: 'stop', evil: '<script>' }), { ok: true, message: { type: 'stop' } });
  assert.deepEqual(parseViewMessage({ type: 'decideApproval', requestId: 'r', decision: 'denied', message: '   ' }), {
    ok: true,
    message: { type: 'decideApproval', requestId: 'r', decision: 'denied' },
  });
});

test('bad input: non-objects and unknown types are refused', () => {
  for (const raw of [null, undefined, 42, 'send', [], [{ type: 'send' }]]) {
    const r = parseViewMessage(raw);
    assert.equal(r.ok, false, JSON.stringify(raw));
  }
  const unknown = parseViewMessage({ type: 'rm -rf' });
  assert.deepEqual(unknown, { ok: false, error: 'unknown message type "rm -rf"' });
});

test('bad input: each malformed field is named in the error', () => {
  const cases: Array<[unknown, string]> = [
    [{ type: 'send', text: '' }, 'text'],
    [{ type: 'send', text: '   ' }, 'text'],
    [{ type: 'send', text: 5 }, 'text'],
    [{ type: 'decideApproval', requestId: '', decision: 'approved' }, 'requestId'],
    [{ type: 'decideApproval', requestId: 'r', decision: 'abort' }, 'decision'],
    [{ type: 'decideApproval', requestId: 'r', decision: 'yes' }, 'decision'],
    [{ type: 'decideApproval', requestId: 'r', decision: 'denied', message: 3 }, 'message'],
    [{ type: 'decideHunks', itemId: 'c', path: 'p', hunkIds: [], accept: true }, 'hunkIds'],
    [{ type: 'decideHunks', itemId: 'c', path: 'p', hunkIds: ['h', 7], accept: true }, 'hunkIds'],
    [{ type: 'decideHunks', itemId: 'c', path: 'p', hunkIds: ['h'], accept: 'yes' }, 'accept'],
    [{ type: 'decideHunks', itemId: 'c', path: '', hunkIds: ['h'], accept: true }, 'path'],
    [{ type: 'decideFile', itemId: 'c', path: 3, accept: true }, 'path'],
    [{ type: 'decideFile', itemId: '', path: null, accept: true }, 'itemId'],
    [{ type: 'openDiff', itemId: 'c' }, 'path'],
    [{ type: 'openFile', path: 'a', line: 0 }, 'line'],
    [{ type: 'openFile', path: 'a', line: 1.5 }, 'line'],
    [{ type: 'resumeSession' }, 'id'],
    [{ type: 'setModel', model: '' }, 'model'],
    [{ type: 'send', text: 'x', images: 'img_0' }, 'images'],
    [{ type: 'send', text: 'x', images: [''] }, 'images'],
    [{ type: 'send', text: 'x', images: Array.from({ length: 11 }, (_, i) => `img_${i}`) }, 'images'],
    [{ type: 'attachImage', name: 'a.png', data: 'not base64!' }, 'data'],
    [{ type: 'attachImage', name: 'a.png', data: 'A'.repeat(Math.ceil((20 * 1024 * 1024) / 3) * 4 + 4) }, 'data'],
    [{ type: 'attachImage', name: 5, data: 'AAAA' }, 'name'],
    [{ type: 'attachFiles', uris: [] }, 'uris'],
    [{ type: 'attachFiles', uris: [3] }, 'uris'],
  ];
  for (const [raw, field] of cases) {
    const r = parseViewMessage(raw);
    assert.equal(r.ok, false, JSON.stringify(raw));
    if (!r.ok) assert.match(r.error, new RegExp(`field "${field}"`), JSON.stringify(raw));
  }
});
