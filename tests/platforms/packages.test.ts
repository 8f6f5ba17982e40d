// The per-platform packages (issue 15): each .vsix in extension/ names its target and carries exactly
// one sidecar, of that target's kind (ELF static for Linux, PE for Windows, Mach-O for macOS). `npm test`
// builds the host's package and the ones the emulator tests need; `npm run package` builds them all
// and runs the same check.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { extensionDir, hostVsix } from '../lib/paths';

interface Inspected {
  target: string;
  sidecar: string;
  size: number;
  description: string;
}
interface InspectModule {
  inspectVsix(file: string): Inspected;
  executableKind(b: Buffer): { format: string; arch: string; static?: boolean } | null;
}
const inspector = path.join(import.meta.dirname, '..', '..', 'scripts', 'inspect-vsix.mjs');
const load = async (): Promise<InspectModule> => (await import(pathToFileURL(inspector).href)) as InspectModule;

const version = (JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8')) as { version: string }).version;
const packages = fs
  .readdirSync(extensionDir)
  .filter((f) => f.startsWith('tack-') && f.endsWith(`-${version}.vsix`))
  .map((f) => path.join(extensionDir, f));

test("the host's package is built, under vsce's per-target name", () => {
  assert.ok(fs.existsSync(hostVsix), `${hostVsix} is missing; run npm run build`);
  assert.ok(packages.includes(hostVsix));
});

for (const file of packages) {
  test(`${path.basename(file)} carries exactly its own sidecar, of the right kind`, async () => {
    const { inspectVsix } = await load();
    const r = inspectVsix(file);
    assert.equal(path.basename(file), `tack-${r.target}-${version}.vsix`);
    if (r.target.startsWith('linux-') || r.target.startsWith('alpine-')) {
      assert.match(r.description, /^ELF .* static$/);
      assert.ok(r.size < 3 * 1024 * 1024, `${r.sidecar} is ${r.size} bytes; Linux sidecars stay under 3 MB`);
    }
  });
}

test('the inspector tells the executable kinds apart (and would catch a wrong one)', async () => {
  const { executableKind, inspectVsix } = await load();
  assert.equal(executableKind(Buffer.from('#!/bin/sh\necho not a binary\n'.padEnd(80))), null);
  const host = executableKind(fs.readFileSync(process.execPath));
  assert.ok(host && ['ELF', 'PE', 'Mach-O'].includes(host.format));
  // node itself is dynamically linked: a package carrying it as its Linux sidecar must fail.
  if (host?.format === 'ELF') assert.equal(host.static, false);
  assert.throws(() => inspectVsix(process.execPath), /not a zip file/);
});
