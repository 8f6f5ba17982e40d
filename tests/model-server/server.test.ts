// The scripted model server itself: script checking, consumption order, repeats, expectations,
// recording, auth, odd routes, and the CLI as the e2e suites and benchmarks start it.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { normalizeScript, ScriptError } from './script';
import { startModelServer } from './server';

const here = path.dirname(fileURLToPath(import.meta.url));

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The `data:` payloads of an SSE body. */
function payloads(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
    .map((d) => (d === '[DONE]' ? d : JSON.parse(d)));
}

test('a script with a typo or a bad value is refused with a message that says where', () => {
  assert.throws(() => normalizeScript([{ txt: 'hi' }], 'turns.json'), (e: unknown) => e instanceof ScriptError && /turns\.json: response 0: unknown field "txt"/.test(e.message));
  assert.throws(() => normalizeScript([{ text: 'a' }, { fail: { status: 200 } }]), /response 1: "fail" must be/);
  assert.throws(() => normalizeScript([{ toolCalls: [{ arguments: {} }] }]), /response 0, tool call 0: needs a "name"/);
  assert.throws(() => normalizeScript({ responses: 'nope' }), /"responses" must be a list/);
  assert.throws(() => normalizeScript({ responses: [], repeat: -1 }), /"repeat"/);
  assert.doesNotThrow(() => normalizeScript({ responses: [{ text: 'ok', times: 3 }], repeat: 0 }));
});

test('responses are consumed in order by either wire; an exhausted script answers 500 naming the count', async () => {
  const server = await startModelServer([{ text: 'first' }, { text: 'second' }]);
  try {
    const a = await postJson(`${server.url}/responses`, { model: 'x', input: [] });
    assert.equal(a.status, 200);
    assert.match(a.type, /text\/event-stream/);
    assert.ok(a.text.includes('"delta":"first"'));
    const b = await postJson(`${server.url}/chat/completions`, { model: 'x', messages: [] });
    assert.ok(payloads(b.text).some((p) => JSON.stringify(p).includes('"content":"second"')));
    assert.equal(payloads(b.text).at(-1), '[DONE]');
    const c = await postJson(`${server.url}/responses`, { model: 'x', input: [] });
    assert.equal(c.status, 500);
    assert.match(JSON.parse(c.text).error.message, /script exhausted — it has 2 response\(s\) and this is model request #3/);
    assert.deepEqual(
      server.requests.map((r) => [r.wire, r.scriptIndex, r.outcome]),
      [
        ['responses', 0, 'streamed'],
        ['chat', 1, 'streamed'],
        ['responses', null, 'exhausted'],
      ],
    );
  } finally {
    await server.close();
  }
});

test('the Responses item lifecycle: added, deltas, done, and the completed response lists every item', async () => {
  const server = await startModelServer([{ reasoning: 'r', text: 'hello there', toolCalls: [{ name: 'update_plan', arguments: { plan: [] } }, { name: 'apply_patch', input: 'P' }] }]);
  try {
    const res = await postJson(`${server.url}/responses`, { model: 'gpt-5.1-codex' });
    const events = payloads(res.text) as Array<Record<string, unknown>>;
    const seq = events.map((e) => e.sequence_number);
    assert.deepEqual(seq, events.map((_, i) => i), 'sequence_number counts up from 0');
    const frames = res.text.split('\n\n').filter(Boolean);
    for (const f of frames) {
      const [eventLine, dataLine] = f.split('\n');
      assert.equal(eventLine.slice('event: '.length), JSON.parse(dataLine.slice('data: '.length)).type, 'event name equals data.type');
    }
    const doneItems = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item as Record<string, unknown>);
    for (const item of doneItems) {
      const added = events.findIndex((e) => e.type === 'response.output_item.added' && (e.item as { id: string }).id === item.id);
      const done = events.findIndex((e) => e.type === 'response.output_item.done' && (e.item as { id: string }).id === item.id);
      assert.ok(added >= 0 && added < done, `${item.type} is added before it is done`);
    }
    const completed = events.at(-1) as { type: string; response: { output: unknown[]; model: string; status: string } };
    assert.equal(completed.type, 'response.completed');
    assert.equal(completed.response.status, 'completed');
    assert.equal(completed.response.model, 'gpt-5.1-codex');
    assert.deepEqual(completed.response.output, doneItems);
    const callIds = doneItems.filter((i) => 'call_id' in i).map((i) => i.call_id);
    assert.equal(new Set(callIds).size, 2);
  } finally {
    await server.close();
  }
});

test('hosted web searches stream as web_search_call items; hosted-items refuses one sent back without its id', async () => {
  const server = await startModelServer({ responses: [{ webSearches: ['q1'], text: 'found' }, { text: 'ok' }, { text: 'ok' }], checks: ['hosted-items'] });
  try {
    const res = await postJson(`${server.url}/responses`, { model: 'm', input: [] });
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON, explored by the assertions
    const events = payloads(res.text) as Array<Record<string, any>>;
    const types = events.map((e) => e.type);
    const first = types.indexOf('response.web_search_call.in_progress');
    assert.deepEqual(types.slice(first - 1, first + 4), [
      'response.output_item.added',
      'response.web_search_call.in_progress',
      'response.web_search_call.searching',
      'response.web_search_call.completed',
      'response.output_item.done',
    ]);
    const item = events.find((e) => e.type === 'response.output_item.done')!.item;
    assert.equal(item.type, 'web_search_call');
    assert.deepEqual(item.action, { type: 'search', query: 'q1' });
    // Sent back whole, it is accepted; without its id, refused as the API refuses it.
    assert.equal((await postJson(`${server.url}/responses`, { model: 'm', input: [item] })).status, 200);
    const { id: _id, ...noId } = item;
    const bad = await postJson(`${server.url}/responses`, { model: 'm', input: [noId] });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /web_search_call item needs 'id'/);
    const badImage = await postJson(`${server.url}/responses`, { model: 'm', input: [{ type: 'message', role: 'user', content: [{ type: 'input_image', image_url: 'file:///etc/passwd' }] }] });
    assert.equal(badImage.status, 400);
  } finally {
    await server.close();
  }
});

test('times and repeat replay responses; scripted call ids stay unique across rounds', async () => {
  const server = await startModelServer({ responses: [{ toolCalls: [{ name: 'exec_command', arguments: { cmd: 'true' }, callId: 'call_x' }], times: 2 }, { text: 'done' }], repeat: 2 });
  try {
    const callIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await postJson(`${server.url}/responses`, {});
      assert.equal(res.status, 200, `request ${i}`);
      const done = (payloads(res.text) as Array<Record<string, unknown>>).filter((e) => e.type === 'response.output_item.done');
      for (const e of done) {
        const item = e.item as { call_id?: string };
        if (item.call_id) callIds.push(item.call_id);
      }
    }
    assert.deepEqual(callIds, ['call_x', 'call_x', 'call_x-r1', 'call_x-r1']);
    assert.equal((await postJson(`${server.url}/responses`, {})).status, 500, 'two rounds of three, then exhausted');
  } finally {
    await server.close();
  }
});

test('expect: a missing substring or a failed predicate is recorded, and the response is still served', async () => {
  const server = await startModelServer([
    { text: 'a', expect: 'function_call_output' },
    { text: 'b', expect: (req) => ((req.body as { model?: string }).model === 'right' ? true : 'wrong model') },
    { text: 'c', expect: 'hello' },
  ]);
  try {
    await postJson(`${server.url}/responses`, { model: 'x', input: 'nothing here' });
    await postJson(`${server.url}/responses`, { model: 'wrong' });
    await postJson(`${server.url}/responses`, { model: 'x', input: 'hello' });
    assert.deepEqual(server.mismatches, ['request #0 (script response 0) does not contain "function_call_output"', 'request #1 (script response 1) wrong model']);
    assert.equal(server.requests[2].expectMismatch, undefined);
    assert.ok(server.requests.every((r) => r.outcome === 'streamed'));
  } finally {
    await server.close();
  }
});

test('auth, GET /models, unknown routes and a non-JSON body each get a sensible answer and are recorded', async () => {
  const server = await startModelServer({ responses: [{ text: 'ok' }], apiKey: 'sk-server-side-key-1234567890', models: ['only-model'] });
  const auth = { authorization: 'Bearer sk-server-side-key-1234567890' };
  try {
    assert.equal((await postJson(`${server.url}/responses`, {})).status, 401);
    assert.equal((await postJson(`${server.url}/responses`, {}, { authorization: 'Bearer wrong' })).status, 401);
    const models = await fetch(`${server.url}/models?client_version=0.169.0`, { headers: auth });
    assert.deepEqual(((await models.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id), ['only-model']);
    const unknown = await fetch(`${server.url}/embeddings`, { method: 'POST', headers: auth, body: '{}' });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /no route POST \/v1\/embeddings/);
    assert.deepEqual(server.unknownRoutes, ['POST /v1/embeddings']);
    const bad = await postJson(`${server.url}/responses`, '{not json', auth);
    assert.equal(bad.status, 400);
    const ok = await postJson(`${server.url}/responses`, { model: 'm' }, auth);
    assert.equal(ok.status, 200, 'failed and odd requests did not use up the script');
    assert.deepEqual(
      server.requests.map((r) => r.outcome),
      ['unauthorized', 'unauthorized', 'models', 'unknown-route', 'bad-json', 'streamed'],
    );
    assert.ok(server.requests.every((r) => !JSON.stringify(r).includes('sk-server-side-key')), 'recorded requests never hold the key');
    assert.equal(server.requests[5].auth, 'bearer');
    assert.equal(server.requests[0].auth, 'none');
  } finally {
    await server.close();
  }
});

async function runCli(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'cli.ts'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const firstLine = new Promise<string | undefined>((resolve) => {
    const rl = createInterface({ input: child.stdout });
    rl.once('line', (l) => resolve(l));
    rl.once('close', () => resolve(undefined));
  });
  return { child, exited, firstLine, stderr: () => stderr };
}

test('CLI: prints the base URL first, serves the script with --loop, logs requests, stops on SIGTERM', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tack-model-cli-'));
  try {
    const scriptFile = path.join(tmp, 'script.json');
    const logFile = path.join(tmp, 'requests.jsonl');
    await fs.writeFile(scriptFile, JSON.stringify({ responses: [{ text: 'looped' }] }));
    const cli = await runCli(['--script', scriptFile, '--loop', '--requests-log', logFile]);
    try {
      const url = await cli.firstLine;
      assert.match(url ?? '', /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      for (let i = 0; i < 3; i++) {
        const res = await postJson(`${url}/responses`, { model: 'm', n: i });
        assert.equal(res.status, 200);
        assert.ok(res.text.includes('"delta":"looped"'));
      }
    } finally {
      cli.child.kill('SIGTERM');
    }
    assert.equal(await cli.exited, 0);
    assert.match(cli.stderr(), /#2 POST \/v1\/responses -> script response 2/);
    const logged = (await fs.readFile(logFile, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { body: { n: number } });
    assert.deepEqual(logged.map((r) => r.body.n), [0, 1, 2]);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});

test('CLI: a bad script file or a bad flag exits 2 with a message, serving nothing', async () => {
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tack-model-cli-'));
  try {
    const bad = path.join(tmp, 'bad.json');
    await fs.writeFile(bad, JSON.stringify([{ txet: 'typo' }]));
    const cases: Array<[string[], RegExp]> = [
      [['--script', bad], /unknown field "txet"/],
      [['--script', path.join(tmp, 'missing.json')], /cannot read the script/],
      [['--script', bad, '--port', 'abc'], /--port must be/],
      [[], /--script FILE is required/],
    ];
    for (const [args, message] of cases) {
      const cli = await runCli(args);
      assert.equal(await cli.exited, 2, args.join(' '));
      assert.equal(await cli.firstLine, undefined);
      assert.match(cli.stderr(), message);
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
});
