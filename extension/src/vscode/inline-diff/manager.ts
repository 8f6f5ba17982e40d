// Inline review of proposed edits in the editor. Nothing is written before the person decides: the
// buffer keeps its text, removed lines are marked where they are, the inserted text is shown beside
// them, and each hunk has CodeLens "Accept | Reject". Accepting edits the buffer through a
// WorkspaceEdit (so undo works) computed by the core's applyHunks; rejecting changes nothing.
import * as vscode from 'vscode';
import { reveal } from '../../shared/display';
import { currentStart, hunkAtLine, hunksOf, insertionLabel, pendingCount, type EngineFileDiff, type HunkState, type InlineHunk } from './hunks';

export interface DiffEngine {
  diffTexts(original: string, proposed: string): EngineFileDiff;
  applyHunks(original: string, proposed: string, acceptedIds: string[]): string;
}

export interface ReviewFile {
  /** Workspace-relative path, as the model and the chat name it. */
  path: string;
  uri: vscode.Uri;
  kind: 'add' | 'modify' | 'delete';
  /** Where a move puts the file (whole-file decision). */
  moveUri?: vscode.Uri;
  /** The move's destination, workspace-relative (set with moveUri). */
  movePath?: string;
  original: string;
  proposed: string;
}

/**
 * Called before each write the review makes, with the workspace-relative paths it is about to write and
 * remove; throws (with a message for the person and the model) when the write policy forbids them.
 */
export type WriteGuard = (writes: string[], deletes: string[]) => Promise<void>;

export interface FileOutcome {
  path: string;
  acceptedHunkIds: string[];
  rejectedHunkIds: string[];
  /** Set when the decision could not be carried out (the file changed meanwhile, a write failed). */
  error?: string;
}

interface FileReviewState {
  reviewId: string;
  file: ReviewFile;
  hunks: InlineHunk[];
  /** Whether the buffer had unsaved changes before the review: then we do not save it for the person. */
  wasDirty: boolean;
  error?: string;
  guard?: WriteGuard;
  done: (o: FileOutcome) => void;
}

export const PROPOSED_SCHEME = 'tack-proposed';

export class InlineDiffManager implements vscode.CodeLensProvider, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly reviews = new Map<string, FileReviewState>(); // key: uri string
  private readonly disposables: vscode.Disposable[] = [];
  private readonly lensChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensChanged.event;
  private readonly statesChanged = new vscode.EventEmitter<{ reviewId: string; path: string; states: Record<string, HunkState> }>();
  /** Fires whenever a hunk is decided, so the chat shows the same state. */
  readonly onDidChangeStates = this.statesChanged.event;
  private readonly proposedChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.proposedChanged.event;
  private readonly status: vscode.StatusBarItem;
  private readonly removedDeco: vscode.TextEditorDecorationType;
  private readonly insertedDeco: vscode.TextEditorDecorationType;

  constructor(
    private readonly engine: () => DiffEngine,
    private readonly log: vscode.LogOutputChannel,
    media: vscode.Uri,
  ) {
    this.removedDeco = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
      textDecoration: 'line-through',
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Left,
      gutterIconPath: vscode.Uri.joinPath(media, 'gutter-delete.svg'),
      gutterIconSize: 'contain',
    });
    this.insertedDeco = vscode.window.createTextEditorDecorationType({
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Left,
      gutterIconPath: vscode.Uri.joinPath(media, 'gutter-insert.svg'),
      gutterIconSize: 'contain',
      after: {
        color: new vscode.ThemeColor('gitDecoration.addedResourceForeground'),
        backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
        margin: '0 0 0 1.5em',
      },
    });
    this.status = vscode.window.createStatusBarItem('tack.pendingChanges', vscode.StatusBarAlignment.Left, 100);
    this.status.name = 'Tack: pending changes';
    this.status.command = 'tack.revealNextChange';
    this.disposables.push(
      this.removedDeco,
      this.insertedDeco,
      this.status,
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
      vscode.languages.registerCodeLensProvider({ scheme: 'untitled' }, this),
      vscode.workspace.registerTextDocumentContentProvider(PROPOSED_SCHEME, this),
      vscode.window.onDidChangeVisibleTextEditors(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
    );
  }

  dispose(): void {
    this.rejectAll();
    this.disposables.forEach((d) => d.dispose());
  }

  /** Shows every file's hunks and resolves once each hunk is accepted or rejected. */
  async review(reviewId: string, files: ReviewFile[], guard?: WriteGuard): Promise<FileOutcome[]> {
    const outcomes: Promise<FileOutcome>[] = [];
    let first: vscode.Uri | undefined;
    for (const file of files) {
      const key = file.uri.toString();
      const previous = this.reviews.get(key);
      if (previous) this.finish(previous, 'rejected', 'superseded by a newer proposal for the same file');
      const diff = this.engine().diffTexts(file.original, file.proposed);
      let hunks = hunksOf(file.original, file.proposed, diff);
      // A move or an add/delete is decided as a whole: one hunk standing for the file.
      if (file.moveUri || file.kind !== 'modify') {
        hunks = [{ id: diff.hunkIds.join('+') || 'file', oldStart: 0, oldLines: [], newStart: 0, newLines: [], state: 'pending' }];
      }
      const doc = file.kind === 'modify' ? await vscode.workspace.openTextDocument(file.uri) : undefined;
      outcomes.push(
        new Promise<FileOutcome>((done) => {
          const state: FileReviewState = { reviewId, file, hunks, wasDirty: doc?.isDirty ?? false, guard, done };
          this.reviews.set(key, state);
          if (hunks.length === 0) this.complete(state);
        }),
      );
      if (!first && file.kind === 'modify') first = file.uri;
    }
    this.render();
    if (first) {
      const editor = await vscode.window.showTextDocument(first, { preview: false, preserveFocus: true });
      const st = this.reviews.get(first.toString());
      const h = st?.hunks.find((x) => x.state === 'pending');
      if (st && h) {
        const line = currentStart(st.hunks, h);
        editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      }
    }
    return Promise.all(outcomes);
  }

  /** Decides hunks of one file (all pending ones when hunkIds is undefined). */
  async decide(uri: vscode.Uri | string, hunkIds: string[] | undefined, accept: boolean): Promise<void> {
    const st = this.reviews.get(uri.toString());
    if (st) await this.decideBatch([{ st, hunkIds }], accept);
  }

  /**
   * One decision over one or more files: every write is checked first (the write guard for each file),
   * then everything accepted lands through one WorkspaceEdit, so it undoes as one step and a failure
   * anywhere leaves every file as it was.
   */
  private async decideBatch(requests: { st: FileReviewState; hunkIds?: string[] | undefined }[], accept: boolean): Promise<void> {
    const batch = requests
      .map(({ st, hunkIds }) => ({ st, targets: st.hunks.filter((h) => h.state === 'pending' && (!hunkIds || hunkIds.includes(h.id))) }))
      .filter((b) => b.targets.length > 0);
    if (!batch.length) return;
    if (accept) {
      try {
        await this.applyAccepted(batch);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const paths = batch.map((b) => b.st.file.path).join(', ');
        this.log.error(`accepting changes to ${paths} failed: ${msg}`);
        void vscode.window.showErrorMessage(`Tack: ${reveal(msg, { singleLine: true })}`);
        // The proposal no longer fits (or may not be written): nothing of this decision was applied,
        // and nothing more of these proposals is.
        for (const b of batch) {
          this.finish(b.st, 'rejected', batch.length > 1 ? `${msg} (nothing of this decision was applied to ${paths})` : msg);
        }
        return;
      }
    } else {
      for (const b of batch) b.targets.forEach((h) => (h.state = 'rejected'));
    }
    for (const b of batch) this.afterChange(b.st);
  }

  async decideByPath(reviewId: string, path: string | null, hunkIds: string[] | undefined, accept: boolean): Promise<void> {
    const states = [...this.reviews.values()].filter((st) => st.reviewId === reviewId && (path === null || st.file.path === path));
    await this.decideBatch(states.map((st) => ({ st, hunkIds })), accept);
  }

  /** Withdraws every pending hunk of one proposal (its turn was stopped). */
  cancel(reviewId: string): void {
    for (const st of [...this.reviews.values()]) if (st.reviewId === reviewId) this.finish(st, 'rejected', 'the turn was stopped');
  }

  /** Accepts every pending change of every file: one decision, one WorkspaceEdit, one undo step. */
  async acceptAll(): Promise<void> {
    await this.decideBatch([...this.reviews.values()].map((st) => ({ st })), true);
  }

  rejectAll(): void {
    for (const st of [...this.reviews.values()]) this.finish(st, 'rejected');
  }

  /** The hunk at the cursor of the active editor (for keybindings). */
  async decideAtCursor(accept: boolean): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const st = this.reviews.get(editor.document.uri.toString());
    if (!st) return;
    const h = hunkAtLine(st.hunks, editor.selection.active.line);
    if (h) await this.decide(st.file.uri, [h.id], accept);
  }

  hasPending(uri?: vscode.Uri): boolean {
    if (uri) return this.reviews.has(uri.toString());
    return this.reviews.size > 0;
  }

  pendingTotal(): number {
    let n = 0;
    for (const st of this.reviews.values()) n += pendingCount(st.hunks);
    return n;
  }

  /** Opens the next file with pending hunks at its first pending hunk. */
  async revealNext(): Promise<void> {
    const st = [...this.reviews.values()][0];
    if (!st) return;
    if (st.file.kind !== 'modify') return this.showDiff(st.file.uri);
    const editor = await vscode.window.showTextDocument(st.file.uri, { preview: false });
    const h = st.hunks.find((x) => x.state === 'pending');
    if (h) {
      const line = currentStart(st.hunks, h);
      editor.selection = new vscode.Selection(line, 0, line, 0);
      editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenter);
    }
  }

  /** Side-by-side: the file as it is now vs the proposal. */
  async showDiff(uri?: vscode.Uri | string): Promise<void> {
    const key = uri?.toString() ?? vscode.window.activeTextEditor?.document.uri.toString();
    const st = key ? this.reviews.get(key) : undefined;
    if (!st) {
      void vscode.window.showInformationMessage('Tack: no proposed change for this file.');
      return;
    }
    const right = vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${st.file.path}`, query: st.file.uri.toString() });
    const left = st.file.kind === 'add' ? vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${st.file.path}`, query: 'empty' }) : st.file.uri;
    await vscode.commands.executeCommand('vscode.diff', left, right, `${reveal(st.file.path, { singleLine: true })} (Tack's proposal)`, { preview: true });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    if (uri.query === 'empty') return '';
    return this.reviews.get(uri.query)?.file.proposed ?? '';
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const st = this.reviews.get(document.uri.toString());
    if (!st) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const h of st.hunks) {
      if (h.state !== 'pending') continue;
      const line = Math.min(currentStart(st.hunks, h), Math.max(document.lineCount - 1, 0));
      const range = new vscode.Range(line, 0, line, 0);
      const args = [document.uri.toString(), h.id];
      lenses.push(
        new vscode.CodeLens(range, { title: '$(check) Accept', command: 'tack.acceptHunk', arguments: args, tooltip: 'Accept this change (Ctrl+Alt+Enter)' }),
        new vscode.CodeLens(range, { title: '$(close) Reject', command: 'tack.rejectHunk', arguments: args, tooltip: 'Reject this change (Ctrl+Alt+Backspace)' }),
        new vscode.CodeLens(range, { title: '$(diff) Diff', command: 'tack.showDiff', arguments: [document.uri.toString()] }),
      );
    }
    return lenses;
  }

  private async applyAccepted(batch: { st: FileReviewState; targets: InlineHunk[] }[]): Promise<void> {
    // First the write policy, for every file of the decision: the sidecar resolves every target
    // race-free (.git, read-only, roots) right before VS Code's file service writes it.
    const checks = new Map<WriteGuard, { writes: string[]; deletes: string[] }>();
    for (const { st } of batch) {
      if (!st.guard) continue;
      const { file } = st;
      const c = checks.get(st.guard) ?? { writes: [], deletes: [] };
      checks.set(st.guard, c);
      const movePath = file.moveUri ? file.movePath : undefined;
      if (file.kind === 'delete') c.deletes.push(file.path);
      else if (movePath !== undefined) { c.writes.push(movePath); c.deletes.push(file.path); }
      else c.writes.push(file.path);
    }
    for (const [guard, c] of checks) await guard(c.writes, c.deletes);
    // Then one WorkspaceEdit for all of it (computed completely before anything is applied).
    const edit = new vscode.WorkspaceEdit();
    const engine = this.engine();
    for (const { st, targets } of batch) {
      const { file } = st;
      if (file.kind !== 'modify' || file.moveUri) {
        // Whole-file decision: create, delete or move.
        if (file.kind === 'delete') edit.deleteFile(file.uri, { ignoreIfNotExists: true });
        else if (file.kind === 'add') {
          edit.createFile(file.uri, { overwrite: false, ignoreIfExists: false, contents: new TextEncoder().encode(file.proposed) });
        } else if (file.moveUri) {
          edit.createFile(file.moveUri, { overwrite: true, contents: new TextEncoder().encode(file.proposed) });
          edit.deleteFile(file.uri, { ignoreIfNotExists: true });
        }
        continue;
      }
      const acceptedBefore = st.hunks.filter((h) => h.state === 'accepted').map((h) => h.id);
      const expected = engine.applyHunks(file.original, file.proposed, acceptedBefore);
      const target = engine.applyHunks(file.original, file.proposed, [...acceptedBefore, ...targets.map((h) => h.id)]);
      const doc = await vscode.workspace.openTextDocument(file.uri);
      const now = doc.getText();
      if (now !== expected) {
        throw new Error(`${file.path} changed after Tack proposed this edit, so the edit was not applied. Ask Tack again to get a fresh proposal.`);
      }
      // Replace only the span that differs, so the cursor and folding elsewhere stay where they were.
      let start = 0;
      while (start < now.length && start < target.length && now[start] === target[start]) start++;
      let endNow = now.length;
      let endTarget = target.length;
      while (endNow > start && endTarget > start && now[endNow - 1] === target[endTarget - 1]) { endNow--; endTarget--; }
      edit.replace(file.uri, new vscode.Range(doc.positionAt(start), doc.positionAt(endNow)), target.slice(start, endTarget));
    }
    const named = batch.map((b) => b.st.file.path).join(', ');
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`VS Code refused the edit to ${named}`);
    for (const { targets } of batch) targets.forEach((h) => (h.state = 'accepted'));
  }

  private afterChange(st: FileReviewState): void {
    this.statesChanged.fire({ reviewId: st.reviewId, path: st.file.path, states: Object.fromEntries(st.hunks.map((h) => [h.id, h.state])) });
    if (pendingCount(st.hunks) === 0) this.complete(st);
    this.render();
  }

  private finish(st: FileReviewState, as: HunkState, error?: string): void {
    st.hunks.forEach((h) => { if (h.state === 'pending') h.state = as; });
    if (error) st.error = error;
    this.afterChange(st);
  }

  private complete(st: FileReviewState): void {
    const key = st.file.uri.toString();
    if (this.reviews.get(key) !== st) return;
    this.reviews.delete(key);
    const accepted = st.hunks.filter((h) => h.state === 'accepted').map((h) => h.id);
    const finish = () =>
      st.done({
        path: st.file.path,
        acceptedHunkIds: accepted,
        rejectedHunkIds: st.hunks.filter((h) => h.state === 'rejected').map((h) => h.id),
        ...(st.error ? { error: st.error } : {}),
      });
    // Save what was accepted, unless the person had unsaved work of their own in that buffer.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (st.file.kind === 'modify' && accepted.length && doc?.isDirty && !st.wasDirty) {
      doc.save().then(
        (ok) => { if (!ok) this.log.warn(`could not save ${st.file.path}`); finish(); },
        (e) => { this.log.error(`saving ${st.file.path}: ${e}`); st.error = `saving failed: ${e}`; finish(); },
      );
    } else finish();
  }

  private render(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      const st = this.reviews.get(editor.document.uri.toString());
      const removed: vscode.DecorationOptions[] = [];
      const inserted: vscode.DecorationOptions[] = [];
      for (const h of st?.hunks ?? []) {
        if (h.state !== 'pending' || !st) continue;
        const start = currentStart(st.hunks, h);
        for (let i = 0; i < h.oldLines.length; i++) removed.push({ range: new vscode.Range(start + i, 0, start + i, 0) });
        if (h.newLines.length) {
          // The inserted text sits after the last removed line, or after the line before an insertion.
          const anchor = Math.max(h.oldLines.length ? start + h.oldLines.length - 1 : start - 1, 0);
          const end = editor.document.lineAt(Math.min(anchor, editor.document.lineCount - 1)).range.end;
          const hover = new vscode.MarkdownString();
          hover.appendMarkdown('**Tack proposes:**\n');
          hover.appendCodeblock(reveal(h.newLines.join('\n')), editor.document.languageId);
          inserted.push({
            range: new vscode.Range(end, end),
            hoverMessage: hover,
            renderOptions: { after: { contentText: `+ ${insertionLabel(h.newLines)}` } },
          });
        }
      }
      editor.setDecorations(this.removedDeco, removed);
      editor.setDecorations(this.insertedDeco, inserted);
    }
    this.lensChanged.fire();
    const n = this.pendingTotal();
    if (n > 0) {
      this.status.text = `$(diff) Tack: ${n} pending change${n === 1 ? '' : 's'}`;
      this.status.tooltip = 'Show the next change Tack proposes';
      this.status.show();
    } else this.status.hide();
    this.updateContext();
  }

  private updateContext(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    void vscode.commands.executeCommand('setContext', 'tack.editorHasChanges', !!uri && this.reviews.has(uri.toString()));
    void vscode.commands.executeCommand('setContext', 'tack.hasChanges', this.reviews.size > 0);
  }
}
