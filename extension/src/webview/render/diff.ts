// A file's diff drawn from the core's render model (rows with line numbers, word highlights and hunk
// ids). The webview never diffs: when the model has no rows, the core's unified text is read as is.
import type { DiffRow, FileDiff, HunkState } from '../../shared/chat-protocol';
import { attr, escapeHtml, icon } from './html';

/** Reads the core's unified diff into rows; hunk i of the text gets hunkIds[i]. */
export function rowsFromUnified(diff: FileDiff): DiffRow[] {
  const rows: DiffRow[] = [];
  let hunk = -1;
  let oldLine = 0;
  let newLine = 0;
  for (const line of diff.unified.split('\n')) {
    const header = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/.exec(line);
    if (header) {
      hunk++;
      oldLine = Number(header[1]);
      newLine = Number(header[2]);
      rows.push({ kind: 'hunk', text: line, hunkId: diff.hunkIds[hunk] ?? null });
      continue;
    }
    if (hunk < 0 || line.startsWith('\\')) continue; // file headers and "\ No newline" markers
    const hunkId = diff.hunkIds[hunk] ?? null;
    if (line.startsWith('+')) rows.push({ kind: 'add', newLine: newLine++, oldLine: null, text: line.slice(1), hunkId });
    else if (line.startsWith('-')) rows.push({ kind: 'delete', oldLine: oldLine++, newLine: null, text: line.slice(1), hunkId });
    else if (line.startsWith(' ')) rows.push({ kind: 'context', oldLine: oldLine++, newLine: newLine++, text: line.slice(1), hunkId });
  }
  return rows;
}

/** Text with its changed ranges wrapped in <mark> (ranges are [start, end) code-unit offsets). */
export function highlightText(text: string, ranges: Array<[number, number]> | undefined): string {
  if (!ranges || ranges.length === 0) return escapeHtml(text);
  let out = '';
  let at = 0;
  for (const [s0, e0] of [...ranges].sort((a, b) => a[0] - b[0])) {
    const s = Math.max(at, Math.min(s0, text.length));
    const e = Math.max(s, Math.min(e0, text.length));
    out += escapeHtml(text.slice(at, s)) + `<mark class="word">${escapeHtml(text.slice(s, e))}</mark>`;
    at = e;
  }
  return out + escapeHtml(text.slice(at));
}

const STATE_LABEL: Record<HunkState, string> = { pending: 'Pending', accepted: 'Accepted', rejected: 'Rejected' };

/**
 * One file's diff as a table. Each hunk starts with a header row carrying its state and, while the
 * edit is still under review, Accept / Reject buttons (data-action="hunk").
 */
export function renderFileDiff(
  callId: string,
  path: string,
  diff: FileDiff,
  states: Record<string, HunkState>,
  reviewable: boolean,
): string {
  const rows = diff.rows && diff.rows.length > 0 ? diff.rows : rowsFromUnified(diff);
  let body = '';
  let currentHunk: string | null | undefined;
  let hunkNo = 0;
  const hunkHeader = (hunkId: string | null, label: string): string => {
    hunkNo++;
    const state: HunkState = (hunkId && states[hunkId]) || 'pending';
    const buttons =
      reviewable && hunkId && state === 'pending'
        ? `<button class="icon-button" data-action="hunk" data-accept="true" data-call-id="${attr(callId)}" data-path="${attr(path)}" data-hunk-id="${attr(hunkId)}" data-testid="hunk-accept" title="Accept this change" aria-label="Accept change ${hunkNo} in ${attr(path)}">${icon('check')}</button>` +
          `<button class="icon-button" data-action="hunk" data-accept="false" data-call-id="${attr(callId)}" data-path="${attr(path)}" data-hunk-id="${attr(hunkId)}" data-testid="hunk-reject" title="Reject this change" aria-label="Reject change ${hunkNo} in ${attr(path)}">${icon('close')}</button>`
        : '';
    return (
      `<tr class="hunk-header hunk-${state}" data-testid="hunk" data-hunk-id="${attr(hunkId ?? '')}" data-state="${state}">` +
      `<td colspan="3"><span class="hunk-label">${escapeHtml(label)}</span>` +
      `<span class="hunk-state" data-testid="hunk-state">${STATE_LABEL[state]}</span>${buttons}</td></tr>`
    );
  };
  for (const row of rows) {
    const hunkId = row.hunkId ?? null;
    if (row.kind === 'hunk') {
      currentHunk = hunkId;
      body += hunkHeader(hunkId, row.text);
      continue;
    }
    if (hunkId !== currentHunk && row.kind !== 'skip') {
      // Render models without explicit header rows: a header starts whenever the hunk id changes.
      currentHunk = hunkId;
      if (hunkId) body += hunkHeader(hunkId, '');
    }
    if (row.kind === 'skip') {
      body += `<tr class="diff-skip"><td colspan="3">${escapeHtml(row.text || '⋯')}</td></tr>`;
      continue;
    }
    const sign = row.kind === 'add' ? '+' : row.kind === 'delete' ? '-' : ' ';
    const state = hunkId ? states[hunkId] ?? 'pending' : 'pending';
    body +=
      `<tr class="diff-${row.kind} hunk-${state}">` +
      `<td class="ln">${row.oldLine ?? ''}</td><td class="ln">${row.newLine ?? ''}</td>` +
      `<td class="code"><span class="sign">${sign}</span>${highlightText(row.text, row.highlights)}</td></tr>`;
  }
  return `<table class="diff" data-testid="file-diff"><tbody>${body}</tbody></table>`;
}
