// Runs the benchmarks and writes BENCHMARKS.md (and bench/results/results.json).
//   node --import tsx bench/run.ts [--quick] [--only 1,4,...] [--out FILE]
// `npm run bench` (scripts/bench.mjs) builds first, installs the peer, then calls this.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findCodexBinary, makeCtx, repoRoot, resultsDir, type Ctx } from './lib/context';
import { machineInfo, versions } from './lib/machine';
import { renderMarkdown, section, type Section } from './lib/report';
import { agentBench } from './m1-agent';
import { roundTripBench } from './m2-roundtrip';
import { streamingBench } from './m3-streaming';
import { diffBench } from './m4-diff';
import { applyPatchBench } from './m5-apply-patch';
import { promptBench } from './m6-prompt';
import { footprintBench } from './m7-footprint';
import { checkpointsBench } from './m8-checkpoints';
import { longSessionBench } from './m9-long-session';
import { webviewBench } from './m10-webview';

interface Measurement {
  id: string;
  title: string;
  run(ctx: Ctx): Promise<Section>;
}

const measurements: Measurement[] = [
  { id: '1', title: 'Agent step overhead', run: agentBench },
  { id: '2', title: 'Command round trip', run: roundTripBench },
  { id: '3', title: 'Output streaming', run: streamingBench },
  { id: '4', title: 'Diff', run: diffBench },
  { id: '5', title: 'apply_patch', run: applyPatchBench },
  { id: '6', title: 'Prompt assembly', run: promptBench },
  { id: '7', title: 'Footprint', run: footprintBench },
  { id: '8', title: 'Checkpoints', run: checkpointsBench },
  { id: '9', title: 'A long session', run: longSessionBench },
  { id: '10', title: 'The chat webview under a long session', run: webviewBench },
];

function parseArgs(argv: string[]) {
  const opts = { quick: false, only: null as string[] | null, out: path.join(repoRoot, 'BENCHMARKS.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') opts.quick = true;
    else if (a === '--only') opts.only = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--out') opts.out = path.resolve(argv[++i] ?? '');
    else throw new Error(`bench: unknown option ${a} (known: --quick, --only 1,2,..., --out FILE)`);
  }
  return opts;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const ctx = makeCtx(opts.quick);
  const started = Date.now();
  const machine = machineInfo();
  const sections: Section[] = [];
  try {
    for (const m of measurements) {
      if (opts.only && !opts.only.includes(m.id)) continue;
      process.stderr.write(`==> bench ${m.id}: ${m.title}\n`);
      const t0 = Date.now();
      try {
        sections.push(await m.run(ctx));
      } catch (e) {
        // One broken measurement must not cost the others their numbers: report it and go on.
        const s = section(m.id, m.title);
        s.status = 'failed';
        s.notes.push(`The measurement failed: ${e instanceof Error ? e.message : String(e)}`);
        sections.push(s);
        process.stderr.write(`   failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      }
      process.stderr.write(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
    }
  } finally {
    ctx.cleanup();
  }
  const argsShown = process.argv.slice(2).filter((a) => a !== '--out' && path.resolve(a) !== opts.out);
  const report = {
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    machine: { ...machine, 'load average at end': os.loadavg().map((l) => l.toFixed(2)).join(' ') },
    versions: versions(findCodexBinary()),
    invocation: `npm run bench${argsShown.length ? ` -- ${argsShown.join(' ')}` : ''}`,
    quick: opts.quick,
    durationS: (Date.now() - started) / 1000,
    sections,
  };
  fs.mkdirSync(resultsDir, { recursive: true });
  fs.writeFileSync(path.join(resultsDir, 'results.json'), JSON.stringify(report, null, 2));
  fs.writeFileSync(opts.out, renderMarkdown(report));
  process.stderr.write(`==> wrote ${path.relative(process.cwd(), opts.out)} and bench/results/results.json\n`);
  return sections.some((s) => s.status === 'failed') ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  },
);
