// The transport against hand-written HTTP answers the scripted server does not produce: unknown
// events, SSE comments, CRLF lines, a character split across writes, JSON where a stream was expected,
// an error chunk mid-stream, and a server that goes silent.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { ModelError, streamModel } from '../../extension/src/host/model';
import { drain, foldChat } from './helpers';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, n: number) => void | Promise<void>;

async function withRawServer(handler: Handler, fn: (baseUrl: string, hits: () => number) => Promise<void>): Promise<void> {
  let n = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => void handler(req, res, n++));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, () => n);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

const sse = (res: http.ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
const body = { model: 'm', input: [] };

test('unknown events, SSE comments and CRLF line ends are passed over; the stream still completes', async () => {
  await withRawServer(
    (_req, res) => {
      sse(res);
      res.write(': keep-alive comment\r\n\r\n');
      res.write('event: response.created\r\ndata: {"type":"response.created","sequence_number":0}\r\n\r\n');
      res.write('event: response.some_future_event\r\ndata: {"type":"response.some_future_event","sequence_number":1,"x":1}\r\n\r\n');
      res.write('retry: 1000\r\n\r\n');
      res.write('data: {"type":"response.output_text.delta","sequence_number":2,"delta":"hi"}\r\n\r\n');
      res.end('event: response.completed\r\ndata: {"type":"response.completed","sequence_number":3,"response":{"status":"completed"}}\r\n\r\n');
    },
    async (baseUrl) => {
      const { events, error } = await drain({ baseUrl, wire: 'responses' }, body);
      assert.equal(error, undefined);
      assert.deepEqual(
        events.map((e) => e.type),
        ['response.created', 'response.some_future_event', 'response.output_text.delta', 'response.completed'],
      );
    },
  );
});

test('streams that end as they should leave their connection to the next request, on both wires', async () => {
  let connections = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      sse(res);
      if (req.url?.endsWith('/chat/completions')) {
        res.write('data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n');
        res.write('data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n');
        res.end('data: [DONE]\n\n');
        return;
      }
      res.write('data: {"type":"response.output_text.delta","sequence_number":0,"delta":"hi"}\n\n');
      // The terminal event in one write and the body's end in the next, as a server may send them.
      res.write('data: {"type":"response.completed","sequence_number":1,"response":{"status":"completed"}}\n\n');
      setTimeout(() => res.end(), 20);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    for (const wire of ['responses', 'chat', 'responses', 'chat'] as const) {
      const { events, error } = await drain({ baseUrl, wire }, body);
      assert.equal(error, undefined);
      assert.ok(events.length >= 2, wire);
      // The body's rest is read after the last event; give it the time it takes.
      await new Promise((r) => setTimeout(r, 60));
    }
    assert.equal(connections, 1);
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

test('a multi-byte character split across two writes arrives whole', async () => {
  await withRawServer(
    async (_req, res) => {
      sse(res);
      const bytes = Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"héllo → 🦀"},"finish_reason":null}]}\n\n');
      const cut = bytes.indexOf(Buffer.from('🦀')) + 2; // inside the crab's four bytes
      res.write(bytes.subarray(0, cut));
      await new Promise((r) => setTimeout(r, 30));
      res.write(bytes.subarray(cut));
      res.end('data: [DONE]\n\n');
    },
    async (baseUrl) => {
      const { events, error } = await drain({ baseUrl, wire: 'chat' }, { model: 'm', messages: [] });
      assert.equal(error, undefined);
      assert.equal(foldChat(events).text, 'héllo → 🦀');
    },
  );
});

test('data after [DONE] is ignored and a last event without a blank line is still read', async () => {
  await withRawServer(
    (_req, res) => {
      sse(res);
      res.write('data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]}\n\n');
      res.end('data: [DONE]\n\ndata: {"choices":[{"index":0,"delta":{"content":"IGNORED"}}]}\n\n');
    },
    async (baseUrl) => {
      const { events, error } = await drain({ baseUrl, wire: 'chat' }, {});
      assert.equal(error, undefined);
      assert.equal(foldChat(events).text, 'a');
    },
  );
  await withRawServer(
    (_req, res) => {
      sse(res);
      res.end('event: response.completed\ndata: {"type":"response.completed","response":{}}');
    },
    async (baseUrl) => {
      const { events, error } = await drain({ baseUrl, wire: 'responses' }, body);
      assert.equal(error, undefined);
      assert.equal(events.at(-1)?.type, 'response.completed');
    },
  );
});

test('a Chat server that ends after finish_reason without [DONE] is accepted', async () => {
  await withRawServer(
    (_req, res) => {
      sse(res);
      res.end('data: {"choices":[{"index":0,"delta":{"content":"done"},"finish_reason":"stop"}]}\n\n');
    },
    async (baseUrl, hits) => {
      const { events, error } = await drain({ baseUrl, wire: 'chat' }, {});
      assert.equal(error, undefined);
      assert.equal(foldChat(events).text, 'done');
      assert.equal(hits(), 1);
    },
  );
});

test('an event whose data is not JSON is a protocol error, not retried', async () => {
  await withRawServer(
    (_req, res) => {
      sse(res);
      res.end('data: {"type":"response.created"}\n\ndata: this is not json\n\n');
    },
    async (baseUrl, hits) => {
      const { error, events } = await drain({ baseUrl, wire: 'responses' }, body);
      assert.ok(error instanceof ModelError);
      assert.equal(error.kind, 'protocol');
      assert.match(error.message, /not JSON: this is not json/);
      assert.equal(events.length, 1);
      assert.equal(hits(), 1);
    },
  );
});

test('a JSON error body with status 200 shows the server message', async () => {
  await withRawServer(
    (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'model "foo" is not loaded', type: 'invalid_request_error' } }));
    },
    async (baseUrl) => {
      const { error } = await drain({ baseUrl, wire: 'chat' }, {});
      assert.ok(error instanceof ModelError);
      assert.match(error.message, /answered with an error instead of a stream: model "foo" is not loaded/);
    },
  );
});

test('a non-JSON error page is summarised, not dumped', async () => {
  await withRawServer(
    (_req, res) => {
      res.writeHead(400, { 'content-type': 'text/html' });
      res.end(`<html><body>Bad   request\n${'x'.repeat(2000)}</body></html>`);
    },
    async (baseUrl) => {
      const { error } = await drain({ baseUrl, wire: 'chat' }, {});
      assert.ok(error instanceof ModelError);
      assert.equal(error.kind, 'badRequest');
      assert.match(error.message, /HTTP 400.*<html><body>Bad request/);
      assert.ok(error.message.length < 500);
    },
  );
});

test('a Chat error chunk mid-stream becomes a clear error; a rate-limit one is retried', async () => {
  await withRawServer(
    (_req, res, n) => {
      sse(res);
      if (n === 0) {
        res.end('data: {"error":{"message":"Rate limit exceeded, please try again in 30ms","code":"rate_limit_exceeded"}}\n\n');
      } else if (n === 1) {
        res.end('data: {"error":{"message":"context window exceeded","code":"context_length_exceeded"}}\n\n');
      }
    },
    async (baseUrl, hits) => {
      const { error, retries } = await drain({ baseUrl, wire: 'chat' }, {});
      assert.equal(retries.length, 1);
      assert.equal(retries[0].delayMs, 30);
      assert.ok(error instanceof ModelError);
      assert.equal(error.kind, 'server');
      assert.match(error.message, /mid-stream: context window exceeded/);
      assert.equal(hits(), 2);
    },
  );
});

test('a server that goes silent past the idle timeout is treated as a dropped stream and retried', async () => {
  await withRawServer(
    (_req, res, n) => {
      sse(res);
      if (n === 0) {
        res.write('event: response.created\ndata: {"type":"response.created"}\n\n'); // then nothing
        return;
      }
      res.end('event: response.completed\ndata: {"type":"response.completed","response":{}}\n\n');
    },
    async (baseUrl, hits) => {
      const { items, error, retries } = await drain({ baseUrl, wire: 'responses' }, body, { idleTimeoutMs: 200 });
      assert.equal(error, undefined);
      assert.equal(retries.length, 1);
      assert.match(retries[0].reason, /no data from the model server for 0\.2 s/);
      assert.deepEqual(items.map((i) => i.type), ['event', 'restart', 'event']);
      assert.equal(hits(), 2);
    },
  );
});

test('keep-alive comments do not count as events: a stream that only pings has stalled; a second stall is final', async () => {
  const timers: NodeJS.Timeout[] = [];
  try {
    await withRawServer(
      (_req, res) => {
        sse(res);
        res.write('event: response.created\ndata: {"type":"response.created"}\n\n');
        // Pings every 50 ms forever, never another event.
        timers.push(setInterval(() => res.write(': keep-alive\n\n'), 50));
      },
      async (baseUrl, hits) => {
        const { items, error, retries } = await drain({ baseUrl, wire: 'responses' }, body, { idleTimeoutMs: 300 });
        assert.ok(error instanceof ModelError, String(error));
        assert.match(error.message, /no data from the model server for 0\.3 s \(the stream stalled\) \(2 times in a row\); giving up/);
        assert.equal(retries.length, 1, 'a stall is retried once');
        assert.equal(hits(), 2);
        assert.deepEqual(items.map((i) => i.type), ['event', 'restart', 'event']);
      },
    );
  } finally {
    timers.forEach(clearInterval);
  }
});

test('retries stop once the total retry time is spent, with the reason and the time in the error', async () => {
  await withRawServer(
    (_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"overloaded"}}');
    },
    async (baseUrl, hits) => {
      const { error } = await drain({ baseUrl, wire: 'responses' }, body, { retry: { maxAttempts: 50, baseDelayMs: 100, maxDelayMs: 100, maxTotalMs: 250 } });
      assert.ok(error instanceof ModelError);
      assert.match(error.message, /HTTP 503.*overloaded — gave up after \d+ attempts? over \d+ s/);
      assert.ok(hits() < 50, `stopped early (${hits()} requests)`);
    },
  );
});

test('a body that stops in the middle of an event line is a dropped stream, retried from scratch', async () => {
  await withRawServer(
    (_req, res, n) => {
      sse(res);
      res.write('event: response.created\ndata: {"type":"response.created"}\n\n');
      if (n === 0) res.end('event: response.output_text.delta\ndata: {"type":"response.output_text.delta","del');
      else res.end('event: response.completed\ndata: {"type":"response.completed","response":{}}\n\n');
    },
    async (baseUrl, hits) => {
      const { items, error, retries } = await drain({ baseUrl, wire: 'responses' }, body);
      assert.equal(error, undefined);
      assert.equal(retries.length, 1);
      assert.match(retries[0].reason, /ended in the middle of an event/);
      assert.deepEqual(items.map((i) => i.type), ['event', 'restart', 'event', 'event']);
      assert.equal(hits(), 2);
    },
  );
});

test('a consumer slower than the idle timeout does not make the stream look dead', async () => {
  await withRawServer(
    (_req, res) => {
      sse(res);
      res.write('event: response.created\ndata: {"type":"response.created"}\n\n');
      // The server itself is never silent for a whole idle period; the consumer is slow.
      setTimeout(() => res.end('event: response.completed\ndata: {"type":"response.completed","response":{}}\n\n'), 150);
    },
    async (baseUrl, hits) => {
      const seen: string[] = [];
      for await (const item of streamModel({ baseUrl, wire: 'responses' }, body, { signal: new AbortController().signal, idleTimeoutMs: 200, retry: { baseDelayMs: 5, maxDelayMs: 20 } })) {
        seen.push(item.type === 'event' ? String((item.data as { type: string }).type) : item.type);
        await new Promise((r) => setTimeout(r, 500)); // holds each event longer than the idle timeout
      }
      assert.deepEqual(seen, ['response.created', 'response.completed']);
      assert.equal(hits(), 1);
    },
  );
});

test('events already received are not handed on after an abort', async () => {
  await withRawServer(
    (_req, res) => {
      sse(res);
      // One write holding many events: all of them are parsed before the consumer sees the first.
      res.write(Array.from({ length: 10 }, (_, i) => `data: {"type":"response.output_text.delta","delta":"${i}"}\n\n`).join(''));
    },
    async (baseUrl) => {
      const ctl = new AbortController();
      const seen: unknown[] = [];
      await assert.rejects(async () => {
        for await (const item of streamModel({ baseUrl, wire: 'responses' }, body, { signal: ctl.signal })) {
          seen.push(item);
          ctl.abort();
        }
      }, (e: unknown) => e instanceof ModelError && e.kind === 'aborted');
      assert.equal(seen.length, 1);
    },
  );
});

test('a Responses `error` event is handed on and ends the stream; a rate-limit one is retried', async () => {
  await withRawServer(
    (_req, res, n) => {
      sse(res);
      if (n === 0) res.end('event: error\ndata: {"type":"error","code":"rate_limit_exceeded","message":"Slow down. Please try again in 10ms."}\n\n');
      else res.end('event: error\ndata: {"type":"error","code":"invalid_prompt","message":"bad prompt"}\n\n');
    },
    async (baseUrl, hits) => {
      const { events, error, retries } = await drain({ baseUrl, wire: 'responses' }, body);
      assert.equal(error, undefined, 'the end after an error event is not a dropped stream');
      assert.deepEqual(retries.map((r) => r.delayMs), [10]);
      assert.deepEqual(events, [{ type: 'error', code: 'invalid_prompt', message: 'bad prompt' }]);
      assert.equal(hits(), 2);
    },
  );
});
