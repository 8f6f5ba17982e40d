// Builds everything, installing what it needs first. A second run redoes only what changed.
//   node scripts/build.mjs [--release-only]
// Outputs (all under extension/):
//   src/generated/          TypeScript types generated from the Rust types (ts-rs) and the wasm glue
//   dist/wasm/              the optimised wasm module
//   dist/bin/<target>/tack-sidecar   the sidecar for this platform (static musl on Linux; see platforms.mjs)
//   dist/{extension,cli}.js the bundled extension and CLI; dist/webview/ the webview bundle
//   tack-<target>-<version>.vsix   the installable extension for this platform (`npm run package`: all)
import fs from 'node:fs';
import path from 'node:path';
import { buildSidecarFor, hostTarget, packageFor, placeSidecar, TARGETS } from './platforms.mjs';
import { checkWasmImports } from './wasm-imports.mjs';
import { checkWasmSizeRules } from './wasm-size-rules.mjs';
import {
  capture, dist, ext, hashFiles, isMain, lockedCrateVersion, mtime, newestMtime, root, run, runMain, step, cacheDir,
} from './lib.mjs';

const WASM_TARGET = 'wasm32-unknown-unknown';
const generated = path.join(ext, 'src', 'generated');

function ensureWasmTarget() {
  const installed = capture('rustup', ['target', 'list', '--installed']) ?? '';
  if (!installed.split('\n').includes(WASM_TARGET)) {
    step(`installing the Rust target ${WASM_TARGET}`);
    run('rustup', ['target', 'add', WASM_TARGET]);
  }
}

/**
 * The wasm-bindgen CLI must match the wasm-bindgen crate exactly. Built once per version into the
 * cache outside the clone (a few minutes on 2 cores), with its build in a folder there that is removed
 * after, not in the temp dir. One already on PATH at that version is used as it is.
 */
function ensureWasmBindgen() {
  const want = lockedCrateVersion('wasm-bindgen');
  const installDir = path.join(cacheDir, `wasm-bindgen-cli-${want}`);
  const local = path.join(installDir, 'bin', 'wasm-bindgen');
  for (const candidate of [local, 'wasm-bindgen']) {
    const v = capture(candidate, ['--version']);
    if (v && v.trim().endsWith(` ${want}`)) return candidate;
  }
  step(`installing wasm-bindgen-cli ${want} into ${installDir} (once per machine; takes a few minutes)`);
  const buildDir = `${installDir}.build`;
  fs.rmSync(buildDir, { recursive: true, force: true });
  try {
    run('cargo', ['install', 'wasm-bindgen-cli', '--version', want, '--root', installDir, '--target-dir', buildDir]);
  } finally {
    fs.rmSync(buildDir, { recursive: true, force: true });
  }
  return local;
}

function ensureNpmDeps() {
  const stampFile = path.join(root, 'node_modules', '.tack-install-stamp');
  const inputs = ['package.json', 'package-lock.json', 'extension/package.json', 'tests/package.json'].map((f) =>
    path.join(root, f),
  );
  const want = hashFiles(inputs);
  if (fs.existsSync(stampFile) && fs.readFileSync(stampFile, 'utf8') === want) return;
  step('installing npm dependencies');
  run('npm', ['install', '--no-audit', '--no-fund']);
  fs.writeFileSync(stampFile, want);
}

/** The host's own sidecar into dist/bin/<target>/ (the only one there: other targets' go to their packages). */
function buildSidecar() {
  const target = hostTarget();
  if (!(target in TARGETS)) throw new Error(`Tack builds no sidecar for ${target}; supported: ${Object.keys(TARGETS).join(', ')}`);
  const built = buildSidecarFor(target);
  const binDir = path.join(dist, 'bin');
  // Anything else in dist/bin (another target's, or the flat dist/bin/tack-sidecar of older builds) goes.
  for (const e of fs.existsSync(binDir) ? fs.readdirSync(binDir) : []) {
    if (e !== target) fs.rmSync(path.join(binDir, e), { recursive: true, force: true });
  }
  placeSidecar(target, built, binDir);
  return { target, built };
}

function buildWasm(wasmBindgen) {
  step('building the wasm core');
  run('cargo', ['build', '--profile', 'wasm', '--target', WASM_TARGET, '-p', 'wasm-ui-core']);
  const built = path.join(root, 'target', WASM_TARGET, 'wasm', 'wasm_ui_core.wasm');
  const glueDir = path.join(generated, 'wasm');
  const outWasm = path.join(dist, 'wasm', 'wasm_ui_core_bg.wasm');
  // wasm-bindgen's module, kept beside cargo's for the size rules: its function names are
  // demangled (cargo's are mangled, std's in the v0 scheme), and wasm-opt below drops them.
  const named = path.join(path.dirname(built), 'wasm_ui_core_named.wasm');
  if (mtime(outWasm) >= mtime(built) && mtime(named) >= mtime(built) && fs.existsSync(path.join(glueDir, 'wasm_ui_core.js'))) {
    addDiscardToGlue(glueDir);
    checkWasmImports(outWasm);
    checkWasmSizeRules(named);
    return;
  }
  // --target web gives an ES module with initSync(), which the host feeds with bytes it read itself,
  // so the same glue works in the bundled extension, the CLI and tests run from source.
  run(wasmBindgen, ['--target', 'web', '--out-dir', glueDir, '--out-name', 'wasm_ui_core', built]);
  fs.mkdirSync(path.dirname(outWasm), { recursive: true });
  const raw = path.join(glueDir, 'wasm_ui_core_bg.wasm');
  fs.renameSync(raw, named);
  checkWasmSizeRules(named);
  const wasmOpt = path.join(root, 'node_modules', '.bin', 'wasm-opt');
  // -Oz --converge: 6 KB (0.9%) smaller than -Os on this module, per-step time within noise. (The
  // Rust side is built at opt-level "z", the diff crate at 3: Cargo.toml's wasm profile says why.)
  // --one-caller-inline-max-function-size 200: by default wasm-opt inlines every function that has
  // one caller, whatever its size, so Session::handle held every event's handler (85 KB). V8
  // compiles a wasm function on its first call (lazily, on the main thread), so the first
  // `userInput` compiled all of that. With a limit the handlers stay functions of their own and a
  // turn compiles only those it runs: a 0-step turn (new session, userInput, a streamed answer)
  // compiles 164 KB of function bodies instead of 245 KB and took 11.2 instead of 19.3 ms of CPU
  // (medians of 12, interleaved), for 3.3 KB more module.
  // --low-memory-unused: wasm-opt may fold a pointer's constant offsets into the load/store offset
  // field when nothing lives in the first 1 KB of memory (4.4 KB smaller). Rust's wasm32 layout puts
  // the 1 MB stack first, growing down from address 1048576, and the data after it, so the low 1 KB
  // would be reached only by a stack a few bytes short of overflowing (the core's readers cap nesting
  // depth, session/depth.rs).
  run(wasmOpt, ['-Oz', '--converge', '--one-caller-inline-max-function-size', '200', '--low-memory-unused', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
    '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue', named, '-o', outWasm]);
  addDiscardToGlue(glueDir);
  checkWasmImports(outWasm);
}

/**
 * The glue keeps one instance per process and initSync() reuses it. After a trap that instance is
 * poisoned, so the host needs to drop it (extension/src/host/core.ts, discardCore): this appends an
 * export that forgets the instance and the views of its memory. Idempotent.
 */
function addDiscardToGlue(glueDir) {
  const js = path.join(glueDir, 'wasm_ui_core.js');
  const dts = path.join(glueDir, 'wasm_ui_core.d.ts');
  const text = fs.readFileSync(js, 'utf8');
  if (text.includes('__tackDiscardInstance')) return;
  const names = ['wasm', 'wasmInstance', 'wasmModule', 'cachedDataViewMemory0', 'cachedUint8ArrayMemory0', '__wbg_init_promise']
    .filter((n) => new RegExp(`^let (?:[\\w$]+, )*${n.replace('$', '\\$')}\\b`, 'm').test(text));
  if (!names.includes('wasm')) throw new Error('the wasm-bindgen glue has no module-level `wasm` to reset; update addDiscardToGlue');
  const reset = names.map((n) => `${n} = ${n.startsWith('cached') ? 'null' : 'undefined'};`).join(' ');
  fs.appendFileSync(js, `\n/** Tack: forgets the instance (after a trap) so the next initSync() builds a fresh one. */\nexport function __tackDiscardInstance() { ${reset} }\n`);
  fs.appendFileSync(dts, '\n/** Tack: forgets the instance (after a trap) so the next initSync() builds a fresh one. */\nexport function __tackDiscardInstance(): void;\n');
}

/** ts-rs writes one .ts file per exported Rust type when the crates' `export_bindings` tests run. */
function generateTypes() {
  step('generating TypeScript types from the Rust types');
  const typesDir = path.join(generated, 'types');
  const stamp = path.join(typesDir, '.stamp');
  const srcNewest = newestMtime(['protocol', 'diff', 'wasm-ui-core', 'sidecar'].map((c) => path.join(root, c, 'src')));
  if (mtime(stamp) >= srcNewest) return;
  fs.rmSync(typesDir, { recursive: true, force: true });
  fs.mkdirSync(typesDir, { recursive: true });
  run('cargo', ['test', '--quiet', '--workspace', '--lib', '--bins', 'export_bindings'], {
    env: { TS_RS_EXPORT_DIR: typesDir },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  fs.writeFileSync(stamp, '');
}

async function bundle() {
  step('bundling the extension, the CLI and the webview');
  const esbuild = await import(path.join(root, 'node_modules', 'esbuild', 'lib', 'main.js'));
  // Minified (names kept for error classes): smaller downloads and faster activation; maps stay local.
  const common = { bundle: true, minify: true, keepNames: true, sourcemap: true, logLevel: 'warning', legalComments: 'none', target: 'es2022' };
  const node = { ...common, platform: 'node', format: 'cjs', external: ['vscode'] };
  const lazy = lazyChunks();
  const entries = [
    // dist/extension.js only registers Tack's contributions; the rest (src/vscode/services.ts) is the
    // extension-main chunk, which it require()s on first use (src/vscode/extension.ts says why).
    lazy.main({ ...node, supported: { 'dynamic-import': false }, entryPoints: [path.join(ext, 'src', 'vscode', 'extension.ts')], outfile: path.join(dist, 'extension.js') }),
    // dist/cli.js is a small loader (src/cli/entry.ts, loader/code-cache.ts) that loads the CLI's
    // bundle through a V8 code cache; the bundle sits in chunks/ so its __dirname-relative lookups
    // (the wasm module, the sidecar) work as for the other chunks.
    { ...node, entryPoints: [path.join(ext, 'src', 'cli', 'entry.ts')], outfile: path.join(dist, 'cli.js') },
    // Loaded through vm.Script, which has no loader behind import(): esbuild turns each into require().
    lazy.main({ ...node, supported: { 'dynamic-import': false }, entryPoints: [path.join(ext, 'src', 'cli', 'main.ts')], outfile: path.join(dist, 'chunks', 'cli-main.js') }),
    ...lazy.entries(node),
    {
      ...common,
      platform: 'browser',
      format: 'iife',
      entryPoints: [path.join(ext, 'src', 'webview', 'main.ts')],
      outdir: path.join(dist, 'webview'),
      loader: { '.ttf': 'file' },
    },
  ];
  await Promise.all(entries.filter((e) => fs.existsSync(e.entryPoints[0])).map((e) => esbuild.build(e)));
  checkActivationSplit();
  const codicons = path.join(root, 'node_modules', '@vscode', 'codicons', 'dist');
  fs.mkdirSync(path.join(dist, 'webview'), { recursive: true });
  for (const f of ['codicon.css', 'codicon.ttf']) {
    fs.copyFileSync(path.join(codicons, f), path.join(dist, 'webview', f));
  }
}

/**
 * Modules the bundles load only on first use, each its own file under dist/chunks/: a dynamic
 * `import()` of one becomes a `require('./chunks/<name>.js')` at that point instead of code inlined in
 * extension.js and cli.js, so V8 neither parses nor runs it at start-up. From source (tsx) the same
 * import() loads the TypeScript module. A chunk is bundled on its own, with its own copy of what it
 * imports: it must share no state with the main bundle (the MCP SDK's re-exports do not; `tack
 * mcp-server` runs entirely inside its chunk).
 */
export const LAZY_CHUNKS = [
  // The VS Code extension past activation: the controller, model and sidecar clients, inline review,
  // the Changes view, MCP, checkpoints. It shares no state with extension.js: it imports none of that
  // bundle's stateful modules, and what it needs from it (the output channel, the chat view) is passed in.
  { source: path.join(ext, 'src', 'vscode', 'services.ts'), name: 'extension-main' },
  { source: path.join(ext, 'src', 'host', 'mcp', 'sdk-runtime.ts'), name: 'mcp-sdk' },
  // `tack mcp-server` (the CLI only): the SDK's server and the host code it drives, in one file.
  { source: path.join(ext, 'src', 'cli', 'mcp-server.ts'), name: 'mcp-server' },
];

/**
 * Modules both dist/extension.js and its extension-main chunk may contain: stateless ones (no
 * module-level state, no class anyone tests with `instanceof`). Anything else in both would exist
 * twice at run time (two event emitters, two error classes), so the build refuses it.
 */
const ACTIVATION_SHARED = new Set(['src/shared/display.ts', 'src/shared/chat-protocol.ts', 'src/vscode/command-ids.ts']);

export function checkActivationSplit() {
  const sources = (file) => {
    const map = JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'));
    return map.sources.map((s) => path.relative(ext, path.resolve(path.dirname(file), s)).split(path.sep).join('/'));
  };
  const main = new Set(sources(path.join(dist, 'chunks', 'extension-main.js')));
  const both = sources(path.join(dist, 'extension.js')).filter((s) => main.has(s) && !ACTIVATION_SHARED.has(s));
  if (both.length) {
    throw new Error(`dist/extension.js and dist/chunks/extension-main.js both contain ${both.join(', ')}: activation (src/vscode/extension.ts) may import only stateless modules of the chunk's graph (ACTIVATION_SHARED in scripts/build.mjs), the rest through the lazy import()`);
  }
}

function lazyChunks() {
  const bySource = new Map(LAZY_CHUNKS.map((c) => [c.source.replace(/\.ts$/, ''), c]));
  const chunkFile = (c) => path.join(dist, 'chunks', `${c.name}.js`);
  // `outfile`: the bundle being built; the require() it gets is relative to that file.
  const plugin = (outfile) => ({
    name: 'tack-lazy-chunks',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const chunk = bySource.get(path.resolve(args.resolveDir, args.path).replace(/\.(ts|js)$/, ''));
        if (!chunk) return undefined;
        const rel = path.relative(path.dirname(outfile), chunkFile(chunk)).split(path.sep).join('/');
        return { path: rel.startsWith('.') ? rel : `./${rel}`, external: true };
      });
    },
  });
  return {
    main: (entry) => ({ ...entry, plugins: [plugin(entry.outfile)] }),
    entries: (node) => LAZY_CHUNKS.map((c) => ({ ...node, entryPoints: [c.source], outfile: chunkFile(c), plugins: [plugin(chunkFile(c))] })),
  };
}

export async function build() {
  ensureWasmTarget();
  const wasmBindgen = ensureWasmBindgen();
  ensureNpmDeps();
  generateTypes();
  buildWasm(wasmBindgen);
  const { target, built } = buildSidecar();
  await bundle();
  // Builds before per-platform packages wrote one `tack-<version>.vsix` with no target; a stale one
  // would be installed or inspected as if it were current.
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'extension', 'package.json'), 'utf8'));
  fs.rmSync(path.join(root, 'extension', `tack-${version}.vsix`), { force: true });
  const vsix = packageFor(target, built);
  step(`built: ${path.relative(process.cwd(), vsix)}`);
  return { vsix };
}

if (isMain(import.meta.url)) runMain(build);
