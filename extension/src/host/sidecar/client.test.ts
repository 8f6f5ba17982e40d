// The TypeScript client against the real built tack-sidecar binary (npm run build puts it in dist/bin).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SidecarClient, SidecarCrashedError, SidecarErrorCode, SidecarRpcError, defaultSidecarPath } from './client';
import type { ExecOutputNotification } from '../../generated/types/ExecOutputNotification';
import type { SandboxPolicy } from '../../generated/types/SandboxPolicy';

/** These tests are about the client, not the sandbox (the Rust tests cover that). */
const full: SandboxPolicy = { mode: 'danger-full-access' };

function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, f: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!f()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the built sidecar is found and initialize is cached per process', async (t) => {
  assert.ok(fs.existsSync(defaultSidecarPath()), `no sidecar at ${defaultSidecarPath()}; run npm run build`);
  const client = new SidecarClient();
  t.after(() => client.dispose());
  const a = await client.initialize();
  const pid = client.pid;
  const b = await client.initialize();
  assert.equal(a, b);
  assert.equal(client.pid, pid);
  assert.match(a.version, /^\d+\.\d+\.\d+/);
  assert.equal(a.platform, process.platform);
  assert.equal(typeof a.sandbox.available, 'boolean');
});

test('exec streams output as it comes and resolves exited with the status', async (t) => {
  const client = new SidecarClient();
  t.after(() => client.dispose());
  const seen: ExecOutputNotification[] = [];
  const h = await client.exec(
    { argv: ['bash', '-c', 'echo out; echo err >&2; exit 7'], cwd: os.tmpdir(), sandbox: full, tty: false },
    (n) => seen.push(n),
  );
  const done = await h.exited;
  assert.equal(done.execId, h.execId);
  assert.equal(done.exitCode, 7);
  assert.equal(done.signal, null);
  assert.equal(seen.filter((n) => n.stream === 'stdout').map((n) => n.text).join(''), 'out\n');
  assert.equal(seen.filter((n) => n.stream === 'stderr').map((n) => n.text).join(''), 'err\n');
  assert.equal(done.output.totalBytes, 8);
});

test('write answers an interactive program; resize and kill reach the command', async (t) => {
  const client = new SidecarClient();
  t.after(() => client.dispose());
  let text = '';
  let prompted!: () => void;
  const prompt = new Promise<void>((r) => (prompted = r));
  const h = await client.exec({ argv: ['bash', '-c', 'read -p "name? " n; stty size; echo "hi $n"'], cwd: '/', sandbox: full }, (n) => {
    text += n.text;
    if (text.includes('name? ')) prompted();
  });
  await prompt;
  await h.resize(99, 33);
  await h.write('tack\n');
  const done = await h.exited;
  assert.equal(done.exitCode, 0);
  assert.match(text, /33 99/);
  assert.match(text, /hi tack/);

  const sleeper = await client.exec({ argv: ['sleep', '600'], cwd: '/', sandbox: full });
  await sleeper.kill();
  assert.equal((await sleeper.exited).signal, 'SIGTERM');
  assert.ok(!alive(sleeper.pid));
});

test('sidecar errors arrive as SidecarRpcError with the documented codes', async (t) => {
  const client = new SidecarClient();
  t.after(() => client.dispose());
  await assert.rejects(client.exec({ argv: ['no-such-program-tack'], cwd: '/', sandbox: full }), (e: unknown) => {
    assert.ok(e instanceof SidecarRpcError);
    assert.equal(e.code, SidecarErrorCode.SpawnFailed);
    assert.deepEqual(e.data, { reason: 'program-not-found' });
    assert.match(e.message, /no-such-program-tack/);
    return true;
  });
  await assert.rejects(client.exec({ argv: ['ls'], cwd: '/no/such/dir', sandbox: full }), { code: SidecarErrorCode.SpawnFailed });
  await assert.rejects(client.exec({ argv: [], cwd: '/', sandbox: full }), { code: SidecarErrorCode.InvalidParams });
  const h = await client.exec({ argv: ['true'], cwd: '/', sandbox: full });
  await h.exited;
  await assert.rejects(h.write('late'), { code: SidecarErrorCode.UnknownExec });
  // Still serving.
  assert.equal((await (await client.exec({ argv: ['true'], cwd: '/', sandbox: full })).exited).exitCode, 0);
});

test('a killed sidecar rejects everything waiting with SidecarCrashedError, then respawns', async (t) => {
  const client = new SidecarClient();
  t.after(() => client.dispose());
  const restarts: string[] = [];
  client.onRestart(({ previousError }) => restarts.push(previousError.message));
  // Raw mode: a canonical-mode terminal discards input past its line limit instead of blocking.
  let seen = '';
  let ready = (): void => {};
  const started = new Promise<void>((r) => (ready = r));
  const h = await client.exec({ argv: ['bash', '-c', 'stty raw -echo; echo started; sleep 600'], cwd: '/', sandbox: full }, (n) => {
    seen += n.text;
    if (seen.includes('started')) ready();
  });
  await started;
  const firstPid = client.pid!;
  // A request the sidecar cannot finish: 1 MB into a terminal whose program never reads.
  const stuckWrite = h.write('y'.repeat(1_000_000));
  let settled = false;
  stuckWrite.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(settled, false, 'the write should still be pending');
  process.kill(firstPid, 'SIGKILL');
  await assert.rejects(stuckWrite, SidecarCrashedError);
  await assert.rejects(h.exited, (e: unknown) => {
    assert.ok(e instanceof SidecarCrashedError);
    assert.equal(e.signal, 'SIGKILL');
    assert.match(e.message, /killed by SIGKILL/);
    return true;
  });
  await assert.rejects(h.write('x'), SidecarCrashedError);
  // The command does not outlive its sidecar (PR_SET_PDEATHSIG).
  await until('the orphaned command is gone', () => !alive(h.pid));

  const again = await client.exec({ argv: ['echo', 'back'], cwd: '/', sandbox: full, tty: false });
  assert.notEqual(client.pid, firstPid);
  assert.equal(restarts.length, 1);
  assert.match(restarts[0], /SIGKILL/);
  assert.equal((await again.exited).exitCode, 0);
});

test('a missing binary is a clear error, not a hang', async () => {
  const client = new SidecarClient({ binaryPath: path.join(os.tmpdir(), 'no-such-tack-sidecar') });
  await assert.rejects(client.initialize(), (e: unknown) => {
    assert.ok(e instanceof SidecarCrashedError);
    assert.match(e.message, /cannot start tack-sidecar .*ENOENT.*npm run build/);
    return true;
  });
  await client.dispose();
});

test('dispose ends running commands and the sidecar', async () => {
  const client = new SidecarClient();
  const h = await client.exec({ argv: ['sleep', '600'], cwd: '/', sandbox: full });
  const pid = client.pid!;
  await client.dispose();
  assert.ok(!alive(h.pid));
  await until('the sidecar exits', () => !alive(pid));
  assert.throws(() => client.initialize(), /disposed/);
});

test('secret-looking variables never reach the sidecar process', async (t) => {
  process.env.TACK_TEST_API_KEY = 'sk-test-never-passed';
  const client = new SidecarClient();
  t.after(() => client.dispose());
  await client.initialize();
  delete process.env.TACK_TEST_API_KEY;
  const environ = fs.readFileSync(`/proc/${client.pid}/environ`, 'latin1');
  assert.ok(environ.includes('PATH='));
  assert.ok(!environ.includes('TACK_TEST_API_KEY'));
});
