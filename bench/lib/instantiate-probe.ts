// Times loadCore() in a fresh process: reading the .wasm file, compiling and instantiating it.
// The glue module is imported before the clock starts, so only the wasm work is timed.
//   node --import tsx bench/lib/instantiate-probe.ts   -> {"ms": N}
import { loadCore } from '../../extension/src/host/core';

const t0 = performance.now();
const core = loadCore();
const ms = performance.now() - t0;
// Touch an export so a lazily-finished instantiation could not hide from the clock.
const version = core.coreVersion();
process.stdout.write(`${JSON.stringify({ ms, version })}\n`);
