// The agent controller: one conversation at a time, driven by the shared runner (host/agent). It is
// the chat's backend (ChatBackend) and the runner's host (AgentHost): files come from the editor's
// buffers, edits are reviewed inline and written through WorkspaceEdit, approvals go to the chat
// (with a notification when the chat is not in view).
import { defaultCheckpointsDir } from '../host/agent/checkpoints';
import type { McpHub } from '../host/mcp';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ChangeProposal } from '../generated/types/ChangeProposal';
import type { ChangeReview } from '../generated/types/ChangeReview';
import type { EditorContext } from '../generated/types/EditorContext';
import type { FileChange } from '../generated/types/FileChange';
import type { ApprovalDecision } from '../generated/types/ApprovalDecision';
import type { ApprovalRequest } from '../generated/types/ApprovalRequest';
import type { ThreadEvent } from '../generated/types/ThreadEvent';
import type { ReplayEntry } from '../generated/types/ReplayEntry';
import { AgentSession, collectAgentsMd, type AgentHost, type ApprovalAnswer, type RememberedApproval } from '../host/agent';
import { approvalSummary, canRememberApproval, rememberText } from '../shared/approval-text';
import { discoverLocalServers, fetchModelLimits, listModels, outputCapFor, PROVIDERS, resolveVision, type LocalServer, type ModelEndpoint, type ModelLimits } from '../host/model';
import { loadCore } from '../host/core';
import { touchedPaths } from '../host/patch/atomic-write';
import { SessionStore } from '../host/sessions';
import type { SidecarClient } from '../host/sidecar';
import type { ChatBackend, ChatViewProvider, SessionSummary } from './chat/chat-view-provider';
import { readWorkspaceFiles, workspaceRoot, type FileMap } from './buffers';
import type { FileOutcome, InlineDiffManager } from './inline-diff/manager';
import { reviewFilesOf } from './review-patch';
import { replayMessages } from './transcript';
import { restoreFromChat } from './chat-restore';
import { planFileRewind } from '../host/agent/rewind';
import { adviseModelError, isLoopback } from './error-advice';
import type { ContextPart, ErrorAction } from '../shared/chat-protocol';
import { contextPreview, withoutParts } from './context-chips';
import { ImageAttachments } from './attachments';
import type { ApiKeyStore } from './secrets';
import { isHostedOpenAi, readSettings } from './settings';
import { writeGuard } from './write-guard';
import { severityName } from './task-prompts';
import { reveal } from '../shared/display';
import { resolveLinkTarget } from './link-target';
import { isTrusted, requireTrust, RESTRICTED_MESSAGE } from './trust';


export interface ControllerDeps {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  keys: ApiKeyStore;
  inlineDiff: InlineDiffManager;
  sidecar: () => SidecarClient;
  chat: () => ChatViewProvider;
  /** The workspace's MCP servers (undefined when none are configured). */
  mcp?: () => McpHub | undefined;
  /** Every thread event the session shows (the Changes view lists decided edits from them). */
  onThreadEvent?: (event: ThreadEvent, message?: number) => void;
  /**
   * A checkpoint's files were restored from the chat (the Changes view compares again): `paths` were
   * put back as before typed message `fromMessage`.
   */
  onFilesRestored?: (paths: string[], fromMessage: number) => void;
}

export class AgentController implements ChatBackend, AgentHost {
  private session: AgentSession | undefined;
  private turn: Promise<unknown> | undefined;
  private lastText: { text: string; editorContext?: EditorContext; images?: string[] } | undefined;
  private attachments: ImageAttachments | undefined;
  private readonly approvals = new Map<string, { resolve: (d: ApprovalDecision, message?: string) => void }>();
  private store: SessionStore | undefined;
  /** Settings changed since the session was made: the next turn reopens it with the new ones. */
  private settingsChanged = false;
  private resumeId: string | undefined;

  constructor(private readonly deps: ControllerDeps) {
    deps.inlineDiff.onDidChangeStates(({ reviewId, path: p, states, lines }) => deps.chat().setHunkStates(reviewId, p, states, lines));
    deps.context.subscriptions.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('tack')) return;
        this.settingsChanged = true;
        deps.log.info('settings changed: the next turn uses them');
        deps.chat().setModel(readSettings().model);
      }),
    );
  }

  get busy(): boolean {
    return this.turn !== undefined;
  }

  private root(): vscode.Uri {
    return workspaceRoot();
  }

  private sessions(): SessionStore {
    this.store ??= new SessionStore({
      dir: path.join(this.deps.context.globalStorageUri.fsPath, 'sessions'),
      onWarning: (m) => this.deps.log.warn(m),
    });
    return this.store;
  }

  // ---------------------------------------------------------------------------------------------
  // Starting work

  /**
   * Starts a turn from a palette task. `label`: what the chat shows as the person's message (a short
   * name for the task); the model gets `text`.
   */
  async startTask(text: string, editorContext?: EditorContext, label?: string): Promise<void> {
    const chat = this.deps.chat();
    await chat.reveal();
    requireTrust();
    if (this.busy) {
      void vscode.window.showWarningMessage('Tack is still working on the current task. Stop it first, or wait for it to finish.');
      return;
    }
    chat.postUserMessage(label ?? text);
    this.run(text, editorContext);
  }

  /** The images pasted or dropped for the next message (a new file: attachments.ts). */
  private images(): ImageAttachments {
    return (this.attachments ??= new ImageAttachments(this.deps.sidecar, (a) => this.deps.chat().postAttachment(a)));
  }

  attachImage(name: string, data: string): void {
    if (!isTrusted()) return this.deps.chat().postAttachment({ id: 'restricted', name, error: RESTRICTED_MESSAGE });
    void this.images().attachBytes(name, data);
  }

  attachFiles(uris: string[]): void {
    if (!isTrusted()) return this.deps.chat().postAttachment({ id: 'restricted', name: 'files', error: RESTRICTED_MESSAGE });
    void this.images().attachFiles(uris);
  }

  send(text: string, exclude: ContextPart[] = [], imageIds: string[] = []): void {
    if (!isTrusted()) {
      this.deps.chat().showError(RESTRICTED_MESSAGE);
      return;
    }
    if (this.busy) {
      this.deps.chat().showError('Tack is still working; stop the current turn first.');
      return;
    }
    const images = imageIds.length > 0 ? this.images().take(imageIds) : [];
    this.run(text, withoutParts(currentEditorContext(), exclude), images);
  }

  /** A code block's Copy (clipboard) or Insert (replaces the selections of the last text editor). */
  codeAction(action: 'copy' | 'insert', code: string): void {
    if (action === 'copy') {
      void vscode.env.clipboard.writeText(code);
      return;
    }
    const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
    if (!editor) {
      this.deps.chat().showError('Open a file to insert the code into, then choose Insert again.');
      return;
    }
    void editor.edit((b) => editor.selections.forEach((sel) => b.replace(sel, code)));
  }

  setPermissions(): void {
    void vscode.commands.executeCommand('tack.setApprovalPolicy');
  }

  /** Tells the chat what the next message would carry (its chips), now and as the editor changes. */
  publishContext(): void {
    const s = readSettings();
    this.deps.chat().setContextPreview(contextPreview(currentEditorContext(), s.approvalPolicy, s.sandboxMode));
  }

  private run(text: string, editorContext?: EditorContext, images: string[] = []): void {
    this.lastText = { text, editorContext, images };
    const chat = this.deps.chat();
    chat.setBusy(true);
    void vscode.commands.executeCommand('setContext', 'tack.busy', true);
    this.turn = this.runTurn(text, editorContext, images)
      .catch((e: unknown) => {
        const msg = e instanceof Error ? e.message : String(e);
        this.deps.log.error(`turn failed: ${msg}`);
        chat.showError(msg, { retry: true });
      })
      .finally(() => {
        this.turn = undefined;
        chat.setBusy(false);
        void vscode.commands.executeCommand('setContext', 'tack.busy', false);
      });
  }

  private async runTurn(text: string, editorContext?: EditorContext, images: string[] = []): Promise<void> {
    requireTrust();
    const key = await this.deps.keys.ensureUsable();
    if (key) this.sessions().addSecret(key);
    if (key === undefined) {
      throw new Error('Tack has no API key and no local server. Run "Tack: Set API Key", or set tack.baseUrl to a local OpenAI-compatible server.');
    }
    const s = readSettings();
    if (s.providerProblem) throw new Error(`Tack cannot reach the model: ${s.providerProblem}.`);
    const endpoint: ModelEndpoint = { baseUrl: s.baseUrl, wire: s.wireApi, auth: s.provider.auth, ...(key ? { apiKey: key } : {}) };
    if (this.session && this.settingsChanged) {
      // Same conversation, new settings (model, policy, ...): reopen it from its session file.
      const old = this.session;
      this.session = undefined;
      await old.dispose();
      this.resumeId = old.id;
    }
    this.settingsChanged = false;
    if (!this.session) {
      const cwd = this.root().fsPath;
      const limits = await this.limitsFor(endpoint, s.model, s.provider.id);
      const contextWindow = s.contextWindow ?? limits.contextWindow;
      const maxOutputTokens = s.maxOutputTokens ?? outputCapFor(limits);
      const vision = resolveVision(s.model, s.modelVision, limits.vision);
      this.session = await AgentSession.create({
        host: this,
        sidecar: this.deps.sidecar(),
        endpoint,
        config: {
          model: s.model,
          wire: s.wireApi,
          reasoningEffort: s.reasoningEffort,
          approvalPolicy: s.approvalPolicy,
          sandboxMode: s.sandboxMode,
          ...(contextWindow ? { contextWindow } : {}),
          ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
          ...(vision ? {} : { vision: false }),
          ...(s.webSearch ? { webSearch: true } : {}),
          cwd,
          writableRoots: [cwd],
          network: false,
          // The CLI's collector: the repository root down to the workspace folder, each file read
          // through the confined reader (no symlink out, no FIFO), within the size caps.
          agentsMd: collectAgentsMd(cwd, (file, reason) => this.deps.log.warn(`${file} is not used: ${reason}`)),
        },
        store: this.sessions(),
        mcp: this.deps.mcp?.(),
        ...(s.checkpoints.enabled ? { checkpoints: { storeDir: defaultCheckpointsDir(), maxStoreBytes: s.checkpoints.maxStoreBytes } } : {}),
        imageDetail: s.imageDetail,
        prepareSandbox: 'start',
        log: (line) => this.deps.log.debug(line),
        onRetry: (info) => {
          this.deps.log.warn(`model request retried: ${JSON.stringify(info)}`);
          this.deps.chat().showRetry(info);
        },
        onSaveFailed: (message) => {
          this.deps.log.warn(message);
          void vscode.window.showWarningMessage(`Tack could not save this conversation: ${message}`);
        },
        ...(this.resumeId ? { resumeId: this.resumeId } : {}),
      });
      this.deps.log.info(`session ${this.session.id} ${this.resumeId ? 'reopened' : 'started'} (model ${s.model}, ${s.wireApi} at ${s.baseUrl})`);
      this.resumeId = undefined;
    }
    const result = await this.session.submit(text, editorContext, images);
    this.deps.log.info(`turn ended: ${result.status}${result.error ? ` (${result.error})` : ''}`);
    if (result.status === 'failed') {
      // In plain words, with the fix the banner offers (set the key, start a local server...).
      const { baseUrl, provider } = readSettings();
      const advice = adviseModelError(this.session.lastModelErrorKind, result.error ?? '', { baseUrl, provider: provider.label, local: !provider.needsKey || isLoopback(baseUrl) });
      this.deps.chat().showError(advice.message, { retry: advice.retry, actions: advice.actions });
    }
  }

  stop(): void {
    if (!this.session || !this.busy) return;
    this.deps.log.info('stop requested');
    // Pending questions are answered so nothing waits on a card nobody will click.
    for (const [id, a] of this.approvals) {
      a.resolve('abort');
      this.approvals.delete(id);
    }
    this.session.interrupt();
  }

  newTask(): void {
    this.stop();
    void this.session?.dispose();
    this.session = undefined;
    this.resumeId = undefined;
    this.lastText = undefined;
    this.deps.chat().clear();
    void this.deps.chat().focusInput();
  }

  retry(): void {
    if (!this.lastText || this.busy) return;
    if (!isTrusted()) {
      this.deps.chat().showError(RESTRICTED_MESSAGE);
      return;
    }
    this.run(this.lastText.text, this.lastText.editorContext, this.lastText.images);
  }

  async waitForTurn(): Promise<void> {
    await this.turn;
  }

  // ---------------------------------------------------------------------------------------------
  // Chat actions

  /** The approvals given "for this session" in the current session (none without one). */
  rememberedApprovals(): RememberedApproval[] {
    return this.session?.rememberedApprovals() ?? [];
  }

  /** Withdraws approvals given for the session: the commands they covered ask again. */
  revokeApprovals(ids: readonly string[]): void {
    for (const id of ids) this.session?.revokeApproval(id);
    if (ids.length > 0) this.deps.log.info(`revoked ${ids.length} session approval(s)`);
  }

  decideApproval(requestId: string, decision: ApprovalDecision, message?: string): void {
    const pending = this.approvals.get(requestId);
    if (!pending) return;
    this.approvals.delete(requestId);
    pending.resolve(decision, message);
  }

  decideHunks(itemId: string, p: string, hunkIds: string[], accept: boolean): void {
    void this.deps.inlineDiff.decideByPath(itemId, p, hunkIds, accept);
  }

  decideFile(itemId: string, p: string | null, accept: boolean): void {
    void this.deps.inlineDiff.decideByPath(itemId, p, undefined, accept);
  }

  rejectWithReason(itemId: string): void {
    void vscode.commands.executeCommand('tack.rejectWithReason', { reviewId: itemId });
  }

  openDiff(_itemId: string, p: string): void {
    void this.deps.inlineDiff.showDiff(vscode.Uri.joinPath(this.root(), p));
  }

  /** Opens a file a link or card in the chat names: only inside the workspace folders (link-target.ts). */
  openFile(p: string, line?: number): void {
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    const target = resolveLinkTarget(p, roots);
    if (!target.ok) {
      const msg = `Tack did not open "${reveal(p, { singleLine: true })}": ${target.reason}. Links open only files inside the workspace folders.`;
      this.deps.log.warn(msg);
      this.deps.chat().showError(msg);
      return;
    }
    const uri = vscode.Uri.file(target.path);
    const pos = new vscode.Position(Math.max((line ?? 1) - 1, 0), 0);
    void vscode.window.showTextDocument(uri, { selection: new vscode.Range(pos, pos), preview: false });
  }

  async listSessions(): Promise<SessionSummary[]> {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const all = await this.sessions().list();
    // This workspace's sessions: resuming one from another folder would run commands in the wrong place.
    return all
      .filter((x) => !root || x.cwd === root)
      .map((x) => ({ id: x.id, title: x.title, updatedAt: Date.parse(x.updatedAt) || 0, model: x.model }));
  }

  errorAction(action: ErrorAction): void {
    if (action === 'setKey') void vscode.commands.executeCommand('tack.setApiKey');
    else if (action === 'useLocalServer') void vscode.commands.executeCommand('tack.selectModel');
    else void vscode.commands.executeCommand('workbench.action.openSettings', '@ext:tack-dev.tack');
  }

  async deleteSession(id: string): Promise<void> {
    // Only a session the list offers (this workspace's), and never the one in use.
    if (!(await this.listSessions()).some((x) => x.id === id)) throw new Error('it is not a session of this workspace');
    if (this.session?.id === id || this.resumeId === id) throw new Error('it is the open session; start a new task first');
    await this.sessions().delete(id);
  }

  resumeSession(id: string): void {
    if (this.busy) {
      this.deps.chat().showError('Stop the running turn before opening another session.');
      return;
    }
    this.session = undefined;
    this.resumeId = id;
    const chat = this.deps.chat();
    chat.clear();
    void this.sessions()
      .read(id)
      .then((records) => chat.replay(replayMessages(loadCore().replaySession(records) as ReplayEntry[])))
      .catch((e: unknown) => chat.showError(`Could not open that session: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** A message's "Restore checkpoint" (chat-restore.ts): files only, or files and the conversation. */
  restoreCheckpoint(checkpoint: string, index: number): void {
    const chat = this.deps.chat();
    if (!isTrusted()) {
      chat.showError(RESTRICTED_MESSAGE);
      return;
    }
    if (this.busy) {
      chat.showError('Stop the running turn before restoring a checkpoint.');
      return;
    }
    void restoreFromChat({
      sidecar: this.deps.sidecar(),
      root: this.root().fsPath,
      checkpoint,
      index,
      rewind: async (i) => {
        if (this.busy) throw new Error('a turn is running; stop it first');
        this.lastText = undefined;
        if (this.session) return this.session.rewindConversation(i);
        // A reopened session not continued yet: its file is rewound; the next turn reads it.
        if (!this.resumeId) throw new Error('this conversation has no session file');
        const plan = await planFileRewind(this.sessions(), this.resumeId, checkpoint);
        await plan.commit();
        return plan.text;
      },
      post: (m) => chat.replay([m]),
      // The notice goes into the session file too, so reopening the session shows it again.
      record: async (text) => {
        try {
          if (this.session) await this.session.recordFilesRestored(checkpoint, text);
          else if (this.resumeId) await this.sessions().append(this.resumeId, { type: 'filesRestored', checkpoint, text });
        } catch (e) {
          this.deps.log.warn(`could not record the restore in the session file: ${e instanceof Error ? e.message : String(e)}`);
        }
      },
      focusInput: (text) => chat.focusInput(text),
    })
      .then((paths) => {
        if (paths) this.deps.onFilesRestored?.(paths, index);
      })
      .catch((e: unknown) => chat.showError(`Could not restore the checkpoint: ${e instanceof Error ? e.message : String(e)}`));
  }

  private readonly limitsCache = new Map<string, ModelLimits>();

  /** What a local or third-party server says about the model's limits (asked once per server and model). */
  private async limitsFor(endpoint: ModelEndpoint, model: string, provider: string): Promise<ModelLimits> {
    // OpenAI and Azure say nothing about limits at these routes; every other server may.
    if (provider === 'azure' || isHostedOpenAi(endpoint.baseUrl)) return {};
    const cacheKey = `${endpoint.baseUrl}\n${model}`;
    const known = this.limitsCache.get(cacheKey);
    if (known) return known;
    const limits = await fetchModelLimits(endpoint, model);
    this.deps.log.debug(`model limits for ${model} at ${endpoint.baseUrl}: ${JSON.stringify(limits)}`);
    this.limitsCache.set(cacheKey, limits);
    return limits;
  }

  /** Local servers answering on their default ports (127.0.0.1), other than the configured one. */
  async discoverLocalServers(): Promise<LocalServer[]> {
    const s = readSettings();
    const found = await discoverLocalServers();
    this.deps.log.debug(`local servers found: ${found.map((f) => `${f.provider} (${f.models.length} models)`).join(', ') || 'none'}`);
    return found.filter((f) => f.baseUrl !== s.baseUrl);
  }

  /** Switches to a local server found by discovery: its provider (user settings) and one of its models. */
  async useLocalServer(server: LocalServer, model: string): Promise<void> {
    const cfg = vscode.workspace.getConfiguration('tack');
    await cfg.update('provider', server.provider, vscode.ConfigurationTarget.Global);
    // The preset's address and wire apply: clear the person's own values, which would win over them.
    await cfg.update('baseUrl', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('wireApi', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('model', model, vscode.ConfigurationTarget.Global);
    this.deps.log.info(`using ${PROVIDERS[server.provider].label} at ${server.baseUrl}, model ${model}`);
  }

  async listModels(): Promise<string[]> {
    const s = readSettings();
    const key = await this.deps.keys.get();
    try {
      return await listModels({ baseUrl: s.baseUrl, auth: s.provider.auth, ...(key ? { apiKey: key } : {}) });
    } catch (e) {
      this.deps.log.warn(`listing models failed: ${e instanceof Error ? e.message : String(e)}`);
      return [s.model];
    }
  }

  setModel(model: string): void {
    // Remembered in the settings; the change listener takes it to the chat and the next turn.
    void vscode.workspace.getConfiguration('tack').update('model', model, vscode.ConfigurationTarget.Global);
  }

  // ---------------------------------------------------------------------------------------------
  // AgentHost

  async readFiles(paths: string[]): Promise<FileMap> {
    return readWorkspaceFiles(this.root(), paths);
  }

  async reviewChanges(proposal: ChangeProposal, signal: AbortSignal): Promise<ChangeReview> {
    requireTrust();
    const files = reviewFilesOf(this.root(), proposal.files.map((f) => f.change));
    // A stopped turn takes its pending proposal away: nothing more of it is written.
    // Reviews are keyed by the file_change item id: the id the chat's cards and decisions carry.
    const onAbort = () => this.deps.inlineDiff.cancel(proposal.itemId);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const guard = writeGuard(this.deps.sidecar, this.root(), readSettings().sandboxMode);
      const outcomes = await this.deps.inlineDiff.review(proposal.itemId, files, guard);
      const reason = this.deps.inlineDiff.takeReason(proposal.itemId);
      return { files: outcomes.map(toFileReview), ...(reason ? { reason } : {}) };
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  async applyChanges(changes: FileChange[]): Promise<void> {
    requireTrust();
    const root = this.root();
    // The same policy as every host write, checked race-free by the sidecar; a refusal throws and
    // becomes the apply_patch output.
    const { writes, deletes } = touchedPaths(changes);
    await writeGuard(this.deps.sidecar, root, readSettings().sandboxMode)(writes, deletes);
    const edit = new vscode.WorkspaceEdit();
    const enc = new TextEncoder();
    for (const c of changes) {
      const uri = vscode.Uri.joinPath(root, c.path);
      if (c.kind === 'delete') edit.deleteFile(uri, { ignoreIfNotExists: true });
      else if (c.kind === 'add') edit.createFile(uri, { overwrite: true, contents: enc.encode(c.newContents ?? '') });
      else {
        const target = c.movePath ? vscode.Uri.joinPath(root, c.movePath) : uri;
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        if (doc && !c.movePath) {
          edit.replace(uri, new vscode.Range(0, 0, doc.lineCount, 0), c.newContents ?? '');
        } else {
          edit.createFile(target, { overwrite: true, contents: enc.encode(c.newContents ?? '') });
          if (c.movePath) edit.deleteFile(uri, { ignoreIfNotExists: true });
        }
      }
    }
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error('VS Code refused the edit');
    // Saved, as the policy asked for edits without review; still undoable in the editor.
    await Promise.all(
      changes.map(async (c) => {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === vscode.Uri.joinPath(root, c.path).toString());
        if (doc?.isDirty) await doc.save();
      }),
    );
  }

  requestApproval(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> {
    const chat = this.deps.chat();
    return new Promise<ApprovalAnswer>((resolve) => {
      const onAbort = () => this.decideApproval(req.requestId, 'abort');
      signal.addEventListener('abort', onAbort, { once: true });
      this.approvals.set(req.requestId, {
        resolve: (d, message) => {
          signal.removeEventListener('abort', onAbort);
          chat.resolveApproval(req.requestId, d);
          resolve({ decision: d, ...(message ? { message } : {}) });
        },
      });
      chat.showApproval(req.requestId, req);
      const wasReady = chat.isReady;
      chat.revealQuietly();
      if (!wasReady) {
        // The chat was not showing: ask in a notification too; whichever answers first wins. It says
        // what the card says: the argv, where, how sandboxed, and what "for session" remembers.
        const yes = 'Approve';
        const session = 'Approve for Session';
        const no = 'Deny';
        const buttons = canRememberApproval(req) ? [yes, session, no] : [yes, no];
        const remembered = canRememberApproval(req) ? ` "${session}" ${rememberText(req.remember)}.` : '';
        void vscode.window
          .showWarningMessage(`Tack wants to run: ${reveal(approvalSummary(req), { singleLine: true })}.${reveal(remembered, { singleLine: true })}`, ...buttons)
          .then((pick) => {
            if (!pick || !this.approvals.has(req.requestId)) return;
            this.decideApproval(req.requestId, pick === yes ? 'approved' : pick === session ? 'approvedForSession' : 'denied');
          });
      }
    });
  }

  emit(event: ThreadEvent): void {
    const chat = this.deps.chat();
    chat.postEvent(event);
    // The running turn's message offers "Restore checkpoint", under the number the core gives its
    // entry (a Retry's is the message it sent again, as in the replay).
    const entry = event.type === 'checkpoint.created' ? this.session?.lastMessageEntry() : undefined;
    if (event.type === 'checkpoint.created' && entry !== undefined) chat.replay([{ type: 'userCheckpoint', index: entry, checkpoint: event.id }]);
    // A decided edit goes to the Changes view with the number of the typed message whose turn made
    // it (the core's numbering; asked only then, so a trapped core is never asked mid-failure).
    const running = event.type === 'item.completed' && event.item.type === 'file_change' ? (this.session?.typedMessages() ?? 0) : 0;
    this.deps.onThreadEvent?.(event, running > 0 ? running - 1 : undefined);
  }
}


function toFileReview(o: FileOutcome): ChangeReview['files'][number] {
  const landed = o.landed !== undefined ? { landed: o.landed } : {};
  if (o.error && o.acceptedHunkIds.length === 0) return { path: o.path, outcome: 'failed', message: o.error };
  if (o.rejectedHunkIds.length === 0 && o.acceptedHunkIds.length > 0) return { path: o.path, outcome: 'accepted', ...landed };
  // Nothing of the model's hunks, yet the file changed: the person's own version of the proposal landed.
  if (o.acceptedHunkIds.length === 0) return o.landed !== undefined ? { path: o.path, outcome: 'partial', acceptedHunkIds: [], ...landed } : { path: o.path, outcome: 'rejected' };
  return { path: o.path, outcome: 'partial', acceptedHunkIds: o.acceptedHunkIds, ...landed };
}

/** The open file, its selection and its diagnostics, as the model should see them. */
export function currentEditorContext(opts: { withDiagnostics?: boolean } = {}): EditorContext | undefined {
  const editor = vscode.window.activeTextEditor;
  const rel = (u: vscode.Uri) => vscode.workspace.asRelativePath(u, false);
  const openFiles = vscode.window.visibleTextEditors.filter((e) => e.document.uri.scheme === 'file').map((e) => rel(e.document.uri));
  if (!editor || editor.document.uri.scheme !== 'file') return openFiles.length ? { diagnostics: [], openFiles } : undefined;
  const doc = editor.document;
  const file = rel(doc.uri);
  const sel = editor.selection;
  return {
    activeFile: file,
    ...(sel.isEmpty ? {} : { selection: { path: file, startLine: sel.start.line + 1, endLine: sel.end.line + 1, text: doc.getText(sel) } }),
    diagnostics: opts.withDiagnostics
      ? vscode.languages.getDiagnostics(doc.uri).map((d) => ({
          path: file,
          line: d.range.start.line + 1,
          severity: severityName(d.severity),
          message: d.message,
        }))
      : [],
    openFiles,
  };
}
