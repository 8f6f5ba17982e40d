// Splits `tack exec`'s per-step overhead into its parts, from the run's own TACK_TIMING=1 marks
// (extension/src/host/agent/timing.ts) in one process per run: `--steps` exec_command calls of
// `echo step` (as section 1), then a final answer. Prints the median of each part over every step of
// every run (the first two steps of each run are left out: they pay first-use costs), and the totals
// the run reports per step (time in the core's handle per event type, session-file writes).
// Then the floor a step cannot go under: the same sandboxed `echo` through the sidecar (the argv the
// core builds for exec_command with login false) plus one loopback model request read to its end.
//   node --import tsx bench/lib/step-probe.ts [--n 3] [--steps 20] [--cli extension/dist/cli.js] [--tail K] [--node=FLAG ...] [-- ENV=value ...]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startModelServer } from '../../tests/model-server/server';
import type { ScriptedResponse } from '../../tests/model-server/script';
import { stepFloor } from './step-floor';
import { stepPartsOf } from './timing-marks';

const argv = process.argv.slice(2);
const opt = (name: string, d: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : d);
const n = Number(opt('--n', '3'));
const steps = Number(opt('--steps', '20'));
/** Only the last K steps of each run (a long session's late steps); default: all but the first two. */
const tail = Number(opt('--tail', '0'));
const cli = path.resolve(opt('--cli', path.join(__dirname, '..', '..', 'extension', 'dist', 'cli.js')));
/** Node/V8 flags for the CLI process (`--node=--liftoff-only`, repeatable). */
const nodeFlags = argv.filter((a) => a.startsWith('--node=')).map((a) => a.slice('--node='.length));
const extraEnv = Object.fromEntries((argv.includes('--') ? argv.slice(argv.indexOf('--') + 1) : []).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));

/** The parts of a step, each from one mark to the next (in the order a step reaches them). */
const PARTS: [string, string, string][] = [
  ['model stream ended', 'exec effect', 'stream end → exec effect (the core turns the response into a command)'],
  ['exec effect', 'exec: checkpoint ready', 'checkpoint before the first command that may write'],
  ['exec: checkpoint ready', 'exec: started (sidecar answered)', 'sidecar exec/start round trip (git guard scan, spawn in the sandbox)'],
  ['exec: started (sidecar answered)', 'exec: exited', 'the command runs and its exit is reported (git guard scan after)'],
  ['exec: exited', 'model request', 'exit → next request (the core records the output and builds the request)'],
  ['model request', 'request written', 'request serialised and written to the socket'],
  ['request written', 'response headers', 'the server answers (headers)'],
  ['response headers', 'first model event', 'first SSE event parsed'],
  ['first model event', 'model stream ended', 'the rest of the response streamed through the core'],
];

const med = (a: number[]) => (a.length ? [...a].sort((x, y) => x - y)[a.length >> 1] : NaN);

async function once(home: string): Promise<{ parts: Map<string, number[]>; totals: Map<string, number[]>; turnaround: number[] }> {
  const step: ScriptedResponse = { toolCalls: [{ name: 'exec_command', arguments: { cmd: 'echo step', login: false } }], times: steps };
  const server = await startModelServer([step, { text: 'Done.' }]);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-step-'));
  try {
    const child = spawn(process.execPath, [...nodeFlags, cli, 'exec', '--model', 'gpt-5.1-codex', '--base-url', server.url, '--wire', 'responses', '--sandbox', 'workspace-write', '--approval', 'never', '-C', ws, 'Run the command the script asks for.'], {
      env: { ...process.env, HOME: home, ...extraEnv, TACK_TIMING: '1', OPENAI_API_KEY: 'not-a-secret' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    if (code !== 0) throw new Error(`exit ${code}: ${err.slice(-500)}`);
    if (server.modelRequests().length !== steps + 1) throw new Error(`the server saw ${server.modelRequests().length} requests, not ${steps + 1}`);
    // Each part's duration per step, and the core's per-step totals, after the first two steps.
    const { parts, totals } = stepPartsOf(err, 2, PARTS);
    const reqs = server.modelRequests();
    let turnaround: number[] = [];
    for (let i = 3; i < reqs.length; i++) if (reqs[i - 1].closedAtHr !== undefined) turnaround.push(reqs[i].receivedAtHr - reqs[i - 1].closedAtHr!);
    if (tail > 0) {
      for (const [k, v] of parts) parts.set(k, v.slice(-tail));
      for (const [k, v] of totals) totals.set(k, v.slice(-tail));
      turnaround = turnaround.slice(-tail);
    }
    return { parts, totals, turnaround };
  } finally {
    await server.close();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

void (async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-step-home-'));
  const parts = new Map<string, number[]>();
  const totals = new Map<string, number[]>();
  const turnaround: number[] = [];
  await once(home); // warm-up: state directory, code cache, page cache
  for (let i = 0; i < n; i++) {
    const r = await once(home);
    for (const [k, v] of r.parts) parts.set(k, [...(parts.get(k) ?? []), ...v]);
    for (const [k, v] of r.totals) totals.set(k, [...(totals.get(k) ?? []), ...v]);
    turnaround.push(...r.turnaround);
  }
  fs.rmSync(home, { recursive: true, force: true });
  console.log(`per step, server-observed turnaround (end of response → next request): ${med(turnaround).toFixed(1)} ms (n=${turnaround.length})`);
  let sum = 0;
  for (const [, , name] of PARTS) {
    const m = med(parts.get(name) ?? []);
    if (Number.isFinite(m)) sum += m;
    console.log(`  ${m.toFixed(2).padStart(7)} ms  ${name}`);
  }
  console.log(`  ${sum.toFixed(2).padStart(7)} ms  (sum of the medians)`);
  console.log('per step, totals inside the parts above:');
  for (const [k, v] of [...totals].sort()) console.log(`  ${med(v).toFixed(2).padStart(7)} ms  ${k}`);
  const f = await stepFloor(30);
  console.log(`floor (in process, n=30): sandboxed echo through the sidecar ${f.exec.toFixed(2)} ms + loopback request read to its end ${f.request.toFixed(2)} ms = ${f.both.toFixed(2)} ms`);
})();
