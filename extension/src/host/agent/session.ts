// The agent runner: one conversation. It owns a core `Session` (wasm) and carries out its effects with
// real I/O: the model stream, commands in the sidecar, files and approvals through the host, records
// in the session store. Shared by the CLI and VS Code; never imports `vscode`.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { coreGeneration, discardCore, isCoreTrap, loadCore, newCoreSession, requestBodyText, restoreCoreSession, type CoreSession } from '../core';
import { readInsideRoot } from '../workspace-read';
import { MAX_IMAGE_FILE_BYTES, prepareImage, type ImageDetail } from '../images';
import { ModelError, streamModel, type ModelEndpoint, type RetryInfo } from '../model';
import { prepareHttpClient } from '../model/http-request';
import type { ModelErrorKind } from '../model/errors';
import type { SessionStore } from '../sessions';
import type { ExecStartParams, SidecarClient } from '../sidecar';
import type { McpHub } from '../mcp/hub';
import { commandMayWrite, TurnCheckpoints } from './checkpoints';
import { rewindOutcome } from './rewind';
import { describeLoss, LiveExec, type WaitResult } from './live-exec';
import { sidecarShell } from './shell';
import { timingAdd, timingFlush, timingMark, timingOn } from './timing';
import { systemTimeZone } from './timezone';
import type {
  AgentConfig,
  AgentConfigInput,
  AgentHost,
  ApprovalAnswer,
  ApprovalRequest,
  ChangeProposal,
  EditorContext,
  Effect,
  FileChange,
  FileMap,
  RememberedApproval,
  SessionEvent,
  SessionRecord,
  ThreadEvent,
  ThreadItem,
  TurnResult,
  Usage,
} from './types';

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
  /**
   * Told, once per session, that a record could not be saved to the session file (a full disk,
   * say): the conversation goes on from memory, but the saved session lacks what was not written.
   * The conversation shows it too, as an error item.
   */
  onSaveFailed?: (message: string) => void;
  /** A model stream with no event for this long is stalled (default: the transport's). */
  streamIdleTimeoutMs?: number;
  /** Diagnostic lines (never secrets). */
  log?: (line: string) => void;
  /** The MCP servers whose tools the model gets (started at the first turn). */
  mcp?: McpHub;
  /** Record a checkpoint before each turn's first change, in this store (`$TACK_HOME/checkpoints`). */
  checkpoints?: { storeDir: string; maxStoreBytes?: number };
  /** How large view_image's images are sent ("high": 2048 px on the longest edge; "low": 768). */
  imageDetail?: ImageDetail;
  /**
   * workspace-write: have the sidecar make its first `.git` scan ahead of the first command (see
   * prepareSandbox), starting the sidecar for it if it is not running.
   * - `'start'`: when the session starts. VS Code's choice: its sidecar lives as long as the window
   *   and the person will run commands.
   * - `'model-wait'`: once a model request has been under way for PREPARE_AFTER_MS with no command
   *   started yet in the session, while the model thinks. `tack exec`'s choice: a run whose model
   *   answers at once, or that ends before, pays nothing for a sidecar's start and stop.
   */
  prepareSandbox?: 'start' | 'model-wait';
}

/**
 * How long a model request runs (until its stream ends) before `prepareSandbox: 'model-wait'`
 * starts the scan: longer than a scripted or local server takes to answer a short turn, far
 * shorter than a hosted model's time to its first token.
 */
const PREPARE_AFTER_MS = 50;
/** Output kept for a command item the host has to close itself (the tail; the UI saw it live). */
const MAX_CLOSING_OUTPUT = 64 * 1024;
/** How long the turn's end waits for its killed commands to be reported gone. */
const KILL_WAIT_MS = 5_000;
const ZERO_USAGE: Usage = { input_tokens: 0, cached_input_tokens: 0, output_tokens: 0, reasoning_output_tokens: 0 };

/**
 * Test hook: `TACK_TEST_TRAP_CORE_ON=<SessionEvent type>` (or `armCoreTrap` in-process) makes the next
 * such event reach the core with a corrupted session pointer, so the real wasm module traps ("memory
 * access out of bounds"). It lets the recovery path be tested end to end without a core bug.
 */
let trapOn: string | undefined = process.env.TACK_TEST_TRAP_CORE_ON || undefined;

/** For tests: the next event of this type makes the core trap (see TACK_TEST_TRAP_CORE_ON). */
export function armCoreTrap(eventType: SessionEvent['type']): void {
  trapOn = eventType;
}

type CommandItem = Extract<ThreadItem, { type: 'command_execution' }>;

/** Calls in a session file's history that have no output (the turn died between the two). */
function unansweredCalls(records: SessionRecord[]): Array<{ callId: string; outputType: string }> {
  const open = new Map<string, string>();
  for (const r of records) {
    const items = r.type === 'item' ? [r.item] : r.type === 'compacted' ? r.items : [];
    if (r.type === 'compacted') open.clear();
    for (const raw of items) {
      const it = raw as { type?: unknown; call_id?: unknown } | null;
      if (!it || typeof it.call_id !== 'string') continue;
      if (it.type === 'function_call') open.set(it.call_id, 'function_call_output');
      else if (it.type === 'custom_tool_call') open.set(it.call_id, 'custom_tool_call_output');
      else if (it.type === 'function_call_output' || it.type === 'custom_tool_call_output') open.delete(it.call_id);
    }
  }
  return [...open].map(([callId, outputType]) => ({ callId, outputType }));
}

/** Records that answer every call left open in a session file (see unansweredCalls). */
function answerOpenCalls(records: SessionRecord[]): SessionRecord[] {
  return unansweredCalls(records).map(({ callId, outputType }) => ({
    type: 'item',
    item: { type: outputType, call_id: callId, output: 'aborted: the turn ended before this call finished' },
  }));
}

function localDate(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/**
 * The shell commands run with, as an absolute path: $SHELL when it is one, else bash found on PATH.
 * The core runs exec_command scripts with exactly this shell and refuses any other the model names.
 */
export function defaultShell(env: NodeJS.ProcessEnv = process.env): string {
  // Windows: cmd always exists (AgentSession.create asks the sidecar for PowerShell first).
  if (process.platform === 'win32') return env.ComSpec ?? 'cmd.exe';
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
    // Tack has no OS sandbox on Windows (the sidecar's initialize says osSandbox: false there): the
    // core then asks before every command that is not known-safe (wasm-ui-core session/no_sandbox.rs).
    noOsSandbox: input.noOsSandbox ?? (process.platform === 'win32' ? true : undefined),
    currentDate: input.currentDate ?? localDate(new Date()),
    timezone: input.timezone ?? systemTimeZone(),
    writableRoots: input.writableRoots ?? [],
    network: input.network ?? false,
    agentsMd: input.agentsMd ?? [],
  };
}

/** An id for a session kept nowhere; node:crypto loads only then (a start-up does without it). */
function randomUuid(): string {
  return (require('node:crypto') as typeof import('node:crypto')).randomUUID();
}

function isAnswer(v: unknown): v is ApprovalAnswer {
  return typeof v === 'object' && v !== null && 'decision' in v;
}

export class AgentSession {
  readonly id: string;
  private core: CoreSession;
  /** The core instance generation `core` belongs to (see core.ts). */
  private coreGen: number;
  /** Set from a core trap until the session is reloaded: events for the dead core are dropped. */
  private broken = false;
  private reloading: Promise<void> | undefined;
  /** Command items started in this turn and not yet completed, with their live output. */
  private readonly openCommands = new Map<string, { item: CommandItem; output: string }>();
  /** Command items the host closed itself; a later completion from the core is not shown twice. */
  private readonly closedByHost = new Set<string>();
  private readonly host: AgentHost;
  private readonly sidecar: SidecarClient;
  private readonly endpoint: ModelEndpoint;
  private readonly store?: SessionStore;
  private readonly onRetry?: (info: RetryInfo) => void;
  private readonly streamIdleTimeoutMs?: number;
  private readonly log: (line: string) => void;
  /** A record of this session failed to save (said once). */
  private saveFailed = false;
  private readonly onSaveFailed: ((message: string) => void) | undefined;
  /** The caller's log, unset when there is none: the transport then builds no per-request lines. */
  private readonly debug?: (line: string) => void;
  private readonly config: AgentConfig;
  private readonly checkpoints?: TurnCheckpoints;
  private readonly imageDetail: ImageDetail;

  /** The model request in flight: aborted on cancel; its events are dropped once it is not current. */
  private model: { abort: AbortController; generation: number } | undefined;
  /** `prepareSandbox: 'model-wait'` and neither a scan asked for nor a command started yet. */
  private prepareWhileWaiting: boolean;
  private generation = 0;
  /** Commands by the call that started them (kept while they run, for write_stdin and kill). */
  private readonly execs = new Map<string, LiveExec>();
  /** Aborted when the turn ends: stops waits, reviews and approvals still open. */
  private turnAbort = new AbortController();
  private pendingWrites: Promise<unknown> = Promise.resolve();
  private turnDone: ((r: TurnResult) => void) | undefined;
  private lastMessage: string | undefined;
  private readonly mcp?: McpHub;
  /** The tool list last given to the core (JSON), so unchanged lists are not sent again. */
  private mcpToolsSent = '';
  private mcpProblemsShown = false;
  /** Set by `interrupt` while the turn waits for the MCP servers to start. */
  private interruptPending = false;
  private nextHostItem = 0;
  private mcpUnsubscribe: (() => void) | undefined;

  private constructor(opts: AgentSessionOptions, id: string, core: CoreSession, config: AgentConfig) {
    this.id = id;
    this.core = core;
    this.coreGen = coreGeneration();
    this.config = config;
    this.host = opts.host;
    this.sidecar = opts.sidecar;
    this.endpoint = opts.endpoint;
    this.store = opts.store;
    this.onRetry = opts.onRetry;
    this.onSaveFailed = opts.onSaveFailed;
    this.streamIdleTimeoutMs = opts.streamIdleTimeoutMs;
    this.log = opts.log ?? (() => undefined);
    this.debug = opts.log;
    this.mcp = opts.mcp;
    this.imageDetail = opts.imageDetail ?? 'high';
    // A server's tool list changed (list_changed, a restart): the next request offers the new one.
    this.mcpUnsubscribe = this.mcp?.onChange(() => {
      if (!this.broken && !this.reloading && this.mcpToolsSent !== '') this.syncMcpTools();
    });
    if (opts.checkpoints) {
      this.checkpoints = new TurnCheckpoints({
        sidecar: opts.sidecar,
        storeDir: opts.checkpoints.storeDir,
        root: config.cwd,
        session: id,
        ...(opts.checkpoints.maxStoreBytes ? { maxStoreBytes: opts.checkpoints.maxStoreBytes } : {}),
        log: this.log,
        onCreated: (checkpointId) => {
          this.emitToHost({ type: 'checkpoint.created', id: checkpointId });
          if (this.store) this.track(this.store.append(this.id, { type: 'checkpoint', id: checkpointId }));
        },
      });
    }
    const scans = config.sandboxMode === 'workspace-write' && !config.noOsSandbox;
    this.prepareWhileWaiting = scans && opts.prepareSandbox === 'model-wait';
    if (scans && opts.prepareSandbox === 'start') this.prepareSandbox();
  }

  /**
   * workspace-write: the sidecar looks for `.git` entries in the whole workspace before and after
   * every command, and its first look walks every directory (a noticeable fraction of a second in a
   * workspace with node_modules; later looks cost little). `sandbox/prepare` makes that walk now,
   * while the person writes and the first model request is under way, for the roots the core gives
   * every command (cwd, then the extra roots). Nothing waits for it, and a failure only costs the
   * first command the walk.
   */
  private prepareSandbox(): void {
    this.prepareWhileWaiting = false;
    const writableRoots = [this.config.cwd, ...this.config.writableRoots];
    this.sidecar.prepareSandbox({ writableRoots }).then(
      (r) => {
        timingMark('sandbox prepared');
        if (r.scanned && !r.complete) this.log(`sandbox/prepare: the .git scan of ${writableRoots.join(', ')} stopped at its directory or depth limit`);
      },
      (e: unknown) => this.log(`sandbox/prepare failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  private syncMcpTools(): void {
    if (!this.mcp) return;
    const tools = this.mcp.toolSpecs();
    const json = JSON.stringify(tools);
    if (json === this.mcpToolsSent) return;
    this.mcpToolsSent = json;
    this.dispatch({ type: 'mcpTools', tools });
  }

  /** An error item the host shows itself (MCP start-up problems). */
  private showHostError(message: string): void {
    this.emitToHost({ type: 'item.completed', item: { id: `host_${this.nextHostItem++}`, type: 'error', message } });
  }

  private async runMcp(callId: string, server: string, tool: string, args: unknown): Promise<void> {
    if (!this.mcp) {
      this.dispatch({ type: 'mcpResult', callId, error: 'MCP servers are not available in this session' });
      return;
    }
    const signal = this.turnAbort.signal;
    try {
      const result = await this.mcp.call(server, tool, args, signal);
      this.dispatch({ type: 'mcpResult', callId, result: result as never });
    } catch (e) {
      if (signal.aborted) return;
      this.dispatch({ type: 'mcpResult', callId, error: e instanceof Error ? e.message : String(e) });
    }
  }

  static async create(opts: AgentSessionOptions): Promise<AgentSession> {
    if (opts.config.wire !== opts.endpoint.wire) {
      throw new Error(`the config's wire (${opts.config.wire}) and the endpoint's wire (${opts.endpoint.wire}) differ`);
    }
    if (opts.resumeId !== undefined) {
      if (!opts.store) throw new Error('resuming a session needs a session store');
      const records = (await opts.store.read(opts.resumeId)) as SessionRecord[];
      const config = completeConfig({ ...opts.config, shell: opts.config.shell ?? (await sidecarShell(opts.sidecar)) }, opts.resumeId);
      // A process that died mid-turn (killed, crashed) can leave calls without outputs.
      const repairs = answerOpenCalls(records);
      for (const r of repairs) await opts.store.append(opts.resumeId, r);
      const session = restoreCoreSession(config, [...records, ...repairs]);
      return new AgentSession(opts, opts.resumeId, session, config);
    }
    const created = opts.store ? opts.store.createSession({ cwd: opts.config.cwd, model: opts.config.model }) : Promise.resolve(randomUuid());
    created.catch(() => undefined); // awaited below; a failure is thrown there
    // The wasm core compiles while the session file is being created (both are needed before the
    // first request; the file's I/O runs on libuv's threads), and the model's HTTP client loads.
    loadCore();
    prepareHttpClient(opts.endpoint.baseUrl);
    timingMark('wasm core loaded');
    const id = await created;
    timingMark('session file created');
    const config = completeConfig({ ...opts.config, shell: opts.config.shell ?? (await sidecarShell(opts.sidecar)) }, id);
    timingMark('config complete');
    const core = newCoreSession(config);
    timingMark('core session made');
    return new AgentSession(opts, id, core, config);
  }

  get agentConfig(): AgentConfig {
    return this.config;
  }

  get running(): boolean {
    return this.turnDone !== undefined;
  }

  /** The kind of the model error that ended the last turn, if one did (for the chat's advice). */
  lastModelErrorKind: ModelErrorKind | undefined;

  /**
   * Runs one turn to its end (completed, interrupted or failed). `images` are `data:` URLs made by
   * `prepareImage` (host/images.ts); they go in the user message after the text.
   */
  submit(text: string, editorContext?: EditorContext, images?: string[]): Promise<TurnResult> {
    if (this.turnDone) return Promise.reject(new Error('a turn is already running'));
    if (this.reloading || this.broken || this.coreGen !== coreGeneration()) {
      // The core trapped (here or in another session of this process): continue on a fresh one.
      return (this.reloading ?? this.reload()).then(() => this.submit(text, editorContext, images));
    }
    this.openCommands.clear();
    this.closedByHost.clear();
    this.turnAbort = new AbortController();
    this.lastMessage = undefined;
    this.lastModelErrorKind = undefined;
    this.checkpoints?.startTurn(text);
    const done = new Promise<TurnResult>((resolve) => (this.turnDone = resolve));
    if (this.store && text.trim() !== '') {
      // The first request names the session; follow-ups do not rename it.
      this.track(this.store.setTitle(this.id, text.trim().slice(0, 80), { onlyIfUnset: true }).catch(() => undefined));
    }
    const mcp = this.mcp;
    if (!mcp) {
      this.dispatch({ type: 'userInput', text, editorContext, ...(images && images.length > 0 ? { images } : {}) });
      return done;
    }
    // Every server starts (in parallel) before the first request, so the model sees their tools.
    this.interruptPending = false;
    void mcp.startAll().then((problems) => {
      this.syncMcpTools();
      this.dispatch({ type: 'userInput', text, editorContext, ...(images && images.length > 0 ? { images } : {}) });
      if (!this.mcpProblemsShown) {
        this.mcpProblemsShown = true;
        for (const p of problems) this.showHostError(p);
      }
      if (this.interruptPending) this.dispatch({ type: 'interrupt' });
    });
    return done;
  }

  /** Ends the running turn promptly: aborts the model request, kills commands, answers pending calls. */
  interrupt(): void {
    this.interruptPending = true;
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

  /** How many messages the person typed in this session: the number the next one gets. */
  typedMessages(): number {
    return this.core.typedMessages();
  }

  /**
   * The number the chat shows the last typed message under (what its "Restore checkpoint" rewinds
   * to): its own, or for a Retry of a failed turn's message, that message's — as the replay numbers it.
   */
  lastMessageEntry(): number | undefined {
    return this.core.lastMessageEntry();
  }

  /** Records in the session file that checkpoint files were restored, with the notice the chat showed. */
  async recordFilesRestored(checkpoint: string, text: string): Promise<void> {
    if (this.store) this.track(this.store.append(this.id, { type: 'filesRestored', checkpoint, text }));
    await this.pendingWrites;
  }

  /**
   * Rewinds the conversation to just before the person's `toUserMessage`-th typed message (0-based;
   * the core's `rewind` event, recorded in the session file): the next request sends the history up
   * to there plus the new message. Resolves with that message's text once the file has the record;
   * rejects with the core's reason when it refuses (nothing is changed then).
   */
  async rewindConversation(toUserMessage: number): Promise<string> {
    if (this.turnDone) throw new Error('Cannot rewind the conversation while a turn is running; stop it first.');
    if (this.reloading || this.broken || this.coreGen !== coreGeneration()) await (this.reloading ?? this.reload());
    const effects = this.core.handle({ type: 'rewind', toUserMessage } satisfies SessionEvent) as Effect[];
    const result = rewindOutcome(effects);
    // A refusal is the caller's to show (it changed nothing); an accepted rewind is recorded.
    if (typeof result !== 'string') throw new Error(result.refused);
    for (const e of effects) this.perform(e);
    await this.pendingWrites;
    return result;
  }

  /** Stops every command this session started (for shutdown). */
  async dispose(): Promise<void> {
    this.mcpUnsubscribe?.();
    this.interrupt();
    await this.killAll();
    await this.pendingWrites;
  }

  /** Kills every command this session still has running and waits (bounded) until each is gone. */
  private killAll(): Promise<void> {
    const running = [...this.execs.values()];
    this.execs.clear();
    return Promise.allSettled(
      running.map(async (live) => {
        if (live.done) return;
        await live.handle.kill().catch(() => undefined);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([live.handle.exited.catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, KILL_WAIT_MS)))]);
        clearTimeout(timer);
      }),
    ).then(() => undefined);
  }

  /**
   * Completes (failed) every command item of the turn still open, so no `item.started` stays without
   * its `item.completed`. Their processes are killed with the turn (`killAll`).
   */
  private closeOpenCommands(): void {
    for (const [id, open] of this.openCommands) {
      this.closedByHost.add(id);
      const note = '[the command was still running when the turn ended; it was stopped]';
      const item: CommandItem = { ...open.item, status: 'failed', aggregated_output: open.output === '' ? note : `${open.output}\n${note}` };
      this.emitToHost({ type: 'item.completed', item });
    }
    this.openCommands.clear();
  }

  private emitToHost(event: ThreadEvent): void {
    this.noteEvent(event);
    try {
      this.host.emit(event);
    } catch (err) {
      this.log(`host.emit failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * The core trapped: its instance (shared by every session of the process) is dead. The turn ends
   * as failed, with what the person needs to know; the session is reloaded from its file on a fresh
   * instance so the conversation can go on.
   */
  private coreFailed(err: unknown, event: SessionEvent): void {
    if (this.broken) return;
    this.broken = true;
    if (this.coreGen === coreGeneration()) discardCore();
    const what = err instanceof Error ? err.message : String(err);
    const message =
      `Tack's core failed while handling ${event.type} (${what}). The turn was stopped; ` +
      (this.store ? 'the session was reloaded from its file, so you can continue.' : 'the conversation so far could not be kept.');
    this.log(`core trap: ${what}`);
    this.model?.abort.abort();
    this.model = undefined;
    this.turnAbort.abort();
    const done = this.turnDone;
    this.turnDone = undefined;
    if (done) {
      this.closeOpenCommands();
      this.emitToHost({ type: 'turn.failed', error: { message } });
      if (this.store) this.track(this.store.append(this.id, { type: 'turnEnded', status: 'failed', usage: ZERO_USAGE, error: message }));
    }
    const kills = this.killAll();
    const reloaded = this.reload();
    void Promise.allSettled([kills, reloaded]).then(() => done?.({ status: 'failed', usage: ZERO_USAGE, error: message, finalMessage: this.lastMessage }));
  }

  /** A fresh core Session from the session file (or an empty one without a store). */
  private reload(): Promise<void> {
    const run = async () => {
      await this.pendingWrites;
      if (this.coreGen === coreGeneration() && !this.broken) return;
      let core: CoreSession | undefined;
      if (this.store) {
        try {
          const records = (await this.store.read(this.id)) as SessionRecord[];
          // Calls the dead turn left without an answer get one, so the next request is well formed.
          const repairs = answerOpenCalls(records);
          for (const r of repairs) await this.store.append(this.id, r);
          core = restoreCoreSession(this.config, [...records, ...repairs]);
        } catch (e) {
          this.log(`could not reload the session from its file: ${e instanceof Error ? e.message : String(e)}; starting afresh`);
          if (isCoreTrap(e)) discardCore();
        }
      }
      this.core = core ?? newCoreSession(this.config);
      this.coreGen = coreGeneration();
      this.broken = false;
    };
    const p = run().finally(() => {
      if (this.reloading === p) this.reloading = undefined;
    });
    this.reloading = p;
    return p;
  }

  private track(p: Promise<unknown>): void {
    if (timingOn) {
      const t0 = performance.now();
      void p.finally(() => timingAdd('session file write (start to done)', performance.now() - t0)).catch(() => undefined);
    }
    // Handled at once: a write that fails (a full disk) rejects every record of its batch together,
    // and a rejection that waited for the chain below to reach it was an unhandled one.
    const settled = p.then(
      () => undefined,
      (e: unknown) => {
        // The conversation goes on (its state is in memory), but its file now lacks a record: said
        // once per session rather than for every record of a full disk.
        if (this.saveFailed) return;
        this.saveFailed = true;
        const reason = e instanceof Error ? e.message : String(e);
        const message = `session ${this.id}: a record could not be saved (${reason}); the conversation goes on, but the saved session lacks it, and resuming it later will not show it`;
        this.log(message);
        // In the conversation itself, where the person is looking (the chat, `tack exec`'s output
        // and its --json events); the host may say it elsewhere as well (onSaveFailed).
        this.showHostError(`This conversation could not be saved: ${reason}. It goes on, but the saved session lacks what was not written, and resuming it later will not show that.`);
        try {
          this.onSaveFailed?.(message);
        } catch {
          // A listener's failure must not become the write's.
        }
      },
    );
    this.pendingWrites = this.pendingWrites.then(() => settled);
  }

  /**
   * Feeds one event to the core and carries out the effects. Never throws. `modelText` is a model
   * event's JSON text as the server sent it, handed to the core as it is (`event.data` is its parse).
   */
  private dispatch(event: SessionEvent, modelText?: string): void {
    if (this.broken || this.reloading) return; // the turn already failed; the core is being replaced
    if (this.coreGen !== coreGeneration()) {
      // Another session's trap replaced the instance this core lived in.
      this.coreFailed(new Error('the core was restarted after a failure in another conversation'), event);
      return;
    }
    if (trapOn !== undefined && event.type === trapOn) {
      trapOn = undefined;
      (this.core.raw as unknown as { __wbg_ptr: number }).__wbg_ptr = 0x7ffffff8;
    }
    let effects: Effect[];
    const t0 = timingOn ? performance.now() : 0;
    try {
      effects = modelText !== undefined ? this.core.handleModelEvent(modelText) : this.core.handle(event);
      if (timingOn) timingAdd(`core.handle ${event.type}`, performance.now() - t0);
    } catch (err) {
      if (isCoreTrap(err)) {
        this.coreFailed(err, event);
        return;
      }
      this.log(`core rejected ${event.type}: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    for (const effect of effects) this.perform(effect);
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'modelRequest':
        void this.runModel(requestBodyText(effect) ?? (effect.body as object));
        return;
      case 'cancelModel':
        this.model?.abort.abort();
        this.model = undefined;
        return;
      case 'exec':
        void this.runExec(effect.callId, effect.params, effect.yieldTimeMs);
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
      case 'mcpCall':
        void this.runMcp(effect.callId, effect.server, effect.tool, effect.arguments);
        return;
      case 'emit': {
        const event = effect.event;
        if (event.type === 'item.completed' && this.closedByHost.has(event.item.id)) return;
        // Commands the core leaves open at the end of the turn are closed (and killed) here.
        if (event.type === 'turn.completed' || event.type === 'turn.failed') this.closeOpenCommands();
        this.emitToHost(event);
        return;
      }
      case 'persist':
        if (this.store) this.track(this.store.append(this.id, effect.record));
        return;
      case 'turnEnded': {
        const done = this.turnDone;
        this.turnDone = undefined;
        this.turnAbort.abort();
        this.closeOpenCommands();
        const result: TurnResult = { status: effect.status, usage: effect.usage, error: effect.error, finalMessage: this.lastMessage };
        // Resolve once the session file has every record of the turn and its commands are gone.
        const kills = this.killAll();
        // Once its commands are gone, the state the turn left is recorded with its checkpoint.
        const ended = kills.then(() => this.checkpoints?.endTurn());
        void Promise.all([ended, this.pendingWrites]).then(() => done?.(result));
        return;
      }
    }
  }

  private noteEvent(event: ThreadEvent): void {
    if (event.type === 'item.completed' && event.item.type === 'agent_message') this.lastMessage = event.item.text;
    if ((event.type === 'item.started' || event.type === 'item.updated') && event.item.type === 'command_execution') {
      this.openCommands.set(event.item.id, { item: event.item, output: this.openCommands.get(event.item.id)?.output ?? '' });
    } else if (event.type === 'item.delta') {
      const open = this.openCommands.get(event.item_id);
      if (open) {
        open.output += event.delta;
        if (open.output.length > MAX_CLOSING_OUTPUT) open.output = open.output.slice(open.output.length - MAX_CLOSING_OUTPUT);
      }
    } else if (event.type === 'item.completed') {
      this.openCommands.delete(event.item.id);
    }
  }

  private async runModel(body: object | string): Promise<void> {
    this.model?.abort.abort();
    const generation = ++this.generation;
    const abort = new AbortController();
    this.model = { abort, generation };
    const current = () => this.model?.generation === generation;
    timingFlush();
    timingMark('model request');
    let first = true;
    const prepare = this.prepareWhileWaiting ? setTimeout(() => this.prepareWhileWaiting && this.prepareSandbox(), PREPARE_AFTER_MS) : undefined;
    try {
      for await (const item of streamModel(this.endpoint, body, { signal: abort.signal, onRetry: this.onRetry, idleTimeoutMs: this.streamIdleTimeoutMs, debug: this.debug, model: this.config.model })) {
        if (!current()) return;
        if (first) {
          first = false;
          timingMark('first model event');
        }
        if (item.type === 'event') this.dispatch({ type: 'modelEvent', data: item.data as never }, item.text);
        else this.dispatch({ type: 'modelStreamRestarted' });
      }
      if (!current()) return;
      this.model = undefined;
      timingMark('model stream ended');
      this.dispatch({ type: 'modelStreamEnded' });
    } catch (err) {
      if (!current()) return;
      this.model = undefined;
      const message = err instanceof Error ? err.message : String(err);
      const retryable = err instanceof ModelError ? err.retryable : false;
      this.lastModelErrorKind = err instanceof ModelError ? err.kind : undefined;
      this.dispatch({ type: 'modelFailed', message, retryable });
    } finally {
      clearTimeout(prepare);
    }
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

  /** `params` are the sidecar's own `exec/start` params, built by the core: they go as they are. */
  private async runExec(callId: string, params: ExecStartParams, yieldTimeMs: number | undefined): Promise<void> {
    const since = Date.now();
    const signal = this.turnAbort.signal;
    let live: LiveExec | undefined;
    // Output can arrive before the start answer is handled: keep it until `live` exists.
    const early: string[] = [];
    timingMark('exec effect');
    // The command's own scan comes first now.
    this.prepareWhileWaiting = false;
    if (this.checkpoints && commandMayWrite(params, this.config.shell)) await this.checkpoints.beforeChange();
    timingMark('exec: checkpoint ready');
    try {
      const handle = await this.sidecar.exec(params, (n) => {
        if (live) live.push(n.text);
        else early.push(n.text);
        this.dispatch({ type: 'execOutput', callId, chunk: n.text });
      });
      timingMark('exec: started (sidecar answered)');
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
    const r = await live.wait(yieldTimeMs, since, signal);
    timingMark(`exec: ${r.kind}`);
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
    // Only files inside the workspace, regular, within the cap: a symlinked logo.png must not carry
    // /proc/self/environ or ~/.ssh/id_rsa to the model (and into the session file).
    const read = readInsideRoot(this.config.cwd, file, { maxBytes: MAX_IMAGE_FILE_BYTES });
    if (!read.ok) {
      this.dispatch({ type: 'imageRead', callId, error: read.reason });
      return;
    }
    // Decoded by content and shrunk by the sidecar: what is not an image is refused there.
    try {
      const img = await prepareImage(this.sidecar, read.bytes, this.imageDetail);
      this.dispatch({ type: 'imageRead', callId, dataUrl: img.dataUrl });
    } catch (err) {
      this.dispatch({ type: 'imageRead', callId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async runApply(callId: string, changes: FileChange[]): Promise<void> {
    try {
      await this.checkpoints?.beforeChange();
      await this.host.applyChanges(changes);
      this.dispatch({ type: 'changesApplied', callId });
    } catch (err) {
      this.dispatch({ type: 'changesApplied', callId, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async runReview(callId: string, proposal: ChangeProposal): Promise<void> {
    try {
      await this.checkpoints?.beforeChange();
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
