// dist/cli.js, the `tack` command's entry: applies the V8 settings, then loads the CLI's bundle
// (dist/chunks/cli-main.js, built from ./main.ts) through a V8 code cache in $TACK_HOME/cache/v8
// (loader/code-cache.ts). A run without a usable cache compiles as before and writes one as it exits
// (when it exits 0).
// TACK_CODE_CACHE=0 turns it off.
import './v8-tuning'; // first: V8 checks that a code cache was made under the same flags
import os from 'node:os';
import path from 'node:path';
import { timingMark } from '../host/agent/timing';
import { loadBundle } from '../loader/code-cache';

function cacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.TACK_CODE_CACHE === '0') return undefined;
  const home = env.TACK_HOME && env.TACK_HOME.trim() !== '' ? env.TACK_HOME : path.join(os.homedir(), '.tack');
  return path.join(home, 'cache', 'v8');
}

timingMark('entry started');
const loaded = loadBundle(path.join(__dirname, 'chunks', 'cli-main.js'), cacheDir(process.env));
timingMark(`bundle loaded (code cache: ${loaded.cache})`);
// At exit the cache holds every function the run compiled, not only the start-up's. Only after a
// run that succeeded: a refused command line writes nothing anywhere.
if (loaded.cache !== 'hit') process.once('exit', (code) => code === 0 && loaded.save());
