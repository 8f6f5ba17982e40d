// The extension's long-lived parts: the heavy chunk (dist/chunks/extension-main.js), which
// extension.ts loads on the first command or when the chat is shown, and nothing else imports at run
// time. The output channel and the chat view are activation's (extension.ts) and are passed in.
// Construction is cheap: the wasm core loads on the first diff or turn, and the sidecar process starts
// on the first command Tack runs.
import * as vscode from 'vscode';
import { SidecarClient, findSidecar } from '../host/sidecar';
import type { ChatViewProvider } from './chat/chat-view-provider';
import { ChangesView } from './changes/changes-view';
import { CheckpointChanges } from './changes/checkpoint-source';
import { AgentController } from './controller';
import { coreDiffEngine } from './inline-diff/engine';
import { InlineDiffManager } from './inline-diff/manager';
import { ApiKeyStore } from './secrets';
import { noteIgnoredWorkspaceSettings, readSettings, setSettingsLog } from './settings';
import { requireTrust } from './trust';
import { McpManager } from './mcp';
import { commandHandlers, type CommandHandler } from './commands';
import type { CommandId } from './command-ids';

export class TackServices implements vscode.Disposable {
  readonly keys: ApiKeyStore;
  readonly inlineDiff: InlineDiffManager;
  readonly controller: AgentController;
  readonly mcp: McpManager;
  /** The Changes view; `changes.addSource` is the seam for files changed by commands (checkpoints). */
  readonly changes: ChangesView;
  /** Files changed since the session's first checkpoint (commands' too), a source of the Changes view. */
  readonly commandChanges: CheckpointChanges;
  /** The commands' handlers (command-ids.ts), called by the registrations activation made. */
  readonly commands: Record<CommandId, CommandHandler>;
  private sidecarClient: SidecarClient | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
    /** The chat view, registered at activation; its messages reach `controller` once this is built. */
    readonly chat: ChatViewProvider,
  ) {
    setSettingsLog((m) => this.log.warn(m));
    this.keys = new ApiKeyStore(context.secrets);
    this.inlineDiff = new InlineDiffManager(() => coreDiffEngine(), this.log, vscode.Uri.joinPath(context.extensionUri, 'media'));
    this.mcp = new McpManager(context, () => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, this.log);
    this.changes = new ChangesView(this.inlineDiff, () => vscode.workspace.workspaceFolders?.[0]?.uri);
    this.commandChanges = new CheckpointChanges(() => this.sidecar(), () => vscode.workspace.workspaceFolders?.[0]?.uri, (l) => this.log.warn(l), (p) => this.changes.restored([p]));
    this.controller = new AgentController({
      context,
      log: this.log,
      keys: this.keys,
      inlineDiff: this.inlineDiff,
      sidecar: () => this.sidecar(),
      chat: () => this.chat,
      mcp: () => this.mcp.hub(),
      onThreadEvent: (e, message) => {
        this.changes.note(e, message);
        this.commandChanges.note(e);
      },
      onFilesRestored: (paths, fromMessage) => {
        this.changes.restored(paths, fromMessage);
        void this.commandChanges.refresh();
      },
    });
    this.disposables.push(
      this.inlineDiff,
      this.changes,
      this.commandChanges,
      this.changes.addSource(this.commandChanges),
    );
    this.chat.setModel(readSettings().model);
    void noteIgnoredWorkspaceSettings();
    this.disposables.push(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('tack') && void noteIgnoredWorkspaceSettings()));
    // The input's chips follow the editor: what the next message would carry, and the permissions.
    let chipsTimer: ReturnType<typeof setTimeout> | undefined;
    const chips = () => {
      if (chipsTimer) clearTimeout(chipsTimer);
      chipsTimer = setTimeout(() => this.controller.publishContext(), 150);
    };
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(chips),
      vscode.window.onDidChangeTextEditorSelection(chips),
      vscode.window.onDidChangeVisibleTextEditors(chips),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration('tack') && chips()),
      { dispose: () => chipsTimer && clearTimeout(chipsTimer) },
    );
    chips();
    this.commands = commandHandlers(this);
  }

  /** The sidecar client, created on first use; it respawns the process by itself if it died. */
  sidecar(): SidecarClient {
    // Every command Tack runs goes through here: none in Restricted Mode.
    requireTrust();
    if (!this.sidecarClient) {
      // The one for this platform under dist/bin/<target>/ (extension/src/host/sidecar/platform.ts).
      const binDirs = [vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'bin').fsPath];
      const found = findSidecar(binDirs);
      this.sidecarClient = new SidecarClient({ binDirs, log: (line) => this.log.debug(`sidecar: ${line}`) });
      this.sidecarClient.onRestart(({ previousError }) => this.log.warn(`the sidecar died and was restarted: ${previousError.message}`));
      if ('path' in found) this.log.info(`sidecar: ${found.path}`);
      else this.log.error(found.problem);
    }
    return this.sidecarClient;
  }

  async shutdown(): Promise<void> {
    this.controller.stop();
    const sc = this.sidecarClient;
    this.sidecarClient = undefined;
    const servers = this.mcp.stop();
    this.dispose();
    await Promise.all([sc?.dispose(), servers]);
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    this.disposables.length = 0;
  }
}
