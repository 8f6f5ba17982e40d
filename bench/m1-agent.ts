// 1. Agent step overhead: `tack exec` vs `codex exec` against the same scripted model server, the same
// script: no tool step (cold start) and 20 steps of `echo` (no login shell), both in their
// workspace-write sandbox. Wall time, per-step overhead, peak memory.
import fs from 'node:fs';
import path from 'node:path';
import { startModelServer, type ModelServer } from '../tests/model-server/server';
import type { ScriptedResponse } from '../tests/model-server/script';
import { type Ctx, findCodexBinary, mb, type MemReport, peakMem, rel, repoRoot, runTimed, shellLine, tackCliJs } from './lib/context';
import { section, type Section } from './lib/report';
import { stepFloor } from './lib/step-floor';
import { coldStagesOf, STEP_PARTS, stepPartsOf } from './lib/timing-marks';
import { fmt, fmtSummary, lower, speedup, summarize, type Summary } from './lib/stats';

const MODEL = 'gpt-5.1-codex';
const PROMPT = 'Run the command the script asks for.';
const KEY = 'tack-bench-not-a-secret';
/**
 * The workspace of the "real-size" step runs: as many directories as a JavaScript project with its
 * node_modules commonly has (this repository's own node_modules holds about 2,400; larger projects
 * tens of thousands). Per-step costs that grow with the workspace show there, not in an empty one.
 */
const BIG_DIRS = 20_000;

/** `n` directories under `root`: n/100 folders of 99 subfolders each, and one file per folder. */
function dirTree(root: string, n: number): void {
  for (let i = 0; i < n / 100; i++) {
    for (let j = 0; j < 99; j++) fs.mkdirSync(path.join(root, `pkg${i}`, `sub${j}`), { recursive: true });
    fs.writeFileSync(path.join(root, `pkg${i}`, 'index.js'), 'module.exports = 1;\n');
  }
}

/** The same script for both harnesses: `steps` exec_command calls of `echo`, then a final answer. */
function script(steps: number): ScriptedResponse[] {
  const step: ScriptedResponse = {
    toolCalls: [{ name: 'exec_command', arguments: { cmd: 'echo step', login: false } }],
    times: steps,
  };
  return [...(steps > 0 ? [step] : []), { text: 'Done.' }];
}

interface Harness {
  name: string;
  /** argv and env for one run against the server at `url`, in workspace `ws`. */
  command(url: string, ws: string): { argv: string[]; env: NodeJS.ProcessEnv; shown: string };
}

/** Environment without the caller's model credentials, so no run can reach a real provider. */
function cleanEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(OPENAI|CODEX|TACK)_|API_KEY/i.test(k)) continue;
    env[k] = v;
  }
  env.HOME = home;
  return env;
}

function tackHarness(home: string, nodeFlags: string[] = [], extraEnv: NodeJS.ProcessEnv = {}): Harness {
  fs.mkdirSync(home, { recursive: true });
  const bin = fs.existsSync(path.join(repoRoot, 'extension', 'bin', 'tack.js')) ? path.join(repoRoot, 'extension', 'bin', 'tack.js') : tackCliJs;
  return {
    name: nodeFlags.length ? `tack exec (node ${nodeFlags.join(' ')})` : 'tack exec',
    command(url, ws) {
      const args = ['exec', '--model', MODEL, '--base-url', url, '--wire', 'responses', '--sandbox', 'workspace-write', '--approval', 'never', '-C', ws, PROMPT];
      return {
        argv: [process.execPath, ...nodeFlags, bin, ...args],
        env: { ...cleanEnv(home), ...extraEnv, OPENAI_API_KEY: KEY },
        shown: shellLine(['OPENAI_API_KEY=…', 'node', ...nodeFlags, rel(bin), ...args.map((a) => (a === url ? '<server>/v1' : a === ws ? '<ws>' : a))]),
      };
    },
  };
}

function codexHarness(bin: string, home: string): Harness {
  const codexHome = path.join(home, 'codex-home');
  fs.mkdirSync(codexHome, { recursive: true });
  return {
    name: 'codex exec',
    command(url, _ws) {
      // A custom Responses provider pointing at the scripted server; the key comes from env_key.
      fs.writeFileSync(
        path.join(codexHome, 'config.toml'),
        [
          `model = "${MODEL}"`,
          'model_provider = "tack_bench"',
          '',
          '[model_providers.tack_bench]',
          'name = "Tack bench"',
          `base_url = "${url}"`,
          'wire_api = "responses"',
          'env_key = "TACK_BENCH_KEY"',
          '',
        ].join('\n'),
      );
      const args = ['exec', '--skip-git-repo-check', '--sandbox', 'workspace-write', PROMPT];
      return {
        argv: [bin, ...args],
        env: { ...cleanEnv(home), CODEX_HOME: codexHome, TACK_BENCH_KEY: KEY },
        shown: shellLine(['CODEX_HOME=<tmp>', 'TACK_BENCH_KEY=…', rel(bin), ...args]),
      };
    },
  };
}

/** Checks that the run really went through every step: the last request carries every tool output. */
function checkRun(server: ModelServer, steps: number, who: string, out: string): void {
  const reqs = server.modelRequests();
  if (reqs.length !== steps + 1) {
    throw new Error(`${who}: expected ${steps + 1} model requests, the server got ${reqs.length}. Output: ${out.slice(-600)}`);
  }
  if (server.mismatches.length) throw new Error(`${who}: ${server.mismatches.join('; ')}`);
  const last = reqs[reqs.length - 1].body as { input?: { type?: string; output?: unknown }[] };
  const outputs = (last.input ?? []).filter((i) => i.type === 'function_call_output');
  if (outputs.length !== steps) throw new Error(`${who}: the last request carries ${outputs.length} tool outputs, expected ${steps}`);
  const withEcho = outputs.filter((o) => JSON.stringify(o.output).includes('step'));
  if (withEcho.length !== steps) throw new Error(`${who}: ${steps - withEcho.length} tool outputs lack the command's output`);
}

/**
 * The harness's turnaround on each step, as the server saw it: from the end of one model response to
 * the arrival of the next request (the harness handles the tool call, runs the command, builds the
 * next request and sends it). The server's monotonic clock, to a fraction of a millisecond (its
 * epoch-millisecond timestamps would round each step to whole milliseconds).
 */
function turnarounds(server: ModelServer): number[] {
  const reqs = server.modelRequests();
  const out: number[] = [];
  for (let i = 1; i < reqs.length; i++) {
    const prevEnd = reqs[i - 1].closedAtHr;
    if (prevEnd !== undefined) out.push(reqs[i].receivedAtHr - prevEnd);
  }
  return out;
}

interface OneRun {
  ms: number;
  gaps: number[];
  /** From spawning the harness to its first model request arriving (start-up). */
  toFirstMs: number;
  /** From the last model response's end to the harness's exit (wrap-up). */
  afterLastMs: number;
  mem?: MemReport;
  shown: string;
  stderr?: string;
  spawnedAt?: number;
}

function phases(server: ModelServer, spawnedAt: number): { toFirstMs: number; afterLastMs: number } {
  const reqs = server.modelRequests();
  const exitedAt = Date.now();
  return { toFirstMs: reqs[0].receivedAt - spawnedAt, afterLastMs: exitedAt - (reqs[reqs.length - 1].closedAt ?? exitedAt) };
}

/** One run in a fresh workspace under `dir`, or in `given` (kept). */
async function oneRun(h: Harness, steps: number, dir: string, mem: boolean, given?: string): Promise<OneRun> {
  const server = await startModelServer(script(steps));
  const ws = given ?? fs.mkdtempSync(path.join(dir, 'ws-'));
  try {
    const { argv, env, shown } = h.command(server.url, ws);
    const spawnedAt = Date.now();
    if (mem) {
      const rep = await peakMem(argv[0], argv.slice(1), { cwd: ws, env });
      checkRun(server, steps, h.name, '');
      return { ms: rep.wallMs, gaps: turnarounds(server), ...phases(server, spawnedAt), mem: rep, shown };
    }
    const r = await runTimed(argv[0], argv.slice(1), { cwd: ws, env });
    if (r.code !== 0) throw new Error(`${h.name} exited ${r.code}: ${(r.stderr || r.stdout).slice(-800)}`);
    checkRun(server, steps, h.name, r.stdout + r.stderr);
    return { ms: r.ms, gaps: turnarounds(server), ...phases(server, spawnedAt), shown, stderr: r.stderr, spawnedAt };
  } finally {
    await server.close();
    if (!given) fs.rmSync(ws, { recursive: true, force: true });
  }
}

interface HarnessResult {
  name: string;
  cold?: Summary;
  steps?: Summary;
  /** Median over every step of every run of the server-observed turnaround. */
  perStepMs?: number;
  turnaround?: Summary;
  /** (median 20-step wall − median cold wall) / 20: the same quantity, estimated from wall times. */
  perStepByWallMs?: number;
  /** Cold runs: spawn -> first request, and last response -> exit. */
  toFirst?: Summary;
  afterLast?: Summary;
  treePeakMb?: number;
  procPeakMb?: number;
  /** Turnaround per step in the workspace of BIG_DIRS directories (every step of `bigReps` runs). */
  bigTurnaround?: Summary;
  error?: string;
  shown?: string;
}

/** Node's own start (`node -e 0`), and without NODE_EXTRA_CA_CERTS where the environment sets it. */
interface NodeStart {
  withEnv: Summary;
  /** The variable's value (a path), when set. */
  extraCa?: string;
  without?: Summary;
  /** Tack's cold start with the variable removed. */
  tackColdWithout?: Summary;
}

export async function agentBench(ctx: Ctx): Promise<Section> {
  const s = section('1', 'Agent step overhead: `tack exec` vs `codex exec`');
  const STEPS = 20;
  const reps = ctx.reps(10, 2);
  const memReps = ctx.reps(3, 1);
  const bigReps = ctx.reps(3, 1);
  const home = ctx.tmp('agent');
  const bigWs = path.join(ctx.tmp('agent-big'), 'ws');
  dirTree(bigWs, BIG_DIRS);
  const codexBin = findCodexBinary();
  const harnesses: Harness[] = [];
  const results: HarnessResult[] = [];
  if (fs.existsSync(tackCliJs)) harnesses.push(tackHarness(path.join(home, 'tack')));
  else results.push({ name: 'tack exec', error: `${rel(tackCliJs)} is not built` });
  if (codexBin) harnesses.push(codexHarness(codexBin, path.join(home, 'codex')));
  else results.push({ name: 'codex exec', error: 'the Codex CLI is not installed in .bench/ (npm run bench installs it)' });

  for (const h of harnesses) {
    const r: HarnessResult = { name: h.name };
    results.push(r);
    try {
      // One untimed run each first: the page cache and the harness's own state directory are warm,
      // as for a person who has run it before.
      ctx.log(`${h.name}: warm-up`);
      r.shown = (await oneRun(h, STEPS, home, false)).shown;
      const cold: number[] = [];
      const steps: number[] = [];
      const gaps: number[] = [];
      const toFirst: number[] = [];
      const afterLast: number[] = [];
      // Interleaved, so a burst of load on the shared machine hits both cases alike.
      for (let i = 0; i < reps; i++) {
        const c = await oneRun(h, 0, home, false);
        cold.push(c.ms);
        toFirst.push(c.toFirstMs);
        afterLast.push(c.afterLastMs);
        const run = await oneRun(h, STEPS, home, false);
        steps.push(run.ms);
        gaps.push(...run.gaps);
      }
      r.cold = summarize(cold);
      r.steps = summarize(steps);
      r.turnaround = summarize(gaps);
      r.toFirst = summarize(toFirst);
      r.afterLast = summarize(afterLast);
      r.perStepMs = r.turnaround.median;
      r.perStepByWallMs = (r.steps.median - r.cold.median) / STEPS;
      ctx.log(`${h.name}: cold ${fmt(r.cold.median)} ms, ${STEPS} steps ${fmt(r.steps.median)} ms; memory runs`);
      const tree: number[] = [];
      const proc: number[] = [];
      for (let i = 0; i < memReps; i++) {
        const m = (await oneRun(h, STEPS, home, true)).mem!;
        tree.push(mb(m.treePeakRssKb));
        proc.push(mb(m.maxProcessHwmKb));
      }
      r.treePeakMb = summarize(tree).median;
      r.procPeakMb = summarize(proc).median;
      // The same steps in a workspace of real size. Each run is a new process, so nothing it learned
      // about the workspace in an earlier run helps it.
      ctx.log(`${h.name}: ${STEPS} steps in a workspace of ${BIG_DIRS.toLocaleString('en-US')} directories`);
      const bigGaps: number[] = [];
      for (let i = 0; i < bigReps; i++) bigGaps.push(...(await oneRun(h, STEPS, home, false, bigWs)).gaps);
      r.bigTurnaround = summarize(bigGaps);
    } catch (e) {
      r.error = e instanceof Error ? e.message : String(e);
    }
  }

  // An experiment for the report's "what would close the gap": the same cold start with V8 compiling
  // the wasm core with its baseline compiler only (no optimising tier to finish before exit).
  let liftoff: { cold: Summary; afterLast: Summary; toFirst: Summary } | undefined;
  const tackMain = results.find((r) => r.name === 'tack exec' && r.cold);
  if (tackMain) {
    try {
      const h = tackHarness(path.join(home, 'tack'), ['--liftoff-only']);
      const cold: number[] = [];
      const afterLast: number[] = [];
      const toFirst: number[] = [];
      for (let i = 0; i < reps; i++) {
        const c = await oneRun(h, 0, home, false);
        cold.push(c.ms);
        afterLast.push(c.afterLastMs);
        toFirst.push(c.toFirstMs);
      }
      liftoff = { cold: summarize(cold), afterLast: summarize(afterLast), toFirst: summarize(toFirst) };
    } catch (e) {
      s.notes.push(`The --liftoff-only experiment failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // Node's own start, which every `tack exec` pays before its first line runs: `node -e 0` in the
  // harness's environment. Node 20 builds its whole root certificate store at start when
  // NODE_EXTRA_CA_CERTS is set (any file, even one certificate), not on the first TLS connection;
  // where the environment sets it, the same start and Tack's cold start are measured without it too.
  let nodeStart: NodeStart | undefined;
  if (tackMain) {
    try {
      const env = cleanEnv(path.join(home, 'tack'));
      const extraCa = env.NODE_EXTRA_CA_CERTS;
      const bare = { ...env };
      delete bare.NODE_EXTRA_CA_CERTS;
      const start = async (e: NodeJS.ProcessEnv) => {
        const ms: number[] = [];
        for (let i = 0; i < reps + 1; i++) {
          const r = await runTimed(process.execPath, ['-e', '0'], { env: e });
          if (r.code !== 0) throw new Error(`node -e 0 exited ${r.code}: ${r.stderr.slice(-300)}`);
          if (i > 0) ms.push(r.ms);
        }
        return summarize(ms);
      };
      nodeStart = { withEnv: await start(env) };
      if (extraCa) {
        nodeStart.extraCa = extraCa;
        nodeStart.without = await start(bare);
        const h = tackHarness(path.join(home, 'tack'), [], { NODE_EXTRA_CA_CERTS: undefined });
        const cold: number[] = [];
        for (let i = 0; i < reps; i++) cold.push((await oneRun(h, 0, home, false)).ms);
        nodeStart.tackColdWithout = summarize(cold);
      }
    } catch (e) {
      s.notes.push(`The measurement of Node's own start failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // Where Tack's time goes, from its own stage marks (TACK_TIMING=1; extension/src/host/agent/timing.ts):
  // extra runs, so the timed runs above carry no instrumentation.
  let stages: { name: string; at: number }[] | undefined;
  let stepParts: { name: string; ms: number }[] | undefined;
  let coreHandle: number | undefined;
  let floor: { exec: number; request: number; both: number } | undefined;
  if (tackMain) {
    try {
      const h = tackHarness(path.join(home, 'tack'), [], { TACK_TIMING: '1' });
      const byStage = new Map<string, number[]>();
      for (let i = 0; i < reps; i++) {
        const c = await oneRun(h, 0, home, false);
        for (const [k, v] of coldStagesOf(c.stderr ?? '', c.spawnedAt ?? 0)) byStage.set(k, [...(byStage.get(k) ?? []), v]);
        byStage.set('process exited (as the benchmark saw it)', [...(byStage.get('process exited (as the benchmark saw it)') ?? []), c.ms]);
      }
      stages = [...byStage].filter(([, v]) => v.length >= reps / 2).map(([name, v]) => ({ name, at: summarize(v).median })).sort((a, b) => a.at - b.at);
      const run = await oneRun(h, STEPS, home, false);
      const { parts, totals } = stepPartsOf(run.stderr ?? '');
      stepParts = STEP_PARTS.map(([, , name]) => ({ name, ms: parts.get(name)?.length ? summarize(parts.get(name)!).median : NaN })).filter((p) => Number.isFinite(p.ms));
      const handle = [...totals].filter(([k]) => k.startsWith('core.handle '));
      if (handle.length) coreHandle = handle.reduce((sum, [, v]) => sum + summarize(v).median, 0);
      floor = await stepFloor(ctx.reps(30, 10));
    } catch (e) {
      s.notes.push(`The stage breakdown (TACK_TIMING=1 runs) failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const rows: string[][] = [];
  for (const r of results) {
    if (r.error || !r.cold || !r.steps) {
      rows.push([r.name, `not measured: ${r.error ?? 'unknown'}`, '', '', '', '', '', '', '']);
      continue;
    }
    rows.push([
      r.name,
      ...fmtSummary(r.cold).slice(0, 2),
      ...fmtSummary(r.steps).slice(0, 2),
      `${fmt(r.perStepMs!)} ms (${fmt(r.turnaround!.min)}–${fmt(r.turnaround!.max)})`,
      `${fmt(r.perStepByWallMs!)} ms`,
      r.treePeakMb !== undefined ? `${fmt(r.treePeakMb)} MB` : '—',
      r.procPeakMb !== undefined ? `${fmt(r.procPeakMb)} MB` : '—',
    ]);
  }
  s.tables.push({
    headers: ['harness', 'cold start (0 steps)', 'min–max (ms)', `${STEPS} echo steps`, 'min–max (ms)', 'per step (turnaround)', 'per step (from wall times)', 'peak RSS, process tree', 'peak RSS, largest process'],
    rows,
    numericFrom: 1,
  });
  const measured = results.filter((r) => r.toFirst && r.afterLast && r.cold);
  if (measured.length) {
    s.tables.push({
      caption: 'Where a cold start goes (0-step runs, server-observed, millisecond clock):',
      headers: ['harness', 'cold start (median)', 'spawn → first model request (median)', 'last response → process exit (median)'],
      rows: measured.map((r) => [r.name, `${fmt(r.cold!.median)} ms`, `${fmt(r.toFirst!.median)} ms`, `${fmt(r.afterLast!.median)} ms`]),
      numericFrom: 1,
    });
  }
  if (stages?.length) {
    let prev = 0;
    s.tables.push({
      caption: `Where Tack's cold start goes, by its own stage marks (TACK_TIMING=1, ${reps} extra 0-step runs; median time since the spawn at which each stage was reached):`,
      headers: ['stage', 'since spawn (median)', 'since the previous stage'],
      rows: stages.map((st) => {
        const row = [st.name, `${fmt(st.at)} ms`, `+${fmt(Math.max(0, st.at - prev))} ms`];
        prev = st.at;
        return row;
      }),
      numericFrom: 1,
    });
  }
  const bigMeasured = results.filter((r) => r.bigTurnaround && r.turnaround);
  if (bigMeasured.length) {
    s.tables.push({
      caption: `Per step in a workspace of ${BIG_DIRS.toLocaleString('en-US')} directories (${bigReps} runs of ${STEPS} steps each, every step's turnaround), next to the empty workspace above:`,
      headers: ['harness', 'per step, empty workspace', `per step, ${BIG_DIRS.toLocaleString('en-US')} directories`, 'min–max (ms)', 'difference'],
      rows: bigMeasured.map((r) => [
        r.name,
        `${fmt(r.perStepMs!)} ms`,
        `${fmt(r.bigTurnaround!.median)} ms`,
        `${fmt(r.bigTurnaround!.min)}–${fmt(r.bigTurnaround!.max)}`,
        `${r.bigTurnaround!.median >= r.perStepMs! ? '+' : ''}${fmt(r.bigTurnaround!.median - r.perStepMs!)} ms`,
      ]),
      numericFrom: 1,
    });
  }
  if (stepParts?.length) {
    s.tables.push({
      caption: `Where a Tack step goes (TACK_TIMING=1, one extra ${STEPS}-step run, steps 3 to ${STEPS}; medians), and the floor:`,
      headers: ['part of a step', 'median'],
      rows: [
        ...stepParts.map((p) => [p.name, `${fmt(p.ms)} ms`]),
        ...(coreHandle !== undefined ? [['  of which in the wasm core (handle, all events of a step)', `${fmt(coreHandle)} ms`]] : []),
        ...(floor
          ? [
              ['floor: sandboxed `echo` through the sidecar (in process, warm)', `${fmt(floor.exec)} ms`],
              ['floor: one loopback model request read to its end (warm connection)', `${fmt(floor.request)} ms`],
              ['floor: both', `${fmt(floor.both)} ms`],
            ]
          : []),
      ],
      numericFrom: 1,
    });
  }
  s.raw = results;

  const tack = results.find((r) => r.name === 'tack exec');
  const codex = results.find((r) => r.name === 'codex exec');
  const both = tack?.cold && codex?.cold;
  if (!both) s.status = results.some((r) => r.cold) ? 'partial' : 'missing';
  const perStepRatio = both ? codex.perStepMs! / tack.perStepMs! : NaN;
  const coldRatio = both ? codex.cold!.median / tack.cold!.median : NaN;
  s.targets.push({
    what: 'per-step overhead vs Codex',
    // Issue 16 raised it from 10x: about 7 ms here, near the floor (a sandboxed echo plus a loopback request).
    target: '≥ 20x lower',
    actual: both ? `${fmt(tack.perStepMs!)} ms vs ${fmt(codex.perStepMs!)} ms (${lower(codex.perStepMs!, tack.perStepMs!)})` : 'not measured',
    met: both ? perStepRatio >= 20 : null,
    gap: both && perStepRatio < 20 ? `Short by ${fmt(20 / perStepRatio)}x: ${perStepGap(tack.perStepMs!, codex.perStepMs!, stepParts, coreHandle, floor)}` : undefined,
  });
  s.targets.push({
    what: 'cold start vs Codex',
    target: '≥ 2x faster',
    actual: both ? `${fmt(tack.cold!.median)} ms vs ${fmt(codex.cold!.median)} ms (${speedup(codex.cold!.median, tack.cold!.median)})` : 'not measured',
    met: both ? coldRatio >= 2 : null,
    gap: both && coldRatio < 2 ? coldGap(tack, codex, liftoff, stages, nodeStart) : undefined,
  });
  const memBoth = tack?.treePeakMb !== undefined && codex?.treePeakMb !== undefined;
  s.targets.push({
    what: 'peak memory vs Codex (process tree)',
    target: 'lower',
    actual: memBoth ? `${fmt(tack!.treePeakMb!)} MB vs ${fmt(codex!.treePeakMb!)} MB` : 'not measured',
    met: memBoth ? tack!.treePeakMb! < codex!.treePeakMb! : null,
    gap:
      memBoth && tack!.treePeakMb! >= codex!.treePeakMb!
        ? `Over by ${fmt(tack!.treePeakMb! - codex!.treePeakMb!)} MB.`
        : undefined,
  });
  if (both) {
    s.headline.push(
      `Agent loop: per-step overhead ${fmt(tack.perStepMs!)} ms vs Codex CLI ${fmt(codex.perStepMs!)} ms (${lower(codex.perStepMs!, tack.perStepMs!)}); cold start ${fmt(tack.cold!.median)} ms vs ${fmt(codex.cold!.median)} ms (${speedup(codex.cold!.median, tack.cold!.median)})` +
        (memBoth ? `; peak memory ${fmt(tack.treePeakMb!)} MB vs ${fmt(codex.treePeakMb!)} MB.` : '.'),
    );
  }
  s.notes.push(
    `Both harnesses talk to Tack's scripted model server (tests/model-server, in the benchmark's process, 127.0.0.1) serving the same script: ${STEPS} \`exec_command\` calls of \`echo step\` with \`login: false\`, then a final message; "cold start" is the same with no tool call. Each run gets a fresh workspace; every run is checked (the server must see ${STEPS + 1} requests and the last must carry ${STEPS} tool outputs containing the command's output).`,
    `Per step (turnaround): for every step of every timed run, the time from the end of one model response to the arrival of the next request, as the server saw it (its monotonic clock, \`performance.now()\`, to a fraction of a millisecond): the harness parses the tool call, runs \`echo\` in its sandbox, builds the next request and sends it. The median over all steps is the per-step overhead used for the target. "From wall times" is (median ${STEPS}-step run − median cold start) / ${STEPS}, the same quantity estimated more noisily; both include the command itself, which both harnesses pay alike.`,
    'Both run in their workspace-write sandbox: Tack through its sidecar (Landlock + seccomp), Codex through its bundled bubblewrap (user namespace + seccomp). Codex is run as its native binary (the npm `codex` launcher would add a Node process in front of it); Tack as `node extension/dist/cli.js` (a small loader that loads the CLI bundle, dist/chunks/cli-main.js, through the V8 code cache the warm-up run left in the state directory).',
    `Peak memory: bench/lib/peakmem.py samples the summed RSS of the whole process tree (harness, sidecar, sandbox helpers, commands) every 2 ms during a ${STEPS}-step run; median of ${memReps} runs. "Largest process" is the highest VmHWM of any one process.`,
    `Repetitions: ${reps} of each case per harness, interleaved, after one warm-up run (a warm state directory, as for someone who has used the tool before).`,
    `Real-size workspace: the same ${STEPS}-step script in one workspace of ${BIG_DIRS.toLocaleString('en-US')} directories (${BIG_DIRS / 100} folders of 99 subfolders, as many as a JavaScript project with its node_modules commonly has), ${bigReps} runs per harness, each a new process. Not a target of its own: it shows whether a step's cost grows with the workspace. In workspace-write Tack's sidecar looks for \`.git\` entries in the whole workspace before and after every command (SECURITY.md, the .git rule), so its first step there pays a full walk; Codex's sandbox keeps only each writable root's top-level \`.git\` read-only and does not walk the workspace.`,
  );
  // Said in the cold start's gap when that target is missed; otherwise here.
  if (nodeStart && both && coldRatio >= 2) s.notes.push(nodeStartText(nodeStart, codex));
  for (const r of results) if (r.shown) s.commands.push(r.shown);
  s.commands.push('node --import tsx bench/run.ts --only 1');
  return s;
}

function coldGap(
  tack: HarnessResult,
  codex: HarnessResult,
  liftoff?: { cold: Summary; afterLast: Summary; toFirst: Summary },
  stages?: { name: string; at: number }[],
  node?: NodeStart,
): string {
  const need = codex.cold!.median / 2;
  let text =
    `Short by ${fmt(tack.cold!.median - need)} ms (goal ${fmt(need)} ms). Of Tack's ${fmt(tack.cold!.median)} ms, ${fmt(tack.toFirst!.median)} ms pass before its first model request ` +
    `(Codex: ${fmt(codex.toFirst!.median)} ms) and ${fmt(tack.afterLast!.median)} ms between the end of the last response and the process's exit (Codex: ${fmt(codex.afterLast!.median)} ms).`;
  if (stages && stages.length > 1) {
    // The largest steps between consecutive stages, from the breakdown table.
    const steps = stages.map((st, i) => ({ to: st.name, from: i === 0 ? 'the spawn' : stages[i - 1].name, ms: st.at - (i === 0 ? 0 : stages[i - 1].at) }));
    const top = [...steps].sort((a, b) => b.ms - a.ms).slice(0, 4);
    text += ` The largest stretches (stage marks): ${top.map((t) => `${fmt(t.ms)} ms from ${t.from} to ${t.to}`).join('; ')}.`;
    if (top.some((t) => t.to === 'model request')) {
      text +=
        ' From session ready to model request is the first userInput in the core, mostly V8 compiling the functions it calls on their first call (wasm functions compile lazily, on the main thread): the build keeps functions with one caller separate past 200 bytes (scripts/build.mjs), so a 0-step turn compiles 164 KB of function bodies, not 245 KB (measured 2026-11-30).' +
        ' Measured and not adopted (2026-11-30): compiling the module in the background from the CLI loader (WebAssembly.compile at start) gained nothing measurable, since with lazy compilation the compile itself is about 5 ms; compiling every function up front (--no-wasm-lazy-compilation) costs about 40 ms of CPU and was slower.';
    }
  }
  if (node) text += ` ${nodeStartText(node, codex)}`;
  if (liftoff) {
    const saved = tack.afterLast!.median - liftoff.afterLast.median;
    text +=
      ` With \`node --liftoff-only\` (V8's baseline wasm compiler only) the wait before exit is ${fmt(liftoff.afterLast.median)} ms and the cold start ${fmt(liftoff.cold.median)} ms` +
      (saved > 5
        ? `: V8's optimising wasm compiles still hold the exit back by about ${fmt(saved)} ms.`
        : ', no better: the CLI already raises V8\'s wasm tiering budget (extension/src/cli/v8-tuning.ts), so a short run exits on baseline code, while a long one still optimises its hot paths (liftoff-only would slow prompt assembly on long histories).');
  }
  return text;
}

function perStepGap(
  tack: number,
  codex: number,
  parts?: { name: string; ms: number }[],
  coreHandle?: number,
  floor?: { exec: number; request: number; both: number },
): string {
  let text = `Tack needs ${fmt(tack)} ms a step against a goal of ${fmt(codex / 20)} ms.`;
  if (parts?.length) {
    text += ` By its stage marks a step is: ${parts.map((p) => `${p.name} ${fmt(p.ms)} ms`).join('; ')}`;
    text += coreHandle !== undefined ? ` (the wasm core's handle calls take ${fmt(coreHandle)} ms of a step in all).` : '.';
  }
  if (floor) {
    text +=
      ` The floor, a sandboxed \`echo\` through the sidecar plus one loopback request, is ${fmt(floor.both)} ms here (${fmt(floor.exec)} + ${fmt(floor.request)} ms)` +
      (floor.both >= codex / 20
        ? `, itself above the goal: the sandboxed command's round trip (section 2) is what a step is made of, and the host's own parts are the small rows above.`
        : `, so ${fmt(Math.max(0, tack - floor.both))} ms of a step is above the floor.`);
  }
  return text;
}

/** What Node's own start costs here, for the cold-start rows. */
function nodeStartText(node: NodeStart, codex: HarnessResult): string {
  let text = `Node's own start (\`node -e 0\`, the same environment) takes ${fmt(node.withEnv.median)} ms of Tack's cold start here.`;
  if (node.extraCa && node.without) {
    text +=
      ` This machine sets NODE_EXTRA_CA_CERTS (${node.extraCa}), and Node 20 then builds its whole root certificate store while it starts instead of at the first TLS connection: without the variable Node starts in ${fmt(node.without.median)} ms` +
      (node.tackColdWithout
        ? ` and Tack's cold start is ${fmt(node.tackColdWithout.median)} ms (${speedup(codex.cold!.median, node.tackColdWithout.median)} than Codex's ${fmt(codex.cold!.median)} ms).`
        : '.') +
      ' Tack cannot unset it from inside the process (Node has read it before the CLI runs), and a person behind a TLS-inspecting proxy needs it for the model server, so the target is measured with the environment as it is.';
  }
  return text;
}
