// 1. Agent step overhead: `tack exec` vs `codex exec` against the same scripted model server, the same
// script: no tool step (cold start) and 20 steps of `echo` (no login shell), both in their
// workspace-write sandbox. Wall time, per-step overhead, peak memory.
import fs from 'node:fs';
import path from 'node:path';
import { startModelServer, type ModelServer } from '../tests/model-server/server';
import type { ScriptedResponse } from '../tests/model-server/script';
import { type Ctx, findCodexBinary, mb, type MemReport, peakMem, rel, repoRoot, runTimed, shellLine, tackCliJs } from './lib/context';
import { section, type Section } from './lib/report';
import { fmt, fmtSummary, summarize, type Summary } from './lib/stats';

const MODEL = 'gpt-5.1-codex';
const PROMPT = 'Run the command the script asks for.';
const KEY = 'tack-bench-not-a-secret';

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

function tackHarness(home: string): Harness {
  fs.mkdirSync(home, { recursive: true });
  const bin = fs.existsSync(path.join(repoRoot, 'extension', 'bin', 'tack.js')) ? path.join(repoRoot, 'extension', 'bin', 'tack.js') : tackCliJs;
  return {
    name: 'tack exec',
    command(url, ws) {
      const args = ['exec', '--model', MODEL, '--base-url', url, '--wire', 'responses', '--sandbox', 'workspace-write', '--approval', 'never', '-C', ws, PROMPT];
      return {
        argv: [process.execPath, bin, ...args],
        env: { ...cleanEnv(home), OPENAI_API_KEY: KEY },
        shown: shellLine(['OPENAI_API_KEY=…', 'node', rel(bin), ...args.map((a) => (a === url ? '<server>/v1' : a === ws ? '<ws>' : a))]),
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

async function oneRun(h: Harness, steps: number, dir: string, mem: boolean): Promise<{ ms: number; mem?: MemReport; shown: string }> {
  const server = await startModelServer(script(steps));
  const ws = fs.mkdtempSync(path.join(dir, 'ws-'));
  try {
    const { argv, env, shown } = h.command(server.url, ws);
    if (mem) {
      const rep = await peakMem(argv[0], argv.slice(1), { cwd: ws, env });
      checkRun(server, steps, h.name, '');
      return { ms: rep.wallMs, mem: rep, shown };
    }
    const r = await runTimed(argv[0], argv.slice(1), { cwd: ws, env });
    if (r.code !== 0) throw new Error(`${h.name} exited ${r.code}: ${(r.stderr || r.stdout).slice(-800)}`);
    checkRun(server, steps, h.name, r.stdout + r.stderr);
    return { ms: r.ms, shown };
  } finally {
    await server.close();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

interface HarnessResult {
  name: string;
  cold?: Summary;
  steps?: Summary;
  perStepMs?: number;
  treePeakMb?: number;
  procPeakMb?: number;
  error?: string;
  shown?: string;
}

export async function agentBench(ctx: Ctx): Promise<Section> {
  const s = section('1', 'Agent step overhead: `tack exec` vs `codex exec`');
  const STEPS = 20;
  const reps = ctx.reps(10, 2);
  const memReps = ctx.reps(3, 1);
  const home = ctx.tmp('agent');
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
      // Interleaved, so a burst of load on the shared machine hits both cases alike.
      for (let i = 0; i < reps; i++) {
        cold.push((await oneRun(h, 0, home, false)).ms);
        steps.push((await oneRun(h, STEPS, home, false)).ms);
      }
      r.cold = summarize(cold);
      r.steps = summarize(steps);
      r.perStepMs = (r.steps.median - r.cold.median) / STEPS;
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
    } catch (e) {
      r.error = e instanceof Error ? e.message : String(e);
    }
  }

  const rows: string[][] = [];
  for (const r of results) {
    if (r.error || !r.cold || !r.steps) {
      rows.push([r.name, `not measured: ${r.error ?? 'unknown'}`, '', '', '', '', '', '']);
      continue;
    }
    rows.push([
      r.name,
      ...fmtSummary(r.cold).slice(0, 2),
      ...fmtSummary(r.steps).slice(0, 2),
      `${fmt(r.perStepMs!)} ms`,
      r.treePeakMb !== undefined ? `${fmt(r.treePeakMb)} MB` : '—',
      r.procPeakMb !== undefined ? `${fmt(r.procPeakMb)} MB` : '—',
    ]);
  }
  s.tables.push({
    headers: ['harness', 'cold start (0 steps)', 'min–max (ms)', `${STEPS} echo steps`, 'min–max (ms)', 'per step', 'peak RSS, process tree', 'peak RSS, largest process'],
    rows,
    numericFrom: 1,
  });
  s.raw = results;

  const tack = results.find((r) => r.name === 'tack exec');
  const codex = results.find((r) => r.name === 'codex exec');
  const both = tack?.cold && codex?.cold;
  if (!both) s.status = results.some((r) => r.cold) ? 'partial' : 'missing';
  const perStepRatio = both ? codex.perStepMs! / tack.perStepMs! : NaN;
  const coldRatio = both ? codex.cold!.median / tack.cold!.median : NaN;
  s.targets.push({
    what: 'per-step overhead vs Codex',
    target: '≥ 10x lower',
    actual: both ? `${fmt(tack.perStepMs!)} ms vs ${fmt(codex.perStepMs!)} ms (${fmt(perStepRatio)}x lower)` : 'not measured',
    met: both ? perStepRatio >= 10 : null,
    gap: both && perStepRatio < 10 ? `Short by ${fmt(10 / perStepRatio)}x: ${perStepGap(tack.perStepMs!, codex.perStepMs!)}` : undefined,
  });
  s.targets.push({
    what: 'cold start vs Codex',
    target: '≥ 2x faster',
    actual: both ? `${fmt(tack.cold!.median)} ms vs ${fmt(codex.cold!.median)} ms (${fmt(coldRatio)}x faster)` : 'not measured',
    met: both ? coldRatio >= 2 : null,
    gap:
      both && coldRatio < 2
        ? `Short by ${fmt(2 / coldRatio)}x. Most of Tack's cold start is Node's own start-up and loading the bundled CLI; a V8 snapshot of the CLI (node --snapshot-blob) or trimming what the CLI loads before the first request would close it.`
        : undefined,
  });
  const memBoth = tack?.treePeakMb !== undefined && codex?.treePeakMb !== undefined;
  s.targets.push({
    what: 'peak memory vs Codex (process tree)',
    target: 'lower',
    actual: memBoth ? `${fmt(tack!.treePeakMb!)} MB vs ${fmt(codex!.treePeakMb!)} MB` : 'not measured',
    met: memBoth ? tack!.treePeakMb! < codex!.treePeakMb! : null,
    gap:
      memBoth && tack!.treePeakMb! >= codex!.treePeakMb!
        ? `Over by ${fmt(tack!.treePeakMb! - codex!.treePeakMb!)} MB; Node's heap and the wasm module dominate. --max-semi-space-size and lazy-loading the parts a headless run does not use would lower it.`
        : undefined,
  });
  if (both) {
    s.headline.push(
      `Agent loop: per-step overhead ${fmt(tack.perStepMs!)} ms vs Codex CLI ${fmt(codex.perStepMs!)} ms (${fmt(perStepRatio)}x lower); cold start ${fmt(tack.cold!.median)} ms vs ${fmt(codex.cold!.median)} ms (${fmt(coldRatio)}x faster)` +
        (memBoth ? `; peak memory ${fmt(tack.treePeakMb!)} MB vs ${fmt(codex.treePeakMb!)} MB.` : '.'),
    );
  }
  s.notes.push(
    `Both harnesses talk to Tack's scripted model server (tests/model-server, in the benchmark's process, 127.0.0.1) serving the same script: ${STEPS} \`exec_command\` calls of \`echo step\` with \`login: false\`, then a final message; "cold start" is the same with no tool call. Each run gets a fresh workspace; every run is checked (the server must see ${STEPS + 1} requests and the last must carry ${STEPS} tool outputs containing the command's output).`,
    `Per step = (median ${STEPS}-step wall time − median cold-start wall time) / ${STEPS}: the harness's own work per step plus the command itself and a model round trip to a local server, which both pay alike.`,
    'Both run in their workspace-write sandbox: Tack through its sidecar (Landlock + seccomp), Codex through its bundled bubblewrap (user namespace + seccomp). Codex is run as its native binary (the npm `codex` launcher would add a Node process in front of it); Tack as `node extension/dist/cli.js`.',
    `Peak memory: bench/lib/peakmem.py samples the summed RSS of the whole process tree (harness, sidecar, sandbox helpers, commands) every 2 ms during a ${STEPS}-step run; median of ${memReps} runs. "Largest process" is the highest VmHWM of any one process.`,
    `Repetitions: ${reps} of each case per harness, interleaved, after one warm-up run (a warm state directory, as for someone who has used the tool before).`,
  );
  for (const r of results) if (r.shown) s.commands.push(r.shown);
  s.commands.push('node --import tsx bench/run.ts --only 1');
  return s;
}

function perStepGap(tack: number, codex: number): string {
  return `Tack needs ${fmt(tack)} ms a step against a goal of ${fmt(codex / 10)} ms. A step is one model request, the SSE stream through the wasm core, a sidecar exec and the result back; profile with --cpu-prof to see which dominates, keep the sidecar warm and avoid re-serialising the whole history on every step (hand the core only the new events).`;
}
