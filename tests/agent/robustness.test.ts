// `tack exec` end to end when things go wrong around the turn: a stalled model stream, a trapped wasm
// core, an SSE event too deep for it. The real CLI bundle, wasm core, sidecar and the scripted model
// server (or a raw HTTP server where the script cannot say it).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { bodies, conversation, makeProject, runTack, withServer } from './harness';

test('a model stream that stalls after response.created fails in seconds with a clear message', async () => {
  const project = makeProject();
  try {
    await withServer([{ text: 'never finished', fail: { hangUntilAborted: true }, times: 3 }], async (server) => {
      const r = await runTack(['exec', '--json', '--base-url', server.url, '--stream-idle-timeout', '0.5', 'say hi'], project, { timeoutMs: 30_000 });
      assert.equal(r.code, 1, r.stderr);
      const last = r.events.at(-1)!;
      assert.equal(last.type, 'turn.failed');
      assert.match(last.error.message, /no data from the model server for 0\.5 s/);
      assert.match(r.stderr, /no data from the model server for 0\.5 s .*giving up/);
      // One retry of the stall, then the stall is final: two requests, each closed by the client.
      const requests = server.modelRequests();
      assert.equal(requests.length, 2);
      await server.waitFor(() => requests.every((q) => q.clientClosed), 5_000);
    });
  } finally {
    project.cleanup();
  }
});

test('a trap in the wasm core ends the turn with turn.failed and exit 1; the session file resumes', async () => {
  const project = makeProject();
  try {
    await withServer(
      [{ text: 'this answer makes the core trap' }, { text: 'back again', expect: 'first request' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'first request'], project, { env: { TACK_TEST_TRAP_CORE_ON: 'modelEvent' } });
        assert.equal(r.code, 1, r.stderr);
        const last = r.events.at(-1)!;
        assert.equal(last.type, 'turn.failed');
        assert.match(last.error.message, /^Tack's core failed while handling modelEvent \(memory access out of bounds\)\. The turn was stopped; the session was reloaded from its file/);
        assert.match(r.stderr, /core failed/);
        const threadId = r.events[0].thread_id as string;

        const again = await runTack(['exec', '--json', '--base-url', server.url, '--resume', threadId, 'and now?'], project);
        assert.equal(again.code, 0, again.stderr);
        assert.equal(again.events.at(-1)!.type, 'turn.completed');
        assert.deepEqual(server.mismatches, []);
        const sent = bodies(server);
        assert.equal(sent.length, 2);
        const texts = JSON.stringify(conversation(sent[1]));
        assert.ok(texts.indexOf('first request') < texts.indexOf('and now?'), 'the resumed request carries the first turn');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('an SSE event nested 5,000 deep never takes tack exec down: the turn ends with a final event', async () => {
  const project = makeProject();
  let deep = '1';
  for (let i = 0; i < 5000; i++) deep = `{"a":${deep}}`;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"type":"response.created","response":{"id":"resp_1"}}\n\n');
      res.write(`data: {"type":"response.output_item.added","output_index":0,"item":${deep}}\n\n`);
      res.end('data: {"type":"response.completed","response":{"id":"resp_1","output":[],"usage":{"input_tokens":1,"output_tokens":1}}}\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    const r = await runTack(['exec', '--json', '--base-url', url, 'hi'], project);
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    const last = r.events.at(-1)!;
    assert.equal(last.type, r.code === 0 ? 'turn.completed' : 'turn.failed', r.stderr);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    project.cleanup();
  }
});

test('a trap while a command runs: the session resumes with that call answered as aborted', async () => {
  const project = makeProject();
  try {
    await withServer(
      [{ toolCalls: [{ name: 'exec_command', callId: 'c1', arguments: { cmd: 'echo hi' } }] }, { text: 'resumed fine' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'run it'], project, { env: { TACK_TEST_TRAP_CORE_ON: 'execExited' } });
        assert.equal(r.code, 1, r.stderr);
        assert.equal(r.events.at(-1)!.type, 'turn.failed');
        const started = r.events.filter((e) => e.type === 'item.started' && e.item.type === 'command_execution');
        const completed = r.events.filter((e) => e.type === 'item.completed' && e.item.type === 'command_execution');
        assert.deepEqual(completed.map((e) => e.item.id), started.map((e) => e.item.id), 'every started command item is completed');
        const again = await runTack(['exec', '--json', '--base-url', server.url, '--resume', r.events[0].thread_id, 'go on'], project);
        assert.equal(again.code, 0, again.stderr);
        const sent = bodies(server);
        assert.equal(sent.length, 2);
        const items = conversation(sent[1]) as Array<Record<string, unknown>>;
        const call = items.findIndex((i) => i.type === 'function_call' && i.call_id === 'c1');
        const output = items.findIndex((i) => i.type === 'function_call_output' && i.call_id === 'c1');
        assert.ok(call >= 0 && output > call, JSON.stringify(items));
        assert.match(String(items[output].output), /aborted/);
      },
    );
  } finally {
    project.cleanup();
  }
});
