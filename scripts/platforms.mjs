// The sidecar for every platform VS Code runs on, and one .vsix per platform (`vsce package --target`).
//   node scripts/platforms.mjs [--targets T[,T...]]    (default: every target; `npm run package`)
// Cross builds use tools this script installs itself, each once: Rust targets (rustup), Debian
// packages (apt-get: gcc-mingw-w64-x86-64 for Windows), and cargo-zigbuild with Zig from PyPI in a
// virtualenv under ~/.cache/tack (Linux arm64, macOS). No prebuilt toolchain is downloaded.
// Outputs: target/<triple>/release/tack-sidecar[.exe] (stripped), extension/tack-<target>-<version>.vsix.
import fs from 'node:fs';
import path from 'node:path';
import { cacheDir, capture, dist, ext, isMain, mtime, newestMtime, root, run, runMain, step } from './lib.mjs';

/** Marketplace target -> how its sidecar is built. alpine-x64 ships the same static binary as linux-x64. */
export const TARGETS = {
  'linux-x64': { triple: 'x86_64-unknown-linux-musl', tool: 'cargo' },
  'linux-arm64': { triple: 'aarch64-unknown-linux-musl', tool: 'zigbuild' },
  'alpine-x64': { triple: 'x86_64-unknown-linux-musl', tool: 'cargo' },
  'darwin-x64': { triple: 'x86_64-apple-darwin', tool: 'zigbuild', env: { MACOSX_DEPLOYMENT_TARGET: '10.15' } },
  'darwin-arm64': { triple: 'aarch64-apple-darwin', tool: 'zigbuild', env: { MACOSX_DEPLOYMENT_TARGET: '11.0' } },
  'win32-x64': { triple: 'x86_64-pc-windows-gnu', tool: 'cargo', apt: ['gcc-mingw-w64-x86-64'] },
  // Zig's bundled mingw-w64 and libunwind stand in for llvm-mingw (which Debian does not package).
  'win32-arm64': { triple: 'aarch64-pc-windows-gnullvm', tool: 'zigbuild' },
};

/** Every Linux sidecar must stay below this (stripped, static). */
export const MAX_LINUX_SIDECAR = 3 * 1024 * 1024;

const ZIGBUILD = { ziglang: '0.17.1', 'cargo-zigbuild': '0.24.1' };

export const sidecarFileName = (target) => (target.startsWith('win32-') ? 'tack-sidecar.exe' : 'tack-sidecar');

/** The marketplace target of the machine running the build. */
export function hostTarget() {
  const alpine = process.platform === 'linux' && fs.existsSync('/etc/alpine-release');
  return `${alpine ? 'alpine' : process.platform}-${process.arch}`;
}

const rustHost = () => (capture('rustc', ['-vV']) ?? '').match(/^host: (\S+)/m)?.[1];

export function ensureRustTarget(triple) {
  const installed = capture('rustup', ['target', 'list', '--installed']) ?? '';
  if (installed.split('\n').includes(triple)) return;
  step(`installing the Rust target ${triple} (once)`);
  run('rustup', ['target', 'add', triple]);
}

const dpkgInstalled = (pkg) => /^install ok installed$/m.test(capture('dpkg-query', ['-W', '-f', '${Status}\n', pkg]) ?? '');

/** Installs Debian packages once. Throws a message saying what to install when apt-get cannot. */
export function ensureAptPackages(pkgs, why) {
  const missing = pkgs.filter((p) => !dpkgInstalled(p));
  if (missing.length === 0) return;
  const hint = `${why} needs the Debian package(s) ${missing.join(', ')}`;
  if (capture('apt-get', ['--version']) === null) {
    throw new Error(`${hint}, and this machine has no apt-get: install the equivalent with your package manager`);
  }
  if (process.getuid?.() !== 0) {
    throw new Error(`${hint}: run \`sudo apt-get install ${missing.join(' ')}\` (the build installs them itself only when run as root)`);
  }
  step(`installing ${missing.join(', ')} with apt-get (once; ${why})`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  const install = ['install', '-y', '-q', '--no-install-recommends', ...missing];
  try {
    run('apt-get', install, { env });
  } catch {
    run('apt-get', ['update', '-q'], { env });
    run('apt-get', install, { env });
  }
}

/** cargo-zigbuild and Zig from PyPI, in a virtualenv under ~/.cache/tack. Returns the PATH to use. */
export function ensureZigbuild() {
  const venv = path.join(cacheDir, `zigbuild-${ZIGBUILD['cargo-zigbuild']}-zig-${ZIGBUILD.ziglang}`);
  const binDir = path.join(venv, process.platform === 'win32' ? 'Scripts' : 'bin');
  const PATH = `${binDir}${path.delimiter}${process.env.PATH}`;
  if (capture(path.join(binDir, 'cargo-zigbuild'), ['--version']) !== null) return PATH;
  const python = ['python3', 'python'].find((p) => capture(p, ['--version']) !== null);
  if (!python) throw new Error('cross-compiling for Linux arm64 and macOS needs Python 3 (for the ziglang and cargo-zigbuild packages from PyPI)');
  step(`installing cargo-zigbuild ${ZIGBUILD['cargo-zigbuild']} and Zig ${ZIGBUILD.ziglang} from PyPI into ${venv} (once)`);
  fs.rmSync(venv, { recursive: true, force: true });
  run(python, ['-m', 'venv', venv]);
  run(path.join(binDir, 'pip'), ['install', '-q', '--disable-pip-version-check', ...Object.entries(ZIGBUILD).map(([n, v]) => `${n}==${v}`)]);
  return PATH;
}

/** Installs what building a target's sidecar needs (its Rust target, Zig, Debian packages). */
function buildToolsFor(target) {
  const t = TARGETS[target];
  if (!t) throw new Error(`unknown target ${target}; known: ${Object.keys(TARGETS).join(', ')}`);
  ensureRustTarget(t.triple);
  const env = { ...t.env, CARGO_PROFILE_RELEASE_STRIP: 'symbols' };
  let args = ['build', '--release', '-p', 'tack-sidecar', '--target', t.triple];
  const native = rustHost() === t.triple || (t.triple.endsWith('-linux-musl') && rustHost()?.startsWith(t.triple.split('-')[0]));
  if (t.tool === 'zigbuild' && !native) {
    env.PATH = ensureZigbuild();
    args = ['zigbuild', ...args.slice(1)];
  }
  if (t.apt) ensureAptPackages(t.apt, `building the ${target} sidecar`);
  return { t, env, args };
}

/** Builds the release sidecar for a marketplace target; returns the binary's path. */
export function buildSidecarFor(target) {
  const { t, env, args } = buildToolsFor(target);
  step(`building the sidecar for ${target} (${t.triple})`);
  // The build's temp files in a folder of its own, removed after: mingw's dlltool, which rustc runs
  // for every raw-dylib import library of windows-sys, leaves an empty temp file named `cc` and six
  // random characters for each in the temp dir (about 90 per Windows build).
  const tmp = path.join(root, 'target', `tmp-${t.triple}`);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    run('cargo', args, { env: { ...env, TMPDIR: tmp } });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const built = path.join(root, 'target', t.triple, 'release', sidecarFileName(target));
  if (t.triple.includes('-linux-') && fs.statSync(built).size > MAX_LINUX_SIDECAR) {
    throw new Error(`${built} is ${fs.statSync(built).size} bytes; Linux sidecars must stay under ${MAX_LINUX_SIDECAR}`);
  }
  return built;
}

/** Copies a built sidecar to <binDir>/<target>/. */
export function placeSidecar(target, built, binDir) {
  const out = path.join(binDir, target, sidecarFileName(target));
  if (mtime(out) >= mtime(built) && fs.statSync(out).size === fs.statSync(built).size) return out;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.copyFileSync(built, out);
  fs.chmodSync(out, 0o755);
  return out;
}

export const extensionVersion = () => JSON.parse(fs.readFileSync(path.join(ext, 'package.json'), 'utf8')).version;
export const vsixPath = (target) => path.join(ext, `tack-${target}-${extensionVersion()}.vsix`);

/**
 * Packages the extension for one target: a staging copy of what ships (the bundles and the wasm
 * module shared by all, plus this target's sidecar only), then `vsce package --target`.
 */
export function packageFor(target, built) {
  const vsix = vsixPath(target);
  const shared = [path.join(dist, 'extension.js'), path.join(dist, 'cli.js'), path.join(dist, 'chunks'), path.join(dist, 'webview'), path.join(dist, 'wasm'),
    path.join(ext, 'package.json'), path.join(ext, 'README.md'), path.join(ext, 'media'), path.join(ext, 'bin'), path.join(ext, '.vscodeignore')];
  if (mtime(vsix) >= Math.max(newestMtime(shared), mtime(built))) return vsix;
  step(`packaging ${path.basename(vsix)}`);
  const stage = path.join(root, 'target', 'vsix-stage', target);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(path.join(stage, 'dist'), { recursive: true });
  for (const f of ['package.json', 'README.md', '.vscodeignore', 'media', 'bin']) {
    fs.cpSync(path.join(ext, f), path.join(stage, f), { recursive: true });
  }
  for (const f of ['extension.js', 'cli.js', 'chunks', 'webview', 'wasm']) {
    if (fs.existsSync(path.join(dist, f))) fs.cpSync(path.join(dist, f), path.join(stage, 'dist', f), { recursive: true });
  }
  placeSidecar(target, built, path.join(stage, 'dist', 'bin'));
  // Everything is bundled, so the package needs no node_modules.
  run(path.join(root, 'node_modules', '.bin', 'vsce'), ['package', '--target', target, '--no-dependencies', '--skip-license', '-o', vsix], {
    cwd: stage,
    env: { npm_config_offline: 'true' },
  });
  fs.rmSync(stage, { recursive: true, force: true });
  return vsix;
}

/** Builds the sidecars and packages for `targets` (the shared parts must be built: scripts/build.mjs). */
export function packageTargets(targets) {
  const out = [];
  for (const target of targets) out.push(packageFor(target, buildSidecarFor(target)));
  return out;
}

async function main() {
  const argv = process.argv.slice(2);
  const targets = argv.includes('--targets') ? argv[argv.indexOf('--targets') + 1].split(',') : Object.keys(TARGETS);
  const unknown = targets.filter((t) => !(t in TARGETS));
  if (unknown.length) throw new Error(`unknown target(s): ${unknown.join(', ')}; known: ${Object.keys(TARGETS).join(', ')}`);
  const { build } = await import('./build.mjs');
  await build();
  const started = Date.now();
  const made = packageTargets(targets);
  const { inspectVsix } = await import('./inspect-vsix.mjs');
  for (const vsix of made) {
    const r = inspectVsix(vsix);
    step(`${path.basename(vsix)}: ${r.sidecar} (${r.description})`);
  }
  step(`packaged ${made.length} target(s) in ${Math.round((Date.now() - started) / 1000)} s`);
}

if (isMain(import.meta.url)) runMain(main);

/** What `npm test` builds beyond the host's package: the targets the emulator tests run. */
export const EMULATED = {
  'win32-x64': { apt: ['wine64'], runner: 'Wine' },
  'linux-arm64': { apt: ['qemu-user-static'], runner: 'qemu-user' },
};
export const crossStatusFile = path.join(root, 'target', 'cross-test-status.json');

/**
 * Builds the emulated targets' sidecars and packages and installs their emulators, for
 * tests/platforms. A target whose emulator cannot be installed here (no apt-get, not root) is
 * recorded with the reason in target/cross-test-status.json, and its tests skip saying why. A
 * sidecar that does not build is a defect, not a skip: it fails the build.
 */
export function prepareCrossTests() {
  const status = {};
  for (const [target, need] of Object.entries(EMULATED)) {
    const started = Date.now();
    try {
      ensureAptPackages(need.apt, `running the ${target} sidecar under ${need.runner} in the tests`);
      buildToolsFor(target);
    } catch (e) {
      step(`cannot prepare the ${target} tests: ${e.message}`);
      status[target] = { ok: false, reason: e.message };
      continue;
    }
    const built = buildSidecarFor(target);
    packageFor(target, built);
    status[target] = { ok: true, binary: built, seconds: Math.round((Date.now() - started) / 1000) };
  }
  fs.mkdirSync(path.dirname(crossStatusFile), { recursive: true });
  fs.writeFileSync(crossStatusFile, JSON.stringify(status, null, 2));
  return status;
}
