// Rewinding the conversation with the files (`tack rewind ID --conversation`), end to end through the
// real sidecar, the real wasm core, `tack exec` and the scripted model server: after the rewind, the
// next request (`tack exec --resume`) carries exactly the history before the rewound message plus the
// new message, nothing from the dropped turn, and the conversation goes on append-only from there.
/* eslint-disable @typescript-eslint/no-explicit-any -- printed JSON is explored by the assertions themselves */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createFsHost } from '../../extension/src/host/agent/fs-host';
import { messageOfCheckpoint } from '../../extension/src/host/agent/rewind';
import { AgentSession } from '../../extension/src/host/agent/session';
import type { SessionRecord, ThreadEvent } from '../../extension/src/host/agent/types';
import { writePolicyFor } from '../../extension/src/host/patch/atomic-write';
import { SessionStore } from '../../extension/src/host/sessions';
import { SidecarClient } from '../../extension/src/host/sidecar/client';
import { sidecarBin } from '../lib/paths';
import { API_KEY, assertAppendOnly, bodies, conversation, makeProject, runTack, withServer } from './harness';

test('a rewind with --conversation restores the files and the next resumed request continues from before the message', async () => {
  const project = makeProject({ 'notes.txt': 'original\n' });
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'one', arguments: { cmd: 'echo one > one.txt' } }] },
        { text: 'Wrote one.txt.' },
        { toolCalls: [{ name: 'exec_command', callId: 'two', arguments: { cmd: 'echo two > two.txt && echo changed > notes.txt' } }] },
        { text: 'Wrote two.txt.' },
        { text: 'Fine, nothing written this time.', expect: 'second, but better' },
        { text: 'Still here.', expect: 'and then?' },
      ],
      async (server) => {
        const first = await runTack(['exec', '--json', '--base-url', server.url, 'first: write one'], project);
        assert.equal(first.code, 0, first.stderr);
        const id = first.events[0].thread_id as string;
        const second = await runTack(['exec', '--json', '--resume', id, '--base-url', server.url, 'second: write two'], project);
        assert.equal(second.code, 0, second.stderr);
        const cp = second.events.find((e) => e.type === 'checkpoint.created')?.id as string;
        assert.ok(cp, 'the second turn made a checkpoint');
        assert.equal(project.read('two.txt'), 'two\n');
        const sessionFile = path.join(project.home, 'sessions', `${id}.jsonl`);
        const beforeRewind = fs.readFileSync(sessionFile, 'utf8');

        // A dry run changes neither the files nor the session file.
        const dry = await runTack(['rewind', cp, '--conversation', '--dry-run', '--json', '-C', project.dir], project);
        assert.equal(dry.code, 0, dry.stderr);
        assert.match(dry.stderr, /before your message:\n {2}second: write two/);
        assert.equal(project.read('two.txt'), 'two\n');
        assert.equal(fs.readFileSync(sessionFile, 'utf8'), beforeRewind);

        const r = await runTack(['rewind', cp, '--conversation', '--yes', '--json', '-C', project.dir], project);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.events[0].conversation, { session: id, message: 1, text: 'second: write two' });
        assert.ok(!fs.existsSync(path.join(project.dir, 'two.txt')), 'the file the dropped turn made is gone');
        assert.equal(project.read('notes.txt'), 'original\n');
        assert.equal(project.read('one.txt'), 'one\n', 'the first turn is kept');
        const lines = fs.readFileSync(sessionFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        assert.deepEqual(lines.at(-1), { type: 'rewind', toUserMessage: 1 });
        assert.ok(fs.readFileSync(sessionFile, 'utf8').startsWith(beforeRewind), 'the session file is only appended to');

        // Rewinding to the same checkpoint again is refused: its message is no longer in the conversation.
        const again = await runTack(['rewind', cp, '--conversation', '--yes', '-C', project.dir], project);
        assert.equal(again.code, 1);
        assert.match(again.stderr, /belongs to no message of session .* still in its conversation/);

        const third = await runTack(['exec', '--json', '--resume', id, '--base-url', server.url, 'second, but better'], project);
        assert.equal(third.code, 0, third.stderr);
        const fourth = await runTack(['exec', '--json', '--resume', id, '--base-url', server.url, 'and then?'], project);
        assert.equal(fourth.code, 0, fourth.stderr);
        assert.deepEqual(server.mismatches, []);

        const sent = bodies(server);
        assert.equal(sent.length, 6);
        // Request 2 is the second turn's first: the history before "second: write two", then it.
        const beforeSecond = conversation(sent[2]).slice(0, -1);
        assert.deepEqual((conversation(sent[2]).at(-1) as any).content[0].text, 'second: write two');
        const rewound = conversation(sent[4]);
        assert.deepEqual(rewound.slice(0, -1), beforeSecond, 'the history up to the rewound message, unchanged');
        assert.equal((rewound.at(-1) as any).content[0].text, 'second, but better');
        assert.equal(rewound.length, beforeSecond.length + 1);
        assert.ok(!JSON.stringify(rewound).includes('two.txt'), 'nothing of the dropped turn is sent again');
        assert.equal(sent[4].prompt_cache_key, sent[2].prompt_cache_key);
        // And from there on, append-only again.
        assertAppendOnly(sent.slice(4), (a, b, m) => assert.deepEqual(a, b, m));
      },
    );
  } finally {
    project.cleanup();
  }
});

test('tack exec --no-checkpoints records none, and a rewind --conversation without a checkpoint of the session says so', async () => {
  const project = makeProject();
  try {
    await withServer(
      [{ toolCalls: [{ name: 'exec_command', callId: 'w', arguments: { cmd: 'echo x > x.txt' } }] }, { text: 'ok' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--no-checkpoints', '--base-url', server.url, 'write x'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(project.read('x.txt'), 'x\n');
        assert.ok(!r.events.some((e) => e.type === 'checkpoint.created'));
        const list = await runTack(['checkpoints', '--json', '-C', project.dir], project);
        assert.deepEqual(list.events[0].checkpoints, []);
        const bad = await runTack(['rewind', '1-abcdef', '--conversation', '--yes', '-C', project.dir], project);
        assert.notEqual(bad.code, 0);
        assert.equal(project.read('x.txt'), 'x\n', 'a refused rewind writes nothing');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('in process (as VS Code drives it): rewindConversation is refused mid-turn, then cuts; the next request and a reopened session continue from there', async () => {
  const project = makeProject();
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  const store = new SessionStore({ dir: path.join(project.home, 'sessions') });
  const events: ThreadEvent[] = [];
  try {
    await withServer(
      [
        { text: 'one' },
        { toolCalls: [{ name: 'exec_command', callId: 'w', arguments: { cmd: 'echo 2 > two.txt' } }] },
        { text: 'two' },
        { text: 'two, again', expect: 'second again' },
        { text: 'three', expect: 'third' },
      ],
      async (server) => {
        const options = {
          host: createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor('workspace-write', project.dir), emit: (e: ThreadEvent) => events.push(e) }),
          sidecar,
          store,
          checkpoints: { storeDir: path.join(project.home, 'checkpoints') },
          endpoint: { baseUrl: server.url, apiKey: API_KEY, wire: 'responses' as const },
          config: { model: 'gpt-5.1-codex', wire: 'responses' as const, approvalPolicy: 'never' as const, sandboxMode: 'workspace-write' as const, cwd: project.dir },
        };
        const session = await AgentSession.create(options);
        assert.equal((await session.submit('first')).status, 'completed');
        const running = session.submit('second');
        await assert.rejects(session.rewindConversation(0), /while a turn is running/);
        assert.equal((await running).status, 'completed');
        assert.equal(session.typedMessages(), 2);
        const cp = events.find((e) => e.type === 'checkpoint.created') as { id: string } | undefined;
        assert.ok(cp, 'the second turn recorded a checkpoint');
        const records = (await store.read(session.id)) as SessionRecord[];
        assert.deepEqual(messageOfCheckpoint(records, cp.id), { index: 1, text: 'second' });
        await assert.rejects(session.rewindConversation(5), /2 message\(s\) from you/);

        assert.equal(await session.rewindConversation(1), 'second');
        assert.equal((await session.submit('second again')).status, 'completed');
        const sent = bodies(server);
        assert.deepEqual(conversation(sent[3]).slice(0, -1), conversation(sent[1]).slice(0, -1), 'the history before "second", unchanged');
        assert.ok(!JSON.stringify(conversation(sent[3])).includes('two.txt'));
        await session.dispose();

        // Reopened (VS Code's "past sessions", or after a settings change): the rewound conversation.
        const reopened = await AgentSession.create({ ...options, resumeId: session.id });
        assert.equal((await reopened.submit('third')).status, 'completed');
        const after = bodies(server);
        assert.deepEqual(conversation(after[4]).slice(0, conversation(after[3]).length), conversation(after[3]));
        assert.ok(!JSON.stringify(conversation(after[4])).includes('two.txt'));
        assert.deepEqual(server.mismatches, []);
        await reopened.dispose();
      },
    );
  } finally {
    await sidecar.dispose();
    project.cleanup();
  }
});
