import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checksum, loadBundle, readCacheFile } from './code-cache';

/** Every temporary directory the tests made, removed when the file's tests are done. */
const made: string[] = [];
after(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

function bundleDir(source: string): { dir: string; bundle: string; cacheDir: string } {
  const dir = tempDir('tack-code-cache-');
  fs.writeFileSync(path.join(dir, 'helper.js'), 'module.exports = { twice: (n) => n * 2 };\n');
  const bundle = path.join(dir, 'main.js');
  fs.writeFileSync(bundle, source);
  return { dir, bundle, cacheDir: path.join(dir, 'cache') };
}

const SOURCE = `
const helper = require('./helper.js');
exports.dir = __dirname;
exports.file = __filename;
exports.value = helper.twice(21);
exports.compute = function (xs) { return xs.map((x) => x + 1).reduce((a, b) => a + b, 0); };
exports.viaModule = module.exports === exports;
`;

test('a bundle loads as CommonJS: relative require, __dirname, __filename, module.exports', () => {
  const { dir, bundle, cacheDir } = bundleDir(SOURCE);
  const first = loadBundle(bundle, cacheDir);
  const e = first.exports as Record<string, unknown>;
  assert.equal(first.cache, 'miss');
  assert.equal(e.dir, dir);
  assert.equal(e.file, bundle);
  assert.equal(e.value, 42);
  assert.equal(e.viaModule, true);
  assert.equal(loadBundle(bundle, undefined).cache, 'off');
});

test('the cache written after a load is used by the next load, which behaves the same', () => {
  const { bundle, cacheDir } = bundleDir(SOURCE);
  const first = loadBundle(bundle, cacheDir);
  (first.exports as { compute: (xs: number[]) => number }).compute([1, 2, 3]);
  first.save();
  const files = fs.readdirSync(cacheDir);
  assert.equal(files.length, 1);
  assert.match(files[0], /^main-v\d+\.\d+\.\d+-\w+\.v8$/);
  assert.equal(fs.statSync(cacheDir).mode & 0o777, 0o700);
  const second = loadBundle(bundle, cacheDir);
  assert.equal(second.cache, 'hit');
  assert.equal((second.exports as { compute: (xs: number[]) => number }).compute([1, 2, 3]), 9);
});

test('a changed bundle of the same length gets its own cache, never the old code', () => {
  const { bundle, cacheDir } = bundleDir(SOURCE);
  loadBundle(bundle, cacheDir).save();
  const changed = SOURCE.replace('twice(21)', 'twice(11)');
  assert.equal(changed.length, SOURCE.length);
  fs.writeFileSync(bundle, changed);
  const again = loadBundle(bundle, cacheDir);
  assert.equal(again.cache, 'miss');
  assert.equal((again.exports as { value: number }).value, 22);
  again.save();
  // The old version's file is gone once the new one is written.
  assert.equal(fs.readdirSync(cacheDir).length, 1);
  assert.equal(loadBundle(bundle, cacheDir).cache, 'hit');
});

test('a damaged or truncated cache file is not used: the bundle compiles from source and the file is replaced', () => {
  const { bundle, cacheDir } = bundleDir(SOURCE);
  loadBundle(bundle, cacheDir).save();
  const file = path.join(cacheDir, fs.readdirSync(cacheDir)[0]);
  const good = fs.readFileSync(file);
  const flipped = Buffer.from(good);
  flipped[flipped.length - 7] ^= 0x5a;
  fs.writeFileSync(file, flipped);
  assert.equal(readCacheFile(file, fs.readFileSync(bundle)), undefined);
  const damaged = loadBundle(bundle, cacheDir);
  assert.equal(damaged.cache, 'miss');
  assert.equal((damaged.exports as { value: number }).value, 42);
  damaged.save();
  assert.equal(loadBundle(bundle, cacheDir).cache, 'hit');
  fs.writeFileSync(file, good.subarray(0, good.length - 100));
  assert.equal(loadBundle(bundle, cacheDir).cache, 'miss');
  fs.writeFileSync(file, 'not a cache');
  assert.equal(loadBundle(bundle, cacheDir).cache, 'miss');
});

test('a cache file others could have written is not used', () => {
  const { bundle, cacheDir } = bundleDir(SOURCE);
  loadBundle(bundle, cacheDir).save();
  const file = path.join(cacheDir, fs.readdirSync(cacheDir)[0]);
  assert.ok(readCacheFile(file, fs.readFileSync(bundle)));
  fs.chmodSync(file, 0o666);
  assert.equal(readCacheFile(file, fs.readFileSync(bundle)), undefined);
  assert.equal(loadBundle(bundle, cacheDir).cache, 'miss');
  fs.chmodSync(file, 0o620);
  assert.equal(readCacheFile(file, fs.readFileSync(bundle)), undefined);
  fs.chmodSync(file, 0o600);
  assert.equal(loadBundle(bundle, cacheDir).cache, 'hit');
});

test('a cache directory that cannot be written costs the cache, not the start', () => {
  const { dir, bundle } = bundleDir(SOURCE);
  const blocker = path.join(dir, 'file-not-dir');
  fs.writeFileSync(blocker, '');
  const loaded = loadBundle(bundle, path.join(blocker, 'cache'));
  assert.equal((loaded.exports as { value: number }).value, 42);
  assert.doesNotThrow(() => loaded.save());
});

test('the built tack CLI writes its cache on a successful run and uses it on the next', async () => {
  const { spawnSync } = await import('node:child_process');
  const cli = path.join(__dirname, '..', '..', 'dist', 'cli.js');
  if (!fs.existsSync(cli)) return; // the unit suite may run before a build; the integration suites run the CLI
  const home = tempDir('tack-code-cache-home-');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, TACK_HOME: home, TACK_TIMING: '1' }, encoding: 'utf8' });
  const refused = run(['--no-such-command']);
  assert.equal(refused.status, 2);
  assert.equal(fs.existsSync(path.join(home, 'cache')), false, 'a refused command line writes nothing');
  const first = run(['--version']);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stderr, /bundle loaded \(code cache: miss\)/);
  const second = run(['--version']);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stderr, /bundle loaded \(code cache: hit\)/);
  assert.equal(second.stdout, first.stdout);
  assert.match(second.stdout, /^tack \d+\.\d+\.\d+/);
});

test('the checksum covers every byte, aligned or not, and a damaged source copy is not used', () => {
  const data = Buffer.from(Array.from({ length: 1027 }, (_, i) => (i * 31) & 0xff));
  const sum = checksum(data);
  for (const at of [0, 1, 512, 1023, 1024, 1026]) {
    const bad = Buffer.from(data);
    bad[at] ^= 0x01;
    assert.notEqual(checksum(bad), sum, `a flipped bit at ${at}`);
  }
  // The same bytes at an offset that is not a multiple of 4 give the same checksum.
  const shifted = Buffer.alloc(data.length + 1);
  data.copy(shifted, 1);
  assert.equal(checksum(shifted.subarray(1)), sum);

  const { bundle, cacheDir } = bundleDir(SOURCE);
  loadBundle(bundle, cacheDir).save();
  const file = path.join(cacheDir, fs.readdirSync(cacheDir)[0]);
  const raw = fs.readFileSync(file);
  assert.ok(readCacheFile(file, fs.readFileSync(bundle)));
  // A byte of the source copy changed: the file was not made from this bundle.
  const other = Buffer.from(raw);
  other[16 + 10] ^= 0x20;
  fs.writeFileSync(file, other, { mode: 0o600 });
  assert.equal(readCacheFile(file, fs.readFileSync(bundle)), undefined);
  assert.equal(loadBundle(bundle, cacheDir).cache, 'miss');
});
