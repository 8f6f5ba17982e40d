// The model transport against the real scripted model server over real sockets: both wire formats,
// retries, error messages and cancellation.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelError, listModels, streamModel, type ModelEndpoint } from '../../extension/src/host/model';
import { startModelServer, type ModelServer } from '../model-server/server';
import type { ModelScript, ScriptedResponse } from '../model-server/script';
import { afterLastRestart, drain, fastRetry, foldChat } from './helpers';

const KEY = 'sk-test-transport-0123456789abcdef';

async function withServer(script: ModelScript | ScriptedResponse[], fn: (server: ModelServer, endpoint: (wire: 'responses' | 'chat') => ModelEndpoint) => Promise<void>): Promise<void> {
  const server = await startModelServer(script);
  try {
    await fn(server, (wire) => ({ baseUrl: server.url, apiKey: KEY, wire }));
  } finally {
    await server.close();
  }
}

const responsesBody = { model: 'gpt-5.1-codex', input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], store: false };
const chatBody = { model: 'local-model', messages: [{ role: 'user', content: 'hi' }], stream_options: { include_usage: true } };

function expectModelError(err: unknown, kind: ModelError['kind']): ModelError {
  assert.ok(err instanceof ModelError, `expected a ModelError, got ${String(err)}`);
  assert.equal(err.kind, kind, `kind: ${err.message}`);
  return err;
}

test('Responses stream: reasoning summary, text deltas, function and custom tool calls, usage', async () => {
  const patch = '*** Begin Patch\n*** Add File: a.txt\n+hello\n*** End Patch\n';
  await withServer(
    [
      {
        reasoning: 'Look at the files first.',
        text: 'I will list the directory and then add a file.',
        toolCalls: [
          { name: 'exec_command', arguments: { cmd: 'ls -la', yield_time_ms: 1000 }, callId: 'call_ls' },
          { name: 'apply_patch', input: patch, callId: 'call_patch' },
        ],
        usage: { input_tokens: 1234, cached_tokens: 1000, output_tokens: 56, reasoning_tokens: 7 },
        chunkSize: 5,
      },
    ],
    async (server, endpoint) => {
      const { events, error, retries } = await drain(endpoint('responses'), responsesBody);
      assert.equal(error, undefined);
      assert.deepEqual(retries, []);
      const types = events.map((e) => e.type);
      assert.equal(types[0], 'response.created');
      assert.equal(types.at(-1), 'response.completed');
      const seqs = events.map((e) => e.sequence_number as number);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
      assert.equal(new Set(seqs).size, seqs.length, 'sequence numbers are distinct');

      const reasoning = events.filter((e) => e.type === 'response.reasoning_summary_text.delta').map((e) => e.delta).join('');
      assert.equal(reasoning, 'Look at the files first.');
      const textDeltas = events.filter((e) => e.type === 'response.output_text.delta');
      assert.ok(textDeltas.length > 1, 'text arrives in several deltas');
      assert.equal(textDeltas.map((e) => e.delta).join(''), 'I will list the directory and then add a file.');
      const args = events.filter((e) => e.type === 'response.function_call_arguments.delta').map((e) => e.delta).join('');
      assert.deepEqual(JSON.parse(args), { cmd: 'ls -la', yield_time_ms: 1000 });
      const input = events.filter((e) => e.type === 'response.custom_tool_call_input.delta').map((e) => e.delta).join('');
      assert.equal(input, patch);

      const done = events.filter((e) => e.type === 'response.output_item.done').map((e) => e.item as Record<string, unknown>);
      assert.deepEqual(done.map((i) => i.type), ['reasoning', 'message', 'function_call', 'custom_tool_call']);
      assert.match(done[0].encrypted_content as string, /^gAAAA/);
      assert.equal(done[2].call_id, 'call_ls');
      assert.equal(done[2].name, 'exec_command');
      assert.equal(done[3].call_id, 'call_patch');
      assert.equal(done[3].input, patch);

      const completed = events.at(-1)?.response as Record<string, unknown>;
      assert.deepEqual(completed.usage, {
        input_tokens: 1234,
        input_tokens_details: { cached_tokens: 1000 },
        output_tokens: 56,
        output_tokens_details: { reasoning_tokens: 7 },
        total_tokens: 1290,
      });
      assert.equal((completed.output as unknown[]).length, 4);

      const [req] = server.requests;
      assert.equal(req.path, '/v1/responses');
      assert.equal(req.auth, 'bearer');
      assert.equal(req.headers.authorization, undefined, 'the recorded headers leave out the key');
      assert.match(req.headers.accept, /text\/event-stream/);
      assert.equal((req.body as Record<string, unknown>).stream, true);
      assert.deepEqual((req.body as Record<string, unknown>).input, responsesBody.input);
    },
  );
});

test('Responses stream: response.failed (not a rate limit) is handed on as the last event, without a retry', async () => {
  await withServer([{ fail: { responseFailed: { code: 'context_length_exceeded', message: 'Your input exceeds the context window.' } } }], async (server, endpoint) => {
    const { events, error, retries } = await drain(endpoint('responses'), responsesBody);
    assert.equal(error, undefined);
    assert.equal(retries.length, 0);
    const last = events.at(-1) as { type: string; response: { error: { code: string; message: string } } };
    assert.equal(last.type, 'response.failed');
    assert.equal(last.response.error.code, 'context_length_exceeded');
    assert.equal(server.modelRequests().length, 1);
  });
});

test('Responses stream: response.incomplete ends the stream with its reason', async () => {
  await withServer([{ text: 'partial answer', fail: { incomplete: { reason: 'max_output_tokens' } } }], async (_server, endpoint) => {
    const { events, error } = await drain(endpoint('responses'), responsesBody);
    assert.equal(error, undefined);
    const last = events.at(-1) as { type: string; response: { incomplete_details: { reason: string } } };
    assert.equal(last.type, 'response.incomplete');
    assert.equal(last.response.incomplete_details.reason, 'max_output_tokens');
  });
});

test('Responses stream: a rate limit inside response.failed is retried after the wait its message names', async () => {
  await withServer(
    [{ fail: { responseFailed: { code: 'rate_limit_exceeded', message: 'Rate limit reached for gpt-5.1-codex. Please try again in 150ms.' } } }, { text: 'ok' }],
    async (server, endpoint) => {
      const { items, error, retries } = await drain(endpoint('responses'), responsesBody);
      assert.equal(error, undefined);
      assert.equal(retries.length, 1);
      assert.equal(retries[0].delayMs, 150);
      assert.equal(retries[0].kind, 'rateLimited');
      // The failed attempt had already handed on response.created, so the consumer is told to start over.
      assert.equal(items.filter((i) => i.type === 'restart').length, 1);
      const kept = afterLastRestart(items);
      assert.equal(kept.at(-1)?.type, 'response.completed');
      assert.equal(kept.filter((e) => e.type === 'response.failed').length, 0);
      const [first, second] = server.modelRequests();
      assert.ok(second.receivedAt - (first.closedAt ?? first.receivedAt) >= 100, `waited ${second.receivedAt - (first.closedAt ?? 0)} ms`);
    },
  );
});

test('Chat stream: content, reasoning_content and tool-call deltas split across chunks, finish reason and usage chunk', async () => {
  await withServer(
    [
      {
        reasoning: 'thinking',
        text: 'Running two commands.',
        toolCalls: [
          { name: 'shell', arguments: { command: ['bash', '-lc', 'ls'], workdir: '/tmp' } },
          { name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' },
        ],
        usage: { input_tokens: 300, output_tokens: 40, cached_tokens: 128 },
        chunkSize: 3,
      },
    ],
    async (server, endpoint) => {
      const { events, error } = await drain(endpoint('chat'), chatBody);
      assert.equal(error, undefined);
      const folded = foldChat(events);
      assert.equal(folded.text, 'Running two commands.');
      assert.equal(folded.reasoning, 'thinking');
      assert.equal(folded.finish, 'tool_calls');
      assert.equal(folded.calls.length, 2);
      assert.equal(folded.calls[0].name, 'shell');
      assert.match(folded.calls[0].id ?? '', /^call_/);
      assert.deepEqual(JSON.parse(folded.calls[0].arguments), { command: ['bash', '-lc', 'ls'], workdir: '/tmp' });
      assert.deepEqual(JSON.parse(folded.calls[1].arguments), { input: '*** Begin Patch\n*** End Patch\n' });
      const argChunks = events.filter((c) => JSON.stringify(c).includes('"arguments"')).length;
      assert.ok(argChunks > 4, 'arguments arrive split over several chunks');
      assert.deepEqual(folded.usage, {
        prompt_tokens: 300,
        completion_tokens: 40,
        total_tokens: 340,
        prompt_tokens_details: { cached_tokens: 128 },
        completion_tokens_details: { reasoning_tokens: 2 },
      });
      assert.equal(server.requests[0].path, '/v1/chat/completions');
    },
  );
});

test('Chat stream: without include_usage there is no usage chunk; a plain answer finishes with stop', async () => {
  await withServer([{ text: 'just text' }], async (_server, endpoint) => {
    const { events, error } = await drain(endpoint('chat'), { model: 'm', messages: [] });
    assert.equal(error, undefined);
    const folded = foldChat(events);
    assert.equal(folded.text, 'just text');
    assert.equal(folded.finish, 'stop');
    assert.equal(folded.usage, undefined);
  });
});

test('429 with Retry-After (seconds) waits that long, then succeeds', async () => {
  await withServer([{ fail: { status: 429, retryAfter: 1 } }, { text: 'after the wait' }], async (server, endpoint) => {
    const { events, items, error, retries } = await drain(endpoint('responses'), responsesBody);
    assert.equal(error, undefined);
    assert.equal(retries.length, 1);
    assert.equal(retries[0].status, 429);
    assert.equal(retries[0].delayMs, 1000);
    assert.equal(items.filter((i) => i.type === 'restart').length, 0, 'nothing was handed on before the 429, so no restart');
    assert.equal(events.at(-1)?.type, 'response.completed');
    const [first, second] = server.modelRequests();
    const waited = second.receivedAt - (first.closedAt ?? first.receivedAt);
    assert.ok(waited >= 900, `the Retry-After was honoured (waited ${waited} ms)`);
  });
});

test('429 with Retry-After as an HTTP date is honoured too', async () => {
  const at = new Date(Date.now() + 2000).toUTCString(); // HTTP dates have whole seconds
  await withServer([{ fail: { status: 429, retryAfter: at } }, { text: 'ok' }], async (server, endpoint) => {
    const { error, retries } = await drain(endpoint('responses'), responsesBody);
    assert.equal(error, undefined);
    assert.equal(retries.length, 1);
    assert.ok(retries[0].delayMs > 0 && retries[0].delayMs <= 2000, `delay ${retries[0].delayMs}`);
    assert.equal(server.modelRequests().length, 2);
  });
});

test('a 500 is retried with backoff, then the stream succeeds', async () => {
  await withServer([{ fail: { status: 500 } }, { fail: { status: 503 } }, { text: 'third time' }], async (server, endpoint) => {
    const { events, error, retries } = await drain(endpoint('chat'), chatBody);
    assert.equal(error, undefined);
    assert.deepEqual(retries.map((r) => r.status), [500, 503]);
    assert.deepEqual(retries.map((r) => [r.attempt, r.nextAttempt, r.maxAttempts]), [[1, 2, 5], [2, 3, 5]]);
    assert.ok(retries.every((r) => r.kind === 'server' && r.delayMs <= fastRetry.maxDelayMs));
    assert.equal(foldChat(events).text, 'third time');
    assert.equal(server.modelRequests().length, 3);
  });
});

for (const mode of ['reset', 'end'] as const) {
  test(`a stream dropped mid-way (${mode}) yields a restart, then the whole answer again`, async () => {
    await withServer([{ text: 'the first try is cut short', chunkSize: 4, fail: { dropAfterEvents: 6, mode } }, { text: 'the full answer', chunkSize: 4 }], async (server, endpoint) => {
      const { items, error, retries } = await drain(endpoint('responses'), responsesBody);
      assert.equal(error, undefined);
      assert.equal(retries.length, 1);
      assert.equal(retries[0].kind, 'network');
      const restartAt = items.findIndex((i) => i.type === 'restart');
      assert.ok(restartAt > 0, 'a restart item follows the partial output');
      const restart = items[restartAt] as { attempt: number; reason: string };
      assert.equal(restart.attempt, 2);
      const kept = afterLastRestart(items);
      assert.equal(kept.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join(''), 'the full answer');
      assert.equal(kept.at(-1)?.type, 'response.completed');
      assert.equal(server.modelRequests()[0].outcome, 'dropped');
    });
  });
}

test('a Chat stream cut before [DONE] and before any finish_reason is retried', async () => {
  await withServer([{ text: 'abcdefghijklmnop', chunkSize: 2, fail: { dropAfterEvents: 3 } }, { text: 'complete' }], async (_server, endpoint) => {
    const { items, error } = await drain(endpoint('chat'), chatBody);
    assert.equal(error, undefined);
    assert.equal(items.filter((i) => i.type === 'restart').length, 1);
    assert.equal(foldChat(afterLastRestart(items)).text, 'complete');
  });
});

test('retries that run out end with a clear error naming the attempts and the server message', async () => {
  await withServer([{ fail: { status: 503, body: { error: { message: 'The server had an error (overloaded)', type: 'server_error' } } }, times: 3 }], async (server, endpoint) => {
    const { error } = await drain(endpoint('responses'), responsesBody, { retry: { ...fastRetry, maxAttempts: 3 } });
    const err = expectModelError(error, 'server');
    assert.equal(err.status, 503);
    assert.equal(err.retryable, true, 'the person may try again later');
    assert.equal(err.attempts, 3);
    assert.match(err.message, /HTTP 503/);
    assert.match(err.message, /The server had an error/);
    assert.match(err.message, /gave up after 3 attempts/);
    assert.equal(server.modelRequests().length, 3);
  });
});

test('a server that asks for a wait far beyond the limit is reported instead of waited for', async () => {
  await withServer([{ fail: { status: 429, retryAfter: 3600 } }], async (server, endpoint) => {
    const { error } = await drain(endpoint('responses'), responsesBody);
    const err = expectModelError(error, 'rateLimited');
    assert.match(err.message, /asks to wait 3600 s/);
    assert.equal(err.retryable, true);
    assert.equal(server.modelRequests().length, 1);
  });
});

test('429 insufficient_quota is not retried', async () => {
  const body = { error: { message: 'You exceeded your current quota.', type: 'insufficient_quota', code: 'insufficient_quota' } };
  await withServer([{ fail: { status: 429, body } }], async (server, endpoint) => {
    const { error } = await drain(endpoint('responses'), responsesBody);
    const err = expectModelError(error, 'rateLimited');
    assert.match(err.message, /out of quota.*exceeded your current quota/);
    assert.equal(err.retryable, false);
    assert.equal(server.modelRequests().length, 1);
  });
});

test('401 from a wrong key: says how to set the key, no retry, and the key appears nowhere', async () => {
  const server = await startModelServer({ responses: [{ text: 'never' }], apiKey: 'sk-the-right-key-000000000000' });
  try {
    const debugLines: string[] = [];
    const { error } = await drain({ baseUrl: server.url, apiKey: KEY, wire: 'responses' }, responsesBody, { debug: (l) => debugLines.push(l) });
    const err = expectModelError(error, 'auth');
    assert.equal(err.status, 401);
    assert.equal(err.retryable, false);
    assert.match(err.message, /the API key was rejected \(HTTP 401\)/);
    assert.match(err.message, /OPENAI_API_KEY/);
    assert.match(err.message, /Tack: Set API Key/);
    assert.ok(!err.message.includes(KEY));
    assert.ok(debugLines.length > 0);
    assert.ok(debugLines.every((l) => !l.includes(KEY)), 'debug output never shows the key');
    assert.ok(debugLines.some((l) => l.includes('<redacted>')));
    assert.equal(server.requests.length, 1);
  } finally {
    await server.close();
  }
});

test('403 and 404 messages say what to check', async () => {
  await withServer([{ fail: { status: 403 } }, { fail: { status: 404 } }], async (_server, endpoint) => {
    const forbidden = expectModelError((await drain(endpoint('responses'), responsesBody)).error, 'forbidden');
    assert.match(forbidden.message, /access denied \(HTTP 403\).*not allowed to sample/);
    const notFound = expectModelError((await drain(endpoint('responses'), responsesBody)).error, 'notFound');
    assert.match(notFound.message, /HTTP 404/);
    assert.match(notFound.message, /gpt-5\.1-codex/, 'names the model');
    assert.match(notFound.message, /base URL \(http:\/\/127\.0\.0\.1:\d+\/v1\)/, 'names the base URL');
  });
});

test('abort during streaming stops at once and the server sees the connection close', async () => {
  await withServer([{ fail: { hangUntilAborted: true } }], async (server, endpoint) => {
    const ctl = new AbortController();
    const seen: string[] = [];
    let thrown: unknown;
    try {
      for await (const item of streamModel(endpoint('responses'), responsesBody, { signal: ctl.signal, retry: fastRetry })) {
        if (item.type === 'event') seen.push((item.data as { type: string }).type);
        if (seen.length === 2) ctl.abort();
      }
    } catch (e) {
      thrown = e;
    }
    expectModelError(thrown, 'aborted');
    assert.deepEqual(seen, ['response.created', 'response.in_progress']);
    await server.waitFor((rs) => rs[0]?.clientClosed === true, 5000);
    assert.equal(server.modelRequests().length, 1, 'an abort is not retried');
  });
});

test('abort while waiting for the next event (no data flowing) ends the stream and the request', async () => {
  await withServer([{ fail: { hangUntilAborted: true } }], async (server, endpoint) => {
    const ctl = new AbortController();
    const pending = drain(endpoint('chat'), chatBody, { signal: ctl.signal });
    await server.waitFor((rs) => rs.length === 1);
    setTimeout(() => ctl.abort(), 50);
    const { error, events } = await pending;
    expectModelError(error, 'aborted');
    assert.equal(events.length, 1, 'the opening chunk arrived before the abort');
    await server.waitFor((rs) => rs[0].clientClosed === true, 5000);
  });
});

test('abort during a backoff sleep ends at once without another request', async () => {
  await withServer([{ fail: { status: 429, retryAfter: 60 } }, { text: 'never asked for' }], async (server, endpoint) => {
    const ctl = new AbortController();
    const started = Date.now();
    const pending = drain(endpoint('responses'), responsesBody, { signal: ctl.signal, retry: { maxServerDelayMs: 120_000 } });
    await server.waitFor((rs) => rs[0]?.closedAt !== undefined);
    setTimeout(() => ctl.abort(), 100);
    const { error, retries } = await pending;
    expectModelError(error, 'aborted');
    assert.equal(retries.length, 1);
    assert.equal(retries[0].delayMs, 60_000);
    // Generous bound: it did not sit out the 60 s the server asked for.
    assert.ok(Date.now() - started < 30_000);
    assert.equal(server.modelRequests().length, 1);
  });
});

test('an already aborted signal sends nothing', async () => {
  await withServer([{ text: 'x' }], async (server, endpoint) => {
    const ctl = new AbortController();
    ctl.abort();
    const { error } = await drain(endpoint('responses'), responsesBody, { signal: ctl.signal });
    expectModelError(error, 'aborted');
    assert.equal(server.requests.length, 0);
  });
});

test('a consumer that stops reading early closes the HTTP request', async () => {
  await withServer([{ text: 'a long answer that the consumer will not wait for', chunkSize: 1, delayMs: 20 }], async (server, endpoint) => {
    let n = 0;
    for await (const item of streamModel(endpoint('responses'), responsesBody, { signal: new AbortController().signal })) {
      if (item.type === 'event' && ++n === 4) break;
    }
    await server.waitFor((rs) => rs[0]?.clientClosed === true, 5000);
  });
});

test('an unreachable server is a network error after the retries', async () => {
  const server = await startModelServer([]);
  const url = server.url;
  await server.close(); // nothing listens on that port any more
  const { error, retries } = await drain({ baseUrl: url, wire: 'responses' }, responsesBody, { retry: { ...fastRetry, maxAttempts: 2 } });
  const err = expectModelError(error, 'network');
  assert.match(err.message, /could not reach the model server at http:\/\/127\.0\.0\.1:\d+\/v1\/responses/);
  assert.match(err.message, /gave up after 2 attempts/);
  assert.equal(retries.length, 1);
});

test('listModels lists the ids of GET /models and maps errors', async () => {
  const server = await startModelServer({ responses: [], models: ['gpt-5.1-codex', 'qwen3-coder'], apiKey: KEY });
  try {
    assert.deepEqual(await listModels({ baseUrl: server.url, apiKey: KEY }), ['gpt-5.1-codex', 'qwen3-coder']);
    await assert.rejects(listModels({ baseUrl: server.url, apiKey: 'wrong' }), (e: unknown) => e instanceof ModelError && e.kind === 'auth');
    await assert.rejects(listModels({ baseUrl: `${server.url}/nope`, apiKey: KEY }), (e: unknown) => e instanceof ModelError && e.kind === 'notFound');
  } finally {
    await server.close();
  }
});

test('a base URL that is not http(s) or an unknown wire is a clear error, with no request and no retry', async () => {
  for (const baseUrl of ['localhost:11434/v1', 'ftp://example.invalid/v1', '']) {
    const { error, retries } = await drain({ baseUrl, wire: 'responses' }, responsesBody);
    const err = expectModelError(error, 'badRequest');
    assert.match(err.message, /is not an http\(s\) URL/);
    assert.equal(retries.length, 0);
    await assert.rejects(listModels({ baseUrl }), /is not an http\(s\) URL/);
  }
  const { error } = await drain({ baseUrl: 'http://127.0.0.1:9/v1', wire: 'completions' as never }, responsesBody);
  assert.match(expectModelError(error, 'badRequest').message, /unknown wire API "completions"/);
});

test('the same HTTP 500 twice is caused by the request: one retry, then a final error that says so', async () => {
  // llama.cpp answers 500 to every request whose history holds tool-call arguments that are not JSON.
  const body = { error: { code: 500, message: '[json.exception.parse_error.101] parse error: syntax error while parsing value', type: 'server_error' } };
  await withServer([{ fail: { status: 500, body }, times: 5 }], async (server, endpoint) => {
    const lines: string[] = [];
    const { error, retries } = await drain(endpoint('chat'), chatBody, { debug: (l) => lines.push(l) });
    const err = expectModelError(error, 'server');
    assert.equal(server.modelRequests().length, 2, 'sent twice, not five times');
    assert.equal(retries.length, 1);
    assert.equal(err.retryable, false);
    assert.match(err.message, /parse error/);
    assert.match(err.message, /the request itself is what fails; not retried further/);
    assert.ok(lines.some((l) => /not retried further/.test(l)), lines.join('\n'));
  });
});

test('a 500 with a different message each time keeps the retry budget; 501 is never retried', async () => {
  const fail = (m: string) => ({ fail: { status: 500, body: { error: { message: m } } } });
  await withServer([fail('a'), fail('b'), { text: 'ok' }], async (server, endpoint) => {
    const { error, events } = await drain(endpoint('chat'), chatBody);
    assert.equal(error, undefined);
    assert.equal(foldChat(events).text, 'ok');
    assert.equal(server.modelRequests().length, 3);
  });
  await withServer([{ fail: { status: 501 } }, { text: 'never' }], async (server, endpoint) => {
    const { error } = await drain(endpoint('chat'), chatBody);
    assert.match(expectModelError(error, 'server').message, /HTTP 501/);
    assert.equal(server.modelRequests().length, 1);
  });
});

for (const status of [400, 401, 403, 404, 413, 422]) {
  test(`HTTP ${status} is deterministic: sent once, and the error says it is not retried`, async () => {
    await withServer([{ fail: { status } }, { text: 'never' }], async (server, endpoint) => {
      const { error, retries } = await drain(endpoint('responses'), responsesBody);
      assert.ok(error instanceof ModelError);
      assert.equal(error.retryable, false);
      assert.equal(retries.length, 0);
      assert.equal(server.modelRequests().length, 1);
      if (status === 400 || status === 413 || status === 422) assert.match(error.message, /not retried/);
    });
  });
}

test('TACK_DEBUG lines: method, URL, status, timing and the retry decision, never the key', async () => {
  await withServer([{ fail: { status: 503 } }, { text: 'ok' }], async (_server, endpoint) => {
    const lines: string[] = [];
    await drain(endpoint('chat'), chatBody, { debug: (l) => lines.push(l) });
    const all = lines.join('\n');
    assert.match(all, /POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
    assert.match(all, /HTTP 503 .* after \d+ ms/);
    assert.match(all, /attempt 1 of 5 failed .* retrying in \d+ ms/);
    assert.match(all, /HTTP 200 text\/event-stream.* after \d+ ms/);
    assert.match(all, /stream ended \(\[DONE\]\) after \d+ events, \d+ ms/);
    assert.ok(!all.includes(KEY), 'the key is not logged');
  });
});
