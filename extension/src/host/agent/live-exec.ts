// One command running in the sidecar on the agent's behalf: collects its output between answers to
// the core (bounded: head and tail kept), and waits for its exit or a yield time.
import type { ExecExitedNotification, ExecHandle } from '../sidecar';

/** How much output is kept per answer before the middle is dropped (the core bounds it further). */
const KEEP_BYTES = 256 * 1024;

export type WaitResult =
  | { kind: 'exited'; exitCode: number; timedOut: boolean; durationMs: number; output: string; truncatedBytes: number }
  | { kind: 'yielded'; durationMs: number; output: string }
  | { kind: 'failed'; message: string };

export class LiveExec {
  private head = '';
  private tail = '';
  private dropped = 0;
  private exit: ExecExitedNotification | undefined;
  private failure: string | undefined;
  private readonly settled: Promise<void>;
  readonly startedAt = Date.now();

  constructor(readonly handle: ExecHandle) {
    this.settled = handle.exited.then(
      (n) => {
        this.exit = n;
      },
      (err: unknown) => {
        this.failure = describeLoss(err);
      },
    );
  }

  /** Live output from the sidecar. */
  push(text: string): void {
    if (this.head.length < KEEP_BYTES) {
      const room = KEEP_BYTES - this.head.length;
      this.head += text.slice(0, room);
      text = text.slice(room);
    }
    if (text.length === 0) return;
    this.tail += text;
    if (this.tail.length > KEEP_BYTES) {
      this.dropped += Buffer.byteLength(this.tail.slice(0, this.tail.length - KEEP_BYTES));
      this.tail = this.tail.slice(this.tail.length - KEEP_BYTES);
    }
  }

  /** Output since the last take, with how many bytes were dropped from its middle. */
  private take(): { output: string; truncatedBytes: number } {
    const output = this.dropped > 0 ? `${this.head}\n${this.tail}` : this.head + this.tail;
    const truncatedBytes = this.dropped;
    this.head = '';
    this.tail = '';
    this.dropped = 0;
    return { output, truncatedBytes };
  }

  get done(): boolean {
    return this.exit !== undefined || this.failure !== undefined;
  }

  /** Waits for the exit, or at most `yieldMs` when given; `since` is when this wait's call began. */
  async wait(yieldMs: number | undefined, since: number, signal: AbortSignal): Promise<WaitResult> {
    // The turn's signal outlives this wait (a turn runs many commands): the listener goes with it.
    let onAbort: (() => void) | undefined;
    const waits: Promise<unknown>[] = [this.settled];
    if (signal.aborted) waits.push(Promise.resolve());
    else waits.push(new Promise<void>((r) => signal.addEventListener('abort', (onAbort = () => r()), { once: true })));
    let timer: NodeJS.Timeout | undefined;
    if (yieldMs !== undefined) waits.push(new Promise<void>((r) => (timer = setTimeout(r, yieldMs))));
    await Promise.race(waits);
    if (timer) clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
    // Output notifications precede exec/exited on the wire; give queued ones a turn to land.
    await new Promise<void>((r) => setImmediate(r));
    const durationMs = Date.now() - since;
    if (this.failure !== undefined) return { kind: 'failed', message: this.failure };
    if (this.exit) {
      const n = this.exit;
      const exitCode = n.exitCode ?? (n.signal ? 128 + signalNumber(n.signal) : -1);
      return { kind: 'exited', exitCode, timedOut: n.timedOut, durationMs, ...this.take() };
    }
    return { kind: 'yielded', durationMs, output: this.take().output };
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

function signalNumber(name: string): number {
  return SIGNALS[name] ?? 0;
}

export function describeLoss(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'SidecarCrashedError') {
    return `the command runner (tack-sidecar) stopped unexpectedly while this command ran (${msg}); its result is unknown. It has been restarted, so you may run the command again.`;
  }
  return msg;
}
