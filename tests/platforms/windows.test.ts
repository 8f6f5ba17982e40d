// The win32-x64 sidecar (issue 15), run under Wine (Debian's wine64, which `npm test` installs):
// initialize says there is no OS sandbox; commands through pipes with their exit codes, CRLF output
// and drive-letter working directories; a stop that ends the whole process tree (Job Object); a
// malformed JSON-RPC line; the shell initialize reports is one that runs (Wine 8.0's powershell.exe
// is a stub that runs nothing, so there it is cmd). Through ConPTY, Wine 8.0 starts the command and
// reports its exit code but relays none of its output, so only that much is checked there.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RawSidecar } from '../lib/raw-sidecar';
import { startWineSidecar, winPath, wineSkip } from '../lib/wine';

const skip = wineSkip();

let dir = '';
let sidecar: RawSidecar;
const full = { mode: 'danger-full-access' };
const sleeperName = `tack-sleeper-${process.pid}.exe`;

before(async () => {
  if (skip) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-wine-'));
  sidecar = startWineSidecar(dir, [sleeperName]);
});

after(async () => {
  if (skip) return;
  await sidecar.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('initialize: windows, and no OS sandbox', { skip }, async () => {
  // The first start of a Wine prefix sets it up (tens of seconds).
  const r = await sidecar.request('initialize', { clientName: 'test' }, 180_000);
  assert.equal(r.error, undefined);
  assert.equal(r.result!.platform, 'windows');
  const sandbox = r.result!.sandbox as { available: boolean; limitations: string[] };
  assert.equal(sandbox.available, false);
  assert.match(sandbox.limitations.join(' '), /Windows/);
  // The capability the host's approval decision keys on, and a shell that exists (PowerShell, else cmd).
  assert.equal(r.result!.osSandbox, false);
  const shell = r.result!.shell as { kind: string; path: string; others: Array<{ kind: string }> };
  assert.ok(['pwsh', 'powershell', 'cmd'].includes(shell.kind), JSON.stringify(shell));
  assert.match(shell.path, /^[A-Z]:\\/i);
  if (shell.kind !== 'cmd') assert.ok(shell.others.some((o) => o.kind === 'cmd'), JSON.stringify(shell));
});

test('the shell initialize reports runs a script, with the argv the core builds for its kind', { skip }, async () => {
  const r = await sidecar.request('initialize', {});
  const shell = r.result!.shell as { kind: string; path: string; others: Array<{ kind: string; path: string }> };
  // The argv of wasm-ui-core tools/shell_kind.rs for each kind.
  const argv = shell.kind === 'cmd'
    ? [shell.path, '/d', '/s', '/c', 'echo tack-%OS%']
    : shell.kind === 'pwsh' || shell.kind === 'powershell'
      ? [shell.path, '-NoProfile', '-Command', 'Write-Output "tack-$env:OS"']
      : [shell.path, '-lc', 'echo tack-$OS'];
  const ran = await sidecar.exec({ argv, cwd: 'C:\\', tty: false, sandbox: full });
  assert.equal(ran.output.trim(), 'tack-Windows_NT', JSON.stringify({ shell, ran }));
  assert.equal(ran.exited.exitCode, 0);
  // Wine 8.0 ships a powershell.exe that runs nothing and prints nothing: a PowerShell that does not
  // answer must not be offered (the sidecar runs `6*7` once and wants 42).
  const ps = 'C:\\windows\\system32\\WindowsPowerShell\\v1.0\\powershell.exe';
  const probe = await sidecar.exec({ argv: [ps, '-NoProfile', '-Command', '[Console]::Out.Write(6*7)'], cwd: 'C:\\', tty: false, sandbox: full }).catch(() => undefined);
  if (probe?.output.trim() !== '42') {
    assert.notEqual(shell.kind, 'powershell', JSON.stringify(shell));
    assert.ok(!shell.others.some((o) => o.kind === 'powershell'), JSON.stringify(shell));
  }
});

test('cmd /c through pipes: output with its CRLF, the exit code, a drive-letter cwd', { skip }, async () => {
  const a = await sidecar.exec({ argv: ['cmd', '/c', 'echo hello& exit 3'], cwd: 'C:\\', tty: false, sandbox: full });
  assert.equal(a.output, 'hello\r\n');
  assert.equal(a.exited.exitCode, 3);
  assert.equal(a.exited.signal, null);
  const b = await sidecar.exec({ argv: ['cmd.exe', '/c', 'cd'], cwd: 'C:\\windows\\system32', tty: false, sandbox: full });
  assert.match(b.output, /^C:\\windows\\system32\r\n$/i);
  assert.equal(b.exited.exitCode, 0);
});

test('a program that is nowhere on PATH is a clear error', { skip }, async () => {
  const r = await sidecar.request('exec/start', { argv: ['no-such-program-tack'], cwd: 'C:\\', tty: false, sandbox: full });
  assert.equal((r.error?.data as { reason?: string } | undefined)?.reason, 'program-not-found', JSON.stringify(r));
});

test('a sandboxed mode is refused, never run unsandboxed', { skip }, async () => {
  const r = await sidecar.request('exec/start', { argv: ['cmd', '/c', 'echo x'], cwd: 'C:\\', tty: false, sandbox: { mode: 'read-only' } });
  assert.ok(r.error, JSON.stringify(r));
  assert.match(r.error.message, /sandbox cannot be enforced on this machine .*Windows.*the command was not run/);
});

function sleeperRunning(): boolean {
  for (const pid of fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(sleeperName)) return true;
    } catch {
      // gone meanwhile
    }
  }
  return false;
}

test('a timeout ends the whole process tree (Job Object), grandchildren included', { skip }, async () => {
  // cmd starts a grandchild that waits for stdin forever (the sidecar binary itself, serving).
  const run = sidecar.exec({ argv: ['cmd', '/c', winPath(path.join(dir, sleeperName))], cwd: 'C:\\', tty: false, sandbox: full, timeoutMs: 8000 }, 60_000);
  const deadline = Date.now() + 8000;
  while (!sleeperRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(sleeperRunning(), 'the grandchild never started');
  const { exited } = await run;
  assert.equal(exited.timedOut, true);
  const gone = Date.now() + 10_000;
  while (sleeperRunning() && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
  assert.equal(sleeperRunning(), false, 'the grandchild outlived the stop');
});

test('exec/kill ends a running command', { skip }, async () => {
  const started = await sidecar.request('exec/start', { argv: ['cmd', '/c', winPath(path.join(dir, sleeperName))], cwd: 'C:\\', tty: false, sandbox: full });
  const execId = started.result!.execId as string;
  const deadline = Date.now() + 8000;
  while (!sleeperRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const k = await sidecar.request('exec/kill', { execId });
  assert.equal(k.error, undefined);
  const exited = await sidecar.waitFor('exec/exited', (m) => m.method === 'exec/exited' && m.params?.execId === execId);
  assert.notEqual(exited.params!.exitCode, 0);
  const gone = Date.now() + 10_000;
  while (sleeperRunning() && Date.now() < gone) await new Promise((r) => setTimeout(r, 100));
  assert.equal(sleeperRunning(), false);
});

test('a malformed JSON-RPC line gets a parse error, and the sidecar keeps serving', { skip }, async () => {
  sidecar.sendLine('{"jsonrpc": "2.0", "id": 99, "method": ');
  const err = await sidecar.waitFor('the parse error', (m) => m.error?.code === -32700);
  assert.equal(err.id, null);
  const r = await sidecar.request('initialize', {});
  assert.equal(r.result!.platform, 'windows');
});

test('ConPTY (tty: true): the command starts and its exit code comes back', { skip }, async () => {
  const r = await sidecar.exec({ argv: ['cmd', '/c', 'exit 5'], cwd: 'C:\\', tty: true, sandbox: full });
  assert.equal(r.exited.exitCode, 5);
});
