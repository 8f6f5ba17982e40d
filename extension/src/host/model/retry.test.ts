// The retry arithmetic: backoff bounds and reading the server's wait hints.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay, parseRetryAfter, retryAfterFromHeaders, retryDelayFromMessage, sleep } from './retry';
import { ModelError } from './errors';

test('backoff is full jitter under an exponential ceiling capped at the maximum', () => {
  const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(backoffDelay(1, policy, () => 0), 0);
  assert.equal(backoffDelay(1, policy, () => 0.999), 99);
  assert.equal(backoffDelay(3, policy, () => 0.5), 200); // ceiling 400
  assert.equal(backoffDelay(10, policy, () => 0.5), 500); // ceiling capped at 1000
});

test('Retry-After as seconds, fractional seconds or an HTTP date; garbage is ignored', () => {
  const now = Date.parse('2026-11-25T20:00:00Z');
  assert.equal(parseRetryAfter('3', now), 3000);
  assert.equal(parseRetryAfter(' 0.25 ', now), 250);
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 20:00:07 GMT', now), 7000);
  assert.equal(parseRetryAfter('Wed, 25 Nov 2026 19:59:00 GMT', now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter('-5', now), undefined);
});

test('retry-after-ms wins over Retry-After; absent headers give nothing', () => {
  assert.equal(retryAfterFromHeaders(new Headers({ 'retry-after-ms': '1500', 'retry-after': '9' })), 1500);
  assert.equal(retryAfterFromHeaders(new Headers({ 'retry-after': '2' })), 2000);
  assert.equal(retryAfterFromHeaders(new Headers({ 'retry-after-ms': 'x', 'retry-after': '2' })), 2000);
  assert.equal(retryAfterFromHeaders(new Headers()), undefined);
});

test('the wait named in a rate-limit message is read in its unit', () => {
  assert.equal(retryDelayFromMessage('Rate limit reached for gpt-5 on tokens per min. Please try again in 1.5s.'), 1500);
  assert.equal(retryDelayFromMessage('Please try again in 20ms.'), 20);
  assert.equal(retryDelayFromMessage('try again in 2 seconds'), 2000);
  assert.equal(retryDelayFromMessage('Please try again in 1m30s.'), 90_000);
  assert.equal(retryDelayFromMessage('Please try again in 6m0s'), 360_000);
  assert.equal(retryDelayFromMessage('Please try again later.'), undefined);
  assert.equal(retryDelayFromMessage('context length exceeded'), undefined);
});

test('sleep ends early with an aborted error when the signal fires, and at once if already aborted', async () => {
  const ctl = new AbortController();
  const started = Date.now();
  setTimeout(() => ctl.abort(), 20);
  await assert.rejects(sleep(60_000, ctl.signal), (e: unknown) => e instanceof ModelError && e.kind === 'aborted');
  assert.ok(Date.now() - started < 30_000);
  await assert.rejects(sleep(10, ctl.signal), (e: unknown) => e instanceof ModelError && e.kind === 'aborted');
  await sleep(1, new AbortController().signal);
});
