// Loads the bundled extension (dist/extension.js) in a fresh Node process with a stand-in for the
// `vscode` module, calls activate(), and prints {loadMs, activateMs} as JSON.
//   node bench/lib/activate-probe.cjs <extension-dir> [--show-chat]
// --show-chat: then shows the chat view as VS Code does when the sidebar is open at start-up (calls
// the registered provider's resolveWebviewView with a stand-in view) and runs `tack.stop` (a command
// with nothing to do), printing showMs (resolveWebviewView) and firstCommandMs (the command's call
// until it settled: whatever activation left to load on first use loads there).
// TACK_PROBE_STORAGE=DIR: the extension's storage (global storage: DIR/global) is DIR and is kept,
// so a second run finds what the first left there (the V8 code cache, src/vscode/entry.ts);
// otherwise every run gets a fresh, empty one (a first activation after an install).
// The stand-in answers every API call with another stand-in (registrations, output channels, event
// subscriptions), so what is timed is the extension's own work: loading its bundle and running
// activate(). VS Code's extension-host bookkeeping around it is not included.
'use strict';
const Module = require('node:module');
const path = require('node:path');
const fs = require('node:fs');

const extDir = path.resolve(process.argv[2] ?? '.');
const pkg = JSON.parse(fs.readFileSync(path.join(extDir, 'package.json'), 'utf8'));
const calls = [];

function standIn(name) {
  const fn = function () {};
  return new Proxy(fn, {
    get(_t, prop) {
      if (prop === 'then') return undefined; // not a promise
      if (prop === Symbol.toPrimitive) return () => `[${name}]`;
      if (prop === Symbol.iterator) return function* () {};
      if (prop === 'toString' || prop === 'toJSON') return () => `[${name}]`;
      return standIn(`${name}.${String(prop)}`);
    },
    apply() {
      calls.push(name);
      return standIn(`${name}()`);
    },
    construct() {
      calls.push(`new ${name}`);
      return standIn(`new ${name}`);
    },
    // Assignments (a TreeItem's label, an item's name) are accepted and forgotten: the target is a
    // function, whose own `name` and `length` cannot be written.
    set() {
      return true;
    },
    defineProperty() {
      return true;
    },
  });
}

const memento = () => {
  const m = new Map();
  return { get: (k, d) => (m.has(k) ? m.get(k) : d), update: async (k, v) => void m.set(k, v), keys: () => [...m.keys()], setKeysForSync() {} };
};
const uri = (p) => Object.assign(standIn(`Uri(${p})`), {});
const fsPathUri = (p) => new Proxy(uri(p), { get: (t, k) => (k === 'fsPath' || k === 'path' ? p : k === 'scheme' ? 'file' : t[k]) });
// The module's top-level names come from @types/vscode, so that bundlers' namespace interop (which
// copies own property names) sees window, workspace, commands, the classes and the enums.
// What the extension registered (for --show-chat): view providers and command handlers by id.
const viewProviders = new Map();
const commandHandlers = new Map();
const recording = (name, method, record) =>
  new Proxy(standIn(name), { get: (t, prop) => (prop === method ? (id, x) => (calls.push(`${name}.${method}`), record.set(id, x), { dispose() {} }) : t[prop]) });
function vscodeModule() {
  const mod = {};
  const dts = require.resolve('@types/vscode/index.d.ts', { paths: [extDir, __dirname] });
  const re = /^\s*export (?:namespace|class|enum|const|function|let|var) (\w+)/gm;
  for (const m of fs.readFileSync(dts, 'utf8').matchAll(re)) mod[m[1]] ??= standIn(`vscode.${m[1]}`);
  mod.window = recording('vscode.window', 'registerWebviewViewProvider', viewProviders);
  mod.commands = recording('vscode.commands', 'registerCommand', commandHandlers);
  return mod;
}
const vscode = vscodeModule();

const origLoad = Module._load;
Module._load = function (request, parent, isMain) {
  if (request === 'vscode') return vscode;
  return origLoad.call(this, request, parent, isMain);
};

const keptStorage = process.env.TACK_PROBE_STORAGE;
const storage = keptStorage || fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'tack-activate-'));
const context = {
  subscriptions: [],
  extensionPath: extDir,
  extensionUri: fsPathUri(extDir),
  extension: { id: `${pkg.publisher}.${pkg.name}`, packageJSON: pkg, extensionPath: extDir, extensionUri: fsPathUri(extDir), isActive: false, extensionKind: 1 },
  globalState: memento(),
  workspaceState: memento(),
  secrets: { get: async () => undefined, store: async () => {}, delete: async () => {}, onDidChange: () => ({ dispose() {} }) },
  storageUri: fsPathUri(path.join(storage, 'ws')),
  globalStorageUri: fsPathUri(path.join(storage, 'global')),
  logUri: fsPathUri(path.join(storage, 'log')),
  storagePath: path.join(storage, 'ws'),
  globalStoragePath: path.join(storage, 'global'),
  logPath: path.join(storage, 'log'),
  extensionMode: 1,
  environmentVariableCollection: standIn('environmentVariableCollection'),
  asAbsolutePath: (p) => path.join(extDir, p),
};

(async () => {
  const main = path.join(extDir, pkg.main ?? 'dist/extension.js');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const ext = require(main);
  const t1 = performance.now();
  await ext.activate(context);
  const t2 = performance.now();
  const cpu = process.cpuUsage(c0);
  const result = { loadMs: t1 - t0, activateMs: t2 - t1, cpuMs: (cpu.user + cpu.system) / 1000, apiCalls: calls.length, subscriptions: context.subscriptions.length };
  if (process.argv.includes('--show-chat')) {
    const provider = viewProviders.get('tack.chat');
    if (!provider) throw new Error('the extension registered no provider for tack.chat');
    const view = standIn('WebviewView');
    const t3 = performance.now();
    await provider.resolveWebviewView(view, standIn('WebviewViewResolveContext'), standIn('CancellationToken'));
    const t4 = performance.now();
    const stop = commandHandlers.get('tack.stop');
    if (!stop) throw new Error('the extension registered no tack.stop command');
    await stop();
    const t5 = performance.now();
    Object.assign(result, { showMs: t4 - t3, firstCommandMs: t5 - t4 });
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  // Untimed: what the extension does right after activation (it writes its code cache then).
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  try {
    await ext.deactivate?.();
  } catch {
    // deactivation is not measured
  }
  for (const d of context.subscriptions) {
    try {
      d?.dispose?.();
    } catch {
      // stand-ins may not dispose cleanly
    }
  }
  if (!keptStorage) fs.rmSync(storage, { recursive: true, force: true });
  process.exit(0);
})().catch((e) => {
  process.stderr.write(`activation failed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
