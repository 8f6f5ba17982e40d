// The scripted model server: a real HTTP server on 127.0.0.1 that answers model requests from a
// script, in the Responses or Chat Completions streaming format depending on the path, and records
// every request it gets.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkRequest } from './checks';
import { renderChat, renderResponses, type Frame } from './render';
import { normalizeScript, ScriptCursor, type ModelScript, type RecordedRequest, type ScriptedFailure, type ScriptedResponse } from './script';

export interface ModelServerOptions {
  port?: number;
  /** One line per request and per unknown route (the CLI prints them on stderr). */
  log?: (line: string) => void;
}

export interface ModelServer {
  /** The base URL, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Model requests only (POST responses / chat/completions), in arrival order. */
  modelRequests(): RecordedRequest[];
  /** Every `expect` a request failed, as readable sentences. */
  mismatches: string[];
  /** Unknown routes that were asked for (method and path). */
  unknownRoutes: string[];
  /** Resolves when `pred` holds for the recorded requests; rejects after `timeoutMs` (default 10 s). */
  waitFor(pred: (requests: RecordedRequest[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const defaultModels = ['gpt-5.1-codex', 'gpt-5.1', 'scripted-chat-model'];

function defaultErrorBody(status: number, model: string, retryAfter: number | string | undefined): unknown {
  const wait = typeof retryAfter === 'number' ? ` Please try again in ${retryAfter}s.` : '';
  const table: Record<number, { message: string; type: string; code: string | null }> = {
    400: { message: 'Invalid request (scripted).', type: 'invalid_request_error', code: null },
    401: { message: 'Incorrect API key provided (scripted).', type: 'invalid_request_error', code: 'invalid_api_key' },
    403: { message: 'You are not allowed to sample from this model (scripted).', type: 'invalid_request_error', code: 'model_not_allowed' },
    404: { message: `The model \`${model}\` does not exist or you do not have access to it (scripted).`, type: 'invalid_request_error', code: 'model_not_found' },
    429: { message: `Rate limit reached for ${model} (scripted).${wait}`, type: 'requests', code: 'rate_limit_exceeded' },
  };
  const entry = table[status] ?? { message: 'The server had an error while processing your request (scripted).', type: 'server_error', code: null };
  return { error: { ...entry, param: null } };
}

function routeOf(method: string, pathname: string): 'responses' | 'chat' | 'models' | 'props' | null {
  // The base URL is `/v1`; the bare paths are accepted as well for clients configured without it.
  const route = pathname.replace(/^\/v1(?=\/)/, '');
  if (method === 'POST' && route === '/responses') return 'responses';
  if (method === 'POST' && route === '/chat/completions') return 'chat';
  if (method === 'GET' && route === '/models') return 'models';
  if (method === 'GET' && pathname === '/props') return 'props';
  return null;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startModelServer(scriptInput: ModelScript | ScriptedResponse[], opts: ModelServerOptions = {}): Promise<ModelServer> {
  const script = normalizeScript(scriptInput);
  const cursor = new ScriptCursor(script);
  const requests: RecordedRequest[] = [];
  const mismatches: string[] = [];
  const unknownRoutes: string[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<import('node:net').Socket>();
  const log = opts.log ?? (() => undefined);
  let served = 0;
  let idCounter = 0;
  let callCounter = 0;
  const next = (prefix: string) => `${prefix}_${(++idCounter).toString(16).padStart(6, '0')}scripted`;
  const notify = () => {
    for (const w of [...waiters]) w();
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((e: unknown) => {
        log(`model-server: internal error: ${e instanceof Error ? e.stack : String(e)}`);
        if (!res.headersSent) sendJson(res, 500, { error: { message: `scripted model server failed: ${String(e)}`, type: 'server_error' } });
        else res.destroy();
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, bodyText: string): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const pathname = new URL(path, 'http://x').pathname;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (k === 'authorization' || v === undefined) continue;
      headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    const authHeader = req.headers.authorization;
    let body: unknown = undefined;
    let badJson = false;
    if (bodyText.length > 0) {
      try {
        body = JSON.parse(bodyText);
      } catch {
        body = bodyText;
        badJson = true;
      }
    }
    const route = routeOf(method, pathname);
    const rec: RecordedRequest = {
      index: requests.length,
      method,
      path,
      headers,
      auth: authHeader === undefined ? 'none' : /^Bearer\s+\S/.test(authHeader) ? 'bearer' : 'other',
      body,
      wire: route === 'responses' || route === 'chat' ? route : null,
      scriptIndex: null,
      outcome: 'unknown-route',
      receivedAt: Date.now(),
      receivedAtHr: performance.now(),
      clientClosed: false,
    };
    requests.push(rec);
    res.on('close', () => {
      rec.closedAt = Date.now();
      rec.closedAtHr = performance.now();
      if (!res.writableFinished) rec.clientClosed = true;
      notify();
    });
    notify();

    if (script.apiKey !== undefined && authHeader !== `Bearer ${script.apiKey}`) {
      rec.outcome = 'unauthorized';
      log(`model-server: #${rec.index} ${method} ${path} -> 401 (wrong or missing API key)`);
      sendJson(res, 401, defaultErrorBody(401, '', undefined));
      return;
    }
    if (route === 'props' && script.props !== undefined) {
      rec.outcome = 'props';
      log(`model-server: #${rec.index} ${method} ${path} -> server properties`);
      sendJson(res, 200, script.props);
      return;
    }
    if (route === null || route === 'props') {
      unknownRoutes.push(`${method} ${path}`);
      log(`model-server: #${rec.index} unknown route ${method} ${path} -> 404`);
      sendJson(res, 404, { error: { message: `the scripted model server has no route ${method} ${pathname}`, type: 'invalid_request_error', code: 'unknown_route' } });
      return;
    }
    if (route === 'models') {
      rec.outcome = 'models';
      log(`model-server: #${rec.index} ${method} ${path} -> model list`);
      const ids = script.models ?? defaultModels;
      // `data` is the OpenAI list; `models` keeps clients that expect that key (Codex) content.
      sendJson(res, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'tack-scripted', ...(script.modelsMeta ?? {}) })), models: [] });
      return;
    }
    if (badJson) {
      rec.outcome = 'bad-json';
      log(`model-server: #${rec.index} ${method} ${path} -> 400 (body is not JSON)`);
      sendJson(res, 400, { error: { message: 'We could not parse the JSON body of your request (scripted).', type: 'invalid_request_error', code: null } });
      return;
    }

    const refused = checkRequest(body, route, script.checks ?? []);
    if (refused) {
      rec.outcome = 'rejected';
      log(`model-server: #${rec.index} ${method} ${path} -> ${refused.status} (${refused.message})`);
      sendJson(res, refused.status, { error: { code: refused.status, message: refused.message, type: refused.status === 500 ? 'server_error' : 'invalid_request_error' } });
      return;
    }

    const position = served++;
    const entry = cursor.at(position);
    if (!entry) {
      rec.outcome = 'exhausted';
      const message = `scripted model server: script exhausted — it has ${cursor.capacity} response(s) and this is model request #${position + 1}`;
      log(`model-server: #${rec.index} ${message}`);
      sendJson(res, 500, { error: { message, type: 'server_error', code: 'script_exhausted' } });
      return;
    }
    const { response, round } = entry;
    rec.scriptIndex = position;
    checkExpectation(response, rec, bodyText, position);

    const reqBody = (body ?? {}) as Record<string, unknown>;
    const model = typeof reqBody.model === 'string' ? reqBody.model : 'scripted-model';
    const fail: ScriptedFailure | undefined = response.fail;
    if (fail && 'status' in fail) {
      rec.outcome = 'status';
      const extra: Record<string, string> = { ...(fail.headers ?? {}) };
      if (fail.retryAfter !== undefined) extra['retry-after'] = String(fail.retryAfter);
      log(`model-server: #${rec.index} ${method} ${path} -> scripted HTTP ${fail.status}`);
      sendJson(res, fail.status, fail.body ?? defaultErrorBody(fail.status, model, fail.retryAfter), extra);
      return;
    }

    const ctx = {
      model,
      next,
      callId: (call: { callId?: string }, _i: number) => (call.callId ? (round > 0 ? `${call.callId}-r${round}` : call.callId) : `call_${(++callCounter).toString().padStart(4, '0')}`),
      requestChars: bodyText.length,
      createdAt: Math.floor(rec.receivedAt / 1000),
      includeUsage: Boolean((reqBody.stream_options as { include_usage?: unknown } | undefined)?.include_usage),
    };
    const rendered = route === 'responses' ? renderResponses(response, ctx) : renderChat(response, ctx);
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': next('req') });
    res.flushHeaders();
    log(`model-server: #${rec.index} ${method} ${path} -> script response ${position}${fail ? ` (${Object.keys(fail)[0]})` : ''}`);

    const raw: Frame[] = (response.rawEvents ?? []).map((data) => ({ text: `data: ${data}\n\n`, delta: false }));
    let frames: Frame[] = [...raw, ...rendered.frames];
    if (fail && 'hangUntilAborted' in fail) frames = frames.slice(0, raw.length + rendered.headCount);
    if (fail && 'dropAfterEvents' in fail) frames = frames.slice(0, fail.dropAfterEvents);
    if (response.delayMs) {
      for (const frame of frames) {
        if (res.destroyed) return;
        if (frame.delta) await new Promise((r) => setTimeout(r, response.delayMs));
        if (res.destroyed) return;
        res.write(frame.text);
      }
    } else if (frames.length > 0) {
      // Unpaced: one write, so a long answer costs the server one syscall rather than one per event.
      res.write(frames.map((f) => f.text).join(''));
    }
    if (fail && 'hangUntilAborted' in fail) {
      rec.outcome = 'hung';
      return; // the client's disconnect closes it (recorded by the close handler)
    }
    if (fail && 'dropAfterEvents' in fail) {
      rec.outcome = 'dropped';
      if (fail.mode === 'end') res.end();
      else {
        // Let the written frames reach the client before the connection is torn down.
        await new Promise((r) => setTimeout(r, 20));
        res.destroy();
      }
      return;
    }
    rec.outcome = fail && 'responseFailed' in fail ? 'response-failed' : fail && 'incomplete' in fail ? 'incomplete' : 'streamed';
    res.end();
  }

  function checkExpectation(response: ScriptedResponse, rec: RecordedRequest, bodyText: string, position: number): void {
    const expect = response.expect;
    if (expect === undefined) return;
    let problem: string | undefined;
    if (typeof expect === 'string') {
      if (!bodyText.includes(expect)) problem = `does not contain ${JSON.stringify(expect)}`;
    } else {
      try {
        const verdict = expect(rec);
        if (verdict !== true) problem = typeof verdict === 'string' ? verdict : 'failed the predicate';
      } catch (e) {
        problem = `predicate threw: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
    if (problem) {
      rec.expectMismatch = problem;
      const line = `request #${rec.index} (script response ${position}) ${problem}`;
      mismatches.push(line);
      log(`model-server: expectation failed: ${line}`);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    modelRequests: () => requests.filter((r) => r.wire !== null),
    mismatches,
    unknownRoutes,
    waitFor(pred, timeoutMs = 10_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (pred(requests)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`model server: condition not met within ${timeoutMs} ms; requests: ${JSON.stringify(requests.map((r) => ({ path: r.path, outcome: r.outcome, clientClosed: r.clientClosed })))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
}

export type { ModelScript, RecordedRequest, ScriptedResponse, ScriptedToolCall, ScriptedFailure, ScriptedUsage } from './script';
