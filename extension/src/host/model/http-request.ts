// The model requests' HTTP client: node:http/https with one keep-alive agent per protocol, in place
// of the global fetch(). Node's fetch is undici, which loads on the first call and cost `tack exec`
// 15-50 ms before its first request (more than the rest of the request path together); node:http is
// part of every Node start-up's reach and costs a few. It gives the transport what it used of a
// fetch Response: status, headers.get, text(), and a body read chunk by chunk.
//
// Cancellation: aborting the signal destroys the request and its socket at once (an interrupted
// turn stops the model's stream). A body the consumer stops reading after it had what it needed
// (the stream's terminal event) is read to its end for a short while so its connection can serve
// the next request (a new TLS handshake per step otherwise); one that does not end soon is dropped.
import type http from 'node:http';
import { timingMark } from '../agent/timing';

export interface HttpHeaders {
  get(name: string): string | null;
}

export interface BodyReader {
  read(): Promise<{ done: true; value: undefined } | { done: false; value: Uint8Array }>;
  /** The consumer is done with the body (see the file comment). */
  cancel(): Promise<void>;
}

export interface HttpResponse {
  status: number;
  ok: boolean;
  headers: HttpHeaders;
  text(): Promise<string>;
  body: { getReader(): BodyReader };
}

export interface HttpRequestInit {
  method?: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

/** How long a body the consumer left is read on before its connection is dropped. */
const DRAIN_MS = 500;

type Client = { request: typeof http.request; agent: http.Agent };
const clients: { 'http:'?: Client; 'https:'?: Client } = {};

function clientFor(protocol: string): Client {
  if (protocol !== 'http:' && protocol !== 'https:') throw new TypeError(`not an http(s) URL (${protocol})`);
  const known = clients[protocol];
  if (known) return known;
  // Loaded on first use: https (and TLS) only for https endpoints.
  const mod = (protocol === 'https:' ? require('node:https') : require('node:http')) as typeof http;
  const made: Client = { request: mod.request, agent: new mod.Agent({ keepAlive: true, scheduling: 'lifo' }) };
  clients[protocol] = made;
  return made;
}

/** Loads the client for `url`'s protocol ahead of the first request (while other work waits on I/O). */
export function prepareHttpClient(url: string): void {
  try {
    clientFor(new URL(url).protocol);
  } catch {
    // a bad URL is reported by the request itself
  }
}

function abortError(): Error {
  return Object.assign(new Error('This operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

/** One request; resolves when the response's headers arrive, rejects on a network failure or abort. */
export function httpRequest(url: string, init: HttpRequestInit): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const { signal } = init;
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    let parsed: URL;
    let client: Client;
    try {
      parsed = new URL(url);
      client = clientFor(parsed.protocol);
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body));
    const req = client.request(parsed, { method: init.method ?? 'GET', headers, agent: client.agent });
    let res: http.IncomingMessage | undefined;
    let ended = false;
    let draining = false;
    const onAbort = () => {
      // After the consumer let go (draining) the drain's own timer decides.
      if (draining || ended) return;
      const err = abortError();
      if (res) res.destroy(err);
      req.destroy(err);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal.removeEventListener('abort', onAbort);
    req.on('error', (e) => {
      settle();
      reject(e);
    });
    req.on('response', (r: http.IncomingMessage) => {
      timingMark('response headers');
      res = r;
      r.once('end', () => {
        ended = true;
        settle();
      });
      r.once('close', settle);
      const iter = r[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      const reader: BodyReader = {
        read: async () => {
          const next = await iter.next();
          return next.done ? { done: true, value: undefined } : { done: false, value: next.value };
        },
        cancel: async () => {
          if (ended || r.destroyed) return;
          if (signal.aborted) {
            r.destroy();
            return;
          }
          draining = true;
          const timer = setTimeout(() => r.destroy(), DRAIN_MS);
          timer.unref();
          r.once('close', () => clearTimeout(timer));
          // The body iterator reads through a 'readable' listener, and a stream with one ignores
          // resume(): without this the rest was never read, and the connection, still busy, was
          // dropped by the timer instead of serving the next request.
          r.removeAllListeners('readable');
          r.resume();
        },
      };
      const status = r.statusCode ?? 0;
      resolve({
        status,
        ok: status >= 200 && status < 300,
        headers: {
          get: (name) => {
            const v = r.headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
        },
        text: async () => {
          const chunks: Buffer[] = [];
          for await (const c of r as AsyncIterable<Buffer>) chunks.push(c);
          return Buffer.concat(chunks).toString('utf8');
        },
        body: { getReader: () => reader },
      });
    });
    req.end(init.body);
    timingMark('request written');
  });
}
