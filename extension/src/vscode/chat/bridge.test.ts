// The host side of the chat without VS Code: messages wait until the page is ready and arrive in
// order; the view's messages reach the backend only after the protocol check; backend failures
// become error banners.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostMessage, SessionSummary } from '../../shared/chat-protocol';
import { ChatBridge, type ChatBackend } from './bridge';

/** A backend that records every call, standing in for the agent controller. */
function recordingBackend(opts: { sessions?: () => Promise<SessionSummary[]>; models?: () => Promise<string[]>; deleteSession?: (id: string) => Promise<void>; throwOn?: string } = {}) {
  const calls: unknown[][] = [];
  const rec =
    (name: string) =>
    (...args: unknown[]): void => {
      if (opts.throwOn === name) throw new Error(`${name} blew up`);
      calls.push([name, ...args]);
    };
  const backend: ChatBackend = {
    send: rec('send'),
    stop: rec('stop'),
    newTask: rec('newTask'),
    retry: rec('retry'),
    decideApproval: rec('decideApproval'),
    decideHunks: rec('decideHunks'),
    decideFile: rec('decideFile'),
    rejectWithReason: rec('rejectWithReason'),
    openDiff: rec('openDiff'),
    openFile: rec('openFile'),
    resumeSession: rec('resumeSession'),
    errorAction: rec('errorAction'),
    setPermissions: rec('setPermissions'),
    codeAction: rec('codeAction'),
    setModel: rec('setModel'),
    restoreCheckpoint: rec('restoreCheckpoint'),
    attachImage: rec('attachImage'),
    attachFiles: rec('attachFiles'),
    listSessions: opts.sessions ?? (async () => []),
    listModels: opts.models ?? (async () => ['m1']),
    deleteSession: opts.deleteSession ?? (async () => {}),
  };
  return { backend, calls };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('messages wait until the page is ready, then arrive in order; later ones go straight through', () => {
  const { backend } = recordingBackend();
  const bridge = new ChatBridge(backend);
  const got: HostMessage[] = [];
  bridge.post({ type: 'busy', busy: true }); // before any page exists
  bridge.attach((m) => got.push(m));
  bridge.post({ type: 'model', model: 'a' });
  assert.deepEqual(got, [], 'nothing is delivered before ready');
  bridge.receive({ type: 'ready' });
  assert.equal(bridge.isReady, true);
  assert.deepEqual(got, [{ type: 'busy', busy: true }, { type: 'model', model: 'a' }]);
  bridge.post({ type: 'clear' });
  assert.deepEqual(got.at(-1), { type: 'clear' });
});

test('a hidden view buffers; the reloaded page gets everything on ready', () => {
  const { backend } = recordingBackend();
  const bridge = new ChatBridge(backend);
  const got: HostMessage[] = [];
  bridge.attach((m) => got.push(m));
  bridge.receive({ type: 'ready' });
  bridge.pause();
  bridge.post({ type: 'error', message: 'while hidden', retry: true });
  assert.equal(got.length, 0);
  bridge.receive({ type: 'ready' });
  assert.deepEqual(got, [{ type: 'error', message: 'while hidden', retry: true }]);
  bridge.detach();
  bridge.receive({ type: 'ready' }); // no page to deliver to: stays buffered
  bridge.post({ type: 'busy', busy: false });
  assert.equal(got.length, 1);
  assert.equal(bridge.isReady, false);
});

test('view messages become backend calls with exactly their arguments', () => {
  const { backend, calls } = recordingBackend();
  const bridge = new ChatBridge(backend);
  bridge.attach(() => {});
  for (const m of [
    { type: 'send', text: 'hi' },
    { type: 'stop' },
    { type: 'newTask' },
    { type: 'retry' },
    { type: 'decideApproval', requestId: 'r', decision: 'approvedForSession' },
    { type: 'decideApproval', requestId: 'r', decision: 'denied', message: 'no' },
    { type: 'decideHunks', itemId: 'c', path: 'a.ts', hunkIds: ['h'], accept: false },
    { type: 'decideFile', itemId: 'c', path: null, accept: true },
    { type: 'openDiff', itemId: 'c', path: 'a.ts' },
    { type: 'rejectWithReason', itemId: 'c' },
    { type: 'openFile', path: 'a.ts' },
    { type: 'openFile', path: 'a.ts', line: 3 },
    { type: 'resumeSession', id: 's' },
    { type: 'setModel', model: 'm' },
    { type: 'errorAction', action: 'setKey' },
    { type: 'send', text: 'with less', exclude: ['selection', 'file', 'selection'] },
    { type: 'setPermissions' },
    { type: 'codeAction', action: 'insert', code: 'x = 1' },
  ]) {
    bridge.receive(m);
  }
  assert.deepEqual(calls, [
    ['send', 'hi'],
    ['stop'],
    ['newTask'],
    ['retry'],
    ['decideApproval', 'r', 'approvedForSession'],
    ['decideApproval', 'r', 'denied', 'no'],
    ['decideHunks', 'c', 'a.ts', ['h'], false],
    ['decideFile', 'c', null, true],
    ['openDiff', 'c', 'a.ts'],
    ['rejectWithReason', 'c'],
    ['openFile', 'a.ts'],
    ['openFile', 'a.ts', 3],
    ['resumeSession', 's'],
    ['setModel', 'm'],
    ['errorAction', 'setKey'],
    ['send', 'with less', ['selection', 'file']],
    ['setPermissions'],
    ['codeAction', 'insert', 'x = 1'],
  ]);
});

test('bad input: a malformed view message is reported and never reaches the backend', () => {
  const { backend, calls } = recordingBackend();
  const bad: string[] = [];
  const bridge = new ChatBridge(backend, (why) => bad.push(why));
  bridge.receive({ type: 'decideHunks', itemId: 'c', path: 'a', hunkIds: [], accept: true });
  bridge.receive('stop');
  bridge.receive({ type: 'errorAction', action: 'runShell' });
  bridge.receive({ type: 'send', text: 'x', exclude: ['diagnostics'] });
  bridge.receive({ type: 'codeAction', action: 'run', code: 'rm -rf /' });
  assert.deepEqual(calls, []);
  assert.equal(bad.length, 5);
  assert.match(bad[3], /exclude/);
  assert.match(bad[2], /action/);
  assert.match(bad[0], /hunkIds/);
});

test('bad input: a backend that throws turns into an error banner, not a crash', () => {
  const { backend } = recordingBackend({ throwOn: 'send' });
  const bridge = new ChatBridge(backend);
  const got: HostMessage[] = [];
  bridge.attach((m) => got.push(m));
  bridge.receive({ type: 'ready' });
  bridge.receive({ type: 'send', text: 'x' });
  assert.deepEqual(got, [{ type: 'error', message: 'send blew up', retry: false }]);
});

test('sessions and models are answered; failures show a banner and an empty list', async () => {
  const sessions = [{ id: 's1', title: 'one', updatedAt: 1 }];
  const ok = recordingBackend({ sessions: async () => sessions, models: async () => ['a', 'b'] });
  const bridge = new ChatBridge(ok.backend);
  const got: HostMessage[] = [];
  bridge.attach((m) => got.push(m));
  bridge.receive({ type: 'ready' });
  bridge.receive({ type: 'listSessions' });
  bridge.receive({ type: 'listModels' });
  await tick();
  assert.deepEqual(got, [
    { type: 'sessions', sessions },
    { type: 'models', models: ['a', 'b'] },
  ]);

  const failing = recordingBackend({
    sessions: async () => {
      throw new Error('disk gone');
    },
    models: async () => {
      throw new Error('401 from /models');
    },
  });
  const b2 = new ChatBridge(failing.backend);
  const got2: HostMessage[] = [];
  b2.attach((m) => got2.push(m));
  b2.receive({ type: 'ready' });
  b2.receive({ type: 'listSessions' });
  b2.receive({ type: 'listModels' });
  await tick();
  assert.deepEqual(got2, [
    { type: 'sessions', sessions: [] },
    { type: 'error', message: 'Could not list past sessions: disk gone', retry: false },
    { type: 'error', message: 'Could not list models: 401 from /models', retry: false },
  ]);
});

test('deleting a session refreshes the list; a refused delete is an error banner and the list stays', async () => {
  let sessions: SessionSummary[] = [
    { id: 'a', title: 'A', updatedAt: 1 },
    { id: 'b', title: 'B', updatedAt: 2 },
  ];
  const { backend } = recordingBackend({
    sessions: async () => sessions,
    deleteSession: async (id) => {
      if (id === 'b') throw new Error('it is the open session; start a new task first');
      sessions = sessions.filter((s) => s.id !== id);
    },
  });
  const bridge = new ChatBridge(backend);
  const got: HostMessage[] = [];
  bridge.attach((m) => got.push(m));
  bridge.receive({ type: 'ready' });
  bridge.receive({ type: 'deleteSession', id: 'a' });
  await tick();
  await tick();
  assert.deepEqual(got.at(-1), { type: 'sessions', sessions: [{ id: 'b', title: 'B', updatedAt: 2 }] });
  bridge.receive({ type: 'deleteSession', id: 'b' });
  await tick();
  await tick();
  assert.deepEqual(got.at(-1), { type: 'error', message: 'Could not delete that session: it is the open session; start a new task first', retry: false });
  assert.equal(sessions.length, 1);
  const bad: string[] = [];
  new ChatBridge(backend, (why) => bad.push(why)).receive({ type: 'deleteSession', id: '' });
  assert.match(bad[0] ?? '', /id/);
});
