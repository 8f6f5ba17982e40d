// 6. Prompt assembly: the model request for a 500-item history, in wasm. The session is restored
// from 500 history records (as when resuming a long conversation), then timed: the user's next
// message -> the `modelRequest` effect, and one tool step (command result -> the next request).
import { loadCore, requestBodyText } from '../extension/src/host/core';
import type { AgentConfig } from '../extension/src/generated/types/AgentConfig';
import type { Effect } from '../extension/src/generated/types/Effect';
import type { SessionRecord } from '../extension/src/generated/types/SessionRecord';
import { rng } from './lib/corpus';
import type { Ctx } from './lib/context';
import { section, type Section } from './lib/report';
import { fmt, fmtSummary, summarize, timeSync } from './lib/stats';

const ITEMS = 500;

const config: AgentConfig = {
  sessionId: 'bench-session',
  model: 'gpt-5.1-codex',
  wire: 'responses',
  approvalPolicy: 'never',
  sandboxMode: 'workspace-write',
  cwd: '/work/project',
  writableRoots: [],
  network: false,
  shell: 'bash',
  currentDate: '2026-11-25',
  timezone: 'UTC',
  agentsMd: [{ dir: '/work/project', contents: '# Project notes\n\nRun `npm test` before finishing. Keep functions small.\n' }],
};

/** A plausible long conversation: user turns, reasoning, commands with output, answers. */
function history(n: number): unknown[] {
  const r = rng(500);
  const text = (len: number) => Array.from({ length: len }, () => 'lorem ipsum dolor sit amet consectetur adipiscing elit'.split(' ')[Math.floor(r() * 8)]).join(' ');
  const items: unknown[] = [];
  let call = 0;
  while (items.length < n) {
    const k = items.length % 10;
    if (k === 0) items.push({ type: 'message', role: 'user', content: [{ type: 'input_text', text: text(40) }] });
    else if (k === 1 || k === 5) items.push({ type: 'reasoning', id: `rs_${items.length}`, summary: [{ type: 'summary_text', text: text(30) }], encrypted_content: 'gAAAA' + 'x'.repeat(800) });
    else if (k === 2 || k === 6 || k === 8) {
      call++;
      items.push({ type: 'function_call', call_id: `call_${call}`, name: 'exec_command', arguments: JSON.stringify({ cmd: `rg -n "${text(2)}" src`, yield_time_ms: 10000 }) });
    } else if (k === 3 || k === 7 || k === 9) {
      items.push({ type: 'function_call_output', call_id: `call_${call}`, output: `Chunk ID: ab12cd\nWall time: 0.0120 seconds\nProcess exited with code 0\nOriginal token count: 300\nOutput:\n${Array.from({ length: 20 }, (_, i) => `src/file${i}.ts:${i * 7}: ${text(8)}`).join('\n')}\n` });
    } else items.push({ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: text(60) }] });
  }
  return items;
}

export async function promptBench(ctx: Ctx): Promise<Section> {
  const s = section('6', 'Prompt assembly: a 500-item history, in wasm');
  const core = loadCore();
  const items = history(ITEMS);
  const records: SessionRecord[] = [{ type: 'meta', config }, ...items.map((item) => ({ type: 'item', item }) as SessionRecord)];
  const reps = ctx.reps(100, 10);

  type Session = InstanceType<typeof core.Session>;
  const restore = (): Session => core.Session.restore(config, records);
  const request = (effects: Effect[]) => {
    const e = effects.find((x) => x.type === 'modelRequest');
    if (!e || e.type !== 'modelRequest') throw new Error(`no modelRequest among ${effects.map((x) => x.type).join(', ')}`);
    return e.body as { input: unknown[] };
  };

  // Sanity: the request carries the whole history plus the new message.
  const body = request(restore().handle({ type: 'userInput', text: 'Next: run the tests.' }) as Effect[]);
  if (body.input.length < ITEMS + 1) throw new Error(`the request holds ${body.input.length} input items, expected at least ${ITEMS + 1}`);
  const bodyBytes = Buffer.byteLength(JSON.stringify(body));

  // Restore, untimed per rep (a fresh session each time: a turn can start only once).
  const restoreMs = summarize(timeSync(restore, reps, 2));
  const userMs: number[] = [];
  const stepMs: number[] = [];
  let stepNote = '';
  for (let i = 0; i < reps + 2; i++) {
    const sess = restore();
    let t0 = performance.now();
    const effects = sess.handle({ type: 'userInput', text: 'Next: run the tests.' }) as Effect[];
    const t1 = performance.now();
    // What the transport POSTs: the core's own JSON text, neither parsed nor serialised again.
    const text = requestBodyText(effects.find((x) => x.type === 'modelRequest')!);
    if (text === undefined) throw new Error('the modelRequest effect carries no body text');
    if (i >= 2) userMs.push(t1 - t0);
    // One tool step: the model asks for a command; its result goes back; the next request is built.
    const item = { type: 'function_call', id: 'fc_bench', call_id: 'call_bench', name: 'exec_command', arguments: JSON.stringify({ cmd: 'echo hi' }) };
    sess.handle({ type: 'modelEvent', data: { type: 'response.output_item.done', output_index: 0, item } });
    sess.handle({
      type: 'modelEvent',
      data: { type: 'response.completed', response: { id: 'resp_bench', status: 'completed', output: [item], usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 } } },
    });
    const afterStream = sess.handle({ type: 'modelStreamEnded' }) as Effect[];
    const exec = afterStream.find((x) => x.type === 'exec');
    if (!exec || exec.type !== 'exec') {
      stepNote = `The tool step could not be timed: after the stream ended the core answered ${afterStream.map((x) => x.type).join(', ') || 'nothing'} rather than an exec.`;
      continue;
    }
    t0 = performance.now();
    const next = sess.handle({ type: 'execExited', callId: exec.callId, exitCode: 0, durationMs: 1, output: 'hi\n', truncatedBytes: 0, timedOut: false }) as Effect[];
    const t4 = performance.now();
    request(next);
    if (i >= 2) stepMs.push(t4 - t0);
  }
  const user = summarize(userMs);
  const rows = [
    ['restore the session from 500 records', ...fmtSummary(restoreMs)],
    ['user message → modelRequest effect (wasm, incl. crossing to JS)', ...fmtSummary(user)],
  ];
  const step = stepMs.length ? summarize(stepMs) : null;
  if (step) rows.push(['command result → next modelRequest effect (one tool step)', ...fmtSummary(step)]);
  s.tables.push({ headers: ['what', 'median', 'min–max (ms)', 'n'], rows, numericFrom: 1 });
  s.raw = { restoreMs, user, step, bodyBytes, items: ITEMS };
  if (stepNote) {
    s.status = 'partial';
    s.notes.push(stepNote);
  }
  s.headline.push(
    `Prompt assembly: the request for a ${ITEMS}-item history (${fmt(bodyBytes / 1024)} KB of JSON) in ${fmt(user.median)} ms in wasm` + (step ? `; ${fmt(step.median)} ms per tool step.` : '.'),
  );
  s.notes.push(
    `History: ${ITEMS} Responses input items cycling through user messages, reasoning items (with 800-byte encrypted content), exec_command calls, their outputs (20 lines each) and assistant answers; the request body is ${fmt(bodyBytes / 1024)} KB as JSON. Times are per call, in this Node process, through the wasm Session class (the JSON text in and out, JSON.stringify and JSON.parse on the host side, included; the request body crosses once, as the JSON text the host POSTs as it is); ${reps} runs after 2 untimed.`,
  );
  s.commands.push('node --import tsx bench/run.ts --only 6');
  return s;
}
