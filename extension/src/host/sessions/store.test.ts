// The JSONL session store on a real temporary directory.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { defaultSessionsDir, SessionNotFoundError, SessionStore } from './store';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tack-sessions-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function tickingClock(start = Date.parse('2026-01-02T03:04:05.000Z')) {
  let t = start;
  return () => new Date((t += 1000));
}

test('append then read returns the records in order, one JSON line each', async () => {
  const store = new SessionStore({ dir });
  const id = await store.createSession({ title: 'fix the parser', cwd: '/work/repo', model: 'gpt-5.1-codex' });
  assert.match(id, /^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  const records = [{ type: 'user', text: 'hello\nworld' }, { type: 'model', items: [1, 2, { deep: 'ü🦀' }] }, 'a bare string', 42, null];
  for (const r of records) await store.append(id, r);
  assert.deepEqual(await store.read(id), records);
  const raw = await fs.readFile(path.join(dir, `${id}.jsonl`), 'utf8');
  assert.equal(raw.split('\n').length, records.length + 1, 'one line per record and a final newline');
});

test('appends issued together land in call order', async () => {
  const store = new SessionStore({ dir });
  const id = await store.createSession({ cwd: '/', model: 'm' });
  await Promise.all(Array.from({ length: 100 }, (_, i) => store.append(id, { i, pad: 'x'.repeat(i * 37) })));
  const read = (await store.read(id)) as Array<{ i: number }>;
  assert.deepEqual(
    read.map((r) => r.i),
    Array.from({ length: 100 }, (_, i) => i),
  );
});

test('a session resumes from its file in a new store: records intact, appends continue', async () => {
  const first = new SessionStore({ dir });
  const id = await first.createSession({ title: 't', cwd: '/a', model: 'm' });
  await first.append(id, { n: 1 });
  await first.append(id, { n: 2 });
  const second = new SessionStore({ dir });
  assert.deepEqual(await second.read(id), [{ n: 1 }, { n: 2 }]);
  await second.append(id, { n: 3 });
  assert.deepEqual(await new SessionStore({ dir }).read(id), [{ n: 1 }, { n: 2 }, { n: 3 }]);
  const [summary] = await second.list();
  assert.equal(summary.id, id);
  assert.equal(summary.cwd, '/a');
});

test('a torn last line is skipped and reported; the next append starts on a fresh line and loses nothing', async () => {
  const store = new SessionStore({ dir });
  const id = await store.createSession({ cwd: '/', model: 'm' });
  await store.append(id, { n: 1 });
  await store.append(id, { n: 2 });
  await fs.appendFile(path.join(dir, `${id}.jsonl`), '{"n":3,"text":"cut he'); // a crash mid-write

  const warnings: string[] = [];
  const reopened = new SessionStore({ dir, onWarning: (w) => warnings.push(w) });
  assert.deepEqual(await reopened.read(id), [{ n: 1 }, { n: 2 }]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /last line \(line 3\) was cut off/);

  await reopened.append(id, { n: 4 });
  const loaded = await reopened.load(id);
  assert.deepEqual(loaded.records, [{ n: 1 }, { n: 2 }, { n: 4 }]);
  assert.deepEqual(loaded.problems, [`session ${id}: line 3 is not valid JSON and is skipped`]);
  const raw = await fs.readFile(path.join(dir, `${id}.jsonl`), 'utf8');
  assert.ok(raw.includes('"cut he\n{"n":4}\n'), 'the damaged text is kept, not overwritten');
});

test('list: newest activity first, with title, cwd, model and times', async () => {
  const store = new SessionStore({ dir, now: tickingClock() });
  const a = await store.createSession({ title: 'A', cwd: '/a', model: 'm1' });
  const b = await store.createSession({ title: 'B', cwd: '/b', model: 'm2' });
  const c = await store.createSession({ title: 'C', cwd: '/c', model: 'm3' });
  await store.append(a, { touched: true }); // A has the latest activity now
  await store.setTitle(b, 'B renamed');
  const list = await store.list();
  // A was written to last; renaming B does not count as activity.
  assert.deepEqual(
    list.map((s) => s.id),
    [a, c, b],
  );
  const sa = list.find((s) => s.id === a)!;
  assert.equal(sa.cwd, '/a');
  assert.equal(sa.model, 'm1');
  assert.equal(sa.createdAt, '2026-01-02T03:04:06.000Z');
  assert.ok(sa.updatedAt > sa.createdAt);
  assert.equal(list.find((s) => s.id === b)?.title, 'B renamed');
});

test('a title set only if unset: the first request names the session, later ones do not rename it', async () => {
  const store = new SessionStore({ dir, now: tickingClock() });
  const id = await store.createSession({ cwd: '/a', model: 'm' });
  await store.setTitle(id, 'fix the parser', { onlyIfUnset: true });
  await store.setTitle(id, 'continue', { onlyIfUnset: true });
  await store.setTitle(id, 'and the tests too', { onlyIfUnset: true });
  assert.equal((await store.list()).find((s) => s.id === id)?.title, 'fix the parser');
});

test('list with hundreds of sessions returns them all; a damaged summary is left out and reported', async () => {
  const store = new SessionStore({ dir, now: tickingClock() });
  const ids: string[] = [];
  for (let i = 0; i < 300; i++) ids.push(await store.createSession({ title: `s${i}`, cwd: '/', model: 'm' }));
  await fs.writeFile(path.join(dir, `${ids[7]}.meta.json`), '{"id": "trunc');
  const warnings: string[] = [];
  const list = await new SessionStore({ dir, onWarning: (w) => warnings.push(w) }).list();
  assert.equal(list.length, 299);
  assert.ok(!list.some((s) => s.id === ids[7]));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], new RegExp(`session ${ids[7]} left out of the list: the summary file of session .* is damaged`));
});

test('list of a directory that does not exist yet is empty', async () => {
  assert.deepEqual(await new SessionStore({ dir: path.join(dir, 'not-yet') }).list(), []);
});

test('delete removes the session; reading or appending to it afterwards is a clear error', async () => {
  const store = new SessionStore({ dir });
  const id = await store.createSession({ cwd: '/', model: 'm' });
  await store.append(id, { n: 1 });
  await store.delete(id);
  assert.deepEqual(await store.list(), []);
  await assert.rejects(store.read(id), SessionNotFoundError);
  await assert.rejects(store.append(id, { n: 2 }), SessionNotFoundError);
  await assert.rejects(store.delete(id), SessionNotFoundError);
  assert.deepEqual(await fs.readdir(dir), [], 'appending to a deleted session does not recreate it');
});

test('ids that could escape the directory are refused', async () => {
  const store = new SessionStore({ dir });
  for (const bad of ['../outside', 'a/b', '', '.hidden', 'x'.repeat(200)]) {
    await assert.rejects(store.read(bad), SessionNotFoundError, bad);
    await assert.rejects(store.append(bad, {}), SessionNotFoundError, bad);
  }
});

test('a record that cannot be JSON is refused with a clear error and the file is unchanged', async () => {
  const store = new SessionStore({ dir });
  const id = await store.createSession({ cwd: '/', model: 'm' });
  await store.append(id, { ok: 1 });
  await assert.rejects(store.append(id, { big: 10n }), /cannot be saved as JSON/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  await assert.rejects(store.append(id, cyclic), /cannot be saved as JSON/);
  await assert.rejects(store.append(id, undefined), /cannot be saved as JSON/);
  await store.append(id, { ok: 2 });
  assert.deepEqual(await store.read(id), [{ ok: 1 }, { ok: 2 }]);
});

test('the configured API key never reaches the files: records and titles are redacted', async () => {
  const key = 'my-proxy-key-Zq83"mixed\\chars';
  const warnings: string[] = [];
  const store = new SessionStore({ dir, secrets: [key], onWarning: (w) => warnings.push(w) });
  const id = await store.createSession({ title: `debug ${key}`, cwd: '/', model: 'm' });
  const result = await store.append(id, { type: 'tool_output', output: `env says OPENAI_API_KEY=${key}`, nested: [{ again: key }] });
  assert.equal(result.redacted, 2);
  const r2 = await store.append(id, { text: 'an sk-proj-abcdefghijklmnopqrstuvwxyz012345 pasted by the user', header: 'Authorization: Bearer abcdefghijklmnopqrstuvwx.yz' });
  assert.equal(r2.redacted, 2, 'key-shaped strings are caught without being configured');
  const files = await fs.readdir(dir);
  for (const f of files) {
    const text = await fs.readFile(path.join(dir, f), 'utf8');
    assert.ok(!text.includes('Zq83'), `${f} holds no part of the key`);
    assert.ok(!text.includes('sk-proj-abc'), `${f} holds no key-shaped string`);
    assert.ok(!text.includes('abcdefghijklmnopqrstuvwx.yz'), `${f} holds no bearer token`);
  }
  const [rec] = (await store.read(id)) as Array<{ output: string; nested: Array<{ again: string }> }>;
  assert.equal(rec.output, 'env says OPENAI_API_KEY=[REDACTED]');
  assert.equal(rec.nested[0].again, '[REDACTED]');
  assert.equal((await store.list())[0].title, 'debug [REDACTED]');
  assert.ok(warnings.every((w) => !w.includes('Zq83')));
  assert.ok(warnings.some((w) => /replaced with \[REDACTED\]/.test(w)));
  // A short key (local servers accept any, e.g. `ollama`) is accepted without throwing, and not redacted.
  assert.equal(store.addSecret('ollama'), false);
});

test('the CLI data directory: $TACK_HOME/sessions, else ~/.tack/sessions', () => {
  assert.equal(defaultSessionsDir({ TACK_HOME: '/opt/tack' }, '/home/u'), path.join('/opt/tack', 'sessions'));
  assert.equal(defaultSessionsDir({}, '/home/u'), path.join('/home/u', '.tack', 'sessions'));
  assert.equal(defaultSessionsDir({ TACK_HOME: '  ' }, '/home/u'), path.join('/home/u', '.tack', 'sessions'));
});

test('session files are private whatever the umask: directory 0700, files 0600; older wide files are narrowed', async () => {
  const sessions = path.join(dir, 'sessions');
  const old = process.umask(0);
  try {
    // A session left by an older version with wide modes.
    await fs.mkdir(sessions, { mode: 0o777 });
    await fs.writeFile(path.join(sessions, 'old.jsonl'), '{"type":"item"}\n', { mode: 0o666 });
    await fs.writeFile(path.join(sessions, 'old.meta.json'), '{"version":1,"id":"old","title":"","cwd":"/","model":"m","createdAt":"2026-01-01T00:00:00.000Z"}\n', { mode: 0o644 });
    const store = new SessionStore({ dir: sessions });
    assert.equal((await store.list()).length, 1);
    const id = await store.createSession({ cwd: '/', model: 'm' });
    await store.setTitle(id, 'private');
    await store.append(id, { a: 1 });
    assert.equal((await fs.stat(sessions)).mode & 0o777, 0o700);
    for (const f of await fs.readdir(sessions)) assert.equal((await fs.stat(path.join(sessions, f))).mode & 0o777, 0o600, f);
    // A fresh store (a new process) on a fresh directory under umask 0.
    const fresh = path.join(dir, 'fresh', 'sessions');
    const store2 = new SessionStore({ dir: fresh });
    const id2 = await store2.createSession({ cwd: '/', model: 'm' });
    await store2.append(id2, { b: 2 });
    assert.equal((await fs.stat(fresh)).mode & 0o777, 0o700);
    for (const f of await fs.readdir(fresh)) assert.equal((await fs.stat(path.join(fresh, f))).mode & 0o777, 0o600, f);
  } finally {
    process.umask(old);
  }
});

test('a new session does not walk the directory; loading a session narrows its own wide files, listing narrows all', async () => {
  const sessions = path.join(dir, 'sessions');
  await fs.mkdir(sessions, { mode: 0o700 });
  const meta = (id: string) => `{"version":1,"id":"${id}","title":"","cwd":"/","model":"m","createdAt":"2026-01-01T00:00:00.000Z"}\n`;
  for (const id of ['old1', 'old2']) {
    await fs.writeFile(path.join(sessions, `${id}.jsonl`), '{"type":"item"}\n', { mode: 0o644 });
    await fs.chmod(path.join(sessions, `${id}.jsonl`), 0o644);
    await fs.writeFile(path.join(sessions, `${id}.meta.json`), meta(id));
    await fs.chmod(path.join(sessions, `${id}.meta.json`), 0o644);
  }
  const mode = async (f: string) => (await fs.stat(path.join(sessions, f))).mode & 0o777;
  const store = new SessionStore({ dir: sessions });
  const id = await store.createSession({ cwd: '/', model: 'm' });
  assert.match(id, /^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
  assert.equal(await mode(`${id}.jsonl`), 0o600);
  assert.equal(await mode(`${id}.meta.json`), 0o600);
  assert.equal(await mode('old1.jsonl'), 0o644, 'creating a session leaves other files alone');
  assert.deepEqual(await store.read('old1'), [{ type: 'item' }]);
  assert.equal(await mode('old1.jsonl'), 0o600);
  assert.equal(await mode('old1.meta.json'), 0o600);
  assert.equal(await mode('old2.jsonl'), 0o644);
  assert.equal((await store.list()).length, 3);
  assert.equal(await mode('old2.jsonl'), 0o600);
  assert.equal(await mode('old2.meta.json'), 0o600);
  // No temporary file is left behind by the summary's atomic write.
  assert.deepEqual((await fs.readdir(sessions)).filter((f) => f.endsWith('.tmp')), []);
});

test('token formats printed by commands are redacted; the JSON stays valid and the rest is kept', async () => {
  const store = new SessionStore({ dir });
  const id = await store.createSession({ cwd: '/', model: 'm' });
  const pem = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW', 'QyNTUxOQAAACDa"quote\\back', '-----END OPENSSH PRIVATE KEY-----'].join('\n');
  const samples: Record<string, string> = {
    classic: 'ghp_0123456789abcdefghijABCDEFGHIJ012345',
    oauth: 'gho_0123456789abcdefghijABCDEFGHIJ012345',
    server: 'ghs_0123456789abcdefghijABCDEFGHIJ012345',
    fine: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS',
    aws: 'AKIAIOSFODNN7EXAMPLE',
    slackBot: 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
    slackUser: 'xoxp-123456789012-1234567890123-1234567890123-abcdef0123456789',
    openai: 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
    anthropic: 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_xyz',
    gitlab: 'glpat-AbCdEfGhIjKlMnOpQrSt',
    huggingface: 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567',
    jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  };
  const record = {
    output: Object.entries(samples).map(([k, v]) => `${k}=${v}`).join('\n'),
    key: `before\n${pem}\nafter`,
    cut: `-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA"tail`,
    remote: 'origin\thttps://alice:s3cr3t-pass@github.com/acme/app.git (fetch)',
    db: 'DATABASE_URL=postgres://app:hunter2hunter2@db.internal:5432/app',
    plain: 'https://github.com/acme/app and ghp_short and sk-notakey and eyJ.not.jwt stay',
  };
  await store.append(id, record);
  const raw = await fs.readFile(path.join(dir, `${id}.jsonl`), 'utf8');
  for (const v of Object.values(samples)) assert.ok(!raw.includes(v.slice(0, 14)) || v.startsWith('github_pat_'), v);
  assert.ok(!raw.includes('github_pat_11ABC'));
  for (const secret of ['b3BlbnNzaC1rZXkt', 'MIIEowIBAAKCAQEA', 's3cr3t-pass', 'hunter2hunter2']) assert.ok(!raw.includes(secret), secret);
  const [back] = (await store.read(id)) as Array<typeof record>;
  assert.equal(back.output, Object.keys(samples).map((k) => `${k}=[REDACTED]`).join('\n'));
  assert.equal(back.key, 'before\n[REDACTED]\nafter');
  assert.equal(back.cut, '[REDACTED]');
  assert.equal(back.remote, 'origin\thttps://alice:[REDACTED]@github.com/acme/app.git (fetch)');
  assert.equal(back.db, 'DATABASE_URL=postgres://app:[REDACTED]@db.internal:5432/app');
  assert.equal(back.plain, record.plain);
});

test('records appended while a write is in flight go out together, in order; one that is not JSON fails alone', async () => {
  const store = new SessionStore({ dir, secrets: ['sk-live-secret-value'] });
  const id = await store.createSession({ cwd: '/', model: 'm' });
  const file = path.join(dir, `${id}.jsonl`);
  const first = store.append(id, { n: 0 });
  const rest = Promise.allSettled([
    store.append(id, { n: 1 }),
    store.append(id, { n: 2, bad: 10n }),
    store.append(id, { n: 3, key: 'sk-live-secret-value' }),
    store.append(id, { n: 4 }),
  ]);
  assert.deepEqual(await first, { redacted: 0 });
  const settled = await rest;
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  assert.match(String((settled[1] as PromiseRejectedResult).reason), /cannot be saved as JSON/);
  assert.deepEqual((settled[2] as PromiseFulfilledResult<{ redacted: number }>).value, { redacted: 1 });
  const read = (await store.read(id)) as Array<{ n: number; key?: string }>;
  assert.deepEqual(read.map((r) => r.n), [0, 1, 3, 4]);
  assert.equal((await fs.readFile(file, 'utf8')).includes('sk-live-secret-value'), false);
  // A later append after the batch still lands after it.
  await store.append(id, { n: 5 });
  assert.deepEqual(((await store.read(id)) as Array<{ n: number }>).map((r) => r.n), [0, 1, 3, 4, 5]);
});

test('a full disk: the append that fails is an error, and once there is room again nothing after it is lost', async (t) => {
  // A 64 KiB tmpfs in a user + mount namespace of its own (as for the sidecar's full-disk test).
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--mount', 'true']);
  if (probe.status !== 0) {
    t.skip('no user + mount namespaces here');
    return;
  }
  const script = path.join(dir, 'full-disk.mts');
  await fs.writeFile(
    script,
    `import fs from 'node:fs';
import path from 'node:path';
import { SessionStore } from ${JSON.stringify(path.join(import.meta.dirname, 'store.ts'))};
const dir = path.join(process.argv[2], 'sessions');
const store = new SessionStore({ dir });
const id = await store.createSession({ cwd: '/', model: 'm' });
await store.append(id, { n: 1 });
// Most of the disk taken by another file; the next record does not fit and is written in part.
const filler = path.join(process.argv[2], 'filler');
fs.writeFileSync(filler, Buffer.alloc(40 * 1024));
let failed = '';
await store.append(id, { n: 2, text: 'x'.repeat(64 * 1024) }).catch((e) => { failed = String(e.code); });
fs.rmSync(filler);
await store.append(id, { n: 3 });
const loaded = await new SessionStore({ dir }).load(id);
console.log(JSON.stringify({ failed, records: loaded.records, problems: loaded.problems.length }));
`,
  );
  const mnt = path.join(dir, 'small');
  await fs.mkdir(mnt);
  const tsx = path.join(import.meta.dirname, '..', '..', '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs');
  const run = spawnSync(
    'unshare',
    ['--user', '--map-root-user', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=64k tmpfs "$1" && exec "$2" --import "$3" "$4" "$1"', 'sh', mnt, process.execPath, tsx, script],
    { encoding: 'utf8' },
  );
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { failed: string; records: unknown[]; problems: number };
  assert.equal(result.failed, 'ENOSPC', run.stdout);
  // The torn second record is skipped (and reported); the third, written after it, is whole.
  assert.deepEqual(result.records, [{ n: 1 }, { n: 3 }]);
  assert.equal(result.problems, 1);
});
