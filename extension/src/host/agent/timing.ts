// TACK_TIMING=1: one line on stderr per stage of a run (`tack timing <ms since the process started>
// <stage>`), to see where a cold start and a step go. Off, each mark is one boolean test.
// bench/lib/cold-probe.ts and bench/lib/step-probe.ts read these lines; they carry no content of
// the conversation.
export const timingOn = process.env.TACK_TIMING === '1';
let originSaid = false;
/** Time spent in repeated small calls (the core's handle, session-file appends) since the last flush. */
const spent = new Map<string, { ms: number; n: number }>();

export function timingMark(stage: string): void {
  if (!timingOn) return;
  if (!originSaid) {
    originSaid = true;
    // performance.now() counts from the process's start; the origin lets a parent line it up with its spawn.
    process.stderr.write(`tack timing origin ${performance.timeOrigin.toFixed(1)}\n`);
  }
  process.stderr.write(`tack timing ${performance.now().toFixed(1)} ${stage}\n`);
}

/** Adds `ms` to the running total for `what` (see timingFlush). */
export function timingAdd(what: string, ms: number): void {
  if (!timingOn) return;
  const s = spent.get(what);
  if (s) {
    s.ms += ms;
    s.n += 1;
  } else spent.set(what, { ms, n: 1 });
}

/** Writes the totals gathered since the last flush (`tack timing-total <what> <ms> <calls>`) and resets them. */
export function timingFlush(): void {
  if (!timingOn) return;
  for (const [what, s] of spent) process.stderr.write(`tack timing-total ${what} ${s.ms.toFixed(2)} ${s.n}\n`);
  spent.clear();
}
