// LiveExec's waits against the turn's abort signal, which lives as long as the turn and sees every
// command of it: a wait stops at the abort, and leaves no listener on the signal once it is over.
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test } from 'node:test';
import type { ExecExitedNotification, ExecHandle } from '../sidecar';
import { LiveExec } from './live-exec';

function handle(exited: Promise<ExecExitedNotification>): ExecHandle {
  const none = () => Promise.resolve();
  return { execId: 'e1', pid: 1, exited, write: none, writeEof: none, resize: none, kill: none };
}

const exit: ExecExitedNotification = {
  execId: 'e1',
  exitCode: 0,
  signal: null,
  timedOut: false,
  durationMs: 1,
  output: { head: 'step\n', tail: '', totalBytes: 5, truncatedBytes: 0 },
};

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

test('waits on one turn signal leave no abort listener behind, whether the command exited or the wait yielded', async () => {
  const turn = new AbortController();
  for (let i = 0; i < 20; i++) {
    const live = new LiveExec(handle(Promise.resolve(exit)));
    live.push('step\n');
    const r = await live.wait(undefined, Date.now(), turn.signal);
    assert.equal(r.kind, 'exited');
    assert.equal(r.kind === 'exited' && r.output, 'step\n');
  }
  const running = new LiveExec(handle(new Promise<ExecExitedNotification>(() => undefined)));
  for (let i = 0; i < 3; i++) assert.equal((await running.wait(1, Date.now(), turn.signal)).kind, 'yielded');
  assert.equal(listeners(turn.signal), 0);
});

test('a wait ends when the turn is aborted, before or while it waits', async () => {
  const turn = new AbortController();
  const running = new LiveExec(handle(new Promise<ExecExitedNotification>(() => undefined)));
  const waiting = running.wait(undefined, Date.now(), turn.signal);
  assert.equal(listeners(turn.signal), 1);
  turn.abort();
  assert.equal((await waiting).kind, 'yielded');
  assert.equal((await running.wait(undefined, Date.now(), turn.signal)).kind, 'yielded');
  assert.equal(listeners(turn.signal), 0);
});
