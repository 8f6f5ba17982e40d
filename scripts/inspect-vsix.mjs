// Looks inside a .vsix (a zip) without unpacking it: which sidecars it carries and what kind of
// executable each is. Used by `npm run package` and by tests/platforms/packages.test.ts.
//   node scripts/inspect-vsix.mjs FILE.vsix...
import fs from 'node:fs';
import zlib from 'node:zlib';
import { isMain, runMain } from './lib.mjs';

/** The entries of a zip: name -> () => contents. Reads the central directory (no zip64: packages are small). */
export function readZip(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file (no end-of-central-directory record)`);
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`${file}: broken central directory`);
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    entries.set(name, () => {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const raw = buf.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(raw);
      if (method === 8) return zlib.inflateRawSync(raw);
      throw new Error(`${file}: ${name} uses zip method ${method}`);
    });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** What kind of executable `b` is: { format, arch, static? }, or null when it is none we know. */
export function executableKind(b) {
  if (b.length > 64 && b.readUInt32BE(0) === 0x7f454c46) {
    if (b[4] !== 2 || b[5] !== 1) return { format: 'ELF', arch: 'not 64-bit little-endian' };
    const machine = { 0x3e: 'x86-64', 0xb7: 'aarch64' }[b.readUInt16LE(18)] ?? `machine ${b.readUInt16LE(18)}`;
    const phoff = Number(b.readBigUInt64LE(32));
    const phentsize = b.readUInt16LE(54);
    const phnum = b.readUInt16LE(56);
    let interp = false;
    for (let i = 0; i < phnum; i++) if (b.readUInt32LE(phoff + i * phentsize) === 3) interp = true; // PT_INTERP
    return { format: 'ELF', arch: machine, static: !interp };
  }
  if (b.length > 64 && b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    if (b.readUInt32BE(pe) !== 0x50450000) return { format: 'MZ (not PE)', arch: '?' };
    const machine = { 0x8664: 'x86-64', 0xaa64: 'arm64', 0x14c: 'x86' }[b.readUInt16LE(pe + 4)] ?? `machine ${b.readUInt16LE(pe + 4)}`;
    return { format: 'PE', arch: machine };
  }
  if (b.length > 32 && b.readUInt32LE(0) === 0xfeedfacf) {
    const cpu = { 0x01000007: 'x86-64', 0x0100000c: 'arm64' }[b.readUInt32LE(4)] ?? `cputype ${b.readUInt32LE(4)}`;
    return { format: 'Mach-O', arch: cpu };
  }
  return null;
}

/** What each target's sidecar must be. */
export const EXPECTED = {
  'linux-x64': { format: 'ELF', arch: 'x86-64', static: true },
  'alpine-x64': { format: 'ELF', arch: 'x86-64', static: true },
  'linux-arm64': { format: 'ELF', arch: 'aarch64', static: true },
  'darwin-x64': { format: 'Mach-O', arch: 'x86-64' },
  'darwin-arm64': { format: 'Mach-O', arch: 'arm64' },
  'win32-x64': { format: 'PE', arch: 'x86-64' },
  'win32-arm64': { format: 'PE', arch: 'arm64' },
};

const describe = (k) => (k ? `${k.format} ${k.arch}${k.static === undefined ? '' : k.static ? ' static' : ' dynamic'}` : 'not an executable');

/**
 * Checks a per-target package: the manifest names its target, it carries exactly one sidecar (under
 * extension/dist/bin/<target>/) of that target's format, and the shared wasm module and bundles.
 * Throws with what is wrong; returns { target, sidecar, size, description }.
 */
export function inspectVsix(file) {
  const zip = readZip(file);
  const manifest = zip.get('extension.vsixmanifest')?.().toString('utf8') ?? '';
  const target = manifest.match(/TargetPlatform="([^"]+)"/)?.[1];
  if (!target) throw new Error(`${file}: the manifest names no TargetPlatform (not packaged with --target)`);
  const want = EXPECTED[target];
  if (!want) throw new Error(`${file}: unknown target ${target}`);
  const sidecars = [...zip.keys()].filter((n) => /(^|\/)tack-sidecar(\.exe)?$/.test(n));
  if (sidecars.length !== 1) throw new Error(`${file}: carries ${sidecars.length} sidecars (${sidecars.join(', ') || 'none'}); want exactly one`);
  const expectedName = `extension/dist/bin/${target}/tack-sidecar${target.startsWith('win32') ? '.exe' : ''}`;
  if (sidecars[0] !== expectedName) throw new Error(`${file}: the sidecar is at ${sidecars[0]}; want ${expectedName}`);
  for (const shared of ['extension/dist/extension.js', 'extension/dist/cli.js', 'extension/dist/chunks/cli-main.js', 'extension/dist/chunks/extension-main.js', 'extension/dist/chunks/mcp-sdk.js', 'extension/dist/chunks/mcp-server.js', 'extension/package.json']) {
    if (!zip.has(shared)) throw new Error(`${file}: ${shared} is missing`);
  }
  if (![...zip.keys()].some((n) => n.startsWith('extension/dist/wasm/') && n.endsWith('.wasm'))) throw new Error(`${file}: the wasm module is missing`);
  const bytes = zip.get(sidecars[0])();
  const kind = executableKind(bytes);
  const ok = kind && kind.format === want.format && kind.arch === want.arch && (want.static === undefined || kind.static === want.static);
  if (!ok) throw new Error(`${file}: the sidecar is ${describe(kind)}; want ${describe(want)}`);
  return { target, sidecar: sidecars[0], size: bytes.length, description: describe(kind) };
}

if (isMain(import.meta.url)) {
  runMain(async () => {
    for (const f of process.argv.slice(2)) {
      const r = inspectVsix(f);
      process.stdout.write(`${f}: ${r.target}, ${r.sidecar}, ${r.description}, ${r.size} bytes\n`);
    }
  });
}
