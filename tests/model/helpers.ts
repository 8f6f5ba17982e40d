// Shared helpers for the model transport tests: drain a stream, fold Chat tool-call deltas.

import { streamModel, type ModelEndpoint, type RetryInfo, type StreamItem, type StreamOptions } from '../../extension/src/host/model';

export const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 };

export interface Drained {
  items: StreamItem[];
  events: Array<Record<string, unknown>>;
  retries: RetryInfo[];
  error?: unknown;
}

/** Runs a stream to its end, keeping every item, the retry notices and a thrown error (not rethrown). */
export async function drain(endpoint: ModelEndpoint, body: object, opts: Partial<StreamOptions> = {}): Promise<Drained> {
  const retries: RetryInfo[] = [];
  const items: StreamItem[] = [];
  const out: Drained = { items, events: [], retries };
  try {
    for await (const item of streamModel(endpoint, body, {
      signal: opts.signal ?? new AbortController().signal,
      retry: opts.retry ?? fastRetry,
      onRetry: (info) => retries.push(info),
      debug: opts.debug,
      idleTimeoutMs: opts.idleTimeoutMs,
    })) {
      items.push(item);
    }
  } catch (e) {
    out.error = e;
  }
  out.events = items.filter((i) => i.type === 'event').map((i) => (i as { data: Record<string, unknown> }).data);
  return out;
}

/** The events after the last restart: what a consumer that honours `restart` keeps. */
export function afterLastRestart(items: StreamItem[]): Array<Record<string, unknown>> {
  let start = 0;
  items.forEach((item, i) => {
    if (item.type === 'restart') start = i + 1;
  });
  return items.slice(start).filter((i) => i.type === 'event').map((i) => (i as { data: Record<string, unknown> }).data);
}

/** Folds Chat chunks into text, reasoning, tool calls (by index), finish reason and usage. */
export function foldChat(chunks: Array<Record<string, unknown>>) {
  let text = '';
  let reasoning = '';
  let finish: string | null = null;
  let usage: unknown;
  const calls: Array<{ id?: string; name?: string; arguments: string }> = [];
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    for (const choice of (chunk.choices as Array<Record<string, unknown>>) ?? []) {
      const delta = (choice.delta ?? {}) as Record<string, unknown>;
      if (typeof delta.content === 'string') text += delta.content;
      if (typeof delta.reasoning_content === 'string') reasoning += delta.reasoning_content;
      for (const tc of (delta.tool_calls as Array<Record<string, unknown>>) ?? []) {
        const i = tc.index as number;
        calls[i] ??= { arguments: '' };
        if (typeof tc.id === 'string') calls[i].id = tc.id;
        const fn = (tc.function ?? {}) as Record<string, unknown>;
        if (typeof fn.name === 'string') calls[i].name = fn.name;
        if (typeof fn.arguments === 'string') calls[i].arguments += fn.arguments;
      }
      if (typeof choice.finish_reason === 'string') finish = choice.finish_reason;
    }
  }
  return { text, reasoning, calls, finish, usage };
}
