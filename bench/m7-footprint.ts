// 7. Footprint: the wasm module's size after wasm-opt, its instantiation time in Node, and the
// extension's activation time.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { benchDir, type Ctx, rel, repoRoot, runTimed, wasmFile } from './lib/context';
import { section, type Section } from './lib/report';
import { fmt, fmtSummary, summarize, type Summary } from './lib/stats';

/** Runs a probe in `reps` fresh processes (after one warm-up) and returns what each printed. */
async function fresh(reps: number, argv: string[]): Promise<Record<string, number>[]> {
  const out: Record<string, number>[] = [];
  for (let i = 0; i < reps + 1; i++) {
    const r = await runTimed(argv[0], argv.slice(1), { cwd: repoRoot });
    if (r.code !== 0) throw new Error(`${argv.slice(1).map((a) => rel(a)).join(' ')} exited ${r.code}: ${r.stderr.slice(0, 500)}`);
    if (i > 0) out.push(JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>);
  }
  return out;
}

/** What made the module smaller, in order; the gap text when over the target, a note when under. */
const SIZE_HISTORY =
  'Already done: one wire format (JSON text; serde-wasm-bindgen gone), the tagged enums without serde\'s buffered Content (187 KB), the tool specs as JSON, wasm-opt -Oz --converge, the tagged enums read by hand (session/readers.rs, tagged.rs), and every struct and unit enum the host sends or a session file holds read by hand from the parsed value (session/json_read.rs: no derived visitor with its sequence form, no serde_json Value deserialiser instances; 673 to 611 KB), and maps and sets built by inserting rather than by collect(), which sorted first and so carried a stable sort and a bulk loader per element type (611 to 580 KB), and the readers\' lists filled by push rather than collected into a Result (580 to 573 KB); the core\'s small maps and sets (live commands, streamed items, a patch\'s files, a file\'s hunk states, ...) kept as sorted vectors (wasm-ui-core/src/vec_map.rs, 4 KB in all) instead of a B-tree or hash map compiled per key and value type (582 to 540 KB); apply_patch\'s hunks ordered by insertion instead of a stable-sort instance (3.5 KB); wasm-opt --low-memory-unused (4.4 KB: Rust\'s wasm layout puts the 1 MB stack below the data, so the low 1 KB holds nothing); JSON values written as text through the boundary\'s writer (crate::json_text) instead of Value\'s Display, which carried serde_json\'s pretty printer (4.8 KB); the tools\' arguments (exec_command, shell, write_stdin, apply_patch, view_image, update_plan) read by hand from the parsed value (tools::parse_args) instead of by a derived reader through serde_json\'s text deserialiser per type, a syntax error keeping its line and column and a fault in a value naming its field (529 to 514 KB); replaySession parsing the records once into values instead of through serde_json\'s raw_value reader (514 to 503 KB); no float formatter: the primitives read by hand with serde\'s messages, so serde\'s Unexpected display (which printed an f64 through Display, carrying core\'s shortest and fixed-precision formatters) is not reached, and the exec output\'s wall time and an MCP attachment\'s size written from integers (503 to 483 KB); JSON values built with crate::json_value! instead of serde_json\'s json!, which made each value through to_value (a Value serialiser instance per type, a Value copied by serialising it), and the integer readers\' out-of-range message printing the Number rather than the Value, so Value\'s Display is gone (483 to 471 KB); the effects, thread events, session records, the replay, remembered approvals and the patch engines\' answers written as JSON by hand (wasm-ui-core/src/json_write.rs, byte for byte serde_json\'s text of the derived Serialize, which the tests compare against) instead of through a serialiser instance per type (471 to 461 KB). wasm-opt inlines a function with one caller only up to 200 bytes (3.3 KB more, so that V8\'s lazy compile of the first turn compiles a third less code: scripts/build.mjs). Last, the Rust side at opt-level "z" instead of "s", the diff engine staying at 3 (463 to 397 KB; Cargo.toml): earlier "z" built the request body and ran a tool step about 1.6x slower, but the body is now written from the history in place (wasm-ui-core/src/prompt/body.rs) instead of as a deep copy of it, so a tool step costs fewer V8 instructions at "z" than it did at "s" (callgrind, node --single-threaded --predictable: per step of a 20-step turn 10.7M against 15.4M before, at "s" with the body built as a copy; of a 400-step one 10.6M against 13.6M); apply_patch of a 50,000-line file costs 19% more instructions at "z" (section 5). Since then each history item keeps the text it is sent as, written once when it joins the history (wasm-ui-core/src/prompt/history.rs), and the request\'s fixed part (instructions, tools, options) is written once per session (prompt/body.rs, Skeleton): 1.9 KB more code (397 to 398 KB) for a tool step of 3.2M V8 instructions instead of 5.3M (callgrind as above, per step of a 40-step session driven in process).';

export async function footprintBench(ctx: Ctx): Promise<Section> {
  const s = section('7', 'Footprint: wasm size, instantiation, activation');
  const reps = ctx.reps(20, 4);
  const bytes = fs.readFileSync(wasmFile);
  const sizeKb = bytes.length / 1024;
  const gzKb = zlib.gzipSync(bytes, { level: 9 }).length / 1024;
  const rows: string[][] = [[`wasm module (${rel(wasmFile)}, after wasm-opt -Oz --converge --low-memory-unused)`, `${fmt(sizeKb)} KB`, `${fmt(gzKb)} KB gzipped`, '', '']];
  s.targets.push({
    what: 'wasm module size',
    target: '< 400 KB',
    actual: `${fmt(sizeKb)} KB`,
    met: sizeKb < 400,
    gap: sizeKb >= 400 ? `Over by ${fmt(sizeKb - 400)} KB (${fmt((100 * (sizeKb - 400)) / 400)}%). ${SIZE_HISTORY}` : undefined,
  });
  if (sizeKb < 400) s.notes.push(`How the module got under 400 KB: ${SIZE_HISTORY}`);

  const inst = summarize((await fresh(reps, [process.execPath, '--import', 'tsx', path.join(benchDir, 'lib', 'instantiate-probe.ts')])).map((o) => o.ms));
  rows.push(['instantiation in Node (read + compile + instantiate, fresh process)', ...fmtSummary(inst)]);
  // An experiment for the gap text: the same with V8's baseline wasm compiler only.
  let liftoff: Summary | undefined;
  try {
    liftoff = summarize((await fresh(reps, [process.execPath, '--liftoff-only', '--import', 'tsx', path.join(benchDir, 'lib', 'instantiate-probe.ts')])).map((o) => o.ms));
    rows.push(['  the same with node --liftoff-only (experiment)', ...fmtSummary(liftoff)]);
  } catch (e) {
    s.notes.push(`The --liftoff-only experiment failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  s.targets.push({
    what: 'wasm instantiation in Node',
    target: '< 10 ms',
    actual: `${fmt(inst.median)} ms`,
    met: inst.median < 10,
    gap:
      inst.median >= 10
        ? `Over by ${fmt(inst.median - 10)} ms.` +
          (liftoff
            ? ` With \`node --liftoff-only\` (baseline compiler only, no optimising tier up front) it takes ${fmt(liftoff.median)} ms, so V8's optimising compile accounts for about ${fmt(Math.max(0, inst.median - liftoff.median))} ms of it` +
              (liftoff.median < 10
                ? '; compiling with the baseline tier first would meet the target (in the CLI: v8.setFlagsFromString before loadCore; the extension host is shared with other extensions, so there a smaller module is the lever).'
                : '; a smaller module (see the size target) is needed on top of that.')
            : '')
        : undefined,
  });

  const extDir = path.join(repoRoot, 'extension');
  const probe = path.join(benchDir, 'lib', 'activate-probe.cjs');
  let act: Summary | null = null;
  let firstUse: Summary | null = null;
  try {
    const runs = await fresh(reps, [process.execPath, probe, extDir, '--show-chat']);
    const load = summarize(runs.map((o) => o.loadMs));
    act = summarize(runs.map((o) => o.loadMs + o.activateMs));
    rows.push(['extension: loading dist/extension.js', ...fmtSummary(load)]);
    rows.push(['extension: load + activate()', ...fmtSummary(act)]);
    rows.push(['extension: then showing the chat (resolveWebviewView)', ...fmtSummary(summarize(runs.map((o) => o.showMs)))]);
    firstUse = summarize(runs.map((o) => o.firstCommandMs));
    rows.push(['extension: then the first command (loads dist/chunks/extension-main.js)', ...fmtSummary(firstUse)]);
  } catch (e) {
    s.status = 'partial';
    s.notes.push(`Activation could not be measured: ${e instanceof Error ? e.message : String(e)}`);
  }
  s.targets.push({
    what: 'extension activation',
    target: '< 20 ms',
    actual: act ? `${fmt(act.median)} ms (load + activate, stand-in host)` : 'not measured',
    met: act ? act.median < 20 : null,
    gap:
      act && act.median >= 20
        ? `Over by ${fmt(act.median - 20)} ms. Activation loads only dist/extension.js, the registrations (src/vscode/extension.ts: the commands, the chat view, the output channel); the controller, the clients, inline review, the Changes view, MCP and checkpoints are dist/chunks/extension-main.js, loaded on the first command or when the chat is shown${firstUse ? ` (${fmt(firstUse.median)} ms, the "first command" row)` : ''}. The rows above split what is left between loading that bundle and activate(); \`node --cpu-prof bench/lib/activate-probe.cjs extension\` shows what runs in them.`
        : undefined,
  });
  s.tables.push({ headers: ['what', 'median / size', 'min–max (ms) / note', 'n'], rows: rows.map((r) => r.slice(0, 4)), numericFrom: 1 });
  s.headline.push(
    `Footprint: wasm module ${fmt(sizeKb)} KB (${fmt(gzKb)} KB gzipped), instantiated in ${fmt(inst.median)} ms` + (act ? `; extension activation ${fmt(act.median)} ms.` : '.'),
  );
  s.notes.push(
    `Instantiation: ${reps} fresh Node processes each time \`loadCore()\` (bench/lib/instantiate-probe.ts: read the file, WebAssembly compile + instantiate through the wasm-bindgen glue, call an export); the glue module is imported before the clock starts.`,
    `Activation: ${reps} fresh Node processes each \`require\` the bundled dist/extension.js and await \`activate(context)\` (bench/lib/activate-probe.cjs). The \`vscode\` module is a stand-in that answers every call (its names come from @types/vscode), so this is the extension's own cost: the bundle's load and activate(). VS Code's extension-host bookkeeping (reading package.json, the activation event) comes on top and is the same for every extension. Then (--show-chat) the probe shows the chat view as VS Code does when the sidebar is open at start-up, and runs a command with nothing to do (\`tack.stop\`): its time is the heavy chunk's load and the services' construction, which activation no longer pays. Showing the chat requires node:crypto (the page's CSP nonce), about 3 ms of the show row in the probe's fresh process; VS Code's extension host has loaded it already (its extensionHostProcess.js imports crypto), so there showing costs about 1 ms.`,
  );
  s.commands.push(
    'node --import tsx bench/run.ts --only 7',
    `node --import tsx ${rel(path.join(benchDir, 'lib', 'instantiate-probe.ts'))}`,
    `node ${rel(probe)} extension --show-chat`,
  );
  return s;
}
