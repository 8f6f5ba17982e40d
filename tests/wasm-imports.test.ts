// The core's .wasm imports nothing but the wasm-bindgen glue (scripts/wasm-imports.mjs, run by the
// build): the real module passes, and hand-assembled modules with a foreign import fail.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkWasmImports, foreignImports, GLUE_MODULE } from '../scripts/wasm-imports.mjs';
import { distDir } from './lib/paths';

const coreWasm = path.join(distDir, 'wasm', 'wasm_ui_core_bg.wasm');

type Import = { module: string; name: string; kind: 'function' | 'memory' };

/** A minimal module importing `imports` (functions of type () -> (), or a one-page memory). */
function moduleWith(imports: Import[]): Uint8Array {
  const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >>> 7)]);
  const name = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return [...leb(b.length), ...b];
  };
  const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
  const types = section(1, [1, 0x60, 0, 0]);
  const entries = imports.flatMap((i) => [
    ...name(i.module),
    ...name(i.name),
    ...(i.kind === 'function' ? [0x00, 0] : [0x02, 0x00, 1]),
  ]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...types, ...section(2, [...leb(imports.length), ...entries])]);
}

const glue = (name: string): Import => ({ module: GLUE_MODULE, name, kind: 'function' });

test('the built core imports only the wasm-bindgen glue', () => {
  assert.ok(fs.existsSync(coreWasm), `the core is not built (${coreWasm}); npm test builds it, or: node scripts/build.mjs`);
  const bytes = fs.readFileSync(coreWasm);
  const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytes));
  assert.ok(imports.length > 0, 'the reader saw no imports at all');
  assert.deepEqual(foreignImports(bytes), []);
  checkWasmImports(coreWasm);
});

test('glue bindings on the list and wasm-bindgen intrinsics pass', () => {
  const ok = moduleWith([
    glue('__wbg_Error_0123456789abcdef'),
    glue('__wbg___wbindgen_throw_0123456789abcdef'),
    glue('__wbindgen_init_externref_table'),
  ]);
  assert.deepEqual(foreignImports(ok), []);
});

test('an import from outside the glue is reported', () => {
  const bad = foreignImports(moduleWith([glue('__wbg_Error_0123456789abcdef'), { module: 'env', name: 'fetch', kind: 'function' }]));
  assert.equal(bad.length, 1);
  assert.match(bad[0], /^env\.fetch \(function\): imported from outside the wasm-bindgen glue/);
});

test('a glue binding not on the list (a clock, random numbers) is reported', () => {
  const bad = foreignImports(moduleWith([glue('__wbg_now_0123456789abcdef'), glue('__wbg_random_fedcba9876543210')]));
  assert.equal(bad.length, 2);
  assert.match(bad[0], /the JavaScript binding `now` is not on the core's list/);
  assert.match(bad[1], /the JavaScript binding `random` is not on the core's list/);
});

test('the core reads no JavaScript values (every value crosses as JSON text): a binding that would is reported', () => {
  const bad = foreignImports(moduleWith([glue('__wbg_get_0123456789abcdef'), glue('__wbg_values_0123456789abcdef')]));
  assert.equal(bad.length, 2);
  assert.match(bad[0], /the JavaScript binding `get` is not on the core's list/);
});

test('a name that is not a wasm-bindgen binding, or a non-function import, is reported', () => {
  const bad = foreignImports(moduleWith([glue('readFileSync'), { module: GLUE_MODULE, name: 'memory', kind: 'memory' }]));
  assert.equal(bad.length, 2);
  assert.match(bad[0], /not a wasm-bindgen binding name/);
  assert.match(bad[1], /the glue gives functions only/);
});

test('the build check throws, naming the import', () => {
  const dir = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR ?? '/tmp'), 'tack-wasm-imports-'));
  try {
    const file = path.join(dir, 'foreign.wasm');
    fs.writeFileSync(file, moduleWith([{ module: 'env', name: 'Date_now', kind: 'function' }]));
    assert.throws(() => checkWasmImports(file), /imports more than the wasm-bindgen glue[\s\S]*env\.Date_now/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
