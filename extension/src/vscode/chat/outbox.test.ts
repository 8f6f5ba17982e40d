// Messages for a hidden or loading chat wait in order; streaming deltas merge; command output stays
// bounded with the dropped bytes counted; answer text is never dropped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostMessage } from '../../shared/chat-protocol';
import { Outbox } from './outbox';

const delta = (item_id: string, d: string): HostMessage => ({ type: 'event', event: { type: 'item.delta', item_id, delta: d } });
const started = (id: string, type: 'command_execution' | 'agent_message'): HostMessage => ({
  type: 'event',
  event: {
    type: 'item.started',
    item: type === 'command_execution' ? { id, type, command: 'x', aggregated_output: '', status: 'in_progress' } : { id, type, text: '' },
  },
});

test('messages drain in order; consecutive deltas of one item merge', () => {
  const o = new Outbox();
  o.push({ type: 'busy', busy: true });
  o.push(started('m', 'agent_message'));
  o.push(delta('m', 'Hel'));
  o.push(delta('m', 'lo'));
  o.push(delta('other', '!'));
  o.push(delta('m', ' again'));
  const out = o.drain();
  assert.deepEqual(out, [
    { type: 'busy', busy: true },
    started('m', 'agent_message'),
    delta('m', 'Hello'),
    delta('other', '!'),
    delta('m', ' again'),
  ]);
  assert.equal(o.length, 0);
  assert.deepEqual(o.drain(), []);
});

test('a long command run while hidden keeps the last output and counts what it dropped', () => {
  const o = new Outbox(1000);
  o.push(started('c', 'command_execution'));
  for (let i = 0; i < 100; i++) o.push(delta('c', 'é'.repeat(50))); // 100 bytes each
  const out = o.drain();
  assert.equal(out.length, 2);
  const last = out[1];
  assert.ok(last.type === 'event' && last.event.type === 'item.delta');
  assert.equal(last.event.delta.length, 1000);
  assert.equal(last.cutBytes, (5000 - 1000) * 2);
});

test('answer text is never trimmed, however long', () => {
  const o = new Outbox(10);
  o.push(started('m', 'agent_message'));
  for (let i = 0; i < 10; i++) o.push(delta('m', 'abcdefghij'));
  const out = o.drain();
  const last = out[1];
  assert.ok(last.type === 'event' && last.event.type === 'item.delta');
  assert.equal(last.event.delta.length, 100);
  assert.equal(last.cutBytes, undefined);
});

test('command items noted while the view was live are known when it is later hidden', () => {
  const o = new Outbox(10);
  o.note(started('c', 'command_execution')); // sent directly, not queued
  o.push(delta('c', 'x'.repeat(30)));
  o.push(delta('c', 'y'.repeat(5)));
  const [m] = o.drain();
  assert.ok(m.type === 'event' && m.event.type === 'item.delta');
  assert.equal(m.event.delta, 'x'.repeat(5) + 'y'.repeat(5));
  assert.equal(m.cutBytes, 25);
});

test('clear drops everything queued before it', () => {
  const o = new Outbox();
  o.push(delta('m', 'old'));
  o.push({ type: 'error', message: 'old', retry: true });
  o.push({ type: 'clear' });
  o.push({ type: 'model', model: 'm' });
  assert.deepEqual(o.drain(), [{ type: 'clear' }, { type: 'model', model: 'm' }]);
});
