// A sidecar driven line by line over stdio, with no client in between: for the cross-platform tests,
// where the binary runs under an emulator (Wine, qemu-user) and the test also sends broken lines.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface RpcMessage {
  id?: number | string | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

export class RawSidecar {
  readonly proc: ChildProcessWithoutNullStreams;
  private buf = '';
  private seen: RpcMessage[] = [];
  private waiters: Array<() => void> = [];
  stderr = '';
  private nextId = 1;

  constructor(cmd: string, args: string[], env: NodeJS.ProcessEnv) {
    this.proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.proc.stdout.setEncoding('utf8');
    this.proc.stderr.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (line) this.seen.push(JSON.parse(line) as RpcMessage);
      }
      this.waiters.splice(0).forEach((w) => w());
    });
    this.proc.stderr.on('data', (c: string) => (this.stderr = (this.stderr + c).slice(-4000)));
    this.proc.stdin.on('error', () => {});
  }

  sendLine(line: string): void {
    this.proc.stdin.write(line + '\n');
  }

  /** Sends a request; returns its id. */
  send(method: string, params: unknown): number {
    const id = this.nextId++;
    this.sendLine(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    return id;
  }

  /** The first message (seen or to come) that matches, within `ms`. */
  async waitFor(what: string, match: (m: RpcMessage) => boolean, ms = 60_000): Promise<RpcMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = this.seen.find(match);
      if (m) return m;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; stderr: ${this.stderr.slice(-1000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async request(method: string, params: unknown, ms?: number): Promise<RpcMessage> {
    const id = this.send(method, params);
    return this.waitFor(`the answer to ${method}`, (m) => m.id === id, ms);
  }

  /** exec/start, then everything up to exec/exited: the output text and the exited params. */
  async exec(params: Record<string, unknown>, ms?: number): Promise<{ output: string; exited: Record<string, unknown> }> {
    const r = await this.request('exec/start', params, ms);
    if (r.error) throw new Error(`exec/start failed: ${r.error.message}`);
    const execId = r.result!.execId as string;
    const exited = await this.waitFor(`exec/exited of ${execId}`, (m) => m.method === 'exec/exited' && m.params?.execId === execId, ms);
    const output = this.seen
      .filter((m) => m.method === 'exec/output' && m.params?.execId === execId)
      .map((m) => m.params!.text as string)
      .join('');
    return { output, exited: exited.params! };
  }

  async stop(): Promise<void> {
    this.proc.stdin.end();
    const exited = new Promise((r) => this.proc.once('exit', r));
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    if (this.proc.exitCode === null && this.proc.signalCode === null) await exited;
    clearTimeout(t);
  }
}
