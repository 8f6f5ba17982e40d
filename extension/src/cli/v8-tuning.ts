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
// Re-measured 2026-11-30 (bench/lib/step-probe.ts --steps 500 --tail 30): with --liftoff-only the
// core's handling of a command's exit (which builds the next request from the whole history) took
// 4.2 ms a step at step 500 against 3.2 ms with this budget, and a 0-step run exited no sooner.
import v8 from 'node:v8';

export const WASM_TIERING_BUDGET = 18_000_000;

v8.setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
// Each wasm function is validated when it is first compiled (V8 compiles them lazily, on first call)
// rather than the whole module up front: a run validates only the code it uses. Measured 2026-11-30
// (fresh processes, interleaved, n=6 each): compiling the module took 14 ms instead of 19 (CPU 7.5
// instead of 9.2 ms). Nothing runs unvalidated; a damaged module fails at the first call of a broken
// function instead of at load.
v8.setFlagsFromString('--wasm-lazy-validation');
