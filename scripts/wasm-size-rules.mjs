// The size rules of the core's .wasm, checked by the names of the functions in it. Each size pass
// (BENCHMARKS.md section 7) took a family of generic code out of the module, and one ordinary line
// of Rust brings it back: an f64 printed with `{}`, a serde_json Value printed, a derived
// Deserialize of an internally tagged enum. Clippy can name a macro or a function but not a trait
// impl for one type (wasm-ui-core/clippy.toml keeps `json!` out), so this reads the module
// wasm-bindgen wrote (its "name" section lists every function, demangled) and the build fails on a
// name from the list.
// tests/wasm-size-rules.test.ts proves the check can fail. Node built-ins only (the build runs it).
import fs from 'node:fs';

/** What must not be in the module: a pattern on function names, and why, with what to do instead. */
export const RULES = [
  {
    pattern: /core::fmt::float::|core::num::flt2dec::/,
    why: 'a float printed through Display or Debug (format!, to_string, {:?} of a struct with an f64) carries core\'s shortest and fixed-precision float formatters, about 20 KB; write the number from an integer, or let the host format it',
  },
  {
    pattern: /<serde_json::value::Value as core::fmt::(Display|Debug)>/,
    why: 'a serde_json Value printed through Display or Debug carries serde_json\'s pretty printer and its float writer; write it with crate::json_text',
  },
  {
    pattern: /serde_json::ser::PrettyFormatter/,
    why: 'serde_json\'s pretty printer; the core writes compact JSON only',
  },
  {
    pattern: /serde(_core)?::(__)?private::de::content::/,
    why: 'serde\'s buffered Content (a derived Deserialize of an internally tagged, adjacently tagged or untagged enum, or of #[serde(flatten)]) took 187 KB once; read such types by hand (session/tagged.rs, json_read.rs)',
  },
  {
    pattern: /serde_json::value::ser::Serializer|serde_json::value::to_value/,
    why: 'a value made through serde_json::to_value (or json!) is a Value serialiser compiled per type; build it with crate::json_value!',
  },
];

/** Reads an unsigned LEB128 number at `at`: [value, next offset]. */
function leb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    if (b === undefined) throw new Error('the module ends inside a number');
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return [value, at];
    shift += 7;
  }
}

/**
 * The function names in the "name" custom section of the module in `bytes` (its function-names
 * subsection), in the order given. Empty when the module has no such section.
 */
export function functionNames(bytes) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new Error('not a WebAssembly module');
  }
  const names = [];
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at++];
    let size;
    [size, at] = leb(bytes, at);
    const end = at + size;
    if (end > bytes.length) throw new Error('a section runs past the end of the module');
    if (id === 0) {
      let [len, p] = leb(bytes, at);
      const sectionName = decoder.decode(bytes.subarray(p, p + len));
      p += len;
      while (sectionName === 'name' && p < end) {
        const sub = bytes[p++];
        let subSize;
        [subSize, p] = leb(bytes, p);
        const subEnd = p + subSize;
        if (sub === 1) {
          let count;
          [count, p] = leb(bytes, p);
          for (let i = 0; i < count; i++) {
            [, p] = leb(bytes, p); // the function's index
            [len, p] = leb(bytes, p);
            names.push(decoder.decode(bytes.subarray(p, p + len)));
            p += len;
          }
        }
        p = subEnd;
      }
    }
    at = end;
  }
  return names;
}

/**
 * A function's name as the rules match it: without the crate disambiguators of Rust's v0 mangling,
 * which std is built with (`core[c5930c85a12de822]::fmt::float::...`; the crates built here use
 * the legacy scheme, whose names end in `::h` and a hash instead).
 */
export function plainName(name) {
  return name.replace(/\[[0-9a-f]{1,16}\]/g, '');
}

/** The functions of `names` each rule refuses (rules with none left out), by their plain names. */
function brokenRules(names) {
  const plain = names.map(plainName);
  return RULES.map((rule) => ({ rule, hits: plain.filter((n) => rule.pattern.test(n)) })).filter((b) => b.hits.length > 0);
}

/** Every function of the module in `bytes` that a rule refuses: its name, and why. */
export function sizeRuleBreaches(bytes) {
  return functionNames(bytes).flatMap((name) => brokenRules([name]).slice(0, 1).map(({ rule }) => `${name}: ${rule.why}`));
}

/**
 * Throws, naming the refused functions rule by rule, when the .wasm at `file` (wasm-bindgen's
 * module, which keeps the names section) breaks a size rule; also when it has no function names
 * to check.
 */
export function checkWasmSizeRules(file) {
  const names = functionNames(fs.readFileSync(file));
  if (names.length === 0) {
    throw new Error(`${file} has no function names to check the size rules against (is the wasm profile stripping them?)`);
  }
  const broken = brokenRules(names);
  if (broken.length > 0) {
    const said = broken.map(({ rule, hits }) => {
      const shown = hits.slice(0, 4).map((n) => `\n    ${n}`).join('');
      const more = hits.length > 4 ? `\n    and ${hits.length - 4} more` : '';
      return `${rule.why}:${shown}${more}`;
    });
    throw new Error(`${file} has code the core's size rules keep out (scripts/wasm-size-rules.mjs):\n  ${said.join('\n  ')}`);
  }
}
