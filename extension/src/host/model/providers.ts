// Providers as presets: where a provider's API lives, which wire it speaks, how the key travels, and
// (for local servers) the port it listens on by default. Shared by VS Code (`tack.provider`) and the
// CLI (`--provider`). Also: finding local servers on their default ports, and asking a server what a
// model's context window and output limit are, where it says.

import { ModelError } from './errors';
import type { Wire } from '../../generated/types/Wire';
import { endpointUrl, listModels, requestHeaders, type ModelEndpoint } from './transport';

export const PROVIDER_IDS = ['openai', 'azure', 'openrouter', 'ollama', 'lmstudio', 'vllm', 'llamacpp', 'custom'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export interface ProviderPreset {
  id: ProviderId;
  label: string;
  /** Undefined when the person must give it (Azure: the resource's own URL; custom). */
  baseUrl?: string;
  wire: Wire;
  /** How the key is sent: `Authorization: Bearer KEY`, or Azure's `api-key: KEY`. */
  auth: 'bearer' | 'api-key';
  /** The environment variable the CLI reads the key from by default. */
  keyEnv: string;
  /** False for local servers: they take any key or none. */
  needsKey: boolean;
  /** Local servers: the port they listen on by default. */
  defaultPort?: number;
  /** What to say when the base URL is missing. */
  baseUrlHint?: string;
}

export const PROVIDERS: Record<ProviderId, ProviderPreset> = {
  openai: { id: 'openai', label: 'OpenAI', baseUrl: 'https://api.openai.com/v1', wire: 'responses', auth: 'bearer', keyEnv: 'OPENAI_API_KEY', needsKey: true },
  azure: {
    id: 'azure',
    label: 'Azure OpenAI',
    wire: 'responses',
    auth: 'api-key',
    keyEnv: 'AZURE_OPENAI_API_KEY',
    needsKey: true,
    baseUrlHint: 'https://RESOURCE.openai.azure.com/openai/v1 (your resource\'s endpoint; the model is your deployment name)',
  },
  openrouter: { id: 'openrouter', label: 'OpenRouter', baseUrl: 'https://openrouter.ai/api/v1', wire: 'chat', auth: 'bearer', keyEnv: 'OPENROUTER_API_KEY', needsKey: true },
  ollama: { id: 'ollama', label: 'Ollama', baseUrl: 'http://127.0.0.1:11434/v1', wire: 'chat', auth: 'bearer', keyEnv: 'OLLAMA_API_KEY', needsKey: false, defaultPort: 11434 },
  lmstudio: { id: 'lmstudio', label: 'LM Studio', baseUrl: 'http://127.0.0.1:1234/v1', wire: 'chat', auth: 'bearer', keyEnv: 'LMSTUDIO_API_KEY', needsKey: false, defaultPort: 1234 },
  vllm: { id: 'vllm', label: 'vLLM', baseUrl: 'http://127.0.0.1:8000/v1', wire: 'chat', auth: 'bearer', keyEnv: 'VLLM_API_KEY', needsKey: false, defaultPort: 8000 },
  llamacpp: { id: 'llamacpp', label: 'llama.cpp server', baseUrl: 'http://127.0.0.1:8080/v1', wire: 'chat', auth: 'bearer', keyEnv: 'LLAMA_API_KEY', needsKey: false, defaultPort: 8080 },
  custom: { id: 'custom', label: 'Custom (OpenAI-compatible)', wire: 'chat', auth: 'bearer', keyEnv: 'OPENAI_API_KEY', needsKey: false, baseUrlHint: 'the server\'s base URL, e.g. http://127.0.0.1:PORT/v1' },
};

export function isProviderId(v: unknown): v is ProviderId {
  return typeof v === 'string' && (PROVIDER_IDS as readonly string[]).includes(v);
}

/** A local server found on its default port, with the models it lists. */
export interface LocalServer {
  provider: ProviderId;
  baseUrl: string;
  models: string[];
}

/**
 * Looks for local servers on their default ports (Ollama 11434, LM Studio 1234, vLLM 8000, llama.cpp
 * 8080) by asking each for `/v1/models`, on 127.0.0.1 only. `ports` overrides a preset's port (tests).
 */
export async function discoverLocalServers(opts: { timeoutMs?: number; ports?: Partial<Record<ProviderId, number>>; signal?: AbortSignal } = {}): Promise<LocalServer[]> {
  const local = Object.values(PROVIDERS).filter((p) => p.defaultPort !== undefined);
  const found = await Promise.all(
    local.map(async (p): Promise<LocalServer | undefined> => {
      const port = opts.ports?.[p.id] ?? p.defaultPort;
      const baseUrl = `http://127.0.0.1:${port}/v1`;
      try {
        const models = await listModels({ baseUrl }, { timeoutMs: opts.timeoutMs ?? 1_500, signal: opts.signal });
        return { provider: p.id, baseUrl, models };
      } catch {
        return undefined; // nothing there, or not an OpenAI-compatible server
      }
    }),
  );
  return found.filter((s): s is LocalServer => s !== undefined);
}

/** What a server says about a model's limits, in tokens. */
export interface ModelLimits {
  contextWindow?: number;
  maxOutputTokens?: number;
  /** Whether the model takes images, where the server says (OpenRouter's input modalities,
   * llama.cpp's `/props` modalities, Ollama's capabilities). */
  vision?: boolean;
  /** Where the numbers came from, for the log. */
  source?: string;
}

const positive = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined);

async function getJson(url: string, endpoint: Pick<ModelEndpoint, 'apiKey' | 'headers' | 'auth'>, timeoutMs: number, init: { method?: string; body?: string } = {}): Promise<unknown> {
  const headers = requestHeaders({ baseUrl: '', wire: 'chat', ...endpoint }, 'application/json');
  if (init.body) headers['content-type'] = 'application/json';
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body, signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new ModelError('notFound', `HTTP ${res.status} from ${url}`, { status: res.status });
  return (await res.json()) as unknown;
}

/**
 * Asks the server for the model's context window and output limit where it says them: the
 * `/v1/models` entry (vLLM `max_model_len`, llama.cpp `meta.n_ctx_train`, OpenRouter `context_length`
 * and `top_provider.max_completion_tokens`), llama.cpp's `/props` (the context it actually runs
 * with), Ollama's `/api/show`. Returns {} when the server says nothing; never throws.
 */
export async function fetchModelLimits(endpoint: Pick<ModelEndpoint, 'baseUrl' | 'apiKey' | 'headers' | 'auth'>, model: string, opts: { timeoutMs?: number } = {}): Promise<ModelLimits> {
  const timeoutMs = opts.timeoutMs ?? 3_000;
  const limits: ModelLimits = {};
  const note = (source: string) => {
    limits.source = limits.source ? `${limits.source}, ${source}` : source;
  };
  let root: string;
  try {
    root = endpointUrl(endpoint, '').replace(/\/+$/, '').replace(/\/v1$/, '');
  } catch {
    return limits;
  }
  try {
    const list = (await getJson(endpointUrl(endpoint, 'models'), endpoint, timeoutMs)) as { data?: Array<Record<string, unknown>> };
    const entry = (list.data ?? []).find((m) => m && (m.id === model || m.name === model)) ?? (list.data?.length === 1 ? list.data[0] : undefined);
    if (entry) {
      const meta = (entry.meta ?? {}) as Record<string, unknown>;
      const top = (entry.top_provider ?? {}) as Record<string, unknown>;
      const ctx = positive(entry.max_model_len) ?? positive(entry.context_length) ?? positive(entry.context_window) ?? positive(meta.n_ctx) ?? positive(meta.n_ctx_train);
      const out = positive(top.max_completion_tokens) ?? positive(entry.max_output_tokens);
      if (ctx) limits.contextWindow = ctx;
      if (out) limits.maxOutputTokens = out;
      if (ctx || out) note('/v1/models');
      const arch = (entry.architecture ?? {}) as Record<string, unknown>;
      if (Array.isArray(arch.input_modalities)) limits.vision = arch.input_modalities.includes('image');
    }
  } catch {
    // no list: other sources may still say
  }
  try {
    // llama.cpp: the context the server was started with (-c) is what counts, not the training one.
    const props = (await getJson(`${root}/props`, endpoint, timeoutMs)) as Record<string, unknown>;
    const settings = (props.default_generation_settings ?? {}) as Record<string, unknown>;
    const ctx = positive(settings.n_ctx) ?? positive(props.n_ctx);
    const modalities = props.modalities as Record<string, unknown> | undefined;
    if (modalities && typeof modalities.vision === 'boolean') limits.vision = modalities.vision;
    if (ctx) {
      limits.contextWindow = ctx;
      note('/props');
    }
  } catch {
    // not llama.cpp
  }
  if (limits.contextWindow === undefined || limits.vision === undefined) {
    try {
      const show = (await getJson(`${root}/api/show`, endpoint, timeoutMs, { method: 'POST', body: JSON.stringify({ model }) })) as Record<string, unknown>;
      const info = (show.model_info ?? {}) as Record<string, unknown>;
      const key = Object.keys(info).find((k) => k.endsWith('.context_length'));
      const ctx = key ? positive(info[key]) : undefined;
      if (Array.isArray(show.capabilities)) limits.vision = show.capabilities.includes('vision');
      if (ctx && limits.contextWindow === undefined) {
        limits.contextWindow = ctx;
        note('/api/show');
      }
    } catch {
      // not Ollama
    }
  }
  // An output cap past the context window could never be reached.
  if (limits.maxOutputTokens && limits.contextWindow && limits.maxOutputTokens > limits.contextWindow) limits.maxOutputTokens = limits.contextWindow;
  return limits;
}

/**
 * The output cap to use when none is configured and the server told the context window: a quarter
 * of the window, so a small local context still leaves room for the history.
 */
export function outputCapFor(limits: ModelLimits): number | undefined {
  if (limits.maxOutputTokens) return limits.maxOutputTokens;
  if (limits.contextWindow) return Math.max(256, Math.min(8_192, Math.floor(limits.contextWindow / 4)));
  return undefined;
}

/** Where requests go once a provider's preset and the person's own values are combined. */
export interface ResolvedProvider {
  provider: ProviderPreset;
  baseUrl: string;
  wire: Wire;
  /** Set when the combination cannot work (Azure or custom without a base URL). */
  problem?: string;
}

/**
 * A provider's preset with the values the person set themselves on top (`baseUrl`, `wire`: undefined
 * when not set). An unknown or absent provider is `openai`, which keeps the old behaviour of
 * `tack.baseUrl` + `tack.wireApi` alone: an explicit base URL still wins.
 */
export function resolveProvider(input: { provider?: string; baseUrl?: string; wire?: string }): ResolvedProvider {
  const provider = PROVIDERS[isProviderId(input.provider) ? input.provider : 'openai'];
  const explicit = input.baseUrl?.trim() ? input.baseUrl.trim().replace(/\/+$/, '') : undefined;
  const wire: Wire = input.wire === 'chat' || input.wire === 'responses' ? input.wire : provider.wire;
  const baseUrl = explicit ?? provider.baseUrl ?? '';
  const problem = baseUrl ? undefined : `the ${provider.label} provider needs a base URL: set tack.baseUrl to ${provider.baseUrlHint ?? 'the server\'s base URL'}`;
  return { provider, baseUrl, wire, ...(problem ? { problem } : {}) };
}
