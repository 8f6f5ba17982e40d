// The sidebar chat, in the webview. This file is the DOM edge: it applies host messages to the pure
// state (state.ts), redraws only what changed once per animation frame, saves the state with
// vscode.setState (so a hidden and re-shown view keeps its transcript) and turns clicks and keys
// into typed messages for the host (shared/chat-protocol.ts).
import DOMPurify from 'dompurify';
import type { HostMessage, ViewMessage } from '../shared/chat-protocol';
import type { ApprovalChoice, ErrorAction } from '../shared/chat-protocol';
import { emptyChange, mergeChange, reduce, restoreState, type Action, type Change, type ChatState, type Entry } from './state';
import { ansiToHtml, splitTerminal } from './render/ansi';
import {
  commandView,
  cutNoticeText,
  formatElapsed,
  renderCommand,
  renderEntry,
  renderErrorBanner,
  renderModelOptions,
  renderSessions,
} from './render/cards';
import { icon } from './render/html';
import { renderPinnedPlan, renderStatusLine, renderUsageMeter } from './render/progress';
import { renderChips } from './render/chips';
import { installImageInput } from './attach';
import { setSanitizer } from './render/markdown';
import './main.css';

interface VsCodeApi {
  postMessage(message: ViewMessage): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const state: ChatState = restoreState(vscode.getState());
setSanitizer((html) => DOMPurify.sanitize(html));

function post(message: ViewMessage): void {
  vscode.postMessage(message);
}

// ---------------------------------------------------------------------------------------------
// Skeleton

document.body.innerHTML = `
<div class="app">
  <header class="toolbar">
    <span class="model-picker">
      <button class="model-button" data-action="model-menu" data-testid="model-select" aria-haspopup="listbox" aria-expanded="false" aria-label="Model" title="Model"><span class="model-name"></span>${icon('chevron-down')}</button>
      <ul class="model-menu" role="listbox" aria-label="Models" data-testid="model-menu" tabindex="-1" hidden></ul>
    </span>
    <span class="meter-slot"></span>
    <span class="spacer"></span>
    <button class="icon-button" data-action="history" data-testid="history-button" title="Past sessions" aria-label="Past sessions" aria-expanded="false">${icon('history')}</button>
    <button class="icon-button" data-action="new-task" data-testid="new-task" title="New task" aria-label="New task">${icon('add')}</button>
  </header>
  <section class="history" data-testid="history-panel" hidden aria-label="Past sessions"></section>
  <main class="transcript" data-testid="transcript" role="log" aria-live="polite" aria-relevant="additions">
    <div class="empty-state" data-testid="empty-state">
      ${icon('comment-discussion')}
      <p>Describe a task: Tack plans, runs commands in a sandbox and proposes edits you review hunk by hunk.</p>
    </div>
  </main>
  <div class="pinned-plan-slot"></div>
  <div class="banner-slot"></div>
  <footer class="composer">
    <div class="chips-slot"></div>
    <textarea class="input" data-testid="chat-input" rows="3" aria-label="Message to Tack"
      placeholder="Describe a task (Enter to send, Shift+Enter for a new line)"></textarea>
    <div class="composer-actions">
      <span class="busy-label" data-testid="busy-indicator" hidden></span>
      <span class="spacer"></span>
      <button class="primary" data-action="send" data-testid="chat-send" title="Send (Enter)">${icon('send')} Send</button>
      <button class="secondary" data-action="stop" data-testid="chat-stop" title="Stop (Escape)" hidden>${icon('debug-stop')} Stop</button>
    </div>
  </footer>
</div>`;

const $ = <T extends Element>(sel: string): T => document.querySelector(sel) as T;
const transcript = $<HTMLElement>('.transcript');
const input = $<HTMLTextAreaElement>('.input');
const emptyState = $<HTMLElement>('.empty-state');
const sendButton = $<HTMLButtonElement>('[data-testid="chat-send"]');
const stopButton = $<HTMLButtonElement>('[data-testid="chat-stop"]');
const busyLabel = $<HTMLElement>('.busy-label');
const modelButton = $<HTMLButtonElement>('.model-button');
const modelMenu = $<HTMLUListElement>('.model-menu');
const meterSlot = $<HTMLElement>('.meter-slot');
const bannerSlot = $<HTMLElement>('.banner-slot');
const pinnedPlanSlot = $<HTMLElement>('.pinned-plan-slot');
const chipsSlot = $<HTMLElement>('.chips-slot');
const historyPanel = $<HTMLElement>('.history');
const historyButton = $<HTMLButtonElement>('[data-testid="history-button"]');

// ---------------------------------------------------------------------------------------------
// Drawing, batched per frame

let pending: Change = { entries: new Set(), structure: true, chrome: true };
let scheduled = false;
let newApproval = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // requestAnimationFrame pauses in a hidden frame; the timer makes sure state still gets saved.
  const frame = requestAnimationFrame(flush);
  setTimeout(() => {
    if (scheduled) {
      cancelAnimationFrame(frame);
      flush();
    }
  }, 250);
}

/** Whether anything but streamed text changed since the last save (see saveState). */
let urgentSave = true;

function apply(action: Action): void {
  const change = reduce(state, action);
  if (!(action.type === 'event' && action.event.type === 'item.delta')) urgentSave = true;
  if (action.type === 'approval') newApproval = true;
  mergeChange(pending, change);
  schedule();
}

/** Terminal panes follow their output (stay scrolled to the end) unless the person scrolled up. */
function pinTerminals(root: HTMLElement, previous: Array<{ atEnd: boolean; top: number }> = []): void {
  root.querySelectorAll<HTMLElement>('pre.terminal').forEach((pre, i) => {
    const was = previous[i];
    pre.scrollTop = !was || was.atEnd ? pre.scrollHeight : was.top;
  });
}

/**
 * Redraws one entry, keeping what the person did to it: which <details> they opened or closed, and
 * where they scrolled its terminal output.
 */
function redrawEntry(el: HTMLElement, html: string): void {
  const open = [...el.querySelectorAll('details')].map((d) => d.open);
  const scroll = [...el.querySelectorAll<HTMLElement>('pre.terminal')].map((p) => ({
    atEnd: p.scrollHeight - p.scrollTop - p.clientHeight < 8,
    top: p.scrollTop,
  }));
  el.innerHTML = html;
  if (open.length > 0) el.querySelectorAll('details').forEach((d, i) => (i < open.length ? (d.open = open[i]) : undefined));
  pinTerminals(el, scroll);
}

// Command cards: the card around the output is redrawn only when it changes (status, cut notice),
// and the output is kept as chunks of whole lines, each redrawn only when its own text changes.
const cardShell = new WeakMap<HTMLElement, string>();
const chunkKey = new WeakMap<Element, string>();
/**
 * Characters per output chunk. A frame redraws the chunk that grew and the first one when the front
 * is trimmed: small chunks keep that (its style, shaping and layout) small while output streams.
 */
const CHUNK_CHARS = 1024;

/**
 * Output chunks drawn while a running command's pane follows its end: a few screens (the pane is
 * at most 320px high). A flood brings more than the whole kept output every frame, and drawing all
 * of it would style and lay out 64 KB per frame for text nobody can see; the earlier chunks are
 * drawn when the person scrolls up or the command ends.
 */
const TAIL_CHUNKS = 4;

function fillTerminal(pre: HTMLElement, text: string, base: number, tailOnly: boolean): void {
  const byIndex = new Map<number, HTMLElement>();
  for (const span of [...pre.children] as HTMLElement[]) byIndex.set(Number(span.dataset.chunk), span);
  let previous: HTMLElement | null = null;
  const keep = new Set<number>();
  const all = splitTerminal(text, base, CHUNK_CHARS);
  const chunks = tailOnly ? all.slice(-TAIL_CHUNKS) : all;
  pre.dataset.tail = tailOnly && chunks.length < all.length ? 'cut' : '';
  for (const chunk of chunks) {
    keep.add(chunk.index);
    const key = chunk.carry + '\u0000' + chunk.text;
    let span = byIndex.get(chunk.index);
    if (!span || chunkKey.get(span) !== key) {
      const fresh = document.createElement('span');
      fresh.dataset.chunk = String(chunk.index);
      fresh.innerHTML = ansiToHtml(chunk.carry + chunk.text);
      chunkKey.set(fresh, key);
      if (span) span.replaceWith(fresh);
      else if (previous) previous.after(fresh);
      else pre.prepend(fresh);
      span = fresh;
    }
    previous = span;
  }
  for (const [index, span] of byIndex) if (!keep.has(index)) span.remove();
}

/**
 * Draws all of a pane's output that only its tail was drawn of, keeping in place what the person
 * sees: the chunk at the top of the pane stays where it was on screen.
 */
function fillWholeTerminal(pre: HTMLElement, text: string, base: number): void {
  const spans = [...pre.children] as HTMLElement[];
  const anchor = spans.find((s) => s.offsetTop + s.offsetHeight > pre.scrollTop) ?? null;
  const offset = anchor ? anchor.offsetTop - pre.scrollTop : 0;
  fillTerminal(pre, text, base, false);
  if (anchor?.isConnected) pre.scrollTop = anchor.offsetTop - offset;
}

/** True when a terminal pane shows the end of its output (or cannot scroll). */
function atEnd(pre: HTMLElement): boolean {
  return pre.scrollHeight - pre.scrollTop - pre.clientHeight < 8;
}

/** Draws a command entry; returns false for any other entry. */
function drawCommand(el: HTMLElement, entry: Entry): boolean {
  if (entry.kind !== 'item' || entry.item.type !== 'command_execution') return false;
  const item = entry.item;
  // The shell is drawn and compared without the cut notice's figure, which changes with every delta
  // once output is trimmed: a new shell moves every chunk, and all of the output is laid out again.
  const shell = renderCommand(item, entry.cutBytes > 0 ? 1 : 0, false, commandView(state, entry));
  const pre0 = el.querySelector<HTMLElement>('pre.terminal');
  const scroll = pre0 ? [{ atEnd: atEnd(pre0), top: pre0.scrollTop }] : [];
  if (cardShell.get(el) !== shell) {
    // The person's open/closed choice is kept while the card shows the same status; a new status
    // (running -> exit 0, say) opens or closes it as that status should.
    const before = el.querySelector<HTMLElement>('[data-testid="command-card"]');
    const wasOpen = before instanceof HTMLDetailsElement ? before.open : null;
    const wasShown = before?.dataset.shown;
    const oldPre = pre0;
    el.innerHTML = shell;
    cardShell.set(el, shell);
    const card = el.querySelector<HTMLElement>('[data-testid="command-card"]');
    if (card instanceof HTMLDetailsElement && wasOpen !== null && wasShown === card.dataset.shown) card.open = wasOpen;
    // Keep the chunks already drawn: move them into the new card's terminal.
    const pre = el.querySelector<HTMLElement>('pre.terminal');
    if (pre && oldPre) {
      pre.append(...oldPre.childNodes);
      pre.dataset.tail = oldPre.dataset.tail ?? '';
    }
  }
  const notice = el.querySelector<HTMLElement>('[data-testid="command-output-cut"]');
  if (notice && entry.cutBytes) {
    const text = cutNoticeText(entry.cutBytes);
    if (notice.textContent !== text) notice.textContent = text;
  }
  const pre = el.querySelector<HTMLElement>('pre.terminal');
  const following = scroll.length === 0 || scroll[0].atEnd;
  if (pre && item.status === 'in_progress' && following) {
    fillTerminal(pre, item.aggregated_output, entry.cutChars ?? 0, true);
    pinTerminals(el);
  } else if (pre && pre.dataset.tail === 'cut') {
    fillWholeTerminal(pre, item.aggregated_output, entry.cutChars ?? 0);
    if (following) pinTerminals(el);
  } else {
    if (pre) fillTerminal(pre, item.aggregated_output, entry.cutChars ?? 0, false);
    pinTerminals(el, scroll);
  }
  tickElapsed(el);
  return true;
}

// A pane that shows only the tail of a running command's output gets the rest as soon as the person
// scrolls away from the end (scroll events do not bubble: caught on the way down).
transcript.addEventListener(
  'scroll',
  (e) => {
    const pre = e.target;
    if (!(pre instanceof HTMLElement) || pre.dataset.tail !== 'cut' || atEnd(pre)) return;
    const key = pre.closest<HTMLElement>('.entry')?.dataset.key;
    const entry = state.entries.find((x) => x.key === key);
    if (entry?.kind === 'item' && entry.item.type === 'command_execution') fillWholeTerminal(pre, entry.item.aggregated_output, entry.cutChars ?? 0);
  },
  { capture: true, passive: true },
);

/**
 * Running commands count their time: only the small elapsed labels change, once a second, so the
 * transcript is not redrawn for it.
 */
function tickElapsed(root: ParentNode = transcript): void {
  const now = Date.now();
  root.querySelectorAll<HTMLElement>('[data-testid="command-elapsed"], [data-testid="status-elapsed"]').forEach((label) => {
    const text = formatElapsed(now - Number(label.dataset.started));
    if (label.textContent !== text) label.textContent = text;
  });
  root.querySelectorAll<HTMLElement>('[data-testid="status-retry-in"]').forEach((label) => {
    const text = `in ${Math.max(0, Math.ceil((Number(label.dataset.until) - now) / 1000))}s`;
    if (label.textContent !== text) label.textContent = text;
  });
}
setInterval(() => {
  tickElapsed();
  tickElapsed(busyLabel);
}, 1000);

/** The approval whose "message to the model" field was just asked for: it gets the focus once drawn. */
let focusDenyFor: string | null = null;

function flush(): void {
  scheduled = false;
  const change = pending;
  pending = emptyChange();
  const nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;

  const byKey = new Map<string, HTMLElement>();
  for (const child of [...transcript.children] as HTMLElement[]) if (child.dataset.key) byKey.set(child.dataset.key, child);
  if (change.structure) {
    const keep = new Set(state.entries.map((e) => e.key));
    for (const [key, el] of byKey) if (!keep.has(key)) el.remove();
  }
  let previous: HTMLElement | null = null;
  for (const entry of state.entries) {
    let el = byKey.get(entry.key);
    if (!el) {
      el = document.createElement('div');
      el.className = 'entry';
      el.dataset.key = entry.key;
      if (previous) previous.after(el);
      else emptyState.after(el);
      if (!drawCommand(el, entry)) el.innerHTML = renderEntry(entry, state);
      pinTerminals(el);
    } else if (change.entries.has(entry.key)) {
      if (!drawCommand(el, entry)) redrawEntry(el, renderEntry(entry, state));
    }
    previous = el;
  }
  emptyState.hidden = state.entries.length > 0;
  if (change.chrome) drawChrome();
  // A message the person just sent is always scrolled into view, wherever they had scrolled to.
  if (nearBottom || scrollToSent) transcript.scrollTop = transcript.scrollHeight;
  scrollToSent = false;
  // A new approval card is scrolled into view but never takes the keyboard focus: a space or Enter
  // the person is typing elsewhere must not answer it. Approving takes a click, or Tab to the button.
  if (focusDenyFor !== null) {
    const id = focusDenyFor;
    focusDenyFor = null;
    [...transcript.querySelectorAll<HTMLInputElement>('input.deny-message')].find((i) => i.dataset.requestId === id)?.focus();
  }
  if (newApproval) {
    newApproval = false;
    transcript.querySelector<HTMLElement>('[data-testid="approval-card"].pending')?.scrollIntoView({ block: 'nearest' });
  }
  saveState(urgentSave);
  urgentSave = false;
}

// Saving serialises the whole transcript, so while text streams (item.delta only) it happens at most
// every SAVE_EVERY_MS; any other change, and hiding the page, saves at once. A streamed
// message that loses its last few deltas to a hide is made whole by its item.completed.
const SAVE_EVERY_MS = 300;
let saveTimer: ReturnType<typeof setTimeout> | undefined;

function saveNow(): void {
  if (saveTimer !== undefined) clearTimeout(saveTimer);
  saveTimer = undefined;
  vscode.setState(state);
}

function saveState(urgent: boolean): void {
  if (urgent) saveNow();
  else if (saveTimer === undefined) saveTimer = setTimeout(saveNow, SAVE_EVERY_MS);
}

document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'hidden') saveNow();
});
window.addEventListener('pagehide', saveNow);

let modelOptionsHtml = '';

function drawChrome(): void {
  sendButton.hidden = state.busy;
  stopButton.hidden = !state.busy;
  busyLabel.hidden = !state.busy;
  // The status line (render/progress.ts): the current step, the running command and its elapsed
  // time; while a question waits, "Waiting for your approval" without a spinner. Redrawn only when
  // it changes (the elapsed label is the timer's).
  const label = state.busy || state.retrying ? renderStatusLine(state) : '';
  if (busyLabel.dataset.html !== label) {
    busyLabel.dataset.html = label;
    busyLabel.innerHTML = label;
    tickElapsed(busyLabel);
  }
  const chips = renderChips(state);
  if (chipsSlot.dataset.html !== chips) {
    chipsSlot.dataset.html = chips;
    chipsSlot.innerHTML = chips;
  }
  const plan = renderPinnedPlan(state);
  if (pinnedPlanSlot.dataset.html !== plan) {
    pinnedPlanSlot.dataset.html = plan;
    pinnedPlanSlot.innerHTML = plan;
  }
  document.body.dataset.busy = String(state.busy);
  // Rebuilt only when it changes, so an open dropdown is not reset by unrelated updates.
  const name = state.model || '(model)';
  const nameEl = modelButton.querySelector('.model-name');
  if (nameEl && nameEl.textContent !== name) nameEl.textContent = name;
  modelButton.dataset.model = state.model;
  const models = renderModelOptions(state);
  if (models !== modelOptionsHtml) {
    modelOptionsHtml = models;
    modelMenu.innerHTML = models;
  }
  meterSlot.innerHTML = renderUsageMeter(state.contextUsage, state.lastUsage);
  bannerSlot.innerHTML = renderErrorBanner(state.error);
  if (!historyPanel.hidden) renderHistoryList();
}

// ---------------------------------------------------------------------------------------------
// From the host

window.addEventListener('message', (e: MessageEvent) => {
  const msg = e.data as HostMessage;
  if (typeof msg !== 'object' || msg === null || typeof msg.type !== 'string') return;
  if (msg.type === 'focusInput') {
    if (msg.prefill !== undefined) input.value = msg.prefill;
    input.focus();
    return;
  }
  apply(msg);
});

// ---------------------------------------------------------------------------------------------
// From the person

function send(): void {
  const text = input.value.trim();
  if (!text || state.busy) return;
  input.value = '';
  sendText(text);
}

let scrollToSent = false;

function sendText(text: string): void {
  const exclude = state.excluded ?? [];
  scrollToSent = true;
  const images = (state.attachments ?? []).filter((a) => !a.error).map((a) => a.id);
  apply({ type: 'local.send', text, ...(images.length > 0 ? { images: images.length } : {}) });
  post({ type: 'send', text, ...(exclude.length > 0 ? { exclude } : {}), ...(images.length > 0 ? { images } : {}) });
}

function stop(): void {
  apply({ type: 'local.stop' });
  post({ type: 'stop' });
}

// The history panel: a search field (kept across redraws, so typing is not interrupted) over the list.
let deleteAsked: string | null = null;

function renderHistoryList(): void {
  const search = historyPanel.querySelector<HTMLInputElement>('[data-testid="history-search"]');
  const results = historyPanel.querySelector<HTMLElement>('.history-results');
  if (!search || !results) return;
  results.innerHTML = renderSessions(state.sessions, Date.now(), search.value, deleteAsked);
}

function toggleHistory(show = historyPanel.hidden): void {
  historyPanel.hidden = !show;
  historyButton.setAttribute('aria-expanded', String(show));
  if (show) {
    state.sessions = null;
    deleteAsked = null;
    historyPanel.innerHTML =
      `<input type="search" class="history-search" data-testid="history-search" placeholder="Search sessions" aria-label="Search past sessions">` +
      `<div class="history-results" aria-live="polite"></div>`;
    historyPanel.querySelector('[data-testid="history-search"]')?.addEventListener('input', renderHistoryList);
    renderHistoryList();
    post({ type: 'listSessions' });
  }
}

document.addEventListener('click', (e) => {
  const target = (e.target as Element).closest<HTMLElement>('[data-action]');
  if (!target) {
    const link = (e.target as Element).closest<HTMLAnchorElement>('.markdown a[href]');
    if (link) openLink(e, link);
    return;
  }
  const d = target.dataset;
  switch (d.action) {
    case 'send':
      send();
      break;
    case 'stop':
      stop();
      break;
    case 'continue':
      // Goes on after a Stop, as if the person had typed "continue".
      if (!state.busy) sendText('continue');
      break;
    case 'deny-message':
      focusDenyFor = d.requestId ?? '';
      apply({ type: 'local.denyMessage', requestId: d.requestId ?? '' });
      break;
    case 'restore-checkpoint':
      if (!state.busy && d.checkpoint && d.index !== undefined) post({ type: 'restoreCheckpoint', checkpoint: d.checkpoint, index: Number(d.index) });
      break;
    case 'new-task':
      toggleHistory(false);
      post({ type: 'newTask' });
      break;
    case 'history':
      toggleHistory();
      break;
    case 'delete-session':
      // The first click asks ("Delete?"), the second deletes; the host refreshes the list.
      if (d.sessionId && deleteAsked === d.sessionId) {
        deleteAsked = null;
        post({ type: 'deleteSession', id: d.sessionId });
      } else if (d.sessionId) {
        deleteAsked = d.sessionId;
        renderHistoryList();
        historyPanel.querySelector<HTMLElement>('[data-testid="session-delete-confirm"]')?.focus();
      }
      break;
    case 'resume':
      if (d.sessionId) {
        toggleHistory(false);
        post({ type: 'resumeSession', id: d.sessionId });
      }
      break;
    case 'retry':
      apply({ type: 'local.dismissError' });
      post({ type: 'retry' });
      break;
    case 'code-copy':
    case 'code-insert': {
      const code = target.closest('pre.code-block')?.querySelector('code')?.textContent ?? '';
      post({ type: 'codeAction', action: d.action === 'code-copy' ? 'copy' : 'insert', code });
      break;
    }
    case 'model-menu':
      toggleModelMenu();
      break;
    case 'pick-model':
      pickModel(d.model);
      break;
    case 'image-remove':
      if (d.attachment) apply({ type: 'local.removeAttachment', id: d.attachment });
      input.focus();
      break;
    case 'chip-remove':
      if (d.part === 'file' || d.part === 'selection') apply({ type: 'local.exclude', part: d.part });
      input.focus();
      break;
    case 'permissions':
      post({ type: 'setPermissions' });
      break;
    case 'error-action':
      post({ type: 'errorAction', action: d.errorAction as ErrorAction });
      break;
    case 'dismiss-error':
      apply({ type: 'local.dismissError' });
      break;
    case 'approval': {
      const requestId = d.requestId ?? '';
      const decision = d.choice as ApprovalChoice;
      const card = target.closest('[data-testid="approval-card"]');
      const msgInput = card?.querySelector<HTMLInputElement>('.deny-message');
      const message = decision === 'denied' && msgInput?.value.trim() ? msgInput.value.trim() : undefined;
      apply({ type: 'local.approval', requestId, decision, ...(message ? { message } : {}) });
      post({ type: 'decideApproval', requestId, decision, ...(message ? { message } : {}) });
      input.focus();
      break;
    }
    case 'hunk': {
      const accept = d.accept === 'true';
      const itemId = d.itemId ?? '';
      const path = d.path ?? '';
      const hunkIds = [d.hunkId ?? ''];
      apply({ type: 'local.hunks', itemId, path, hunkIds, accept });
      post({ type: 'decideHunks', itemId, path, hunkIds, accept });
      break;
    }
    case 'file': {
      e.preventDefault(); // the buttons sit inside <summary>: do not toggle the file open/closed
      const itemId = d.itemId ?? '';
      const path = d.path ?? null;
      const accept = d.accept === 'true';
      apply({ type: 'local.file', itemId, path, accept });
      post({ type: 'decideFile', itemId, path, accept });
      break;
    }
    case 'reject-reason':
      e.preventDefault();
      post({ type: 'rejectWithReason', itemId: d.itemId ?? '' });
      break;
    case 'open-diff':
      e.preventDefault();
      post({ type: 'openDiff', itemId: d.itemId ?? '', path: d.path ?? '' });
      break;
    case 'open-file':
      e.preventDefault();
      if (d.path) post({ type: 'openFile', path: d.path });
      break;
  }
});

/** Links in answers: web links are left to VS Code (it opens them outside); paths open in the editor. */
function openLink(e: MouseEvent, link: HTMLAnchorElement): void {
  const href = link.getAttribute('href') ?? '';
  if (/^(https?:|mailto:)/i.test(href)) return;
  e.preventDefault();
  // VS Code's webview frame also handles link clicks (on the window, after this document): it would
  // open the relative address as a web page, a stray "Not found" tab. The file opens here instead.
  e.stopPropagation();
  let decoded: string;
  try {
    decoded = decodeURI(href);
  } catch {
    return; // a malformed link is left alone
  }
  const m = /^(.*?)(?:#L(\d+))?$/.exec(decoded);
  if (!m || !m[1]) return;
  post({ type: 'openFile', path: m[1], ...(m[2] ? { line: Number(m[2]) } : {}) });
}

// A middle click on a file link opens the file too, and no stray tab.
document.addEventListener('auxclick', (e) => {
  const link = (e.target as Element).closest<HTMLAnchorElement>('.markdown a[href]');
  if (link && e.button === 1) openLink(e, link);
});

installImageInput(input, $<HTMLElement>('.composer'), post, (attachment) => apply({ type: 'attachment', attachment }));

input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  } else if (e.key === 'Escape' && state.busy) {
    e.preventDefault();
    stop();
  }
});

// Enter in a denial message denies with that message; Escape closes the history list.
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (e.key === 'Escape' && !e.defaultPrevented && !historyPanel.hidden) {
    toggleHistory(false);
    historyButton.focus();
    return;
  }
  if (e.key === 'Enter' && t.classList?.contains('deny-message')) {
    e.preventDefault();
    t.closest('[data-testid="approval-card"]')?.querySelector<HTMLButtonElement>('[data-choice="denied"]')?.click();
    return;
  }
  // Keys 1-3 answer an approval only while the person has the focus on that card (on it or one of
  // its buttons): never from the composer, the denial message field or anywhere else.
  if ((e.key === '1' || e.key === '2' || e.key === '3' || e.key === '4') && !e.ctrlKey && !e.metaKey && !e.altKey && !e.shiftKey && !e.isComposing) {
    if (t.matches?.('input, textarea, select')) return;
    const card = t.closest?.('[data-testid="approval-card"].pending');
    if (!card || !transcript.contains(card)) return;
    const button = card.querySelector<HTMLButtonElement>(`button.choice[aria-keyshortcuts="${e.key}"]`);
    if (button) {
      e.preventDefault();
      button.click();
    }
  }
});

// The model picker: a themed button and list (a native <select> ignores the VS Code theme).
function toggleModelMenu(show = modelMenu.hidden): void {
  modelMenu.hidden = !show;
  modelButton.setAttribute('aria-expanded', String(show));
  if (show) {
    const current = modelMenu.querySelector<HTMLElement>('[aria-selected="true"]') ?? modelMenu.querySelector<HTMLElement>('[data-action="pick-model"]');
    modelMenu.focus();
    if (current) markActive(current);
  }
}

function markActive(option: HTMLElement): void {
  modelMenu.querySelectorAll('.model-option.active').forEach((o) => o.classList.remove('active'));
  option.classList.add('active');
  modelMenu.setAttribute('aria-activedescendant', option.id);
  option.scrollIntoView({ block: 'nearest' });
}

function pickModel(model: string | undefined): void {
  toggleModelMenu(false);
  modelButton.focus();
  if (model && model !== state.model) {
    apply({ type: 'model', model });
    post({ type: 'setModel', model });
  }
}

modelMenu.addEventListener('keydown', (e) => {
  const options = [...modelMenu.querySelectorAll<HTMLElement>('[data-action="pick-model"]')];
  const at = options.findIndex((o) => o.classList.contains('active'));
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    e.preventDefault();
    const next = options[Math.max(0, Math.min(options.length - 1, at + (e.key === 'ArrowDown' ? 1 : -1)))];
    if (next) markActive(next);
  } else if (e.key === 'Enter' || e.key === ' ') {
    e.preventDefault();
    pickModel(options[at]?.dataset.model);
  } else if (e.key === 'Escape' || e.key === 'Tab') {
    e.preventDefault();
    toggleModelMenu(false);
    modelButton.focus();
  }
});
document.addEventListener('mousedown', (e) => {
  if (!modelMenu.hidden && !(e.target as Element).closest('.model-picker')) toggleModelMenu(false);
});

flush();
post({ type: 'ready' });
post({ type: 'listModels' });
