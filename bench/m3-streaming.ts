// 3. Output streaming: 256 MB through the sidecar to a reading client, PTY and pipes, vs reading the
// same output straight from a PTY and a pipe (the floor); and the sidecar's peak RSS.
import { spawn, spawnSync } from 'node:child_process';
import { SidecarClient } from '../extension/src/host/sidecar';
import { type Ctx, mb, nativeBin, rel, sidecarBin, vmHwmKb } from './lib/context';
import { section, type Section } from './lib/report';
import { fmt, summarize, type Summary } from './lib/stats';

const LINE = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

function producer(bytes: number): string[] {
  // `yes` writes in large blocks, so the producer is never the bottleneck.
  return ['sh', '-c', `yes ${LINE} | head -c ${bytes}`];
}

interface Run {
  bytes: number;
  ms: number;
}

const mbps = (r: Run) => r.bytes / 1e6 / (r.ms / 1e3);

function nativeRun(bytes: number, pty: boolean): Run {
  const r = spawnSync(nativeBin, ['stream', ...(pty ? ['--pty'] : []), '--', ...producer(bytes)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${rel(nativeBin)} stream failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Run;
}

function nodeRun(bytes: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const argv = producer(bytes);
    const t0 = performance.now();
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] });
    let n = 0;
    child.stdout.on('data', (b: Buffer) => (n += b.length));
    child.on('error', reject);
    child.on('close', () => resolve({ bytes: n, ms: performance.now() - t0 }));
  });
}

async function sidecarRuns(tty: boolean, bytes: number, reps: number, cwd: string): Promise<{ runs: Run[]; hwmKb: number | null; idleKb: number | null }> {
  // A fresh sidecar per mode, so its VmHWM is this mode's peak.
  const client = new SidecarClient({ binaryPath: sidecarBin, clientName: 'tack-bench' });
  try {
    await client.initialize();
    const idleKb = client.pid ? vmHwmKb(client.pid) : null;
    const runs: Run[] = [];
    for (let i = 0; i < reps; i++) {
      let n = 0;
      const t0 = performance.now();
      const h = await client.exec({ argv: producer(bytes), cwd, tty, outputLimitBytes: 1 << 20 }, (o) => {
        n += Buffer.byteLength(o.text, 'utf8');
      });
      const done = await h.exited;
      const ms = performance.now() - t0;
      if (done.exitCode !== 0) throw new Error(`producer exited ${done.exitCode} (${done.signal ?? ''})`);
      runs.push({ bytes: n, ms });
    }
    const hwmKb = client.pid ? vmHwmKb(client.pid) : null;
    return { runs, hwmKb, idleKb };
  } finally {
    await client.dispose();
  }
}

export async function streamingBench(ctx: Ctx): Promise<Section> {
  const s = section('3', 'Output streaming: 256 MB through the sidecar');
  const bytes = ctx.quick ? 32 * 2 ** 20 : 256 * 2 ** 20;
  const reps = ctx.reps(3, 1);
  const cwd = ctx.tmp('stream');
  const rows: string[][] = [];
  const raw: Record<string, unknown> = {};
  const summ = (runs: Run[]) => ({ thr: summarize(runs.map(mbps)), ms: summarize(runs.map((r) => r.ms)), bytes: runs[0].bytes });
  const row = (name: string, x: { thr: Summary; ms: Summary; bytes: number }, vs: string, rss = '') => [
    name,
    `${fmt(x.thr.median)} MB/s`,
    `${fmt(x.thr.min)}–${fmt(x.thr.max)}`,
    `${fmt(x.ms.median)} ms`,
    `${fmt(x.bytes / 2 ** 20)} MiB`,
    vs,
    rss,
  ];

  const results: Record<string, { floor: ReturnType<typeof summ>; sidecar?: ReturnType<typeof summ>; hwmMb?: number | null; idleMb?: number | null }> = {};
  for (const tty of [false, true]) {
    const mode = tty ? 'PTY' : 'pipes';
    ctx.log(`${mode}: native floor`);
    const floorRuns: Run[] = [];
    for (let i = 0; i < reps; i++) floorRuns.push(nativeRun(bytes, tty));
    const floor = summ(floorRuns);
    results[mode] = { floor };
    rows.push(row(`floor: native reader, ${mode}`, floor, '100%'));
    if (!tty) {
      const nodeRuns: Run[] = [];
      for (let i = 0; i < reps; i++) nodeRuns.push(await nodeRun(bytes));
      const node = summ(nodeRuns);
      raw.node = node;
      rows.push(row('Node child_process reading the pipe', node, `${fmt((100 * node.thr.median) / floor.thr.median)}%`));
    }
    ctx.log(`${mode}: sidecar`);
    const sc = await sidecarRuns(tty, bytes, reps, cwd);
    const sidecar = summ(sc.runs);
    results[mode].sidecar = sidecar;
    results[mode].hwmMb = sc.hwmKb === null ? null : mb(sc.hwmKb);
    results[mode].idleMb = sc.idleKb === null ? null : mb(sc.idleKb);
    rows.push(
      row(
        `sidecar → SidecarClient, ${mode}`,
        sidecar,
        `${fmt((100 * sidecar.thr.median) / floor.thr.median)}%`,
        sc.hwmKb === null ? '—' : `${fmt(mb(sc.hwmKb))} MB (idle ${fmt(mb(sc.idleKb ?? 0))} MB)`,
      ),
    );
  }
  s.tables.push({ headers: ['reader', 'throughput (median)', 'min–max (MB/s)', 'time', 'bytes read', 'of the floor', 'sidecar peak RSS'], rows, numericFrom: 1 });
  raw.results = results;
  s.raw = raw;

  const ratios = Object.entries(results).map(([mode, r]) => ({ mode, pct: r.sidecar ? (100 * r.sidecar.thr.median) / r.floor.thr.median : NaN, r }));
  const worst = Math.min(...ratios.map((x) => x.pct));
  s.targets.push({
    what: 'streaming throughput vs the floor',
    target: '≥ 80%',
    actual: ratios.map((x) => `${fmt(x.pct)}% with ${x.mode}`).join(', '),
    met: worst >= 80,
    gap:
      worst < 80
        ? `Short by ${fmt(80 - worst)} points. Each chunk is decoded, JSON-encoded by the sidecar, parsed again by the client and handed over as a string; larger coalesced chunks, or a binary side channel for bulk output, would close it.`
        : undefined,
  });
  const peak = Math.max(...Object.values(results).map((r) => r.hwmMb ?? NaN));
  s.targets.push({
    what: "sidecar's peak RSS while streaming",
    target: '< 64 MB',
    actual: Number.isFinite(peak) ? `${fmt(peak)} MB` : 'not measured',
    met: Number.isFinite(peak) ? peak < 64 : null,
    gap: Number.isFinite(peak) && peak >= 64 ? `Over by ${fmt(peak - 64)} MB.` : undefined,
  });
  s.headline.push(
    `Streaming ${fmt(bytes / 2 ** 20)} MiB: ${ratios.map((x) => `${fmt(x.pct)}% of the native floor with ${x.mode}`).join(', ')}; sidecar peak RSS ${fmt(peak)} MB.`,
  );
  s.notes.push(
    `The producer is \`${producer(bytes).slice(0, 2).join(' ')} '${producer(bytes)[2]}'\` (63-byte lines). Through a PTY the terminal turns each \\n into \\r\\n, so more bytes arrive than were written; throughput counts the bytes the reader received. ${reps} run(s) each.`,
    'Sidecar: a fresh `tack-sidecar` per mode, no sandbox, driven by SidecarClient with an output callback that counts the UTF-8 bytes of every `exec/output` notification (what the extension does before rendering). Peak RSS is the sidecar process\'s VmHWM from /proc after the runs; idle is after `initialize`.',
    'Floor (bench/native): a Rust program reading the pipe or the PTY master in 64 KiB reads until EOF/EIO.',
  );
  s.commands.push('node --import tsx bench/run.ts --only 3', `${rel(nativeBin)} stream [--pty] -- ${producer(bytes).slice(0, 2).join(' ')} '${producer(bytes)[2]}'`);
  return s;
}
