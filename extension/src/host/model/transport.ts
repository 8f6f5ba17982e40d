// The model transport: POSTs a request body to a Responses or Chat Completions endpoint, parses the
// Server-Sent Events, and hands each `data:` JSON payload on raw. HTTP-level concerns (auth, retries,
// backoff, dropped streams, cancellation) live here; what the events mean is the core's business.

import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describeErrorBody, httpError, ModelError } from './errors';
import { abortedError, backoffDelay, defaultRetryPolicy, retryAfterFromHeaders, retryDelayFromMessage, sleep, type RetryPolicy } from './retry';
import type { Wire } from '../../generated/types/Wire';
import { httpRequest, type HttpResponse } from './http-request';

export interface ModelEndpoint {
  baseUrl: string;
  apiKey?: string;
  wire: Wire;
  headers?: Record<string, string>;
  /** How the key is sent: `Authorization: Bearer KEY` (default), or Azure OpenAI's `api-key: KEY`. */
  auth?: 'bearer' | 'api-key';
}

export type StreamItem =
  /** `data` is the parse of `text`, the payload's JSON text (which the core takes as it is). */
  | { type: 'event'; data: unknown; text: string }
  /** The stream broke after some events were handed on; the request starts over: discard partial output. */
  | { type: 'restart'; reason: string; attempt: number; delayMs: number };

export interface RetryInfo {
  /** The attempt that failed (1-based). */
  attempt: number;
  /** The attempt about to start after the delay. */
  nextAttempt: number;
  /** The last attempt there will be, for "retry 2 of 5" messages. */
  maxAttempts: number;
  delayMs: number;
  reason: string;
  kind: ModelError['kind'];
  status?: number;
}

export interface StreamOptions {
  signal: AbortSignal;
  retry?: Partial<RetryPolicy>;
  onRetry?: (info: RetryInfo) => void;
  /** Receives one line per HTTP-level step (request, status, retry). The API key never appears in it. */
  debug?: (line: string) => void;
  /**
   * No SSE event from the server for this long (after the request was sent, or since the last event)
   * counts as a stalled stream. Bytes that are not events (SSE comments, keep-alive blank lines) do
   * not reset it. Default 90 s (DEFAULT_STREAM_IDLE_TIMEOUT_MS).
   */
  idleTimeoutMs?: number;
  /** The model the body names, for messages, when the body is given as JSON text. */
  model?: string;
}

/**
 * How long a stream may go without an event before it counts as stalled: long enough for a model
 * that reasons silently before its first output item, short enough that a dead stream is noticed.
 */
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 90_000;
/** A stalled stream is retried at most this many times in a row before the stall is reported. */
const MAX_STALL_RETRIES = 1;
/**
 * HTTP 500 is what servers answer when the request itself breaks them (llama.cpp: tool-call
 * arguments that are not JSON, a template that throws): the same request gets the same 500 forever.
 * So a 500 is retried once; the same 500 again (same message) ends the retries at once. 502, 503
 * and 504 (a proxy or a loading server) keep the full retry budget; 501 and 505 are never retried.
 */
const SAME_500_LIMIT = 2;

const terminalResponseEvents = new Set(['response.completed', 'response.incomplete', 'response.failed']);

/** `{base}/{route}`; a base URL that is not http(s) is a clear, final error rather than a retried network failure. */
export function endpointUrl(endpoint: Pick<ModelEndpoint, 'baseUrl'>, route: string): string {
  const base = endpoint.baseUrl.trim();
  let parsed: URL | undefined;
  try {
    parsed = new URL(base);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new ModelError('badRequest', `the base URL "${base}" is not an http(s) URL — set it like https://api.openai.com/v1 or http://localhost:11434/v1`);
  }
  return `${base.replace(/\/+$/, '')}/${route}`;
}

export function requestHeaders(endpoint: ModelEndpoint, accept: string): Record<string, string> {
  const headers: Record<string, string> = { ...(endpoint.headers ?? {}), accept };
  if (endpoint.apiKey) {
    if (endpoint.auth === 'api-key') headers['api-key'] = endpoint.apiKey;
    else headers.authorization = `Bearer ${endpoint.apiKey}`;
  }
  return headers;
}

/** Headers as they may be shown in logs: credentials replaced. */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    out[k] = /^(authorization|api-key|x-api-key|proxy-authorization)$/i.test(k) ? '<redacted>' : v;
  }
  return out;
}

function isRateLimitFailure(error: { code?: unknown; message?: unknown } | undefined): boolean {
  if (!error) return false;
  const code = typeof error.code === 'string' ? error.code : '';
  const message = typeof error.message === 'string' ? error.message : '';
  return code === 'rate_limit_exceeded' || /rate limit/i.test(message) || retryDelayFromMessage(message) !== undefined;
}

function errorOf(data: Record<string, unknown>): { code?: unknown; message?: unknown } | undefined {
  if (data.type === 'error') return data as { code?: unknown; message?: unknown };
  const response = data.response as Record<string, unknown> | undefined;
  const err = (response?.error ?? data.error) as { code?: unknown; message?: unknown } | undefined;
  return err && typeof err === 'object' ? err : undefined;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

function causeText(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as { cause?: unknown }).cause;
    if (cause instanceof Error && cause.message) return `${e.message} (${cause.message})`;
    return e.message;
  }
  return String(e);
}

interface AttemptState {
  yielded: number;
}

/**
 * Streams one model request, retrying on 429, 5xx, network errors and dropped streams. Yields each
 * SSE payload parsed from JSON; a `restart` item tells the consumer to drop what it got so far.
 * Throws ModelError; an abort of `opts.signal` stops the HTTP request at once, backoff sleeps included.
 */
/**
 * `body` is the request body as an object (sent with `stream: true` added), or as the JSON text the
 * core wrote, which already asks for a stream and is POSTed as it is.
 */
export async function* streamModel(endpoint: ModelEndpoint, body: object | string, opts: StreamOptions): AsyncGenerator<StreamItem, void, undefined> {
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...(opts.retry ?? {}) };
  if (endpoint.wire !== 'responses' && endpoint.wire !== 'chat') {
    throw new ModelError('badRequest', `unknown wire API "${String(endpoint.wire)}": use "responses" or "chat"`);
  }
  const url = endpointUrl(endpoint, endpoint.wire === 'chat' ? 'chat/completions' : 'responses');
  let payload: string;
  let model: string | undefined;
  if (typeof body === 'string') {
    // The core's bodies carry `"stream": true` themselves.
    if (!body.startsWith('{')) throw new ModelError('badRequest', 'the request body is not a JSON object');
    payload = body;
    model = opts.model;
  } else {
    payload = JSON.stringify({ stream: true, ...body });
    model = typeof (body as { model?: unknown }).model === 'string' ? (body as { model: string }).model : opts.model;
  }
  // The retry budget runs from the first attempt of the current run of failures: a stream that made
  // progress (handed on events) before it broke starts a new budget.
  let budgetFrom = Date.now();
  let stalls = 0;
  let same500 = 0;
  let last500: string | undefined;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal.aborted) throw abortedError();
    const attemptFrom = Date.now();
    const state: AttemptState = { yielded: 0 };
    let failure: ModelError;
    try {
      yield* attemptOnce(endpoint, url, payload, model, opts, state);
      return;
    } catch (e) {
      if (opts.signal.aborted) throw abortedError();
      failure = e instanceof ModelError ? e : new ModelError('protocol', `unexpected failure while streaming: ${causeText(e)}`, { cause: e });
    }
    failure.attempts = attempt;
    if (!failure.retryable) {
      opts.debug?.(`model: attempt ${attempt} failed (${failure.message}); not retried${failure.status ? ` (HTTP ${failure.status} is not transient)` : ''}`);
      throw failure;
    }
    if (failure.status === 500) {
      same500 = last500 === failure.message ? same500 + 1 : 1;
      last500 = failure.message;
      if (same500 >= SAME_500_LIMIT) {
        opts.debug?.(`model: attempt ${attempt} failed with the same HTTP 500 as before; not retried further`);
        throw new ModelError(failure.kind, `${failure.message} — the server gave the same answer to the same request ${same500} times, so the request itself is what fails; not retried further`, {
          status: failure.status,
          retryable: false,
          attempts: attempt,
          cause: failure,
        });
      }
    } else {
      same500 = 0;
      last500 = undefined;
    }
    if (failure.stalled) {
      stalls++;
      if (stalls > MAX_STALL_RETRIES) {
        throw new ModelError(failure.kind, `${failure.message} (${stalls} times in a row); giving up`, { retryable: true, attempts: attempt, cause: failure });
      }
    } else {
      stalls = 0;
    }
    if (attempt >= policy.maxAttempts) {
      throw new ModelError(failure.kind, `${failure.message} — gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}`, {
        status: failure.status,
        retryable: true,
        attempts: attempt,
        cause: failure,
      });
    }
    if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxServerDelayMs) {
      throw new ModelError(failure.kind, `${failure.message} — the server asks to wait ${Math.ceil(failure.retryAfterMs / 1000)} s, longer than Tack waits; try again later`, {
        status: failure.status,
        retryable: true,
        attempts: attempt,
        cause: failure,
      });
    }
    const delayMs = failure.retryAfterMs ?? backoffDelay(attempt, policy);
    if (state.yielded > 0) budgetFrom = attemptFrom;
    const elapsed = Date.now() - budgetFrom;
    if (elapsed + delayMs > policy.maxTotalMs) {
      throw new ModelError(failure.kind, `${failure.message} — gave up after ${attempt} attempt${attempt === 1 ? '' : 's'} over ${Math.round(elapsed / 1000)} s`, {
        status: failure.status,
        retryable: true,
        attempts: attempt,
        cause: failure,
      });
    }
    opts.debug?.(`model: attempt ${attempt} of ${policy.maxAttempts} failed (${failure.message}); retrying in ${delayMs} ms`);
    opts.onRetry?.({ attempt, nextAttempt: attempt + 1, maxAttempts: policy.maxAttempts, delayMs, reason: failure.message, kind: failure.kind, status: failure.status });
    if (state.yielded > 0) yield { type: 'restart', reason: failure.message, attempt: attempt + 1, delayMs };
    await sleep(delayMs, opts.signal);
  }
}

async function* attemptOnce(
  endpoint: ModelEndpoint,
  url: string,
  payload: string,
  model: string | undefined,
  opts: StreamOptions,
  state: AttemptState,
): AsyncGenerator<StreamItem, void, undefined> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const idleMs = opts.idleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;
  // The idle watchdog: one timer that checks the time since the server last sent an event (or since
  // the request went out), rather than a timer re-armed per event (that cost showed at tens of
  // thousands of events). Bytes that carry no event (comments, keep-alives) do not count: a server
  // that only pings is still stalled. While the consumer holds an event the clock does not run: its
  // time is not the server's silence.
  let idled = false;
  let lastActivity = Date.now();
  let holding = false;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const watch = (ms: number) => {
    idleTimer = setTimeout(() => {
      const quiet = Date.now() - lastActivity;
      if (holding || quiet < idleMs) {
        watch(holding ? idleMs : idleMs - quiet);
        return;
      }
      idled = true;
      ctl.abort();
    }, ms);
  };
  const active = () => {
    lastActivity = Date.now();
  };
  const hold = () => {
    if (opts.signal.aborted) throw abortedError();
    holding = true;
    state.yielded++;
  };
  const release = () => {
    holding = false;
    active();
    if (opts.signal.aborted) throw abortedError();
  };
  // Set when the stream ended as it should (its last event read): the request needs no abort then
  // (see the last finally).
  let finished = false;
  const idleError = () => {
    const err = new ModelError('network', `no data from the model server for ${formatSeconds(idleMs)} (the stream stalled)`, { retryable: true });
    err.stalled = true;
    return err;
  };
  try {
    const headers = { 'content-type': 'application/json', ...requestHeaders(endpoint, 'text/event-stream') };
    const sentAt = Date.now();
    opts.debug?.(`model: POST ${url} (${payload.length} bytes) ${JSON.stringify(redactHeaders(headers))}`);
    watch(idleMs);
    let res: HttpResponse;
    try {
      res = await httpRequest(url, { method: 'POST', headers, body: payload, signal: ctl.signal });
    } catch (e) {
      if (opts.signal.aborted) throw abortedError();
      if (idled) throw idleError();
      throw new ModelError('network', `could not reach the model server at ${url}: ${causeText(e)}`, { retryable: true, cause: e });
    }
    active(); // the headers arrived: the wait for the first event starts now
    opts.debug?.(`model: HTTP ${res.status} ${res.headers.get('content-type') ?? ''} after ${Date.now() - sentAt} ms`);
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const err = httpError(res.status, text, { url, baseUrl: endpoint.baseUrl, model });
      opts.debug?.(`model: HTTP ${res.status} body: ${describeErrorBody(text).message ?? '(empty)'}`);
      err.retryAfterMs = retryAfterFromHeaders(res.headers) ?? retryDelayFromMessage(describeErrorBody(text).message ?? '');
      throw err;
    }
    const contentType = res.headers.get('content-type') ?? '';
    if (contentType.includes('application/json')) {
      // A JSON body where a stream was asked for: an error the server did not mark by status, or a
      // server that ignores `stream: true`. Either way nothing can be streamed from it.
      const text = await res.text().catch(() => '');
      const { message } = describeErrorBody(text);
      const looksLikeError = /"error"\s*:/.test(text);
      throw new ModelError(
        looksLikeError ? 'server' : 'protocol',
        looksLikeError
          ? `the model server answered with an error instead of a stream: ${message ?? '(no message)'}`
          : `the model server at ${url} answered with JSON instead of an event stream; does it support streaming?`,
        { status: res.status },
      );
    }
    if (!res.body) throw new ModelError('protocol', `the model server at ${url} sent no body`, { retryable: true });

    const pending: EventSourceMessage[] = [];
    const parser = createParser({
      onEvent: (m) => {
        pending.push(m);
        active();
      },
    });
    const reader = res.body.getReader();
    // A read must end when the request is aborted. Undici does reject a pending read on abort, but a
    // body that had fully arrived before the abort can leave the next read pending forever.
    const abortedRead = new Promise<never>((_, reject) => {
      const fail = () => reject(new Error('the request was aborted'));
      if (ctl.signal.aborted) fail();
      else ctl.signal.addEventListener('abort', fail, { once: true });
    });
    abortedRead.catch(() => undefined);
    const decoder = new TextDecoder();
    let sawFinishReason = false;
    let terminal = false;
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await Promise.race([reader.read(), abortedRead]);
        } catch (e) {
          if (opts.signal.aborted) throw abortedError();
          if (idled) throw idleError();
          throw new ModelError('network', `the stream was cut: ${causeText(e)}`, { retryable: true, cause: e });
        }
        if (chunk.done) {
          parser.feed(decoder.decode());
          parser.feed('\n\n'); // dispatch a last event the server left unterminated
        } else {
          parser.feed(decoder.decode(chunk.value, { stream: true }));
        }
        const batch = pending.splice(0, pending.length);
        for (const message of batch) {
          const raw = message.data.trim();
          if (raw === '') continue;
          if (raw === '[DONE]') {
            opts.debug?.(`model: stream ended ([DONE]) after ${state.yielded} events, ${Date.now() - sentAt} ms`);
            finished = true;
            return;
          }
          let data: unknown;
          try {
            data = JSON.parse(raw);
          } catch {
            // At the very end, a half event is a connection that broke mid-write, not a bad server.
            if (chunk.done) throw new ModelError('network', 'the stream ended in the middle of an event', { retryable: true });
            throw new ModelError('protocol', `the model server sent an event that is not JSON: ${raw.slice(0, 200)}`);
          }
          if (!data || typeof data !== 'object') continue;
          const obj = data as Record<string, unknown>;
          if (endpoint.wire === 'responses') {
            const type = typeof obj.type === 'string' ? obj.type : message.event;
            if (type === 'response.failed' || type === 'error') {
              const err = errorOf(obj);
              if (isRateLimitFailure(err)) {
                const text = typeof err?.message === 'string' ? err.message : 'rate limited';
                const rl = new ModelError('rateLimited', `rate limited: ${text}`, { retryable: true });
                rl.retryAfterMs = retryDelayFromMessage(text);
                throw rl;
              }
            }
            hold();
            yield { type: 'event', data, text: raw };
            release();
            if ((type && terminalResponseEvents.has(type)) || type === 'error') terminal = true;
          } else {
            if (obj.error && typeof obj.error === 'object') {
              // OpenAI-compatible servers report a failure mid-stream as a chunk with `error`.
              const err = obj.error as { code?: unknown; message?: unknown };
              const text = typeof err.message === 'string' ? err.message : JSON.stringify(err);
              const rateLimited = isRateLimitFailure(err);
              const fail = new ModelError(rateLimited ? 'rateLimited' : 'server', `the model server reported an error mid-stream: ${text}`, { retryable: rateLimited });
              fail.retryAfterMs = retryDelayFromMessage(text);
              throw fail;
            }
            const choices = Array.isArray(obj.choices) ? (obj.choices as Array<Record<string, unknown>>) : [];
            if (choices.some((c) => c && c.finish_reason != null)) sawFinishReason = true;
            hold();
            yield { type: 'event', data, text: raw };
            release();
          }
        }
        if (terminal) {
          opts.debug?.(`model: stream ended after ${state.yielded} events, ${Date.now() - sentAt} ms`);
          finished = true;
          return;
        }
        if (chunk.done) break;
      }
    } finally {
      reader.cancel().catch(() => undefined);
    }
    if (endpoint.wire === 'chat') {
      // Some OpenAI-compatible servers end without `[DONE]`; a finish_reason already says it is over.
      if (sawFinishReason) {
        finished = true;
        return;
      }
      throw new ModelError('network', 'the stream ended before [DONE]', { retryable: true });
    }
    throw new ModelError('network', 'the stream ended before response.completed', { retryable: true });
  } finally {
    if (idleTimer) clearTimeout(idleTimer);
    opts.signal.removeEventListener('abort', onAbort);
    // A stream that failed, or that its consumer stopped reading early, is cut here, which frees its
    // connection. One that finished was let go by reader.cancel() above (the rest of its body read
    // so the connection serves the next request): aborting it would only make an AbortError nobody
    // reads, on the way from the model's last event to the tool call it asked for.
    if (!finished) ctl.abort();
  }
}

/** GET {base}/models: the model ids the server offers, for the model picker. */
export async function listModels(endpoint: Pick<ModelEndpoint, 'baseUrl' | 'apiKey' | 'headers' | 'auth'>, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<string[]> {
  const url = endpointUrl(endpoint, 'models');
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 15_000)];
  if (opts.signal) signals.push(opts.signal);
  const signal = AbortSignal.any(signals);
  let res: Response;
  try {
    res = await fetch(url, { headers: requestHeaders({ ...endpoint, wire: 'responses' }, 'application/json'), signal });
  } catch (e) {
    if (opts.signal?.aborted) throw abortedError();
    throw new ModelError('network', `could not list models at ${url}: ${causeText(e)}`, { retryable: true, cause: e });
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw httpError(res.status, text, { url, baseUrl: endpoint.baseUrl });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ModelError('protocol', `the model list at ${url} is not JSON`);
  }
  const obj = (parsed ?? {}) as Record<string, unknown>;
  // OpenAI-style `{data: [{id}]}`; Ollama-style `{models: [{name}]}` as a fallback.
  const entries = Array.isArray(obj.data) ? obj.data : Array.isArray(obj.models) ? obj.models : undefined;
  if (!entries) throw new ModelError('protocol', `the model list at ${url} has no "data" array`);
  const ids: string[] = [];
  for (const entry of entries as unknown[]) {
    if (typeof entry === 'string') ids.push(entry);
    else if (entry && typeof entry === 'object') {
      const e = entry as Record<string, unknown>;
      const id = typeof e.id === 'string' ? e.id : typeof e.name === 'string' ? e.name : typeof e.slug === 'string' ? e.slug : undefined;
      if (id) ids.push(id);
    }
  }
  return ids;
}
