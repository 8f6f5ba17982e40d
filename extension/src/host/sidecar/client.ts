// The TypeScript side of the sidecar protocol (docs/sidecar-protocol.md): spawns tack-sidecar, frames
// JSON-RPC one message per line over its stdio, routes exec/output and exec/exited to the command they
// belong to, and turns a dying sidecar into SidecarCrashedError everywhere instead of a hang.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { childProcess } from '../child-process';
import { currentHost, locateSidecar, sidecarFileName, targetOf, type SidecarLocation } from './platform';
import { StdoutReader, type FrameStart } from './stdout';
import type { CheckpointCreateParams } from '../../generated/types/CheckpointCreateParams';
import type { CheckpointCreateResult } from '../../generated/types/CheckpointCreateResult';
import type { CheckpointDiffResult } from '../../generated/types/CheckpointDiffResult';
import type { CheckpointFinishParams } from '../../generated/types/CheckpointFinishParams';
import type { CheckpointListParams } from '../../generated/types/CheckpointListParams';
import type { CheckpointListResult } from '../../generated/types/CheckpointListResult';
import type { CheckpointReadParams } from '../../generated/types/CheckpointReadParams';
import type { CheckpointReadResult } from '../../generated/types/CheckpointReadResult';
import type { CheckpointRestoreParams } from '../../generated/types/CheckpointRestoreParams';
import type { CheckpointRestoreResult } from '../../generated/types/CheckpointRestoreResult';
import type { ExecExitedNotification } from '../../generated/types/ExecExitedNotification';
import type { ExecOutputNotification } from '../../generated/types/ExecOutputNotification';
import type { ExecStartParams } from '../../generated/types/ExecStartParams';
import type { ExecStartResult } from '../../generated/types/ExecStartResult';
import type { FsApplyChangesParams } from '../../generated/types/FsApplyChangesParams';
import type { FsApplyChangesResult } from '../../generated/types/FsApplyChangesResult';
import type { FsCheckWriteParams } from '../../generated/types/FsCheckWriteParams';
import type { ImagePrepareParams } from '../../generated/types/ImagePrepareParams';
import type { ImagePrepareResult } from '../../generated/types/ImagePrepareResult';
import type { SandboxPrepareParams } from '../../generated/types/SandboxPrepareParams';
import type { SandboxPrepareResult } from '../../generated/types/SandboxPrepareResult';
import type { InitializeParams } from '../../generated/types/InitializeParams';
import type { InitializeResult } from '../../generated/types/InitializeResult';

/** The sidecar's error codes (protocol/src/lib.rs `SidecarErrorCode`, generated). */
export { SidecarErrorCode } from '../../generated/types/SidecarErrorCode';

/** The sidecar answered a request with a JSON-RPC error. */
/** The checkpoint methods: params and result. */
export interface CheckpointMethods {
  create: [CheckpointCreateParams, CheckpointCreateResult];
  finish: [CheckpointFinishParams, null];
  list: [CheckpointListParams, CheckpointListResult];
  diff: [CheckpointRestoreParams, CheckpointDiffResult];
  restore: [CheckpointRestoreParams, CheckpointRestoreResult];
  read: [CheckpointReadParams, CheckpointReadResult];
}

export class SidecarRpcError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'SidecarRpcError';
  }
}

/** The sidecar process died (or could not start) while something was waiting on it. */
export class SidecarCrashedError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | null = null,
    readonly signal: string | null = null,
  ) {
    super(message);
    this.name = 'SidecarCrashedError';
  }
}

export interface ExecHandle {
  execId: string;
  pid: number;
  /** Resolves with exec/exited; rejects with SidecarCrashedError if the sidecar dies first. */
  exited: Promise<ExecExitedNotification>;
  write(data: string): Promise<void>;
  /** Closes stdin (pipes) or sends Ctrl-D (PTY) after `data`. */
  writeEof(data?: string): Promise<void>;
  resize(cols: number, rows: number): Promise<void>;
  kill(): Promise<void>;
}

export interface SidecarClientOptions {
  binaryPath?: string;
  /** Where to look for dist/bin/<target>/ when binaryPath is not given (default: sidecarBinDirs()). */
  binDirs?: string[];
  /** Receives the sidecar's stderr lines and the client's own notes. */
  log?: (line: string) => void;
  clientName?: string;
  clientVersion?: string;
  /**
   * Ask for `exec/output` text as raw bytes after a header line (`rawOutput` in initialize,
   * docs/sidecar-protocol.md) instead of a JSON string: no escaping on either side. Default true;
   * false keeps every message a JSON line (the tests compare the two).
   */
  rawOutput?: boolean;
}

/** Where the sidecars are: dist/bin beside the bundle (dist/extension.js, dist/cli.js), or the source tree's build. */
export function sidecarBinDirs(): string[] {
  // dist/*.js, dist/chunks/*.js (lazily loaded parts), src/host/sidecar/client.ts
  return [path.join(__dirname, 'bin'), path.join(__dirname, '..', 'bin'), path.join(__dirname, '..', '..', '..', 'dist', 'bin')];
}

/** TACK_SIDECAR, else the sidecar for this platform (dist/bin/<target>/; see platform.ts). */
export function findSidecar(binDirs: string[] = sidecarBinDirs()): SidecarLocation {
  if (process.env.TACK_SIDECAR) return { path: process.env.TACK_SIDECAR, target: 'TACK_SIDECAR' };
  return locateSidecar(binDirs);
}

/** The path of the sidecar for this platform; when there is none, the path it would have. */
export function defaultSidecarPath(): string {
  const found = findSidecar();
  if ('path' in found) return found.path;
  const dirs = sidecarBinDirs();
  const target = targetOf(currentHost());
  return path.join(dirs[0], target, sidecarFileName(target));
}

/** Names that look like secrets never reach the sidecar (and so no command) unless a request passes them. */
const SECRET_NAME = /KEY|SECRET|TOKEN|PASSWORD/i;

function sidecarEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!SECRET_NAME.test(k)) env[k] = v;
  }
  return env;
}

interface RunningExec {
  onOutput?: (n: ExecOutputNotification) => void;
  resolve: (n: ExecExitedNotification) => void;
  reject: (e: Error) => void;
}

const STDERR_KEPT = 20;
/** The largest raw `exec/output` payload accepted (the sidecar sends at most 256 KiB plus one read). */
const MAX_FRAME_BYTES = 64 * 1024 * 1024;

interface PendingRequest {
  resolve: (result: unknown) => void;
  reject: (e: Error) => void;
}

/** A JSON-RPC response as the sidecar writes it. */
interface RpcResponse {
  id?: unknown;
  result?: unknown;
  error?: { code?: unknown; message?: unknown; data?: unknown };
}

/** One sidecar process and everything waiting on it. */
class Connection {
  readonly proc: ChildProcessWithoutNullStreams;
  /**
   * Requests waiting for their answer, by id. Kept here rather than by a JSON-RPC library: an
   * answer settles its request's promise directly (one promise per request; a command's round trip
   * is two requests' worth of this), and the sidecar's death rejects every one of them.
   */
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 0;
  readonly execs = new Map<string, RunningExec>();
  /** Notifications that arrived before their exec's handle was registered (same tick as the answer). */
  private early = new Map<string, object[]>();
  private stderrTail: string[] = [];
  /** Stdout's bytes -> JSON lines and raw exec/output frames (stdout.ts). */
  private readonly stdout = new StdoutReader({
    line: (line) => this.onMessage(line),
    text: (f, text) => {
      const params: ExecOutputNotification = { execId: f.execId, stream: f.stream, text };
      this.dispatch({ method: 'exec/output', params });
    },
    log: (message) => this.log(message),
  });
  private stderrBuf = '';
  crash: SidecarCrashedError | undefined;
  readonly died: Promise<SidecarCrashedError>;
  private markDead!: (e: SidecarCrashedError) => void;
  expectingExit = false;

  constructor(
    readonly binaryPath: string,
    private readonly log: (line: string) => void,
    /** Said instead of ENOENT when there is no sidecar for this platform. */
    private readonly missing?: string,
  ) {
    this.died = new Promise((resolve) => (this.markDead = resolve));
    this.proc = childProcess().spawn(binaryPath, [], { stdio: ['pipe', 'pipe', 'pipe'], env: sidecarEnv() });
    this.proc.stderr.setEncoding('utf8');
    this.proc.stdout.on('data', (chunk: Buffer) => this.stdout.push(chunk));
    this.proc.stderr.on('data', (chunk: string) => this.onStderr(chunk));
    // A write racing the process's death fails with EPIPE; the exit handler reports it.
    this.proc.stdin.on('error', () => {});
    this.proc.on('error', (err) => {
      if (this.missing && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.die(new SidecarCrashedError(this.missing));
        return;
      }
      this.die(
        new SidecarCrashedError(
          `cannot start tack-sidecar at ${binaryPath}: ${err.message}` +
            ((err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (run `npm run build`, or set TACK_SIDECAR)' : ''),
        ),
      );
    });
    this.proc.on('exit', (code, signal) => {
      if (this.expectingExit && code === 0) {
        this.die(new SidecarCrashedError('tack-sidecar was shut down', code, signal));
        return;
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = this.stderrTail.length ? `; its last stderr lines:\n${this.stderrTail.join('\n')}` : '';
      this.die(new SidecarCrashedError(`tack-sidecar ${how}${tail}`, code, signal));
    });
  }

  private die(err: SidecarCrashedError): void {
    if (this.crash) return;
    this.crash = err;
    this.markDead(err);
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) p.reject(err);
    for (const e of this.execs.values()) e.reject(err);
    this.execs.clear();
    this.early.clear();
    if (!this.expectingExit) this.log(`tack-sidecar: ${err.message}`);
  }

  private onStderr(chunk: string): void {
    this.stderrBuf += chunk;
    let nl: number;
    while ((nl = this.stderrBuf.indexOf('\n')) >= 0) {
      const line = this.stderrBuf.slice(0, nl);
      this.stderrBuf = this.stderrBuf.slice(nl + 1);
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_KEPT) this.stderrTail.shift();
      this.log(`tack-sidecar: ${line}`);
    }
  }

  /** A JSON line; a raw frame's header returns what follows it. */
  private onMessage(line: string): FrameStart | undefined {
    let msg: { id?: unknown; method?: string; params?: { execId?: string; stream?: unknown; bytes?: unknown } };
    try {
      msg = JSON.parse(line);
    } catch {
      this.log(`tack-sidecar wrote a line that is not JSON: ${line.slice(0, 200)}`);
      return undefined;
    }
    if (typeof msg !== 'object' || msg === null) {
      this.log(`tack-sidecar wrote a line that is not a JSON-RPC message: ${line.slice(0, 200)}`);
      return undefined;
    }
    const p = msg.params;
    if (msg.method === 'exec/output' && p && p.bytes !== undefined) {
      // A raw frame's header (ExecOutputFrame): its payload follows.
      const n = p.bytes;
      if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > MAX_FRAME_BYTES || typeof p.execId !== 'string' || (p.stream !== 'stdout' && p.stream !== 'stderr')) {
        this.log(`tack-sidecar wrote an exec/output frame header that is not valid: ${line.slice(0, 200)}`);
        return undefined;
      }
      return { execId: p.execId, stream: p.stream, bytes: n };
    }
    this.dispatch(msg);
    return undefined;
  }

  private dispatch(msg: { id?: unknown; method?: string; params?: { execId?: string } }): void {
    if (typeof msg.method === 'string') {
      const execId = msg.params?.execId;
      if (typeof execId !== 'string') return;
      if (this.execs.has(execId)) this.route(execId, msg);
      else {
        const queue = this.early.get(execId) ?? [];
        queue.push(msg);
        this.early.set(execId, queue);
      }
      return;
    }
    this.answer(msg as RpcResponse);
  }

  /** A response: settles the request it answers (an unknown id is ignored, as it always was). */
  private answer(msg: RpcResponse): void {
    const waiting = typeof msg.id === 'number' ? this.pending.get(msg.id) : undefined;
    if (!waiting) return;
    this.pending.delete(msg.id as number);
    const e = msg.error;
    if (e && typeof e === 'object') {
      const message = typeof e.message === 'string' ? e.message : 'the sidecar answered with an error';
      waiting.reject(new SidecarRpcError(message, typeof e.code === 'number' ? e.code : 0, e.data));
    } else if (msg.result !== undefined) {
      waiting.resolve(msg.result);
    } else {
      waiting.reject(new Error('tack-sidecar sent an answer with neither a result nor an error'));
    }
  }

  private route(execId: string, msg: { method?: string; params?: unknown }): void {
    const e = this.execs.get(execId);
    if (!e) return;
    if (msg.method === 'exec/output') {
      try {
        e.onOutput?.(msg.params as ExecOutputNotification);
      } catch (err) {
        this.log(`an exec/output listener threw: ${String(err)}`);
      }
    } else if (msg.method === 'exec/exited') {
      this.execs.delete(execId);
      e.resolve(msg.params as ExecExitedNotification);
    }
  }

  register(execId: string, running: RunningExec): void {
    this.execs.set(execId, running);
    const queued = this.early.get(execId);
    this.early.delete(execId);
    for (const m of queued ?? []) this.route(execId, m as { method?: string; params?: unknown });
  }

  /** Rejects with SidecarRpcError (the sidecar's error answer) or SidecarCrashedError (it died first). */
  request<T>(method: string, params: object | null): Promise<T> {
    if (this.crash) return Promise.reject(this.crash);
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (result: unknown) => void, reject });
      const message = params == null ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params };
      try {
        this.proc.stdin.write(JSON.stringify(message) + '\n');
      } catch (err) {
        this.pending.delete(id);
        reject(this.crash ?? err);
      }
    });
  }
}

export type RestartListener = (info: { previousError: SidecarCrashedError }) => void;

export class SidecarClient {
  private readonly binaryPath: string;
  private readonly missing: string | undefined;
  private readonly log: (line: string) => void;
  private conn: Connection | undefined;
  private init: Promise<InitializeResult> | undefined;
  private readonly restartListeners = new Set<RestartListener>();
  private disposed = false;

  constructor(private readonly opts: SidecarClientOptions = {}) {
    const found: SidecarLocation = opts.binaryPath ? { path: opts.binaryPath, target: '' } : findSidecar(opts.binDirs);
    const target = targetOf(currentHost());
    this.binaryPath = 'path' in found ? found.path : path.join((opts.binDirs ?? sidecarBinDirs())[0], target, sidecarFileName(target));
    this.missing = 'problem' in found ? found.problem : undefined;
    this.log = opts.log ?? (() => {});
  }

  /** Fires when a sidecar that had died is replaced by a new process. Returns an unsubscribe function. */
  onRestart(listener: RestartListener): () => void {
    this.restartListeners.add(listener);
    return () => this.restartListeners.delete(listener);
  }

  /** The running process's pid (for tests and diagnostics). */
  get pid(): number | undefined {
    return this.conn && !this.conn.crash ? this.conn.proc.pid : undefined;
  }

  private connection(): { conn: Connection; ready: Promise<InitializeResult> } {
    if (this.disposed) throw new Error('this SidecarClient was disposed');
    if (!this.conn || this.conn.crash) {
      const previous = this.conn?.crash;
      this.conn = new Connection(this.binaryPath, this.log, this.missing);
      const conn = this.conn;
      this.init = conn.request<InitializeResult>('initialize', {
        clientName: this.opts.clientName ?? 'tack',
        clientVersion: this.opts.clientVersion ?? '0',
        rawOutput: this.opts.rawOutput ?? true,
      } satisfies InitializeParams);
      // Whoever awaits sees the failure; nobody awaiting must not crash the host.
      this.init.catch(() => {});
      if (previous) {
        this.log(`tack-sidecar restarted after: ${previous.message}`);
        for (const l of this.restartListeners) l({ previousError: previous });
      }
    }
    return { conn: this.conn, ready: this.init! };
  }

  /** Spawns the sidecar if needed; the result is cached per process instance. */
  initialize(): Promise<InitializeResult> {
    return this.connection().ready;
  }

  async exec(params: ExecStartParams, onOutput?: (n: ExecOutputNotification) => void): Promise<ExecHandle> {
    const { conn, ready } = this.connection();
    await ready;
    const started = await conn.request<ExecStartResult>('exec/start', params);
    let resolve!: (n: ExecExitedNotification) => void;
    let reject!: (e: Error) => void;
    const exited = new Promise<ExecExitedNotification>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    exited.catch(() => {});
    conn.register(started.execId, { onOutput, resolve, reject });
    const execId = started.execId;
    const call = async (method: string, p: object) => {
      await conn.request<null>(method, p);
    };
    return {
      execId,
      pid: started.pid,
      exited,
      write: (data) => call('exec/write', { execId, data }),
      writeEof: (data = '') => call('exec/write', { execId, data, eof: true }),
      resize: (cols, rows) => call('exec/resize', { execId, cols, rows }),
      kill: () => call('exec/kill', { execId }),
    };
  }

  /**
   * Writes a change set all or nothing under the write policy (docs/sidecar-protocol.md,
   * `fs/applyChanges`). Rejects with SidecarRpcError: code WriteRefused (the policy said no) or
   * WriteFailed (the file system did; everything was put back), `data.reason` saying which.
   */
  async applyChanges(params: FsApplyChangesParams): Promise<FsApplyChangesResult> {
    const { conn, ready } = this.connection();
    await ready;
    return conn.request<FsApplyChangesResult>('fs/applyChanges', params);
  }

  /** Resolves when writing and removing these paths is allowed right now (`fs/checkWrite`); writes nothing. */
  async checkWrite(params: FsCheckWriteParams): Promise<void> {
    const { conn, ready } = this.connection();
    await ready;
    await conn.request<null>('fs/checkWrite', params);
  }

  /**
   * An image made fit for the model (`image/prepare`, docs/sidecar-protocol.md): decoded by its
   * content, shrunk to `maxEdge`, re-encoded as PNG or JPEG within `maxBytes`. Rejects with
   * SidecarRpcError code ImageRefused (not an image, corrupt, too many pixels) and a message to show.
   */
  async prepareImage(params: ImagePrepareParams): Promise<ImagePrepareResult> {
    const { conn, ready } = this.connection();
    await ready;
    return conn.request<ImagePrepareResult>('image/prepare', params);
  }

  /**
   * The `.git` scan a workspace-write command with these writable roots starts with, made ahead of
   * it (`sandbox/prepare`, docs/sidecar-protocol.md). Changes nothing on disk.
   */
  async prepareSandbox(params: SandboxPrepareParams): Promise<SandboxPrepareResult> {
    const { conn, ready } = this.connection();
    await ready;
    return conn.request<SandboxPrepareResult>('sandbox/prepare', params);
  }

  /** A `checkpoint/*` request (docs/checkpoints.md); rejects with SidecarRpcError code -32008. */
  async checkpoint<M extends keyof CheckpointMethods>(method: M, params: CheckpointMethods[M][0]): Promise<CheckpointMethods[M][1]> {
    const { conn, ready } = this.connection();
    await ready;
    return conn.request<CheckpointMethods[M][1]>(`checkpoint/${method}`, params);
  }

  /** Asks the sidecar to end every command and exit; kills it if it lingers. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const conn = this.conn;
    this.conn = undefined;
    if (!conn || conn.crash) return;
    conn.expectingExit = true;
    const exited = conn.died.then(() => true);
    const timeout = (ms: number) => new Promise<false>((r) => setTimeout(() => r(false), ms).unref());
    try {
      await Promise.race([conn.request('shutdown', null), timeout(4000)]);
    } catch {
      // Already dying: fine, we only need it gone.
    }
    conn.proc.stdin.end();
    if (!(await Promise.race([exited, timeout(2000)]))) {
      conn.proc.kill('SIGKILL');
      await Promise.race([exited, timeout(2000)]);
    }
  }
}
