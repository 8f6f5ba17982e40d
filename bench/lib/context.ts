// What every measurement gets: where things are, how many repetitions to run, and small helpers for
// spawning processes and reading their memory.
import { spawn, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentHost, locateSidecar, targetOf } from '../../extension/src/host/sidecar/platform';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const distDir = path.join(repoRoot, 'extension', 'dist');
export const sidecarBin = process.env.TACK_SIDECAR ?? hostSidecar();

/** The host's sidecar as the build places it: dist/bin/<target>/ (extension/src/host/sidecar/platform.ts). */
function hostSidecar(): string {
  const found = locateSidecar([path.join(distDir, 'bin')]);
  return 'path' in found ? found.path : path.join(distDir, 'bin', targetOf(currentHost()), 'tack-sidecar');
}
export const tackCliJs = path.join(distDir, 'cli.js');
export const wasmFile = path.join(distDir, 'wasm', 'wasm_ui_core_bg.wasm');
export const benchDir = path.join(repoRoot, 'bench');
export const resultsDir = path.join(benchDir, 'results');
export const nativeTargetDir = path.join(repoRoot, 'target', 'bench-native');
export const nativeBin = path.join(nativeTargetDir, 'release', 'tack-bench-native');
export const peakmemPy = path.join(benchDir, 'lib', 'peakmem.py');
export const codexPackageDir = path.join(repoRoot, '.bench', 'node_modules', '@openai');

export interface Ctx {
  quick: boolean;
  /** Picks the repetition count for the mode. */
  reps(full: number, quick: number): number;
  /** A fresh temp directory, removed at the end of the run. */
  tmp(prefix: string): string;
  log(msg: string): void;
}

export function makeCtx(quick: boolean): Ctx & { cleanup(): void } {
  const dirs: string[] = [];
  return {
    quick,
    reps: (full, q) => (quick ? q : full),
    tmp(prefix) {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), `tack-bench-${prefix}-`));
      dirs.push(d);
      return d;
    },
    log: (msg) => process.stderr.write(`   ${msg}\n`),
    cleanup() {
      for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

/** The Codex CLI's native binary inside the npm package (vendor/<triple>/...), or null. */
export function findCodexBinary(): string | null {
  if (!fs.existsSync(codexPackageDir)) return null;
  const found: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 6) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.name === 'codex' && p.includes(`${path.sep}vendor${path.sep}`)) found.push(p);
    }
  };
  walk(codexPackageDir, 0);
  return found[0] ?? null;
}

export interface RunResult {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns a process and times it from spawn to exit (stdio collected, not inherited). */
export function runTimed(cmd: string, args: string[], opts: SpawnOptions & { input?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({
        ms: performance.now() - t0,
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      });
    });
    child.stdin!.end(opts.input ?? '');
  });
}

export interface MemReport {
  exitCode: number;
  wallMs: number;
  treePeakRssKb: number;
  maxProcessHwmKb: number;
  ruMaxrssKb: number;
  processes: { pid: number; name: string; hwmKb: number }[];
}

/**
 * Runs a command under bench/lib/peakmem.py (sampling the whole process tree) and returns its report.
 * Asynchronous so that a server in this process (the scripted model server) keeps answering.
 */
export async function peakMem(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<MemReport> {
  const outFile = path.join(os.tmpdir(), `tack-bench-mem-${process.pid}-${Date.now()}.json`);
  const r = await runTimed('python3', [peakmemPy, '--out', outFile, '--', cmd, ...args], { cwd: opts.cwd, env: opts.env });
  if (!fs.existsSync(outFile)) throw new Error(`peakmem failed for ${cmd}: ${r.stderr.slice(-800)}`);
  const rep = JSON.parse(fs.readFileSync(outFile, 'utf8')) as MemReport;
  fs.rmSync(outFile);
  if (rep.exitCode !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${rep.exitCode} under peakmem: ${r.stderr.slice(-800)}`);
  return rep;
}

export function vmHwmKb(pid: number): number | null {
  try {
    const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s+(\d+) kB/m);
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

export const mb = (kb: number) => kb / 1024;

/** Shell-quotes an argv for the report's command lines. */
export function shellLine(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** Makes an absolute path relative to the repository root for display. */
export function rel(p: string): string {
  const r = path.relative(repoRoot, p);
  return r.startsWith('..') ? p : r;
}
