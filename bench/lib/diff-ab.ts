// A/B of the line-level diffLines (what callers pay) and the whole diffTexts between two builds of
// the wasm module (same glue, so both must export both), in one process each, run alternately:
// node --import tsx bench/lib/diff-ab.ts A.wasm B.wasm [sizes]
import { execFileSync } from 'node:child_process';
import { diffLines } from 'diff';
import { diffCase } from './corpus';

const [, , a, b, sizesArg] = process.argv;
const sizes = (sizesArg ?? '1000,10000,100000').split(',').map(Number);
if (process.env.TACK_DIFF_AB_CHILD) {
  void (async () => {
    const { engines } = await import('../../extension/src/host/patch/engine');
    const e = engines();
    const out: Record<string, number> = {};
    for (const n of sizes) {
      const c = diffCase(n);
      const reps = n <= 1000 ? 400 : n <= 10000 ? 40 : 6;
      const t = (f: () => unknown) => {
        for (let i = 0; i < 3; i++) f();
        const xs: number[] = [];
        for (let i = 0; i < reps; i++) {
          const t0 = performance.now();
          f();
          xs.push(performance.now() - t0);
        }
        return xs.sort((x, y) => x - y)[xs.length >> 1];
      };
      out[`lines${n}`] = t(() => e.diffLines(c.original, c.proposed));
      out[`full${n}`] = t(() => e.diffTexts(c.original, c.proposed));
      out[`npm${n}`] = t(() => diffLines(c.original, c.proposed));
    }
    process.stdout.write(JSON.stringify(out));
  })();
} else {
  for (let round = 0; round < 3; round++) {
    for (const w of [a, b]) {
      const r = execFileSync(process.execPath, ['--import', 'tsx', __filename, a, b, sizes.join(',')], { env: { ...process.env, TACK_WASM: w, TACK_DIFF_AB_CHILD: '1' } }).toString();
      const j = JSON.parse(r) as Record<string, number>;
      console.log(w === a ? 'A' : 'B', Object.entries(j).map(([k, v]) => `${k}=${v.toFixed(3)}`).join(' '));
    }
  }
}
