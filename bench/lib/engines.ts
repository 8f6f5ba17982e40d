// Access to Tack's engines for the benchmarks: the wasm module as the extension loads it, and the
// native build of the same Rust code (wasm-ui-core/examples/engines_floor.rs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadCore } from '../../extension/src/host/core';
import { repoRoot } from './context';

/** A function exported by the wasm module by name, or null when the module lacks it (the report then says so). */
export function wasmFn<F extends (...args: never[]) => unknown>(name: string): F | null {
  const core = loadCore() as unknown as Record<string, unknown>;
  const f = core[name];
  return typeof f === 'function' ? (f as F) : null;
}

export const enginesFloorBin = path.join(repoRoot, 'target', 'release', 'examples', 'engines_floor');

/**
 * The native engines example, optimised for speed (the release profile is built for size, for the
 * sidecar; a floor built for size would flatter the wasm engine).
 */
export const ENGINES_FLOOR_BUILD = ['build', '--quiet', '--release', '--config', 'profile.release.opt-level=3', '-p', 'wasm-ui-core', '--example', 'engines_floor'];

/** Builds the native engines example. */
export function buildEnginesFloor(): { ok: boolean; error?: string } {
  const r = spawnSync('cargo', ENGINES_FLOOR_BUILD, {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  if (r.status !== 0 || !fs.existsSync(enginesFloorBin)) return { ok: false, error: r.stderr.slice(-800) };
  return { ok: true };
}

/** Runs the native engines example: its timings, or why it failed (a panic message, an exit code). */
export type FloorRun = { ok: true; ms: number[]; info: Record<string, unknown> } | { ok: false; error: string };

export function runEnginesFloor(args: string[]): FloorRun {
  const r = spawnSync(enginesFloorBin, args, { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) {
    // A Rust panic prints "panicked at FILE:LINE:COL:" and then the message on the next line.
    const lines = (r.stderr || `exit ${r.status}`).trim().split('\n');
    const at = lines.findIndex((l) => l.includes('panicked at'));
    return { ok: false, error: (at >= 0 ? lines.slice(at, at + 2) : lines.slice(-2)).join(' ') };
  }
  const { ms, ...info } = JSON.parse(r.stdout) as { ms: number[] };
  return { ok: true, ms, info };
}
