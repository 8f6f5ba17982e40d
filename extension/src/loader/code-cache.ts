// Loads a bundle (dist/chunks/cli-main.js, dist/chunks/extension-main.js) as CommonJS through
// vm.Script with a V8 code cache, so a later start skips parsing and compiling what the last one
// compiled. The two entry files (dist/cli.js, dist/extension.js) are this loader and little else.
//
// The cache lives in a directory the caller names (the CLI: $TACK_HOME/cache/v8; VS Code: the
// extension's global storage), one file per bundle content: `<name>-<hash of the source>.v8`. The
// file carries its own length and checksum: V8 checks only the source's length, its own version and
// flags, so a stale or damaged file could otherwise be taken for good. A file that fails any check,
// or that V8 rejects, is ignored (the bundle compiles as without a cache) and replaced. Any I/O
// problem means no cache, never a failed start.
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

const MAGIC = 0x54434b31; // "TCK1"
const HEADER = 16; // magic, payload length, payload checksum, reserved (u32 each, little-endian)

/** Two 32-bit FNV-1a variants over the string: a content key without loading node:crypto. */
export function sourceKey(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return `${(a >>> 0).toString(16).padStart(8, '0')}${(b >>> 0).toString(16).padStart(8, '0')}`;
}

export function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/**
 * The V8 data in a cache file, or undefined when the file is missing, short, fails its checksum, or
 * could have been written by someone else (another owner, or writable by group or others): a code
 * cache is code this process will run.
 */
export function readCacheFile(file: string): Buffer | undefined {
  let raw: Buffer;
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const st = fs.fstatSync(fd);
    if (!st.isFile()) return undefined;
    // Windows reports every writable file as 0666 (its ACLs are not mode bits): the owner check is for Unix.
    if (process.platform !== 'win32' && (st.mode & 0o022) !== 0) return undefined;
    if (typeof process.getuid === 'function' && st.uid !== process.getuid()) return undefined;
    raw = fs.readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  if (raw.length < HEADER || raw.readUInt32LE(0) !== MAGIC) return undefined;
  const len = raw.readUInt32LE(4);
  if (len !== raw.length - HEADER) return undefined;
  const data = raw.subarray(HEADER);
  return checksum(data) === raw.readUInt32LE(8) ? data : undefined;
}

/** Writes atomically (temp file + rename); drops the cache files of other versions of the bundle. */
export function writeCacheFile(dir: string, name: string, file: string, data: Buffer): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(data.length, 4);
  header.writeUInt32LE(checksum(data), 8);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([header, data]), { mode: 0o600, flag: 'wx' });
  fs.renameSync(tmp, file);
  for (const e of fs.readdirSync(dir)) {
    if (e.startsWith(`${name}-`) && e.endsWith('.v8') && path.join(dir, e) !== file) fs.rmSync(path.join(dir, e), { force: true });
  }
}

export interface CachedLoad {
  exports: unknown;
  /** How the cache was used: "hit", "miss" (none or unusable), "rejected" (V8 refused it), "off". */
  cache: 'hit' | 'miss' | 'rejected' | 'off';
  /** Writes the cache now if this load did not come from a good one (call once the code has run a while). */
  save(): void;
}

/**
 * Loads `bundle` as a CommonJS module (its require, __dirname and module as if required), using and
 * refreshing a code cache in `cacheDir` (undefined: no cache).
 */
export function loadBundle(bundle: string, cacheDir: string | undefined): CachedLoad {
  const source = fs.readFileSync(bundle, 'utf8');
  const name = path.basename(bundle, '.js');
  const wrapper = Module.wrap(source);
  let cacheFile: string | undefined;
  let cachedData: Buffer | undefined;
  if (cacheDir) {
    // The key covers the source, the Node (V8) version and the architecture; V8 checks its flags itself.
    cacheFile = path.join(cacheDir, `${name}-${sourceKey(source)}-${process.version}-${process.arch}.v8`);
    cachedData = readCacheFile(cacheFile);
  }
  // A script made by vm has no loader behind import() (Node 20 offers one only as an experiment): the
  // bundles loaded here are built with import() turned into require() (scripts/build.mjs).
  const script = new vm.Script(wrapper, { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  const cache: CachedLoad['cache'] = !cacheFile ? 'off' : !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  const mod = new Module(bundle, module);
  mod.filename = bundle;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(bundle));
  const req = Module.createRequire(bundle);
  const fn = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  fn.call(mod.exports, mod.exports, req, mod, bundle, path.dirname(bundle));
  mod.loaded = true;
  let saved = cache === 'hit' || cache === 'off';
  return {
    exports: mod.exports,
    cache,
    save: () => {
      if (saved || !cacheFile || !cacheDir) return;
      saved = true;
      try {
        writeCacheFile(cacheDir, name, cacheFile, script.createCachedData());
      } catch {
        // a read-only or full disk: the next start compiles again
      }
    },
  };
}
