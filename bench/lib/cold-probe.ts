// Times `tack exec` with no tool step against the scripted model server, split into start-up (spawn
// to the first model request) and wrap-up (the response's end to the process's exit), for node
// flags given on the command line. Interleaves the variants; medians over --n runs.
//   node --import tsx bench/lib/cold-probe.ts [--n 10] [--stages] [--cli extension/dist/cli.js] -- '' '--liftoff-only' 'TACK_WASM=/tmp/other.wasm' ...
// A variant word ending in .js runs that CLI bundle instead (an A/B of two builds).
// --stages: also the median time since the spawn at which each stage of the run was reached (the
// run's own TACK_TIMING=1 marks, host/agent/timing.ts, plus the server's view and the exit).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startModelServer } from '../../tests/model-server/server';

const argv = process.argv.slice(2);
let n = 10;
let cli = path.join(__dirname, '..', '..', 'extension', 'dist', 'cli.js');
const variants: string[] = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--n') n = Number(argv[++i]);
  else if (argv[i] === '--cli') cli = path.resolve(argv[++i]);
  else if (argv[i] === '--') {
    variants.push(...argv.slice(i + 1));
    break;
  }
}
if (variants.length === 0) variants.push('');

/** The stages a TACK_TIMING=1 run reports (host/agent/timing.ts), as ms since the spawn. */
function stagesOf(stderr: string, spawnedAt: number): Record<string, number> {
  const origin = Number(/^tack timing origin ([\d.]+)$/m.exec(stderr)?.[1] ?? NaN);
  const out: Record<string, number> = {};
  if (!Number.isFinite(origin)) return out;
  out['process started'] = origin - spawnedAt;
  for (const m of stderr.matchAll(/^tack timing ([\d.]+) (.+)$/gm)) if (m[2] !== 'origin') out[m[2]] = origin - spawnedAt + Number(m[1]);
  return out;
}

async function once(words: string[]): Promise<{ total: number; toFirst: number; afterLast: number; stages: Record<string, number> }> {
  // NAME=value words are environment variables for the run (TACK_WASM=... picks another module).
  const extraEnv = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
  // A word ending in .js is another build of the CLI to run (A/B of two bundles).
  const cliPath = words.find((w) => w.endsWith('.js')) ?? cli;
  const flags = words.filter((w) => !/^[A-Z_]+=/.test(w) && !w.endsWith('.js'));
  const server = await startModelServer([{ text: 'Done.' }]);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-cold-'));
  try {
    const t0 = Date.now();
    const tp0 = performance.now();
    const child = spawn(process.execPath, [...flags, cliPath, 'exec', '--model', 'gpt-5.1-codex', '--base-url', server.url, '--wire', 'responses', '--sandbox', 'workspace-write', '--approval', 'never', '-C', ws, 'hi'], {
      env: { ...process.env, TACK_TIMING: '1', ...extraEnv, OPENAI_API_KEY: 'not-a-secret', HOME: ws },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    const t1 = Date.now();
    if (code !== 0) throw new Error(`exit ${code}: ${err.slice(-500)}`);
    const reqs = server.modelRequests();
    const stages = stagesOf(err, performance.timeOrigin + tp0);
    stages['server: first request'] = reqs[0].receivedAt - t0;
    stages['server: response closed'] = (reqs[reqs.length - 1].closedAt ?? t1) - t0;
    stages['process exited'] = t1 - t0;
    return { total: t1 - t0, toFirst: reqs[0].receivedAt - t0, afterLast: t1 - (reqs[reqs.length - 1].closedAt ?? t1), stages };
  } finally {
    await server.close();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
void (async () => {
  const res = new Map<string, { total: number[]; toFirst: number[]; afterLast: number[]; stages: Map<string, number[]> }>();
  for (const v of variants) res.set(v, { total: [], toFirst: [], afterLast: [], stages: new Map() });
  for (const v of variants) await once(v.split(' ').filter(Boolean)); // warm-up
  for (let i = 0; i < n; i++) {
    for (const v of variants) {
      const r = await once(v.split(' ').filter(Boolean));
      const s = res.get(v)!;
      s.total.push(r.total);
      s.toFirst.push(r.toFirst);
      s.afterLast.push(r.afterLast);
      for (const [k, t] of Object.entries(r.stages)) s.stages.set(k, [...(s.stages.get(k) ?? []), t]);
    }
  }
  for (const [v, s] of res) {
    console.log(JSON.stringify({ flags: v, total: med(s.total), toFirst: med(s.toFirst), afterLast: med(s.afterLast), n }));
    if (argv.includes('--stages')) {
      // Median time since the spawn at which each stage was reached, in the order reached.
      const rows = [...s.stages].map(([k, ts]) => [k, med(ts)] as const).sort((a, b) => a[1] - b[1]);
      let prev = 0;
      for (const [k, t] of rows) {
        console.log(`  ${t.toFixed(1).padStart(7)} ms  (+${(t - prev).toFixed(1).padStart(5)})  ${k}`);
        prev = t;
      }
    }
  }
})();
