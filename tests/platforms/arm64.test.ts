// The linux-arm64 sidecar (issue 15; static musl, cross-built with cargo-zigbuild) run under
// qemu-user (Debian's qemu-user-static, which `npm test` installs): initialize and a command. qemu-user
// emulates neither Landlock nor seccomp, so the sandbox reports unavailable there and only the
// protocol is checked, not the sandbox.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { after, before, test } from 'node:test';
import { crossSidecar } from '../lib/cross';
import { RawSidecar } from '../lib/raw-sidecar';

const QEMU = ['/usr/bin/qemu-aarch64-static', '/usr/bin/qemu-aarch64'].find((p) => fs.existsSync(p));
const found = crossSidecar('linux-arm64');
const onArm = process.arch === 'arm64';
const skip = !found.ok ? found.reason : !QEMU && !onArm ? 'qemu-user is not installed (Debian: apt-get install qemu-user-static; npm test installs it as root)' : undefined;

let sidecar: RawSidecar;

before(() => {
  if (skip) return;
  sidecar = onArm ? new RawSidecar(found.binary!, [], process.env) : new RawSidecar(QEMU!, [found.binary!], process.env);
});

after(async () => {
  if (!skip) await sidecar.stop();
});

test('initialize under qemu-aarch64: linux, and an honest sandbox report', { skip }, async () => {
  const r = await sidecar.request('initialize', { clientName: 'test' });
  assert.equal(r.error, undefined);
  assert.equal(r.result!.platform, 'linux');
  assert.equal(r.result!.osSandbox, true);
  const sandbox = r.result!.sandbox as { available: boolean; limitations: string[] };
  if (!sandbox.available) assert.ok(sandbox.limitations.length > 0, 'unavailable without saying why');
});

test('a command runs through pipes with its output and exit code', { skip }, async () => {
  const r = await sidecar.exec({ argv: ['sh', '-c', 'echo from-arm64; exit 4'], cwd: os.tmpdir(), tty: false, sandbox: { mode: 'danger-full-access' } });
  assert.match(r.output, /^from-arm64\n/);
  assert.equal(r.exited.exitCode, 4);
});

test('a malformed line gets a parse error', { skip }, async () => {
  sidecar.sendLine('[1, 2');
  const err = await sidecar.waitFor('the parse error', (m) => m.error?.code === -32700);
  assert.equal(err.id, null);
});
