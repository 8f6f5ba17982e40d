// The TypeScript client against the real built tack-sidecar binary (npm run build puts it in dist/bin).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SidecarClient, SidecarCrashedError, SidecarErrorCode, SidecarRpcError, defaultSidecarPath } from './client';
import { MAX_PIECE_TEXT } from './stdout';
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

test('output arrives whole and unchanged, in raw frames as in JSON lines', async (t) => {
  // Everything JSON escapes, characters split across reads, a byte that is never UTF-8, text that
  // looks like the protocol itself; big enough for many notifications; stdout and stderr at once.
  const block = Buffer.concat([
    Buffer.from('line\n"quoted" back\\slash \r\n\t tab \u2028 \u2029 é € 😀 '),
    Buffer.from([0, 1, 8, 12, 27, 31, 127, 0xff]),
    Buffer.from('"}}\n{"jsonrpc":"2.0","method":"exec/exited","params":{"execId":"e1"}}\n'),
  ]);
  const script = `
    const block = Buffer.from(${JSON.stringify(block.toString('base64'))}, 'base64');
    const all = Buffer.concat(Array(3000).fill(block));
    for (let i = 0; i < all.length; i += 4093) process.stdout.write(all.subarray(i, i + 4093));
    process.stderr.write(block);
  `;
  const want = Buffer.concat(Array(3000).fill(block)).toString('utf8');
  for (const rawOutput of [true, false]) {
    const client = new SidecarClient({ rawOutput });
    t.after(() => client.dispose());
    assert.equal((await client.initialize()).rawOutput, rawOutput);
    const got = { stdout: '', stderr: '', notes: 0, ids: new Set<string>(), empty: 0, longest: 0 };
    const h = await client.exec({ argv: [process.execPath, '-e', script], cwd: os.tmpdir(), sandbox: full, tty: false }, (n) => {
      got.ids.add(n.execId);
      if (n.text.length === 0) got.empty++;
      got[n.stream] += n.text;
      got.notes++;
      got.longest = Math.max(got.longest, n.text.length);
    });
    const done = await h.exited;
    assert.equal(done.exitCode, 0);
    assert.deepEqual([...got.ids], [h.execId]);
    assert.equal(got.empty, 0);
    assert.equal(got.stdout.length, want.length);
    assert.ok(got.stdout === want, `stdout differs (rawOutput ${rawOutput})`);
    assert.equal(got.stderr, block.toString('utf8'));
    assert.ok(got.notes > 2, `${got.notes} notifications`);
    // Raw frames of this text (not ASCII) reach the callback in pieces V8 keeps in ordinary pages.
    if (rawOutput) assert.ok(got.longest <= MAX_PIECE_TEXT, `a notification of ${got.longest} UTF-16 units`);
  }
});

test('raw frames split anywhere are reassembled; a bad frame header or line is logged and skipped', async (t) => {
  // A stand-in sidecar that writes exactly these bytes, in pieces, after answering exec/start.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-frames-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const payload = 'é\n"}}\n{"jsonrpc":"2.0","id":9}\n😀';
  const n = Buffer.byteLength(payload);
  const wire = [
    `{"jsonrpc":"2.0","method":"exec/output","params":{"bytes":${n}   ,"execId":"e1","stream":"stdout"}}\n${payload}\n`,
    '{"jsonrpc":"2.0","method":"exec/output","params":{"bytes":-1,"execId":"e1","stream":"stdout"}}\n',
    'not json\n',
    '{"jsonrpc":"2.0","method":"exec/output","params":{"execId":"e1","stream":"stderr","text":"as a line"}}\n',
    `{"jsonrpc":"2.0","method":"exec/output","params":{"bytes":0,"execId":"e1","stream":"stdout"}}\n\n`,
    '{"jsonrpc":"2.0","method":"exec/exited","params":{"execId":"e1","exitCode":0,"signal":null,"timedOut":false,"durationMs":1}}\n',
  ].join('');
  // The first frame and the start of the next line go one byte at a time.
  const slowBytes = Buffer.byteLength(wire.slice(0, wire.indexOf('\n'))) + n + 40;
  const fake = path.join(dir, 'fake-sidecar');
  fs.writeFileSync(
    fake,
    `#!${process.execPath}
const wire = Buffer.from(${JSON.stringify(Buffer.from(wire).toString('base64'))}, 'base64');
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const m = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (m.method === 'initialize') process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { rawOutput: true } }) + '\\n');
    if (m.method === 'exec/start') {
      process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { execId: 'e1', pid: 1 } }) + '\\n');
      // One byte at a time through the first frame (every split point, in UTF-8 characters too), then the rest.
      let i = 0;
      const step = () => {
        if (i >= wire.length) return;
        const k = i < ${slowBytes} ? 1 : wire.length - i;
        process.stdout.write(wire.subarray(i, i + k));
        i += k;
        setTimeout(step, 1);
      };
      step();
    }
    if (m.method === 'shutdown') { process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: m.id, result: null }) + '\\n'); process.exit(0); }
  }
});
`,
    { mode: 0o755 },
  );
  const logged: string[] = [];
  const client = new SidecarClient({ binaryPath: fake, log: (l) => logged.push(l) });
  t.after(() => client.dispose());
  const seen: ExecOutputNotification[] = [];
  const h = await client.exec({ argv: ['x'], cwd: os.tmpdir(), sandbox: full, tty: false }, (o) => seen.push(o));
  await h.exited;
  assert.deepEqual(seen, [
    { execId: 'e1', stream: 'stdout', text: payload },
    { execId: 'e1', stream: 'stderr', text: 'as a line' },
    { execId: 'e1', stream: 'stdout', text: '' },
  ]);
  assert.ok(logged.some((l) => l.includes('exec/output frame header that is not valid')), logged.join('\n'));
  assert.ok(logged.some((l) => l.includes('not JSON: not json')), logged.join('\n'));
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

test('answers settle the request they name, in any order; a stray or empty answer settles nothing else', async (t) => {
  // A stand-in sidecar that holds three exec/start requests, then answers them last to first,
  // after an answer to an id never sent; the second one gets an error, the first a result-less answer.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-client-order-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const fake = path.join(dir, 'fake-sidecar');
  fs.writeFileSync(
    fake,
    `#!${process.execPath}
let buf = '';
const held = [];
const send = (m) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', ...m }) + '\\n');
process.stdin.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const m = JSON.parse(buf.slice(0, nl));
    buf = buf.slice(nl + 1);
    if (m.method === 'initialize') send({ id: m.id, result: { rawOutput: true } });
    if (m.method === 'exec/start') held.push(m);
    if (held.length === 3) {
      send({ id: 987654, result: { execId: 'stray', pid: 9 } });
      const [a, b, c] = held.splice(0);
      send({ id: c.id, result: { execId: 'e-' + c.params.argv[0], pid: 3 } });
      send({ method: 'exec/exited', params: { execId: 'e-' + c.params.argv[0], exitCode: 0, signal: null, timedOut: false, durationMs: 1 } });
      send({ id: b.id, error: { code: -32001, message: 'refused ' + b.params.argv[0], data: { reason: 'spawn-failed' } } });
      send({ id: a.id });
    }
    if (m.method === 'shutdown') { send({ id: m.id, result: null }); process.exit(0); }
  }
});
`,
    { mode: 0o755 },
  );
  const client = new SidecarClient({ binaryPath: fake });
  t.after(() => client.dispose());
  await client.initialize();
  const start = (name: string) => client.exec({ argv: [name], cwd: os.tmpdir(), sandbox: full, tty: false });
  const [a, b, c] = await Promise.allSettled([start('first'), start('second'), start('third')]);
  assert.equal(c.status, 'fulfilled');
  assert.equal(c.status === 'fulfilled' && c.value.execId, 'e-third');
  assert.equal(c.status === 'fulfilled' && (await c.value.exited).exitCode, 0);
  assert.equal(b.status, 'rejected');
  const err = b.status === 'rejected' ? b.reason : undefined;
  assert.ok(err instanceof SidecarRpcError, String(err));
  assert.equal(err.code, -32001);
  assert.equal(err.message, 'refused second');
  assert.deepEqual(err.data, { reason: 'spawn-failed' });
  assert.equal(a.status, 'rejected');
  assert.match(String(a.status === 'rejected' && a.reason), /neither a result nor an error/);
});
