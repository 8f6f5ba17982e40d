// The chat's stand-in backend (lazy-backend.ts): what the view sends before the controller has loaded
// reaches it once, in order; afterwards calls go straight through; failures are reported.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ChatBackend } from './bridge';
import { lazyBackend } from './lazy-backend';

function recorder(calls: string[]): ChatBackend {
  return new Proxy({} as ChatBackend, {
    // Not a thenable: the load's promise resolves to it.
    get: (_t, m) => m === 'then' ? undefined : (...args: unknown[]) => {
      if (m === 'openFile' && args[0] === 'boom') throw new Error('boom');
      calls.push(`${String(m)}(${args.map((a) => JSON.stringify(a)).join(',')})`);
      return m === 'listModels' ? Promise.resolve(['m1']) : undefined;
    },
  });
}

test('calls made while the backend loads reach it once it has, in order; later ones go straight through', async () => {
  const calls: string[] = [];
  let backend: ChatBackend | undefined;
  let loads = 0;
  let finish!: () => void;
  const gate = new Promise<void>((r) => (finish = r));
  let loading: Promise<ChatBackend> | undefined;
  const load = () =>
    (loading ??= gate.then(() => {
      loads++;
      return (backend = recorder(calls));
    }));
  const errors: unknown[] = [];
  const b = lazyBackend(() => backend, load, (e) => errors.push(e));
  assert.equal(b.send('one'), undefined);
  b.setModel('gpt');
  const models = b.listModels();
  b.stop();
  assert.deepEqual(calls, [], 'nothing runs before the load finished');
  finish();
  assert.deepEqual(await models, ['m1']);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(calls, ['send("one")', 'setModel("gpt")', 'listModels()', 'stop()']);
  b.newTask();
  assert.deepEqual(calls.at(-1), 'newTask()', 'once loaded, a call runs at once');
  assert.equal(loads, 1);
  assert.deepEqual(errors, []);
  // Loaded: a throw goes to the caller (the bridge shows it).
  assert.throws(() => b.openFile('boom'), /boom/);
});

test('a failed load is reported for plain calls and rejects the ones that return a promise', async () => {
  const errors: unknown[] = [];
  const b = lazyBackend(() => undefined, () => Promise.reject(new Error('no chunk')), (e) => errors.push(e));
  b.send('x');
  await assert.rejects(b.listSessions(), /no chunk/);
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /no chunk/);
});

test('a call that throws after waiting for the load is reported', async () => {
  const calls: string[] = [];
  const errors: unknown[] = [];
  const b = lazyBackend(() => undefined, () => Promise.resolve(recorder(calls)), (e) => errors.push(e));
  b.openFile('boom');
  await new Promise((r) => setImmediate(r));
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]), /boom/);
});
