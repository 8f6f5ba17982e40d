// The chat's state and the one function that changes it. Pure (no DOM), so it runs under node tests;
// the whole state is JSON so the webview can save it with vscode.setState and restore it when shown.
import type {
  ApprovalDecision,
  ApprovalRequest,
  ContextPart,
  ContextPreview,
  ErrorAction,
  HostMessage,
  HunkState,
  ImageAttachment,
  LandedLines,
  SessionSummary,
  ThreadItem,
  Usage,
} from '../shared/chat-protocol';
import { MAX_ATTACHMENTS } from '../shared/chat-protocol';

/** Command output kept (and rendered) per card; older output is dropped and counted. */
export const OUTPUT_KEEP_CHARS = 64 * 1024;

export type Entry =
  /** `index`: its number among the session's typed messages; `checkpoint`: its turn's, to restore; `images`: how many went with it. */
  | { kind: 'user'; key: string; text: string; index?: number; checkpoint?: string; images?: number }
  /** A neutral line: "Restored checkpoint (3 files)". */
  | { kind: 'notice'; key: string; text: string }
  /**
   * `cutBytes`: UTF-8 bytes dropped from the front of a command's output (shown to the person);
   * `cutChars`: characters this view dropped, which fixes where the terminal's chunks start.
   */
  | {
      kind: 'item';
      key: string;
      item: ThreadItem;
      cutBytes: number;
      cutChars?: number;
      /** When this view first saw a command start (ms since the epoch), for its elapsed time. */
      startedAt?: number;
      /** A command the person's Stop cut short (shown as a neutral "Stopped", not "Failed"). */
      stopped?: boolean;
    }
  | {
      kind: 'approval';
      key: string;
      requestId: string;
      request: ApprovalRequest;
      decision: ApprovalDecision | null;
      /** The denial message the person typed, if any. */
      message?: string;
      /**
       * The command item this approval is about. Its card then shows the question (one card, the
       * command once) and this entry draws nothing of its own.
       */
      itemId?: string;
      /** The person asked for the "message to the model" field. */
      denyOpen?: boolean;
    }
  /** A turn the person stopped; `continuable` until a later message is sent. */
  | { kind: 'stopped'; key: string; continuable: boolean };

export interface ChatState {
  version: 1;
  entries: Entry[];
  busy: boolean;
  /** Sent a message, and the host has not yet started (or refused) the turn. */
  awaitingTurn?: boolean;
  /** The person pressed Stop and the turn has not ended yet. */
  stopping?: boolean;
  /** When the running turn started (ms since the epoch), for the status line's elapsed time. */
  turnStartedAt?: number;
  threadId: string | null;
  model: string;
  models: string[];
  sessions: SessionSummary[] | null;
  contextUsage: { used: number; window: number } | null;
  lastUsage: Usage | null;
  error: { message: string; retry: boolean; actions?: ErrorAction[] } | null;
  /** The model request failed and will be tried again at `until` (ms since the epoch). */
  retrying?: { attempt: number; maxAttempts: number; until: number; reason: string } | null;
  /** What the next message would carry (the input's chips), as the host last said. */
  editorContext?: ContextPreview | null;
  /** Chips the person removed: not sent with the next message. */
  excluded?: ContextPart[];
  /** Images pasted or dropped for the next message, as the host prepared (or refused) them. */
  attachments?: ImageAttachment[];
  /** itemId -> path -> hunkId -> state, as last reported by the host (or chosen here, until it answers). */
  hunkStates: Record<string, Record<string, Record<string, HunkState>>>;
  /** itemId -> path -> the model's lines that landed, as last reported by the host (line-level decisions). */
  landedLines?: Record<string, Record<string, LandedLines>>;
  nextKey: number;
}

/** What the UI itself does to the state, before the host hears of it. */
export type LocalAction =
  | { type: 'local.send'; text: string; images?: number }
  | { type: 'local.approval'; requestId: string; decision: ApprovalDecision; message?: string }
  | { type: 'local.hunks'; itemId: string; path: string; hunkIds: string[]; accept: boolean }
  /** Whole file (or, with path null, every file) of a change: its undecided hunks take the answer. */
  | { type: 'local.file'; itemId: string; path: string | null; accept: boolean }
  | { type: 'local.dismissError' }
  /** The person asked for the deny-with-a-message field of an approval. */
  | { type: 'local.denyMessage'; requestId: string }
  /** The person pressed Stop: the turn's end is shown as stopped, not as an error. */
  | { type: 'local.stop' }
  /** The person removed a context chip: that part is not sent with the next message. */
  | { type: 'local.exclude'; part: ContextPart }
  /** The person removed an image chip. */
  | { type: 'local.removeAttachment'; id: string };

export type Action = HostMessage | LocalAction;

/** Which parts of the view need redrawing: entry keys, plus the chrome (toolbar, banner, input). */
export interface Change {
  entries: Set<string>;
  /** An entry was added or removed (the list must be re-synced, not just patched). */
  structure: boolean;
  chrome: boolean;
}

export function initialState(): ChatState {
  return {
    version: 1,
    entries: [],
    busy: false,
    awaitingTurn: false,
    stopping: false,
    threadId: null,
    model: '',
    models: [],
    sessions: null,
    contextUsage: null,
    lastUsage: null,
    error: null,
    hunkStates: {},
    nextKey: 1,
  };
}

/** Accepts a saved state only if it has the shape this version writes; anything else starts fresh. */
export function restoreState(saved: unknown): ChatState {
  if (
    typeof saved === 'object' &&
    saved !== null &&
    (saved as ChatState).version === 1 &&
    Array.isArray((saved as ChatState).entries)
  ) {
    return { ...initialState(), ...(saved as ChatState) };
  }
  return initialState();
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Keeps the last OUTPUT_KEEP_CHARS of a command's output, cut at a line start where one is near so
 * the view does not begin mid-line (or mid escape sequence). Returns the kept text and the bytes cut.
 */
export function capOutput(text: string, keep = OUTPUT_KEEP_CHARS): { text: string; cutBytes: number; cutChars: number } {
  if (text.length <= keep) return { text, cutBytes: 0, cutChars: 0 };
  let start = text.length - keep;
  const nl = text.indexOf('\n', start);
  if (nl !== -1 && nl - start < 1024) start = nl + 1;
  // Never split a surrogate pair.
  const c = text.charCodeAt(start);
  if (c >= 0xdc00 && c <= 0xdfff) start++;
  return { text: text.slice(start), cutBytes: utf8Length(text.slice(0, start)), cutChars: start };
}

function findItemEntry(state: ChatState, id: string): Extract<Entry, { kind: 'item' }> | undefined {
  for (let i = state.entries.length - 1; i >= 0; i--) {
    const e = state.entries[i];
    if (e.kind === 'item' && e.item.id === id) return e;
  }
  return undefined;
}

function findApproval(state: ChatState, requestId: string): Extract<Entry, { kind: 'approval' }> | undefined {
  return state.entries.find(
    (e): e is Extract<Entry, { kind: 'approval' }> => e.kind === 'approval' && e.requestId === requestId,
  );
}

function newKey(state: ChatState): string {
  return `e${state.nextKey++}`;
}

/** Stores an item (new or replacing), keeping command output within bounds. */
function putItem(state: ChatState, item: ThreadItem, change: Change, now: number): void {
  const existing = findItemEntry(state, item.id);
  let stored: ThreadItem = item;
  let cutBytes = existing?.cutBytes ?? 0;
  let cutChars = existing?.cutChars ?? 0;
  if (item.type === 'command_execution') {
    const prev = existing?.item.type === 'command_execution' ? existing.item : undefined;
    let output = item.aggregated_output ?? '';
    const cumulative = prev !== undefined && cutBytes === 0 && output.length > prev.aggregated_output.length && output.startsWith(prev.aggregated_output);
    if (prev && !cumulative && (output === '' || prev.aggregated_output !== '' || cutBytes > 0)) {
      // Keep what streamed live: it has the colours and the latest output, while the completed
      // item's copy is what the model saw (ANSI-free, head and tail only).
      output = prev.aggregated_output;
    } else {
      // Nothing streamed (a replayed session, output only at the end), or an update carrying the whole
      // output so far: show the item's copy.
      const capped = capOutput(output);
      output = capped.text;
      cutBytes = capped.cutBytes;
      // A new text, so new chunk boundaries: continue past the old ones.
      cutChars = cutChars + (prev?.aggregated_output.length ?? 0) + capped.cutChars;
    }
    stored = { ...item, aggregated_output: output };
  } else if ((item.type === 'agent_message' || item.type === 'reasoning') && existing) {
    // A start/update without text must not wipe text that arrived as deltas.
    const prev = existing.item as { text?: string };
    if ((item.text ?? '') === '' && prev.text) stored = { ...item, text: prev.text };
  }
  // The pinned plan and the status line (step, running command) are drawn from these items.
  if (item.type === 'todo_list' || item.type === 'command_execution') change.chrome = true;
  if (existing) {
    existing.item = stored;
    existing.cutBytes = cutBytes;
    if (item.type === 'command_execution') {
      existing.cutChars = cutChars;
      if (state.stopping && isCutShort(item)) existing.stopped = true;
    }
    change.entries.add(existing.key);
  } else {
    const key = newKey(state);
    state.entries.push(
      item.type === 'command_execution'
        ? { kind: 'item', key, item: stored, cutBytes, cutChars, ...(item.status === 'in_progress' ? { startedAt: now } : {}) }
        : { kind: 'item', key, item: stored, cutBytes },
    );
    change.entries.add(key);
    change.structure = true;
  }
}

/** A command that ended without an exit status (what the core reports for one it killed). */
function isCutShort(item: ThreadItem): boolean {
  return item.type === 'command_execution' && item.status === 'failed' && typeof item.exit_code !== 'number';
}

/** The approval last asked about a command item, if its card carries one. */
export function approvalForItem(state: ChatState, itemId: string): Extract<Entry, { kind: 'approval' }> | undefined {
  for (let i = state.entries.length - 1; i >= 0; i--) {
    const e = state.entries[i];
    if (e.kind === 'approval' && e.itemId === itemId) return e;
  }
  return undefined;
}

/**
 * The command card an approval is about: the core names its item (`request.itemId`), started just
 * before it asks. Only a card still in progress with no other open question takes it.
 */
function linkApproval(state: ChatState, request: ApprovalRequest): Extract<Entry, { kind: 'item' }> | undefined {
  if (!request.itemId) return undefined;
  const e = findItemEntry(state, request.itemId);
  if (!e || e.item.type !== 'command_execution' || e.item.status !== 'in_progress') return undefined;
  if (approvalForItem(state, e.item.id)?.decision === null) return undefined;
  return e;
}

/** Marks the command card an approval belongs to as changed (it draws the approval). */
function touchLinked(state: ChatState, approval: Extract<Entry, { kind: 'approval' }>, change: Change): void {
  if (!approval.itemId) return;
  const item = findItemEntry(state, approval.itemId);
  if (item) change.entries.add(item.key);
}

/** A new message: any earlier "Stopped" notice no longer offers Continue. */
function retireStopped(state: ChatState, change: Change): void {
  for (const e of state.entries) {
    if (e.kind === 'stopped' && e.continuable) {
      e.continuable = false;
      change.entries.add(e.key);
    }
  }
}

function applyDelta(state: ChatState, itemId: string, delta: string, hostCut: number, change: Change): void {
  const entry = findItemEntry(state, itemId);
  if (!entry) return; // a delta for an item never started: nothing to attach it to
  const item = entry.item;
  if (item.type === 'command_execution') {
    const capped = capOutput(item.aggregated_output + delta);
    entry.item = { ...item, aggregated_output: capped.text };
    entry.cutBytes += capped.cutBytes + hostCut;
    entry.cutChars = (entry.cutChars ?? 0) + capped.cutChars;
  } else if (item.type === 'agent_message' || item.type === 'reasoning') {
    entry.item = { ...item, text: item.text + delta };
  } else {
    return;
  }
  change.entries.add(entry.key);
}

export function emptyChange(): Change {
  return { entries: new Set(), structure: false, chrome: false };
}

/** Applies one action to the state in place and says what changed. */
export function reduce(state: ChatState, action: Action, now: number = Date.now()): Change {
  const wasBusy = state.busy;
  const change = reduceOnce(state, action, now);
  // The running turn's plan is drawn as one line while it is pinned above the input: when the turn
  // starts or ends, the plan cards are drawn again.
  if (state.busy !== wasBusy) for (const e of state.entries) if (e.kind === 'item' && e.item.type === 'todo_list') change.entries.add(e.key);
  return change;
}

function reduceOnce(state: ChatState, action: Action, now: number): Change {
  const change = emptyChange();
  if (state.retrying && action.type === 'event' && action.event.type !== 'context.usage') {
    // The model answered again (or the turn ended): the countdown is over.
    state.retrying = null;
    change.chrome = true;
  }
  switch (action.type) {
    case 'event': {
      const ev = action.event;
      switch (ev.type) {
        case 'thread.started':
          state.threadId = ev.thread_id;
          break;
        case 'turn.started':
          if (!state.busy || state.turnStartedAt === undefined) state.turnStartedAt = now;
          state.busy = true;
          state.awaitingTurn = false;
          state.stopping = false;
          state.error = null;
          change.chrome = true;
          break;
        case 'item.started':
        case 'item.updated':
        case 'item.completed':
          putItem(state, ev.item, change, now);
          break;
        case 'item.delta':
          applyDelta(state, ev.item_id, ev.delta, action.cutBytes ?? 0, change);
          break;
        case 'turn.completed':
          state.busy = false;
          state.awaitingTurn = false;
          state.stopping = false;
          state.lastUsage = ev.usage ?? null;
          change.chrome = true;
          break;
        case 'turn.failed': {
          // The core marks a turn the person stopped (Stop here, or from the palette, which this view
          // does not see): it ends calmly.
          const stopped = state.stopping || ev.error?.reason === 'interrupted';
          state.busy = false;
          state.awaitingTurn = false;
          state.stopping = false;
          change.chrome = true;
          if (!stopped) {
            state.error = { message: ev.error?.message || 'The turn failed.', retry: true };
            break;
          }
          // Stopped by the person: a neutral notice at the end of the turn, and the commands the
          // stop killed (ended without an exit status in this turn) say "Stopped", not "Failed".
          for (let i = state.entries.length - 1; i >= 0; i--) {
            const e = state.entries[i];
            if (e.kind === 'user') break;
            if (e.kind === 'item' && isCutShort(e.item) && !e.stopped) {
              e.stopped = true;
              change.entries.add(e.key);
            }
          }
          retireStopped(state, change);
          const key = newKey(state);
          state.entries.push({ kind: 'stopped', key, continuable: true });
          change.entries.add(key);
          change.structure = true;
          break;
        }
        case 'context.usage':
          // Without a window size (unknown model) the meter keeps the last one it had, if any.
          state.contextUsage = { used: ev.used_tokens, window: ev.window_tokens ?? state.contextUsage?.window ?? 0 };
          change.chrome = true;
          break;
        default:
          // Event kinds this view does not know yet are ignored, not fatal.
          break;
      }
      break;
    }
    case 'userMessage':
    case 'local.send': {
      retireStopped(state, change);
      const key = newKey(state);
      const entry: Entry = { kind: 'user', key, text: action.text };
      if (action.type === 'local.send' && action.images) entry.images = action.images;
      if (action.type === 'userMessage' && action.index !== undefined) entry.index = action.index;
      if (action.type === 'userMessage' && action.checkpoint !== undefined) entry.checkpoint = action.checkpoint;
      state.entries.push(entry);
      if (action.type === 'local.send') {
        // Shown as running at once: the host confirms with turn.started (or an error).
        // A removed chip applied to this message only; the images went with it.
        state.excluded = [];
        state.attachments = [];
        state.busy = true;
        state.turnStartedAt = now;
        state.awaitingTurn = true;
        state.stopping = false;
        state.error = null;
      }
      change.entries.add(key);
      change.structure = true;
      change.chrome = true;
      break;
    }
    case 'approval': {
      const existing = findApproval(state, action.requestId);
      if (existing) {
        existing.request = action.request;
        change.entries.add(existing.key);
        touchLinked(state, existing, change);
      } else {
        const key = newKey(state);
        const command = linkApproval(state, action.request);
        const entry: Extract<Entry, { kind: 'approval' }> = {
          kind: 'approval',
          key,
          requestId: action.requestId,
          request: action.request,
          decision: null,
          ...(command ? { itemId: command.item.id } : {}),
        };
        state.entries.push(entry);
        change.entries.add(key);
        change.structure = true;
        touchLinked(state, entry, change);
      }
      change.chrome = true; // the status line says a question waits
      break;
    }
    case 'approvalResolved':
    case 'local.approval': {
      const existing = findApproval(state, action.requestId);
      if (existing) {
        existing.decision = action.decision;
        if (action.message) existing.message = action.message;
        change.entries.add(existing.key);
        touchLinked(state, existing, change);
        change.chrome = true;
      }
      break;
    }
    case 'local.denyMessage': {
      const existing = findApproval(state, action.requestId);
      if (existing && existing.decision === null) {
        existing.denyOpen = true;
        change.entries.add(existing.key);
        touchLinked(state, existing, change);
      }
      break;
    }
    case 'context':
      state.editorContext = action.context;
      change.chrome = true;
      break;
    case 'attachment': {
      const list = (state.attachments ?? []).filter((a) => a.id !== action.attachment.id);
      list.push(action.attachment);
      state.attachments = list.slice(-MAX_ATTACHMENTS);
      change.chrome = true;
      break;
    }
    case 'local.removeAttachment':
      state.attachments = (state.attachments ?? []).filter((a) => a.id !== action.id);
      change.chrome = true;
      break;
    case 'local.exclude':
      if (!(state.excluded ?? []).includes(action.part)) state.excluded = [...(state.excluded ?? []), action.part];
      change.chrome = true;
      break;
    case 'local.stop':
      if (state.busy) state.stopping = true;
      break;
    case 'hunkStates':
    case 'local.hunks': {
      const byPath = (state.hunkStates[action.itemId] ??= {});
      const states = (byPath[action.path] ??= {});
      if (action.type === 'hunkStates') {
        Object.assign(states, action.states);
        if (action.lines) ((state.landedLines ??= {})[action.itemId] ??= {})[action.path] = action.lines;
      }
      else for (const id of action.hunkIds) states[id] = action.accept ? 'accepted' : 'rejected';
      for (const e of state.entries) {
        if (e.kind === 'item' && e.item.type === 'file_change' && e.item.id === action.itemId) change.entries.add(e.key);
      }
      break;
    }
    case 'local.file': {
      const entry = findItemEntry(state, action.itemId);
      if (!entry || entry.item.type !== 'file_change') break;
      const byPath = (state.hunkStates[action.itemId] ??= {});
      const item = entry.item;
      item.changes.forEach((c, i) => {
        if (action.path !== null && c.path !== action.path) return;
        const states = (byPath[c.path] ??= {});
        for (const id of item.diffs[i]?.hunkIds ?? []) {
          if ((states[id] ?? 'pending') === 'pending') states[id] = action.accept ? 'accepted' : 'rejected';
        }
      });
      change.entries.add(entry.key);
      break;
    }
    case 'busy':
      state.busy = action.busy;
      state.awaitingTurn = false;
      change.chrome = true;
      break;
    case 'model':
      state.model = action.model;
      if (action.model && !state.models.includes(action.model)) state.models = [...state.models, action.model];
      change.chrome = true;
      break;
    case 'models':
      state.models = [...new Set([...action.models, ...(state.model ? [state.model] : [])])];
      change.chrome = true;
      break;
    case 'sessions':
      state.sessions = action.sessions;
      change.chrome = true;
      break;
    case 'retrying':
      state.retrying = { attempt: action.attempt, maxAttempts: action.maxAttempts, until: now + action.delayMs, reason: action.reason };
      change.chrome = true;
      break;
    case 'error':
      state.retrying = null;
      state.error = { message: action.message, retry: action.retry, ...(action.actions?.length ? { actions: action.actions } : {}) };
      if (state.awaitingTurn) {
        // The message never started a turn (no API key, bad settings...): do not sit on "working".
        state.busy = false;
        state.awaitingTurn = false;
      }
      change.chrome = true;
      break;
    case 'local.dismissError':
      state.error = null;
      change.chrome = true;
      break;
    case 'clear': {
      const fresh = initialState();
      fresh.model = state.model;
      fresh.models = state.models;
      fresh.nextKey = state.nextKey; // keys stay unique across clears so stale DOM nodes never match
      Object.assign(state, fresh);
      change.structure = true;
      change.chrome = true;
      break;
    }
    case 'focusInput':
      // Handled by the DOM layer; no state.
      break;
    case 'userCheckpoint': {
      // The running turn's message is the last one the person sent.
      for (let i = state.entries.length - 1; i >= 0; i--) {
        const e = state.entries[i];
        if (e.kind !== 'user') continue;
        if (e.checkpoint === undefined) {
          e.checkpoint = action.checkpoint;
          e.index = action.index;
          change.entries.add(e.key);
        }
        break;
      }
      break;
    }
    case 'rewound': {
      const at = state.entries.findIndex((e) => e.kind === 'user' && e.index === action.index);
      if (at < 0) break;
      state.entries.splice(at);
      state.error = null;
      change.structure = true;
      change.chrome = true;
      break;
    }
    case 'notice': {
      const key = newKey(state);
      state.entries.push({ kind: 'notice', key, text: action.text });
      change.entries.add(key);
      change.structure = true;
      break;
    }
  }
  return change;
}

/** Merges `b` into `a` (used to batch changes until the next animation frame). */
export function mergeChange(a: Change, b: Change): Change {
  for (const k of b.entries) a.entries.add(k);
  a.structure ||= b.structure;
  a.chrome ||= b.chrome;
  return a;
}

/** The state of each hunk of one file of a file_change item, for its card. */
export function hunkStatesFor(state: ChatState, itemId: string, path: string, hunkIds: string[], itemStatus: string): Record<string, HunkState> {
  const known = state.hunkStates[itemId]?.[path] ?? {};
  const fallback: HunkState = itemStatus === 'completed' ? 'accepted' : itemStatus === 'declined' ? 'rejected' : 'pending';
  const out: Record<string, HunkState> = {};
  for (const id of hunkIds) out[id] = known[id] ?? fallback;
  return out;
}
