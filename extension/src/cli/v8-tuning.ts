// V8 settings for the short-lived CLI process, applied before the wasm core is compiled.
//
// V8 runs wasm functions first from its baseline compiler (Liftoff) and recompiles the ones that
// get hot with its optimising compiler (TurboFan) on background threads; a process that exits waits
// for those compilations to finish. The core's big functions (the session's event handler, serde's
// generated code) got hot during even a 0-step `tack exec` and made it wait about 120 ms at exit
// for code it would never run again. A tenfold tiering budget (V8's default is 1,800,000, roughly
// bytes executed) lets a short run finish on Liftoff code, while a long session still tiers up its
// hot paths (prompt assembly for a long history runs 4x slower on Liftoff alone, so
// `--liftoff-only` is not used). Measured in BENCHMARKS.md section 1 (bench/lib/cold-probe.ts).
import v8 from 'node:v8';

export const WASM_TIERING_BUDGET = 18_000_000;

v8.setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
