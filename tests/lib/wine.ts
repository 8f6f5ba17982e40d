// Running the win32-x64 sidecar under Wine (tests/platforms): where Wine is, its prefix (kept in
// ~/.cache/tack/wine-prefix) and a started sidecar, with the one-function shim Wine 8.0 needs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crossSidecar } from './cross';
import { RawSidecar } from './raw-sidecar';
import { repoRoot } from './paths';

export const WINE = ['/usr/lib/wine/wine64', '/usr/bin/wine64', '/usr/bin/wine'].find((p) => fs.existsSync(p));

/** Why the Wine tests cannot run here, or undefined when they can. */
export function wineSkip(): string | undefined {
  const found = crossSidecar('win32-x64');
  if (!found.ok) return found.reason;
  if (!WINE) return 'Wine is not installed (Debian: apt-get install wine64; npm test installs it as root)';
  return undefined;
}

/** A Linux path as Wine's Z: drive names it. */
export const winPath = (p: string) => `Z:${p.replace(/\//g, '\\')}`;

export function wineEnv(): NodeJS.ProcessEnv {
  const prefix = path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'tack', 'wine-prefix');
  fs.mkdirSync(prefix, { recursive: true });
  return { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=' };
}

/**
 * Copies the sidecar into `dir` (and under each of `copies` names, for tests that need a second
 * program), builds Wine's missing bcryptprimitives.dll beside it, and starts it (with `env` added to
 * its environment; Wine passes variables through as they are).
 */
export function startWineSidecar(dir: string, copies: string[] = [], env: NodeJS.ProcessEnv = {}): RawSidecar {
  const found = crossSidecar('win32-x64');
  assert.ok(found.ok, found.reason);
  fs.copyFileSync(found.binary, path.join(dir, 'tack-sidecar.exe'));
  for (const c of copies) fs.copyFileSync(found.binary, path.join(dir, c));
  // Wine 8.0 lacks bcryptprimitives.dll, which Rust's std imports (every Windows 10+ has it).
  const cc = spawnSync('x86_64-w64-mingw32-gcc', ['-O2', '-shared', '-o', path.join(dir, 'bcryptprimitives.dll'),
    path.join(repoRoot, 'tests', 'platforms', 'wine', 'bcryptprimitives.c'), '-ladvapi32'], { encoding: 'utf8' });
  assert.equal(cc.status, 0, `building the Wine shim failed: ${cc.stderr}`);
  return new RawSidecar(WINE!, [path.join(dir, 'tack-sidecar.exe')], { ...wineEnv(), ...env });
}
