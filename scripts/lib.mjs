// Helpers shared by the repository's scripts (build, test, start, bench). Node built-ins only: these
// scripts run before `npm install` has.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ext = path.join(root, 'extension');
export const dist = path.join(ext, 'dist');
/**
 * Where slow one-time builds are kept, outside any clone so that a fresh clone (CI's) reuses them:
 * $XDG_CACHE_HOME/tack or ~/.cache/tack. Each entry's name carries its version.
 */
export const cacheDir = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'tack');

const useColor = process.stderr.isTTY;
export function step(msg) {
  process.stderr.write(useColor ? `\x1b[1;36m==>\x1b[0m ${msg}\n` : `==> ${msg}\n`);
}

/** Runs a command with inherited stdio; throws with the command line when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts, env: { ...process.env, ...opts.env } });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) {
    const e = new Error(`command failed (exit ${r.status ?? r.signal}): ${cmd} ${args.join(' ')}`);
    e.exitCode = r.status ?? 1;
    throw e;
  }
}

/** Runs a command and returns its stdout, or null when it cannot run or fails. */
export function capture(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', ...opts });
  if (r.error || r.status !== 0) return null;
  return r.stdout;
}

export function hashFiles(files) {
  const h = createHash('sha256');
  for (const f of files) h.update(fs.existsSync(f) ? fs.readFileSync(f) : `missing:${f}`);
  return h.digest('hex');
}

/** Newest mtime of every file under the given paths (directories walked, node_modules skipped). */
export function newestMtime(paths) {
  let newest = 0;
  const walk = (p) => {
    let st;
    try { st = fs.statSync(p); } catch { return; }
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) if (e !== 'node_modules' && e !== 'target') walk(path.join(p, e));
    } else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach(walk);
  return newest;
}

export function mtime(p) {
  try { return fs.statSync(p).mtimeMs; } catch { return 0; }
}

/** The version of a crate as locked in Cargo.lock. */
export function lockedCrateVersion(name) {
  const lock = fs.readFileSync(path.join(root, 'Cargo.lock'), 'utf8');
  const m = lock.match(new RegExp(`\\[\\[package\\]\\]\\nname = "${name}"\\nversion = "([^"]+)"`));
  if (!m) throw new Error(`${name} is not in Cargo.lock`);
  return m[1];
}

export const isMain = (metaUrl) => process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(metaUrl);

/** Runs main() and turns a thrown error into a one-line message and an exit code. */
export function runMain(main) {
  main().catch((e) => {
    process.stderr.write(`\n${e.message ?? e}\n`);
    process.exit(e.exitCode ?? 1);
  });
}
