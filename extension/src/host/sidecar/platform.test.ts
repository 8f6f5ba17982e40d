// Which sidecar the host starts on which platform, and what it says when the package has none.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SidecarClient, SidecarCrashedError } from './client';
import { currentHost, locateSidecar, targetOf, type HostPlatform } from './platform';

/** A dist/bin with a sidecar for each of `targets` (files only: nothing here runs them). */
function binDir(targets: string[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-bin-'));
  for (const t of targets) {
    fs.mkdirSync(path.join(dir, t));
    fs.writeFileSync(path.join(dir, t, t.startsWith('win32') ? 'tack-sidecar.exe' : 'tack-sidecar'), '');
  }
  return dir;
}

const host = (platform: NodeJS.Platform, arch: string, alpine = false): HostPlatform => ({ platform, arch, alpine });

test('each platform gets its own sidecar, with the .exe name on Windows', () => {
  const dir = binDir(['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64']);
  try {
    assert.deepEqual(locateSidecar([dir], host('linux', 'x64')), { path: path.join(dir, 'linux-x64', 'tack-sidecar'), target: 'linux-x64' });
    assert.deepEqual(locateSidecar([dir], host('linux', 'arm64')), { path: path.join(dir, 'linux-arm64', 'tack-sidecar'), target: 'linux-arm64' });
    assert.deepEqual(locateSidecar([dir], host('darwin', 'arm64')), { path: path.join(dir, 'darwin-arm64', 'tack-sidecar'), target: 'darwin-arm64' });
    assert.deepEqual(locateSidecar([dir], host('win32', 'x64')), { path: path.join(dir, 'win32-x64', 'tack-sidecar.exe'), target: 'win32-x64' });
    // Windows on Arm runs the x64 one; Alpine the static linux one.
    assert.deepEqual(locateSidecar([dir], host('win32', 'arm64')), { path: path.join(dir, 'win32-x64', 'tack-sidecar.exe'), target: 'win32-x64' });
    assert.deepEqual(locateSidecar([dir], host('linux', 'x64', true)), { path: path.join(dir, 'linux-x64', 'tack-sidecar'), target: 'linux-x64' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a package for another platform says which platform this is, what it carries and what to install', () => {
  const dir = binDir(['linux-x64']);
  try {
    const r = locateSidecar([dir], host('darwin', 'arm64'));
    assert.ok('problem' in r);
    assert.match(r.problem, /this platform, darwin-arm64 \(darwin on arm64\)/);
    assert.match(r.problem, /carries the runner for linux-x64 only/);
    assert.match(r.problem, /Install the Tack package built for darwin-arm64 .*tack-darwin-arm64-<version>\.vsix/);
    // A Linux package never hands a Linux binary to Windows.
    const w = locateSidecar([dir], host('win32', 'x64'));
    assert.ok('problem' in w && /win32-x64/.test(w.problem));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a platform Tack builds nothing for is named as unsupported', () => {
  const r = locateSidecar([path.join(os.tmpdir(), 'tack-no-such-bin')], host('freebsd', 'x64'));
  assert.ok('problem' in r);
  assert.match(r.problem, /freebsd-x64/);
  assert.match(r.problem, /carries no runner at all/);
  assert.match(r.problem, /does not build a runner for freebsd-x64 yet .*TACK_SIDECAR/);
});

test('the client reports the platform problem instead of ENOENT', async () => {
  const other = targetOf(currentHost()) === 'win32-x64' ? 'linux-x64' : 'win32-x64';
  const dir = binDir([other]);
  const saved = process.env.TACK_SIDECAR;
  delete process.env.TACK_SIDECAR;
  const client = new SidecarClient({ binDirs: [dir] });
  try {
    await assert.rejects(client.initialize(), (e: unknown) => {
      assert.ok(e instanceof SidecarCrashedError);
      assert.match(e.message, new RegExp(`Tack cannot run commands on this platform, ${targetOf(currentHost())}`));
      assert.match(e.message, new RegExp(`carries the runner for ${other} only`));
      return true;
    });
  } finally {
    if (saved !== undefined) process.env.TACK_SIDECAR = saved;
    await client.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Windows on Arm gets its own sidecar when the package has it, else the x64 one', () => {
  const dir = binDir(['win32-x64', 'win32-arm64']);
  try {
    assert.deepEqual(locateSidecar([dir], host('win32', 'arm64')), { path: path.join(dir, 'win32-arm64', 'tack-sidecar.exe'), target: 'win32-arm64' });
    assert.deepEqual(locateSidecar([dir], host('win32', 'x64')), { path: path.join(dir, 'win32-x64', 'tack-sidecar.exe'), target: 'win32-x64' });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
