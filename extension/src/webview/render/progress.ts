// How far the running turn is, for the chrome around the transcript: the plan pinned above the input
// (live, so updates are seen where the person looks), the status line (current step, running command,
// elapsed time) and the usage meter. Pure HTML strings, like the cards.
import type { ThreadItem, Usage } from '../../shared/chat-protocol';
import type { ChatState } from '../state';
import { approvalForItem } from '../state';
import { reveal, revealHtml } from '../../shared/display';
import { attr, escapeHtml, icon } from './html';

type Item<T extends ThreadItem['type']> = Extract<ThreadItem, { type: T }>;

export interface Progress {
  /** The current turn's latest plan, if it made one. */
  plan: Item<'todo_list'> | null;
  /** The step in progress (1-based) of `plan`. */
  step: { index: number; total: number; text: string } | null;
  /** The command running now (not one waiting for approval), and when this view saw it start. */
  command: { text: string; startedAt: number | undefined } | null;
  /** A question waits for the person. */
  waiting: boolean;
}

/** Where the current turn stands: only entries after the last message the person sent count. */
export function progressOf(state: ChatState): Progress {
  let plan: Item<'todo_list'> | null = null;
  let command: Progress['command'] = null;
  let waiting = false;
  for (let i = state.entries.length - 1; i >= 0; i--) {
    const e = state.entries[i];
    if (e.kind === 'user') break;
    if (e.kind === 'approval' && e.decision === null) waiting = true;
    if (e.kind !== 'item') continue;
    if (!plan && e.item.type === 'todo_list') plan = e.item;
    if (!command && e.item.type === 'command_execution' && e.item.status === 'in_progress' && approvalForItem(state, e.item.id)?.decision !== null) {
      command = { text: e.item.command, startedAt: e.startedAt };
    }
  }
  let step: Progress['step'] = null;
  if (plan) {
    const index = plan.items.findIndex((t) => t.status === 'in_progress' && !t.completed);
    if (index !== -1) step = { index: index + 1, total: plan.items.length, text: plan.items[index].text };
  }
  return { plan, step, command, waiting };
}

/** The plan pinned above the input: the running turn's latest plan, if it has steps. */
export function pinnedPlanOf(state: ChatState): Item<'todo_list'> | null {
  if (!state.busy) return null;
  const { plan } = progressOf(state);
  return plan && plan.items.length > 0 ? plan : null;
}

/** The plan pinned above the input while the turn runs; '' when there is none (or nothing runs). */
export function renderPinnedPlan(state: ChatState): string {
  const plan = pinnedPlanOf(state);
  if (!plan) return '';
  const done = plan.items.filter((t) => t.completed || t.status === 'completed').length;
  const rows = plan.items
    .map((t) => {
      const status = t.completed || t.status === 'completed' ? 'completed' : t.status === 'in_progress' ? 'in_progress' : 'pending';
      const glyph = status === 'completed' ? 'pass-filled' : status === 'in_progress' ? 'circle-large-filled' : 'circle-large-outline';
      return `<li class="plan-${status}" data-status="${status}">${icon(glyph)}<span>${revealHtml(t.text, { singleLine: true })}</span></li>`;
    })
    .join('');
  return (
    `<details class="pinned-plan" data-testid="pinned-plan" open><summary>${icon('checklist')} Plan ` +
    `<span class="muted" data-testid="pinned-plan-count">${done}/${plan.items.length}</span></summary><ul>${rows}</ul></details>`
  );
}

/**
 * The status line while a turn runs: "Waiting for your approval", or the current step, the running
 * command and its elapsed time (the turn's when no command runs). The elapsed label is filled by the
 * view's 1 s timer from `data-started`.
 */
export function renderStatusLine(state: ChatState): string {
  const p = progressOf(state);
  if (state.retrying) {
    // A visible countdown instead of a silent wait: what failed, when the next attempt starts.
    const r = state.retrying;
    return (
      `<span data-testid="status-retry" title="${attr(reveal(r.reason))}">${icon('sync')} ${revealHtml(firstLine(r.reason), { singleLine: true })}: ` +
      `retrying <span data-testid="status-retry-in" data-until="${r.until}"></span> (attempt ${r.attempt + 1} of ${r.maxAttempts})</span>`
    );
  }
  if (p.waiting) return `<span data-testid="status-text">${icon('shield')} Waiting for your approval</span>`;
  const parts: string[] = [];
  if (p.step) parts.push(`<span data-testid="status-step">Step ${p.step.index}/${p.step.total}: ${revealHtml(p.step.text, { singleLine: true })}</span>`);
  if (p.command) parts.push(`<code data-testid="status-command" title="${attr(reveal(p.command.text))}">${revealHtml(firstLine(p.command.text), { singleLine: true })}</code>`);
  if (parts.length === 0) parts.push('<span data-testid="status-text">Working…</span>');
  const since = p.command?.startedAt ?? state.turnStartedAt;
  const elapsed = since ? ` <span class="muted" data-testid="status-elapsed" data-started="${since}"></span>` : '';
  return `${icon('loading', 'codicon-modifier-spin')} ${parts.join(' · ')}${elapsed}`;
}

function firstLine(s: string): string {
  const line = s.split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 79)}…` : line + (s.includes('\n') ? ' …' : '');
}

/** 1234 -> "1.2k", 2_500_000 -> "2.5M". */
export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

function usageTitle(last: Usage | null): string {
  if (!last) return '';
  const cached = last.cached_input_tokens > 0 ? ` (${last.cached_input_tokens.toLocaleString('en-US')} cached)` : '';
  return `\nLast turn: ${last.input_tokens.toLocaleString('en-US')} input${cached}, ${last.output_tokens.toLocaleString('en-US')} output tokens`;
}

/**
 * The usage meter: context used as a bar and a percentage when the model's window is known, else
 * the tokens the conversation takes; the last turn's usage in its tooltip. '' before anything is known.
 */
export function renderUsageMeter(usage: ChatState['contextUsage'], last: Usage | null): string {
  if (!usage || !(usage.used > 0)) {
    if (!last) return '';
    const total = last.input_tokens + last.output_tokens;
    return `<div class="context-meter level-low" data-testid="context-meter" title="${attr(usageTitle(last).trim())}"><span data-testid="usage-tokens">${escapeHtml(formatTokens(total))} tokens</span></div>`;
  }
  const tokens = `${formatTokens(usage.used)} tokens`;
  if (!(usage.window > 0)) {
    const title = `Context: ${usage.used.toLocaleString('en-US')} tokens (the model's context window is unknown)${usageTitle(last)}`;
    return `<div class="context-meter level-low" data-testid="context-meter" title="${attr(title)}"><span data-testid="usage-tokens">${escapeHtml(tokens)}</span></div>`;
  }
  const pct = Math.max(0, Math.min(100, Math.round((usage.used / usage.window) * 100)));
  const level = pct >= 90 ? 'high' : pct >= 70 ? 'mid' : 'low';
  const title = `Context: ${usage.used.toLocaleString('en-US')} of ${usage.window.toLocaleString('en-US')} tokens (${pct}%)${usageTitle(last)}`;
  return (
    `<div class="context-meter level-${level}" data-testid="context-meter" data-percent="${pct}" title="${attr(title)}" role="meter" aria-label="Context used" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${pct}">` +
    `<svg viewBox="0 0 100 4" preserveAspectRatio="none" aria-hidden="true"><rect class="track" x="0" y="0" width="100" height="4"/><rect class="fill" x="0" y="0" width="${pct}" height="4"/></svg>` +
    `<span>${pct}%</span> <span class="muted" data-testid="usage-tokens">${escapeHtml(tokens)}</span></div>`
  );
}
