// Files changed by commands, for the Changes view (its `addSource` seam): after each turn of a session
// that recorded a checkpoint, the sidecar compares the workspace with the session's first checkpoint
// (`checkpoint/diff`); every file that differs is listed (edits the view already lists as decided keep
// their entry). Each offers the diff (the checkpoint's content against the file now, read with
// `checkpoint/read`) and "Revert File" (`checkpoint/restore` of that one path, after a modal).
import path from 'node:path';
import * as vscode from 'vscode';
import type { ThreadEvent } from '../../generated/types/ThreadEvent';
import { defaultCheckpointsDir } from '../../host/agent/checkpoints';
import type { SidecarClient } from '../../host/sidecar';
import { reveal } from '../../shared/display';
import type { ChangedFile, ChangeSource } from './changes-model';

export const CHECKPOINT_SCHEME = 'tack-checkpoint';

export class CheckpointChanges implements ChangeSource, vscode.Disposable {
  private thread: string | undefined;
  private first: string | undefined;
  private list: ChangedFile[] = [];
  private generation = 0;
  private readonly emitter = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly sidecar: () => SidecarClient,
    private readonly root: () => vscode.Uri | undefined,
    private readonly log: (line: string) => void,
    /** A file was reverted to the session's first checkpoint (no edit of the session holds for it now). */
    private readonly onReverted?: (path: string) => void,
  ) {
    this.disposables.push(
      this.emitter,
      vscode.workspace.registerTextDocumentContentProvider(CHECKPOINT_SCHEME, { provideTextDocumentContent: (uri) => this.content(uri) }),
      vscode.commands.registerCommand('tack.changes.openCheckpointDiff', (f?: ChangedFile) => this.openDiff(f)),
      vscode.commands.registerCommand('tack.changes.revertFile', (f?: ChangedFile) => this.revert(f)),
    );
  }

  onDidChange(listener: () => void): { dispose(): void } {
    return this.emitter.event(listener);
  }

  files(): ChangedFile[] {
    return this.list;
  }

  /** The session's thread events: a new session starts afresh; a turn's end refreshes the list. */
  note(event: ThreadEvent): void {
    if (event.type === 'thread.started' && event.thread_id !== this.thread) {
      this.thread = event.thread_id;
      this.first = undefined;
      this.set([]);
    } else if (event.type === 'checkpoint.created') {
      this.first ??= event.id;
    } else if ((event.type === 'turn.completed' || event.type === 'turn.failed') && this.first) {
      void this.refresh();
    }
  }

  async refresh(): Promise<void> {
    const root = this.root();
    const id = this.first;
    if (!root || !id) return;
    const generation = ++this.generation;
    try {
      const diff = await this.sidecar().checkpoint('diff', { storeDir: defaultCheckpointsDir(), root: root.fsPath, id });
      if (generation !== this.generation || id !== this.first) return;
      this.set(diff.changes.map((c) => ({ path: c.path, status: 'changed', source: 'command', checkpoint: id })));
    } catch (err) {
      this.log(`changes: could not compare with checkpoint ${id}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private set(list: ChangedFile[]): void {
    this.list = list;
    this.emitter.fire();
  }

  private async content(uri: vscode.Uri): Promise<string> {
    const root = this.root();
    const id = new URLSearchParams(uri.query).get('id');
    if (!root || !id) return '';
    const r = await this.sidecar().checkpoint('read', { storeDir: defaultCheckpointsDir(), root: root.fsPath, id, path: uri.path.replace(/^\//, '') });
    if (r.kind === 'absent') return '';
    if (r.binary) return '(binary file: not shown)';
    return r.kind === 'symlink' ? `(symbolic link to ${r.text ?? ''})` : (r.text ?? '');
  }

  private async openDiff(f: ChangedFile | undefined): Promise<void> {
    const root = this.root();
    if (!f?.checkpoint || !root) return;
    const then = vscode.Uri.from({ scheme: CHECKPOINT_SCHEME, path: `/${f.path}`, query: `id=${encodeURIComponent(f.checkpoint)}` });
    const file = vscode.Uri.joinPath(root, f.path);
    const exists = await vscode.workspace.fs.stat(file).then(
      () => true,
      () => false,
    );
    // A file deleted since is compared with nothing (the checkpoint scheme answers empty for it).
    const now = exists ? file : vscode.Uri.from({ scheme: CHECKPOINT_SCHEME, path: `/${f.path}`, query: 'id=' });
    const name = reveal(path.posix.basename(f.path), { singleLine: true });
    await vscode.commands.executeCommand('vscode.diff', then, now, `${name} (before this session's first change ↔ now)`);
  }

  private async revert(f: ChangedFile | undefined): Promise<void> {
    const root = this.root();
    if (!f?.checkpoint || !root) return;
    const params = { storeDir: defaultCheckpointsDir(), root: root.fsPath, id: f.checkpoint, paths: [f.path] };
    const diff = await this.sidecar().checkpoint('diff', params);
    const change = diff.changes[0];
    if (!change) {
      void vscode.window.showInformationMessage(`Tack: ${reveal(f.path, { singleLine: true })} already matches the checkpoint.`);
      await this.refresh();
      return;
    }
    const what = { restore: 'written back', remove: 'removed', modify: 'reverted', mode: 'given its old mode' }[change.action] ?? change.action;
    const detail =
      `${reveal(f.path, { singleLine: true })} is ${what}, as it was before this session's first change.` +
      (change.personEdited ? ' You changed it after the agent did: a copy of your version is kept.' : '');
    const ok = await vscode.window.showWarningMessage('Revert this file?', { modal: true, detail }, 'Revert File');
    if (ok !== 'Revert File') return;
    const r = await this.sidecar().checkpoint('restore', params);
    if (r.failed.length) void vscode.window.showErrorMessage(`Tack: could not revert ${f.path}: ${r.failed[0].message}`);
    else if (r.kept.length) void vscode.window.showInformationMessage(`Tack: reverted ${f.path}; your version was kept in ${r.kept[0].copy}.`);
    if (!r.failed.length) this.onReverted?.(f.path);
    await this.refresh();
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
