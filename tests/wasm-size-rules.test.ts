// The core's size rules (scripts/wasm-size-rules.mjs, run by the build on wasm-bindgen's module,
// whose function names are demangled): the real module passes, and hand-assembled modules naming a
// float formatter, a printed Value or serde's buffered Content fail.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { checkWasmSizeRules, functionNames, plainName, RULES, sizeRuleBreaches } from '../scripts/wasm-size-rules.mjs';
import { repoRoot } from './lib/paths';

const named = path.join(repoRoot, 'target', 'wasm32-unknown-unknown', 'wasm', 'wasm_ui_core_named.wasm');

/** A module of no code whose "name" section names functions `names` (indices 0, 1, ...). */
function moduleNaming(names: string[]): Uint8Array {
  const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >>> 7)]);
  const text = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return [...leb(b.length), ...b];
  };
  const entries = names.flatMap((n, i) => [...leb(i), ...text(n)]);
  const functionsSub = [1, ...leb([...leb(names.length), ...entries].length), ...leb(names.length), ...entries];
  // A module-name subsection first, which the reader must step over.
  const moduleSub = [0, ...leb(text('core').length), ...text('core')];
  const body = [...text('name'), ...moduleSub, ...functionsSub];
  // A producers-like custom section before it, also stepped over.
  const other = [...text('producers'), 0];
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0, ...leb(other.length), ...other, 0, ...leb(body.length), ...body]);
}

test('the core as the build made it keeps every size rule', () => {
  assert.ok(fs.existsSync(named), `the core is not built (${named}); npm test builds it, or: node scripts/build.mjs`);
  const bytes = fs.readFileSync(named);
  const names = functionNames(bytes);
  assert.ok(names.length > 500, `the reader found only ${names.length} function names`);
  // Demangled, so the rules' patterns can match: the session's own handler is there by its path.
  assert.ok(names.some((n) => n.startsWith('wasm_ui_core::session::machine::Session::handle')), 'no demangled Session::handle among the names');
  assert.deepEqual(sizeRuleBreaches(bytes), []);
  checkWasmSizeRules(named);
});

test('the names are read whole, past other sections and subsections, long ones included', () => {
  const long = `wasm_ui_core::${'x'.repeat(300)}`;
  assert.deepEqual(functionNames(moduleNaming(['a', long, 'b'])), ['a', long, 'b']);
});

test('a float formatter, a printed Value, a pretty printer, buffered Content and to_value are each refused', () => {
  const refused = [
    // std's names as wasm-bindgen demangles them (v0 mangling: the crate's disambiguator kept).
    'core[c5930c85a12de822]::fmt::float::float_to_decimal_common_shortest::<f64>',
    'core[c5930c85a12de822]::num::flt2dec::strategy::grisu::format_shortest_opt',
    '<serde_json::value::Value as core::fmt::Display>::fmt::h0123456789abcdef',
    '<serde_json::value::Value as core::fmt::Debug>::fmt::h0123456789abcdef',
    '<serde_json::ser::PrettyFormatter as serde_json::ser::Formatter>::begin_object::h0123456789abcdef',
    '<serde::private::de::content::ContentVisitor as serde_core::de::Visitor>::visit_map::h8a8845732950822d',
    'serde_json::value::to_value::h0123456789abcdef',
  ];
  const bytes = moduleNaming(['wasm_ui_core::prompt::responses_body::h0123456789abcdef', ...refused]);
  const bad = sizeRuleBreaches(bytes);
  assert.equal(bad.length, refused.length, bad.join('\n'));
  refused.forEach((name, i) => assert.ok(bad[i].startsWith(`${name}: `), bad[i]));
  assert.match(bad[0], /float formatters/);
  assert.throws(() => {
    const file = path.join(fs.mkdtempSync(path.join(repoRoot, 'target', 'size-rules-')), 'bad.wasm');
    fs.writeFileSync(file, bytes);
    try {
      checkWasmSizeRules(file);
    } finally {
      fs.rmSync(path.dirname(file), { recursive: true });
    }
  }, /size rules keep out[\s\S]*float formatters[\s\S]*core::fmt::float::float_to_decimal_common_shortest/);
  // Every rule is exercised by a name above.
  for (const rule of RULES) assert.ok(refused.some((n) => rule.pattern.test(plainName(n))), `no refused name for ${rule.pattern}`);
});

test('the core\'s own code, integer formatting and serde_json\'s parser pass', () => {
  const ok = moduleNaming([
    'wasm_ui_core::json_write::unsigned::h0123456789abcdef',
    '<core[c5930c85a12de822]::fmt::num::imp::<impl core[c5930c85a12de822]::fmt::Display for u32>>::fmt',
    '<&mut serde_json::de::Deserializer<R> as serde_core::de::Deserializer>::deserialize_any::h0123456789abcdef',
    'serde_json::value::ser::<impl serde_core::ser::Serialize for serde_json::value::Value>::serialize::h0123456789abcdef',
  ]);
  assert.deepEqual(sizeRuleBreaches(ok), []);
});

test('a module without function names cannot pass as checked', () => {
  const file = path.join(fs.mkdtempSync(path.join(repoRoot, 'target', 'size-rules-')), 'stripped.wasm');
  fs.writeFileSync(file, new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  try {
    assert.throws(() => checkWasmSizeRules(file), /no function names/);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true });
  }
  assert.throws(() => functionNames(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])), /not a WebAssembly module/);
});
