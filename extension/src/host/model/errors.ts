// The one error type the model transport throws, with a kind the UI and the core can act on.

export type ModelErrorKind =
  | 'auth'
  | 'forbidden'
  | 'notFound'
  | 'rateLimited'
  | 'server'
  | 'network'
  | 'badRequest'
  | 'aborted'
  | 'protocol';

export class ModelError extends Error {
  readonly kind: ModelErrorKind;
  readonly status?: number;
  /**
   * The failure may pass if the request is sent again later (a rate limit, a server error, a broken
   * connection), as opposed to one that needs a change first (the key, the URL, the request). When
   * streamModel throws, it has already made its own retries: this is for the person's "Retry".
   */
  readonly retryable: boolean;
  /** How many HTTP attempts were made before this error was final. */
  attempts?: number;
  /** How long the server asked to wait before retrying, when it said so. */
  retryAfterMs?: number;
  /** The stream stalled: no event for the idle timeout. */
  stalled?: boolean;

  constructor(kind: ModelErrorKind, message: string, opts: { status?: number; retryable?: boolean; attempts?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ModelError';
    this.kind = kind;
    this.status = opts.status;
    this.retryable = opts.retryable ?? false;
    this.attempts = opts.attempts;
  }
}

/** The `error.message` (and code) of an OpenAI-style JSON error body, or a short excerpt of any other body. */
export function describeErrorBody(text: string): { message?: string; code?: string } {
  const trimmed = text.trim();
  if (!trimmed) return {};
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (parsed && typeof parsed === 'object') {
      const obj = parsed as Record<string, unknown>;
      const err = obj.error;
      if (err && typeof err === 'object') {
        const e = err as Record<string, unknown>;
        return {
          message: typeof e.message === 'string' ? e.message : undefined,
          code: typeof e.code === 'string' ? e.code : typeof e.type === 'string' ? e.type : undefined,
        };
      }
      if (typeof err === 'string') return { message: err };
      if (typeof obj.message === 'string') return { message: obj.message };
      if (typeof obj.detail === 'string') return { message: obj.detail };
    }
  } catch {
    // not JSON: fall through to the excerpt
  }
  const oneLine = trimmed.replace(/\s+/g, ' ');
  return { message: oneLine.length > 300 ? `${oneLine.slice(0, 300)}…` : oneLine };
}

/** Maps a non-2xx HTTP answer to a ModelError with a message a person can act on. */
export function httpError(status: number, bodyText: string, ctx: { url: string; baseUrl: string; model?: string }): ModelError {
  const { message: serverMessage, code } = describeErrorBody(bodyText);
  const said = serverMessage ? `: ${serverMessage}` : '';
  if (status === 401) {
    return new ModelError('auth', `the API key was rejected (HTTP 401) — set OPENAI_API_KEY or run "Tack: Set API Key"${said}`, { status });
  }
  if (status === 403) {
    return new ModelError('forbidden', `access denied (HTTP 403) — the API key is not allowed to use this model or endpoint${said}`, { status });
  }
  if (status === 404) {
    const model = ctx.model ? `the model "${ctx.model}" exists on that server and ` : '';
    return new ModelError('notFound', `not found (HTTP 404) at ${ctx.url} — check that ${model}the base URL (${ctx.baseUrl}) is right${said}`, { status });
  }
  if (status === 429) {
    // A 429 for an exhausted quota will not get better by waiting.
    const quota = code === 'insufficient_quota';
    return new ModelError('rateLimited', quota ? `the account is out of quota (HTTP 429)${said}` : `rate limited (HTTP 429)${said}`, { status, retryable: !quota });
  }
  if (status === 501 || status === 505) {
    return new ModelError('server', `the model server does not support this request (HTTP ${status}); not retried${said}`, { status });
  }
  if (status >= 500) {
    return new ModelError('server', `the model server failed (HTTP ${status})${said}`, { status, retryable: true });
  }
  if (status === 408 || status === 409) {
    return new ModelError('server', `the model server asked to retry (HTTP ${status})${said}`, { status, retryable: true });
  }
  // 400, 413, 422 and the rest: the same request gets the same answer, so it is not sent again.
  const what = status === 413 ? 'the request is too large for the server' : 'the model server rejected the request';
  return new ModelError('badRequest', `${what} (HTTP ${status}; not retried: the same request would fail the same way)${said}`, { status });
}
