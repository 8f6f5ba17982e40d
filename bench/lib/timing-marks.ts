// Reading `tack exec`'s TACK_TIMING=1 lines (extension/src/host/agent/timing.ts): where a cold start
// and a step go, as the process itself saw it. Used by section 1 and the probes in this directory.

export interface Mark {
  /** Milliseconds since the process started (performance.now()). */
  t: number;
  stage: string;
}

export function marksOf(stderr: string): { origin: number | undefined; marks: Mark[] } {
  const origin = /^tack timing origin ([\d.]+)$/m.exec(stderr)?.[1];
  const marks = [...stderr.matchAll(/^tack timing ([\d.]+) (.+)$/gm)].filter((m) => m[2] !== 'origin' && !m[2].startsWith('origin ')).map((m) => ({ t: Number(m[1]), stage: m[2] }));
  return { origin: origin === undefined ? undefined : Number(origin), marks };
}

/** The cold start's stages, each as ms since the spawn (`spawnedAt`: epoch ms), first occurrence only. */
export function coldStagesOf(stderr: string, spawnedAt: number): Map<string, number> {
  const { origin, marks } = marksOf(stderr);
  const out = new Map<string, number>();
  if (origin === undefined) return out;
  out.set('process started (Node begins)', origin - spawnedAt);
  for (const m of marks) {
    // The code cache's state is part of the label; the stage is the same either way.
    const stage = m.stage.replace(/ \(code cache: \w+\)$/, '');
    if (!out.has(stage)) out.set(stage, origin - spawnedAt + m.t);
  }
  return out;
}

/** The parts of a tool step, from one mark to the next, in the order a step reaches them. */
export const STEP_PARTS: [from: string, to: string, name: string][] = [
  ['model stream ended', 'exec effect', 'the response handled: the core turns it into a command'],
  ['exec effect', 'exec: checkpoint ready', 'checkpoint before the first command that may write (first step only)'],
  ['exec: checkpoint ready', 'exec: started (sidecar answered)', 'sidecar exec/start round trip (git guard scan, spawn in the sandbox)'],
  ['exec: started (sidecar answered)', 'exec: exited', 'the command runs and its exit is reported (git guard scan after)'],
  ['exec: exited', 'model request', 'the exit handled: the core records the output and builds the next request'],
  ['model request', 'request written', 'the request serialised and written to the socket'],
  ['request written', 'response headers', 'the server answers (until the response headers)'],
  ['response headers', 'first model event', 'the first SSE event read and parsed'],
];

/** A table of named stretches, each from one mark's stage to another's. */
export type StretchTable = readonly (readonly [from: string, to: string, name: string])[];

/**
 * The length of each stretch of `table` whose two marks are both in `at` (stage -> time), in the
 * table's order; a stretch whose end comes before its start (marks out of the expected order) is
 * left out rather than counted as zero.
 */
export function stretches(at: ReadonlyMap<string, number>, table: StretchTable): [string, number][] {
  const out: [string, number][] = [];
  for (const [from, to, name] of table) {
    const a = at.get(from);
    const b = at.get(to);
    if (a !== undefined && b !== undefined && b >= a) out.push([name, b - a]);
  }
  return out;
}

/**
 * Each part's duration for every step of one run (steps before `skip` left out: they pay first-use
 * costs), plus the per-step totals the run reports (`tack timing-total`: the core's handle per event
 * type).
 */
export function stepPartsOf(stderr: string, skip = 2, table: StretchTable = STEP_PARTS): { parts: Map<string, number[]>; totals: Map<string, number[]> } {
  const { marks } = marksOf(stderr);
  const parts = new Map<string, number[]>();
  let step = 0;
  let seen = new Map<string, number>();
  const close = () => {
    if (step <= skip) return;
    for (const [name, ms] of stretches(seen, table)) parts.set(name, [...(parts.get(name) ?? []), ms]);
  };
  for (const m of marks) {
    if (m.stage === 'model stream ended') {
      close();
      step++;
      seen = new Map();
    }
    if (!seen.has(m.stage)) seen.set(m.stage, m.t);
  }
  const totals = new Map<string, number[]>();
  // Totals are written just before each request: one block per step.
  for (const block of stderr.split(/^tack timing [\d.]+ model request$/m).slice(skip + 1, -1)) {
    for (const m of block.matchAll(/^tack timing-total (.+) ([\d.]+) (\d+)$/gm)) totals.set(m[1], [...(totals.get(m[1]) ?? []), Number(m[2])]);
  }
  return { parts, totals };
}
