// The chat's state as the agent's events arrive: streaming text, command output within bounds,
// approvals, hunk states, errors, clearing, and restoring a saved state.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines } from '../host/patch/engine';
import type { HostMessage, ThreadEvent, ThreadItem } from '../shared/chat-protocol';
import { approvalForItem, capOutput, hunkStatesFor, initialState, OUTPUT_KEEP_CHARS, reduce, restoreState, type Action, type ChatState } from './state';

const ev = (event: ThreadEvent): HostMessage => ({ type: 'event', event });

function run(state: ChatState, ...msgs: Action[]): ChatState {
  for (const m of msgs) reduce(state, m);
  return state;
}

function itemOf(state: ChatState, id: string): ThreadItem {
  const e = state.entries.find((x) => x.kind === 'item' && x.item.id === id);
  assert.ok(e && e.kind === 'item', `no item ${id}`);
  return e.item;
}

const cmd = (id: string, extra: Partial<Extract<ThreadItem, { type: 'command_execution' }>> = {}): ThreadItem => ({
  id,
  type: 'command_execution',
  command: 'npm test',
  aggregated_output: '',
  status: 'in_progress',
  ...extra,
});

test('an answer streams as deltas and the completed item keeps the full text', () => {
  const s = initialState();
  run(s, ev({ type: 'turn.started' }), ev({ type: 'item.started', item: { id: 'm1', type: 'agent_message', text: '' } }));
  assert.equal(s.busy, true);
  const c = reduce(s, ev({ type: 'item.delta', item_id: 'm1', delta: 'Hello ' }));
  assert.deepEqual([...c.entries], [s.entries[0].key], 'only the streaming entry is redrawn');
  assert.equal(c.structure, false);
  run(s, ev({ type: 'item.delta', item_id: 'm1', delta: '**world**' }));
  assert.equal((itemOf(s, 'm1') as { text: string }).text, 'Hello **world**');
  // An update without text (some producers send one) must not wipe the streamed text.
  run(s, ev({ type: 'item.updated', item: { id: 'm1', type: 'agent_message', text: '' } }));
  assert.equal((itemOf(s, 'm1') as { text: string }).text, 'Hello **world**');
  run(s, ev({ type: 'item.completed', item: { id: 'm1', type: 'agent_message', text: 'Hello **world**!' } }));
  assert.equal((itemOf(s, 'm1') as { text: string }).text, 'Hello **world**!');
  run(s, ev({ type: 'turn.completed', usage: { input_tokens: 10, cached_input_tokens: 0, output_tokens: 3, reasoning_output_tokens: 0 } }));
  assert.equal(s.busy, false);
  assert.equal(s.lastUsage?.input_tokens, 10);
  assert.equal(s.entries.length, 1);
});

test('a plan or a command arriving redraws the chrome (the pinned plan and the status line are drawn from them); streamed output does not', () => {
  const s = initialState();
  run(s, ev({ type: 'turn.started' }));
  const plan: ThreadItem = { id: 'p1', type: 'todo_list', items: [{ text: 'Look around', completed: false }] } as ThreadItem;
  assert.equal(reduce(s, ev({ type: 'item.started', item: plan })).chrome, true, 'a new plan');
  assert.equal(reduce(s, ev({ type: 'item.updated', item: plan })).chrome, true, 'a plan update');
  assert.equal(reduce(s, ev({ type: 'item.started', item: cmd('c1') })).chrome, true, 'a command starts');
  assert.equal(reduce(s, ev({ type: 'item.delta', item_id: 'c1', delta: 'out' })).chrome, false, 'its output streams');
  assert.equal(reduce(s, ev({ type: 'item.started', item: { id: 'm1', type: 'agent_message', text: '' } })).chrome, false, 'an answer');
});

test('a delta for an unknown item is ignored, not fatal', () => {
  const s = initialState();
  const c = reduce(s, ev({ type: 'item.delta', item_id: 'nope', delta: 'x' }));
  assert.equal(c.entries.size, 0);
  assert.equal(s.entries.length, 0);
});

test('command output streams live and the completed item carries status, exit code and duration', () => {
  const s = initialState();
  run(
    s,
    ev({ type: 'item.started', item: cmd('c1') }),
    ev({ type: 'item.delta', item_id: 'c1', delta: 'line 1\n' }),
    ev({ type: 'item.delta', item_id: 'c1', delta: '\u001b[32mok\u001b[0m\n' }),
  );
  assert.equal((itemOf(s, 'c1') as { aggregated_output: string }).aggregated_output, 'line 1\n\u001b[32mok\u001b[0m\n');
  // The completion without output keeps the live output.
  run(s, ev({ type: 'item.completed', item: cmd('c1', { status: 'completed', exit_code: 0, duration_ms: 1200 }) }));
  const done = itemOf(s, 'c1') as Extract<ThreadItem, { type: 'command_execution' }>;
  assert.equal(done.status, 'completed');
  assert.equal(done.exit_code, 0);
  assert.equal(done.duration_ms, 1200);
  assert.equal(done.aggregated_output, 'line 1\n\u001b[32mok\u001b[0m\n');
});

test("the completed item's model copy of the output does not replace the live output; without live output it is shown", () => {
  const s = initialState();
  run(
    s,
    ev({ type: 'item.started', item: cmd('c1') }),
    ev({ type: 'item.delta', item_id: 'c1', delta: '\u001b[31mred\u001b[0m\n' }),
    ev({ type: 'item.completed', item: cmd('c1', { status: 'completed', exit_code: 0, aggregated_output: 'red\n' }) }),
  );
  assert.equal((itemOf(s, 'c1') as { aggregated_output: string }).aggregated_output, '\u001b[31mred\u001b[0m\n');
  run(s, ev({ type: 'item.completed', item: cmd('c2', { status: 'completed', exit_code: 0, aggregated_output: 'replayed\n' }) }));
  assert.equal((itemOf(s, 'c2') as { aggregated_output: string }).aggregated_output, 'replayed\n');
  run(s, ev({ type: 'item.started', item: cmd('c3') }), ev({ type: 'item.completed', item: cmd('c3', { status: 'completed', aggregated_output: 'only at the end\n' }) }));
  assert.equal((itemOf(s, 'c3') as { aggregated_output: string }).aggregated_output, 'only at the end\n');
  // Updates that carry the whole output so far (instead of deltas) are followed.
  run(
    s,
    ev({ type: 'item.started', item: cmd('c4') }),
    ev({ type: 'item.updated', item: cmd('c4', { aggregated_output: 'one\n' }) }),
    ev({ type: 'item.updated', item: cmd('c4', { aggregated_output: 'one\ntwo\n' }) }),
  );
  assert.equal((itemOf(s, 'c4') as { aggregated_output: string }).aggregated_output, 'one\ntwo\n');
});

test('very large command output keeps only the last part and counts the bytes cut', () => {
  const s = initialState();
  run(s, ev({ type: 'item.started', item: cmd('c1') }));
  const line = 'x'.repeat(99) + '\n'; // 100 bytes
  for (let i = 0; i < 2000; i++) reduce(s, ev({ type: 'item.delta', item_id: 'c1', delta: line }));
  const e = s.entries[0];
  assert.ok(e.kind === 'item' && e.item.type === 'command_execution');
  const kept = e.item.aggregated_output;
  assert.ok(kept.length <= OUTPUT_KEEP_CHARS, `kept ${kept.length}`);
  assert.ok(kept.length > OUTPUT_KEEP_CHARS - 1024);
  assert.equal(e.cutBytes + kept.length, 200_000, 'every byte is either shown or counted as cut');
  assert.ok(kept.startsWith('x'), 'the cut lands on a line start');
  // Bytes the host dropped before the view saw them are counted too.
  reduce(s, { type: 'event', event: { type: 'item.delta', item_id: 'c1', delta: line }, cutBytes: 5000 });
  assert.ok(e.kind === 'item');
  assert.equal(e.cutBytes + (e.item as { aggregated_output: string }).aggregated_output.length, 200_000 + 5000 + 100);
});

test('capOutput counts multi-byte characters in UTF-8 and never splits a surrogate pair', () => {
  const text = '€'.repeat(10) + '😀'.repeat(10); // 3 bytes each, then 4 bytes (2 code units) each
  const r = capOutput(text, 15);
  assert.ok(!/^[\udc00-\udfff]/.test(r.text));
  const keptBytes = new TextEncoder().encode(r.text).length;
  assert.equal(r.cutBytes + keptBytes, 30 + 40);
  assert.deepEqual(capOutput('short', 100), { text: 'short', cutBytes: 0, cutChars: 0 });
  assert.equal(r.cutChars, text.length - r.text.length);
});

test('an approval card appears, is answered locally, and a later resolution from the host wins', () => {
  const s = initialState();
  const request = { requestId: 'r1', callId: 'c1', itemId: 'c1', kind: 'exec' as const, argv: ['rm', '-rf', 'build'], command: 'rm -rf build', cwd: '/w', sandbox: { mode: 'workspace-write' as const, writableRoots: ['/w'], network: false }, remember: { kind: 'exact' as const, argv: ['rm', '-rf', 'build'] } };
  const c = reduce(s, { type: 'approval', requestId: 'r1', request });
  assert.equal(c.structure, true);
  assert.equal(s.entries[0].kind, 'approval');
  reduce(s, { type: 'local.approval', requestId: 'r1', decision: 'denied', message: 'no' });
  const e = s.entries[0];
  assert.ok(e.kind === 'approval');
  assert.equal(e.decision, 'denied');
  assert.equal(e.message, 'no');
  reduce(s, { type: 'approvalResolved', requestId: 'r1', decision: 'abort' });
  assert.ok(s.entries[0].kind === 'approval' && s.entries[0].decision === 'abort');
  // Resolving an approval that was never shown changes nothing.
  assert.equal(reduce(s, { type: 'approvalResolved', requestId: 'zz', decision: 'approved' }).entries.size, 0);
});

test('hunk states: host reports and local choices redraw the file-change card', () => {
  const s = initialState();
  const item: ThreadItem = {
    id: 'p1',
    type: 'file_change',
    status: 'pending',
    changes: [{ path: 'a.ts', kind: 'update' }],
    diffs: [engines().diffTexts('a\nb\nc\n', 'a\nB\nc\nd\n')],
  };
  run(s, ev({ type: 'item.started', item }));
  assert.deepEqual(hunkStatesFor(s, 'p1', 'a.ts', ['h1', 'h2'], 'pending'), { h1: 'pending', h2: 'pending' });
  const c = reduce(s, { type: 'local.hunks', itemId: 'p1', path: 'a.ts', hunkIds: ['h1'], accept: true });
  assert.deepEqual([...c.entries], [s.entries[0].key]);
  reduce(s, { type: 'hunkStates', itemId: 'p1', path: 'a.ts', states: { h2: 'rejected' } });
  assert.deepEqual(hunkStatesFor(s, 'p1', 'a.ts', ['h1', 'h2'], 'pending'), { h1: 'accepted', h2: 'rejected' });
  // Without reports, a finished change shows its outcome.
  assert.deepEqual(hunkStatesFor(s, 'other', 'b.ts', ['x'], 'completed'), { x: 'accepted' });
  assert.deepEqual(hunkStatesFor(s, 'other', 'b.ts', ['x'], 'declined'), { x: 'rejected' });
});

test('deciding a whole file (or all files) settles only the hunks still pending', () => {
  const s = initialState();
  const d1 = engines().diffTexts('a\nb\nc\n', 'a\nB\nc\nd\n');
  const d2 = engines().diffTexts('', 'new\n');
  const item: ThreadItem = {
    id: 'p',
    type: 'file_change',
    status: 'pending',
    changes: [
      { path: 'a.ts', kind: 'update' },
      { path: 'b.ts', kind: 'add' },
    ],
    diffs: [d1, d2],
  };
  run(s, ev({ type: 'item.started', item }));
  run(s, { type: 'local.hunks', itemId: 'p', path: 'a.ts', hunkIds: [d1.hunkIds[0]], accept: false });
  run(s, { type: 'local.file', itemId: 'p', path: 'a.ts', accept: true });
  assert.deepEqual(hunkStatesFor(s, 'p', 'a.ts', d1.hunkIds, 'pending'), { [d1.hunkIds[0]]: 'rejected', [d1.hunkIds[1]]: 'accepted' });
  assert.deepEqual(hunkStatesFor(s, 'p', 'b.ts', d2.hunkIds, 'pending'), { [d2.hunkIds[0]]: 'pending' }, 'other files untouched');
  run(s, { type: 'local.file', itemId: 'p', path: null, accept: false });
  assert.deepEqual(hunkStatesFor(s, 'p', 'b.ts', d2.hunkIds, 'pending'), { [d2.hunkIds[0]]: 'rejected' });
  assert.equal(reduce(s, { type: 'local.file', itemId: 'nope', path: null, accept: true }).entries.size, 0);
});

test('turn.failed raises a retryable error banner; a new turn or a local dismiss clears it', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'hi' }, ev({ type: 'turn.started' }), ev({ type: 'turn.failed', error: { message: '401 Unauthorized' } }));
  assert.deepEqual(s.error, { message: '401 Unauthorized', retry: true });
  assert.equal(s.busy, false);
  run(s, ev({ type: 'turn.started' }));
  assert.equal(s.error, null);
  run(s, { type: 'error', message: 'sidecar died', retry: false });
  assert.deepEqual(s.error, { message: 'sidecar died', retry: false });
  run(s, { type: 'local.dismissError' });
  assert.equal(s.error, null);
});

test('sending shows the message and the running state at once', () => {
  const s = initialState();
  const c = reduce(s, { type: 'local.send', text: 'add tests' });
  assert.equal(c.structure, true);
  assert.equal(s.busy, true);
  assert.deepEqual(s.entries.map((e) => e.kind), ['user']);
  // A replayed user message (resume) does not mark the view busy.
  const r = initialState();
  reduce(r, { type: 'userMessage', text: 'old question' });
  assert.equal(r.busy, false);
  assert.equal(r.entries.length, 1);
});

test('an error before the turn starts ends the optimistic running state; one during a turn does not', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'go' });
  assert.equal(s.busy, true);
  run(s, { type: 'error', message: 'Set an API key first', retry: false });
  assert.equal(s.busy, false, 'no way to sit on working after a refused send');
  run(s, { type: 'local.send', text: 'go' }, ev({ type: 'turn.started' }), { type: 'error', message: 'sidecar restarted', retry: false });
  assert.equal(s.busy, true, 'a running turn keeps running (Stop stays available)');
});

test('model list, context usage and clear', () => {
  const s = initialState();
  run(s, { type: 'model', model: 'gpt-5.1-codex' }, { type: 'models', models: ['a', 'b'] });
  assert.deepEqual(s.models, ['a', 'b', 'gpt-5.1-codex'], 'the current model stays selectable');
  run(s, ev({ type: 'context.usage', used_tokens: 5000, window_tokens: 200000 }));
  assert.deepEqual(s.contextUsage, { used: 5000, window: 200000 });
  run(s, ev({ type: 'context.usage', used_tokens: 6000 }));
  assert.deepEqual(s.contextUsage, { used: 6000, window: 200000 }, 'a missing window keeps the last known one');
  run(s, ev({ type: 'context.usage', used_tokens: 1, window_tokens: 10 }));
  assert.deepEqual(s.contextUsage, { used: 1, window: 10 }, 'the event is the one path (no separate contextUsage message)');
  run(s, { type: 'local.send', text: 'x' }, { type: 'error', message: 'e', retry: true });
  const keyBefore = s.nextKey;
  run(s, { type: 'clear' });
  assert.equal(s.entries.length, 0);
  assert.equal(s.error, null);
  assert.equal(s.busy, false);
  assert.equal(s.model, 'gpt-5.1-codex', 'the model survives a new task');
  assert.equal(s.nextKey, keyBefore, 'keys stay unique across clears');
});

test('a saved state restores; anything unrecognised starts fresh', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'persist me' }, ev({ type: 'item.started', item: { id: 'm', type: 'agent_message', text: 'ok' } }));
  const restored = restoreState(JSON.parse(JSON.stringify(s)));
  assert.deepEqual(restored, s);
  for (const bad of [undefined, null, 'x', { version: 2, entries: [] }, { version: 1, entries: 'no' }]) {
    assert.deepEqual(restoreState(bad), initialState(), JSON.stringify(bad));
  }
});

test('unknown event types are ignored', () => {
  const s = initialState();
  const c = reduce(s, { type: 'event', event: { type: 'something.new' } as unknown as ThreadEvent });
  assert.equal(c.entries.size, 0);
  assert.deepEqual(s, initialState());
});

const askFor = (requestId: string, command: string, itemId = ''): Action => ({
  type: 'approval',
  requestId,
  request: {
    requestId,
    callId: `call-${requestId}`,
    itemId,
    kind: 'exec',
    argv: ['bash', '-lc', command],
    command,
    cwd: '/w',
    sandbox: { mode: 'workspace-write', writableRoots: ['/w'], network: false },
    remember: { kind: 'exact', argv: ['bash', '-lc', command] },
  },
});

test('an approval joins the running command it is about; the command card is redrawn with it', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'go' }, ev({ type: 'turn.started' }), ev({ type: 'item.started', item: cmd('c1') }));
  const c = reduce(s, askFor('r1', 'npm test', 'c1'));
  const a = s.entries.at(-1)!;
  assert.ok(a.kind === 'approval');
  assert.equal(a.itemId, 'c1');
  assert.ok(c.entries.has(s.entries[1].key), 'the command card redraws');
  assert.equal(approvalForItem(s, 'c1')?.requestId, 'r1');
  // Answering redraws the card too.
  assert.ok(reduce(s, { type: 'local.approval', requestId: 'r1', decision: 'approved' }).entries.has(s.entries[1].key));
  // The sandbox refuses it and the core asks again (run unsandboxed?): the same card takes the new question.
  run(s, askFor('r2', 'npm test', 'c1'));
  assert.equal(approvalForItem(s, 'c1')?.requestId, 'r2');
  // A question about a finished command, or one naming no card, stands on its own.
  run(s, ev({ type: 'item.completed', item: cmd('c1', { status: 'completed', exit_code: 0 }) }), askFor('r3', 'npm test', 'c1'));
  const r3 = s.entries.at(-1)!;
  assert.ok(r3.kind === 'approval' && r3.itemId === undefined);
  // The link is the item id, not the text: a running command with the same text is not joined
  // when the question names another item, and a different text is joined when the id matches.
  run(s, ev({ type: 'item.started', item: cmd('c2', { command: 'ls' }) }), askFor('r4', 'ls', 'c9'));
  const r4 = s.entries.at(-1)!;
  assert.ok(r4.kind === 'approval' && r4.itemId === undefined, 'an unknown item is not joined');
  run(s, askFor('r4b', 'ls -la', 'c2'));
  assert.equal(approvalForItem(s, 'c2')?.requestId, 'r4b');
  run(s, { type: 'local.approval', requestId: 'r4b', decision: 'approved' });
  // A question with no item id (an older host) stands on its own.
  run(s, { type: 'userMessage', text: 'again' }, askFor('r5', 'ls'));
  const r5 = s.entries.at(-1)!;
  assert.ok(r5.kind === 'approval' && r5.itemId === undefined);
  // The "message to the model" field opens on request, only while undecided.
  run(s, { type: 'local.denyMessage', requestId: 'r5' });
  assert.ok(r5.kind === 'approval' && r5.denyOpen === true);
  assert.equal(reduce(s, { type: 'local.denyMessage', requestId: 'r1' }).entries.size, 0, 'r1 is answered');
});

test('Stop: commands it killed say Stopped, the turn ends with a Stopped notice offering Continue, no error', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'go' }, ev({ type: 'turn.started' }));
  run(s, ev({ type: 'item.started', item: cmd('c0', { command: 'bad' }) }), ev({ type: 'item.completed', item: cmd('c0', { command: 'bad', status: 'failed', exit_code: 2 }) }));
  run(s, ev({ type: 'item.started', item: cmd('c1') }), { type: 'local.stop' });
  assert.equal(s.stopping, true);
  run(s, ev({ type: 'item.completed', item: cmd('c1', { status: 'failed' }) }), ev({ type: 'turn.failed', error: { message: 'Turn interrupted by the user.' } }));
  const byId = (id: string) => s.entries.find((e) => e.kind === 'item' && e.item.id === id);
  assert.equal((byId('c1') as { stopped?: boolean }).stopped, true);
  assert.equal((byId('c0') as { stopped?: boolean }).stopped, undefined, 'a command that failed by itself stays failed');
  assert.deepEqual(s.entries.at(-1), { kind: 'stopped', key: s.entries.at(-1)!.key, continuable: true });
  assert.equal(s.error, null);
  assert.equal(s.busy, false);
  assert.equal(s.stopping, false);
  // Sending again (Continue sends "continue") retires the old notice's button.
  const c = reduce(s, { type: 'local.send', text: 'continue' });
  const notice = s.entries.find((e) => e.kind === 'stopped');
  assert.ok(notice?.kind === 'stopped' && !notice.continuable);
  assert.ok(c.entries.has(notice.key));
});

test('a Stop from outside the view (the palette) also ends calmly; other failures still raise the banner', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'go' }, ev({ type: 'turn.started' }), ev({ type: 'item.started', item: cmd('c1') }));
  // The text alone is not the marker: only the core's typed reason is.
  run(s, ev({ type: 'turn.failed', error: { message: 'Turn interrupted by the user.' } }));
  assert.equal(s.entries.at(-1)?.kind, 'item');
  assert.ok(s.error !== null);
  run(s, { type: 'local.dismissError' }, { type: 'busy', busy: true });
  run(s, ev({ type: 'item.completed', item: cmd('c1', { status: 'failed' }) }), ev({ type: 'turn.failed', error: { message: 'Turn interrupted by the user.', reason: 'interrupted' } }));
  const e = s.entries.find((x) => x.kind === 'item');
  assert.ok(e?.kind === 'item' && e.stopped === true);
  assert.equal(s.entries.at(-1)?.kind, 'stopped');
  assert.equal(s.error, null);
  // A spawn failure (no exit status) in a turn that then fails for another reason is not "Stopped".
  run(s, { type: 'local.send', text: 'again' }, ev({ type: 'turn.started' }), ev({ type: 'item.started', item: cmd('c2') }));
  run(s, ev({ type: 'item.completed', item: cmd('c2', { status: 'failed', aggregated_output: 'no such shell' }) }), ev({ type: 'turn.failed', error: { message: 'HTTP 500' } }));
  const c2 = s.entries.find((x) => x.kind === 'item' && x.item.id === 'c2');
  assert.ok(c2?.kind === 'item' && !c2.stopped);
  assert.deepEqual(s.error, { message: 'HTTP 500', retry: true });
  // Stop pressed when nothing runs changes nothing.
  const idle = initialState();
  run(idle, { type: 'local.stop' });
  assert.equal(idle.stopping, false);
});

test('a command started in this view records when, for its elapsed time', () => {
  const s = initialState();
  reduce(s, ev({ type: 'item.started', item: cmd('c1') }), 5000);
  reduce(s, ev({ type: 'item.updated', item: cmd('c1') }), 9000);
  const e = s.entries[0];
  assert.ok(e.kind === 'item' && e.startedAt === 5000, 'the first sight counts, not updates');
  // A replayed, already finished command has no start time.
  reduce(s, ev({ type: 'item.completed', item: cmd('c9', { status: 'completed', exit_code: 0 }) }), 7000);
  const f = s.entries[1];
  assert.ok(f.kind === 'item' && f.startedAt === undefined);
});
