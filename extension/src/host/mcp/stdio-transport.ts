// A stdio transport for the MCP SDK's Client that owns its server's whole process tree: the server
// runs in its own process group, and closing (or Tack exiting) ends the group: TERM, then KILL.
// Servers started through `npx`, `uvx` or a shell leave no orphans this way. The SDK's own
// StdioClientTransport signals only the direct child.
import type { ChildProcess } from 'node:child_process';
import { childProcess } from '../child-process';
import type { McpSdk } from './sdk';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface StdioParams {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

/** Every process group a transport started, for the exit hook. */
const liveGroups = new Set<number>();
let exitHooked = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  // The last chance: whatever is still running when Tack exits is killed outright.
  process.on('exit', () => {
    for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  });
}

/** Time between TERM and KILL when closing. */
const KILL_GRACE_MS = 2_000;
/** The most stderr kept for error messages. */
const MAX_STDERR = 8 * 1024;

export class GroupStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private proc: ChildProcess | undefined;
  private readonly buffer: InstanceType<McpSdk['ReadBuffer']>;
  private stderrTail = '';
  private closed = false;
  private exitInfo: string | undefined;

  /** `sdk`: the loaded MCP SDK (./sdk.ts), for its message framing. */
  constructor(
    private readonly params: StdioParams,
    private readonly sdk: Pick<McpSdk, 'ReadBuffer' | 'serializeMessage'>,
  ) {
    this.buffer = new sdk.ReadBuffer();
  }

  /** The pid of the server (the group leader). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The last lines the server wrote to stderr (for error messages). */
  get stderr(): string {
    return this.stderrTail;
  }

  /** How the process ended, when it did. */
  get exit(): string | undefined {
    return this.exitInfo;
  }

  start(): Promise<void> {
    hookExit();
    return new Promise((resolve, reject) => {
      let proc: ChildProcess;
      try {
        proc = childProcess().spawn(this.params.command, this.params.args, {
          cwd: this.params.cwd,
          env: this.params.env,
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: process.platform !== 'win32',
          windowsHide: true,
          shell: false,
        });
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
        return;
      }
      this.proc = proc;
      proc.once('error', (err: NodeJS.ErrnoException) => {
        const msg = err.code === 'ENOENT' ? `command not found: ${this.params.command}` : err.message;
        const e = new Error(msg);
        if (proc.pid === undefined) reject(e);
        else this.onerror?.(e);
        this.finish(msg);
      });
      proc.once('spawn', () => {
        if (proc.pid !== undefined) liveGroups.add(proc.pid);
        resolve();
      });
      proc.once('exit', (code, signal) => {
        const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
        this.finish(how);
      });
      proc.stdout!.on('data', (chunk: Buffer) => {
        this.buffer.append(chunk);
        for (;;) {
          let msg: JSONRPCMessage | null;
          try {
            msg = this.buffer.readMessage();
          } catch (e) {
            this.onerror?.(new Error(`the server wrote something that is not a JSON-RPC message: ${e instanceof Error ? e.message : String(e)}`));
            continue;
          }
          if (msg === null) break;
          this.onmessage?.(msg);
        }
      });
      proc.stderr!.on('data', (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-MAX_STDERR);
      });
      proc.stdin!.on('error', () => undefined);
    });
  }

  private finish(how: string): void {
    if (this.exitInfo === undefined) this.exitInfo = how;
    const pid = this.proc?.pid;
    if (pid !== undefined) {
      // The leader is gone; anything it left in its group goes with it.
      killGroup(pid, 'SIGKILL');
      liveGroups.delete(pid);
    }
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.proc?.stdin;
      if (!stdin || this.closed) {
        reject(new Error('the server is not running'));
        return;
      }
      if (stdin.write(this.sdk.serializeMessage(message))) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  /** Ends the server's whole process group: TERM, then KILL after a grace period. */
  async close(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.pid === undefined || this.exitInfo !== undefined) {
      this.finish(this.exitInfo ?? 'closed');
      return;
    }
    const pid = proc.pid;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.stdin?.end();
    killGroup(pid, 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), KILL_GRACE_MS)))]);
    clearTimeout(timer);
    if (late) {
      killGroup(pid, 'SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1_000))]);
    }
    killGroup(pid, 'SIGKILL');
    this.finish(this.exitInfo ?? 'closed');
  }
}
