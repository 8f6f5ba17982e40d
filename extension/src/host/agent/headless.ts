// A task run without an editor: `tack exec` and `tack mcp-server` both start theirs here, so the model
// endpoint is resolved one way (provider preset, base URL, key from the environment, model, limits)
// and every task gets its own sidecar, file host and session.
import fs from 'node:fs';
import path from 'node:path';
import { fetchModelLimits, isProviderId, listModels, outputCapFor, PROVIDER_IDS, PROVIDERS, resolveVision, type ModelEndpoint, type ProviderId, type RetryInfo } from '../model';
import { writePolicyFor } from '../patch/atomic-write';
import type { McpHub } from '../mcp/hub';
import type { SessionStore } from '../sessions';
import { SidecarClient } from '../sidecar';
import { collectAgentsMd } from './agents-md';
import { createFsHost } from './fs-host';
import { AgentSession } from './session';
import { timingMark } from './timing';
import type { ApprovalAnswer, ApprovalPolicy, ApprovalRequest, ReasoningEffort, SandboxMode, ThreadEvent, Wire } from './types';

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_MODEL = 'gpt-5.1-codex';
export const SANDBOX_MODES: readonly SandboxMode[] = ['read-only', 'workspace-write', 'danger-full-access'];
/** The generated `SandboxMode`, under the name the CLI has used. */
export type SandboxModeName = SandboxMode;
export const APPROVAL_POLICIES: readonly ApprovalPolicy[] = ['untrusted', 'on-request', 'on-failure', 'never'];
export const REASONING_EFFORTS: readonly ReasoningEffort[] = ['minimal', 'low', 'medium', 'high'];

/** A reasoning effort as the person wrote it (`--reasoning-effort`), checked: the core takes only these. */
export function parseReasoningEffort(value: string | undefined): ReasoningEffort | undefined {
  if (value === undefined) return undefined;
  const found = REASONING_EFFORTS.find((e) => e === value);
  if (found === undefined) throw new SetupError(`the reasoning effort must be one of ${REASONING_EFFORTS.join(', ')}, not '${value}'`);
  return found;
}

/** A set-up problem the person (or the calling agent) can fix; the message says how. */
export class SetupError extends Error {}

/** What the caller chose about the model; anything unset comes from the environment or the preset. */
export interface ModelChoice {
  provider?: ProviderId;
  model?: string;
  baseUrl?: string;
  wire?: Wire;
  /** The variable holding the key (default: the provider's, else OPENAI_API_KEY). */
  apiKeyEnv?: string;
  contextWindow?: number;
  maxOutputTokens?: number;
  /** Whether the model takes images (default: what the server or the model's name says, else yes). */
  vision?: boolean;
}

export interface ResolvedModel {
  endpoint: ModelEndpoint;
  model: string;
  wire: Wire;
  contextWindow?: number;
  maxOutputTokens?: number;
  /** Whether images are sent to this model (host/model/vision.ts). */
  vision: boolean;
}

/**
 * Resolves where requests go and with which key, the way `tack exec` documents it. The key is read
 * from `env` only and lands in `endpoint.apiKey`; it is never part of a message thrown from here.
 */
export async function resolveModel(choice: ModelChoice, env: NodeJS.ProcessEnv, debug?: (line: string) => void): Promise<ResolvedModel> {
  let provider = choice.provider;
  const envProvider = env.TACK_PROVIDER?.trim();
  if (!provider && envProvider) {
    if (!isProviderId(envProvider)) throw new SetupError(`TACK_PROVIDER must be one of ${PROVIDER_IDS.join(', ')}, not '${envProvider}'`);
    provider = envProvider;
  }
  const preset = provider ? PROVIDERS[provider] : undefined;
  const apiKeyEnv = choice.apiKeyEnv ?? preset?.keyEnv ?? 'OPENAI_API_KEY';
  const apiKey = env[apiKeyEnv]?.trim() || undefined;
  const baseUrl = (choice.baseUrl ?? preset?.baseUrl ?? env.OPENAI_BASE_URL ?? '').trim() || (preset ? '' : DEFAULT_BASE_URL);
  if (preset && !baseUrl) throw new SetupError(`--provider ${preset.id} needs --base-url: ${preset.baseUrlHint ?? "the server's base URL"}`);
  if (!/^https?:\/\//.test(baseUrl)) {
    throw new SetupError(`the base URL '${baseUrl}' is not an http(s) URL. Pass --base-url http://host:port/v1 or set OPENAI_BASE_URL.`);
  }
  const wire: Wire = choice.wire ?? preset?.wire ?? 'responses';
  if (!apiKey && preset?.needsKey) throw new SetupError(`no API key for ${preset.label}. Set ${apiKeyEnv} (or name another variable with --api-key-env NAME).`);
  if (!apiKey && !preset && baseUrl === DEFAULT_BASE_URL) {
    throw new SetupError(
      `no API key. Set ${apiKeyEnv} (e.g. export ${apiKeyEnv}=sk-...), or name another variable with --api-key-env NAME.\n` +
        `For a local OpenAI-compatible server (Ollama, vLLM, LM Studio), pass --base-url http://127.0.0.1:PORT/v1 (or set OPENAI_BASE_URL); a key is then optional.`,
    );
  }
  const endpoint: ModelEndpoint = { baseUrl, apiKey, wire, ...(preset ? { auth: preset.auth } : {}) };
  const local = preset !== undefined && (preset.defaultPort !== undefined || preset.id === 'custom');
  let model = choice.model ?? (env.TACK_MODEL || undefined);
  if (!model && local) {
    // A local server serves the model it loaded: ask it rather than guessing a hosted model's name.
    model = await listModels(endpoint, { timeoutMs: 5_000 })
      .then((ids) => ids[0])
      .catch((e: unknown) => {
        debug?.(`model: could not list the server's models: ${e instanceof Error ? e.message : String(e)}`);
        return undefined;
      });
    if (!model) throw new SetupError(`no --model given and ${baseUrl}/models lists none; pass --model NAME`);
  }
  model ??= DEFAULT_MODEL;
  let { contextWindow, maxOutputTokens } = choice;
  let serverVision: boolean | undefined;
  if (preset && preset.id !== 'openai' && preset.id !== 'azure' && (contextWindow === undefined || maxOutputTokens === undefined || choice.vision === undefined)) {
    const limits = await fetchModelLimits(endpoint, model);
    debug?.(`model: limits for ${model}: ${JSON.stringify(limits)}`);
    contextWindow ??= limits.contextWindow;
    maxOutputTokens ??= outputCapFor(limits);
    serverVision = limits.vision;
  }
  const vision = resolveVision(model, choice.vision, serverVision);
  return { endpoint, model, wire, contextWindow, maxOutputTokens, vision };
}

/** An absolute, existing directory for the task, or a SetupError naming what was given. */
export function taskDirectory(dir: string | undefined, base: string): string {
  const cwd = path.resolve(base, dir ?? '.');
  if (!fs.existsSync(cwd) || !fs.statSync(cwd).isDirectory()) throw new SetupError(`${cwd}: no such directory`);
  return cwd;
}

export interface HeadlessTaskOptions {
  cwd: string;
  sandbox: SandboxModeName;
  approval: ApprovalPolicy;
  resolved: ResolvedModel;
  store: SessionStore;
  emit: (event: ThreadEvent) => void;
  /** Decides approvals; default: declined, saying nobody is there (fs-host's HEADLESS_DENIAL). */
  approve?: (req: ApprovalRequest, signal: AbortSignal) => Promise<ApprovalAnswer>;
  reasoningEffort?: string;
  baseInstructions?: string;
  resumeId?: string;
  streamIdleTimeoutMs?: number;
  onRetry?: (info: RetryInfo) => void;
  /** Warnings for the person (an AGENTS.md not used). */
  warn: (line: string) => void;
  /** Diagnostics (TACK_DEBUG); never given a secret. */
  debug?: (line: string) => void;
  /** The MCP servers whose tools the model is offered; the caller starts and stops them. */
  mcp?: McpHub;
  /** Record a checkpoint before each turn's first change, in this store (`$TACK_HOME/checkpoints`). */
  checkpoints?: { storeDir: string; maxStoreBytes?: number };
  /** Offer the provider's hosted web search (Responses only). */
  webSearch?: boolean;
  /** How large view_image's images are sent (default "high"). */
  imageDetail?: 'high' | 'low';
}

/** One running headless task: its session and the sidecar that serves only it. */
export interface HeadlessTask {
  session: AgentSession;
  sidecar: SidecarClient;
  /** Stops the turn, kills its commands and the sidecar. Safe to call twice. */
  dispose(): Promise<void>;
}

export async function startHeadlessTask(opts: HeadlessTaskOptions): Promise<HeadlessTask> {
  const { cwd, resolved } = opts;
  const reasoningEffort = parseReasoningEffort(opts.reasoningEffort);
  const sidecar = new SidecarClient({ log: opts.debug });
  const host = createFsHost({
    root: cwd,
    writer: sidecar,
    policy: writePolicyFor(opts.sandbox, cwd),
    emit: opts.emit,
    ...(opts.approve ? { approve: opts.approve } : {}),
  });
  const agentsMd = collectAgentsMd(cwd, (file, reason) => opts.warn(`warning: ${file} is not used: ${reason}`));
  timingMark('AGENTS.md read');
  let session: AgentSession;
  try {
    session = await AgentSession.create({
      host,
      sidecar,
      endpoint: resolved.endpoint,
      store: opts.store,
      resumeId: opts.resumeId,
      config: {
        model: resolved.model,
        wire: resolved.wire,
        reasoningEffort,
        approvalPolicy: opts.approval,
        sandboxMode: opts.sandbox,
        contextWindow: resolved.contextWindow,
        ...(resolved.maxOutputTokens !== undefined ? { maxOutputTokens: resolved.maxOutputTokens } : {}),
        ...(opts.baseInstructions !== undefined ? { baseInstructions: opts.baseInstructions } : {}),
        ...(resolved.vision === false ? { vision: false } : {}),
        ...(opts.webSearch ? { webSearch: true } : {}),
        cwd,
        agentsMd,
      },
      streamIdleTimeoutMs: opts.streamIdleTimeoutMs,
      onRetry: opts.onRetry,
      log: opts.debug,
      // The sidecar is started for the first command; while the model thinks, it may as well be
      // started and scan the workspace.
      prepareSandbox: 'model-wait',
      ...(opts.mcp ? { mcp: opts.mcp } : {}),
      ...(opts.checkpoints ? { checkpoints: opts.checkpoints } : {}),
      ...(opts.imageDetail ? { imageDetail: opts.imageDetail } : {}),
    });
  } catch (err) {
    await sidecar.dispose();
    throw err;
  }
  let disposed: Promise<void> | undefined;
  return {
    session,
    sidecar,
    dispose: () =>
      (disposed ??= (async () => {
        try {
          await session.dispose();
        } finally {
          await sidecar.dispose();
        }
      })()),
  };
}
