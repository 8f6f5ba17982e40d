// `npm start`: builds everything, installs the .vsix into VS Code and opens the demo workspace.
// Desktop VS Code (`code` on PATH) when there is one; otherwise code-server in the browser, set up
// like the real-VS-Code test suite (tests/vscode-e2e/code-server.ts). Runs until Ctrl-C, then stops
// what it started.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { build } from './build.mjs';
import { isMain, root, runMain, step } from './lib.mjs';

const demoSrc = path.join(root, 'demo');
const demoDir = path.join(root, '.demo');

/** A fresh copy of demo/ in .demo/ (kept when it exists, so your changes there survive a restart). */
function prepareDemo() {
  if (fs.existsSync(demoDir)) return;
  step(`creating the demo workspace in ${path.relative(process.cwd(), demoDir) || demoDir}`);
  fs.cpSync(demoSrc, demoDir, { recursive: true });
  // A git repository, so "Tack: Review Uncommitted Changes" has something to compare with.
  const git = (...args) => spawnSync('git', args, { cwd: demoDir, stdio: 'ignore' });
  if (git('init', '-q').status === 0) {
    git('add', '-A');
    git('-c', 'user.name=Tack demo', '-c', 'user.email=demo@example.invalid', 'commit', '-qm', 'demo project');
  }
}

function hasDesktopCode() {
  if (process.env.TACK_START_CODE_SERVER) return false;
  const r = spawnSync('code', ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

export async function start() {
  const { vsix } = await build();
  prepareDemo();
  if (hasDesktopCode()) {
    step('installing Tack into VS Code');
    spawnSync('code', ['--install-extension', vsix, '--force'], { stdio: 'inherit' });
    spawnSync('code', ['--new-window', demoDir], { stdio: 'inherit' });
    step(`opened ${demoDir} in VS Code. Set your key with "Tack: Set API Key" or point tack.baseUrl at a local server.`);
    return;
  }
  step('no desktop VS Code on PATH: using code-server in the browser');
  const { tsImport } = await import('tsx/esm/api');
  const cs = await tsImport(path.join(root, 'tests', 'vscode-e2e', 'code-server.ts'), import.meta.url);
  const stateDir = path.join(root, '.e2e', 'start-state');
  fs.mkdirSync(stateDir, { recursive: true });
  const port = Number(process.env.TACK_PORT ?? 8080);
  const server = await cs.startCodeServer({ vsix, workspace: demoDir, stateDir, port });
  process.stdout.write(`\nTack is running in VS Code (code-server): ${server.url}\n`);
  process.stdout.write('Set your key with "Tack: Set API Key" (or start with OPENAI_API_KEY set), or point tack.baseUrl at a local server.\n');
  process.stdout.write('Press Ctrl-C to stop.\n');
  await new Promise((resolve) => {
    const stop = () => resolve(undefined);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  step('stopping code-server');
  await server.stop();
}

if (isMain(import.meta.url)) runMain(start);
