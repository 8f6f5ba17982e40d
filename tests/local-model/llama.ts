// The real llama.cpp `llama-server` for the local-model suite: where `scripts/llama-server.mjs` caches
// it, starting it on a free port, and a replay proxy that answers the first model requests with
// streams recorded from this server and forwards the rest to the live server.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../lib/paths';

/** The pinned llama-cpp-python version, read from the build script so the two never disagree. */
function pinnedVersion(): string {
  const text = fs.readFileSync(path.join(repoRoot, 'scripts', 'llama-server.mjs'), 'utf8');
  const m = /LLAMA_CPP_PYTHON_VERSION = '([^']+)'/.exec(text);
  if (!m) throw new Error('scripts/llama-server.mjs names no LLAMA_CPP_PYTHON_VERSION');
  return m[1];
}

export function llamaCache() {
  const version = pinnedVersion();
  const dir = process.env.TACK_LLAMA_CACHE || path.join(os.homedir(), '.cache', 'tack', `llama-server-${version}`);
  return {
    dir,
    version,
    server: path.join(dir, 'build', 'bin', 'llama-server'),
    model: path.join(dir, 'gemma-3-270m-q4_k_m.gguf'),
    templates: path.join(dir, 'src', 'vendor', 'llama.cpp', 'models', 'templates'),
    ready: path.join(dir, 'READY'),
  };
}

/** Why the suite cannot run here, or undefined when the cached server and model are complete. */
export function missingReason(): string | undefined {
  const c = llamaCache();
  for (const f of [c.ready, c.server, c.model]) {
    if (!fs.existsSync(f)) return `llama-server is not built (${f} is missing): run \`npm run test:local-model\`, which builds it into ${c.dir} (about 15-20 minutes the first time on 2 cores)`;
  }
  return undefined;
}

export interface LlamaServer {
  url: string;
  port: number;
  log: () => string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Starts llama-server with the Gemma 3 270M model; resolves once `/health` says ok. */
export async function startLlama(opts: { template?: string; ctx?: number } = {}): Promise<LlamaServer> {
  const c = llamaCache();
  const port = await freePort();
  const args = ['-m', c.model, '--alias', 'gemma-3-270m', '--host', '127.0.0.1', '--port', String(port), '--jinja', '-c', String(opts.ctx ?? 8192), '-t', '2', '-np', '1', '--no-webui'];
  if (opts.template) args.push('--chat-template-file', path.join(c.templates, opts.template));
  const child: ChildProcess = spawn(c.server, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const keep = (b: Buffer) => {
    log += b.toString();
    if (log.length > 200_000) log = log.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited (${child.exitCode}):\n${log.slice(-3000)}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`llama-server did not become healthy within 60 s:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url: `${url}/v1`,
    port,
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

export interface ProxiedRequest {
  path: string;
  body: Record<string, unknown>;
  /** `replay` for a recorded answer, else the live server's HTTP status. */
  answer: 'replay' | number;
  /** The live server's error body, when it refused. */
  error?: string;
}

/**
 * A proxy in front of the live server: the first model requests get the recorded streams (SSE text,
 * byte for byte as the server sent them), later ones go to the live server.
 */
export async function startReplayProxy(live: LlamaServer, recorded: string[]): Promise<{ url: string; requests: ProxiedRequest[]; close(): Promise<void> }> {
  const queue = [...recorded];
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const pathname = req.url ?? '/';
        const isModel = req.method === 'POST' && /\/(chat\/completions|responses)$/.test(pathname);
        const rec: ProxiedRequest = { path: pathname, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, answer: 'replay' };
        if (isModel) requests.push(rec);
        if (isModel && queue.length > 0) {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.end(queue.shift());
          return;
        }
        const upstream = await fetch(`http://127.0.0.1:${live.port}${pathname}`, {
          method: req.method,
          headers: { 'content-type': 'application/json', accept: String(req.headers.accept ?? '*/*') },
          body: req.method === 'POST' ? text : undefined,
        });
        rec.answer = upstream.status;
        res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' });
        if (!upstream.ok) {
          rec.error = await upstream.text();
          res.end(rec.error);
          return;
        }
        if (!upstream.body) {
          res.end();
          return;
        }
        for await (const chunk of upstream.body as unknown as AsyncIterable<Uint8Array>) res.write(chunk);
        res.end();
      })().catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(e));
      });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
