// Each transcript entry as an HTML string. Buttons carry data-action attributes; the DOM layer
// (main.ts) handles clicks by delegation, so these renderers stay pure and testable.
import { argvText, networkText, rememberText, sandboxText } from '../../shared/approval-text';
import type { ApprovalDecision, ApprovalRequest, ErrorAction, FileDiff, HunkState, SessionSummary, ThreadItem } from '../../shared/chat-protocol';
import { approvalForItem, hunkStatesFor, type ChatState, type Entry } from '../state';
import { ansiToHtml } from './ansi';
import { renderFileDiff } from './diff';
import { reveal, revealHtml } from '../../shared/display';
import { attr, escapeHtml, formatBytes, formatDuration, icon } from './html';
import { renderMarkdown } from './markdown';
import { pinnedPlanOf } from './progress';

type Item<T extends ThreadItem['type']> = Extract<ThreadItem, { type: T }>;

export function renderEntry(entry: Entry, state: ChatState): string {
  switch (entry.kind) {
    case 'user':
      return (
        `<div class="message user" data-testid="message-user"><div class="text">${escapeHtml(entry.text)}</div>` +
        (entry.images ? `<div class="attached" data-testid="message-images">${icon('file-media')} ${entry.images} image${entry.images === 1 ? '' : 's'}</div>` : '') +
        `${renderRestoreButton(entry)}</div>`
      );
    case 'notice':
      return `<div class="notice restored" role="status" data-testid="restored-notice">${icon('history')}<span>${escapeHtml(entry.text)}</span></div>`;
    case 'approval':
      // One asked about a command shows in that command's card; once answered, a one-line note.
      if (entry.itemId && findCommand(state, entry.itemId)) {
        return entry.decision ? renderApprovalNote(entry) : '';
      }
      return renderApproval(entry.requestId, entry.request, entry.decision, entry.message, entry.denyOpen === true);
    case 'item':
      return entry.item.type === 'command_execution' ? renderCommand(entry.item, entry.cutBytes, true, commandView(state, entry)) : renderItem(entry.item, entry.cutBytes, state);
    case 'stopped':
      return renderStopped(entry.continuable);
  }
}

/** "Restore checkpoint" on a message whose turn recorded one (the host refuses it while a turn runs). */
function renderRestoreButton(entry: Extract<Entry, { kind: 'user' }>): string {
  if (entry.checkpoint === undefined || entry.index === undefined) return '';
  return (
    `<button class="icon-button restore-checkpoint" data-action="restore-checkpoint" data-testid="restore-checkpoint" ` +
    `data-checkpoint="${attr(entry.checkpoint)}" data-index="${entry.index}" ` +
    `aria-label="Restore checkpoint: the files, or the files and the conversation, as they were before this message" ` +
    `title="Restore checkpoint (files, or files and conversation, as before this message)">${icon('discard')}</button>`
  );
}

function findCommand(state: ChatState, itemId: string): boolean {
  return state.entries.some((e) => e.kind === 'item' && e.item.id === itemId && e.item.type === 'command_execution');
}

/** The end of a turn the person stopped: neutral, with a way to go on. */
export function renderStopped(continuable: boolean): string {
  return (
    `<div class="notice stopped" role="status" data-testid="stopped-notice">${icon('debug-stop')}<span>Stopped</span>` +
    (continuable
      ? `<span class="spacer"></span><button class="secondary" data-action="continue" data-testid="continue" title="Send &quot;continue&quot;">${icon('debug-continue')} Continue</button>`
      : '') +
    `</div>`
  );
}

function renderItem(item: ThreadItem, cutBytes: number, state: ChatState): string {
  switch (item.type) {
    case 'agent_message':
      return `<div class="message agent" data-testid="message-agent" data-item-id="${attr(item.id)}"><div class="markdown" data-testid="message-text">${renderMarkdown(item.text)}</div></div>`;
    case 'reasoning':
      return renderReasoning(item);
    case 'command_execution':
      return renderCommand(item, cutBytes, true, {});
    case 'file_change':
      return renderFileChange(item, state);
    case 'todo_list':
      // While the turn runs, its plan is pinned above the input: here it is one line, not a copy.
      return pinnedPlanOf(state)?.id === item.id ? renderPlanNote(item) : renderPlan(item);
    case 'mcp_tool_call':
      return renderMcpCall(item);
    case 'error':
      return `<div class="message item-error" data-testid="item-error">${icon('error')} ${revealHtml(item.message)}</div>`;
    case 'web_search':
      return `<div class="message web-search" data-testid="web-search">${icon('globe')} Searched the web: ${revealHtml(item.query, { singleLine: true })}</div>`;
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

/** An MCP tool call: server, tool, arguments, and the result or error. */
export function renderMcpCall(item: Item<'mcp_tool_call'>): string {
  const status = String(item.status);
  const label = status.replace(/_/g, ' ');
  const args = JSON.stringify(item.arguments ?? {}, null, 2);
  const parts: string[] = [];
  for (const c of (item.result?.content ?? []) as Array<Record<string, unknown>>) {
    if (c && c.type === 'text' && typeof c.text === 'string') parts.push(c.text);
    else parts.push(JSON.stringify(c));
  }
  if (parts.length === 0 && item.result?.structured_content !== undefined) parts.push(JSON.stringify(item.result.structured_content, null, 2));
  const result = item.error
    ? `<pre class="terminal" data-testid="mcp-error">${revealHtml(item.error.message)}</pre>`
    : parts.length > 0
      ? `<pre class="terminal" data-testid="mcp-result">${revealHtml(parts.join('\n'))}</pre>`
      : '';
  return (
    `<details class="card mcp-call status-${attr(status)}" data-testid="mcp-card" data-status="${attr(status)}" data-item-id="${attr(item.id)}"${status === 'in_progress' || status === 'failed' ? ' open' : ''}>` +
    `<summary class="card-title">${icon('plug')} <span data-testid="mcp-tool">${revealHtml(item.server, { singleLine: true })} · ${revealHtml(item.tool, { singleLine: true })}</span> <span class="muted" data-testid="mcp-status">${escapeHtml(label)}</span></summary>` +
    `<pre class="terminal" data-testid="mcp-arguments">${revealHtml(args)}</pre>` +
    result +
    `</details>`
  );
}

function planRows(item: Item<'todo_list'>): string {
  return item.items
    .map((t) => {
      const status = t.completed || t.status === 'completed' ? 'completed' : t.status === 'in_progress' ? 'in_progress' : 'pending';
      const glyph = status === 'completed' ? 'pass-filled' : status === 'in_progress' ? 'circle-large-filled' : 'circle-large-outline';
      return `<li class="plan-${status}" data-status="${status}">${icon(glyph)}<span>${revealHtml(t.text)}</span></li>`;
    })
    .join('');
}

/** The plan of the running turn in the transcript while it is pinned: one closed line, "Plan updated (3/5)". */
function renderPlanNote(item: Item<'todo_list'>): string {
  const done = item.items.filter((t) => t.completed || t.status === 'completed').length;
  return (
    `<details class="card plan plan-note" data-testid="plan-note"><summary class="card-title">${icon('checklist')} Plan updated ` +
    `<span class="muted" data-testid="plan-note-count">(${done}/${item.items.length})</span></summary><ul>${planRows(item)}</ul></details>`
  );
}

function renderPlan(item: Item<'todo_list'>): string {
  const done = item.items.filter((t) => t.completed || t.status === 'completed').length;
  return `<div class="card plan" data-testid="plan"><div class="card-title">${icon('checklist')} Plan <span class="muted">${done}/${item.items.length}</span></div><ul>${planRows(item)}</ul></div>`;
}

/** What a command card needs beyond its item: the question it waits on, whether Stop cut it short. */
export interface CommandView {
  approval?: ApprovalEntry;
  stopped?: boolean;
  /** When this view saw the command start (ms since the epoch): running cards count from it. */
  startedAt?: number;
}

type ApprovalEntry = Extract<Entry, { kind: 'approval' }>;

export function commandView(state: ChatState, entry: Extract<Entry, { kind: 'item' }>): CommandView {
  const approval = approvalForItem(state, entry.item.id);
  return {
    ...(approval ? { approval } : {}),
    ...(entry.stopped ? { stopped: true } : {}),
    ...(typeof entry.startedAt === 'number' ? { startedAt: entry.startedAt } : {}),
  };
}

function commandStatus(item: Item<'command_execution'>, view: CommandView): { label: string; cls: string; glyph: string } {
  if (item.status === 'in_progress' && view.approval && view.approval.decision === null) {
    return { label: 'Waiting for your approval', cls: 'waiting', glyph: 'shield' };
  }
  // A command the person's Stop ended, or whose question the Stop withdrew.
  if (view.stopped || (item.status === 'declined' && view.approval?.decision === 'abort')) {
    return { label: 'Stopped', cls: 'stopped', glyph: 'debug-stop' };
  }
  if (item.status === 'in_progress') return { label: 'Running', cls: 'running', glyph: 'loading codicon-modifier-spin' };
  if (item.status === 'declined') return { label: 'Declined', cls: 'declined', glyph: 'circle-slash' };
  const code = item.exit_code;
  if (item.status === 'failed' || (typeof code === 'number' && code !== 0)) {
    return { label: typeof code === 'number' ? `exit ${code}` : 'Failed', cls: 'failed', glyph: 'error' };
  }
  return { label: typeof code === 'number' ? `exit ${code}` : 'Done', cls: 'ok', glyph: 'pass' };
}

/** Lines of output (a last line without its newline counts; the final newline does not add one). */
export function outputLines(text: string): number {
  if (text === '') return 0;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return text.endsWith('\n') ? n : n + 1;
}

/** Elapsed time of a running command, as its card shows it (whole seconds). */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
}

/**
 * A command card. With `withOutput` false the terminal is left empty: the DOM layer fills it chunk by
 * chunk (splitTerminal) so that streaming output redraws only its last lines.
 *
 * While it waits for the person, the card is the approval card: the question, the command (once),
 * how it would run, and the answers. A finished success is one closed line (command, exit, duration,
 * "+N lines"); a failure opens on its output, whose pane the DOM layer scrolls to the tail; a
 * running command counts its elapsed time (the DOM layer fills `command-elapsed` every second).
 */
/** The notice above a command's output when its front was cut. */
export function cutNoticeText(cutBytes: number): string {
  return `${formatBytes(cutBytes)} of earlier output not shown`;
}

export function renderCommand(item: Item<'command_execution'>, cutBytes: number, withOutput = true, view: CommandView = {}): string {
  const st = commandStatus(item, view);
  const cut = cutBytes > 0 ? `<div class="output-cut" data-testid="command-output-cut">${escapeHtml(cutNoticeText(cutBytes))}</div>` : '';
  const body = withOutput ? ansiToHtml(item.aggregated_output) : '';
  const output = item.aggregated_output
    ? `${cut}<pre class="terminal" data-testid="command-output">${body}</pre>`
    : `${cut}<pre class="terminal empty" data-testid="command-output"></pre>`;
  const status = `<span class="command-status" data-testid="command-status">${icon(st.glyph)} ${escapeHtml(st.label)}</span>`;
  if (st.cls === 'waiting' && view.approval) {
    const a = view.approval;
    return (
      `<div class="card command status-waiting" data-testid="command-card" data-status="${attr(String(item.status))}" data-shown="waiting" data-waiting="approval">` +
      `<div class="card-title">${icon('terminal')}${status}</div>` +
      renderApprovalQuestion(a.requestId, a.request, a.denyOpen === true, false) +
      (item.aggregated_output ? `<details class="command-earlier"><summary class="muted">Output so far</summary>${output}</details>` : '') +
      `</div>`
    );
  }
  const running = item.status === 'in_progress';
  const open = running || st.cls === 'failed';
  const duration = typeof item.duration_ms === 'number' ? `<span class="muted">${formatDuration(item.duration_ms)}</span>` : '';
  const elapsed =
    running && typeof view.startedAt === 'number'
      ? `<span class="muted command-elapsed" data-testid="command-elapsed" data-started="${view.startedAt}"></span>`
      : '';
  const lines = outputLines(item.aggregated_output);
  const more =
    !open && lines > 0
      ? `<span class="muted more-lines" data-testid="command-more">+${lines} line${lines === 1 ? '' : 's'}</span>`
      : '';
  return (
    `<details class="card command status-${st.cls}" data-testid="command-card" data-status="${attr(String(item.status))}" data-shown="${st.cls}"${open ? ' open' : ''}>` +
    `<summary>${icon('terminal')}<code class="command-line" data-testid="command-line" title="${attr(reveal(item.command))}">${revealHtml(item.command)}</code>` +
    `${status}${elapsed}${duration}${more}</summary>` +
    `${output}</details>`
  );
}

/**
 * The decisions a completed file_change item carries, for each hunk of its diff (the core records a
 * hunk that did not land whole as `partial`, so a reopened session shows it too); an accepted hunk the
 * host reported live as only partly landed (lines chosen, proposal edited) stays "partly accepted".
 */
function decidedStates(decided: Partial<Record<string, HunkState>>, hunkIds: string[], live: Record<string, HunkState> = {}): Record<string, HunkState> {
  const out: Record<string, HunkState> = {};
  for (const id of hunkIds) {
    const d = decided[id] ?? 'rejected';
    out[id] = d === 'accepted' && live[id] === 'partial' ? 'partial' : d;
  }
  return out;
}

function renderFileChange(item: Item<'file_change'>, state: ChatState): string {
  const reviewable = item.status === 'pending';
  const files = item.changes
    .map((c, i) => {
      // diffs[i] is the diff of changes[i].
      const diff = item.diffs[i] as FileDiff | undefined;
      // Once decided, the item itself says what became of each hunk (also in a resumed session).
      const decided = item.hunk_states?.[i];
      const live = state.hunkStates[item.id]?.[c.path] ?? {};
      const states = diff ? (decided ? decidedStates(decided, diff.hunkIds, live) : hunkStatesFor(state, item.id, c.path, diff.hunkIds, String(item.status))) : {};
      const lines = state.landedLines?.[item.id]?.[c.path];
      const ids = Object.keys(states);
      const pending = ids.filter((id) => states[id] === 'pending').length;
      const partly = ids.filter((id) => states[id] === 'partial').length;
      const accepted = ids.filter((id) => states[id] === 'accepted').length + partly;
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
      const countsTitle = `${accepted} of ${ids.length} changes accepted${partly ? ` (${partly} partly)` : ''}${pending ? `, ${pending} pending` : ''}`;
      const counts =
        ids.length > 0
          ? `<span class="muted counts" data-testid="file-hunk-counts" title="${attr(countsTitle)}">${accepted}/${ids.length}</span>`
          : '';
      return (
        `<details class="file" data-testid="file-change" data-path="${attr(c.path)}" open>` +
        `<summary>${icon(kindGlyph, `kind-${c.kind}`)}<a href="#" class="file-link" data-action="open-file" data-path="${attr(c.move_path ?? c.path)}">${target}</a>${counts}` +
        `<span class="spacer"></span>${fileButtons}` +
        `<button class="icon-button" data-action="open-diff" ${a} data-testid="open-diff" title="Open side-by-side diff" aria-label="Open side-by-side diff of ${named}">${icon('diff')}</button></summary>` +
        (diff ? renderFileDiff(item.id, c.path, diff, states, reviewable, lines) : '') +
        `</details>`
      );
    })
    .join('');
  const multi = item.changes.length > 1 && reviewable;
  const allButtons = multi
    ? `<button class="text-button" data-action="file" data-accept="true" data-item-id="${attr(item.id)}" data-testid="files-accept-all">Accept all</button>` +
      `<button class="text-button" data-action="file" data-accept="false" data-item-id="${attr(item.id)}" data-testid="files-reject-all">Reject all</button>`
    : '';
  // Rejecting with a reason: everything still pending in this edit; the model reads the reason.
  const reasonButton = reviewable
    ? `<button class="icon-button" data-action="reject-reason" data-item-id="${attr(item.id)}" data-testid="edit-reject-reason" ` +
      `title="Reject with a reason: everything still pending in this edit is rejected, and the model reads your reason" aria-label="Reject with a reason">${icon('comment-discussion')}</button>`
    : '';
  const statusLabel = String(item.status).replace(/_/g, ' ');
  return (
    `<div class="card file-change status-${attr(String(item.status))}" data-testid="file-change-card" data-status="${attr(String(item.status))}" data-item-id="${attr(item.id)}">` +
    `<div class="card-title">${icon('files')} ${item.changes.length === 1 ? 'Edit' : `${item.changes.length} files`} <span class="muted" data-testid="file-change-status">${escapeHtml(statusLabel)}</span><span class="spacer"></span>${allButtons}${reasonButton}</div>` +
    files +
    `</div>`
  );
}

const APPROVAL_TITLE: Record<string, string> = {
  exec: 'Run this command?',
  escalate: 'Run this command outside the sandbox?',
  retryUnsandboxed: 'The sandbox stopped this command. Run it again without the sandbox?',
  mcpTool: 'Call this MCP tool?',
};

const DECIDED_LABEL: Record<ApprovalDecision, string> = {
  approved: 'Approved once',
  approvedForSession: 'Approved for this session',
  approvedServerForSession: "Approved the server's tools for this session",
  denied: 'Denied',
  abort: 'Cancelled',
};

/** The label of the "for this session" answer: what it allows, in the fewest words. */
export function sessionChoiceHtml(remember: ApprovalRequest['remember'] | undefined): string {
  switch (remember?.kind) {
    case 'prefix':
      return `Approve for this session: commands starting with <code>${revealHtml(argvText(remember.prefix), { singleLine: true })}</code>`;
    case 'exact':
      return 'Approve for this session: exactly this command';
    case 'mcpTool':
      return `Approve for this session: the tool <code>${revealHtml(remember.tool, { singleLine: true })}</code>`;
    default:
      return 'Approve for this session';
  }
}

/** The facts of a request: the command (unless the card shows it already), how and where it runs. */
function approvalDetails(req: ApprovalRequest, showCommand: boolean): string {
  const command = req.command || req.argv.join(' ');
  // Requests saved by an older version may lack the sandbox and remember fields.
  const sandbox = req.sandbox as ApprovalRequest['sandbox'] | undefined;
  const remember = req.remember as ApprovalRequest['remember'] | undefined;
  const row = (label: string, testid: string, value: string) =>
    `<div class="approval-row"><span class="muted">${escapeHtml(label)}</span> <span data-testid="${testid}">${value}</span></div>`;
  const argv = argvText(req.argv);
  return (
    (showCommand ? `<pre class="approval-command" data-testid="approval-command">${revealHtml(command)}</pre>` : '') +
    (argv !== command ? row('Runs', 'approval-argv', `<code>${revealHtml(argv, { singleLine: true })}</code>`) : '') +
    (req.cwd ? `<div class="muted approval-cwd" data-testid="approval-cwd">in ${revealHtml(req.cwd, { singleLine: true })}</div>` : '') +
    (sandbox
      ? row('Sandbox:', 'approval-sandbox', revealHtml(sandboxText(sandbox), { singleLine: true })) + row('Network:', 'approval-network', networkText(sandbox))
      : '') +
    (req.reason ? `<div class="approval-reason">${revealHtml(req.reason)}</div>` : '') +
    row('For this session:', 'approval-remember', revealHtml(rememberText(remember), { singleLine: true })) +
    (req.rememberNote ? `<div class="approval-reason muted" data-testid="approval-remember-note">${revealHtml(req.rememberNote)}</div>` : '')
  );
}

/**
 * The open question, as its own card or inside its command's card (`standalone` false). The group is
 * focusable (tabindex) but never focused by itself: keys 1-3 answer only while the person has put the
 * focus on it (main.ts), so nothing typed elsewhere can answer it.
 */
function renderApprovalQuestion(requestId: string, req: ApprovalRequest, denyOpen: boolean, standalone: boolean): string {
  const title = APPROVAL_TITLE[req.kind] ?? 'Allow this?';
  const remember = req.remember as ApprovalRequest['remember'] | undefined;
  const once = remember?.kind === 'once';
  const r = `data-request-id="${attr(requestId)}"`;
  const choice = (cls: string, key: string, decision: string, testid: string, label: string, plain: string) =>
    `<button class="${cls} choice" data-action="approval" data-choice="${decision}" ${r} data-testid="${testid}" aria-keyshortcuts="${key}" title="${attr(plain)} (${key})">` +
    `<kbd aria-hidden="true">${key}</kbd><span class="choice-label">${label}</span></button>`;
  const line = (html: string, cls = '') => `<span class="choice-line${cls}">${html}</span>`;
  const sessionHtml = sessionChoiceHtml(remember);
  const sessionPlain = sessionHtml.replace(/<[^>]*>/g, '');
  // The scope on a line of its own, so that it is read rather than cut off at the sidebar's edge.
  const colon = sessionHtml.indexOf(': ');
  const sessionLabel =
    colon === -1 ? line(sessionHtml) : line(sessionHtml.slice(0, colon + 2)) + line(sessionHtml.slice(colon + 2), ' choice-scope');
  const msgId = `deny-msg-${attr(requestId)}`;
  const denyBox = denyOpen
    ? `<div class="deny-box">` +
      `<label class="deny-label" for="${msgId}">Message to the model (Enter denies)</label>` +
      `<input type="text" id="${msgId}" class="deny-message" data-testid="approval-message" ${r} placeholder="e.g. use the test script instead">` +
      `<button class="secondary" data-action="approval" data-choice="denied" ${r} data-testid="approval-deny-send">Deny with this message</button>` +
      `</div>`
    : `<button class="link-button" data-action="deny-message" ${r} data-testid="approval-deny-with-message">Deny with a message…</button>`;
  return (
    `<div class="${standalone ? 'card ' : ''}approval pending" role="group" tabindex="0" aria-label="${attr(title)} Keys 1 to 3 answer while this has the focus." data-testid="approval-card" ${r}>` +
    (standalone ? `<div class="card-title">${icon('shield')} ${escapeHtml(title)}</div>` : `<div class="approval-question">${escapeHtml(title)}</div>`) +
    approvalDetails(req, true) +
    `<div class="approval-actions">` +
    choice('primary', '1', 'approved', 'approval-approve', line('Approve once'), 'Approve once') +
    (once ? '' : choice('secondary', '2', 'approvedForSession', 'approval-approve-session', sessionLabel, sessionPlain)) +
    (req.mcp
      ? choice('secondary', '4', 'approvedServerForSession', 'approval-approve-server', line(`Approve every tool of <code>${revealHtml(req.mcp.server, { singleLine: true })}</code> for this session`), 'Approve every tool of this server for this session')
      : '') +
    choice('secondary', '3', 'denied', 'approval-deny', line('Deny'), 'Deny') +
    `</div>` +
    denyBox +
    `</div>`
  );
}

/** An answered question about a command whose card is shown: one line, the command is in its card. */
function renderApprovalNote(entry: ApprovalEntry): string {
  const decided = entry.decision ?? 'abort';
  const ok = decided === 'approved' || decided === 'approvedForSession';
  const label = decided === 'approvedForSession' ? sessionChoiceHtml(entry.request.remember).replace(/^Approve/, 'Approved') : escapeHtml(DECIDED_LABEL[decided] ?? decided);
  return (
    `<div class="approval approval-note decided" data-testid="approval-card" data-decided="${attr(decided)}" data-request-id="${attr(entry.requestId)}">` +
    `${icon(ok ? 'check' : 'circle-slash')}<span>${label}</span>` +
    (entry.message ? `<span class="muted">Told the model: ${revealHtml(entry.message, { singleLine: true })}</span>` : '') +
    `</div>`
  );
}

export function renderApproval(
  requestId: string,
  req: ApprovalRequest,
  decided: ApprovalDecision | null,
  denyMessage?: string,
  denyOpen = false,
): string {
  if (!decided) return renderApprovalQuestion(requestId, req, denyOpen, true);
  const r = `data-request-id="${attr(requestId)}"`;
  return (
    `<div class="card approval decided" data-testid="approval-card" data-decided="${attr(decided)}" ${r}>` +
    `<div class="card-title">${icon(decided === 'approved' || decided === 'approvedForSession' ? 'check' : 'circle-slash')} ${escapeHtml(DECIDED_LABEL[decided] ?? decided)}</div>${approvalDetails(req, true)}` +
    (denyMessage ? `<div class="approval-reason muted">Told the model: ${escapeHtml(denyMessage)}</div>` : '') +
    `</div>`
  );
}

// ---------------------------------------------------------------------------------------------
// The chrome around the transcript.

const ERROR_ACTION_LABEL: Record<ErrorAction, [string, string]> = {
  setKey: ['key', 'Set API Key'],
  openSettings: ['settings-gear', 'Open Settings'],
  useLocalServer: ['server', 'Use a Local Server'],
};

export function renderErrorBanner(error: ChatState['error']): string {
  if (!error) return '';
  return (
    `<div class="error-banner" role="alert" data-testid="error-banner">${icon('error')}` +
    `<span class="error-text" data-testid="error-text">${revealHtml(error.message)}</span>` +
    (error.actions ?? [])
      .map((a) => `<button class="secondary" data-action="error-action" data-error-action="${attr(a)}" data-testid="error-action-${attr(a)}">${icon(ERROR_ACTION_LABEL[a][0])} ${ERROR_ACTION_LABEL[a][1]}</button>`)
      .join('') +
    (error.retry ? `<button class="secondary" data-action="retry" data-testid="error-retry">${icon('refresh')} Retry</button>` : '') +
    `<button class="icon-button" data-action="dismiss-error" data-testid="error-dismiss" title="Dismiss" aria-label="Dismiss error">${icon('close')}</button></div>`
  );
}

/** The model picker's list: one option per model, the current one selected. */
export function renderModelOptions(state: ChatState): string {
  const models = state.models.length > 0 ? state.models : state.model ? [state.model] : [];
  if (models.length === 0) return `<li class="model-option muted" role="option" aria-disabled="true" aria-selected="false">No models listed</li>`;
  return models
    .map(
      (m, i) =>
        `<li class="model-option" role="option" id="model-option-${i}" data-action="pick-model" data-model="${attr(m)}" data-testid="model-option" aria-selected="${m === state.model}">` +
        `${m === state.model ? icon('check') : '<span class="codicon-spacer"></span>'}<span>${escapeHtml(reveal(m, { singleLine: true }))}</span></li>`,
    )
    .join('');
}

function when(ms: number, now: number): string {
  const d = Math.max(0, now - ms);
  if (d < 60_000) return 'just now';
  if (d < 3_600_000) return `${Math.floor(d / 60_000)} min ago`;
  if (d < 86_400_000) return `${Math.floor(d / 3_600_000)} h ago`;
  return new Date(ms).toISOString().slice(0, 10);
}

/** Sessions whose title or model contains every word of `query` (any case). */
export function filterSessions(sessions: SessionSummary[], query: string): SessionSummary[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return sessions;
  return sessions.filter((s) => {
    const hay = `${s.title} ${s.model ?? ''}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/**
 * The past sessions matching `query`, newest first, each with its delete button (`confirmDelete`:
 * the id whose button asks "Delete?" a second time before anything is sent).
 */
export function renderSessions(sessions: SessionSummary[] | null, now: number, query = '', confirmDelete: string | null = null): string {
  if (sessions === null) return `<div class="muted">Loading…</div>`;
  if (sessions.length === 0) return `<div class="muted" data-testid="history-empty">No past sessions yet.</div>`;
  const shown = filterSessions(sessions, query);
  if (shown.length === 0) return `<div class="muted" data-testid="history-no-match">No session matches “${revealHtml(query, { singleLine: true })}”.</div>`;
  return (
    `<ul class="history-list">` +
    shown
      .map((s) => {
        const title = s.title || '(untitled)';
        const confirming = confirmDelete === s.id;
        return (
          `<li class="history-row"><button class="history-item" data-action="resume" data-session-id="${attr(s.id)}" data-testid="session-item">` +
          `<span class="history-title">${revealHtml(title, { singleLine: true })}</span>` +
          `<span class="muted">${escapeHtml(when(s.updatedAt, now))}${s.model ? ` · ${revealHtml(s.model, { singleLine: true })}` : ''}</span></button>` +
          (confirming
            ? `<button class="history-delete confirm" data-action="delete-session" data-session-id="${attr(s.id)}" data-testid="session-delete-confirm" aria-label="Confirm: delete this session">${icon('trash')} Delete?</button>`
            : `<button class="icon-button history-delete" data-action="delete-session" data-session-id="${attr(s.id)}" data-testid="session-delete" title="Delete session" aria-label="Delete session ${attr(reveal(title, { singleLine: true }))}">${icon('trash')}</button>`) +
          `</li>`
        );
      })
      .join('') +
    `</ul>`
  );
}
