// TACK_TIMING=1: one line on stderr per stage of a run (`tack timing <ms since the process started>
// <stage>`), to see where a cold start and a step go. Off, each mark is one boolean test.
// bench/lib/cold-probe.ts reads these lines; they carry no content of the conversation.
const enabled = process.env.TACK_TIMING === '1';
let originSaid = false;

export function timingMark(stage: string): void {
  if (!enabled) return;
  if (!originSaid) {
    originSaid = true;
    // performance.now() counts from the process's start; the origin lets a parent line it up with its spawn.
    process.stderr.write(`tack timing origin ${performance.timeOrigin.toFixed(1)}\n`);
  }
  process.stderr.write(`tack timing ${performance.now().toFixed(1)} ${stage}\n`);
}
