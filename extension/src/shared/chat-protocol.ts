// The messages between the sidebar chat webview and the extension host, typed in one place.
// Both sides import this file: the webview bundle (browser) and extension/src/vscode/chat (Node).
// It must stay free of `vscode` and Node imports.
//
// The agent's UI events (ThreadEvent and its items) are defined in Rust and generated into
// extension/src/generated/types; the aliases below name the parts the chat reads.

// ---------------------------------------------------------------------------------------------
// The agent's UI events, approvals and diffs: generated from the Rust core (wasm-ui-core/src/session,
// diff/, the tack-diff crate).

import type { ApprovalDecision } from '../generated/types/ApprovalDecision';
import type { ApprovalRequest } from '../generated/types/ApprovalRequest';
import type { DiffRow } from '../generated/types/DiffRow';
import type { FileDiff } from '../generated/types/FileDiff';
import type { HunkState } from '../generated/types/HunkState';
import type { ThreadEvent } from '../generated/types/ThreadEvent';
import type { ThreadItem } from '../generated/types/ThreadItem';
import type { Usage } from '../generated/types/Usage';
export type { ApprovalDecision, ApprovalRequest, DiffRow, FileDiff, HunkState, ThreadEvent, ThreadItem, Usage };

/** The answers an approval card offers ("abort" is the controller's, e.g. when a turn is stopped). */
export type ApprovalChoice = Exclude<ApprovalDecision, 'abort'>;

/** One past session, as the history list shows it. */
export interface SessionSummary {
  id: string;
  /** A short title, usually the first user message. */
  title: string;
  /** Last activity, milliseconds since the epoch. */
  updatedAt: number;
  model?: string;
}

/** The model's lines that landed (1-based): original lines removed, proposed lines now in the file. */
export interface LandedLines {
  removedOld: number[];
  landedNew: number[];
}

/** A part of the editor context the person can keep out of the next message (a removed chip). */
export type ContextPart = 'file' | 'selection';
export const CONTEXT_PARTS: readonly ContextPart[] = ['file', 'selection'];

/** What the next message will carry, for the chips above the input, and the permissions in force. */
export interface ContextPreview {
  /** The active file (workspace-relative), sent as context. */
  file?: string;
  /** Other visible files sent by name. */
  openFiles: number;
  selection?: { path: string; startLine: number; endLine: number };
  approvalPolicy: string;
  sandboxMode: string;
}

/** An image attached to the next message, as the host prepared it (or why it could not). */
export interface ImageAttachment {
  /** The host's id for it; `send` names the attachments by these. */
  id: string;
  /** The file name (or "pasted image"). */
  name: string;
  /** The image as it will be sent (a `data:image/png|jpeg;base64,` URL), for the chip's thumbnail. */
  thumbnail?: string;
  width?: number;
  height?: number;
  /** Why it was refused (not an image, too many pixels, ...); such a chip is shown, never sent. */
  error?: string;
}

/** The most bytes of one image the view sends the host (the host's own file cap). */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
/** The most images one message carries. */
export const MAX_ATTACHMENTS = 10;

/** A fix an error banner offers: "Set API Key", "Open Settings", "Use a Local Server". */
export type ErrorAction = 'setKey' | 'openSettings' | 'useLocalServer';
export const ERROR_ACTIONS: readonly ErrorAction[] = ['setKey', 'openSettings', 'useLocalServer'];


// ---------------------------------------------------------------------------------------------
// Host -> webview

export type HostMessage =
  /** An agent UI event. `cutBytes`: output the host dropped from the front of a merged delta. */
  | { type: 'event'; event: ThreadEvent; cutBytes?: number }
  /** The user's own message (the webview adds it itself on send; the host sends it when replaying a session). */
  | { type: 'userMessage'; text: string; index?: number; checkpoint?: string }
  /**
   * The running turn recorded checkpoint `checkpoint`: the person's last message (typed message number
   * `index`, see the core's session/rewind.rs) offers "Restore checkpoint".
   */
  | { type: 'userCheckpoint'; index: number; checkpoint: string }
  /** The conversation was rewound to just before typed message `index`: it and what follows go. */
  | { type: 'rewound'; index: number }
  /** A neutral line in the transcript ("Restored checkpoint (3 files)"). */
  | { type: 'notice'; text: string }
  | { type: 'approval'; requestId: string; request: ApprovalRequest }
  /** `message`: the denial message sent to the model (a replayed session's). */
  | { type: 'approvalResolved'; requestId: string; decision: ApprovalDecision; message?: string }
  | { type: 'hunkStates'; itemId: string; path: string; states: Record<string, HunkState>; lines?: LandedLines }
  | { type: 'busy'; busy: boolean }
  | { type: 'model'; model: string }
  | { type: 'models'; models: string[] }
  | { type: 'sessions'; sessions: SessionSummary[] }
  /** `actions`: what the banner offers to fix it (set the key, open settings, use a local server). */
  | { type: 'error'; message: string; retry: boolean; actions?: ErrorAction[] }
  /** The model request failed and is tried again after `delayMs` (the status line counts down). */
  | { type: 'retrying'; attempt: number; maxAttempts: number; delayMs: number; reason: string }
  | { type: 'clear' }
  /** The context the next message will carry and the permissions (the input's chips). */
  | { type: 'context'; context: ContextPreview }
  | { type: 'focusInput'; prefill?: string }
  /** An image the person pasted or dropped, prepared (or refused) by the host. */
  | { type: 'attachment'; attachment: ImageAttachment };

// ---------------------------------------------------------------------------------------------
// Webview -> host

export type ViewMessage =
  /** The webview (re)loaded and restored its saved state; the host flushes what it buffered. */
  | { type: 'ready' }
  /** `exclude`: context parts whose chip the person removed (not sent with this message). */
  | { type: 'send'; text: string; exclude?: ContextPart[]; images?: string[] }
  /** An image pasted or dropped from outside VS Code: its bytes, base64 (at most MAX_ATTACHMENT_BYTES). */
  | { type: 'attachImage'; name: string; data: string }
  /** Files dropped from VS Code's explorer or the OS, as URIs (`file:` only are read). */
  | { type: 'attachFiles'; uris: string[] }
  /** A code block's Copy (to the clipboard) or Insert (at the cursor of the last active editor). */
  | { type: 'codeAction'; action: 'copy' | 'insert'; code: string }
  /** The permissions chip: choose the approval policy. */
  | { type: 'setPermissions' }
  | { type: 'stop' }
  | { type: 'newTask' }
  | { type: 'retry' }
  /** `message` (deny only): what to tell the model instead. */
  | { type: 'decideApproval'; requestId: string; decision: ApprovalChoice; message?: string }
  | { type: 'decideHunks'; itemId: string; path: string; hunkIds: string[]; accept: boolean }
  | { type: 'decideFile'; itemId: string; path: string | null; accept: boolean }
  | { type: 'openDiff'; itemId: string; path: string }
  /** Reject everything still pending in an edit, with a reason the host asks for (the model reads it). */
  | { type: 'rejectWithReason'; itemId: string }
  | { type: 'openFile'; path: string; line?: number }
  | { type: 'listSessions' }
  | { type: 'resumeSession'; id: string }
  /** The person chose a fix an error banner offered. */
  | { type: 'errorAction'; action: ErrorAction }
  /** Delete a past session's file (the history list asks twice before sending this). */
  | { type: 'deleteSession'; id: string }
  | { type: 'listModels' }
  | { type: 'setModel'; model: string }
  /** A message's "Restore checkpoint" button: the host asks files only / files and conversation, and confirms. */
  | { type: 'restoreCheckpoint'; checkpoint: string; index: number };

export type ViewMessageType = ViewMessage['type'];

/** The result of checking a message that arrived from the webview. */
export type ParsedViewMessage = { ok: true; message: ViewMessage } | { ok: false; error: string };

const str = (v: unknown): v is string => typeof v === 'string';
/** The most a code block's Copy/Insert carries. */
const MAX_CODE_CHARS = 1_000_000;
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
    case 'setPermissions':
      return { ok: true, message: { type: m.type } };
    case 'send': {
      if (!str(m.text) || m.text.trim() === '') return bad('text', 'a non-empty string');
      if (m.exclude !== undefined && !(Array.isArray(m.exclude) && m.exclude.every((x) => CONTEXT_PARTS.includes(x as ContextPart)))) {
        return bad('exclude', `an array of ${CONTEXT_PARTS.join(', ')}`);
      }
      if (m.images !== undefined && !(Array.isArray(m.images) && m.images.length <= MAX_ATTACHMENTS && m.images.every(nonEmpty))) {
        return bad('images', `an array of at most ${MAX_ATTACHMENTS} attachment ids`);
      }
      const message: ViewMessage = { type: 'send', text: m.text };
      if (Array.isArray(m.exclude) && m.exclude.length > 0) message.exclude = [...new Set(m.exclude as ContextPart[])];
      if (Array.isArray(m.images) && m.images.length > 0) message.images = [...new Set(m.images as string[])];
      return { ok: true, message };
    }
    case 'attachImage':
      if (!str(m.name) || m.name.length > 1000) return bad('name', 'a string of at most 1000 characters');
      // base64 is 4 characters for every 3 bytes.
      if (!nonEmpty(m.data) || m.data.length > Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(m.data)) {
        return bad('data', `base64 of at most ${MAX_ATTACHMENT_BYTES} bytes`);
      }
      return { ok: true, message: { type: 'attachImage', name: m.name, data: m.data } };
    case 'attachFiles':
      if (!Array.isArray(m.uris) || m.uris.length === 0 || m.uris.length > MAX_ATTACHMENTS || !m.uris.every(nonEmpty)) {
        return bad('uris', `an array of 1 to ${MAX_ATTACHMENTS} URIs`);
      }
      return { ok: true, message: { type: 'attachFiles', uris: [...m.uris] } };
    case 'decideApproval': {
      if (!nonEmpty(m.requestId)) return bad('requestId', 'a non-empty string');
      if (m.decision !== 'approved' && m.decision !== 'approvedForSession' && m.decision !== 'approvedServerForSession' && m.decision !== 'denied') {
        return bad('decision', 'one of approved, approvedForSession, approvedServerForSession, denied');
      }
      if (m.message !== undefined && !str(m.message)) return bad('message', 'a string');
      const message: ViewMessage = { type: 'decideApproval', requestId: m.requestId, decision: m.decision };
      if (str(m.message) && m.message.trim() !== '') message.message = m.message;
      return { ok: true, message };
    }
    case 'decideHunks':
      if (!nonEmpty(m.itemId)) return bad('itemId', 'a non-empty string');
      if (!nonEmpty(m.path)) return bad('path', 'a non-empty string');
      if (!Array.isArray(m.hunkIds) || m.hunkIds.length === 0 || !m.hunkIds.every(nonEmpty)) {
        return bad('hunkIds', 'a non-empty array of strings');
      }
      if (!bool(m.accept)) return bad('accept', 'a boolean');
      return {
        ok: true,
        message: { type: 'decideHunks', itemId: m.itemId, path: m.path, hunkIds: [...m.hunkIds], accept: m.accept },
      };
    case 'decideFile':
      if (!nonEmpty(m.itemId)) return bad('itemId', 'a non-empty string');
      if (m.path !== null && !nonEmpty(m.path)) return bad('path', 'a non-empty string or null');
      if (!bool(m.accept)) return bad('accept', 'a boolean');
      return { ok: true, message: { type: 'decideFile', itemId: m.itemId, path: m.path, accept: m.accept } };
    case 'rejectWithReason':
      if (!nonEmpty(m.itemId)) return bad('itemId', 'a non-empty string');
      return { ok: true, message: { type: 'rejectWithReason', itemId: m.itemId } };
    case 'openDiff':
      if (!nonEmpty(m.itemId)) return bad('itemId', 'a non-empty string');
      if (!nonEmpty(m.path)) return bad('path', 'a non-empty string');
      return { ok: true, message: { type: 'openDiff', itemId: m.itemId, path: m.path } };
    case 'openFile': {
      if (!nonEmpty(m.path)) return bad('path', 'a non-empty string');
      if (m.line !== undefined && !(Number.isInteger(m.line) && (m.line as number) >= 1)) {
        return bad('line', 'a positive integer');
      }
      const message: ViewMessage = { type: 'openFile', path: m.path };
      if (m.line !== undefined) message.line = m.line as number;
      return { ok: true, message };
    }
    case 'codeAction':
      if (m.action !== 'copy' && m.action !== 'insert') return bad('action', 'copy or insert');
      if (!str(m.code) || m.code.length > MAX_CODE_CHARS) return bad('code', `a string of at most ${MAX_CODE_CHARS} characters`);
      return { ok: true, message: { type: 'codeAction', action: m.action, code: m.code } };
    case 'errorAction':
      if (!ERROR_ACTIONS.includes(m.action as ErrorAction)) return bad('action', `one of ${ERROR_ACTIONS.join(', ')}`);
      return { ok: true, message: { type: 'errorAction', action: m.action as ErrorAction } };
    case 'resumeSession':
    case 'deleteSession':
      if (!nonEmpty(m.id)) return bad('id', 'a non-empty string');
      return { ok: true, message: { type: m.type, id: m.id } };
    case 'setModel':
      if (!nonEmpty(m.model)) return bad('model', 'a non-empty string');
      return { ok: true, message: { type: 'setModel', model: m.model } };
    case 'restoreCheckpoint':
      if (!str(m.checkpoint) || !/^[0-9]{1,12}-[0-9a-f]{6}$/.test(m.checkpoint)) return bad('checkpoint', 'a checkpoint id');
      if (!(Number.isInteger(m.index) && (m.index as number) >= 0)) return bad('index', 'a non-negative integer');
      return { ok: true, message: { type: 'restoreCheckpoint', checkpoint: m.checkpoint, index: m.index as number } };
    default:
      return { ok: false, error: `unknown message type ${JSON.stringify(m.type)}` };
  }
}
