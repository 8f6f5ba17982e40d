// The pure side of the inline diff (no `vscode` here, so it is unit-tested under node): where each
// hunk of a proposed edit sits in the buffer, how it shifts as other hunks land, and what the editor
// shows for it.
import type { DiffLines } from '../../generated/types/DiffLines';
import type { HunkLines } from '../../generated/types/HunkLines';
import type { HunkState } from '../../generated/types/HunkState';
import { reveal } from '../../shared/display';

export type { HunkState } from '../../generated/types/HunkState';

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


const splitLines = (text: string): string[] => {
  if (text === '') return [];
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
};

/**
 * The hunks of one file, from the engine's diff. Engine positions are 1-based, and a pure insertion
 * names the line it follows (0 at the top), as in unified diffs; here everything is a 0-based index.
 */
export function hunksOf(
  original: string,
  proposed: string,
  diff: Pick<DiffLines, 'hunkIds'> & { hunks: Array<Pick<HunkLines, 'id' | 'oldStart' | 'oldLines' | 'newStart' | 'newLines'>> },
): InlineHunk[] {
  const o = splitLines(original);
  const p = splitLines(proposed);
  return diff.hunks.map((h) => {
    const oldStart = h.oldLines === 0 ? h.oldStart : h.oldStart - 1;
    const newStart = h.newLines === 0 ? h.newStart : h.newStart - 1;
    return {
      id: h.id,
      oldStart,
      oldLines: o.slice(oldStart, oldStart + h.oldLines),
      newStart,
      newLines: p.slice(newStart, newStart + h.newLines),
      state: 'pending' as const,
    };
  });
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
  // Hidden characters are shown as escapes: a decoration would otherwise obey a bidi override.
  const shown = lines.map((l) => reveal(l.replace(/\t/g, '  '), { singleLine: true })).join('  ⏎  ');
  return shown.length > maxChars ? `${shown.slice(0, maxChars - 1)}…` : shown;
}

export const pendingCount = (hunks: InlineHunk[]): number => hunks.filter((h) => h.state === 'pending').length;
