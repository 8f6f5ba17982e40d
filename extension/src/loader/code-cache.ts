// Loads a bundle (dist/chunks/cli-main.js, dist/chunks/extension-main.js) as CommonJS through
// vm.Script with a V8 code cache, so a later start skips parsing and compiling what the last one
// compiled. The two entry files (dist/cli.js, dist/extension.js) are this loader and little else.
//
// The cache lives in a directory the caller names (the CLI: $TACK_HOME/cache/v8; VS Code: the
// extension's global storage), one file per bundle, Node version and architecture:
// `<name>-<node version>-<arch>.v8`. V8 checks only the source's length, its own version and flags,
// so the file carries the rest itself: a copy of the exact source it was made from (used only when
// it is byte for byte the bundle being loaded: a changed bundle never meets old code, whatever its
// length) and a checksum of V8's data (a damaged file is not used). A file that fails any check, or
// that V8 rejects, is ignored (the bundle compiles as without a cache) and replaced. Any I/O problem
// means no cache, never a failed start.
//
// Comparing the source costs a memcmp, and the checksum runs over 32-bit words: hashing the 160 KB
// bundle and its cache byte by byte in JavaScript (the first format) cost the CLI's start-up several
// milliseconds, and a native hash would load node:crypto or node:zlib (3-6 ms) for it.
import fs from 'node:fs';
import Module from 'node:module';
import path from 'node:path';
import vm from 'node:vm';

const MAGIC = 0x54434b32; // "TCK2"
/** magic, source length, V8 data length, V8 data checksum (u32 each, little-endian). */
const HEADER = 16;

/** The source copy takes whole 32-bit words, so the V8 data after it starts aligned. */
const padded = (n: number) => (n + 3) & ~3;

/** FNV-1a over 32-bit little-endian words (the tail bytes one by one): a cheap damage check. */
export function checksum(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  const words = bytes.length >>> 2;
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : new Uint8Array(bytes);
  const w = new Uint32Array(aligned.buffer, aligned.byteOffset, words);
  for (let i = 0; i < words; i++) h = Math.imul(h ^ w[i], 0x01000193);
  for (let i = words * 4; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** The cache file's name for a bundle: one per bundle name, Node (V8) version and architecture. */
export function cacheFileName(name: string): string {
  return `${name}-${process.version}-${process.arch}.v8`;
}

/**
 * The V8 data in a cache file made from exactly `source`, or undefined when the file is missing,
 * short, was made from another source, fails its checksum, or could have been written by someone
 * else (another owner, or writable by group or others): a code cache is code this process will run.
 */
export function readCacheFile(file: string, source: Buffer): Buffer | undefined {
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
  const sourceLen = raw.readUInt32LE(4);
  const dataLen = raw.readUInt32LE(8);
  const dataStart = HEADER + padded(sourceLen);
  if (sourceLen !== source.length || dataStart + dataLen !== raw.length) return undefined;
  if (!raw.subarray(HEADER, HEADER + sourceLen).equals(source)) return undefined;
  const data = raw.subarray(dataStart);
  return checksum(data) === raw.readUInt32LE(12) ? data : undefined;
}

/** Writes atomically (temp file + rename); drops the bundle's other cache files (other Node versions, older formats). */
export function writeCacheFile(dir: string, name: string, file: string, source: Buffer, data: Buffer): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const header = Buffer.alloc(HEADER);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(source.length, 4);
  header.writeUInt32LE(data.length, 8);
  header.writeUInt32LE(checksum(data), 12);
  const pad = Buffer.alloc(padded(source.length) - source.length);
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([header, source, pad, data]), { mode: 0o600, flag: 'wx' });
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
  const bytes = fs.readFileSync(bundle);
  const source = bytes.toString('utf8');
  const name = path.basename(bundle, '.js');
  const wrapper = Module.wrap(source);
  let cacheFile: string | undefined;
  let cachedData: Buffer | undefined;
  if (cacheDir) {
    // The file name covers the Node (V8) version and the architecture, its contents the exact
    // source; V8 checks its flags itself.
    cacheFile = path.join(cacheDir, cacheFileName(name));
    cachedData = readCacheFile(cacheFile, bytes);
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
        writeCacheFile(cacheDir, name, cacheFile, bytes, script.createCachedData());
      } catch {
        // a read-only or full disk: the next start compiles again
      }
    },
  };
}
