// `tack mcp-server`: Tack as a Model Context Protocol server on stdio, so other agents and editors can
// delegate a task to it. Two tools, shaped like Codex's `codex` / `codex-reply`: `tack` starts a task
// (one session with its own sidecar, the same harness as `tack exec`) and `tack-reply` continues one.
// Progress goes out as `notifications/progress` (when the call carried a progressToken) and every
// thread event as a logging notification; `notifications/cancelled` interrupts the turn and kills its
// commands. Approvals become elicitations when the client supports them; otherwise they are declined
// and the model is told why. stdout carries the protocol only: diagnostics go to stderr.
import path from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import {
  APPROVAL_POLICIES,
  resolveModel,
  SANDBOX_MODES,
  SetupError,
  startHeadlessTask,
  taskDirectory,
  type ApprovalAnswer,
  type ApprovalPolicy,
  type ApprovalRequest,
  type HeadlessTask,
  type ModelChoice,
  type SandboxModeName,
  type ThreadEvent,
  type ThreadItem,
  type TurnResult,
} from '../host/agent';
import { loadCore } from '../host/core';
import { PROVIDER_IDS, type ProviderId } from '../host/model';
import { defaultSessionsDir, SessionStore } from '../host/sessions';
import { argvText, canRememberApproval, networkText, rememberText, sandboxText } from '../shared/approval-text';
import { reveal } from '../shared/display';
import { MODEL_OPTIONS, modelOptions, parseCommandLine, UsageError, type ModelOptions } from './args';
import { forJson, printable } from './exec';

const USAGE = `Usage: tack mcp-server [options]

Serves Tack as an MCP server on stdin/stdout (one JSON-RPC message per line), for agents and editors
that delegate tasks. Tools: \`tack\` (start a task) and \`tack-reply\` (continue it). The API key comes
from the environment, as for \`tack exec\`; it never appears in results or notifications.

Options (defaults for every task; a call's own arguments win where the tool has one):
  --provider P               openai, azure, openrouter, ollama, lmstudio, vllm, llamacpp, custom
                             (default: $TACK_PROVIDER)
  --model M                  model name (default: $TACK_MODEL, else as for tack exec)
  --base-url URL             API base URL (default: the provider's, else $OPENAI_BASE_URL)
  --wire responses|chat      which API to speak (default: the provider's, else responses)
  --api-key-env NAME         read the API key from $NAME (default: the provider's, else OPENAI_API_KEY)
  --reasoning-effort E       minimal | low | medium | high
  --context-window N         the model's context window in tokens (enables compaction)
  --max-output-tokens N      the most tokens one model response may produce
  -h, --help                 this help

Defaults per task: sandbox workspace-write; approval policy untrusted when the client can answer
elicitations (each command not known to be safe is shown to the person), else never (commands run in
the sandbox, nothing is asked). A policy that asks, when the client cannot answer, declines each request
and tells the model why. See docs/mcp-server.md.
`;

/** How long an approval question waits for the person before it counts as declined. */
const APPROVAL_TIMEOUT_MS = 15 * 60_000;
/** Sessions kept for tack-reply beyond this many idle ones are closed, oldest first. */
const MAX_IDLE_SESSIONS = 16;
/** Longest prompt or instructions accepted (characters). */
const MAX_TEXT = 1_000_000;

/** A tool call's arguments are wrong: the message goes back as the tool's error result. */
export class ArgumentError extends Error {}

/** `tack mcp-server`'s options (see USAGE): the model options `tack exec` has too. */
type ServerOptions = ModelOptions;

function parseServerArgs(args: string[]): ServerOptions | 'help' {
  const line = parseCommandLine(args, MODEL_OPTIONS);
  return line === 'help' ? line : modelOptions(line.values);
}

// ---- The tools ---------------------------------------------------------------------------------

const RESULT_SCHEMA: Tool['outputSchema'] = {
  type: 'object',
  properties: {
    threadId: { type: 'string', description: 'The session id; pass it to tack-reply.' },
    sessionId: { type: 'string', description: 'The same id, under the name tack-reply takes.' },
    content: { type: 'string', description: "The turn's last message from the agent." },
    status: { type: 'string', enum: ['completed', 'failed', 'interrupted'] },
    error: { type: 'string', description: 'Why the turn failed, when it did.' },
  },
  required: ['threadId', 'sessionId', 'content', 'status'],
};

const TACK_TOOL: Tool = {
  name: 'tack',
  title: 'Tack: run a coding task',
  description:
    'Runs a coding task with Tack in a directory: the agent reads files, runs commands in a sandbox and edits files, then answers. ' +
    'Returns its final message and a sessionId for tack-reply.',
  inputSchema: {
    type: 'object',
    properties: {
      prompt: { type: 'string', description: 'The task, as you would type it to a coding agent.' },
      cwd: { type: 'string', description: "The working directory (absolute, or relative to the server's). Default: the server's." },
      sandbox: { type: 'string', enum: [...SANDBOX_MODES], description: 'What commands may touch. Default: workspace-write.' },
      'approval-policy': {
        type: 'string',
        enum: [...APPROVAL_POLICIES],
        description: 'When the person is asked before a command runs (through elicitation). Default: untrusted when the client supports elicitation, else never.',
      },
      model: { type: 'string', description: "The model name. Default: the server's." },
      provider: { type: 'string', enum: [...PROVIDER_IDS], description: "Who serves the model (a preset). Default: the server's." },
      profile: { type: 'string', enum: [...PROVIDER_IDS], description: 'The same as provider (the name Codex callers use).' },
      'base-instructions': { type: 'string', description: "Replaces Tack's base instructions for this session." },
    },
    required: ['prompt'],
    additionalProperties: false,
  },
  outputSchema: RESULT_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
};

const REPLY_TOOL: Tool = {
  name: 'tack-reply',
  title: 'Tack: continue a task',
  description: 'Continues a Tack session started by the tack tool in this server: the agent sees the whole conversation so far.',
  inputSchema: {
    type: 'object',
    properties: {
      sessionId: { type: 'string', description: 'The sessionId (or threadId) a tack call returned.' },
      threadId: { type: 'string', description: 'The same as sessionId (the name Codex callers use).' },
      prompt: { type: 'string', description: 'The next message to the agent.' },
    },
    required: ['prompt'],
    additionalProperties: false,
  },
  outputSchema: RESULT_SCHEMA,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
};

interface TackArgs {
  prompt: string;
  cwd?: string;
  sandbox?: SandboxModeName;
  approval?: ApprovalPolicy;
  model?: string;
  provider?: ProviderId;
  baseInstructions?: string;
}

function argsObject(raw: unknown, allowed: string[]): Record<string, unknown> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ArgumentError('the arguments must be a JSON object');
  const obj = raw as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (unknown.length) throw new ArgumentError(`unknown argument${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `'${k}'`).join(', ')}; accepted: ${allowed.join(', ')}`);
  return obj;
}

function text(obj: Record<string, unknown>, key: string, required: boolean): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) throw new ArgumentError(`'${key}' is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ArgumentError(`'${key}' must be a string, not ${Array.isArray(v) ? 'an array' : typeof v}`);
  if (v.length > MAX_TEXT) throw new ArgumentError(`'${key}' is too long (${v.length} characters; at most ${MAX_TEXT})`);
  if (required && v.trim() === '') throw new ArgumentError(`'${key}' must not be empty`);
  return v;
}

function oneOf<T extends string>(obj: Record<string, unknown>, key: string, values: readonly T[]): T | undefined {
  const v = text(obj, key, false);
  if (v === undefined) return undefined;
  if (!(values as readonly string[]).includes(v)) throw new ArgumentError(`'${key}' must be one of ${values.join(', ')}, not '${v}'`);
  return v as T;
}

export function parseTackArgs(raw: unknown): TackArgs {
  const obj = argsObject(raw, Object.keys(TACK_TOOL.inputSchema.properties ?? {}));
  const provider = oneOf(obj, 'provider', PROVIDER_IDS);
  const profile = oneOf(obj, 'profile', PROVIDER_IDS);
  if (provider && profile && provider !== profile) throw new ArgumentError(`'provider' (${provider}) and 'profile' (${profile}) disagree; give one`);
  const model = text(obj, 'model', false);
  if (model !== undefined && model.trim() === '') throw new ArgumentError("'model' must not be empty");
  return {
    prompt: text(obj, 'prompt', true)!,
    cwd: text(obj, 'cwd', false),
    sandbox: oneOf(obj, 'sandbox', SANDBOX_MODES),
    approval: oneOf(obj, 'approval-policy', APPROVAL_POLICIES),
    model: model?.trim(),
    provider: provider ?? profile,
    baseInstructions: text(obj, 'base-instructions', false),
  };
}

export function parseReplyArgs(raw: unknown): { sessionId: string; prompt: string } {
  const obj = argsObject(raw, Object.keys(REPLY_TOOL.inputSchema.properties ?? {}));
  const sessionId = text(obj, 'sessionId', false);
  const threadId = text(obj, 'threadId', false);
  if (sessionId && threadId && sessionId !== threadId) throw new ArgumentError("'sessionId' and 'threadId' disagree; give one");
  const id = (sessionId ?? threadId)?.trim();
  if (!id) throw new ArgumentError("'sessionId' is required (the id a tack call returned)");
  return { sessionId: id, prompt: text(obj, 'prompt', true)! };
}

// ---- Events out ----------------------------------------------------------------------------------

/** One short line for a progress notification, or nothing for events not worth one. */
function progressLine(event: ThreadEvent): string | undefined {
  const oneLine = (s: string, max = 200) => {
    const first = reveal(s.split('\n')[0] ?? '', { singleLine: true });
    return first.length > max ? `${first.slice(0, max)}...` : first;
  };
  const item = (i: ThreadItem, done: boolean): string | undefined => {
    switch (i.type) {
      case 'command_execution':
        if (!done) return `running: ${oneLine(i.command)}`;
        return i.status === 'declined' ? `declined: ${oneLine(i.command)}` : `ran: ${oneLine(i.command)}${i.exit_code === undefined ? '' : ` (exit ${i.exit_code})`}`;
      case 'file_change':
        return done ? `edit ${i.status}: ${i.changes.map((c) => oneLine(c.move_path ?? c.path, 100)).join(', ')}` : undefined;
      case 'agent_message':
        return done ? `message: ${oneLine(i.text)}` : undefined;
      case 'todo_list':
        return `plan: ${i.items.filter((t) => t.status === 'completed').length}/${i.items.length} done`;
      case 'error':
        return `error: ${oneLine(i.message)}`;
      default:
        return undefined;
    }
  };
  switch (event.type) {
    case 'turn.started':
      return 'turn started';
    case 'item.started':
      return item(event.item, false);
    case 'item.completed':
      return item(event.item, true);
    case 'turn.completed':
      return 'turn completed';
    case 'turn.failed':
      return `turn failed: ${oneLine(event.error.message)}`;
    default:
      return undefined;
  }
}

const KIND_TEXT: Record<ApprovalRequest['kind'], string> = {
  exec: 'run a command',
  escalate: 'run a command OUTSIDE the sandbox',
  retryUnsandboxed: 'run again WITHOUT the sandbox a command the sandbox blocked',
  mcpTool: 'call a tool of an MCP server',
};

/**
 * The question shown to the person: the exact command (the script as the model wrote it, and the argv
 * that runs), its directory, sandbox, network and reason, and what "for this session" would cover.
 * Hidden characters are shown as escapes (shared/display.ts); the words are the chat card's
 * (shared/approval-text.ts).
 */
export function approvalMessage(req: ApprovalRequest, sessionId: string): string {
  const one = (s: string) => reveal(s, { singleLine: true });
  const lines = [
    `Tack (session ${one(sessionId)}) asks to ${KIND_TEXT[req.kind] ?? 'run a command'}:`,
    '',
    reveal(req.command),
    '',
    ...(req.argv.length > 0 ? [`runs: ${one(argvText(req.argv))}`] : []),
    `cwd: ${one(req.cwd)}`,
    `sandbox: ${sandboxText(req.sandbox)}; network ${networkText(req.sandbox)}`,
  ];
  const extraRoots = req.sandbox.writableRoots.filter((r) => r !== req.cwd);
  if (req.sandbox.mode === 'workspace-write' && extraRoots.length) lines.push(`also writable: ${extraRoots.map(one).join(', ')}`);
  if (req.reason) lines.push(`reason: ${reveal(req.reason)}`);
  if (canRememberApproval(req)) lines.push(`"Allow for this session" ${one(rememberText(req.remember))}.`);
  lines.push('', 'Accept runs it; decline does not.');
  return lines.join('\n');
}

/** The form of the approval elicitation: one optional boolean when the command can be remembered. */
export function approvalForm(req: ApprovalRequest): { type: 'object'; properties: Record<string, { type: 'boolean'; title: string; description: string; default: boolean }> } {
  if (!canRememberApproval(req)) return { type: 'object', properties: {} };
  return {
    type: 'object',
    properties: {
      forSession: {
        type: 'boolean',
        title: 'Allow for this session',
        description: reveal(rememberText(req.remember), { singleLine: true }),
        default: false,
      },
    },
  };
}

// ---- The server -----------------------------------------------------------------------------------

interface OpenTask {
  task: HeadlessTask;
  /** Where the events of the call now running go. */
  sink?: (event: ThreadEvent) => void;
  running: boolean;
  lastUsed: number;
}

export async function mcpServerCommand(args: string[]): Promise<number> {
  let opts: ServerOptions | 'help';
  try {
    opts = parseServerArgs(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tack mcp-server: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const serverOpts = opts;
  const log = (line: string) => process.stderr.write(`tack mcp-server: ${line}\n`);
  const debug = process.env.TACK_DEBUG ? log : undefined;

  // Every key the server could send anywhere is scrubbed from what goes out, on top of the store's own
  // redaction: results and notifications carry model and command text, never a secret.
  const secrets = new Set<string>();
  const scrub = <T>(value: T): T => {
    if (secrets.size === 0) return value;
    let json = JSON.stringify(value);
    for (const s of secrets) json = json.split(JSON.stringify(s).slice(1, -1)).join('[redacted]');
    return JSON.parse(json) as T;
  };
  const store = new SessionStore({ dir: defaultSessionsDir(), onWarning: (m) => log(`warning: ${m}`) });
  const tasks = new Map<string, OpenTask>();

  const server = new Server(
    { name: 'tack', title: 'Tack', version: loadCore().coreVersion() },
    {
      capabilities: { tools: {}, logging: {} },
      instructions:
        'Tack is a coding agent. Call `tack` with a prompt (and a cwd) to have it do a task in that directory; ' +
        'call `tack-reply` with the returned sessionId to continue the conversation.',
    },
  );
  const canElicit = () => server.getClientCapabilities()?.elicitation?.form !== undefined;

  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [TACK_TOOL, REPLY_TOOL] }));

  const errorResult = (message: string, sessionId?: string): CallToolResult =>
    scrub({
      content: [{ type: 'text', text: message }],
      isError: true,
      ...(sessionId ? { structuredContent: { threadId: sessionId, sessionId, content: '', status: 'failed', error: message } } : {}),
    });

  const turnResult = (sessionId: string, r: TurnResult): CallToolResult => {
    const content = r.finalMessage ?? '';
    const structured = { threadId: sessionId, sessionId, content, status: r.status, ...(r.error ? { error: r.error } : {}) };
    if (r.status === 'completed') return scrub({ content: [{ type: 'text', text: content }], structuredContent: structured });
    const why = r.status === 'interrupted' ? 'the turn was interrupted' : `the turn failed: ${r.error ?? 'unknown error'}`;
    return scrub({ content: [{ type: 'text', text: content ? `${why}\n\n${content}` : why }], structuredContent: structured, isError: true });
  };

  /** Closes the oldest idle sessions beyond the cap (their sidecars end). */
  const trimIdle = async () => {
    const idle = [...tasks.entries()].filter(([, t]) => !t.running).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [id, t] of idle.slice(0, Math.max(0, idle.length - MAX_IDLE_SESSIONS))) {
      tasks.delete(id);
      await t.task.dispose().catch(() => undefined);
    }
  };

  type Extra = Parameters<Parameters<typeof server.setRequestHandler<typeof CallToolRequestSchema>>[1]>[1];

  /** Runs one turn of an open task for one tool call, with its progress, logging and cancellation. */
  const runTurn = async (sessionId: string, open: OpenTask, prompt: string, extra: Extra): Promise<CallToolResult> => {
    const progressToken = extra._meta?.progressToken;
    let progress = 0;
    open.running = true;
    open.lastUsed = Date.now();
    open.sink = (event) => {
      if (printable(event)) {
        void server.sendLoggingMessage(scrub({ level: 'info', logger: 'tack', data: { sessionId, event: forJson(event) } })).catch(() => undefined);
      }
      const line = progressToken === undefined ? undefined : progressLine(event);
      if (line !== undefined && progressToken !== undefined) {
        void extra
          .sendNotification(scrub({ method: 'notifications/progress', params: { progressToken, progress: ++progress, message: line } }))
          .catch(() => undefined);
      }
    };
    const onAbort = () => open.task.session.interrupt();
    extra.signal.addEventListener('abort', onAbort);
    try {
      const r = await open.task.session.submit(prompt);
      return turnResult(sessionId, r);
    } catch (err) {
      return errorResult(`the turn could not run: ${err instanceof Error ? err.message : String(err)}`, sessionId);
    } finally {
      extra.signal.removeEventListener('abort', onAbort);
      open.sink = undefined;
      open.running = false;
      open.lastUsed = Date.now();
    }
  };

  const approveBy = (getId: () => string) => async (req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> => {
    if (!canElicit()) {
      return {
        decision: 'denied',
        message:
          'No one can approve it: Tack runs as an MCP server and the client that started this task cannot show approval questions (no elicitation support). ' +
          'Continue without this command, or say what the user should run or allow (approval-policy never with a sandbox).',
      };
    }
    try {
      const r = await server.elicitInput({ mode: 'form', message: approvalMessage(req, getId()), requestedSchema: approvalForm(req) }, { signal, timeout: APPROVAL_TIMEOUT_MS });
      if (r.action === 'accept') return { decision: r.content?.forSession === true && canRememberApproval(req) ? 'approvedForSession' : 'approved' };
      if (r.action === 'decline') return { decision: 'denied', message: 'The user declined this command.' };
      return { decision: 'denied', message: 'The user dismissed the approval question without answering; the command was not run.' };
    } catch (err) {
      if (signal.aborted) return { decision: 'denied', message: 'The turn ended before the approval was answered.' };
      return { decision: 'denied', message: `The approval question failed (${err instanceof Error ? err.message : String(err)}); the command was not run.` };
    }
  };

  const startTask = async (a: TackArgs, extra: Extra): Promise<CallToolResult> => {
    let cwd: string;
    try {
      cwd = taskDirectory(a.cwd, process.cwd());
    } catch (err) {
      if (err instanceof SetupError) return errorResult(`cwd: ${err.message}`);
      throw err;
    }
    // A call naming another provider than the server's does not inherit the server's base URL, wire
    // or key variable: the key for one provider is never sent to another's URL.
    const sameProvider = a.provider === undefined || a.provider === serverOpts.provider;
    const choice: ModelChoice = {
      provider: a.provider ?? serverOpts.provider,
      model: a.model ?? serverOpts.model,
      ...(sameProvider ? { baseUrl: serverOpts.baseUrl, wire: serverOpts.wire, apiKeyEnv: serverOpts.apiKeyEnv } : {}),
      contextWindow: serverOpts.contextWindow,
      maxOutputTokens: serverOpts.maxOutputTokens,
    };
    let resolved;
    try {
      resolved = await resolveModel(choice, process.env, debug);
    } catch (err) {
      if (err instanceof SetupError) return errorResult(err.message);
      throw err;
    }
    if (resolved.endpoint.apiKey) {
      secrets.add(resolved.endpoint.apiKey);
      store.addSecret(resolved.endpoint.apiKey);
    }
    const approval = a.approval ?? (canElicit() ? 'untrusted' : 'never');
    let sessionId = '';
    let task: HeadlessTask;
    try {
      task = await startHeadlessTask({
        cwd,
        sandbox: a.sandbox ?? 'workspace-write',
        approval,
        resolved,
        store,
        emit: (event) => tasks.get(sessionId)?.sink?.(event),
        approve: approveBy(() => sessionId),
        reasoningEffort: serverOpts.reasoningEffort,
        baseInstructions: a.baseInstructions,
        onRetry: (r) => log(`model: ${r.reason}; retrying in ${(r.delayMs / 1000).toFixed(1)}s (attempt ${r.nextAttempt})`),
        warn: log,
        debug,
      });
    } catch (err) {
      return errorResult(`the task could not start: ${err instanceof Error ? err.message : String(err)}`);
    }
    sessionId = task.session.id;
    const open: OpenTask = { task, running: false, lastUsed: Date.now() };
    tasks.set(sessionId, open);
    await trimIdle();
    if (extra.signal.aborted) return errorResult('cancelled', sessionId);
    return runTurn(sessionId, open, a.prompt, extra);
  };

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: raw } = request.params;
    try {
      if (name === 'tack') return await startTask(parseTackArgs(raw), extra);
      if (name === 'tack-reply') {
        const a = parseReplyArgs(raw);
        const open = tasks.get(a.sessionId);
        if (!open) {
          return errorResult(
            `no session '${reveal(a.sessionId, { singleLine: true }).slice(0, 100)}' is open in this server: a session lives as long as the server that started it ` +
              `(at most ${MAX_IDLE_SESSIONS} idle ones are kept). Start a new task with the tack tool.`,
          );
        }
        if (open.running) return errorResult(`session ${a.sessionId} is still running a turn; wait for its result or cancel that call first`, a.sessionId);
        return await runTurn(a.sessionId, open, a.prompt, extra);
      }
      return errorResult(`unknown tool '${reveal(String(name), { singleLine: true }).slice(0, 100)}'; this server offers tack and tack-reply`);
    } catch (err) {
      if (err instanceof ArgumentError) return errorResult(`invalid arguments for ${name}: ${err.message}`);
      log(`tool call failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return errorResult(`internal error: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  // ---- Lifecycle: ends when stdin closes (the client went away) or on SIGINT/SIGTERM. ----
  let finished: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finished = resolve));
  let stopping = false;
  const shutdown = (why: string) => {
    if (stopping) return;
    stopping = true;
    debug?.(`stopping: ${why}`);
    const all = [...tasks.values()];
    tasks.clear();
    void Promise.allSettled(all.map((t) => t.task.dispose()))
      .then(() => server.close().catch(() => undefined))
      .then(() => finished(0));
  };
  const transport = new StdioServerTransport();
  transport.onclose = () => shutdown('transport closed');
  server.onerror = (err) => log(`protocol error: ${err.message}`);
  process.stdin.on('end', () => shutdown('stdin closed'));
  process.stdin.on('close', () => shutdown('stdin closed'));
  process.stdout.on('error', () => shutdown('stdout closed'));
  const onSignal = () => shutdown('signal');
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await server.connect(transport);
  debug?.(`serving on stdio from ${path.resolve(process.cwd())}`);
  try {
    return await done;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
