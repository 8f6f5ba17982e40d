// The sidebar chat, in the webview. This file is the DOM edge: it applies host messages to the pure
// state (state.ts), redraws only what changed once per animation frame, saves the state with
// vscode.setState (so a hidden and re-shown view keeps its transcript) and turns clicks and keys
// into typed messages for the host (shared/chat-protocol.ts).
import DOMPurify from 'dompurify';
import type { HostMessage, ViewMessage } from '../shared/chat-protocol';
import type { ApprovalChoice } from '../shared/chat-protocol';
import { emptyChange, mergeChange, reduce, restoreState, type Action, type Change, type ChatState } from './state';
import {
  renderContextMeter,
  renderEntry,
  renderErrorBanner,
  renderModelOptions,
  renderSessions,
} from './render/cards';
import { icon } from './render/html';
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
    <select class="model-select" data-testid="model-select" aria-label="Model"></select>
    <span class="meter-slot"></span>
    <span class="spacer"></span>
    <button class="icon-button" data-action="history" data-testid="history-button" title="Past sessions" aria-label="Past sessions" aria-expanded="false">${icon('history')}</button>
    <button class="icon-button" data-action="new-task" data-testid="new-task" title="New task" aria-label="New task">${icon('add')}</button>
  </header>
  <section class="history" data-testid="history-panel" hidden aria-label="Past sessions"></section>
  <main class="transcript" data-testid="transcript" role="log" aria-live="polite" aria-relevant="additions"></main>
  <div class="banner-slot"></div>
  <footer class="composer">
    <textarea class="input" data-testid="chat-input" rows="3" aria-label="Message to Tack"
      placeholder="Describe a task (Enter to send, Shift+Enter for a new line)"></textarea>
    <div class="composer-actions">
      <span class="busy-label" data-testid="busy-indicator" hidden>${icon('loading', 'codicon-modifier-spin')} Working…</span>
      <span class="spacer"></span>
      <button class="primary" data-action="send" data-testid="chat-send" title="Send (Enter)">${icon('send')} Send</button>
      <button class="secondary" data-action="stop" data-testid="chat-stop" title="Stop (Escape)" hidden>${icon('debug-stop')} Stop</button>
    </div>
  </footer>
</div>`;

const $ = <T extends Element>(sel: string): T => document.querySelector(sel) as T;
const transcript = $<HTMLElement>('.transcript');
const input = $<HTMLTextAreaElement>('.input');
const sendButton = $<HTMLButtonElement>('[data-testid="chat-send"]');
const stopButton = $<HTMLButtonElement>('[data-testid="chat-stop"]');
const busyLabel = $<HTMLElement>('.busy-label');
const modelSelect = $<HTMLSelectElement>('.model-select');
const meterSlot = $<HTMLElement>('.meter-slot');
const bannerSlot = $<HTMLElement>('.banner-slot');
const historyPanel = $<HTMLElement>('.history');
const historyButton = $<HTMLButtonElement>('[data-testid="history-button"]');

// ---------------------------------------------------------------------------------------------
// Drawing, batched per frame

let pending: Change = { entries: new Set(), structure: true, chrome: true };
let scheduled = false;
let focusNewApproval = false;

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

function apply(action: Action): void {
  const change = reduce(state, action);
  if (action.type === 'approval') focusNewApproval = true;
  mergeChange(pending, change);
  schedule();
}

/** Keeps the open/closed state of <details> the person toggled across a redraw of one entry. */
function redrawEntry(el: HTMLElement, html: string): void {
  const open = [...el.querySelectorAll('details')].map((d) => d.open);
  const hadDetails = open.length > 0;
  el.innerHTML = html;
  if (hadDetails) el.querySelectorAll('details').forEach((d, i) => (i < open.length ? (d.open = open[i]) : undefined));
}

function flush(): void {
  scheduled = false;
  const change = pending;
  pending = emptyChange();
  const nearBottom = transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 40;

  const byKey = new Map<string, HTMLElement>();
  for (const child of [...transcript.children] as HTMLElement[]) byKey.set(child.dataset.key ?? '', child);
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
      el.innerHTML = renderEntry(entry, state);
      if (previous) previous.after(el);
      else transcript.prepend(el);
    } else if (change.entries.has(entry.key)) {
      redrawEntry(el, renderEntry(entry, state));
    }
    previous = el;
  }
  if (change.chrome) drawChrome();
  if (nearBottom) transcript.scrollTop = transcript.scrollHeight;
  if (focusNewApproval) {
    focusNewApproval = false;
    const target = transcript.querySelector<HTMLElement>('[data-testid="approval-card"]:not(.decided) [data-autofocus]');
    if (target) {
      target.focus();
      target.scrollIntoView({ block: 'nearest' });
    }
  }
  vscode.setState(state);
}

function drawChrome(): void {
  sendButton.hidden = state.busy;
  stopButton.hidden = !state.busy;
  busyLabel.hidden = !state.busy;
  document.body.dataset.busy = String(state.busy);
  modelSelect.innerHTML = renderModelOptions(state);
  meterSlot.innerHTML = renderContextMeter(state.contextUsage);
  bannerSlot.innerHTML = renderErrorBanner(state.error);
  if (!historyPanel.hidden) historyPanel.innerHTML = renderSessions(state.sessions, Date.now());
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
  apply({ type: 'local.send', text });
  post({ type: 'send', text });
}

function toggleHistory(show = historyPanel.hidden): void {
  historyPanel.hidden = !show;
  historyButton.setAttribute('aria-expanded', String(show));
  if (show) {
    state.sessions = null;
    historyPanel.innerHTML = renderSessions(null, Date.now());
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
      post({ type: 'stop' });
      break;
    case 'new-task':
      toggleHistory(false);
      post({ type: 'newTask' });
      break;
    case 'history':
      toggleHistory();
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
      const callId = d.callId ?? '';
      const path = d.path ?? '';
      const hunkIds = [d.hunkId ?? ''];
      apply({ type: 'local.hunks', callId, path, hunkIds, accept });
      post({ type: 'decideHunks', callId, path, hunkIds, accept });
      break;
    }
    case 'file':
      e.preventDefault(); // the buttons sit inside <summary>: do not toggle the file open/closed
      post({ type: 'decideFile', callId: d.callId ?? '', path: d.path ?? null, accept: d.accept === 'true' });
      break;
    case 'open-diff':
      e.preventDefault();
      post({ type: 'openDiff', callId: d.callId ?? '', path: d.path ?? '' });
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
  const m = /^(.*?)(?:#L(\d+))?$/.exec(decodeURI(href));
  if (!m || !m[1]) return;
  post({ type: 'openFile', path: m[1], ...(m[2] ? { line: Number(m[2]) } : {}) });
}

input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  } else if (e.key === 'Escape' && state.busy) {
    e.preventDefault();
    post({ type: 'stop' });
  }
});

// Enter in a denial message denies with that message.
document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  if (e.key === 'Enter' && t.classList?.contains('deny-message')) {
    e.preventDefault();
    t.closest('[data-testid="approval-card"]')?.querySelector<HTMLButtonElement>('[data-choice="denied"]')?.click();
  }
});

modelSelect.addEventListener('change', () => {
  if (modelSelect.value && modelSelect.value !== state.model) {
    apply({ type: 'model', model: modelSelect.value });
    post({ type: 'setModel', model: modelSelect.value });
  }
});

flush();
post({ type: 'ready' });
post({ type: 'listModels' });
