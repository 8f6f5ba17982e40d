// Runs the real `tack exec` (bundled CLI, real wasm core, real sidecar) against the scripted model
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON and printed events are explored by the assertions themselves */
// server, in a temporary project directory, and collects what it printed.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startModelServer, type ModelServer, type ScriptedResponse } from '../model-server/server';
import { tackCli } from '../lib/paths';

export const API_KEY = 'sk-test-agent-0123456789abcdef';

export interface Project {
  dir: string;
  home: string;
  write(rel: string, text: string): void;
  read(rel: string): string;
  exists(rel: string): boolean;
  cleanup(): void;
}

export function makeProject(files: Record<string, string> = {}): Project {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-agent-'));
  const dir = path.join(base, 'repo');
  const home = path.join(base, 'home');
  fs.mkdirSync(path.join(dir, '.git'), { recursive: true });
  fs.mkdirSync(home);
  const p: Project = {
    dir,
    home,
    write: (rel, text) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    },
    read: (rel) => fs.readFileSync(path.join(dir, rel), 'utf8'),
    exists: (rel) => fs.existsSync(path.join(dir, rel)),
    cleanup: () => fs.rmSync(base, { recursive: true, force: true }),
  };
  for (const [rel, text] of Object.entries(files)) p.write(rel, text);
  return p;
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** --json lines, parsed. */
  events: Array<Record<string, any>>;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Called with each JSON event as it is printed (to act mid-run). */
  onEvent?: (event: Record<string, any>, child: ChildProcess) => void;
  timeoutMs?: number;
}

export function runTack(args: string[], project: Project, opts: RunOptions = {}): Promise<RunResult> {
  const env: Record<string, string | undefined> = { ...process.env, OPENAI_API_KEY: API_KEY, TACK_HOME: project.home, OPENAI_BASE_URL: undefined, TACK_MODEL: undefined };
  for (const [k, v] of Object.entries(opts.env ?? {})) env[k] = v;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [tackCli, ...args], { cwd: project.dir, env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let pending = '';
  const events: Array<Record<string, any>> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line.trim() === '') continue;
      const event = JSON.parse(line) as Record<string, any>;
      events.push(event);
      opts.onEvent?.(event, child);
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timeout = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timeout);
      resolve({ code, stdout, stderr, events });
    });
  });
}

export async function withServer<T>(responses: ScriptedResponse[], fn: (server: ModelServer) => Promise<T>, apiKey: string | undefined = API_KEY): Promise<T> {
  const server = await startModelServer({ responses, apiKey });
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

/** The request bodies the model server received, in order. */
export function bodies(server: ModelServer): Array<Record<string, any>> {
  return server.modelRequests().map((r) => r.body as Record<string, any>);
}

/** The input list of a request, whatever the wire. */
export function conversation(body: Record<string, any>): unknown[] {
  return (body.input ?? body.messages) as unknown[];
}

/** Each request's conversation begins with the previous one's (the provider's prompt cache hits). */
export function assertAppendOnly(list: Array<Record<string, any>>, check: (a: unknown, b: unknown, msg: string) => void): void {
  for (let i = 1; i < list.length; i++) {
    const prev = conversation(list[i - 1]);
    const next = conversation(list[i]);
    check(next.slice(0, prev.length), prev, `request ${i} does not begin with request ${i - 1}'s input`);
  }
}

/** The tool outputs sent back in a request, by call id. */
export function toolOutputs(body: Record<string, any>): Map<string, string> {
  const out = new Map<string, string>();
  for (const item of conversation(body) as Array<Record<string, any>>) {
    if (item.type === 'function_call_output' || item.type === 'custom_tool_call_output') out.set(item.call_id, item.output);
    if (item.role === 'tool') out.set(item.tool_call_id, item.content);
  }
  return out;
}

export function completedItems(events: Array<Record<string, any>>, type: string): Array<Record<string, any>> {
  return events.filter((e) => e.type === 'item.completed' && e.item.type === type).map((e) => e.item);
}

/** Child processes of `pid` (Linux /proc). */
export function childrenOf(pid: number): Array<{ pid: number; comm: string }> {
  const out: Array<{ pid: number; comm: string }> = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const ppid = Number(stat.slice(close + 2).split(' ')[1]);
      if (ppid === pid) out.push({ pid: Number(name), comm });
    } catch {
      // the process went away
    }
  }
  return out;
}
