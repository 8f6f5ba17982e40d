// `npm run bench`: Tack against its peers, side by side in one run on this machine; writes BENCHMARKS.md.
//   node scripts/bench.mjs [--quick] [--only 1,2,...] [--skip-build]
// Builds first, installs the peer (the Codex CLI, a benchmark baseline only, never a dependency of
// the product) into .bench/ when absent, builds the native floors, then runs bench/run.ts.
import fs from 'node:fs';
import path from 'node:path';
import { build } from './build.mjs';
import { isMain, root, run, runMain, step } from './lib.mjs';

const CODEX_PACKAGE = '@openai/codex@0.169.0';
const benchDeps = path.join(root, '.bench');

function ensureCodex() {
  const marker = path.join(benchDeps, 'node_modules', '@openai', 'codex', 'package.json');
  const want = CODEX_PACKAGE.split('@').pop();
  if (fs.existsSync(marker) && JSON.parse(fs.readFileSync(marker, 'utf8')).version === want) return;
  step(`installing the peer ${CODEX_PACKAGE} into .bench/ (benchmark baseline only)`);
  fs.mkdirSync(benchDeps, { recursive: true });
  // Its own package.json keeps npm from treating .bench as part of the repository's workspaces.
  fs.writeFileSync(path.join(benchDeps, 'package.json'), '{ "private": true }\n');
  run('npm', ['install', '--no-audit', '--no-fund', '--no-save', CODEX_PACKAGE], { cwd: benchDeps });
}

function buildNativeFloors() {
  step('building the native floors (bench/native, wasm-ui-core example engines_floor)');
  run('cargo', ['build', '--quiet', '--release', '--manifest-path', 'bench/native/Cargo.toml', '--target-dir', 'target/bench-native']);
  // Optimised for speed: the release profile is built for size (the sidecar's), which would flatter
  // the wasm engine against its native floor. Same flags as bench/lib/engines.ts.
  run('cargo', ['build', '--quiet', '--release', '--config', 'profile.release.opt-level=3', '-p', 'wasm-ui-core', '--example', 'engines_floor']);
}

export async function bench(argv = process.argv.slice(2)) {
  const skipBuild = argv.includes('--skip-build');
  const rest = argv.filter((a) => a !== '--skip-build');
  if (!skipBuild) await build();
  ensureCodex();
  buildNativeFloors();
  step('running the benchmarks');
  run(process.execPath, ['--import', 'tsx', path.join('bench', 'run.ts'), ...rest]);
}

if (isMain(import.meta.url)) runMain(() => bench());
