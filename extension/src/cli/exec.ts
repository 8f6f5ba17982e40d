// `tack exec [options] PROMPT`: runs one task to completion, headless. Readable progress goes to stderr;
// with --json, one thread event per line goes to stdout. Exit 0 when the turn completes, 1 when it
// fails, 2 for bad usage or set-up, 130 when interrupted (Ctrl-C).
import {
  APPROVAL_POLICIES as POLICIES,
  resolveModel,
  SANDBOX_MODES as SANDBOXES,
  SetupError,
  startHeadlessTask,
  taskDirectory,
  type ApprovalPolicy,
  type HeadlessTask,
  type ResolvedModel,
  type ThreadEvent,
  type ThreadItem,
} from '../host/agent';
import { defaultCheckpointsDir, storeCapBytes } from '../host/agent/checkpoints';
import { defaultSessionsDir, SessionStore } from '../host/sessions';
import { flag, MODEL_OPTIONS, modelOptions, oneOf, parseCommandLine, stringValue, stringValues, UsageError, type ModelOptions, type OptionTable } from './args';
import { cliMcpHub, describeMcpItem } from './mcp';
import { attachImages } from './images';
import { timingMark } from '../host/agent/timing';

const USAGE = `Usage: tack exec [options] PROMPT

Runs one task to completion without a person at the keyboard.

Options:
  --json                     print one JSON event per line on stdout
  --provider P               a preset for the base URL, wire, key variable and auth header:
                             openai, azure, openrouter, ollama, lmstudio, vllm, llamacpp, custom
                             (default: $TACK_PROVIDER). Local servers (ollama, lmstudio, vllm,
                             llamacpp) need no key; their model, context window and output limit
                             are asked from the server when not given.
  --model M                  model name (default: $TACK_MODEL, else the server's first model for a
                             local provider, else gpt-5.1-codex)
  --base-url URL             API base URL (default: the provider's, else $OPENAI_BASE_URL, else
                             https://api.openai.com/v1)
  --wire responses|chat      which API to speak (default: the provider's, else responses)
  --sandbox MODE             read-only | workspace-write | danger-full-access (default: workspace-write)
  --approval POLICY          untrusted | on-request | on-failure | never (default: never); nobody is
                             asked in a headless run, so commands that need approval are declined
  -C DIR                     work in DIR (default: the current directory)
  --api-key-env NAME         read the API key from $NAME (default: OPENAI_API_KEY)
  --reasoning-effort E       minimal | low | medium | high
  --context-window N         the model's context window in tokens (enables compaction)
  --max-output-tokens N      the most tokens one model response may produce (default: per model,
                             or what a local server says; 0 sends no cap); a response cut by it is
                             reported, its tool calls are not run
  --resume ID                continue a saved session
  --no-checkpoints           record no checkpoint before the turn's first change (see tack rewind);
                             $TACK_CHECKPOINTS_MAX_STORE_MB caps the store (default 2048)
  --mcp-config FILE          also use the MCP servers in FILE (VS Code's mcp.json format; may be
                             repeated). The user file $TACK_HOME/mcp.json and the workspace's
                             .vscode/mcp.json are always used; \${input:ID} is read from
                             TACK_MCP_INPUT_<ID>
  --trust-workspace-mcp      start the workspace's .vscode/mcp.json servers for this run without
                             their being trusted (see tack mcp trust); they run outside the sandbox
  --stream-idle-timeout S    a model stream with no event for S seconds has stalled (default 90);
                             a stall is retried once, then the turn fails
  -i, --image FILE           attach an image (PNG, JPEG, GIF, WebP; may be repeated); it is shrunk
                             to 2048 pixels on its longest edge and re-encoded before it is sent
  --image-detail high|low    how large images are sent: high (default) 2048 pixels on the longest
                             edge, low 768 (fewer tokens)
  --vision yes|no            whether the model takes images (default: what the server or the
                             model's name says, else yes); with no, images are refused, not sent
  --web-search               offer the provider's hosted web search tool (Responses API only)
  -h, --help                 this help
`;


/** `tack exec`'s options (see USAGE). */
const EXEC_OPTIONS = {
  ...MODEL_OPTIONS,
  json: { type: 'boolean' },
  sandbox: { type: 'string' },
  approval: { type: 'string' },
  cd: { type: 'string', short: 'C' },
  resume: { type: 'string' },
  'no-checkpoints': { type: 'boolean' },
  'mcp-config': { type: 'string', multiple: true },
  'trust-workspace-mcp': { type: 'boolean' },
  'stream-idle-timeout': { type: 'string' },
  image: { type: 'string', short: 'i', multiple: true },
  'image-detail': { type: 'string' },
  vision: { type: 'string' },
  'web-search': { type: 'boolean' },
} as const satisfies OptionTable;

interface ExecOptions extends ModelOptions {
  json: boolean;
  sandbox: (typeof SANDBOXES)[number];
  approval: ApprovalPolicy;
  dir?: string;
  resume?: string;
  noCheckpoints?: boolean;
  streamIdleTimeoutMs?: number;
  mcpConfigs: string[];
  /** Trust the workspace's .vscode/mcp.json servers for this run only. */
  trustWorkspaceMcp?: boolean;
  images: string[];
  imageDetail?: 'high' | 'low';
  vision?: boolean;
  webSearch?: boolean;
  prompt: string;
}

function parseExecArgs(args: string[]): ExecOptions | 'help' {
  const line = parseCommandLine(args, EXEC_OPTIONS, { positionals: true });
  if (line === 'help') return line;
  const { values } = line;
  const o: ExecOptions = {
    ...modelOptions(values),
    json: flag(values, 'json'),
    sandbox: oneOf(values, 'sandbox', SANDBOXES) ?? 'workspace-write',
    approval: oneOf(values, 'approval', POLICIES) ?? 'never',
    mcpConfigs: stringValues(values, 'mcp-config'),
    images: stringValues(values, 'image'),
    prompt: line.positionals.join(' ').trim(),
  };
  const dir = stringValue(values, 'cd');
  if (dir !== undefined) o.dir = dir;
  const resume = stringValue(values, 'resume');
  if (resume !== undefined) o.resume = resume;
  if (flag(values, 'no-checkpoints')) o.noCheckpoints = true;
  if (flag(values, 'trust-workspace-mcp')) o.trustWorkspaceMcp = true;
  const detail = oneOf(values, 'image-detail', ['high', 'low'] as const);
  if (detail !== undefined) o.imageDetail = detail;
  const vision = oneOf(values, 'vision', ['yes', 'no'] as const);
  if (vision !== undefined) o.vision = vision === 'yes';
  if (flag(values, 'web-search')) o.webSearch = true;
  const idle = stringValue(values, 'stream-idle-timeout');
  if (idle !== undefined) {
    const n = Number(idle);
    if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new UsageError('--stream-idle-timeout must be a number of seconds between 0 and 3600');
    o.streamIdleTimeoutMs = Math.round(n * 1000);
  }
  if (o.prompt === '') throw new UsageError('a PROMPT is required');
  return o;
}

/** One readable line for stderr, or nothing for events not worth a line. */
function describe(event: ThreadEvent): string | undefined {
  const item = (i: ThreadItem): string | undefined => {
    switch (i.type) {
      case 'agent_message':
        return `\n${i.text}\n`;
      case 'reasoning':
        return `thinking: ${i.text.split('\n')[0]}`;
      case 'command_execution': {
        const head = `$ ${i.command.split('\n')[0]}`;
        if (i.status === 'declined') return `${head}\n  (declined)`;
        const tail = i.exit_code === undefined ? '' : ` -> exit ${i.exit_code}`;
        return `${head}${tail}${i.duration_ms === undefined ? '' : ` (${(i.duration_ms / 1000).toFixed(1)}s)`}`;
      }
      case 'file_change':
        return `edit (${i.status}): ${i.changes.map((c) => `${c.kind} ${c.move_path ?? c.path}`).join(', ')}`;
      case 'todo_list':
        return `plan:\n${i.items.map((t) => `  [${t.status === 'completed' ? 'x' : t.status === 'in_progress' ? '>' : ' '}] ${t.text}`).join('\n')}`;
      case 'error':
        return `error: ${i.message}`;
      case 'mcp_tool_call':
        return describeMcpItem(i);
      case 'web_search':
        return `Searched the web: ${i.query}`;
    }
  };
  switch (event.type) {
    case 'thread.started':
      return `session ${event.thread_id}`;
    case 'checkpoint.created':
      return `checkpoint ${event.id} (undo this turn: tack rewind ${event.id})`;
    case 'item.started':
      return event.item.type === 'todo_list' ? item(event.item) : undefined;
    case 'item.updated':
      return event.item.type === 'todo_list' ? item(event.item) : undefined;
    case 'item.completed':
      return event.item.type === 'todo_list' ? undefined : item(event.item);
    case 'turn.completed':
      return `done (tokens: ${event.usage.input_tokens} in, ${event.usage.output_tokens} out)`;
    case 'turn.failed':
      return `failed: ${event.error.message}`;
    default:
      return undefined;
  }
}

/** Events printed with --json: the Codex-compatible ones (no deltas, no context gauge). */
export function printable(event: ThreadEvent): boolean {
  return event.type !== 'item.delta' && event.type !== 'context.usage';
}

/** The diffs and hunk decisions on file_change items are for the editor; the JSON stream names the files. */
export function forJson(event: ThreadEvent): ThreadEvent {
  if ('item' in event && event.item.type === 'file_change') {
    const { diffs: _diffs, hunk_states: _states, ...rest } = event.item;
    return { ...event, item: rest } as ThreadEvent;
  }
  return event;
}

export async function execCommand(args: string[]): Promise<number> {
  timingMark('cli loaded');
  let opts: ExecOptions | 'help';
  try {
    opts = parseExecArgs(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`tack exec: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }

  const out = (line: string) => process.stderr.write(`${line}\n`);
  const debug = process.env.TACK_DEBUG ? out : undefined;
  let cwd: string;
  let resolved: ResolvedModel;
  try {
    resolved = await resolveModel(
      {
        provider: opts.provider,
        model: opts.model,
        baseUrl: opts.baseUrl,
        wire: opts.wire,
        apiKeyEnv: opts.apiKeyEnv,
        contextWindow: opts.contextWindow,
        maxOutputTokens: opts.maxOutputTokens,
        vision: opts.vision,
      },
      process.env,
      debug,
    );
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    process.stderr.write(`tack exec: ${err.message}\n`);
    return 2;
  }
  timingMark('model resolved');
  try {
    cwd = taskDirectory(opts.dir, process.cwd());
  } catch (err) {
    if (!(err instanceof SetupError)) throw err;
    process.stderr.write(`tack exec: -C ${err.message}\n`);
    return 2;
  }
  const emit = (event: ThreadEvent) => {
    if (opts.json && printable(event)) process.stdout.write(`${JSON.stringify(forJson(event))}\n`);
    if (!opts.json) {
      const text = describe(event);
      if (text !== undefined) out(text);
    }
  };
  const apiKey = resolved.endpoint.apiKey;
  const store = new SessionStore({ dir: defaultSessionsDir(), secrets: apiKey ? [apiKey] : [], onWarning: (m) => out(`warning: ${m}`) });
  const mcp = cliMcpHub(cwd, opts.mcpConfigs, debug, opts.trustWorkspaceMcp);
  // With --json the skipped servers are an error item on stdout; say it on stderr too, once.
  timingMark('mcp config read');
  if (opts.json && mcp) void mcp.startAll().then(() => mcp.untrustedMessage() && out(`tack exec: ${mcp.untrustedMessage()}`));

  let task: HeadlessTask;
  try {
    task = await startHeadlessTask({
      cwd,
      sandbox: opts.sandbox,
      approval: opts.approval,
      resolved,
      store,
      emit,
      reasoningEffort: opts.reasoningEffort,
      resumeId: opts.resume,
      streamIdleTimeoutMs: opts.streamIdleTimeoutMs,
      onRetry: (r) => out(`model: ${r.reason}; retrying in ${(r.delayMs / 1000).toFixed(1)}s (attempt ${r.nextAttempt})`),
      warn: out,
      debug,
      mcp,
      ...(opts.noCheckpoints ? {} : { checkpoints: { storeDir: defaultCheckpointsDir(), maxStoreBytes: storeCapBytes(process.env.TACK_CHECKPOINTS_MAX_STORE_MB) } }),
      webSearch: opts.webSearch,
      imageDetail: opts.imageDetail,
    });
  } catch (err) {
    await mcp?.stopAll();
    process.stderr.write(`tack exec: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  timingMark('session ready');
  const { session, sidecar } = task;
  let images: string[];
  try {
    images = await attachImages(opts.images, sidecar, debug, opts.imageDetail);
  } catch (err) {
    await Promise.all([task.dispose(), mcp?.stopAll()]);
    process.stderr.write(`tack exec: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }

  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    out('interrupting (Ctrl-C again to quit at once)');
    session.interrupt();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const result = await session.submit(opts.prompt, undefined, images);
    timingMark('turn ended');
    await session.dispose();
    if (result.status === 'completed') return 0;
    if (result.status === 'interrupted') {
      out('tack exec: interrupted');
      return 130;
    }
    process.stderr.write(`tack exec: ${result.error ?? 'the turn failed'}\n`);
    return 1;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await Promise.all([sidecar.dispose(), mcp?.stopAll()]);
    timingMark('disposed');
  }
}
