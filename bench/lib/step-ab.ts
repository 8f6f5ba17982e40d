// A/B of `tack exec`'s per-step overhead between builds, alternating them run by run on a shared,
// noisy machine: each run is section 1's script (`--steps` exec_command calls of `echo step`, then a
// final answer) against the scripted server, in a fresh workspace. Per build it prints the median
// server-observed turnaround over every step of every run (the first two steps of each run left
// out: they pay first-use costs) and, when `perf` is on PATH, the median CPU time of a whole run
// (`perf stat -e task-clock`: the CLI, its sidecar, the sandboxed commands), which load moves less
// than wall time.
//   node --import tsx bench/lib/step-ab.ts [--runs 10] [--steps 20] CLI_JS[,NAME=value...] CLI_JS[,...] ...
// A build is the path of a dist/cli.js (copy a build's extension/dist away to keep it); after a comma,
// environment variables for that build's runs.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startModelServer } from '../../tests/model-server/server';

const argv = process.argv.slice(2);
const opt = (name: string, d: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : d);
const runs = Number(opt('--runs', '10'));
const steps = Number(opt('--steps', '20'));
const builds = argv.filter((a, i) => !a.startsWith('--') && !argv[i - 1]?.startsWith('--'));
const hasPerf = spawnSync('perf', ['--version'], { stdio: 'ignore' }).status === 0;

const med = (a: number[]) => (a.length ? [...a].sort((x, y) => x - y)[a.length >> 1] : NaN);

async function once(build: string, home: string): Promise<{ gaps: number[]; cpuMs?: number }> {
  const [cli, ...vars] = build.split(',');
  const env = Object.fromEntries(vars.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
  const server = await startModelServer([{ toolCalls: [{ name: 'exec_command', arguments: { cmd: 'echo step', login: false } }], times: steps }, { text: 'Done.' }]);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-step-ab-'));
  const cpuFile = path.join(home, 'task-clock.csv');
  try {
    const tack = [process.execPath, path.resolve(cli), 'exec', '--model', 'gpt-5.1-codex', '--base-url', server.url, '--wire', 'responses', '--sandbox', 'workspace-write', '--approval', 'never', '-C', ws, 'Run the command the script asks for.'];
    const cmd = hasPerf ? ['perf', 'stat', '-x,', '-e', 'task-clock', '-o', cpuFile, ...tack] : tack;
    const child = spawn(cmd[0], cmd.slice(1), { env: { ...process.env, HOME: home, ...env, OPENAI_API_KEY: 'tack-bench-not-a-secret' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    if (code !== 0) throw new Error(`${cli} exited ${code}: ${err.slice(-500)}`);
    const reqs = server.modelRequests();
    if (reqs.length !== steps + 1) throw new Error(`${cli}: the server saw ${reqs.length} requests, not ${steps + 1}`);
    const gaps: number[] = [];
    for (let i = 3; i < reqs.length; i++) if (reqs[i - 1].closedAtHr !== undefined) gaps.push(reqs[i].receivedAtHr - reqs[i - 1].closedAtHr!);
    const line = hasPerf ? fs.readFileSync(cpuFile, 'utf8').split('\n').find((l) => l.includes('task-clock')) : undefined;
    return { gaps, cpuMs: line ? Number(line.split(',')[0]) : undefined };
  } finally {
    await server.close();
    fs.rmSync(ws, { recursive: true, force: true });
  }
}

void (async () => {
  if (builds.length === 0) throw new Error('give at least one build: the path of a dist/cli.js');
  const homes = builds.map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'tack-step-ab-home-')));
  const gaps: number[][] = builds.map(() => []);
  const cpu: number[][] = builds.map(() => []);
  try {
    // One warm-up run each: the state directory's code cache, the page cache.
    for (let k = 0; k < builds.length; k++) await once(builds[k], homes[k]);
    for (let i = 0; i < runs; i++) {
      // Alternate the order too, so neither build always runs right after the other.
      const order = i % 2 ? [...builds.keys()].reverse() : [...builds.keys()];
      for (const k of order) {
        const r = await once(builds[k], homes[k]);
        gaps[k].push(...r.gaps);
        if (r.cpuMs !== undefined) cpu[k].push(r.cpuMs);
      }
    }
  } finally {
    for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  }
  builds.forEach((b, k) => {
    const cpuText = cpu[k].length ? `; CPU a run (median of ${cpu[k].length}): ${med(cpu[k]).toFixed(1)} ms` : '';
    console.log(`${b}: per step ${med(gaps[k]).toFixed(3)} ms (median of ${gaps[k].length} steps)${cpuText}`);
  });
})();
