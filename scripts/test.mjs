// `npm test`: builds everything, then runs every check and every suite, and ends with one line
// "N passed, N failed" counting the tests of all suites.
//   node scripts/test.mjs [--skip-build] [--only NAME[,NAME...]]   (names: see `suites` below)
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from './build.mjs';
import { prepareCrossTests } from './platforms.mjs';
import { isMain, root, runMain, step } from './lib.mjs';

const bin = (name) => path.join(root, 'node_modules', '.bin', name);

/** Finds test files by suffix under a folder, skipping node_modules and generated output. */
function findTests(dir, suffix) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (['node_modules', 'dist', 'generated', 'artifacts'].includes(e.name)) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(suffix)) out.push(p);
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out.sort();
}

const nodeTest = (files, extraEnv = {}) => ({
  cmd: process.execPath,
  args: ['--import', 'tsx', '--test', '--test-reporter', 'spec', ...files],
  env: extraEnv,
  count: 'node',
});

// Each suite: a command, and how to read its counts from its output.
const suites = {
  fmt: () => ({ cmd: 'cargo', args: ['fmt', '--all', '--check'] }),
  clippy: () => ({ cmd: 'cargo', args: ['clippy', '--workspace', '--all-targets', '--', '-D', 'warnings'] }),
  'cargo-test': () => ({ cmd: 'cargo', args: ['test', '--workspace'], count: 'cargo' }),
  tsc: () => ({ cmd: bin('tsc'), args: ['--noEmit', '-p', 'extension'] }),
  'tsc-tests': () => ({ cmd: bin('tsc'), args: ['--noEmit', '-p', 'tests'] }),
  'tsc-bench': () => ({ cmd: bin('tsc'), args: ['--noEmit', '-p', 'bench'] }),
  eslint: () => ({ cmd: bin('eslint'), args: ['--no-error-on-unmatched-pattern', 'extension/src', 'tests', 'bench', 'scripts', 'eslint.config.mjs'] }),
  // Unit tests of the TypeScript host and the wasm module (the webview's in Chromium, the theme
  // contrast against code-server's theme files: both required here), then the cross-component suites.
  'node-unit': () => nodeTest(findTests(path.join(root, 'extension', 'src'), '.test.ts'), { TACK_REQUIRE_BROWSER: '1' }),
  integration: () =>
    nodeTest(findTests(path.join(root, 'tests'), '.test.ts').filter((f) => !f.includes(`${path.sep}vscode-e2e${path.sep}`))),
  'vscode-e2e': () => nodeTest(findTests(path.join(root, 'tests', 'vscode-e2e'), '.test.ts')),
  // The real-server suite alone (`npm run test:local-model`): inside `integration` it is skipped while
  // llama-server is not built; here a missing build is a failure.
  'local-model': () => nodeTest(findTests(path.join(root, 'tests', 'local-model'), '.test.ts'), { TACK_REQUIRE_LOCAL_MODEL: '1' }),
};

/** Debian's Chromium, Node 24 and code-server into .e2e/, once (tests/vscode-e2e/code-server.ts). */
function ensureBrowserTools() {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "require('./tests/vscode-e2e/code-server.ts').ensureCodeServer()"], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`installing Chromium and code-server failed (exit ${r.status ?? r.signal})`);
}

function runSuite(name, spec) {
  return new Promise((resolve) => {
    if (spec.args.length === 0 || (spec.count === 'node' && spec.args.at(-1) === 'spec')) {
      resolve({ name, ok: true, passed: 0, failed: 0, skipped: true });
      return;
    }
    step(`${name}: ${path.basename(spec.cmd)} ${spec.args.filter((a) => !a.startsWith(root)).join(' ')}`);
    const child = spawn(spec.cmd, spec.args, { cwd: root, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    const tee = (stream, out) => stream.on('data', (b) => { out.write(b); text += b.toString(); if (text.length > 4e6) text = text.slice(-2e6); });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('close', (code) => {
      let passed = 0;
      let failed = 0;
      if (spec.count === 'cargo') {
        for (const m of text.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
          passed += Number(m[1]);
          failed += Number(m[2]);
        }
      } else if (spec.count === 'node') {
        // The spec reporter ends with "ℹ pass N" / "ℹ fail N".
        passed = Number(text.match(/^\S+ pass (\d+)$/m)?.[1] ?? 0);
        failed = Number(text.match(/^\S+ fail (\d+)$/m)?.[1] ?? 0);
      } else {
        passed = code === 0 ? 1 : 0;
      }
      if (code !== 0 && failed === 0) failed = 1;
      resolve({ name, ok: code === 0, passed, failed });
    });
  });
}

export async function test(argv) {
  // `local-model` runs inside `integration` by default (when llama-server is built); alone on request.
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : Object.keys(suites).filter((n) => n !== 'local-model');
  const unknown = only.filter((n) => !(n in suites));
  if (unknown.length) throw new Error(`unknown suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
  if (!argv.includes('--skip-build')) {
    await build();
    // The Windows and arm64 sidecars and packages the emulator tests need (tests/platforms).
    if (only.includes('integration')) prepareCrossTests();
  }
  // Chromium and code-server (installed once), before the first suite that uses them: node-unit's
  // webview tests skipped on a fresh machine while only vscode-e2e installed them.
  if (only.includes('node-unit') || only.includes('vscode-e2e')) ensureBrowserTools();
  const results = [];
  for (const name of only) results.push(await runSuite(name, suites[name]()));
  process.stderr.write('\nSummary:\n');
  for (const r of results) {
    const status = r.skipped ? 'no tests' : r.ok ? 'ok' : 'FAILED';
    process.stderr.write(`  ${r.name.padEnd(12)} ${status.padEnd(8)} ${r.passed} passed, ${r.failed} failed\n`);
  }
  const passed = results.reduce((n, r) => n + r.passed, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  if (results.some((r) => !r.ok)) {
    const e = new Error(`failed: ${results.filter((r) => !r.ok).map((r) => r.name).join(', ')}`);
    e.exitCode = 1;
    throw e;
  }
}

if (isMain(import.meta.url)) runMain(() => test(process.argv.slice(2)));
