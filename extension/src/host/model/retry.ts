// Backoff arithmetic and the server's own hints about how long to wait.

import { ModelError } from './errors';

export interface RetryPolicy {
  /** Total HTTP attempts, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A server that asks for a longer wait than this is not waited for: the error is reported instead. */
  maxServerDelayMs: number;
  /**
   * No retry starts once this much time has passed since the first of the failing attempts (waits
   * included); an attempt that handed on events before it failed starts the count again.
   */
  maxTotalMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 20_000, maxServerDelayMs: 120_000, maxTotalMs: 300_000 };

/** Exponential backoff with full jitter: uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * The wait a response asks for, in ms: `retry-after-ms` (OpenAI's precise variant), else `Retry-After`
 * as seconds or as an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterFromHeaders(headers: { get(name: string): string | null }, now: number = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  return parseRetryAfter(value, now);
}

export function parseRetryAfter(value: string, now: number = Date.now()): number | undefined {
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.ceil(Number(v) * 1000);
  // An HTTP date always names its month; this keeps `Date.parse` leniency ("-5" is a year) out.
  if (!/[A-Za-z]{3}/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** "Please try again in 1.5s" / "in 20ms" / "in 2 seconds" / "in 1m30s" inside an error message, in ms. */
export function retryDelayFromMessage(message: string): number | undefined {
  const m = /try again in\s+((?:\d+(?:\.\d+)?\s*(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)\s*)+)/i.exec(message);
  if (!m) return undefined;
  let total = 0;
  for (const part of m[1].matchAll(/(\d+(?:\.\d+)?)\s*(ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?)/gi)) {
    const n = Number(part[1]);
    const unit = part[2].toLowerCase();
    if (unit === 'ms' || unit.startsWith('milli')) total += n;
    else if (unit === 'm' || unit.startsWith('min')) total += n * 60_000;
    else total += n * 1000;
  }
  return Math.ceil(total);
}

/** Resolves after `ms`, or rejects with an `aborted` ModelError the moment `signal` fires. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortedError(): ModelError {
  return new ModelError('aborted', 'the model request was cancelled');
}
