// A past session redrawn from its file: the real core's replay (wasm) turned into chat messages and
// run through the real chat state, compared with what the live chat showed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReplayEntry } from '../generated/types/ReplayEntry';
import { loadCore } from '../host/core';
import type { HostMessage } from '../shared/chat-protocol';
import { approvalForItem, initialState, reduce, type ChatState } from '../webview/state';
import { replayMessages } from './transcript';

const sandbox = { mode: 'workspace-write' as const, writableRoots: ['/w'], network: false };
const request = (requestId: string, itemId: string, command: string) => ({
  requestId,
  callId: `call-${requestId}`,
  itemId,
  kind: 'exec' as const,
  argv: ['bash', '-lc', command],
  command,
  cwd: '/w',
  sandbox,
  remember: { kind: 'exact' as const, argv: ['bash', '-lc', command] },
});
const user = (text: string) => ({ type: 'item', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text }] } });
const usage = { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0 };
const cmd = (id: string, command: string, status: string, exit_code?: number) => ({
  id,
  type: 'command_execution',
  command,
  aggregated_output: 'ok\n',
  status,
  ...(exit_code === undefined ? {} : { exit_code, duration_ms: 120 }),
});

/** A session file as the core writes it: harness messages, shown items, approvals, turn ends. */
const records: unknown[] = [
  { type: 'meta', config: {} },
  user('# AGENTS.md instructions for /w\n\n<INSTRUCTIONS>\nbe brief\n</INSTRUCTIONS>'),
  user('<environment_context>\n  <cwd>/w</cwd>\n</environment_context>'),
  user('<editor_context>\n  <active_file>a.ts</active_file>\n</editor_context>'),
  user('run the tests'),
  { type: 'shown', item: { id: 'item_0', type: 'todo_list', items: [{ text: 'Run tests', completed: true, status: 'completed' }] } },
  { type: 'approvalAsked', request: request('approval_0', 'item_1', 'npm test') },
  { type: 'approvalAnswered', requestId: 'approval_0', decision: 'approved' },
  { type: 'shown', item: cmd('item_1', 'npm test', 'completed', 0) },
  { type: 'approvalAsked', request: request('approval_1', 'item_2', 'rm -rf dist') },
  { type: 'approvalAnswered', requestId: 'approval_1', decision: 'denied', message: 'keep dist' },
  { type: 'shown', item: cmd('item_2', 'rm -rf dist', 'declined') },
  { type: 'shown', item: { id: 'item_3', type: 'agent_message', text: 'Tests pass.' } },
  { type: 'turnEnded', status: 'completed', usage },
  user('say hi'),
  { type: 'turnEnded', status: 'failed', usage, error: 'HTTP 503' },
  user('say hi'),
  { type: 'shown', item: { id: 'item_4', type: 'agent_message', text: 'hi' } },
  { type: 'turnEnded', status: 'completed', usage },
  user('go on'),
  { type: 'shown', item: cmd('item_5', 'sleep 100', 'failed') },
  user('<turn_aborted>\nThe user interrupted the previous turn.\n</turn_aborted>'),
  { type: 'turnEnded', status: 'interrupted', usage },
  'a damaged line',
  { type: 'unknownRecord' },
];

function show(messages: HostMessage[]): ChatState {
  const s = initialState();
  for (const m of messages) reduce(s, m, 0);
  return s;
}

test('the core replays a session file: the person\'s messages once, no harness text, items with their approvals', () => {
  const entries = loadCore().replaySession(records) as ReplayEntry[];
  const s = show(replayMessages(entries));
  const users = s.entries.flatMap((e) => (e.kind === 'user' ? [e.text] : []));
  assert.deepEqual(users, ['run the tests', 'say hi', 'go on'], 'no AGENTS.md, environment, editor or interrupt text; the retried message once');
  const kinds = s.entries.map((e) => (e.kind === 'item' ? e.item.type : e.kind));
  assert.deepEqual(kinds, [
    'user',
    'todo_list',
    'command_execution',
    'approval',
    'command_execution',
    'approval',
    'agent_message',
    'user',
    'agent_message',
    'user',
    'command_execution',
    'stopped',
  ]);
  // Each approval sits on its command's card, with the answer (and the denial's message).
  const commands = s.entries.flatMap((e) => (e.kind === 'item' && e.item.type === 'command_execution' ? [e] : []));
  const approved = approvalForItem(s, commands[0].item.id);
  assert.equal(approved?.decision, 'approved');
  const denied = approvalForItem(s, commands[1].item.id);
  assert.equal(denied?.decision, 'denied');
  assert.equal(denied?.message, 'keep dist');
  assert.ok(commands[0].item.type === 'command_execution' && commands[0].item.exit_code === 0 && commands[0].item.status === 'completed');
  // The stopped turn's command says Stopped, and the chat is not left busy or in error.
  assert.equal(commands[2].stopped, true);
  assert.equal(s.busy, false);
  assert.equal(s.error, null);
  // Ids are fresh, so a new run's item_0 never lands on an old card.
  assert.ok(s.entries.every((e) => e.kind !== 'item' || e.item.id.startsWith('replay-')));
});

test('a failure that was not retried stays visible as an error item', () => {
  const entries = loadCore().replaySession([user('deploy'), { type: 'turnEnded', status: 'failed', usage, error: 'HTTP 401: bad key' }]) as ReplayEntry[];
  const s = show(replayMessages(entries));
  const last = s.entries.at(-1);
  assert.ok(last?.kind === 'item' && last.item.type === 'error' && last.item.message === 'HTTP 401: bad key');
});

test('bad input: a non-array or deeply nested records value is refused with a clear error', () => {
  assert.throws(() => loadCore().replaySession({} as unknown as unknown[]), /not an array/);
  let deep: unknown = {};
  for (let i = 0; i < 400; i++) deep = { type: 'item', item: deep };
  assert.throws(() => loadCore().replaySession([deep]), /nested too deeply/);
  assert.deepEqual(loadCore().replaySession([]), []);
});

test('the classifier is the core\'s: harness messages by their markers, the person\'s text as theirs', () => {
  const core = loadCore();
  assert.equal(core.harnessMessage('<environment_context>\n</environment_context>'), 'environmentContext');
  assert.equal(core.harnessMessage('# AGENTS.md instructions for /w\n\nx'), 'agentsMd');
  assert.equal(core.harnessMessage('<turn_aborted>\nx'), 'turnAborted');
  assert.equal(core.harnessMessage('why is <environment_context> shown?'), null);
});

test('a restore of files replays as its notice; a retried message keeps the first send\'s number with the Retry\'s checkpoint', () => {
  const entries = loadCore().replaySession([
    user('hello'),
    { type: 'turnEnded', status: 'completed', usage },
    user('make x'),
    { type: 'turnEnded', status: 'failed', usage, error: 'HTTP 503' },
    user('make x'),
    { type: 'checkpoint', id: '3-abcdef' },
    { type: 'shown', item: { id: 'item_0', type: 'agent_message', text: 'made x' } },
    { type: 'turnEnded', status: 'completed', usage },
    { type: 'filesRestored', checkpoint: '3-abcdef', text: 'Restored checkpoint (1 file).' },
  ]) as ReplayEntry[];
  const s = show(replayMessages(entries));
  const users = s.entries.flatMap((e) => (e.kind === 'user' ? [[e.text, e.index, e.checkpoint]] : []));
  // Message 2 (the Retry) is shown as message 1: rewinding to 1 drops both sends.
  assert.deepEqual(users, [
    ['hello', 0, undefined],
    ['make x', 1, '3-abcdef'],
  ]);
  const last = s.entries.at(-1);
  assert.ok(last?.kind === 'notice' && last.text === 'Restored checkpoint (1 file).', JSON.stringify(last));
});
