// What a script for the scripted model server looks like, and how a JSON script file is checked.

import { SERVER_CHECKS, type ServerCheck } from './checks';

/** One request as the server saw it. */
export interface RecordedRequest {
  /** 0-based, over every request the server received. */
  index: number;
  method: string;
  /** Path with query, e.g. `/v1/responses`. */
  path: string;
  /** Lower-cased request headers without `authorization`. */
  headers: Record<string, string>;
  /** How the request authenticated: a bearer token, something else, or nothing. */
  auth: 'bearer' | 'other' | 'none';
  /** The parsed JSON body, or the raw text when it was not JSON (undefined without a body). */
  body: unknown;
  wire: 'responses' | 'chat' | null;
  /** Which scripted response answered it (position in the expanded script), or null. */
  scriptIndex: number | null;
  /** What the server did with it. */
  outcome: 'streamed' | 'status' | 'dropped' | 'response-failed' | 'incomplete' | 'hung' | 'exhausted' | 'unauthorized' | 'models' | 'unknown-route' | 'bad-json' | 'rejected' | 'props';
  /** When the request's body had arrived (epoch milliseconds, `Date.now()`). */
  receivedAt: number;
  /** Set when the server's answer ended or the connection closed (epoch milliseconds). */
  closedAt?: number;
  /** The same two moments on the monotonic clock (`performance.now()`, fractional milliseconds). */
  receivedAtHr: number;
  closedAtHr?: number;
  /** True when the client went away before the server finished answering. */
  clientClosed: boolean;
  /** Why the request did not match the scripted response's `expect`, if it did not. */
  expectMismatch?: string;
}

export interface ScriptedToolCall {
  name: string;
  /** Function arguments: an object is sent as its JSON text; a string is sent as is (to script malformed JSON). */
  arguments?: unknown;
  /** A custom (free-form) tool's raw input, e.g. a patch. */
  input?: string;
  /** Default: `custom` when `input` is given, else `function`. */
  kind?: 'function' | 'custom';
  callId?: string;
}

export interface ScriptedUsage {
  input_tokens?: number;
  output_tokens?: number;
  cached_tokens?: number;
  reasoning_tokens?: number;
  total_tokens?: number;
}

export type ScriptedFailure =
  /** Answer with this HTTP status and an OpenAI-style error body (or `body`). */
  | { status: number; retryAfter?: number | string; body?: unknown; headers?: Record<string, string> }
  /** Send this many SSE events, then cut the connection (`reset`, default) or end the body early (`end`). */
  | { dropAfterEvents: number; mode?: 'reset' | 'end' }
  /** Responses: `response.failed` with this error; Chat: an `error` chunk and no `[DONE]`. */
  | { responseFailed: { code: string; message: string } }
  /** Responses: `response.incomplete`; Chat: finish_reason `length`. */
  | { incomplete: { reason: string } }
  /** Start the stream, then send nothing more until the client goes away. */
  | { hangUntilAborted: true };

export type RequestExpectation = string | ((req: RecordedRequest) => boolean | string);

export interface ScriptedResponse {
  text?: string;
  reasoning?: string;
  toolCalls?: ScriptedToolCall[];
  usage?: ScriptedUsage;
  /** Characters per delta event (default 12). */
  chunkSize?: number;
  /** Pause before each delta event, in ms (default 0). */
  delayMs?: number;
  fail?: ScriptedFailure;
  /** A substring the raw request body must contain, or a predicate (true, or a string saying what is wrong). */
  expect?: RequestExpectation;
  /** Serve this response this many times in a row (default 1). */
  times?: number;
  /** SSE data payloads sent verbatim first, before the response's own events (hostile or odd events). */
  rawEvents?: string[];
  /**
   * Where reasoning goes. Chat: `reasoning_content` (default; llama.cpp, vLLM) or `reasoning`
   * (OpenRouter, Ollama). Responses: `summary` (default; OpenAI) or `text` (`response.reasoning_text.delta`
   * and a reasoning item with `content`, no `encrypted_content`; vLLM, llama.cpp).
   */
  reasoningField?: 'reasoning_content' | 'reasoning' | 'summary' | 'text';
  /**
   * Responses only: hosted web searches the server ran before the text, one `web_search_call`
   * output item each (added, in_progress, searching, completed, done), as OpenAI streams them.
   */
  webSearches?: string[];
}

export interface ModelScript {
  responses: ScriptedResponse[];
  /** Play the whole list this many times (default 1); 0 = forever. */
  repeat?: number;
  /** What GET /models lists. */
  models?: string[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get a 401. */
  apiKey?: string;
  /** What real servers refuse, checked before a response is served (see checks.ts); a refused request uses no response. */
  checks?: ServerCheck[];
  /** Served as `GET /props` (llama.cpp's server properties, e.g. `{default_generation_settings: {n_ctx: 4096}}`). */
  props?: Record<string, unknown>;
  /** Fields added to every `GET /models` entry (e.g. `{max_model_len: 32768}` as vLLM, `{meta: {n_ctx_train: 8192}}` as llama.cpp). */
  modelsMeta?: Record<string, unknown>;
}

export class ScriptError extends Error {
  override name = 'ScriptError';
}

function check(cond: unknown, where: string, what: string): asserts cond {
  if (!cond) throw new ScriptError(`${where}: ${what}`);
}

/** Accepts a bare list or a full script; checks the shape so a typo fails loudly, not mid-test. */
export function normalizeScript(input: unknown, source = 'script'): ModelScript {
  const script: ModelScript = Array.isArray(input) ? { responses: input as ScriptedResponse[] } : (input as ModelScript);
  check(script && typeof script === 'object', source, 'must be a list of responses or {responses: [...]}');
  check(Array.isArray(script.responses), source, '"responses" must be a list');
  check(script.repeat === undefined || (Number.isInteger(script.repeat) && script.repeat >= 0), source, '"repeat" must be a whole number >= 0');
  check(script.checks === undefined || (Array.isArray(script.checks) && script.checks.every((c) => (SERVER_CHECKS as readonly string[]).includes(c))), source, `"checks" must be a list of ${SERVER_CHECKS.join(', ')}`);
  const known = new Set(['text', 'reasoning', 'toolCalls', 'usage', 'chunkSize', 'delayMs', 'fail', 'expect', 'times', 'rawEvents', 'reasoningField', 'webSearches']);
  script.responses.forEach((r, i) => {
    const where = `${source}: response ${i}`;
    check(r && typeof r === 'object' && !Array.isArray(r), where, 'must be an object');
    for (const key of Object.keys(r)) check(known.has(key), where, `unknown field "${key}" (known: ${[...known].join(', ')})`);
    check(r.text === undefined || typeof r.text === 'string', where, '"text" must be a string');
    check(r.reasoning === undefined || typeof r.reasoning === 'string', where, '"reasoning" must be a string');
    check(r.chunkSize === undefined || (Number.isInteger(r.chunkSize) && r.chunkSize > 0), where, '"chunkSize" must be a positive whole number');
    check(r.delayMs === undefined || (typeof r.delayMs === 'number' && r.delayMs >= 0), where, '"delayMs" must be a number >= 0');
    check(r.rawEvents === undefined || (Array.isArray(r.rawEvents) && r.rawEvents.every((e) => typeof e === 'string' && !e.includes('\n'))), where, '"rawEvents" must be a list of one-line strings');
    check(r.times === undefined || (Number.isInteger(r.times) && r.times >= 1), where, '"times" must be a whole number >= 1');
    check(r.webSearches === undefined || (Array.isArray(r.webSearches) && r.webSearches.every((q) => typeof q === 'string')), where, '"webSearches" must be a list of strings');
    check(r.expect === undefined || typeof r.expect === 'string' || typeof r.expect === 'function', where, '"expect" must be a string or a function');
    (r.toolCalls ?? []).forEach((t, j) => {
      check(t && typeof t.name === 'string' && t.name.length > 0, `${where}, tool call ${j}`, 'needs a "name"');
      check(t.kind === undefined || t.kind === 'function' || t.kind === 'custom', `${where}, tool call ${j}`, '"kind" must be "function" or "custom"');
      check(t.input === undefined || typeof t.input === 'string', `${where}, tool call ${j}`, '"input" must be a string');
    });
    if (r.fail !== undefined) {
      const f = r.fail as Record<string, unknown>;
      const ok =
        (typeof f.status === 'number' && f.status >= 400 && f.status <= 599) ||
        (typeof f.dropAfterEvents === 'number' && f.dropAfterEvents >= 0) ||
        (typeof f.responseFailed === 'object' && f.responseFailed !== null) ||
        (typeof f.incomplete === 'object' && f.incomplete !== null) ||
        f.hangUntilAborted === true;
      check(ok, where, '"fail" must be {status: 4xx|5xx} | {dropAfterEvents: n} | {responseFailed: {code, message}} | {incomplete: {reason}} | {hangUntilAborted: true}');
    }
  });
  return script;
}

/** Finds the response for the n-th model request (0-based), or undefined once the script is used up. */
export class ScriptCursor {
  private readonly flat: ScriptedResponse[];
  constructor(private readonly script: ModelScript) {
    this.flat = script.responses.flatMap((r) => Array.from({ length: r.times ?? 1 }, () => r));
  }
  get length(): number {
    return this.flat.length;
  }
  /** Total responses the script will serve (Infinity when it repeats forever). */
  get capacity(): number {
    const repeat = this.script.repeat ?? 1;
    return repeat === 0 ? (this.flat.length === 0 ? 0 : Infinity) : this.flat.length * repeat;
  }
  at(n: number): { response: ScriptedResponse; round: number } | undefined {
    if (n >= this.capacity) return undefined;
    return { response: this.flat[n % this.flat.length], round: Math.floor(n / this.flat.length) };
  }
}
