// What outlives a turn: nothing. Commands still running when the turn ends are killed and completed
// (the real sidecar), and a trap in the wasm core fails the turn, after which every conversation of
// the process goes on, reloaded from its session file on a fresh instance (the real wasm module).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createFsHost } from '../../extension/src/host/agent/fs-host';
import { writePolicyFor } from '../../extension/src/host/patch/atomic-write';
import { AgentSession, armCoreTrap } from '../../extension/src/host/agent/session';
import type { ThreadEvent } from '../../extension/src/host/agent/types';
import { SessionStore } from '../../extension/src/host/sessions/store';
import { SidecarClient } from '../../extension/src/host/sidecar/client';
import { sidecarBin } from '../lib/paths';
import { processesWith } from '../lib/procs';
import { API_KEY, bodies, completedItems, conversation, makeProject, runTack, withServer } from './harness';


test('tack exec: a command still running at the end of the turn is completed (failed) and its processes are gone', async () => {
  const project = makeProject();
  const marker = `${Math.floor(Math.random() * 1e6) + 1000}.5`;
  try {
    await withServer(
      [
        // The yield is long enough for a login shell on a loaded machine to reach the echo.
        { toolCalls: [{ name: 'exec_command', callId: 'bg', arguments: { cmd: `echo started; (sleep ${marker}) & sleep ${marker}`, yield_time_ms: 2500 } }] },
        { text: 'Left it running.' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'start a server'], project);
        assert.equal(r.code, 0, r.stderr);
        const started = r.events.filter((e) => e.type === 'item.started' && e.item.type === 'command_execution');
        assert.equal(started.length, 1);
        const [done] = completedItems(r.events, 'command_execution');
        assert.ok(done, 'the command item is completed');
        assert.equal(done.id, started[0].item.id);
        assert.equal(done.status, 'failed');
        assert.match(done.aggregated_output, /started/);
        assert.match(done.aggregated_output, /still running when the turn ended; it was stopped/);
        const types = r.events.map((e) => e.type);
        assert.ok(types.indexOf('item.completed') < types.indexOf('turn.completed'));
        assert.equal(types.at(-1), 'turn.completed');
        assert.deepEqual(processesWith(`sleep ${marker}`), [], 'the command and its background child are gone');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('runner: when submit resolves, the turn\'s commands are already gone', async () => {
  const project = makeProject();
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  const marker = `${Math.floor(Math.random() * 1e6) + 1000}.25`;
  const events: ThreadEvent[] = [];
  try {
    await withServer([{ toolCalls: [{ name: 'exec_command', callId: 'bg', arguments: { cmd: `sleep ${marker}`, yield_time_ms: 300 } }] }, { text: 'ok' }], async (server) => {
      const session = await AgentSession.create({
        host: createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor('workspace-write', project.dir), emit: (e) => events.push(e) }),
        sidecar,
        endpoint: { baseUrl: server.url, apiKey: API_KEY, wire: 'responses' },
        config: { model: 'gpt-5.1-codex', wire: 'responses', approvalPolicy: 'never', sandboxMode: 'workspace-write', cwd: project.dir },
      });
      assert.ok(processesWith(`sleep ${marker}`).length === 0);
      const result = await session.submit('go');
      assert.equal(result.status, 'completed');
      assert.deepEqual(processesWith(`sleep ${marker}`), []);
      const completed = events.filter((e) => e.type === 'item.completed' && e.item.type === 'command_execution');
      assert.equal(completed.length, 1);
    });
  } finally {
    await sidecar.dispose();
    project.cleanup();
  }
});

test('runner: a core trap fails the turn; both conversations of the process continue from their files', async () => {
  const project = makeProject();
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-sessions-'));
  const store = new SessionStore({ dir, secrets: [API_KEY] });
  const eventsA: ThreadEvent[] = [];
  try {
    await withServer(
      [{ text: 'B one' }, { text: 'A one (trapped)' }, { text: 'B two' }, { text: 'A two' }],
      async (server) => {
        const make = (emit: (e: ThreadEvent) => void) =>
          AgentSession.create({
            host: createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor('workspace-write', project.dir), emit }),
            sidecar,
            store,
            endpoint: { baseUrl: server.url, apiKey: API_KEY, wire: 'responses' },
            config: { model: 'gpt-5.1-codex', wire: 'responses', approvalPolicy: 'never', sandboxMode: 'workspace-write', cwd: project.dir },
          });
        const a = await make((e) => eventsA.push(e));
        const b = await make(() => undefined);
        assert.equal((await b.submit('b-first')).status, 'completed');

        armCoreTrap('modelEvent');
        const failed = await a.submit('a-first');
        assert.equal(failed.status, 'failed');
        assert.match(failed.error!, /core failed while handling modelEvent \(memory access out of bounds\)/);
        assert.equal(eventsA.at(-1)!.type, 'turn.failed');

        // B's core lived in the same (now discarded) instance: it reloads itself and goes on.
        const b2 = await b.submit('b-second');
        assert.equal(b2.status, 'completed', b2.error);
        assert.equal(b2.finalMessage, 'B two');
        const a2 = await a.submit('a-second');
        assert.equal(a2.status, 'completed', a2.error);
        assert.equal(a2.finalMessage, 'A two');

        const sent = bodies(server).map((body) => JSON.stringify(conversation(body)));
        assert.equal(sent.length, 4);
        assert.match(sent[2], /b-first[\s\S]*B one[\s\S]*b-second/);
        assert.match(sent[3], /a-first[\s\S]*a-second/);
        assert.ok(!sent[3].includes('b-first'));
      },
    );
  } finally {
    await sidecar.dispose();
    project.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('runner: a session file that can no longer be written is said once in the log and in the conversation, and the turns go on', async () => {
  const project = makeProject();
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-sessions-'));
  const store = new SessionStore({ dir });
  const logged: string[] = [];
  const told: string[] = [];
  const events: ThreadEvent[] = [];
  try {
    await withServer([{ text: 'one' }, { text: 'two' }, { text: 'three' }], async (server) => {
      const session = await AgentSession.create({
        host: createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor('workspace-write', project.dir), emit: (e) => events.push(e) }),
        sidecar,
        store,
        log: (line) => logged.push(line),
        onSaveFailed: (message) => told.push(message),
        endpoint: { baseUrl: server.url, apiKey: API_KEY, wire: 'responses' },
        config: { model: 'gpt-5.1-codex', wire: 'responses', approvalPolicy: 'never', sandboxMode: 'workspace-write', cwd: project.dir },
      });
      assert.equal((await session.submit('first')).status, 'completed');
      assert.deepEqual(logged.filter((l) => l.includes('could not be saved')), []);
      // The records file's place taken by a directory: every append from here on fails (EISDIR).
      const file = path.join(dir, `${session.id}.jsonl`);
      fs.renameSync(file, `${file}.moved`);
      fs.mkdirSync(file);
      const second = await session.submit('second');
      assert.equal(second.status, 'completed', second.error);
      assert.equal(second.finalMessage, 'two');
      const third = await session.submit('third');
      assert.equal(third.finalMessage, 'three');
      await session.dispose();
      const said = logged.filter((l) => l.includes('could not be saved'));
      assert.equal(said.length, 1, logged.join('\n'));
      assert.match(said[0], new RegExp(`^session ${session.id}: a record could not be saved \\(EISDIR`));
      assert.deepEqual(told, said, 'the host is told the same, once');
      const shown = events.flatMap((e) => (e.type === 'item.completed' && e.item.type === 'error' ? [e.item.message] : []));
      assert.equal(shown.length, 1, JSON.stringify(shown));
      assert.match(shown[0], /^This conversation could not be saved: EISDIR/);
    });
  } finally {
    await sidecar.dispose();
    project.cleanup();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
