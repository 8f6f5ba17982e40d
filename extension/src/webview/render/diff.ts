// A file's diff drawn from the core's render model (FileDiff: rows with line numbers, word highlights
// and hunk ids; `@@` sections; hunks). The webview never diffs anything itself.
import type { DiffRow, FileDiff, HunkState, LandedLines } from '../../shared/chat-protocol';
import { reveal, revealHtml } from '../../shared/display';
import { attr, icon } from './html';

/** Text with its changed ranges wrapped in <mark> (ranges are UTF-16 [start, end) offsets). */
export function highlightText(text: string, ranges: ReadonlyArray<{ start: number; end: number }>): string {
  if (ranges.length === 0) return revealHtml(text);
  let out = '';
  let at = 0;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const s = Math.max(at, Math.min(r.start, text.length));
    const e = Math.max(s, Math.min(r.end, text.length));
    out += revealHtml(text.slice(at, s)) + `<mark class="word">${revealHtml(text.slice(s, e))}</mark>`;
    at = e;
  }
  return out + revealHtml(text.slice(at));
}

/** Rows drawn per file; a bigger diff is cut (the side-by-side diff and the editor show all of it). */
export const MAX_DIFF_ROWS = 1500;

const STATE_LABEL: Record<HunkState, string> = { pending: 'Pending', accepted: 'Accepted', partial: 'Partly accepted', rejected: 'Rejected' };

/**
 * For a hunk decided line by line (partly accepted, or pending with some lines landed): whether this
 * row's line landed (an added line now in the file, a removed line gone) or not. null elsewhere.
 */
function rowLanded(row: DiffRow, state: HunkState | null, lines: LandedLines | undefined): boolean | null {
  if (!lines || (state !== 'partial' && state !== 'pending')) return null;
  if (row.kind === 'insert' && row.newLine != null) return lines.landedNew.includes(row.newLine);
  if (row.kind === 'delete' && row.oldLine != null) return lines.removedOld.includes(row.oldLine);
  return null;
}

function rowHtml(row: DiffRow, states: Record<string, HunkState>, lines?: LandedLines, partlyLanded?: Set<string>): string {
  const sign = row.kind === 'insert' ? '+' : row.kind === 'delete' ? '-' : ' ';
  const state = row.hunkId ? states[row.hunkId] ?? 'pending' : null;
  const landed = row.hunkId && (state === 'partial' || partlyLanded?.has(row.hunkId)) ? rowLanded(row, state, lines) : null;
  const cls = `diff-${row.kind}${state ? ` hunk-${state}` : ''}${landed === null ? '' : landed ? ' line-landed' : ' line-not-landed'}`;
  const title =
    landed === null ? '' : row.kind === 'insert' ? (landed ? 'This line landed' : 'This line did not land') : landed ? 'This line was removed' : 'This line was kept';
  return (
    `<tr class="${cls}"${landed === null ? '' : ` data-landed="${landed}" title="${title}"`}>` +
    `<td class="ln">${row.oldLine ?? ''}</td><td class="ln">${row.newLine ?? ''}</td>` +
    `<td class="code"><span class="sign">${sign}</span>${highlightText(row.text, row.highlights)}</td></tr>`
  );
}

/**
 * One file's diff as a table: a header per `@@` section, and before each hunk a row with its state
 * and, while the edit is under review and the hunk is undecided, Accept / Reject buttons.
 */
export function renderFileDiff(
  itemId: string,
  path: string,
  diff: FileDiff,
  states: Record<string, HunkState>,
  reviewable: boolean,
  lines?: LandedLines,
): string {
  if (diff.rows.length === 0) {
    return `<table class="diff" data-testid="file-diff"><tbody><tr class="diff-empty"><td colspan="3">No changes to show.</td></tr></tbody></table>`;
  }
  // Pending hunks some of whose lines already landed are marked line by line too.
  const partlyLanded = new Set<string>();
  if (lines) {
    for (const row of diff.rows) {
      if (row.hunkId && (states[row.hunkId] ?? 'pending') === 'pending' && rowLanded(row, 'pending', lines)) partlyLanded.add(row.hunkId);
    }
  }
  const sectionAt = new Map(diff.sections.map((s) => [s.firstRow, s]));
  const hunkAt = new Map(diff.hunks.map((h, i) => [h.firstRow, { id: h.id, n: i + 1 }]));
  const a = `data-item-id="${attr(itemId)}" data-path="${attr(path)}"`;
  const named = attr(reveal(path, { singleLine: true }));
  let body = '';
  const shown = diff.rows.length > MAX_DIFF_ROWS ? diff.rows.slice(0, MAX_DIFF_ROWS) : diff.rows;
  shown.forEach((row, i) => {
    const section = sectionAt.get(i);
    if (section) {
      body += `<tr class="diff-section"><td colspan="3">@@ -${section.oldStart},${section.oldLines} +${section.newStart},${section.newLines} @@</td></tr>`;
    }
    const hunk = hunkAt.get(i);
    if (hunk) {
      const state: HunkState = states[hunk.id] ?? 'pending';
      const h = `${a} data-hunk-id="${attr(hunk.id)}"`;
      const buttons =
        reviewable && state === 'pending'
          ? `<button class="text-button" data-action="hunk" data-accept="true" ${h} data-testid="hunk-accept" aria-label="Accept change ${hunk.n} in ${named}">${icon('check')} Accept</button>` +
            `<button class="text-button" data-action="hunk" data-accept="false" ${h} data-testid="hunk-reject" aria-label="Reject change ${hunk.n} in ${named}">${icon('close')} Reject</button>`
          : '';
      body +=
        `<tr class="hunk-header hunk-${state}" data-testid="hunk" data-hunk-id="${attr(hunk.id)}" data-state="${state}">` +
        `<td colspan="3"><div class="hunk-bar"><span class="hunk-label">Change ${hunk.n} of ${diff.hunks.length}</span>` +
        `<span class="hunk-state" data-testid="hunk-state">${STATE_LABEL[state]}</span>${buttons}</div></td></tr>`;
    }
    body += rowHtml(row, states, lines, partlyLanded);
  });
  if (shown.length < diff.rows.length) {
    const more = diff.rows.length - shown.length;
    body +=
      `<tr class="diff-more" data-testid="diff-more"><td colspan="3">${more} more lines not shown here. ` +
      `<button class="text-button" data-action="open-diff" ${a}>Open the side-by-side diff</button></td></tr>`;
  }
  // Column widths come from the colgroup (table-layout: fixed would otherwise take them from the
  // first row, which spans all three).
  return `<table class="diff" data-testid="file-diff"><colgroup><col class="ln-col"><col class="ln-col"><col></colgroup><tbody>${body}</tbody></table>`;
}
