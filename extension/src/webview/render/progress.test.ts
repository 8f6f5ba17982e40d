// The turn's progress in the chrome: the pinned plan, the status line and the usage meter, from the
// chat state the reducer builds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostMessage, ThreadItem } from '../../shared/chat-protocol';
import { initialState, reduce, type Action, type ChatState } from '../state';
import { renderEntry } from './cards';
import { formatTokens, progressOf, renderPinnedPlan, renderStatusLine, renderUsageMeter } from './progress';

const ev = (event: unknown): HostMessage => ({ type: 'event', event } as HostMessage);
const run = (s: ChatState, ...actions: Action[]) => actions.forEach((a) => reduce(s, a, 1000));
const plan = (id: string, statuses: string[]): ThreadItem => ({
  id,
  type: 'todo_list',
  items: statuses.map((status, i) => ({ text: `step ${i + 1}`, completed: status === 'completed', status })),
});

test('the pinned plan follows the current turn\'s latest plan, live, and goes when the turn ends', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'go' }, ev({ type: 'turn.started' }));
  assert.equal(renderPinnedPlan(s), '', 'no plan yet');
  run(s, ev({ type: 'item.started', item: plan('p1', ['in_progress', 'pending', 'pending']) }));
  assert.match(renderPinnedPlan(s), /data-testid="pinned-plan-count">0\/3</);
  run(s, ev({ type: 'item.updated', item: plan('p1', ['completed', 'in_progress', 'pending']) }));
  const html = renderPinnedPlan(s);
  assert.match(html, /data-testid="pinned-plan-count">1\/3</);
  assert.match(html, /class="plan-in_progress" data-status="in_progress">.*step 2/);
  assert.deepEqual(progressOf(s).step, { index: 2, total: 3, text: 'step 2' });
  run(s, ev({ type: 'turn.completed', usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0 } }));
  assert.equal(renderPinnedPlan(s), '', 'the transcript keeps the plan; the pin goes');
  // A new turn without a plan does not pin the old one.
  run(s, { type: 'local.send', text: 'again' }, ev({ type: 'turn.started' }));
  assert.equal(renderPinnedPlan(s), '');
});

test('the status line names the step, the running command and its elapsed time; a question says it waits', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'go' }, ev({ type: 'turn.started' }));
  assert.match(renderStatusLine(s), /Working….*data-testid="status-elapsed" data-started="1000"/);
  run(s, ev({ type: 'item.started', item: plan('p1', ['in_progress', 'pending']) }));
  run(s, ev({ type: 'item.started', item: { id: 'c1', type: 'command_execution', command: 'npm test -- --watch=false\necho done', aggregated_output: '', status: 'in_progress' } }));
  const line = renderStatusLine(s);
  assert.match(line, /data-testid="status-step">Step 1\/2: step 1</);
  assert.match(line, /data-testid="status-command" title="npm test -- --watch=false\necho done">npm test -- --watch=false …</);
  assert.doesNotMatch(line, /Working/);
  // Waiting for the person: no spinner, no command (it has not started).
  run(s, {
    type: 'approval',
    requestId: 'r1',
    request: {
      requestId: 'r1', callId: 'x', itemId: 'c1', kind: 'exec', argv: ['npm', 'test'], command: 'npm test', cwd: '/w',
      sandbox: { mode: 'workspace-write', writableRoots: ['/w'], network: false }, remember: { kind: 'once' },
    },
  });
  assert.match(renderStatusLine(s), /Waiting for your approval/);
  assert.doesNotMatch(renderStatusLine(s), /modifier-spin/);
  run(s, { type: 'local.approval', requestId: 'r1', decision: 'approved' });
  assert.match(renderStatusLine(s), /status-command/);
  // Model text in the step is shown, not obeyed.
  run(s, ev({ type: 'item.updated', item: { ...plan('p1', ['in_progress']), items: [{ text: '<img src=x onerror=alert(1)>', completed: false, status: 'in_progress' }] } }));
  assert.match(renderStatusLine(s), /&lt;img src=x/);
});

test('usage meter: context percent when the window is known, tokens when not, last turn in the tooltip', () => {
  assert.equal(renderUsageMeter(null, null), '');
  const known = renderUsageMeter({ used: 45_000, window: 100_000 }, { input_tokens: 45_000, cached_input_tokens: 40_000, output_tokens: 900, reasoning_output_tokens: 0 });
  assert.match(known, /data-percent="45"/);
  assert.match(known, /45%<\/span> <span class="muted" data-testid="usage-tokens">45k tokens/);
  assert.match(known, /Last turn: 45,000 input \(40,000 cached\), 900 output tokens/);
  const unknown = renderUsageMeter({ used: 12_345, window: 0 }, null);
  assert.doesNotMatch(unknown, /data-percent/);
  assert.match(unknown, /data-testid="usage-tokens">12k tokens/);
  assert.match(unknown, /context window is unknown/);
  assert.match(renderUsageMeter(null, { input_tokens: 1500, cached_input_tokens: 0, output_tokens: 200, reasoning_output_tokens: 0 }), /1\.7k tokens/);
  assert.deepEqual([0, 999, 1000, 12_345, 2_500_000].map(formatTokens), ['0', '999', '1.0k', '12k', '2.5M']);
});

test('a retry is a visible countdown in the status line, gone once the model answers', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'go' }, ev({ type: 'turn.started' }));
  run(s, { type: 'retrying', attempt: 1, maxAttempts: 5, delayMs: 4000, reason: 'could not reach the model server at http://127.0.0.1:9/v1: connect ECONNREFUSED' });
  assert.deepEqual(s.retrying, { attempt: 1, maxAttempts: 5, until: 5000, reason: 'could not reach the model server at http://127.0.0.1:9/v1: connect ECONNREFUSED' });
  const line = renderStatusLine(s);
  assert.match(line, /data-testid="status-retry-in" data-until="5000"><\/span> \(attempt 2 of 5\)/);
  assert.match(line, /connect ECONNREFUSED: retrying/);
  run(s, ev({ type: 'item.delta', item_id: 'x', delta: 'a' }));
  assert.equal(s.retrying, null);
  assert.doesNotMatch(renderStatusLine(s), /status-retry/);
  // A final error ends the countdown too, and the banner carries its fixes.
  run(s, { type: 'retrying', attempt: 2, maxAttempts: 5, delayMs: 1000, reason: 'r' }, { type: 'error', message: 'Tack could not reach…', retry: true, actions: ['useLocalServer', 'openSettings'] });
  assert.equal(s.retrying, null);
  assert.deepEqual(s.error?.actions, ['useLocalServer', 'openSettings']);
});

test('while the plan is pinned, the transcript shows it once: its card is one line, "Plan updated (1/3)"; full again after the turn', () => {
  const s = initialState();
  run(s, { type: 'local.send', text: 'go' }, ev({ type: 'turn.started' }));
  run(s, ev({ type: 'item.started', item: plan('p1', ['in_progress', 'pending', 'pending']) }));
  const change = reduce(s, ev({ type: 'item.updated', item: plan('p1', ['completed', 'in_progress', 'pending']) }), 1000);
  const entry = s.entries.find((e) => e.kind === 'item' && e.item.id === 'p1')!;
  assert.ok(change.entries.has(entry.key));
  const during = renderEntry(entry, s);
  assert.match(during, /data-testid="plan-note"/);
  assert.match(during, /Plan updated <span class="muted" data-testid="plan-note-count">\(1\/3\)<\/span><\/summary>/);
  assert.doesNotMatch(during, /<details[^>]* open/, 'closed: one line');
  assert.doesNotMatch(during, /data-testid="plan"/);
  // The turn ends: the pin goes and the card is drawn again, whole.
  const end = reduce(s, ev({ type: 'turn.completed', usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 1, reasoning_output_tokens: 0 } }), 1000);
  assert.ok(end.entries.has(entry.key), 'the plan card is redrawn when the turn ends');
  const afterTurn = renderEntry(entry, s);
  assert.match(afterTurn, /data-testid="plan"/);
  assert.doesNotMatch(afterTurn, /plan-note/);
});
