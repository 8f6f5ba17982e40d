// 9. A long session: `tack exec` through 500 tool steps against the scripted model server (the same
// `echo` step as section 1), reporting the per-step overhead early in the session and at its end,
// and the peak memory of the process tree. Quadratic work per step (prompt assembly, history
// serialisation, session-file writes) shows as a late step costing more than an early one.
import fs from 'node:fs';
import path from 'node:path';
import { startModelServer } from '../tests/model-server/server';
import type { ScriptedResponse } from '../tests/model-server/script';
import { type Ctx, mb, peakMem, rel, repoRoot, shellLine, tackCliJs } from './lib/context';
import { section, type Section } from './lib/report';
import { fmt, summarize } from './lib/stats';

const MODEL = 'gpt-5.1-codex';
const PROMPT = 'Run the command the script asks for.';

/**
 * The per-step turnarounds (end of one response -> next request), as the server saw them on its
 * monotonic clock (`performance.now()`, to a fraction of a millisecond, as section 1).
 */
function turnarounds(reqs: { receivedAtHr: number; closedAtHr?: number }[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < reqs.length; i++) {
    const prev = reqs[i - 1].closedAtHr;
    if (prev !== undefined) out.push(reqs[i].receivedAtHr - prev);
  }
  return out;
}

const median = (xs: number[]) => summarize(xs).median;

export async function longSessionBench(ctx: Ctx): Promise<Section> {
  const s = section('9', 'A long session: 500 tool steps (100 with --quick)');
  const STEPS = ctx.quick ? 100 : 500;
  const WINDOW = 10;
  const runs = ctx.reps(3, 1);
  if (!fs.existsSync(tackCliJs)) {
    s.status = 'missing';
    s.notes.push(`${rel(tackCliJs)} is not built`);
    return s;
  }
  const bin = path.join(repoRoot, 'extension', 'bin', 'tack.js');
  const home = ctx.tmp('long-session');
  const early: number[] = [];
  const late: number[] = [];
  const treePeaks: number[] = [];
  const procPeaks: number[] = [];
  const walls: number[] = [];
  let shown = '';
  for (let r = 0; r < runs; r++) {
    ctx.log(`long session: run ${r + 1}/${runs} (${STEPS} steps)`);
    const script: ScriptedResponse[] = [{ toolCalls: [{ name: 'exec_command', arguments: { cmd: 'echo step', login: false } }], times: STEPS }, { text: 'Done.' }];
    const server = await startModelServer(script);
    const ws = fs.mkdtempSync(path.join(home, 'ws-'));
    try {
      const args = ['exec', '--model', MODEL, '--base-url', server.url, '--wire', 'responses', '--sandbox', 'workspace-write', '--approval', 'never', '-C', ws, PROMPT];
      shown = shellLine(['OPENAI_API_KEY=…', 'node', rel(bin), ...args.map((a) => (a === server.url ? '<server>/v1' : a === ws ? '<ws>' : a))]);
      const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, OPENAI_API_KEY: 'tack-bench-not-a-secret' };
      const rep = await peakMem(process.execPath, [bin, ...args], { cwd: ws, env });
      const reqs = server.modelRequests();
      if (reqs.length !== STEPS + 1) throw new Error(`expected ${STEPS + 1} model requests, the server got ${reqs.length}`);
      if (server.mismatches.length) throw new Error(server.mismatches.join('; '));
      const gaps = turnarounds(reqs);
      // Steps 6-15 (after the first few, which include V8 warming up) and the last ten.
      early.push(...gaps.slice(5, 5 + WINDOW));
      late.push(...gaps.slice(-WINDOW));
      treePeaks.push(mb(rep.treePeakRssKb));
      procPeaks.push(mb(rep.maxProcessHwmKb));
      walls.push(rep.wallMs);
    } finally {
      await server.close();
      fs.rmSync(ws, { recursive: true, force: true });
    }
  }
  const e = median(early);
  const l = median(late);
  const tree = median(treePeaks);
  s.tables.push({
    headers: ['what', 'median', 'min–max', 'n'],
    numericFrom: 1,
    rows: [
      [`per-step overhead, steps 6–15`, `${fmt(e)} ms`, `${fmt(Math.min(...early))}–${fmt(Math.max(...early))}`, String(early.length)],
      [`per-step overhead, steps ${STEPS - WINDOW + 1}–${STEPS}`, `${fmt(l)} ms`, `${fmt(Math.min(...late))}–${fmt(Math.max(...late))}`, String(late.length)],
      ['whole session (wall)', `${fmt(median(walls))} ms`, `${fmt(Math.min(...walls))}–${fmt(Math.max(...walls))}`, String(walls.length)],
      ['peak RSS, process tree', `${fmt(tree)} MB`, '', String(treePeaks.length)],
      ['peak RSS, largest process', `${fmt(median(procPeaks))} MB`, '', String(procPeaks.length)],
    ],
  });
  const ratio = l / e;
  s.targets.push({
    what: `per-step overhead at step ${STEPS} vs step 10`,
    target: 'within 1.5x',
    actual: `${fmt(l)} vs ${fmt(e)} ms (${ratio.toFixed(2)}x)`,
    met: ratio <= 1.5,
    gap: ratio <= 1.5 ? undefined : `over by ${(ratio / 1.5).toFixed(2)}x: something per step grows with the history (prompt assembly, the session file, the history's conversion across the wasm boundary)`,
  });
  s.targets.push({
    what: `peak memory of a ${STEPS}-step session (process tree)`,
    target: '< 200 MB',
    actual: `${fmt(tree)} MB`,
    met: tree < 200,
    gap: tree < 200 ? undefined : `over by ${fmt(tree - 200)} MB`,
  });
  s.headline.push(`Long session (${STEPS} steps): ${fmt(e)} ms per step early, ${fmt(l)} ms at the end (${ratio.toFixed(2)}x); peak memory ${fmt(tree)} MB.`);
  s.notes.push(
    `One \`tack exec\` per run: ${STEPS} \`exec_command\` calls of \`echo step\` (no login shell) from the scripted model server, then a final answer; workspace-write sandbox, approval never. Per step: the server-observed time from the end of one response to the next request (its monotonic clock, to a fraction of a millisecond; the harness runs the command, records the step and builds the next request, whose history grows by two items a step). ${runs} run(s) under bench/lib/peakmem.py (process-tree RSS sampled every 2 ms).`,
  );
  s.commands.push(shown, 'node --import tsx bench/run.ts --only 9');
  s.raw = { steps: STEPS, early, late, treePeaks, procPeaks, walls };
  return s;
}
