// A file's diff drawn from the core's render model (rows with line numbers, word highlights and hunk
// ids; sections; hunks). The webview never diffs: with no render model it reads the core's unified text.
import type { DiffRowView, FileDiffView, HunkState } from '../../shared/chat-protocol';
import { attr, escapeHtml, icon } from './html';

interface Section {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  firstRow: number;
  rowCount: number;
}

export interface DiffLayout {
  rows: DiffRowView[];
  sections: Section[];
  /** Row index -> the hunk that starts there. */
  hunkStarts: Map<number, string>;
}

/** Where each hunk starts when only rows are known: a hunk is a run of changed rows with one id. */
function hunkStartsOf(rows: DiffRowView[]): Map<number, string> {
  const starts = new Map<number, string>();
  let prev: string | null = null;
  rows.forEach((r, i) => {
    if (r.hunkId && r.hunkId !== prev) starts.set(i, r.hunkId);
    prev = r.hunkId;
  });
  return starts;
}

/**
 * Reads the core's unified text into the same layout. A hunk is a run of changed lines, so the k-th
 * run gets hunkIds[k] (the engine numbers hunks that way).
 */
export function layoutFromUnified(diff: FileDiffView): DiffLayout {
  const rows: DiffRowView[] = [];
  const sections: Section[] = [];
  let oldLine = 0;
  let newLine = 0;
  let run = -1;
  let inRun = false;
  for (const line of diff.unified.split('\n')) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (header) {
      oldLine = Number(header[1]);
      newLine = Number(header[3]);
      sections.push({
        oldStart: oldLine,
        oldLines: header[2] === undefined ? 1 : Number(header[2]),
        newStart: newLine,
        newLines: header[4] === undefined ? 1 : Number(header[4]),
        firstRow: rows.length,
        rowCount: 0,
      });
      inRun = false;
      continue;
    }
    const section = sections[sections.length - 1];
    if (!section || line.startsWith('\\')) continue; // text before the first @@, "\ No newline" markers
    const kind = line[0] === '+' ? 'insert' : line[0] === '-' ? 'delete' : line[0] === ' ' ? 'context' : null;
    if (!kind) continue;
    if (kind === 'context') inRun = false;
    else if (!inRun) {
      inRun = true;
      run++;
    }
    const hunkId = kind === 'context' ? null : diff.hunkIds[run] ?? null;
    rows.push({
      kind,
      oldLine: kind === 'insert' ? null : oldLine++,
      newLine: kind === 'delete' ? null : newLine++,
      text: line.slice(1),
      highlights: [],
      hunkId,
    });
    section.rowCount++;
  }
  return { rows, sections, hunkStarts: hunkStartsOf(rows) };
}

export function layoutOf(diff: FileDiffView): DiffLayout {
  if (!diff.rows || diff.rows.length === 0) return layoutFromUnified(diff);
  const rows = diff.rows;
  const sections: Section[] =
    diff.sections && diff.sections.length > 0
      ? diff.sections
      : [{ oldStart: rows[0].oldLine ?? 0, oldLines: 0, newStart: rows[0].newLine ?? 0, newLines: 0, firstRow: 0, rowCount: rows.length }];
  let hunkStarts: Map<number, string>;
  if (diff.hunks && diff.hunks.length > 0) {
    hunkStarts = new Map(diff.hunks.map((h) => [h.firstRow, h.id]));
  } else {
    hunkStarts = hunkStartsOf(rows);
  }
  return { rows, sections, hunkStarts };
}

/** Text with its changed ranges wrapped in <mark> (ranges are UTF-16 [start, end) offsets). */
export function highlightText(text: string, ranges: Array<{ start: number; end: number }> | undefined): string {
  if (!ranges || ranges.length === 0) return escapeHtml(text);
  let out = '';
  let at = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const s = Math.max(at, Math.min(r.start, text.length));
    const e = Math.max(s, Math.min(r.end, text.length));
    out += escapeHtml(text.slice(at, s)) + `<mark class="word">${escapeHtml(text.slice(s, e))}</mark>`;
    at = e;
  }
  return out + escapeHtml(text.slice(at));
}

const STATE_LABEL: Record<HunkState, string> = { pending: 'Pending', accepted: 'Accepted', rejected: 'Rejected' };

/**
 * One file's diff as a table: a header per `@@` section, and before each hunk a row with its state
 * and, while the edit is under review and the hunk is undecided, Accept / Reject buttons.
 */
export function renderFileDiff(
  callId: string,
  path: string,
  diff: FileDiffView,
  states: Record<string, HunkState>,
  reviewable: boolean,
): string {
  const { rows, sections, hunkStarts } = layoutOf(diff);
  const hunkNo = new Map(diff.hunkIds.map((id, i) => [id, i + 1]));
  const sectionAt = new Map(sections.map((s) => [s.firstRow, s]));
  const a = `data-call-id="${attr(callId)}" data-path="${attr(path)}"`;
  let body = '';
  rows.forEach((row, i) => {
    const section = sectionAt.get(i);
    if (section) {
      body += `<tr class="diff-section"><td colspan="3">@@ -${section.oldStart},${section.oldLines} +${section.newStart},${section.newLines} @@</td></tr>`;
    }
    const startsHunk = hunkStarts.get(i);
    if (startsHunk) {
      const state: HunkState = states[startsHunk] ?? 'pending';
      const n = hunkNo.get(startsHunk) ?? 0;
      const h = `${a} data-hunk-id="${attr(startsHunk)}"`;
      const buttons =
        reviewable && state === 'pending'
          ? `<button class="text-button" data-action="hunk" data-accept="true" ${h} data-testid="hunk-accept" aria-label="Accept change ${n} in ${attr(path)}">${icon('check')} Accept</button>` +
            `<button class="text-button" data-action="hunk" data-accept="false" ${h} data-testid="hunk-reject" aria-label="Reject change ${n} in ${attr(path)}">${icon('close')} Reject</button>`
          : '';
      body +=
        `<tr class="hunk-header hunk-${state}" data-testid="hunk" data-hunk-id="${attr(startsHunk)}" data-state="${state}">` +
        `<td colspan="3"><span class="hunk-label">Change ${n} of ${diff.hunkIds.length}</span>` +
        `<span class="hunk-state" data-testid="hunk-state">${STATE_LABEL[state]}</span>${buttons}</td></tr>`;
    }
    const sign = row.kind === 'insert' ? '+' : row.kind === 'delete' ? '-' : ' ';
    const state = row.hunkId ? states[row.hunkId] ?? 'pending' : null;
    body +=
      `<tr class="diff-${row.kind}${state ? ` hunk-${state}` : ''}">` +
      `<td class="ln">${row.oldLine ?? ''}</td><td class="ln">${row.newLine ?? ''}</td>` +
      `<td class="code"><span class="sign">${sign}</span>${highlightText(row.text, row.highlights)}</td></tr>`;
  });
  if (rows.length === 0) body = `<tr class="diff-empty"><td colspan="3">No changes to show.</td></tr>`;
  return `<table class="diff" data-testid="file-diff"><tbody>${body}</tbody></table>`;
}
