// Each transcript entry as an HTML string. Buttons carry data-action attributes; the DOM layer
// (main.ts) handles clicks by delegation, so these renderers stay pure and testable.
import { argvText, networkText, rememberText, sandboxText } from '../../shared/approval-text';
import type { ApprovalDecision, ApprovalRequest, FileDiff, SessionSummary, ThreadItem } from '../../shared/chat-protocol';
import { hunkStatesFor, type ChatState, type Entry } from '../state';
import { ansiToHtml } from './ansi';
import { renderFileDiff } from './diff';
import { reveal, revealHtml } from '../../shared/display';
import { attr, escapeHtml, formatBytes, formatDuration, icon } from './html';
import { renderMarkdown } from './markdown';

type Item<T extends ThreadItem['type']> = Extract<ThreadItem, { type: T }>;

export function renderEntry(entry: Entry, state: ChatState): string {
  switch (entry.kind) {
    case 'user':
      return `<div class="message user" data-testid="message-user"><div class="text">${escapeHtml(entry.text)}</div></div>`;
    case 'approval':
      return renderApproval(entry.requestId, entry.request, entry.decision, entry.message);
    case 'item':
      return renderItem(entry.item, entry.cutBytes, state);
  }
}

function renderItem(item: ThreadItem, cutBytes: number, state: ChatState): string {
  switch (item.type) {
    case 'agent_message':
      return `<div class="message agent" data-testid="message-agent" data-item-id="${attr(item.id)}"><div class="markdown" data-testid="message-text">${renderMarkdown(item.text)}</div></div>`;
    case 'reasoning':
      return renderReasoning(item);
    case 'command_execution':
      return renderCommand(item, cutBytes);
    case 'file_change':
      return renderFileChange(item, state);
    case 'todo_list':
      return renderPlan(item);
    case 'error':
      return `<div class="message item-error" data-testid="item-error">${icon('error')} ${revealHtml(item.message)}</div>`;
    default:
      return '';
  }
}

function renderReasoning(item: Item<'reasoning'>): string {
  const firstLine = item.text.trim().split('\n')[0]?.replace(/\*\*/g, '') || 'Thinking';
  return (
    `<details class="reasoning" data-testid="reasoning">` +
    `<summary>${icon('lightbulb')} ${revealHtml(firstLine.slice(0, 120), { singleLine: true })}</summary>` +
    `<div class="markdown">${renderMarkdown(item.text)}</div></details>`
  );
}

function renderPlan(item: Item<'todo_list'>): string {
  const rows = item.items
    .map((t) => {
      const status = t.completed || t.status === 'completed' ? 'completed' : t.status === 'in_progress' ? 'in_progress' : 'pending';
      const glyph = status === 'completed' ? 'pass-filled' : status === 'in_progress' ? 'circle-large-filled' : 'circle-large-outline';
      return `<li class="plan-${status}" data-status="${status}">${icon(glyph)}<span>${revealHtml(t.text)}</span></li>`;
    })
    .join('');
  const done = item.items.filter((t) => t.completed || t.status === 'completed').length;
  return `<div class="card plan" data-testid="plan"><div class="card-title">${icon('checklist')} Plan <span class="muted">${done}/${item.items.length}</span></div><ul>${rows}</ul></div>`;
}

function commandStatus(item: Item<'command_execution'>): { label: string; cls: string; glyph: string } {
  if (item.status === 'in_progress') return { label: 'Running', cls: 'running', glyph: 'loading codicon-modifier-spin' };
  if (item.status === 'declined') return { label: 'Declined', cls: 'declined', glyph: 'circle-slash' };
  const code = item.exit_code;
  if (item.status === 'failed' || (typeof code === 'number' && code !== 0)) {
    return { label: typeof code === 'number' ? `Exit ${code}` : 'Failed', cls: 'failed', glyph: 'error' };
  }
  return { label: typeof code === 'number' ? `Exit ${code}` : 'Done', cls: 'ok', glyph: 'pass' };
}

/**
 * A command card. With `withOutput` false the terminal is left empty: the DOM layer fills it chunk by
 * chunk (splitTerminal) so that streaming output redraws only its last lines.
 */
export function renderCommand(item: Item<'command_execution'>, cutBytes: number, withOutput = true): string {
  const st = commandStatus(item);
  const duration = typeof item.duration_ms === 'number' ? `<span class="muted">${formatDuration(item.duration_ms)}</span>` : '';
  const cut = cutBytes > 0 ? `<div class="output-cut" data-testid="command-output-cut">${formatBytes(cutBytes)} of earlier output not shown</div>` : '';
  const body = withOutput ? ansiToHtml(item.aggregated_output) : '';
  const output = item.aggregated_output
    ? `${cut}<pre class="terminal" data-testid="command-output">${body}</pre>`
    : `${cut}<pre class="terminal empty" data-testid="command-output"></pre>`;
  // Open while running, so live output is visible; the person may collapse it.
  return (
    `<details class="card command status-${st.cls}" data-testid="command-card" data-status="${attr(String(item.status))}"${item.status === 'in_progress' ? ' open' : ''}>` +
    `<summary>${icon('terminal')}<code class="command-line" data-testid="command-line" title="${attr(reveal(item.command))}">${revealHtml(item.command)}</code>` +
    `<span class="command-status" data-testid="command-status">${icon(st.glyph)} ${escapeHtml(st.label)}</span>${duration}</summary>` +
    `${output}</details>`
  );
}


function renderFileChange(item: Item<'file_change'>, state: ChatState): string {
  const reviewable = item.status === 'pending';
  const files = item.changes
    .map((c, i) => {
      // diffs[i] is the diff of changes[i].
      const diff = item.diffs[i] as FileDiff | undefined;
      const states = diff ? hunkStatesFor(state, item.id, c.path, diff.hunkIds, String(item.status)) : {};
      const ids = Object.keys(states);
      const pending = ids.filter((id) => states[id] === 'pending').length;
      const accepted = ids.filter((id) => states[id] === 'accepted').length;
      const kindGlyph = c.kind === 'add' ? 'diff-added' : c.kind === 'delete' ? 'diff-removed' : 'diff-modified';
      const shownPath = (p: string) => revealHtml(p, { singleLine: true });
      const target = c.move_path ? `${shownPath(c.path)} → ${shownPath(c.move_path)}` : shownPath(c.path);
      const named = attr(reveal(c.path, { singleLine: true }));
      const a = `data-item-id="${attr(item.id)}" data-path="${attr(c.path)}"`;
      const fileButtons =
        reviewable && pending > 0
          ? `<button class="text-button" data-action="file" data-accept="true" ${a} data-testid="file-accept" title="Accept every change in this file" aria-label="Accept every change in ${named}">Accept</button>` +
            `<button class="text-button" data-action="file" data-accept="false" ${a} data-testid="file-reject" title="Reject every change in this file" aria-label="Reject every change in ${named}">Reject</button>`
          : '';
      const countsTitle = `${accepted} of ${ids.length} changes accepted${pending ? `, ${pending} pending` : ''}`;
      const counts =
        ids.length > 0
          ? `<span class="muted counts" data-testid="file-hunk-counts" title="${attr(countsTitle)}">${accepted}/${ids.length}</span>`
          : '';
      return (
        `<details class="file" data-testid="file-change" data-path="${attr(c.path)}" open>` +
        `<summary>${icon(kindGlyph, `kind-${c.kind}`)}<a href="#" class="file-link" data-action="open-file" data-path="${attr(c.move_path ?? c.path)}">${target}</a>${counts}` +
        `<span class="spacer"></span>${fileButtons}` +
        `<button class="icon-button" data-action="open-diff" ${a} data-testid="open-diff" title="Open side-by-side diff" aria-label="Open side-by-side diff of ${named}">${icon('diff')}</button></summary>` +
        (diff ? renderFileDiff(item.id, c.path, diff, states, reviewable) : '') +
        `</details>`
      );
    })
    .join('');
  const multi = item.changes.length > 1 && reviewable;
  const allButtons = multi
    ? `<button class="text-button" data-action="file" data-accept="true" data-item-id="${attr(item.id)}" data-testid="files-accept-all">Accept all</button>` +
      `<button class="text-button" data-action="file" data-accept="false" data-item-id="${attr(item.id)}" data-testid="files-reject-all">Reject all</button>`
    : '';
  const statusLabel = String(item.status).replace(/_/g, ' ');
  return (
    `<div class="card file-change status-${attr(String(item.status))}" data-testid="file-change-card" data-status="${attr(String(item.status))}" data-item-id="${attr(item.id)}">` +
    `<div class="card-title">${icon('files')} ${item.changes.length === 1 ? 'Edit' : `${item.changes.length} files`} <span class="muted" data-testid="file-change-status">${escapeHtml(statusLabel)}</span><span class="spacer"></span>${allButtons}</div>` +
    files +
    `</div>`
  );
}

const APPROVAL_TITLE: Record<string, string> = {
  exec: 'Run this command?',
  escalate: 'Run this command outside the sandbox?',
  retryUnsandboxed: 'The sandbox stopped this command. Run it again without the sandbox?',
};

const DECIDED_LABEL: Record<ApprovalDecision, string> = {
  approved: 'Approved',
  approvedForSession: 'Approved for this session',
  denied: 'Denied',
  abort: 'Cancelled',
};

export function renderApproval(
  requestId: string,
  req: ApprovalRequest,
  decided: ApprovalDecision | null,
  denyMessage?: string,
): string {
  const command = req.command || req.argv.join(' ');
  const title = APPROVAL_TITLE[req.kind] ?? 'Allow this?';
  // Requests saved by an older version may lack the sandbox and remember fields.
  const sandbox = req.sandbox as ApprovalRequest['sandbox'] | undefined;
  const remember = req.remember as ApprovalRequest['remember'] | undefined;
  const row = (label: string, testid: string, value: string) =>
    `<div class="approval-row"><span class="muted">${escapeHtml(label)}</span> <span data-testid="${testid}">${value}</span></div>`;
  const argv = argvText(req.argv);
  const once = remember?.kind === 'once';
  const details =
    `<pre class="approval-command" data-testid="approval-command">${revealHtml(command)}</pre>` +
    (argv !== command ? row('Runs', 'approval-argv', `<code>${revealHtml(argv, { singleLine: true })}</code>`) : '') +
    (req.cwd ? `<div class="muted approval-cwd" data-testid="approval-cwd">in ${revealHtml(req.cwd, { singleLine: true })}</div>` : '') +
    (sandbox
      ? row('Sandbox:', 'approval-sandbox', revealHtml(sandboxText(sandbox), { singleLine: true })) + row('Network:', 'approval-network', networkText(sandbox))
      : '') +
    (req.reason ? `<div class="approval-reason">${revealHtml(req.reason)}</div>` : '') +
    row('For this session:', 'approval-remember', revealHtml(rememberText(remember), { singleLine: true })) +
    (req.rememberNote ? `<div class="approval-reason muted" data-testid="approval-remember-note">${revealHtml(req.rememberNote)}</div>` : '');
  const r = `data-request-id="${attr(requestId)}"`;
  if (decided) {
    return (
      `<div class="card approval decided" data-testid="approval-card" data-decided="${attr(decided)}" ${r}>` +
      `<div class="card-title">${icon(decided === 'approved' || decided === 'approvedForSession' ? 'check' : 'circle-slash')} ${escapeHtml(DECIDED_LABEL[decided] ?? decided)}</div>${details}` +
      (denyMessage ? `<div class="approval-reason muted">Told the model: ${escapeHtml(denyMessage)}</div>` : '') +
      `</div>`
    );
  }
  const msgId = `deny-msg-${attr(requestId)}`;
  return (
    `<div class="card approval pending" role="group" aria-label="${attr(title)}" data-testid="approval-card" ${r}>` +
    `<div class="card-title">${icon('shield')} ${escapeHtml(title)}</div>${details}` +
    `<div class="approval-actions">` +
    `<button class="primary" data-action="approval" data-choice="approved" ${r} data-testid="approval-approve">Approve</button>` +
    (once ? '' : `<button class="secondary" data-action="approval" data-choice="approvedForSession" ${r} data-testid="approval-approve-session">Approve for this session</button>`) +
    `<button class="secondary" data-action="approval" data-choice="denied" ${r} data-testid="approval-deny">Deny</button>` +
    `</div>` +
    `<label class="deny-label" for="${msgId}">Message to the model if you deny (optional; Enter denies)</label>` +
    `<input type="text" id="${msgId}" class="deny-message" data-testid="approval-message" ${r} placeholder="e.g. use the test script instead">` +
    `</div>`
  );
}

// ---------------------------------------------------------------------------------------------
// The chrome around the transcript.

export function renderErrorBanner(error: ChatState['error']): string {
  if (!error) return '';
  return (
    `<div class="error-banner" role="alert" data-testid="error-banner">${icon('error')}` +
    `<span class="error-text" data-testid="error-text">${revealHtml(error.message)}</span>` +
    (error.retry ? `<button class="secondary" data-action="retry" data-testid="error-retry">${icon('refresh')} Retry</button>` : '') +
    `<button class="icon-button" data-action="dismiss-error" data-testid="error-dismiss" title="Dismiss" aria-label="Dismiss error">${icon('close')}</button></div>`
  );
}

export function contextPercent(usage: ChatState['contextUsage']): number | null {
  if (!usage || !(usage.window > 0)) return null;
  return Math.max(0, Math.min(100, Math.round((usage.used / usage.window) * 100)));
}

export function renderContextMeter(usage: ChatState['contextUsage']): string {
  const pct = contextPercent(usage);
  if (pct === null || !usage) return '';
  const level = pct >= 90 ? 'high' : pct >= 70 ? 'mid' : 'low';
  const title = `Context: ${usage.used.toLocaleString('en-US')} of ${usage.window.toLocaleString('en-US')} tokens (${pct}%)`;
  return (
    `<div class="context-meter level-${level}" data-testid="context-meter" data-percent="${pct}" title="${attr(title)}" role="meter" aria-label="Context used" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${pct}">` +
    `<svg viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true"><rect class="track" x="0" y="0" width="100" height="4"/><rect class="fill" x="0" y="0" width="${pct}" height="4"/></svg>` +
    `<span>${pct}%</span></div>`
  );
}

export function renderModelOptions(state: ChatState): string {
  const models = state.models.length > 0 ? state.models : state.model ? [state.model] : [];
  if (models.length === 0) return `<option value="">(model)</option>`;
  return models.map((m) => `<option value="${attr(m)}"${m === state.model ? ' selected' : ''}>${escapeHtml(reveal(m, { singleLine: true }))}</option>`).join('');
}

function when(ms: number, now: number): string {
  const d = Math.max(0, now - ms);
  if (d < 60_000) return 'just now';
  if (d < 3_600_000) return `${Math.floor(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.floor(d / 3_600_000)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

export function renderSessions(sessions: SessionSummary[] | null, now: number): string {
  if (sessions === null) return `<div class="muted">Loading…</div>`;
  if (sessions.length === 0) return `<div class="muted" data-testid="history-empty">No past sessions yet.</div>`;
  return (
    `<ul class="history-list">` +
    sessions
      .map(
        (s) =>
          `<li><button class="history-item" data-action="resume" data-session-id="${attr(s.id)}" data-testid="session-item">` +
          `<span class="history-title">${revealHtml(s.title || '(untitled)', { singleLine: true })}</span>` +
          `<span class="muted">${escapeHtml(when(s.updatedAt, now))}${s.model ? ` · ${revealHtml(s.model, { singleLine: true })}` : ''}</span></button></li>`,
      )
      .join('') +
    `</ul>`
  );
}
