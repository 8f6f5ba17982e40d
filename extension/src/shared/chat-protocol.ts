// The messages between the sidebar chat webview and the extension host, typed in one place.
// Both sides import this file: the webview bundle (browser) and extension/src/vscode/chat (Node).
// It must stay free of `vscode` and Node imports.
//
// The agent's UI events (ThreadEvent and its items) are defined in Rust and generated into
// extension/src/generated/types; the aliases below name the parts the chat reads.

// ---------------------------------------------------------------------------------------------
// The agent's UI events. These mirror the Rust types (session brief, "ThreadEvent") until the
// generated ones land in extension/src/generated/types; then these become re-exports.

export interface Usage {
  input_tokens?: number;
  cached_input_tokens?: number;
  output_tokens?: number;
  reasoning_output_tokens?: number;
  total_tokens?: number;
}

/** One row of the core's diff render model. */
export interface DiffRow {
  kind: 'context' | 'add' | 'delete' | 'hunk' | 'skip';
  oldLine?: number | null;
  newLine?: number | null;
  text: string;
  /** Character ranges [start, end) within `text` that changed (word-level highlight). */
  highlights?: Array<[number, number]>;
  hunkId?: string | null;
}

export interface FileDiff {
  /** Hunk ids in file order. */
  hunkIds: string[];
  /** The unified diff text. */
  unified: string;
  /** The render model, when the core provides it. */
  rows?: DiffRow[];
}

export interface FileChangeSummary {
  path: string;
  kind: 'add' | 'delete' | 'update';
  move_path?: string | null;
}

export interface TodoEntry {
  text: string;
  completed?: boolean;
  status?: 'pending' | 'in_progress' | 'completed' | string;
}

export type ThreadItem =
  | { id: string; type: 'agent_message'; text: string }
  | { id: string; type: 'reasoning'; text: string }
  | {
      id: string;
      type: 'command_execution';
      command: string;
      aggregated_output: string;
      exit_code?: number | null;
      status: 'in_progress' | 'completed' | 'failed' | 'declined' | string;
      duration_ms?: number | null;
    }
  | {
      id: string;
      type: 'file_change';
      changes: FileChangeSummary[];
      status: 'pending' | 'completed' | 'partially_applied' | 'declined' | 'failed' | string;
      /** FileDiff per path, for the UI. */
      diffs?: Record<string, FileDiff> | Array<FileDiff & { path: string }>;
    }
  | { id: string; type: 'todo_list'; items: TodoEntry[] }
  | { id: string; type: 'error'; message: string };

export type ThreadEvent =
  | { type: 'thread.started'; thread_id: string }
  | { type: 'turn.started' }
  | { type: 'item.started'; item: ThreadItem }
  | { type: 'item.updated'; item: ThreadItem }
  | { type: 'item.completed'; item: ThreadItem }
  | { type: 'item.delta'; item_id: string; delta: string }
  | { type: 'turn.completed'; usage?: Usage | null }
  | { type: 'turn.failed'; error: { message: string } }
  | { type: 'context.usage'; used_tokens: number; window_tokens: number };

/** What an approval card asks about: a command to run, or edits to make. */
export interface ApprovalRequest {
  kind?: 'exec' | 'patch' | string;
  /** For commands: the command line (or argv). */
  command?: string | string[];
  cwd?: string;
  /** Why the model (or the policy) asks. */
  reason?: string | null;
  justification?: string | null;
  /** For edits: the files touched. */
  paths?: string[];
  /** The tool call this approval belongs to. */
  callId?: string;
}

export interface ApprovalDecision {
  decision: 'approve' | 'approveForSession' | 'deny';
  message?: string;
}

/** One past session, as the history list shows it. */
export interface SessionSummary {
  id: string;
  /** A short title, usually the first user message. */
  title: string;
  /** Last activity, milliseconds since the epoch. */
  updatedAt: number;
  model?: string;
}

export type HunkState = 'pending' | 'accepted' | 'rejected';

/** The three answers an approval card offers (a denial may carry a message for the model). */
export type ApprovalChoice = 'approve' | 'approveForSession' | 'deny';

// ---------------------------------------------------------------------------------------------
// Host -> webview

export type HostMessage =
  /** An agent UI event. `cutBytes`: output the host dropped from the front of a merged delta. */
  | { type: 'event'; event: ThreadEvent; cutBytes?: number }
  /** The user's own message (the webview adds it itself on send; the host sends it when replaying a session). */
  | { type: 'userMessage'; text: string }
  | { type: 'approval'; requestId: string; request: ApprovalRequest }
  | { type: 'approvalResolved'; requestId: string; decision: ApprovalDecision }
  | { type: 'hunkStates'; callId: string; path: string; states: Record<string, HunkState> }
  | { type: 'busy'; busy: boolean }
  | { type: 'model'; model: string }
  | { type: 'models'; models: string[] }
  | { type: 'sessions'; sessions: SessionSummary[] }
  | { type: 'contextUsage'; used: number; window: number }
  | { type: 'error'; message: string; retry: boolean }
  | { type: 'clear' }
  | { type: 'focusInput'; prefill?: string };

// ---------------------------------------------------------------------------------------------
// Webview -> host

export type ViewMessage =
  /** The webview (re)loaded and restored its saved state; the host flushes what it buffered. */
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'newTask' }
  | { type: 'retry' }
  | { type: 'decideApproval'; requestId: string; choice: ApprovalChoice; message?: string }
  | { type: 'decideHunks'; callId: string; path: string; hunkIds: string[]; accept: boolean }
  | { type: 'decideFile'; callId: string; path: string | null; accept: boolean }
  | { type: 'openDiff'; callId: string; path: string }
  | { type: 'openFile'; path: string; line?: number }
  | { type: 'listSessions' }
  | { type: 'resumeSession'; id: string }
  | { type: 'listModels' }
  | { type: 'setModel'; model: string };

export type ViewMessageType = ViewMessage['type'];

/** The result of checking a message that arrived from the webview. */
export type ParsedViewMessage = { ok: true; message: ViewMessage } | { ok: false; error: string };

const str = (v: unknown): v is string => typeof v === 'string';
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const bool = (v: unknown): v is boolean => typeof v === 'boolean';

/**
 * Checks a message from the webview before the host acts on it. The webview is our own code, but
 * its messages cross a process boundary as plain JSON: anything malformed is reported, never acted on.
 */
export function parseViewMessage(raw: unknown): ParsedViewMessage {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, error: 'message is not an object' };
  }
  const m = raw as Record<string, unknown>;
  const bad = (field: string, want: string): ParsedViewMessage => ({
    ok: false,
    error: `message "${String(m.type)}": field "${field}" must be ${want}`,
  });
  switch (m.type) {
    case 'ready':
    case 'stop':
    case 'newTask':
    case 'retry':
    case 'listSessions':
    case 'listModels':
      return { ok: true, message: { type: m.type } };
    case 'send':
      if (!str(m.text) || m.text.trim() === '') return bad('text', 'a non-empty string');
      return { ok: true, message: { type: 'send', text: m.text } };
    case 'decideApproval': {
      if (!nonEmpty(m.requestId)) return bad('requestId', 'a non-empty string');
      if (m.choice !== 'approve' && m.choice !== 'approveForSession' && m.choice !== 'deny') {
        return bad('choice', 'one of approve, approveForSession, deny');
      }
      if (m.message !== undefined && !str(m.message)) return bad('message', 'a string');
      const message: ViewMessage = { type: 'decideApproval', requestId: m.requestId, choice: m.choice };
      if (str(m.message) && m.message.trim() !== '') message.message = m.message;
      return { ok: true, message };
    }
    case 'decideHunks':
      if (!nonEmpty(m.callId)) return bad('callId', 'a non-empty string');
      if (!nonEmpty(m.path)) return bad('path', 'a non-empty string');
      if (!Array.isArray(m.hunkIds) || m.hunkIds.length === 0 || !m.hunkIds.every(nonEmpty)) {
        return bad('hunkIds', 'a non-empty array of strings');
      }
      if (!bool(m.accept)) return bad('accept', 'a boolean');
      return {
        ok: true,
        message: { type: 'decideHunks', callId: m.callId, path: m.path, hunkIds: [...m.hunkIds], accept: m.accept },
      };
    case 'decideFile':
      if (!nonEmpty(m.callId)) return bad('callId', 'a non-empty string');
      if (m.path !== null && !nonEmpty(m.path)) return bad('path', 'a non-empty string or null');
      if (!bool(m.accept)) return bad('accept', 'a boolean');
      return { ok: true, message: { type: 'decideFile', callId: m.callId, path: m.path, accept: m.accept } };
    case 'openDiff':
      if (!nonEmpty(m.callId)) return bad('callId', 'a non-empty string');
      if (!nonEmpty(m.path)) return bad('path', 'a non-empty string');
      return { ok: true, message: { type: 'openDiff', callId: m.callId, path: m.path } };
    case 'openFile': {
      if (!nonEmpty(m.path)) return bad('path', 'a non-empty string');
      if (m.line !== undefined && !(Number.isInteger(m.line) && (m.line as number) >= 1)) {
        return bad('line', 'a positive integer');
      }
      const message: ViewMessage = { type: 'openFile', path: m.path };
      if (m.line !== undefined) message.line = m.line as number;
      return { ok: true, message };
    }
    case 'resumeSession':
      if (!nonEmpty(m.id)) return bad('id', 'a non-empty string');
      return { ok: true, message: { type: 'resumeSession', id: m.id } };
    case 'setModel':
      if (!nonEmpty(m.model)) return bad('model', 'a non-empty string');
      return { ok: true, message: { type: 'setModel', model: m.model } };
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(m.type)}` };
  }
}

/** Builds the decision the backend receives from an approval card's answer. */
export function approvalDecisionOf(choice: ApprovalChoice, message?: string): ApprovalDecision {
  return message === undefined ? { decision: choice } : { decision: choice, message };
}
