// A message's "Restore checkpoint": the button appears once the turn recorded a checkpoint (live or
// replayed), the host's `rewound` drops the message and what followed, a notice is neutral, and a
// malformed restore request from the view is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseViewMessage, type HostMessage } from '../shared/chat-protocol';
import { renderEntry } from './render/cards';
import { initialState, reduce, type ChatState } from './state';

function run(state: ChatState, ...msgs: HostMessage[]): ChatState {
  for (const m of msgs) reduce(state, m);
  return state;
}

const answer = (id: string, text: string): HostMessage => ({ type: 'event', event: { type: 'item.completed', item: { id, type: 'agent_message', text } } });

test('the checkpoint goes on the running turn\'s message, the button is keyboard reachable and labelled', () => {
  const s = run(initialState(), { type: 'userMessage', text: 'first', index: 0, checkpoint: '1-aaaaaa' }, answer('a', 'one'));
  reduce(s, { type: 'local.send', text: 'second' });
  run(s, { type: 'userCheckpoint', index: 1, checkpoint: '2-bbbbbb' }, { type: 'userCheckpoint', index: 1, checkpoint: '3-cccccc' });
  const users = s.entries.filter((e) => e.kind === 'user');
  assert.deepEqual(users.map((u) => [u.text, u.index, u.checkpoint]), [
    ['first', 0, '1-aaaaaa'],
    ['second', 1, '2-bbbbbb'],
  ]);
  const html = renderEntry(users[1], s);
  assert.match(html, /<button [^>]*data-action="restore-checkpoint"[^>]*data-checkpoint="2-bbbbbb" data-index="1"/);
  assert.match(html, /aria-label="Restore checkpoint[^"]*"/);
  assert.match(html, /codicon-discard/);
  // A message whose turn changed nothing offers nothing.
  const plain = run(initialState(), { type: 'userMessage', text: 'just asking', index: 0 });
  assert.doesNotMatch(renderEntry(plain.entries[0], plain), /restore-checkpoint/);
});

test('rewound drops the message and everything after it; a notice is a neutral status line', () => {
  const s = run(
    initialState(),
    { type: 'userMessage', text: 'first', index: 0, checkpoint: '1-aaaaaa' },
    answer('a', 'one'),
    { type: 'userMessage', text: 'second', index: 1, checkpoint: '2-bbbbbb' },
    answer('b', 'two'),
    { type: 'rewound', index: 1 },
    { type: 'notice', text: 'Restored checkpoint (2 files) and the conversation to before your message.' },
  );
  assert.deepEqual(
    s.entries.map((e) => (e.kind === 'user' ? `user ${e.text}` : e.kind === 'item' && e.item.type === 'agent_message' ? `agent ${e.item.text}` : e.kind)),
    ['user first', 'agent one', 'notice'],
  );
  const notice = s.entries[2];
  assert.match(renderEntry(notice, s), /role="status"[^>]*>.*Restored checkpoint \(2 files\)/);
  // An unknown number changes nothing.
  const before = JSON.stringify(s.entries);
  reduce(s, { type: 'rewound', index: 7 });
  assert.equal(JSON.stringify(s.entries), before);
});

test('a restore request from the view must name a checkpoint id and a message number', () => {
  assert.deepEqual(parseViewMessage({ type: 'restoreCheckpoint', checkpoint: '12-3fa9c1', index: 2 }), {
    ok: true,
    message: { type: 'restoreCheckpoint', checkpoint: '12-3fa9c1', index: 2 },
  });
  for (const bad of [
    { checkpoint: '../../etc', index: 0 },
    { checkpoint: '12-3fa9c1', index: -1 },
    { checkpoint: '12-3fa9c1', index: 1.5 },
    { checkpoint: 12, index: 0 },
  ]) {
    assert.equal(parseViewMessage({ type: 'restoreCheckpoint', ...bad }).ok, false, JSON.stringify(bad));
  }
});
