// The Changes view in Tack's sidebar: every file this session changed or proposes to change, with
// per-file actions (open the diff, accept, reject) for the proposals under review. Files changed by
// commands come from other sources (the turn's checkpoint) through `addSource`.
import path from 'node:path';
import * as vscode from 'vscode';
import type { ThreadEvent } from '../../generated/types/ThreadEvent';
import { reveal } from '../../shared/display';
import type { InlineDiffManager } from '../inline-diff/manager';
import { DecidedEdits, mergeChanges, STATUS_LABEL, type ChangedFile, type ChangeSource } from './changes-model';

export const CHANGES_VIEW_ID = 'tack.changes';

const ICON: Record<ChangedFile['status'], string> = {
  pending: 'diff',
  accepted: 'check',
  partial: 'pass',
  rejected: 'close',
  failed: 'error',
  changed: 'terminal',
};

export class ChangesView implements vscode.TreeDataProvider<ChangedFile>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly decided = new DecidedEdits();
  private readonly sources: ChangeSource[] = [];
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly inlineDiff: InlineDiffManager,
    private readonly root: () => vscode.Uri | undefined,
  ) {
    this.disposables.push(
      this.changed,
      inlineDiff.onDidChangeReviews(() => this.refresh()),
      inlineDiff.onDidChangeStates(({ reviewId, path, states }) => {
        if (Object.values(states).includes('partial')) this.decided.notePartial(reviewId, path);
      }),
      vscode.window.registerTreeDataProvider(CHANGES_VIEW_ID, this),
      vscode.commands.registerCommand('tack.changes.openDiff', (f?: ChangedFile) => this.act(f, (uri) => inlineDiff.showDiff(uri))),
      vscode.commands.registerCommand('tack.changes.accept', (f?: ChangedFile) => this.act(f, (uri) => inlineDiff.decide(uri, undefined, true))),
      vscode.commands.registerCommand('tack.changes.reject', (f?: ChangedFile) => this.act(f, (uri) => inlineDiff.decide(uri, undefined, false))),
    );
  }

  /** Another producer of changed files (the checkpoints of commands). */
  addSource(source: ChangeSource): vscode.Disposable {
    this.sources.push(source);
    const sub = source.onDidChange(() => this.refresh());
    this.refresh();
    return new vscode.Disposable(() => {
      sub.dispose();
      this.sources.splice(this.sources.indexOf(source), 1);
      this.refresh();
    });
  }

  /**
   * The session's thread events (the controller's emit): decided edits join the list, tagged with
   * `message` (the typed message whose turn runs); a rewound conversation drops its turns' edits.
   */
  note(event: ThreadEvent, message?: number): void {
    if (this.decided.note(event, message)) this.refresh();
  }

  /** Files were restored to the state before typed message `fromMessage` (all of the session's, when undefined). */
  restored(paths: readonly string[], fromMessage?: number): void {
    if (this.decided.restored(paths, fromMessage)) this.refresh();
  }

  /** A new task: the list starts empty. */
  clear(): void {
    this.decided.clear();
    this.refresh();
  }

  files(): ChangedFile[] {
    const pending: ChangedFile[] = this.inlineDiff.files().map((f) => ({
      path: f.path,
      status: 'pending',
      source: 'edit',
      pending: f.pending,
      reviewId: f.reviewId,
      ...(f.movePath ? { movePath: f.movePath } : {}),
    }));
    return mergeChanges(pending, this.decided.files(), ...this.sources.map((s) => s.files()));
  }

  private act(f: ChangedFile | undefined, fn: (uri: vscode.Uri) => Promise<void>): Promise<void> | undefined {
    const root = this.root();
    if (!f || !root || f.status !== 'pending') return undefined;
    return fn(vscode.Uri.joinPath(root, f.path));
  }

  private refresh(): void {
    const n = this.files().length;
    void vscode.commands.executeCommand('setContext', 'tack.sessionHasChanges', n > 0);
    this.changed.fire();
  }

  getChildren(element?: ChangedFile): ChangedFile[] {
    return element ? [] : this.files();
  }

  getTreeItem(f: ChangedFile): vscode.TreeItem {
    const root = this.root();
    const uri = root ? vscode.Uri.joinPath(root, f.path) : undefined;
    const item = new vscode.TreeItem(reveal(path.posix.basename(f.path), { singleLine: true }));
    const dir = path.posix.dirname(f.path);
    const status = f.status === 'pending' && f.pending ? `${f.pending} pending` : STATUS_LABEL[f.status];
    item.description = `${dir === '.' ? '' : `${reveal(dir, { singleLine: true })} · `}${status}`;
    item.tooltip = `${reveal(f.path, { singleLine: true })}${f.movePath ? ` → ${reveal(f.movePath, { singleLine: true })}` : ''}: ${STATUS_LABEL[f.status]}`;
    item.iconPath = new vscode.ThemeIcon(ICON[f.status]);
    item.id = `${f.source}:${f.path}`;
    item.contextValue = f.status === 'pending' ? 'tack.pendingFile' : f.checkpoint ? 'tack.commandFile' : 'tack.changedFile';
    item.accessibilityInformation = { label: `${f.path}, ${STATUS_LABEL[f.status]}` };
    if (uri) {
      item.resourceUri = uri;
      item.command =
        f.status === 'pending'
          ? { command: 'tack.showDiff', title: 'Open Diff', arguments: [uri.toString()] }
          : f.checkpoint
            ? { command: 'tack.changes.openCheckpointDiff', title: 'Open Diff with the Checkpoint', arguments: [f] }
            : { command: 'vscode.open', title: 'Open File', arguments: [f.movePath && root ? vscode.Uri.joinPath(root, f.movePath) : uri] };
    }
    return item;
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }
}
