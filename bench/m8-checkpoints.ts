// 8. Checkpoints: a generated 20,000-file git repository; the checkpoint of a turn that changed a few
// files (the stat cache warm), a rewind of those changes, and how much the store grows per checkpoint.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SidecarClient } from '../extension/src/host/sidecar';
import { type Ctx, sidecarBin } from './lib/context';
import { rng } from './lib/corpus';
import { section, type Section } from './lib/report';
import { fmt, fmtSummary, summarize } from './lib/stats';

const FILES = 20_000;
const PER_DIR = 100;
const CHANGED = 5;

function makeRepo(dir: string): number {
  const rand = rng(8);
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const d = path.join(dir, `pkg${Math.floor(i / PER_DIR)}`, 'src');
    if (i % PER_DIR === 0) fs.mkdirSync(d, { recursive: true });
    const text = `// file ${i}\n${Array.from({ length: 20 + Math.floor(rand() * 40) }, (_, k) => `export const v${k} = ${Math.floor(rand() * 1e9)};`).join('\n')}\n`;
    fs.writeFileSync(path.join(d, `f${i}.ts`), text);
    bytes += text.length;
  }
  fs.writeFileSync(path.join(dir, '.gitignore'), 'node_modules/\n');
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=b', '-c', 'user.email=b@b', ...args], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args[0]}: ${r.stderr}`);
  };
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'generated');
  return bytes;
}

export async function checkpointsBench(ctx: Ctx): Promise<Section> {
  const s = section('8', 'Checkpoints: a 20,000-file repository');
  const base = ctx.tmp('ckpt');
  const ws = path.join(base, 'repo');
  const storeDir = path.join(base, 'store');
  fs.mkdirSync(ws);
  ctx.log(`generating ${FILES} files`);
  const treeBytes = makeRepo(ws);
  // Files changed within the last 2 s are always re-read (coarse timestamps); let the tree settle.
  await new Promise((r) => setTimeout(r, 2500));
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  try {
    const params = { storeDir, root: ws };
    const size = async () => (await sidecar.checkpoint('list', params)).storeBytes;
    let t = performance.now();
    const first = await sidecar.checkpoint('create', { ...params, session: 'bench' });
    const coldMs = performance.now() - t;
    const afterFirst = await size();

    const reps = ctx.reps(15, 4);
    const rand = rng(88);
    const change = (round: number) => {
      for (let k = 0; k < CHANGED; k++) {
        const i = Math.floor(rand() * FILES);
        fs.appendFileSync(path.join(ws, `pkg${Math.floor(i / PER_DIR)}`, 'src', `f${i}.ts`), `// turn ${round}\n`);
      }
    };
    const warm: number[] = [];
    const growth: number[] = [];
    for (let round = 0; round < reps + 1; round++) {
      change(round);
      const before = await size();
      t = performance.now();
      await sidecar.checkpoint('create', { ...params, session: 'bench' });
      const ms = performance.now() - t;
      if (round > 0) {
        warm.push(ms);
        growth.push((await size()) - before);
      }
    }
    const rewinds: number[] = [];
    for (let round = 0; round < ctx.reps(5, 2); round++) {
      const target = await sidecar.checkpoint('create', { ...params, session: 'bench' });
      change(1000 + round);
      t = performance.now();
      const r = await sidecar.checkpoint('restore', { ...params, id: target.id });
      rewinds.push(performance.now() - t);
      if (r.failed.length > 0 || r.changes.length === 0) throw new Error(`the rewind did not restore: ${JSON.stringify(r).slice(0, 300)}`);
    }
    const w = summarize(warm);
    const rw = summarize(rewinds);
    const g = summarize(growth);
    s.tables.push({
      headers: ['operation', 'median', 'min–max (ms)', 'n'],
      rows: [
        [`first checkpoint (${FILES} files, ${fmt(treeBytes / 1024 / 1024)} MB, every file read)`, `${fmt(coldMs)} ms`, '', '1'],
        [`checkpoint after a turn that changed ${CHANGED} files`, ...fmtSummary(w)],
        [`rewind of ${CHANGED} changed files (includes the undo checkpoint)`, ...fmtSummary(rw)],
      ],
    });
    s.tables.push({
      headers: ['store', 'bytes'],
      rows: [
        [`after the first checkpoint (files: ${first.files})`, `${fmt(afterFirst / 1024)} KB`],
        [`growth per checkpoint of ${CHANGED} changed files (median)`, `${fmt(g.median / 1024)} KB`],
      ],
    });
    s.targets.push({
      what: `checkpoint, ${FILES} files, ${CHANGED} changed`,
      target: '≤ 150 ms',
      actual: `${fmt(w.median)} ms`,
      met: w.median <= 150,
      gap:
        w.median > 150
          ? `Over by ${fmt(w.median - 150)} ms (fastest run ${fmt(w.min)} ms; compare the load average above). Nearly all of it is the walk: one lstat per file and git's ignore rules, on up to 4 threads; the stat cache stays in the sidecar's memory between checkpoints (it is written, not read, when files changed) and the listings cost their hashing. \`TACK_CHECKPOINT_TIMING=1\` on the sidecar prints the split. What would close it: a file-system watcher (only changed directories walked), which checkpoints do not have yet.`
          : undefined,
    });
    s.targets.push({ what: `rewind of ${CHANGED} files`, target: '≤ 1 s', actual: `${fmt(rw.median)} ms`, met: rw.median <= 1000 });
    s.notes.push(
      'Through the real sidecar over stdio (JSON-RPC round trip included). The walk runs on up to 4 threads (the available cores), so on a loaded 2-core machine it competes with everything else. Growth per checkpoint is the changed files plus the directory listings on their paths (unchanged directories are shared), so it is proportional to what changed, not to the tree.',
    );
    s.headline.push(`checkpoint of a 20,000-file repository with ${CHANGED} changed files: ${fmt(w.median)} ms; rewind: ${fmt(rw.median)} ms`);
    s.raw = { coldMs, warm, rewinds, growth, afterFirst };
  } finally {
    await sidecar.dispose();
  }
  return s;
}
