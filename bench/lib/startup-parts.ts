// The parts of the CLI's start-up, each as a whole process timed from spawn to exit (medians of
// --n runs, interleaved): Node alone, Node + the CLI bundle (--help), + compiling and instantiating
// the wasm core (--version), + a sidecar's spawn and initialize round trip.
//   node --import tsx bench/lib/startup-parts.ts [--n 15] [--cli extension/dist/cli.js]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { SidecarClient } from '../../extension/src/host/sidecar';

const argv = process.argv.slice(2);
const n = argv.includes('--n') ? Number(argv[argv.indexOf('--n') + 1]) : 15;
const cli = argv.includes('--cli') ? path.resolve(argv[argv.indexOf('--cli') + 1]) : path.join(__dirname, '..', '..', 'extension', 'dist', 'cli.js');

const cases: [string, string[]][] = [
  ['node -e 0 (Node alone)', ['-e', '0']],
  ['node cli.js --help (+ the bundle)', [cli, '--help']],
  ['node cli.js --version (+ the wasm core)', [cli, '--version']],
];
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

void (async () => {
  const times = cases.map(() => [] as number[]);
  const sidecar: number[] = [];
  for (let i = 0; i < n + 1; i++) {
    cases.forEach(([, args], j) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
      if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}`);
      if (i > 0) times[j].push(performance.now() - t0);
    });
    // The sidecar: spawn, initialize, and shut down, from this process.
    const t0 = performance.now();
    const c = new SidecarClient({});
    await c.initialize();
    if (i > 0) sidecar.push(performance.now() - t0);
    await c.dispose();
  }
  cases.forEach(([name], j) => console.log(`${name}: ${med(times[j]).toFixed(1)} ms`));
  console.log(`sidecar spawn + initialize (in process): ${med(sidecar).toFixed(1)} ms`);
})();
