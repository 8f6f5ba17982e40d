// The inline review's merged document, pure (no `vscode` here, so it is unit-tested under node): the
// file as the buffer holds it, with each pending hunk's removed lines followed by its added lines, so
// the editor shows every proposed line as a real line (with the file's own syntax colours) where it
// will land. Each line of the merged text knows what it is (context, removed, added), which hunk and
// which line pair of that hunk it belongs to, and which buffer line it stands for, so a cursor or a
// selection in the merged view maps back to the review's hunks and lines.
import type { InlineHunk } from './hunks';

export type MergedLineKind = 'context' | 'removed' | 'added';

export interface MergedLine {
  kind: MergedLineKind;
  /** The pending hunk this line belongs to (removed and added lines). */
  hunk?: string;
  /** The line pair of that hunk (diff/lines.rs): the index among its old lines or among its new lines. */
  pair?: number;
  /** The 0-based buffer line this line shows (context and removed lines). */
  bufferLine?: number;
}

export interface MergedDocument {
  text: string;
  /** The line ending of the file (the merged text uses it throughout). */
  eol: '\n' | '\r\n';
  lines: MergedLine[];
  /** Each pending hunk's first merged line, in file order. */
  hunkStarts: { id: string; line: number }[];
}

/** The lines of a text without their endings; a final line ending does not start another line. */
export function splitTextLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The file's line ending: CRLF when its first line ends with one. */
export function eolOf(text: string): '\n' | '\r\n' {
  const nl = text.indexOf('\n');
  return nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
}

/**
 * The merged document of a buffer text and its pending hunks (positions are the buffer's: `oldStart`
 * is where the hunk's removed lines start, or the line a pure insertion goes before). Hunks must be
 * in file order and not overlap, as a diff's are; a hunk past the end of the text is drawn at the end.
 */
export function buildMerged(current: string, hunks: readonly InlineHunk[]): MergedDocument {
  const buffer = splitTextLines(current);
  const eol = eolOf(current);
  const out: string[] = [];
  const lines: MergedLine[] = [];
  const hunkStarts: MergedDocument['hunkStarts'] = [];
  let at = 0;
  const context = (until: number) => {
    for (; at < Math.min(until, buffer.length); at++) {
      out.push(buffer[at]!);
      lines.push({ kind: 'context', bufferLine: at });
    }
  };
  for (const h of [...hunks].sort((a, b) => a.oldStart - b.oldStart)) {
    context(h.oldStart);
    hunkStarts.push({ id: h.id, line: out.length });
    h.oldLines.forEach((text, i) => {
      out.push(text);
      lines.push({ kind: 'removed', hunk: h.id, pair: i, bufferLine: at + i });
    });
    at += h.oldLines.length;
    h.newLines.forEach((text, i) => {
      out.push(text);
      lines.push({ kind: 'added', hunk: h.id, pair: i });
    });
  }
  context(buffer.length);
  // The merged text ends like the buffer does (with or without a final line ending).
  const endsWithEol = current.endsWith('\n');
  const text = out.join(eol) + (out.length && (endsWithEol || buffer.length === 0) ? eol : '');
  return { text, eol, lines, hunkStarts };
}

/** The merged text without the lines of one kind (what the view shows once every hunk is decided one way). */
export function withoutKind(doc: MergedDocument, kind: Exclude<MergedLineKind, 'context'>): string[] {
  const all = splitTextLines(doc.text);
  return all.filter((_, i) => doc.lines[i]?.kind !== kind);
}

/**
 * The hunk a cursor on a merged line means: the hunk the line belongs to; on a context line, the hunk
 * right after it (the line before a change counts, as in the buffer), else the next one, else the last.
 */
export function hunkAtMergedLine(doc: MergedDocument, line: number): string | undefined {
  const here = doc.lines[line];
  if (here?.hunk) return here.hunk;
  const next = doc.hunkStarts.find((h) => h.line > line);
  return next?.id ?? doc.hunkStarts.at(-1)?.id;
}

/**
 * The line pairs of one hunk a selection of merged lines (0-based, inclusive) covers: each selected
 * removed line stands for its pair, each selected added line for its pair; undefined when the
 * selection takes no line of that hunk.
 */
export function pairsForMergedLines(doc: MergedDocument, hunkId: string, first: number, last: number): { start: number; end: number } | undefined {
  let start = Infinity;
  let end = -Infinity;
  for (let i = Math.max(first, 0); i <= Math.min(last, doc.lines.length - 1); i++) {
    const l = doc.lines[i]!;
    if (l.hunk !== hunkId || l.pair === undefined) continue;
    start = Math.min(start, l.pair);
    end = Math.max(end, l.pair + 1);
  }
  return start === Infinity ? undefined : { start, end };
}

/** The hunks a selection of merged lines touches, each with its pairs, in file order. */
export function selectedPairs(doc: MergedDocument, first: number, last: number): { id: string; start: number; end: number }[] {
  return doc.hunkStarts.flatMap(({ id }) => {
    const p = pairsForMergedLines(doc, id, first, last);
    return p ? [{ id, ...p }] : [];
  });
}

/** The merged line that shows a buffer line (for moving the cursor between the file and the view). */
export function mergedLineOfBuffer(doc: MergedDocument, bufferLine: number): number {
  let best = 0;
  for (let i = 0; i < doc.lines.length; i++) {
    const b = doc.lines[i]!.bufferLine;
    if (b === undefined) continue;
    if (b === bufferLine) return i;
    if (b < bufferLine) best = i;
  }
  return best;
}

/**
 * The proposal carried over an edit the person made to the buffer during the review (so the merged
 * view follows the buffer): a three-way merge of `current` (what the review was made against), `now`
 * (the buffer) and `proposed`. The person's changes are taken as they are; a pending hunk their
 * change overlaps or touches leaves the proposal (their text wins there), and is counted in `dropped`.
 */
export function followBuffer(
  current: string,
  proposed: string,
  now: string,
  hunksOfTexts: (a: string, b: string) => readonly InlineHunk[],
): { proposed: string; dropped: number } {
  const c = splitTextLines(current);
  type Side = { side: 'mine' | 'theirs'; start: number; end: number; lines: string[] };
  const sides: Side[] = [
    ...hunksOfTexts(current, now).map((h): Side => ({ side: 'mine', start: h.oldStart, end: h.oldStart + h.oldLines.length, lines: h.newLines })),
    ...hunksOfTexts(current, proposed).map((h): Side => ({ side: 'theirs', start: h.oldStart, end: h.oldStart + h.oldLines.length, lines: h.newLines })),
  ].sort((a, b) => a.start - b.start || a.end - b.end);
  const out: string[] = [];
  let at = 0;
  let dropped = 0;
  for (let i = 0; i < sides.length; ) {
    // A cluster: hunks whose spans overlap or touch (closed intervals), from either side.
    let end = sides[i]!.end;
    let j = i + 1;
    for (; j < sides.length && sides[j]!.start <= end; j++) end = Math.max(end, sides[j]!.end);
    const cluster = sides.slice(i, j);
    const start = cluster[0]!.start;
    out.push(...c.slice(at, start));
    const mine = cluster.filter((s) => s.side === 'mine');
    const take = mine.length ? mine : cluster;
    if (mine.length) dropped += cluster.length - mine.length;
    // One side's hunks never overlap each other: apply them over the cluster's span in order.
    let k = start;
    for (const s of take) {
      out.push(...c.slice(k, s.start), ...s.lines);
      k = s.end;
    }
    out.push(...c.slice(k, end));
    at = end;
    i = j;
  }
  out.push(...c.slice(at));
  // Line endings and the final line ending: the person's, unless the proposal changes the final one.
  const eol = eolOf(now || proposed);
  const finalEol = current.endsWith('\n') === now.endsWith('\n') ? proposed.endsWith('\n') : now.endsWith('\n');
  return { proposed: out.join(eol) + (out.length && finalEol ? eol : ''), dropped };
}
