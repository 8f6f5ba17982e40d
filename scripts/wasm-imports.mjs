// The core's .wasm may import nothing but the wasm-bindgen glue (ARCHITECTURE.md: the core does no
// I/O). Clippy keeps std's doors out of the Rust (wasm-ui-core/clippy.toml); this check covers what
// clippy cannot see: a `#[wasm_bindgen] extern` block, or a js-sys binding, that would hand the core
// a JavaScript function (a clock, random numbers, fetch, the file system). The build fails on one;
// tests/wasm-imports.test.ts proves the check can fail. Node built-ins only (the build runs it).
/* global WebAssembly */
import fs from 'node:fs';

/** The module the wasm-bindgen glue (--target web) gives the core's imports under. */
export const GLUE_MODULE = './wasm_ui_core_bg.js';

/**
 * The JavaScript the core calls through the glue, by the name wasm-bindgen gives each binding
 * (`__wbg_<name>_<hash>`). Every value crosses as JSON text (wasm-ui-core/src/wasm_api/json.rs), so
 * the core reads no JavaScript values: it makes only the errors it throws (`Error`). wasm-bindgen's
 * own intrinsics (`__wbindgen_*`, also as `__wbg___wbindgen_*`) are allowed as a family. A new
 * binding fails the build until it is reviewed and named here.
 */
export const ALLOWED_BINDINGS = new Set(['Error']);

/** Why one import is not the glue's, or null when it is. */
function problem(imp) {
  const where = `${imp.module}.${imp.name} (${imp.kind})`;
  if (imp.module !== GLUE_MODULE) return `${where}: imported from outside the wasm-bindgen glue`;
  if (imp.kind !== 'function') return `${where}: the glue gives functions only`;
  if (imp.name.startsWith('__wbindgen_')) return null;
  const m = /^__wbg_(.+)_[0-9a-f]{16}$/.exec(imp.name);
  if (!m) return `${where}: not a wasm-bindgen binding name`;
  if (m[1].startsWith('__wbindgen_') || ALLOWED_BINDINGS.has(m[1])) return null;
  return `${where}: the JavaScript binding \`${m[1]}\` is not on the core's list (scripts/wasm-imports.mjs)`;
}

/** Every import of the module in `bytes` that is not the wasm-bindgen glue, described. */
export function foreignImports(bytes) {
  const mod = new WebAssembly.Module(bytes);
  return WebAssembly.Module.imports(mod).map(problem).filter((p) => p !== null);
}

/** Throws, naming each foreign import, when the .wasm at `file` imports more than the glue. */
export function checkWasmImports(file) {
  const bad = foreignImports(fs.readFileSync(file));
  if (bad.length > 0) {
    throw new Error(`${file} imports more than the wasm-bindgen glue (the core does no I/O):\n  ${bad.join('\n  ')}`);
  }
}
