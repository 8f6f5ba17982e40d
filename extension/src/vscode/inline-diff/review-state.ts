// One file's proposal under review, as two texts: `current` (what the buffer holds: the original plus
// everything accepted so far) and `proposed` (what is still proposed: the model's text minus what was
// rejected, or the person's own edit of it). The pending hunks are always diff(current, proposed), so
// whole hunks, some lines of a hunk, and an edited proposal are all the same kind of step. No
// `vscode` here: unit-tested under node with the real engine.
import type { DiffLines } from '../../generated/types/DiffLines';
import type { LineDecision } from '../../generated/types/LineDecision';
import { hunksOf, type HunkState, type InlineHunk } from './hunks';

export interface ReviewEngine {
  /** The line-level diff (hunks as line ranges; the review shows no engine rows). */
  diffLines(original: string, proposed: string): DiffLines;
  applyHunks(original: string, proposed: string, acceptedIds: string[]): string;
  decideHunkLines(current: string, proposed: string, hunkId: string, start: number, end: number, accept: boolean): LineDecision | null;
}

/** A pending hunk of diff(current, proposed), with the hunk of the model's proposal it comes from. */
export interface PendingHunk extends InlineHunk {
  /** The id of the hunk in the model's original diff (the id the chat's card shows). */
  origin: string;
}

/** The texts after a decision, and which original hunks it touched. */
export interface Step {
  current: string;
  proposed: string;
  origins: string[];
  accepted: boolean;
}

/**
 * Which lines of the model's proposal have landed so far, as 1-based line numbers: the original's
 * lines that are gone (`removedOld`) and the proposal's changed lines that are in the file
 * (`landedNew`), so the chat's card can mark them in its diff.
 */
export interface LandedLines {
  removedOld: number[];
  landedNew: number[];
}

/** The lines of `from` that a diff to `to` changes (0-based), from the engine's hunks. */
function changedLines(engine: ReviewEngine, from: string, to: string): Set<number> {
  const out = new Set<number>();
  for (const h of hunksOf(from, to, engine.diffLines(from, to))) for (let i = 0; i < h.oldLines.length; i++) out.add(h.oldStart + i);
  return out;
}

/** What became of the file, for the model. */
export interface ReviewResult {
  acceptedHunkIds: string[];
  rejectedHunkIds: string[];
  /** Set when what landed is not the original plus whole accepted hunks (lines chosen, proposal edited). */
  landed?: string;
}

export class FileProposal {
  current: string;
  proposed: string;
  hunks: PendingHunk[] = [];
  /** The model's hunks, in file order: the chat's card shows these. */
  readonly originIds: string[];
  private readonly acceptedOrigins = new Set<string>();

  constructor(
    private readonly engine: ReviewEngine,
    readonly original: string,
    readonly modelProposed: string,
  ) {
    this.current = original;
    this.proposed = modelProposed;
    const diff = engine.diffLines(original, modelProposed);
    this.originIds = diff.hunkIds;
    this.hunks = hunksOf(original, modelProposed, diff).map((h) => ({ ...h, origin: h.id }));
  }

  get done(): boolean {
    return this.hunks.length === 0;
  }

  private step(current: string, proposed: string, origins: string[], accepted: boolean): Step {
    return { current, proposed, origins: [...new Set(origins)], accepted };
  }

  /** Accepts whole pending hunks (by current id). */
  accept(ids: readonly string[]): Step {
    const hit = this.hunks.filter((h) => ids.includes(h.id));
    return this.step(this.engine.applyHunks(this.current, this.proposed, hit.map((h) => h.id)), this.proposed, hit.map((h) => h.origin), true);
  }

  /** Rejects whole pending hunks: they leave the proposal. */
  reject(ids: readonly string[]): Step {
    const hit = this.hunks.filter((h) => ids.includes(h.id));
    const keep = this.hunks.filter((h) => !ids.includes(h.id)).map((h) => h.id);
    return this.step(this.current, this.engine.applyHunks(this.current, this.proposed, keep), hit.map((h) => h.origin), false);
  }

  /** Accepts or rejects the line pairs [start, end) of one pending hunk (diff/lines.rs). */
  lines(id: string, start: number, end: number, accept: boolean): Step | undefined {
    const h = this.hunks.find((x) => x.id === id);
    if (!h) return undefined;
    const r = this.engine.decideHunkLines(this.current, this.proposed, id, start, end, accept);
    return r ? this.step(r.current, r.proposed, [h.origin], accept) : undefined;
  }

  /** The person's own text in place of what is proposed. */
  edit(text: string): Step {
    return this.step(this.current, text, [], false);
  }

  /** Pending hunk ids that come from these original hunks. */
  idsOfOrigins(origins: readonly string[]): string[] {
    return this.hunks.filter((h) => origins.includes(h.origin)).map((h) => h.id);
  }

  /**
   * Takes a step: the new texts and the new pending hunks. Hunks the step did not touch keep their
   * origin (matched by their lines, in order); new ones belong to the hunk the step touched, or to
   * the nearest earlier pending hunk (an edit may move things around).
   */
  commit(s: Step): void {
    if (s.accepted) s.origins.forEach((o) => this.acceptedOrigins.add(o));
    const before = this.hunks;
    this.current = s.current;
    this.proposed = s.proposed;
    const fresh = hunksOf(s.current, s.proposed, this.engine.diffLines(s.current, s.proposed));
    const untouched = before.filter((h) => !s.origins.includes(h.origin));
    const same = (a: InlineHunk, b: InlineHunk) =>
      a.oldLines.length === b.oldLines.length && a.newLines.length === b.newLines.length &&
      a.oldLines.every((l, i) => l === b.oldLines[i]) && a.newLines.every((l, i) => l === b.newLines[i]);
    let u = 0;
    let last: string | undefined = s.origins[0];
    this.hunks = fresh.map((h) => {
      // The next untouched hunk with the same lines keeps its origin.
      const match = untouched.slice(u).findIndex((x) => same(x, h));
      if (match >= 0) {
        const x = untouched[u + match];
        u += match + 1;
        last = x.origin;
        return { ...h, origin: x.origin };
      }
      const origin = s.origins[0] ?? last ?? nearestOrigin(before, h) ?? this.originIds[0] ?? h.id;
      return { ...h, origin };
    });
  }

  /** Each original hunk's state, for the chat's card: an accepted one of which not every line landed is `partial`. */
  states(landed: LandedLines = this.landedLines()): Record<string, HunkState> {
    const pending = new Set(this.hunks.map((h) => h.origin));
    const removed = new Set(landed.removedOld);
    const added = new Set(landed.landedNew);
    const whole = new Map(
      hunksOf(this.original, this.modelProposed, this.engine.diffLines(this.original, this.modelProposed)).map((h) => [
        h.id,
        h.oldLines.every((_, i) => removed.has(h.oldStart + i + 1)) && h.newLines.every((_, i) => added.has(h.newStart + i + 1)),
      ]),
    );
    return Object.fromEntries(
      this.originIds.map((id) => {
        const state: HunkState = pending.has(id) ? 'pending' : this.acceptedOrigins.has(id) ? (whole.get(id) === false ? 'partial' : 'accepted') : 'rejected';
        return [id, state] as const;
      }),
    );
  }

  /** The model's lines that have landed so far (for the card's diff). */
  landedLines(): LandedLines {
    const gone = changedLines(this.engine, this.original, this.current);
    const notThere = changedLines(this.engine, this.modelProposed, this.current);
    const proposedChanged = new Set<number>();
    for (const h of hunksOf(this.original, this.modelProposed, this.engine.diffLines(this.original, this.modelProposed))) {
      for (let i = 0; i < h.newLines.length; i++) proposedChanged.add(h.newStart + i);
    }
    return {
      removedOld: [...gone].sort((a, b) => a - b).map((l) => l + 1),
      landedNew: [...proposedChanged].filter((l) => !notThere.has(l)).sort((a, b) => a - b).map((l) => l + 1),
    };
  }

  result(): ReviewResult {
    const acceptedHunkIds = this.originIds.filter((id) => this.acceptedOrigins.has(id));
    const rejectedHunkIds = this.originIds.filter((id) => !this.acceptedOrigins.has(id));
    const wholeHunks = this.engine.applyHunks(this.original, this.modelProposed, acceptedHunkIds);
    return { acceptedHunkIds, rejectedHunkIds, ...(this.current !== wholeHunks ? { landed: this.current } : {}) };
  }
}

function nearestOrigin(hunks: PendingHunk[], h: InlineHunk): string | undefined {
  let best: PendingHunk | undefined;
  for (const x of hunks) if (x.oldStart <= h.oldStart) best = x;
  return (best ?? hunks[0])?.origin;
}

/**
 * The line pairs of a hunk a selection of buffer lines covers (0-based lines, inclusive). Buffer lines
 * are the hunk's old lines; selecting its last old line takes the new lines past it too. A hunk with
 * no old lines (a pure insertion) is taken whole.
 */
export function pairsForBufferLines(h: InlineHunk, first: number, last: number): { start: number; end: number } | undefined {
  const n = Math.max(h.oldLines.length, h.newLines.length);
  if (h.oldLines.length === 0) return first <= h.oldStart && last >= h.oldStart - 1 ? { start: 0, end: n } : undefined;
  const a = Math.max(first - h.oldStart, 0);
  const b = Math.min(last - h.oldStart, h.oldLines.length - 1);
  if (b < a) return undefined;
  return { start: a, end: b === h.oldLines.length - 1 ? n : b + 1 };
}

/** The same for a selection in the proposed text (the side-by-side diff's right side). */
export function pairsForProposedLines(h: InlineHunk, first: number, last: number): { start: number; end: number } | undefined {
  const n = Math.max(h.oldLines.length, h.newLines.length);
  if (h.newLines.length === 0) return first <= h.newStart && last >= h.newStart - 1 ? { start: 0, end: n } : undefined;
  const a = Math.max(first - h.newStart, 0);
  const b = Math.min(last - h.newStart, h.newLines.length - 1);
  if (b < a) return undefined;
  return { start: a, end: b === h.newLines.length - 1 ? n : b + 1 };
}
