// 5. apply_patch: a 200-hunk patch on a 50k-line file. Tack's wasm engine (in process, as the
// extension calls it), its native build, and `tack apply-patch` as a process, against the Codex CLI's
// own engine (its binary answers as `apply_patch` when invoked under that name).
import fs from 'node:fs';
import path from 'node:path';
import { engines } from '../extension/src/host/patch/engine';
import { patchCase } from './lib/corpus';
import { type Ctx, findCodexBinary, rel, repoRoot, runTimed, tackCliJs } from './lib/context';
import { buildEnginesFloor, enginesFloorBin, runEnginesFloor } from './lib/engines';
import { section, type Section } from './lib/report';
import { marksOf, stretches, type StretchTable } from './lib/timing-marks';
import { fmt, fmtSummary, ratio, summarize, timeSync, type Summary } from './lib/stats';

const LINES = 50_000;
const HUNKS = 200;

export async function applyPatchBench(ctx: Ctx): Promise<Section> {
  const s = section('5', 'apply_patch: Tack vs the Codex CLI');
  const c = patchCase(LINES, HUNKS);
  const dir = ctx.tmp('patch');
  const inMemReps = ctx.reps(30, 5);
  const procReps = ctx.reps(15, 3);
  const rows: string[][] = [];
  const raw: Record<string, Summary | string> = {};

  // In process: the same call the extension makes, contents handed in, new contents handed back.
  const eng = engines();
  const check = eng.applyPatch(c.patch, { [c.path]: { state: 'text', contents: c.original } });
  if (!check.ok || check.changes[0]?.newContents !== c.expected) {
    throw new Error(`Tack's engine did not produce the expected file: ${JSON.stringify(check).slice(0, 300)}`);
  }
  const wasm = summarize(timeSync(() => eng.applyPatch(c.patch, { [c.path]: { state: 'text', contents: c.original } }), inMemReps, 2));
  raw.wasm = wasm;

  const files = { file: path.join(dir, 'big.ts'), patch: path.join(dir, 'patch.txt') };
  fs.writeFileSync(files.file, c.original);
  fs.writeFileSync(files.patch, c.patch);
  let native: Summary | null = null;
  const floor = buildEnginesFloor();
  if (floor.ok) {
    const r = runEnginesFloor(['patch', c.path, files.file, files.patch, String(inMemReps)]);
    if (r.ok) native = summarize(r.ms);
    else s.notes.push(`Native build: ${r.error}`);
  } else s.notes.push(`Native build did not compile: ${floor.error}`);
  if (native) raw.native = native;

  // As processes: spawn, read the file, parse, apply, write, exit. The workspace is reset before each run.
  const ws = path.join(dir, 'ws');
  const target = path.join(ws, c.path);
  const reset = () => {
    fs.rmSync(ws, { recursive: true, force: true });
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, c.original);
  };
  const runProcess = async (argv: string[]): Promise<Summary> => {
    const ms: number[] = [];
    for (let i = 0; i < procReps + 1; i++) {
      reset();
      const r = await runTimed(argv[0], argv.slice(1), { cwd: ws });
      if (r.code !== 0) throw new Error(`${path.basename(argv[0])} exited ${r.code}: ${(r.stderr || r.stdout).slice(0, 400)}`);
      if (fs.readFileSync(target, 'utf8') !== c.expected) throw new Error(`${path.basename(argv[0])} wrote a different file than expected`);
      if (i > 0) ms.push(r.ms); // the first run warms the page cache
    }
    return summarize(ms);
  };
  const bin = fs.existsSync(path.join(repoRoot, 'extension', 'bin', 'tack.js')) ? path.join(repoRoot, 'extension', 'bin', 'tack.js') : tackCliJs;
  let tackProc: Summary | null = null;
  try {
    tackProc = await runProcess([process.execPath, bin, 'apply-patch', c.patch]);
    raw.tackProcess = tackProc;
  } catch (e) {
    s.notes.push(`\`tack apply-patch\`: ${e instanceof Error ? e.message : String(e)}`);
  }
  // Where the process's time goes, by its own stage marks (TACK_TIMING=1, extension/src/cli/apply-patch.ts
  // and host/patch/apply-to-dir.ts): extra runs, so the timed runs above carry no instrumentation.
  let parts: { name: string; ms: number }[] | undefined;
  if (tackProc) {
    try {
      const byPart = new Map<string, number[]>();
      for (let i = 0; i < Math.max(3, Math.ceil(procReps / 3)); i++) {
        reset();
        const spawnedAt = Date.now();
        const r = await runTimed(process.execPath, [bin, 'apply-patch', c.patch], { cwd: ws, env: { ...process.env, TACK_TIMING: '1' } });
        if (r.code !== 0 || fs.readFileSync(target, 'utf8') !== c.expected) throw new Error(`exit ${r.code}: ${r.stderr.slice(0, 300)}`);
        for (const [name, ms] of processParts(r.stderr, spawnedAt, r.ms)) byPart.set(name, [...(byPart.get(name) ?? []), ms]);
      }
      parts = [...byPart].map(([name, v]) => ({ name, ms: summarize(v).median }));
    } catch (e) {
      s.notes.push(`The stage breakdown of \`tack apply-patch\` (TACK_TIMING=1 runs) failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // The CLI's start-up alone (Node, the bundle, the wasm module), to split the process time.
  let tackStart: Summary | null = null;
  try {
    const ms: number[] = [];
    for (let i = 0; i < procReps + 1; i++) {
      const r = await runTimed(process.execPath, [bin, '--version'], { cwd: dir });
      if (r.code !== 0) throw new Error(`tack --version exited ${r.code}: ${r.stderr.slice(0, 300)}`);
      if (i > 0) ms.push(r.ms);
    }
    tackStart = summarize(ms);
    raw.tackStartup = tackStart;
  } catch (e) {
    s.notes.push(`\`tack --version\`: ${e instanceof Error ? e.message : String(e)}`);
  }
  let codexProc: Summary | null = null;
  const codexBin = findCodexBinary();
  if (codexBin) {
    const link = path.join(dir, 'bin', 'apply_patch');
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(codexBin, link);
    try {
      codexProc = await runProcess([link, c.patch]);
      raw.codexProcess = codexProc;
    } catch (e) {
      s.notes.push(`Codex \`apply_patch\`: ${e instanceof Error ? e.message : String(e)}`);
    }
  } else s.notes.push('The Codex CLI is not installed in .bench/: its row is missing.');

  const cell = (x: Summary | null) => (x ? fmtSummary(x) : ['—', '—', '—']);
  rows.push(['in process', 'Tack wasm `applyPatch` (Node)', ...cell(wasm)]);
  rows.push(['in process', 'Tack native `parse` + `apply` (Rust)', ...cell(native)]);
  rows.push(['process, file on disk', '`tack apply-patch` (Node + wasm)', ...cell(tackProc)]);
  rows.push(['process, file on disk', 'Codex CLI `apply_patch` (Rust)', ...cell(codexProc)]);
  rows.push(['process, no patch', '`tack --version` (the CLI\'s start-up alone)', ...cell(tackStart)]);
  s.tables.push({ headers: ['how', 'engine', 'median', 'min–max (ms)', 'n'], rows });
  if (parts?.length) {
    s.tables.push({
      caption: 'Where `tack apply-patch`\'s time goes, by its own stage marks (TACK_TIMING=1, extra runs; medians):',
      headers: ['part of the process', 'median'],
      rows: parts.map((p) => [p.name, `${fmt(p.ms)} ms`]),
      numericFrom: 1,
    });
  }
  s.raw = raw;
  if (!codexProc || !tackProc) s.status = 'partial';

  if (codexProc) {
    const engineVsCodex = codexProc.median / wasm.median;
    s.headline.push(
      `apply_patch (200 hunks, 50k lines): Tack's wasm engine ${fmt(wasm.median)} ms in process; ` +
        (tackProc ? `\`tack apply-patch\` ${fmt(tackProc.median)} ms as a process vs ` : '') +
        `Codex CLI's \`apply_patch\` ${fmt(codexProc.median)} ms (the engine call is ${fmt(engineVsCodex)}x faster than Codex's whole process).`,
    );
    if (tackProc) {
      const startup = tackStart ? tackStart.median : NaN;
      const rest = tackProc.median - wasm.median - (tackStart ? startup : 0);
      s.notes.push(
        `As processes, \`tack apply-patch\` takes ${ratio(tackProc.median, codexProc.median)} Codex's time. ` +
          (parts?.length
            ? `By its stage marks: ${parts.map((p) => `${p.name} ${fmt(p.ms)} ms`).join('; ')}. (The engine call in a fresh process runs on V8's baseline wasm code, compiled as it goes; in process, warm, it takes ${fmt(wasm.median)} ms.) `
            : `Of its ${fmt(tackProc.median)} ms, ` +
              (tackStart ? `${fmt(startup)} ms is the CLI's start-up (\`tack --version\`), ` : '') +
              `${fmt(wasm.median)} ms the engine call, and ${fmt(rest)} ms the rest (reading the file, the workspace path checks, the atomic write). `) +
          'The extension pays the start-up once per window, not per patch.',
      );
    }
  }
  s.notes.push(
    `Input: a generated ${LINES.toLocaleString('en')}-line file (${(c.original.length / 1e6).toFixed(1)} MB) and a ${HUNKS}-hunk patch (${(c.patch.length / 1024).toFixed(0)} KB; one changed line and 3 lines of context each side per hunk), given on the command line to both tools. Every run's output file is checked against the expected text.`,
    'In process: what the extension and the agent pay per patch (the file contents are already in memory, e.g. the editor\'s buffers). As a process: each run starts the program, reads the file, applies the patch and writes the result.',
    'The wasm call carries no file content as JSON: the patch and the file go into wasm memory as UTF-8 bytes (TextEncoder.encodeInto), and the answer is a small JSON header (paths, kinds, byte lengths, or the error) followed by the new contents as bytes, decoded with a TextDecoder (applyPatchThrough in extension/src/host/patch/engine.ts).' +
      (native ? ` In process the wasm call takes ${ratio(wasm.median, native.median)} the native engine's time.` : ''),
  );
  s.commands.push(
    'node --import tsx bench/run.ts --only 5',
    `${rel(enginesFloorBin)} patch src/big.ts FILE PATCH REPS`,
    'cd <ws> && node extension/bin/tack.js apply-patch "$(cat patch.txt)"',
    'cd <ws> && <dir>/apply_patch "$(cat patch.txt)"   # apply_patch -> .bench/.../codex (symlink; argv[0] selects the tool)',
  );
  return s;
}

/** The marks' stretches of one `tack apply-patch` run (TACK_TIMING=1), in the order a run reaches them. */
const PROCESS_PARTS: StretchTable = [
  ['spawn', 'cli loaded', 'Node\'s start-up and the CLI bundle (to the command\'s first line)'],
  ['cli loaded', 'patch paths read', 'the wasm core loaded and the patch\'s paths read'],
  ['patch paths read', 'files read', 'reading the file (workspace path checks, UTF-8)'],
  ['files read', 'patch applied in memory', 'the engine call (the file in, the new contents out)'],
  ['patch applied in memory', 'written', 'the write through the sidecar (sent over its pipe; its path checks, temporary file, fsync, rename)'],
  ['written', 'exit', 'the exit (the sidecar is not waited for)'],
];

function processParts(stderr: string, spawnedAt: number, wallMs: number): [string, number][] {
  const { origin, marks } = marksOf(stderr);
  if (origin === undefined) return [];
  const at = new Map<string, number>([['spawn', 0], ['exit', wallMs]]);
  for (const m of marks) if (!at.has(m.stage)) at.set(m.stage, origin - spawnedAt + m.t);
  return stretches(at, PROCESS_PARTS);
}
