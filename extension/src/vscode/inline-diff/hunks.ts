// The pure side of the inline diff (no `vscode` here, so it is unit-tested under node): where each
// hunk of a proposed edit sits in the buffer, how it shifts as other hunks land, and what the editor
// shows for it.

export type HunkState = 'pending' | 'accepted' | 'rejected';

export interface InlineHunk {
  /** The diff engine's stable id. */
  id: string;
  /** 0-based line in the original text where the hunk's removed lines start (or where it inserts). */
  oldStart: number;
  oldLines: string[];
  /** 0-based line in the proposed text where the inserted lines start. */
  newStart: number;
  newLines: string[];
  state: HunkState;
}

/** The one row shape we need from the engine's render model. */
export interface DiffRow {
  kind: string; // 'context' | 'insert' | 'delete' (anything else is treated as context)
  oldLine?: number | null; // 1-based
  newLine?: number | null; // 1-based
  text: string;
  hunkId?: string | null;
}

export interface EngineFileDiff {
  hunkIds: string[];
  unified: string;
  rows?: DiffRow[];
}

const splitLines = (text: string): string[] => {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
};

/** Hunks from the engine's render model: consecutive insert/delete rows sharing a hunk id. */
function hunksFromRows(rows: DiffRow[], hunkIds: string[]): InlineHunk[] {
  const byId = new Map<string, InlineHunk>();
  let oldCursor = 0; // 0-based line after the last row seen in the original
  let newCursor = 0;
  for (const row of rows) {
    if (row.kind === 'insert' || row.kind === 'delete') {
      const id = row.hunkId ?? '';
      let h = byId.get(id);
      if (!h) {
        h = { id, oldStart: oldCursor, oldLines: [], newStart: newCursor, newLines: [], state: 'pending' };
        byId.set(id, h);
      }
      if (row.kind === 'delete') {
        h.oldLines.push(row.text);
        if (row.oldLine != null) oldCursor = row.oldLine;
      } else {
        h.newLines.push(row.text);
        if (row.newLine != null) newCursor = row.newLine;
      }
    } else {
      if (row.oldLine != null) oldCursor = row.oldLine;
      if (row.newLine != null) newCursor = row.newLine;
    }
  }
  const order = hunkIds.length ? hunkIds : [...byId.keys()];
  return order.map((id) => byId.get(id)).filter((h): h is InlineHunk => !!h);
}

/**
 * Hunks from the unified text: each run of -/+ lines is one change; runs are matched to the engine's
 * hunk ids in file order. The engine's ids name either unified hunks (then all runs of one @@ hunk
 * share its id) or single change runs; both are handled by counting.
 */
function hunksFromUnified(unified: string, hunkIds: string[]): InlineHunk[] {
  const headers: { runs: InlineHunk[] }[] = [];
  let oldLine = 0;
  let newLine = 0;
  let cur: InlineHunk | null = null;
  for (const line of unified.split('\n')) {
    const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (m) {
      // "-a,0" means "after line a": the 0-based insertion point is a.
      oldLine = Number(m[2] === '0' ? Number(m[1]) + 1 : m[1]) - 1;
      newLine = Number(m[4] === '0' ? Number(m[3]) + 1 : m[3]) - 1;
      headers.push({ runs: [] });
      cur = null;
      continue;
    }
    if (!headers.length || line.startsWith('\\')) continue;
    const runs = headers[headers.length - 1].runs;
    if (line.startsWith('-') || line.startsWith('+')) {
      if (!cur) {
        cur = { id: '', oldStart: oldLine, oldLines: [], newStart: newLine, newLines: [], state: 'pending' };
        runs.push(cur);
      }
      if (line.startsWith('-')) { cur.oldLines.push(line.slice(1)); oldLine++; } else { cur.newLines.push(line.slice(1)); newLine++; }
    } else if (line.startsWith(' ')) {
      cur = null;
      oldLine++;
      newLine++;
    }
  }
  const runs = headers.flatMap((h) => h.runs);
  if (hunkIds.length === runs.length) return runs.map((r, i) => ({ ...r, id: hunkIds[i] }));
  if (hunkIds.length === headers.length) {
    // One id per @@ hunk: merge its runs into one span (the context between them is kept as is).
    return headers.map((h, i) => mergeRuns(h.runs, hunkIds[i]));
  }
  throw new Error(`the diff has ${runs.length} changes but ${hunkIds.length} hunk ids`);
}

function mergeRuns(runs: InlineHunk[], id: string): InlineHunk {
  // The span runs from the first change to the last; the unchanged lines between them count on both
  // sides (hunksOf fills in the real texts).
  const first = runs[0];
  const last = runs[runs.length - 1];
  const oldLen = last.oldStart + last.oldLines.length - first.oldStart;
  const newLen = last.newStart + last.newLines.length - first.newStart;
  return { id, oldStart: first.oldStart, oldLines: new Array<string>(oldLen).fill(''), newStart: first.newStart, newLines: new Array<string>(newLen).fill(''), state: 'pending' };
}

/** The hunks of one file, with their texts taken from the original and proposed contents. */
export function hunksOf(original: string, proposed: string, diff: EngineFileDiff): InlineHunk[] {
  const hunks = diff.rows?.length ? hunksFromRows(diff.rows, diff.hunkIds) : hunksFromUnified(diff.unified, diff.hunkIds);
  // Take line texts from the real contents (the render model may trim line endings or mark context).
  const o = splitLines(original);
  const p = splitLines(proposed);
  return hunks.map((h) => ({
    ...h,
    oldLines: o.slice(h.oldStart, h.oldStart + h.oldLines.length),
    newLines: p.slice(h.newStart, h.newStart + h.newLines.length),
  }));
}

/** Where a hunk's original lines sit in the buffer now, after the hunks accepted before it landed. */
export function currentStart(hunks: InlineHunk[], target: InlineHunk): number {
  let shift = 0;
  for (const h of hunks) {
    if (h === target) break;
    if (h.state === 'accepted' && h.oldStart <= target.oldStart) shift += h.newLines.length - h.oldLines.length;
  }
  return target.oldStart + shift;
}

/** The hunk whose span covers a buffer line (0-based), or the nearest one following it. */
export function hunkAtLine(hunks: InlineHunk[], line: number): InlineHunk | undefined {
  const pending = hunks.filter((h) => h.state === 'pending');
  for (const h of pending) {
    const start = currentStart(hunks, h);
    const end = start + Math.max(h.oldLines.length, 1) - 1;
    if (line >= start - 1 && line <= end) return h;
  }
  return pending.find((h) => currentStart(hunks, h) >= line) ?? pending.at(-1);
}

/** One-line text that shows what a hunk inserts, for the decoration beside its removed lines. */
export function insertionLabel(lines: string[], maxChars = 160): string {
  const shown = lines.map((l) => l.replace(/\t/g, '  ')).join('  ⏎  ');
  return shown.length > maxChars ? `${shown.slice(0, maxChars - 1)}…` : shown;
}

export const pendingCount = (hunks: InlineHunk[]): number => hunks.filter((h) => h.state === 'pending').length;
