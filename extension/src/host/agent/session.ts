// The agent runner: one conversation. It owns a core `Session` (wasm) and carries out its effects with
// real I/O: the model stream, commands in the sidecar, files and approvals through the host, records
// in the session store. Shared by the CLI and VS Code; never imports `vscode`.
import { randomUUID } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { loadCore } from '../core';
import { ModelError, streamModel, type ModelEndpoint, type RetryInfo } from '../model';
import type { SessionStore } from '../sessions';
import type { ExecStartParams, SidecarClient } from '../sidecar';
import { describeLoss, LiveExec, type WaitResult } from './live-exec';
import type {
  AgentConfig,
  AgentConfigInput,
  AgentHost,
  ApprovalAnswer,
  ApprovalRequest,
  ChangeProposal,
  EditorContext,
  Effect,
  ExecParams,
  FileChange,
  FileMap,
  RememberedApproval,
  SessionEvent,
  SessionRecord,
  ThreadEvent,
  TurnResult,
} from './types';

type CoreSession = InstanceType<ReturnType<typeof loadCore>['Session']>;

export interface AgentSessionOptions {
  host: AgentHost;
  sidecar: SidecarClient;
  /** Where and how to reach the model. The API key stays here: it never enters the core or a record. */
  endpoint: ModelEndpoint;
  config: AgentConfigInput;
  store?: SessionStore;
  /** Continue this stored session instead of starting one. */
  resumeId?: string;
  /** Told about model retries (rate limits, dropped streams). */
  onRetry?: (info: RetryInfo) => void;
  /** Diagnostic lines (never secrets). */
  log?: (line: string) => void;
}

const IMAGE_TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };
const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

function localDate(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The shell commands run with, as an absolute path: $SHELL when it is one, else bash found on PATH.
 * The core runs exec_command scripts with exactly this shell and refuses any other the model names.
 */
export function defaultShell(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SHELL && path.isAbsolute(env.SHELL) && existsSync(env.SHELL)) return env.SHELL;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'bash');
    if (dir && path.isAbsolute(dir) && existsSync(candidate)) return candidate;
  }
  return 'bash';
}

function completeConfig(input: AgentConfigInput, sessionId: string): AgentConfig {
  return {
    ...input,
    sessionId,
    shell: input.shell ?? defaultShell(),
    currentDate: input.currentDate ?? localDate(new Date()),
    timezone: input.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC',
    writableRoots: input.writableRoots ?? [],
    network: input.network ?? false,
    agentsMd: input.agentsMd ?? [],
  };
}

function isAnswer(v: unknown): v is ApprovalAnswer {
  return typeof v === 'object' && v !== null && 'decision' in v;
}

export class AgentSession {
  readonly id: string;
  private readonly core: CoreSession;
  private readonly host: AgentHost;
  private readonly sidecar: SidecarClient;
  private readonly endpoint: ModelEndpoint;
  private readonly store?: SessionStore;
  private readonly onRetry?: (info: RetryInfo) => void;
  private readonly log: (line: string) => void;
  private readonly config: AgentConfig;

  /** The model request in flight: aborted on cancel; its events are dropped once it is not current. */
  private model: { abort: AbortController; generation: number } | undefined;
  private generation = 0;
  /** Commands by the call that started them (kept while they run, for write_stdin and kill). */
  private readonly execs = new Map<string, LiveExec>();
  /** Aborted when the turn ends: stops waits, reviews and approvals still open. */
  private turnAbort = new AbortController();
  private pendingWrites: Promise<unknown> = Promise.resolve();
  private turnDone: ((r: TurnResult) => void) | undefined;
  private lastMessage: string | undefined;

  private constructor(opts: AgentSessionOptions, id: string, core: CoreSession, config: AgentConfig) {
    this.id = id;
    this.core = core;
    this.config = config;
    this.host = opts.host;
    this.sidecar = opts.sidecar;
    this.endpoint = opts.endpoint;
    this.store = opts.store;
    this.onRetry = opts.onRetry;
    this.log = opts.log ?? (() => undefined);
  }

  static async create(opts: AgentSessionOptions): Promise<AgentSession> {
    if (opts.config.wire !== opts.endpoint.wire) {
      throw new Error(`the config's wire (${opts.config.wire}) and the endpoint's wire (${opts.endpoint.wire}) differ`);
    }
    const core = loadCore();
    if (opts.resumeId !== undefined) {
      if (!opts.store) throw new Error('resuming a session needs a session store');
      const records = (await opts.store.read(opts.resumeId)) as SessionRecord[];
      const config = completeConfig(opts.config, opts.resumeId);
      const session = core.Session.restore(config, records);
      return new AgentSession(opts, opts.resumeId, session, config);
    }
    const id = opts.store
      ? await opts.store.createSession({ cwd: opts.config.cwd, model: opts.config.model })
      : randomUUID();
    const config = completeConfig(opts.config, id);
    return new AgentSession(opts, id, new core.Session(config), config);
  }

  get agentConfig(): AgentConfig {
    return this.config;
  }

  get running(): boolean {
    return this.turnDone !== undefined;
  }

  /** Runs one turn to its end (completed, interrupted or failed). */
  submit(text: string, editorContext?: EditorContext): Promise<TurnResult> {
    if (this.turnDone) return Promise.reject(new Error('a turn is already running'));
    this.turnAbort = new AbortController();
    this.lastMessage = undefined;
    const done = new Promise<TurnResult>((resolve) => (this.turnDone = resolve));
    if (this.store && text.trim() !== '') {
      this.track(this.store.setTitle(this.id, text.trim().slice(0, 80)).catch(() => undefined));
    }
    this.dispatch({ type: 'userInput', text, editorContext });
    return done;
  }

  /** Ends the running turn promptly: aborts the model request, kills commands, answers pending calls. */
  interrupt(): void {
    if (this.turnDone) this.dispatch({ type: 'interrupt' });
  }

  /** The approvals the person gave "for this session", oldest first. */
  rememberedApprovals(): RememberedApproval[] {
    return this.core.rememberedApprovals() as RememberedApproval[];
  }

  /** Withdraws an approval given for the session: the commands it covered ask again. */
  revokeApproval(approvalId: string): void {
    this.dispatch({ type: 'revokeApproval', approvalId });
  }

  /** Stops every command this session started (for shutdown). */
  async dispose(): Promise<void> {
    this.interrupt();
    await Promise.allSettled([...this.execs.values()].map((e) => e.handle.kill()));
    this.execs.clear();
    await this.pendingWrites;
  }

  private track(p: Promise<unknown>): void {
    this.pendingWrites = this.pendingWrites.then(() => p).catch(() => undefined);
  }

  /** Feeds one event to the core and carries out the effects. Never throws. */
  private dispatch(event: SessionEvent): void {
    let effects: Effect[];
    try {
      effects = this.core.handle(event) as Effect[];
    } catch (err) {
      this.log(`core rejected ${event.type}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const effect of effects) this.perform(effect);
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'modelRequest':
        void this.runModel(effect.body as object);
        return;
      case 'cancelModel':
        this.model?.abort.abort();
        this.model = undefined;
        return;
      case 'exec':
        void this.runExec(effect.callId, effect.params);
        return;
      case 'writeStdin':
        void this.runWriteStdin(effect.callId, effect.execCallId, effect.chars, effect.yieldTimeMs);
        return;
      case 'killExec': {
        const live = this.execs.get(effect.callId);
        if (live) void live.handle.kill().catch(() => undefined);
        return;
      }
      case 'readFiles':
        void this.runReadFiles(effect.callId, effect.paths);
        return;
      case 'applyChanges':
        void this.runApply(effect.callId, effect.changes);
        return;
      case 'reviewChanges':
        void this.runReview(effect.callId, effect.proposal);
        return;
      case 'readImage':
        void this.runReadImage(effect.callId, effect.path);
        return;
      case 'requestApproval':
        void this.runApproval(effect.request);
        return;
      case 'emit':
        this.noteEvent(effect.event);
        try {
          this.host.emit(effect.event);
        } catch (err) {
          this.log(`host.emit failed: ${err instanceof Error ? err.message : String(err)}`);
        }
        return;
      case 'persist':
        if (this.store) this.track(this.store.append(this.id, effect.record));
        return;
      case 'turnEnded': {
        const done = this.turnDone;
        this.turnDone = undefined;
        this.turnAbort.abort();
        const result: TurnResult = { status: effect.status, usage: effect.usage, error: effect.error, finalMessage: this.lastMessage };
        // Resolve after the session file has every record of the turn.
        void this.pendingWrites.then(() => done?.(result));
        return;
      }
    }
  }

  private noteEvent(event: ThreadEvent): void {
    if (event.type === 'item.completed' && event.item.type === 'agent_message') this.lastMessage = event.item.text;
  }

  private async runModel(body: object): Promise<void> {
    this.model?.abort.abort();
    const generation = ++this.generation;
    const abort = new AbortController();
    this.model = { abort, generation };
    const current = () => this.model?.generation === generation;
    try {
      for await (const item of streamModel(this.endpoint, body, { signal: abort.signal, onRetry: this.onRetry })) {
        if (!current()) return;
        if (item.type === 'event') this.dispatch({ type: 'modelEvent', data: item.data as never });
        else this.dispatch({ type: 'modelStreamRestarted' });
      }
      if (!current()) return;
      this.model = undefined;
      this.dispatch({ type: 'modelStreamEnded' });
    } catch (err) {
      if (!current()) return;
      this.model = undefined;
      const message = err instanceof Error ? err.message : String(err);
      const retryable = err instanceof ModelError ? err.retryable : false;
      this.dispatch({ type: 'modelFailed', message, retryable });
    }
  }

  private toSidecar(params: ExecParams): ExecStartParams {
    return {
      argv: params.argv,
      cwd: params.cwd,
      tty: params.tty,
      timeoutMs: params.timeoutMs,
      sandbox: {
        mode: params.sandbox.mode,
        writableRoots: params.sandbox.writableRoots,
        network: params.sandbox.network,
      },
    };
  }

  private answerWait(callId: string, execCallId: string, r: WaitResult): void {
    switch (r.kind) {
      case 'exited':
        this.execs.delete(execCallId);
        this.dispatch({ type: 'execExited', callId, exitCode: r.exitCode, durationMs: r.durationMs, output: r.output, truncatedBytes: r.truncatedBytes, timedOut: r.timedOut });
        return;
      case 'yielded':
        this.dispatch({ type: 'execYielded', callId, durationMs: r.durationMs, output: r.output });
        return;
      case 'failed':
        this.execs.delete(execCallId);
        this.dispatch({ type: 'execFailed', callId, message: r.message });
        return;
    }
  }

  private async runExec(callId: string, params: ExecParams): Promise<void> {
    const since = Date.now();
    const signal = this.turnAbort.signal;
    let live: LiveExec | undefined;
    // Output can arrive before the start answer is handled: keep it until `live` exists.
    const early: string[] = [];
    try {
      const handle = await this.sidecar.exec(this.toSidecar(params), (n) => {
        if (live) live.push(n.text);
        else early.push(n.text);
        this.dispatch({ type: 'execOutput', callId, chunk: n.text });
      });
      live = new LiveExec(handle);
      for (const text of early) live.push(text);
      this.execs.set(callId, live);
    } catch (err) {
      this.dispatch({ type: 'execFailed', callId, message: `could not start the command: ${describeLoss(err)}` });
      return;
    }
    if (signal.aborted) {
      // Interrupted while starting: stop it at once.
      void live.handle.kill().catch(() => undefined);
    }
    const r = await live.wait(params.yieldTimeMs, since, signal);
    if (signal.aborted && r.kind === 'yielded') return; // the turn ended; the core no longer waits
    this.answerWait(callId, callId, r);
  }

  private async runWriteStdin(callId: string, execCallId: string, chars: string, yieldMs: number): Promise<void> {
    const live = this.execs.get(execCallId);
    if (!live) {
      this.dispatch({ type: 'execFailed', callId, message: 'the command is no longer running' });
      return;
    }
    const since = Date.now();
    if (chars.length > 0 && !live.done) {
      try {
        await live.handle.write(chars);
      } catch (err) {
        this.dispatch({ type: 'execFailed', callId, message: `could not write to the command: ${describeLoss(err)}` });
        return;
      }
    }
    const r = await live.wait(yieldMs, since, this.turnAbort.signal);
    this.answerWait(callId, execCallId, r);
  }

  private async runReadFiles(callId: string, paths: string[]): Promise<void> {
    let files: FileMap;
    try {
      files = await this.host.readFiles(paths);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      files = Object.fromEntries(paths.map((p) => [p, { state: 'unreadable', reason } as const]));
    }
    this.dispatch({ type: 'filesRead', callId, files });
  }

  private async runReadImage(callId: string, file: string): Promise<void> {
    const type = IMAGE_TYPES[path.extname(file).toLowerCase()];
    if (!type) {
      this.dispatch({ type: 'imageRead', callId, error: `unsupported image type (use ${Object.keys(IMAGE_TYPES).join(', ')})` });
      return;
    }
    try {
      const stat = await fs.stat(file);
      if (!stat.isFile()) throw new Error('not a file');
      if (stat.size > MAX_IMAGE_BYTES) throw new Error(`the image is ${stat.size} bytes; the limit is ${MAX_IMAGE_BYTES}`);
      const bytes = await fs.readFile(file);
      this.dispatch({ type: 'imageRead', callId, dataUrl: `data:${type};base64,${bytes.toString('base64')}` });
    } catch (err) {
      this.dispatch({ type: 'imageRead', callId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async runApply(callId: string, changes: FileChange[]): Promise<void> {
    try {
      await this.host.applyChanges(changes);
      this.dispatch({ type: 'changesApplied', callId });
    } catch (err) {
      this.dispatch({ type: 'changesApplied', callId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async runReview(callId: string, proposal: ChangeProposal): Promise<void> {
    try {
      const review = await this.host.reviewChanges(proposal, this.turnAbort.signal);
      this.dispatch({ type: 'changesReviewed', callId, review });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const files = proposal.files.map((f) => ({ path: f.change.path, outcome: 'failed' as const, message }));
      this.dispatch({ type: 'changesReviewed', callId, review: { files } });
    }
  }

  private async runApproval(request: ApprovalRequest): Promise<void> {
    let answer: ApprovalAnswer;
    try {
      const got = await this.host.requestApproval(request, this.turnAbort.signal);
      answer = isAnswer(got) ? got : { decision: got };
    } catch (err) {
      answer = { decision: 'denied', message: `approval failed: ${err instanceof Error ? err.message : String(err)}` };
    }
    this.dispatch({ type: 'approvalDecided', requestId: request.requestId, decision: answer.decision, message: answer.message });
  }
}
