// Summaries of repeated timings. Medians, not means: one stray slow run on a shared machine should
// not move the headline number.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function summarize(xs: number[]): Summary {
  if (xs.length === 0) throw new Error('summarize: no samples');
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { n: s.length, median, min: s[0], max: s[s.length - 1] };
}

/**
 * Runs `fn` untimed for at least `ms` milliseconds (and at least once): long enough for V8 to tier
 * up a small function's JavaScript and wasm, so the timed runs that follow measure the code it
 * settles on rather than its baseline tiers.
 */
export function warmFor(fn: () => unknown, ms: number): void {
  const until = performance.now() + ms;
  do fn();
  while (performance.now() < until);
}

/** Times `fn` `reps` times after `warmup` untimed runs; milliseconds per run. */
export function timeSync(fn: () => unknown, reps: number, warmup = 1): number[] {
  for (let i = 0; i < warmup; i++) fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    out.push(performance.now() - t0);
  }
  return out;
}

export async function timeAsync(fn: () => Promise<unknown>, reps: number, warmup = 1): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

/** A number for a table: 3 significant digits, no exponent for everyday magnitudes. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  if (a >= 0.01) return x.toFixed(3);
  return x.toPrecision(2);
}

export function fmtSummary(s: Summary, unit = 'ms'): string[] {
  return [`${fmt(s.median)} ${unit}`, `${fmt(s.min)}–${fmt(s.max)}`, String(s.n)];
}

/** "12.3x" for a ratio a/b (how many times b fits in a). */
export function ratio(a: number, b: number): string {
  if (b === 0) return 'n/a';
  return `${fmt(a / b)}x`;
}

/** "3.2x faster" when peer/ours ≥ 1, else "1.5x slower": never "0.7x faster". */
export function speedup(peerMs: number, oursMs: number): string {
  const x = peerMs / oursMs;
  return x >= 1 ? `${fmt(x)}x faster` : `${fmt(1 / x)}x slower`;
}

/** "4.0x lower" / "1.3x higher" for costs such as per-step overhead or memory. */
export function lower(peer: number, ours: number): string {
  const x = peer / ours;
  return x >= 1 ? `${fmt(x)}x lower` : `${fmt(1 / x)}x higher`;
}
