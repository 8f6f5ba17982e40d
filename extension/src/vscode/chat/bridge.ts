// The host side of the chat, without `vscode`: delivers HostMessages to the view once it is ready
// (buffering in the outbox until then), and turns the view's messages into ChatBackend calls after
// checking them. ChatViewProvider wraps this around a real WebviewView; tests drive it directly.
import {
  parseViewMessage,
  type ApprovalDecision,
  type ContextPart,
  type ErrorAction,
  type HostMessage,
  type SessionSummary,
  type ViewMessage,
} from '../../shared/chat-protocol';
import { Outbox } from './outbox';

/** What the chat asks of the extension. Implemented by the agent controller. */
export interface ChatBackend {
  /** A user message. The view only sends while no turn runs (input stays editable; Stop is shown instead). */
  send(text: string, exclude?: ContextPart[], images?: string[]): void;
  /** An image pasted or dropped from outside: prepare it and answer with an `attachment` message. */
  attachImage(name: string, data: string): void;
  /** Files dropped on the chat (explorer or OS): prepare each image, answering as attachImage does. */
  attachFiles(uris: string[]): void;
  /** A code block's Copy or Insert at cursor. */
  codeAction(action: 'copy' | 'insert', code: string): void;
  /** The permissions chip was clicked: let the person choose the approval policy. */
  setPermissions(): void;
  stop(): void;
  /** The person asked for a fresh conversation; the controller resets and calls `clear()`. */
  newTask(): void;
  /** Retry after an error banner (re-run the last user message). */
  retry(): void;
  /** `message`: only with `denied`, what the person wants the model told instead. */
  decideApproval(requestId: string, decision: ApprovalDecision, message?: string): void;
  /**
   * `itemId` names the change as the chat sees it: the `file_change` item's id, which is
   * ChangeProposal.itemId (not the tool call id). setHunkStates takes the same id.
   */
  decideHunks(itemId: string, path: string, hunkIds: string[], accept: boolean): void;
  /** `path` null: every file of the change. */
  decideFile(itemId: string, path: string | null, accept: boolean): void;
  /** Asks the person for a reason, then rejects what is still pending in the edit `itemId`. */
  rejectWithReason(itemId: string): void;
  openDiff(itemId: string, path: string): void;
  openFile(path: string, line?: number): void;
  listSessions(): Promise<SessionSummary[]>;
  resumeSession(id: string): void;
  /** A fix offered by an error banner: set the key, open Tack's settings, pick a local server. */
  errorAction(action: ErrorAction): void;
  /** Deletes a past session of this workspace (not the open one). */
  deleteSession(id: string): Promise<void>;
  listModels(): Promise<string[]>;
  setModel(model: string): void;
  /** A message's "Restore checkpoint": files only, or files and the conversation from that message on. */
  restoreCheckpoint(checkpoint: string, index: number): void;
}

const describe = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export class ChatBridge {
  private deliver: ((m: HostMessage) => void) | undefined;
  private ready = false;
  private readonly outbox = new Outbox();

  /**
   * @param onBadMessage told about messages from the view that fail the protocol check (a bug on our
   *   side; the controller logs it). They are never acted on.
   */
  constructor(
    private readonly backend: ChatBackend,
    private readonly onBadMessage: (why: string) => void = () => {},
  ) {}

  /** A (new) page is loading in the view; messages wait until it says `ready`. */
  attach(deliver: (m: HostMessage) => void): void {
    this.deliver = deliver;
    this.ready = false;
  }

  /** The page was torn down (view hidden); messages wait until the reloaded page says `ready`. */
  pause(): void {
    this.ready = false;
  }

  /** The view is gone for good (disposed); messages wait for the next `attach`. */
  detach(): void {
    this.deliver = undefined;
    this.ready = false;
  }

  get isReady(): boolean {
    return this.ready;
  }

  post(message: HostMessage): void {
    if (this.deliver && this.ready) {
      this.outbox.note(message);
      this.deliver(message);
    } else {
      this.outbox.push(message);
    }
  }

  /** Handles one raw message from the view. */
  receive(raw: unknown): void {
    const parsed = parseViewMessage(raw);
    if (!parsed.ok) {
      this.onBadMessage(`ignored a message from the chat view: ${parsed.error}`);
      return;
    }
    try {
      this.dispatch(parsed.message);
    } catch (err) {
      // A backend call that throws must not leave the person without feedback.
      this.post({ type: 'error', message: describe(err), retry: false });
    }
  }

  private dispatch(m: ViewMessage): void {
    const b = this.backend;
    switch (m.type) {
      case 'ready':
        if (!this.deliver) return;
        this.ready = true;
        for (const queued of this.outbox.drain()) this.deliver(queued);
        return;
      case 'send':
        if (m.images !== undefined) return b.send(m.text, m.exclude ?? [], m.images);
        return m.exclude === undefined ? b.send(m.text) : b.send(m.text, m.exclude);
      case 'attachImage':
        return b.attachImage(m.name, m.data);
      case 'attachFiles':
        return b.attachFiles(m.uris);
      case 'setPermissions':
        return b.setPermissions();
      case 'codeAction':
        return b.codeAction(m.action, m.code);
      case 'stop':
        return b.stop();
      case 'newTask':
        return b.newTask();
      case 'retry':
        return b.retry();
      case 'decideApproval':
        return m.message === undefined
          ? b.decideApproval(m.requestId, m.decision)
          : b.decideApproval(m.requestId, m.decision, m.message);
      case 'decideHunks':
        return b.decideHunks(m.itemId, m.path, m.hunkIds, m.accept);
      case 'decideFile':
        return b.decideFile(m.itemId, m.path, m.accept);
      case 'openDiff':
        return b.openDiff(m.itemId, m.path);
      case 'rejectWithReason':
        return b.rejectWithReason(m.itemId);
      case 'openFile':
        return m.line === undefined ? b.openFile(m.path) : b.openFile(m.path, m.line);
      case 'resumeSession':
        return b.resumeSession(m.id);
      case 'setModel':
        return b.setModel(m.model);
      case 'restoreCheckpoint':
        return b.restoreCheckpoint(m.checkpoint, m.index);
      case 'listSessions':
        b.listSessions().then(
          (sessions) => this.post({ type: 'sessions', sessions }),
          (err: unknown) => {
            this.post({ type: 'sessions', sessions: [] });
            this.post({ type: 'error', message: `Could not list past sessions: ${describe(err)}`, retry: false });
          },
        );
        return;
      case 'errorAction':
        return b.errorAction(m.action);
      case 'deleteSession':
        b.deleteSession(m.id)
          .then(() => b.listSessions())
          .then(
            (sessions) => this.post({ type: 'sessions', sessions }),
            (err: unknown) => this.post({ type: 'error', message: `Could not delete that session: ${describe(err)}`, retry: false }),
          );
        return;
      case 'listModels':
        b.listModels().then(
          (models) => this.post({ type: 'models', models }),
          (err: unknown) => this.post({ type: 'error', message: `Could not list models: ${describe(err)}`, retry: false }),
        );
        return;
    }
  }
}
