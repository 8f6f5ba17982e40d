// The sidebar chat view (`tack.chat`): serves the webview bundle with a strict CSP, relays the agent's
// UI events to it and turns the person's clicks into calls on the ChatBackend (the controller).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import {
  parseViewMessage,
  type ApprovalDecision,
  type ApprovalRequest,
  type HostMessage,
  type HunkState,
  type SessionSummary,
  type ThreadEvent,
  type ViewMessage,
} from '../../shared/chat-protocol';
import { webviewPage } from './html';
import { Outbox } from './outbox';

export type { ApprovalDecision, ApprovalRequest, HunkState, SessionSummary, ThreadEvent } from '../../shared/chat-protocol';

/** What the chat asks of the extension. Implemented by the agent controller. */
export interface ChatBackend {
  /** A user message. The view only sends while no turn runs (input stays editable; Stop is shown instead). */
  send(text: string): void;
  stop(): void;
  /** The person asked for a fresh conversation; the controller resets and calls `clear()`. */
  newTask(): void;
  /** Retry after an error banner (re-run the last user message). */
  retry(): void;
  /** `message`: only with `denied`, what the person wants the model told instead. */
  decideApproval(requestId: string, decision: ApprovalDecision, message?: string): void;
  decideHunks(callId: string, path: string, hunkIds: string[], accept: boolean): void;
  /** `path` null: every file of the change. */
  decideFile(callId: string, path: string | null, accept: boolean): void;
  openDiff(callId: string, path: string): void;
  openFile(path: string, line?: number): void;
  listSessions(): Promise<SessionSummary[]>;
  resumeSession(id: string): void;
  listModels(): Promise<string[]>;
  setModel(model: string): void;
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'tack.chat';

  private view: vscode.WebviewView | undefined;
  /** True between the webview's `ready` and its next teardown. */
  private ready = false;
  private readonly outbox = new Outbox();
  private readonly viewDisposables: vscode.Disposable[] = [];
  /** Reports of messages the view sent that made no sense (a bug on our side; logged by the controller). */
  private readonly badMessage = new vscode.EventEmitter<string>();
  readonly onBadMessage = this.badMessage.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly backend: ChatBackend,
  ) {}

  // -------------------------------------------------------------------------------------------
  // vscode.WebviewViewProvider

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.ready = false;
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    // No retainContextWhenHidden: the webview saves its own state (vscode.setState) and messages for
    // a hidden view wait in the outbox, so a hidden chat costs no memory.
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [root] };
    const uri = (f: string): string => view.webview.asWebviewUri(vscode.Uri.joinPath(root, f)).toString();
    view.webview.html = webviewPage({
      cspSource: view.webview.cspSource,
      nonce: randomBytes(18).toString('base64'),
      scriptUri: uri('main.js'),
      styleUris: [uri('codicon.css'), uri('main.css')],
    });
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      view.onDidChangeVisibility(() => {
        // Hidden: the page is torn down; it says `ready` again when it is back.
        if (!view.visible) this.ready = false;
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.ready = false;
          this.disposeView();
        }
      }),
    );
  }

  // -------------------------------------------------------------------------------------------
  // The controller's API

  /** An agent UI event. Buffered until the view is ready. */
  postEvent(event: ThreadEvent): void {
    this.post({ type: 'event', event });
  }

  /** Replays a user message (e.g. when resuming a session); live sends are shown by the view itself. */
  postUserMessage(text: string): void {
    this.post({ type: 'userMessage', text });
  }

  showApproval(requestId: string, request: ApprovalRequest): void {
    this.post({ type: 'approval', requestId, request });
  }

  /** The approval was answered elsewhere (notification fallback, Stop): the card shows the outcome. */
  resolveApproval(requestId: string, decision: ApprovalDecision): void {
    this.post({ type: 'approvalResolved', requestId, decision });
  }

  setHunkStates(callId: string, path: string, states: Record<string, HunkState>): void {
    this.post({ type: 'hunkStates', callId, path, states });
  }

  setBusy(busy: boolean): void {
    this.post({ type: 'busy', busy });
  }

  setModel(model: string): void {
    this.post({ type: 'model', model });
  }

  setModels(models: string[]): void {
    this.post({ type: 'models', models });
  }

  setContextUsage(used: number, window: number): void {
    this.post({ type: 'contextUsage', used, window });
  }

  showError(message: string, opts?: { retry?: boolean }): void {
    this.post({ type: 'error', message, retry: opts?.retry ?? false });
  }

  /** Empties the transcript (new task, or before replaying a resumed session). */
  clear(): void {
    this.post({ type: 'clear' });
  }

  /** Shows the chat (opening the Tack container if needed). */
  async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${ChatViewProvider.viewId}.focus`);
  }

  /** Shows the chat and puts the cursor in the input, optionally with text in it. */
  async focusInput(prefill?: string): Promise<void> {
    await this.reveal();
    this.post(prefill === undefined ? { type: 'focusInput' } : { type: 'focusInput', prefill });
  }

  /** Whether the webview is loaded and listening (for tests and diagnostics). */
  get isReady(): boolean {
    return this.ready;
  }

  dispose(): void {
    this.disposeView();
    this.badMessage.dispose();
  }

  // -------------------------------------------------------------------------------------------

  private disposeView(): void {
    for (const d of this.viewDisposables.splice(0)) d.dispose();
  }

  private post(message: HostMessage): void {
    if (this.view && this.ready) {
      this.outbox.note(message);
      void this.view.webview.postMessage(message);
    } else {
      this.outbox.push(message);
    }
  }

  private flush(): void {
    if (!this.view) return;
    for (const m of this.outbox.drain()) void this.view.webview.postMessage(m);
  }

  private onMessage(raw: unknown): void {
    const parsed = parseViewMessage(raw);
    if (!parsed.ok) {
      this.badMessage.fire(`ignored a message from the chat view: ${parsed.error}`);
      return;
    }
    try {
      this.dispatch(parsed.message);
    } catch (err) {
      this.showError(`Tack: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private dispatch(m: ViewMessage): void {
    const b = this.backend;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.flush();
        return;
      case 'send':
        return b.send(m.text);
      case 'stop':
        return b.stop();
      case 'newTask':
        return b.newTask();
      case 'retry':
        return b.retry();
      case 'decideApproval':
        return b.decideApproval(m.requestId, m.decision, m.message);
      case 'decideHunks':
        return b.decideHunks(m.callId, m.path, m.hunkIds, m.accept);
      case 'decideFile':
        return b.decideFile(m.callId, m.path, m.accept);
      case 'openDiff':
        return b.openDiff(m.callId, m.path);
      case 'openFile':
        return b.openFile(m.path, m.line);
      case 'resumeSession':
        return b.resumeSession(m.id);
      case 'setModel':
        return b.setModel(m.model);
      case 'listSessions':
        b.listSessions().then(
          (sessions) => this.post({ type: 'sessions', sessions }),
          (err: unknown) => {
            this.post({ type: 'sessions', sessions: [] });
            this.showError(`Could not list past sessions: ${err instanceof Error ? err.message : String(err)}`);
          },
        );
        return;
      case 'listModels':
        b.listModels().then(
          (models) => this.post({ type: 'models', models }),
          (err: unknown) => this.showError(`Could not list models: ${err instanceof Error ? err.message : String(err)}`),
        );
        return;
    }
  }
}
