// `tack exec` end to end: the bundled CLI, the real wasm core and sidecar, and the scripted model
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON and printed events are explored by the assertions themselves */
// server speaking the Responses and Chat Completions streaming formats over real HTTP.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../lib/paths';
import { API_KEY, assertAppendOnly, bodies, childrenOf, completedItems, conversation, makeProject, runTack, toolOutputs, withServer } from './harness';
import { processesWith, uniqueSleep } from '../lib/procs';

const PATCH = [
  '*** Begin Patch',
  '*** Add File: farewell.txt',
  '+bye',
  '*** Update File: greet.txt',
  '@@',
  '-hello',
  '+hello, world',
  '*** End Patch',
  '',
].join('\n');

test('a multi-step task over Responses: plan, parallel commands, apply_patch, final message', async () => {
  const project = makeProject({ 'greet.txt': 'hello\n', 'AGENTS.md': 'Keep files short.\n' });
  try {
    await withServer(
      [
        {
          reasoning: 'Look first.',
          toolCalls: [
            { name: 'update_plan', callId: 'plan1', arguments: { plan: [{ step: 'inspect', status: 'in_progress' }, { step: 'edit', status: 'pending' }] } },
            { name: 'exec_command', callId: 'cat1', arguments: { cmd: 'sleep 0.3; cat greet.txt' } },
            { name: 'exec_command', callId: 'ls1', arguments: { cmd: 'ls' } },
          ],
        },
        { toolCalls: [{ name: 'apply_patch', callId: 'patch1', kind: 'custom', input: PATCH }] },
        { toolCalls: [{ name: 'exec_command', callId: 'cat2', arguments: { cmd: 'cat farewell.txt greet.txt' } }] },
        { text: 'Added farewell.txt and updated greet.txt.' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'add a farewell'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(project.read('farewell.txt'), 'bye\n');
        assert.equal(project.read('greet.txt'), 'hello, world\n');

        const types = r.events.map((e) => e.type);
        assert.equal(types[0], 'thread.started');
        assert.equal(types[1], 'turn.started');
        assert.equal(types.at(-1), 'turn.completed');
        assert.ok(!types.includes('item.delta'), '--json prints only the Codex-compatible events');
        const commands = completedItems(r.events, 'command_execution');
        assert.equal(commands.length, 3);
        assert.ok(commands.every((c) => c.status === 'completed' && c.exit_code === 0));
        const [edit] = completedItems(r.events, 'file_change');
        assert.equal(edit.status, 'completed');
        assert.deepEqual(edit.changes.map((c: any) => [c.kind, c.path]), [['add', 'farewell.txt'], ['update', 'greet.txt']]);
        assert.equal(edit.diffs, undefined, 'the JSON stream leaves the review diffs out');
        assert.equal(edit.hunk_states, undefined, 'and the hunk decisions');
        assert.equal(completedItems(r.events, 'agent_message').at(-1)!.text, 'Added farewell.txt and updated greet.txt.');
        assert.ok(completedItems(r.events, 'todo_list').length === 1);
        assert.ok(completedItems(r.events, 'reasoning').some((i) => i.text === 'Look first.'));

        const sent = bodies(server);
        assert.equal(sent.length, 4);
        assertAppendOnly(sent, (a, b, m) => assert.deepEqual(a, b, m));
        const threadId = r.events[0].thread_id;
        for (const b of sent) {
          assert.equal(b.prompt_cache_key, threadId);
          assert.equal(b.store, false);
          assert.deepEqual(b.include, ['reasoning.encrypted_content']);
          assert.deepEqual(b.tools.map((t: any) => t.name), ['exec_command', 'write_stdin', 'apply_patch', 'update_plan', 'view_image']);
        }
        const first = JSON.stringify(conversation(sent[0]));
        assert.match(first, /<environment_context>/);
        assert.match(first, /Keep files short\./);
        // Every call of the first response answered, in order, with the command's output.
        const outs1 = [...toolOutputs(sent[1]).entries()];
        assert.deepEqual(outs1.map(([id]) => id), ['plan1', 'cat1', 'ls1']);
        assert.match(outs1[1][1], /^Chunk ID: [0-9a-f]{6}\nWall time: \d+\.\d{4} seconds\nProcess exited with code 0\nOriginal token count: \d+\nOutput:\n[\s\S]*\bhello\r?\n/);
        assert.match(outs1[2][1], /greet\.txt/);
        assert.equal(toolOutputs(sent[2]).get('patch1'), 'Success. Updated the following files:\nA farewell.txt\nM greet.txt\n');
        assert.match(toolOutputs(sent[3]).get('cat2')!, /bye\r?\nhello, world/);
        // The reasoning item came back for the next request.
        assert.ok((conversation(sent[1]) as any[]).some((i) => i.type === 'reasoning'));
      },
    );
  } finally {
    project.cleanup();
  }
});

test('the same task over Chat Completions: shell, apply_patch as a function, tool messages', async () => {
  const project = makeProject({ 'greet.txt': 'hello\n' });
  try {
    await withServer(
      [
        {
          toolCalls: [
            { name: 'shell', callId: 's1', arguments: { command: ['bash', '-lc', 'cat greet.txt'] } },
            { name: 'shell', callId: 's2', arguments: { command: ['bash', '-lc', 'echo two'] } },
          ],
        },
        { toolCalls: [{ name: 'apply_patch', callId: 'p1', arguments: { input: PATCH } }] },
        { text: 'All done.' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--wire', 'chat', '--model', 'scripted-chat-model', '--base-url', server.url, 'edit'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(project.read('farewell.txt'), 'bye\n');
        const sent = bodies(server);
        assert.equal(sent.length, 3);
        assertAppendOnly(sent, (a, b, m) => assert.deepEqual(a, b, m));
        assert.deepEqual(sent[0].tools.map((t: any) => t.function.name), ['shell', 'apply_patch', 'update_plan']);
        const outs = toolOutputs(sent[1]);
        assert.equal(JSON.parse(outs.get('s1')!).metadata.exit_code, 0);
        assert.match(JSON.parse(outs.get('s1')!).output, /hello/);
        assert.match(JSON.parse(outs.get('s2')!).output, /two/);
        assert.equal(toolOutputs(sent[2]).get('p1'), 'Success. Updated the following files:\nA farewell.txt\nM greet.txt\n');
        assert.equal(completedItems(r.events, 'agent_message').at(-1)!.text, 'All done.');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('a turn of many commands runs them all without warnings on stderr (no listener left per command)', async () => {
  const project = makeProject();
  try {
    const steps = 14; // Node warns past 10 listeners on one AbortSignal, the turn's
    await withServer(
      [{ toolCalls: [{ name: 'exec_command', arguments: { cmd: 'echo step', login: false } }], times: steps }, { text: 'ok' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'run them'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(completedItems(r.events, 'command_execution').filter((c) => c.exit_code === 0).length, steps);
        assert.doesNotMatch(r.stderr, /Warning/);
      },
    );
  } finally {
    project.cleanup();
  }
});

test('apply_patch sent through exec_command as a heredoc is applied by the patch tool', async () => {
  const project = makeProject({ 'greet.txt': 'hello\n' });
  try {
    await withServer(
      [{ toolCalls: [{ name: 'exec_command', callId: 'h1', arguments: { cmd: `apply_patch <<'EOF'\n${PATCH}EOF\n` } }] }, { text: 'ok' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'edit'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(project.read('greet.txt'), 'hello, world\n');
        const out = toolOutputs(bodies(server)[1]).get('h1')!;
        assert.match(out, /Process exited with code 0\n/);
        assert.match(out, /Output:\nSuccess\. Updated the following files:\nA farewell\.txt\nM greet\.txt\n/);
      },
    );
  } finally {
    project.cleanup();
  }
});

test('malformed tool arguments and a bad patch go back to the model; the task goes on', async () => {
  const project = makeProject({ 'greet.txt': 'hello\n' });
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'bad1', arguments: '{"cmd": ' }, { name: 'apply_patch', callId: 'bad2', kind: 'custom', input: '*** Begin Patch\n*** Update File: greet.txt\n@@\n-nope\n+x\n*** End Patch\n' }] },
        { text: 'I will stop here.' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'edit'], project);
        assert.equal(r.code, 0, r.stderr);
        const outs = toolOutputs(bodies(server)[1]);
        assert.match(outs.get('bad1')!, /^failed to parse function arguments/);
        assert.match(outs.get('bad2')!, /^apply_patch verification failed/);
        assert.equal(project.read('greet.txt'), 'hello\n');
        assert.ok(completedItems(r.events, 'error').length >= 1);
      },
    );
  } finally {
    project.cleanup();
  }
});

test('429 with Retry-After, then success', async () => {
  const project = makeProject();
  try {
    await withServer([{ fail: { status: 429, retryAfter: 1 } }, { text: 'fine now' }], async (server) => {
      const r = await runTack(['exec', '--base-url', server.url, 'hi'], project);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /retrying/);
      assert.match(r.stderr, /fine now/);
      assert.equal(server.modelRequests().length, 2);
    });
  } finally {
    project.cleanup();
  }
});

test('a stream cut mid-response is retried and the task completes', async () => {
  const project = makeProject();
  try {
    await withServer([{ text: 'partial answer that is cut', chunkSize: 4, fail: { dropAfterEvents: 5 } }, { text: 'complete answer' }], async (server) => {
      const r = await runTack(['exec', '--json', '--base-url', server.url, 'hi'], project);
      assert.equal(r.code, 0, r.stderr);
      const messages = completedItems(r.events, 'agent_message');
      assert.deepEqual(messages.map((m) => m.text), ['complete answer']);
    });
  } finally {
    project.cleanup();
  }
});

test('401: a clear message and a non-zero exit', async () => {
  const project = makeProject();
  try {
    await withServer([{ text: 'never' }], async (server) => {
      const r = await runTack(['exec', '--base-url', server.url, 'hi'], project, { env: { OPENAI_API_KEY: 'sk-wrong-key-000000000000000000' } });
      assert.equal(r.code, 1);
      assert.match(r.stderr, /tack exec: .*(401|API key)/i);
      assert.ok(!r.stderr.includes('sk-wrong-key'), 'the key is never printed');
    });
  } finally {
    project.cleanup();
  }
});

test('without a key for the default endpoint it says how to set one', async () => {
  const project = makeProject();
  try {
    const r = await runTack(['exec', 'hi'], project, { env: { OPENAI_API_KEY: undefined } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no API key\. Set OPENAI_API_KEY/);
    assert.match(r.stderr, /--base-url/);
    const named = await runTack(['exec', '--api-key-env', 'MY_KEY', 'hi'], project, { env: { OPENAI_API_KEY: undefined } });
    assert.match(named.stderr, /Set MY_KEY/);
    const bad = await runTack(['exec', '--wire', 'soap', 'hi'], project);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--wire must be responses or chat/);
  } finally {
    project.cleanup();
  }
});

test('interrupt during a long command: the command is killed and tack exits 130', async () => {
  const project = makeProject();
  // The command runs in its own PID namespace: it is found on the host by its unique command line.
  const sleep = `sleep ${uniqueSleep(60)}`;
  try {
    await withServer([{ toolCalls: [{ name: 'exec_command', callId: 'long', arguments: { cmd: `echo started > pid.txt; exec ${sleep}`, yield_time_ms: 30000 } }] }, { text: 'unused' }], async (server) => {
      let sent = false;
      const r = await runTack(['exec', '--json', '--base-url', server.url, 'wait'], project, {
        onEvent: (e, child) => {
          if (!sent && e.type === 'item.started' && e.item.type === 'command_execution') {
            sent = true;
            const poll = setInterval(() => {
              if (project.exists('pid.txt') && project.read('pid.txt').trim() !== '' && processesWith(sleep).length > 0) {
                clearInterval(poll);
                child.kill('SIGINT');
              }
            }, 50);
          }
        },
      });
      assert.equal(r.code, 130, r.stderr);
      assert.equal(project.read('pid.txt').trim(), 'started');
      const until = Date.now() + 10_000;
      while (processesWith(sleep).length > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(processesWith(sleep), [], 'the command was killed');
      assert.equal(server.modelRequests().length, 1, 'no request after the interrupt');
      assert.ok(r.events.some((e) => e.type === 'turn.failed' && /interrupted/i.test(e.error.message)));
    });
  } finally {
    project.cleanup();
  }
});

test('the sidecar dies mid-command: the model gets a clear error and the turn goes on', async () => {
  const project = makeProject();
  try {
    await withServer(
      [{ toolCalls: [{ name: 'exec_command', callId: 'doomed', arguments: { cmd: 'echo started; sleep 30' } }] }, { text: 'The runner crashed; stopping.' }],
      async (server) => {
        let killed = false;
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'go'], project, {
          onEvent: (e, child) => {
            // The turn's checkpoint is taken between the command's item.started and its start.
            if (!killed && e.type === 'checkpoint.created') {
              killed = true;
              setTimeout(() => {
                const sidecar = childrenOf(child.pid!).find((c) => c.comm.startsWith('tack-sidecar'));
                assert.ok(sidecar, 'the sidecar runs as a child of tack');
                process.kill(sidecar.pid, 'SIGKILL');
              }, 300);
            }
          },
        });
        assert.equal(r.code, 0, r.stderr);
        const out = toolOutputs(bodies(server)[1]).get('doomed')!;
        assert.match(out, /Failed to run the command: .*tack-sidecar\) stopped unexpectedly/);
        const [cmd] = completedItems(r.events, 'command_execution');
        assert.equal(cmd.status, 'failed');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('compaction past 90% of the context window: summary request, rebuilt history, the task completes', async () => {
  const project = makeProject();
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'c1', arguments: { cmd: 'echo data' } }], usage: { input_tokens: 950, output_tokens: 20 } },
        { text: 'SUMMARY: ran echo, saw data.', expect: 'hand-off summary', usage: { input_tokens: 960, output_tokens: 10 } },
        { text: 'Finished after compaction.', expect: 'SUMMARY: ran echo, saw data.', usage: { input_tokens: 100, output_tokens: 5 } },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--context-window', '1000', '--base-url', server.url, 'compact me'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(server.mismatches, []);
        const sent = bodies(server);
        assert.equal(sent.length, 3);
        const rebuilt = JSON.stringify(conversation(sent[2]));
        assert.match(rebuilt, /compact me/);
        assert.ok(!rebuilt.includes('"function_call"'), 'old tool calls are gone');
        assert.equal(completedItems(r.events, 'agent_message').at(-1)!.text, 'Finished after compaction.');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('approval policy untrusted: a safe command runs, an unsafe one is declined headless', async () => {
  const project = makeProject({ 'keep.txt': 'precious\n' });
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'safe', arguments: { cmd: 'cat keep.txt' } }, { name: 'exec_command', callId: 'unsafe', arguments: { cmd: 'rm -f keep.txt' } }] },
        { text: 'Could not delete it.' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--approval', 'untrusted', '--base-url', server.url, 'delete keep.txt'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(project.read('keep.txt'), 'precious\n');
        const outs = toolOutputs(bodies(server)[1]);
        assert.match(outs.get('safe')!, /precious/);
        assert.match(outs.get('unsafe')!, /^The user declined to run this command\. No one is available to approve it: this is a headless run/);
        const declined = completedItems(r.events, 'command_execution').find((c) => c.status === 'declined');
        assert.equal(declined?.command, 'rm -f keep.txt');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('a session is resumed from its file and the conversation continues append-only', async () => {
  const project = makeProject();
  try {
    await withServer([{ text: 'Noted: 42.' }, { text: 'It was 42.', expect: 'remember 42' }], async (server) => {
      const first = await runTack(['exec', '--json', '--base-url', server.url, 'remember 42'], project);
      assert.equal(first.code, 0, first.stderr);
      const id = first.events[0].thread_id as string;
      const second = await runTack(['exec', '--json', '--resume', id, '--base-url', server.url, 'what number?'], project);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(server.mismatches, []);
      const sent = bodies(server);
      assertAppendOnly(sent, (a, b, m) => assert.deepEqual(a, b, m));
      assert.equal(sent[1].prompt_cache_key, id);
      // The API key never reaches the session file.
      const file = fs.readFileSync(path.join(project.home, 'sessions', `${id}.jsonl`), 'utf8');
      assert.match(file, /remember 42/);
      assert.ok(!file.includes(API_KEY));
    });
  } finally {
    project.cleanup();
  }
});

test('a command still running after its yield time is fed through write_stdin', async () => {
  const project = makeProject();
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'start', arguments: { cmd: 'read line; echo "got:$line"', tty: true, yield_time_ms: 500 } }] },
        { toolCalls: [{ name: 'write_stdin', callId: 'feed', arguments: { session_id: 1, chars: 'hi\n', yield_time_ms: 5000 } }] },
        { text: 'It echoed.' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'talk to it'], project);
        assert.equal(r.code, 0, r.stderr);
        const sent = bodies(server);
        assert.match(toolOutputs(sent[1]).get('start')!, /\nProcess running with session ID 1\n/);
        const fed = toolOutputs(sent[2]).get('feed')!;
        assert.match(fed, /\nProcess exited with code 0\n/);
        assert.match(fed, /got:hi/);
        const [cmd] = completedItems(r.events, 'command_execution');
        assert.equal(cmd.exit_code, 0);
        assert.match(cmd.aggregated_output, /got:hi/);
      },
    );
  } finally {
    project.cleanup();
  }
});

test('approval matrix headless: never runs, on-request escalation and on-failure retries are declined', async () => {
  const project = makeProject({ 'keep.txt': 'x\n' });
  try {
    // never: the command runs without asking.
    await withServer([{ toolCalls: [{ name: 'exec_command', callId: 'rm', arguments: { cmd: 'rm -f keep.txt' } }] }, { text: 'removed' }], async (server) => {
      const r = await runTack(['exec', '--json', '--approval', 'never', '--base-url', server.url, 'rm'], project);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(project.exists('keep.txt'), false);
    });
    // on-request: asking to leave the sandbox needs a person; nobody is there.
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'esc', arguments: { cmd: 'touch escalated.txt', sandbox_permissions: 'require_escalated', justification: 'needs it' } }] },
        { text: 'declined' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--approval', 'on-request', '--base-url', server.url, 'esc'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(project.exists('escalated.txt'), false, 'the escalated command never ran');
        assert.match(toolOutputs(bodies(server)[1]).get('esc')!, /^The user declined to run this command\./);
      },
    );
    // on-failure: the sandbox blocks a write outside the workspace (and outside the temp dir, which is
    // writable); re-running it unsandboxed needs a person, so it is declined.
    const outside = path.join(repoRoot, 'tests', 'artifacts', `agent-outside-${process.pid}`);
    fs.mkdirSync(outside, { recursive: true });
    try {
      await withServer(
        [{ toolCalls: [{ name: 'exec_command', callId: 'out', arguments: { cmd: `touch ${outside}/x.txt` } }] }, { text: 'blocked' }],
        async (server) => {
          const r = await runTack(['exec', '--json', '--approval', 'on-failure', '--base-url', server.url, 'write outside'], project);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(fs.existsSync(path.join(outside, 'x.txt')), false);
          assert.match(toolOutputs(bodies(server)[1]).get('out')!, /^The user declined to run this command\. No one is available/);
        },
      );
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  } finally {
    project.cleanup();
  }
});

test('view_image attaches the workspace image after the tool outputs', async () => {
  const project = makeProject();
  // A 1x1 PNG.
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
  fs.writeFileSync(path.join(project.dir, 'dot.png'), png);
  fs.writeFileSync(path.join(project.dir, 'notes.txt'), 'plain text\n');
  try {
    await withServer(
      [{ toolCalls: [{ name: 'view_image', callId: 'img', arguments: { path: 'dot.png' } }, { name: 'view_image', callId: 'nope', arguments: { path: 'notes.txt' } }] }, { text: 'A dot.' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'look'], project);
        assert.equal(r.code, 0, r.stderr);
        const sent = bodies(server);
        const outs = toolOutputs(sent[1]);
        assert.equal(outs.get('img'), `Image attached: ${path.join(project.dir, 'dot.png')}`);
        assert.match(outs.get('nope')!, /^view_image failed for .*notes\.txt: the file is not an image/);
        const last = (conversation(sent[1]) as any[]).at(-1);
        assert.equal(last.role, 'user');
        assert.equal(last.content[0].type, 'input_image');
        // Re-encoded by the sidecar (tests/agent/images.test.ts decodes and measures them).
        assert.match(last.content[0].image_url, /^data:image\/png;base64,iVBORw0KGgo/);
      },
    );
  } finally {
    project.cleanup();
  }
});
