// The sidebar chat view (`tack.chat`): serves the webview bundle with a strict CSP, relays the agent's
// UI events to it and turns the person's clicks into calls on the ChatBackend (the controller).
import * as vscode from 'vscode';
import type {
  ApprovalDecision,
  ApprovalRequest,
  ContextPreview,
  ImageAttachment,
  ErrorAction,
  HostMessage,
  HunkState,
  LandedLines,
  ThreadEvent,
} from '../../shared/chat-protocol';
import { ChatBridge, type ChatBackend } from './bridge';
import { webviewPage } from './html';

export type { ChatBackend } from './bridge';
export type { ApprovalDecision, ApprovalRequest, HunkState, SessionSummary, ThreadEvent } from '../../shared/chat-protocol';

/**
 * The page's CSP nonce. node:crypto is required here, not at the top: this module is in the bundle that
 * activation loads (src/vscode/extension.ts), and requiring node:crypto costs milliseconds there.
 */
function nonce(): string {
  const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
  return randomBytes(18).toString('base64');
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewId = 'tack.chat';

  private view: vscode.WebviewView | undefined;
  private readonly viewDisposables: vscode.Disposable[] = [];
  /** Reports of messages the view sent that made no sense (a bug on our side; logged by the controller). */
  private readonly badMessage = new vscode.EventEmitter<string>();
  readonly onBadMessage = this.badMessage.event;
  private readonly bridge: ChatBridge;

  constructor(
    private readonly extensionUri: vscode.Uri,
    backend: ChatBackend,
  ) {
    this.bridge = new ChatBridge(backend, (why) => this.badMessage.fire(why));
  }

  // -------------------------------------------------------------------------------------------
  // vscode.WebviewViewProvider

  resolveWebviewView(view: vscode.WebviewView): void {
    this.disposeView();
    this.view = view;
    this.bridge.attach((m) => void view.webview.postMessage(m));
    const root = vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
    // No retainContextWhenHidden: the webview saves its own state (vscode.setState) and messages for
    // a hidden view wait in the outbox, so a hidden chat costs no memory.
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [root] };
    const uri = (f: string): string => view.webview.asWebviewUri(vscode.Uri.joinPath(root, f)).toString();
    view.webview.html = webviewPage({
      cspSource: view.webview.cspSource,
      nonce: nonce(),
      scriptUri: uri('main.js'),
      styleUris: [uri('codicon.css'), uri('main.css')],
    });
    this.viewDisposables.push(
      view.webview.onDidReceiveMessage((raw: unknown) => this.bridge.receive(raw)),
      view.onDidChangeVisibility(() => {
        // Hidden: the page is torn down and messages wait; shown again, the page reloads and says `ready`.
        if (!view.visible) this.bridge.pause();
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.bridge.detach();
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

  /** `itemId`: the file_change item's id (ChangeProposal.itemId), the one the chat's decisions carry. */
  setHunkStates(itemId: string, path: string, states: Record<string, HunkState>, lines?: LandedLines): void {
    this.post({ type: 'hunkStates', itemId, path, states, ...(lines ? { lines } : {}) });
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

  showError(message: string, opts?: { retry?: boolean; actions?: ErrorAction[] }): void {
    this.post({ type: 'error', message, retry: opts?.retry ?? false, ...(opts?.actions?.length ? { actions: opts.actions } : {}) });
  }

  /** What the next message will carry and the permissions in force (the input's chips). */
  setContextPreview(context: ContextPreview): void {
    this.post({ type: 'context', context });
  }

  /** An image the person attached, prepared (its thumbnail) or refused (its reason). */
  postAttachment(attachment: ImageAttachment): void {
    this.post({ type: 'attachment', attachment });
  }

  /** The model request failed and is tried again after `delayMs`: the status line counts down. */
  showRetry(info: { attempt: number; maxAttempts: number; delayMs: number; reason: string }): void {
    this.post({ type: 'retrying', attempt: info.attempt, maxAttempts: info.maxAttempts, delayMs: info.delayMs, reason: info.reason });
  }

  /** Redraws a past session (messages from `replayMessages`), after `clear()`. */
  replay(messages: HostMessage[]): void {
    for (const m of messages) this.post(m);
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

  /**
   * Shows the chat without moving the keyboard focus (for approvals: what the person is typing must
   * not land in the chat). A view that was never opened stays closed (opening it would take the
   * focus); the controller asks in a notification then.
   */
  revealQuietly(): void {
    this.view?.show(true);
  }

  /** Shows the chat and puts the cursor in the input, optionally with text in it. */
  async focusInput(prefill?: string): Promise<void> {
    await this.reveal();
    this.post(prefill === undefined ? { type: 'focusInput' } : { type: 'focusInput', prefill });
  }

  /** Whether the webview is loaded and listening (for tests and diagnostics). */
  get isReady(): boolean {
    return this.bridge.isReady;
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
    this.bridge.post(message);
  }
}
