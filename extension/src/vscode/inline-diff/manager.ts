// Inline review of proposed edits in the editor. Nothing is written before the person decides: the
// buffer keeps its text, removed lines are marked where they are, the inserted text is shown beside
// them, and each hunk has CodeLens "Accept | Reject". Accepting edits the buffer through a
// WorkspaceEdit (so undo works) computed by the core's applyHunks; rejecting changes nothing.
import * as vscode from 'vscode';
import { reveal } from '../../shared/display';
import { hunkAtLine, hunksOf, insertionLabel, type HunkState } from './hunks';
import { buildMerged, followBuffer, hunkAtMergedLine, mergedLineOfBuffer, selectedPairs, type MergedDocument } from './merged';
import { inlineStyle, MergedReviewView, REVIEW_SCHEME, type MergedSource } from './merged-view';
import { FileProposal, type LandedLines, pairsForBufferLines, pairsForProposedLines, type PendingHunk, type ReviewEngine, type Step } from './review-state';

export type DiffEngine = ReviewEngine;

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
  /** Hunks of the model's diff that landed, wholly or in part. */
  acceptedHunkIds: string[];
  rejectedHunkIds: string[];
  /** What landed, when it is not the original plus whole accepted hunks (lines chosen, proposal edited). */
  landed?: string;
  /** Set when the decision could not be carried out (the file changed meanwhile, a write failed). */
  error?: string;
}

interface FileReviewState {
  reviewId: string;
  file: ReviewFile;
  /** An update: its proposal, hunk by hunk and line by line. */
  proposal?: FileProposal;
  /** An add, delete or move: decided as a whole (the ids are the diff's hunks, for the chat). */
  whole?: { ids: string[]; state: HunkState };
  /** Whether the buffer had unsaved changes of the person's (before or during the review): then we do not save it for them. */
  wasDirty: boolean;
  /** The buffer's language, for the merged view's syntax colours. */
  languageId?: string;
  /** The person was told that their edit overlaps a proposed change (once, until it no longer does). */
  conflictShown?: boolean;
  /** Set while a decision's WorkspaceEdit lands, so the buffer's change is not taken for the person's. */
  writing?: boolean;
  /** The merged view's document, for the texts it was built from. */
  merged?: { current: string; proposed: string; doc: MergedDocument };
  error?: string;
  guard?: WriteGuard;
  done: (o: FileOutcome) => void;
}

/** What one decision covers in one file. */
export interface Choice {
  /** Pending hunks by their current id (CodeLens, cursor). */
  ids?: string[];
  /** Hunks by the id of the model's original diff (the chat's card). */
  origins?: string[];
  /** Some line pairs of one pending hunk. */
  lines?: { id: string; start: number; end: number };
  /** The person's own text in place of the proposal (no accept or reject). */
  text?: string;
}

export const PROPOSED_SCHEME = 'tack-proposed';

/** A whole-file change (add, delete, move) as one hunk standing for the file. */
/** The refusal of an accept whose file no longer holds the text the proposal was made for. */
function changedAfterProposal(path: string): Error {
  return new Error(`${path} changed after Tack proposed this edit, so the edit was not applied. Ask Tack again to get a fresh proposal.`);
}

function wholeHunk(st: FileReviewState): PendingHunk {
  const id = st.whole!.ids.join('+');
  return { id, origin: id, oldStart: 0, oldLines: [], newStart: 0, newLines: [], state: 'pending' };
}

/** The pending hunks of a file under review. */
function pendingOf(st: FileReviewState): PendingHunk[] {
  if (st.proposal) return st.proposal.hunks;
  return st.whole?.state === 'pending' ? [wholeHunk(st)] : [];
}

export class InlineDiffManager implements vscode.CodeLensProvider, vscode.FileSystemProvider, MergedSource, vscode.Disposable {
  private readonly reviews = new Map<string, FileReviewState>(); // key: uri string
  private readonly disposables: vscode.Disposable[] = [];
  private readonly lensChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensChanged.event;
  private readonly statesChanged = new vscode.EventEmitter<{ reviewId: string; path: string; states: Record<string, HunkState>; lines?: LandedLines }>();
  /** Fires whenever a hunk is decided, so the chat shows the same state. */
  readonly onDidChangeStates = this.statesChanged.event;
  private readonly proposalFiles = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  /** The proposal documents (`tack-proposed:`) change when a decision changes what is proposed. */
  readonly onDidChangeFile = this.proposalFiles.event;
  /** Bumped on every change of a proposal, as its document's mtime. */
  private proposalVersion = 1;
  private readonly reviewsChanged = new vscode.EventEmitter<void>();
  /** Fires when a file enters or leaves review, or its pending hunks change (the Changes view). */
  readonly onDidChangeReviews = this.reviewsChanged.event;
  private readonly status: vscode.StatusBarItem;
  private readonly removedDeco: vscode.TextEditorDecorationType;
  private readonly insertedDeco: vscode.TextEditorDecorationType;
  /** The review as real lines (`tack-review:`): the file with every proposed line where it will land. */
  readonly view: MergedReviewView;

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
    this.view = new MergedReviewView(this, media);
    this.disposables.push(
      this.view,
      vscode.languages.registerCodeLensProvider({ scheme: REVIEW_SCHEME }, this),
      // The merged view follows the buffer: what the person types in the file during the review is
      // carried into the proposal.
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.contentChanges.length) this.bufferChanged(e.document); }),
      this.removedDeco,
      this.insertedDeco,
      this.status,
      vscode.languages.registerCodeLensProvider({ scheme: 'file' }, this),
      vscode.languages.registerCodeLensProvider({ scheme: 'untitled' }, this),
      vscode.languages.registerCodeLensProvider({ scheme: PROPOSED_SCHEME }, this),
      // The side-by-side diff's right side is the proposal, and it is editable: what the person types
      // there is what Accept writes.
      vscode.workspace.registerFileSystemProvider(PROPOSED_SCHEME, this, { isCaseSensitive: true }),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme === PROPOSED_SCHEME && e.contentChanges.length) this.setProposal(e.document.uri, e.document.getText(), { fromDocument: true });
      }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.render()),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
      // The "selected lines" lens follows the selection.
      vscode.window.onDidChangeTextEditorSelection((e) => { if (this.stateOf(e.textEditor.document.uri)) this.lensChanged.fire(); }),
    );
  }

  dispose(): void {
    this.rejectAll();
    this.disposables.forEach((d) => d.dispose());
  }

  /** The review a document belongs to: the file itself, or its proposal (the side-by-side diff's right side). */
  private stateOf(uri: vscode.Uri | string | undefined): FileReviewState | undefined {
    if (!uri) return undefined;
    const u = typeof uri === 'string' ? vscode.Uri.parse(uri) : uri;
    if (u.scheme === PROPOSED_SCHEME) return u.query === 'empty' ? undefined : this.reviews.get(u.query);
    if (u.scheme === REVIEW_SCHEME) return this.reviews.get(u.query);
    return this.reviews.get(u.toString());
  }

  /** Shows every file's hunks and resolves once each hunk is accepted or rejected. */
  async review(reviewId: string, files: ReviewFile[], guard?: WriteGuard): Promise<FileOutcome[]> {
    const outcomes: Promise<FileOutcome>[] = [];
    let first: vscode.Uri | undefined;
    for (const file of files) {
      const key = file.uri.toString();
      const previous = this.reviews.get(key);
      if (previous) this.finish(previous, 'superseded by a newer proposal for the same file');
      const engine = this.engine();
      const whole = file.moveUri || file.kind !== 'modify';
      const ids = whole ? engine.diffLines(file.original, file.proposed).hunkIds : [];
      const doc = file.kind === 'modify' ? await vscode.workspace.openTextDocument(file.uri) : undefined;
      outcomes.push(
        new Promise<FileOutcome>((done) => {
          const state: FileReviewState = {
            reviewId,
            file,
            ...(whole ? { whole: { ids: ids.length ? ids : ['file'], state: 'pending' as HunkState } } : { proposal: new FileProposal(engine, file.original, file.proposed) }),
            wasDirty: doc?.isDirty ?? false,
            ...(doc ? { languageId: doc.languageId } : {}),
            guard,
            done,
          };
          this.reviews.set(key, state);
          if (pendingOf(state).length === 0) this.complete(state);
        }),
      );
      if (!first && file.kind === 'modify') first = file.uri;
    }
    this.render();
    this.reviewsChanged.fire();
    for (const file of files) this.view.refresh(file.uri);
    if (first && inlineStyle() === 'lines' && this.stateOf(first)?.proposal) {
      // The proposed lines as real text, in a view of their own: the buffer never holds them.
      const st = this.stateOf(first)!;
      const at = this.merged(first.toString())?.hunkStarts[0]?.line;
      await this.view.open(first, st.file.path, at, { preserveFocus: true });
    } else if (first) {
      const editor = await vscode.window.showTextDocument(first, { preview: false, preserveFocus: true });
      const h = this.stateOf(first) && pendingOf(this.stateOf(first)!)[0];
      if (h) editor.revealRange(new vscode.Range(h.oldStart, 0, h.oldStart, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    return Promise.all(outcomes);
  }

  /** The merged view's document of a file under review (MergedSource), rebuilt when its texts change. */
  merged(fileUri: string): MergedDocument | undefined {
    const st = this.reviews.get(fileUri);
    const p = st?.proposal;
    if (!st || !p) return undefined;
    if (st.merged?.current !== p.current || st.merged.proposed !== p.proposed) {
      st.merged = { current: p.current, proposed: p.proposed, doc: buildMerged(p.current, p.hunks) };
    }
    return st.merged.doc;
  }

  languageOf(fileUri: string): string | undefined {
    return this.reviews.get(fileUri)?.languageId;
  }

  /** Opens the proposed lines of a file under review (the active editor's when none is named). */
  async showLines(uri?: vscode.Uri | string): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const st = this.stateOf(uri ?? editor?.document.uri);
    if (!st?.proposal) {
      if (st) return this.showDiff(st.file.uri);
      void vscode.window.showInformationMessage('Tack: no proposed change for this file.');
      return;
    }
    const doc = this.merged(st.file.uri.toString());
    const fromBuffer = editor && editor.document.uri.toString() === st.file.uri.toString() ? editor.selection.active.line : undefined;
    const line = doc && fromBuffer !== undefined ? mergedLineOfBuffer(doc, fromBuffer) : doc?.hunkStarts[0]?.line;
    await this.view.open(st.file.uri, st.file.path, line);
  }

  /** From the merged view to the file itself, at the buffer line the cursor stands for (to edit it). */
  async openReviewedFile(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.uri.scheme !== REVIEW_SCHEME) return;
    const st = this.stateOf(editor.document.uri);
    const file = st?.file.uri ?? vscode.Uri.parse(editor.document.uri.query);
    const doc = this.view.shown(editor);
    const at = editor.selection.active.line;
    // A proposed line stands for where it lands: the buffer line after the change's removed lines.
    let line: number | undefined;
    for (let i = Math.min(at, (doc?.lines.length ?? 0) - 1); doc && i >= 0 && line === undefined; i--) {
      const b = doc.lines[i]!.bufferLine;
      if (b !== undefined) line = i === at ? b : b + 1;
    }
    const target = await vscode.window.showTextDocument(file, { preview: false });
    const l = Math.min(line ?? 0, Math.max(target.document.lineCount - 1, 0));
    this.moveTo(target, l);
  }

  /**
   * The person (or a reload from disk) changed a file under review: the proposal is carried over the
   * edit (merged.ts followBuffer), so the merged view shows their text with the changes still
   * proposed. An edit that overlaps or touches a proposed change is not merged: the review stays on
   * the text it was made for, and accepting fails with a clear message until the edit is undone.
   */
  private bufferChanged(document: vscode.TextDocument): void {
    if (document.uri.scheme === REVIEW_SCHEME || document.uri.scheme === PROPOSED_SCHEME) return;
    const st = this.reviews.get(document.uri.toString());
    const p = st?.proposal;
    if (!st || !p || st.writing) return;
    const now = document.getText();
    if (now === p.current) {
      st.conflictShown = false;
      return;
    }
    const engine = this.engine();
    const { proposed, dropped } = followBuffer(p.current, p.proposed, now, (a, b) => hunksOf(a, b, engine.diffLines(a, b)));
    if (dropped) {
      if (st.conflictShown) return;
      st.conflictShown = true;
      this.log.warn(`${st.file.path} changed where Tack proposes a change; the review stays on the text it was made for`);
      void vscode.window.showWarningMessage(
        `Tack: ${reveal(st.file.path, { singleLine: true })} changed where Tack proposes a change. Accepting will fail until that edit is undone; reject the proposal to keep your text.`,
      );
      return;
    }
    st.conflictShown = false;
    if (document.isDirty) st.wasDirty = true;
    p.commit({ current: now, proposed, origins: [], accepted: false });
    this.proposalChanged(st);
    this.afterChange(st);
  }

  /** Decides hunks of one file by their current ids (all pending ones when hunkIds is undefined). */
  async decide(uri: vscode.Uri | string, hunkIds: string[] | undefined, accept: boolean): Promise<void> {
    const st = this.stateOf(uri);
    if (st) await this.decideBatch([{ st, choice: hunkIds ? { ids: hunkIds } : {} }], accept);
  }

  /** The step a choice makes in one file, or 'whole' for a whole-file decision; undefined: nothing to do. */
  private stepOf(st: FileReviewState, choice: Choice, accept: boolean): Step | 'whole' | undefined {
    if (!st.proposal) {
      if (st.whole?.state !== 'pending') return undefined;
      if (choice.lines || choice.text !== undefined) return undefined;
      const ids = choice.ids ?? choice.origins;
      return !ids || ids.some((id) => id === wholeHunk(st).id || st.whole!.ids.includes(id)) ? 'whole' : undefined;
    }
    const p = st.proposal;
    if (choice.text !== undefined) return p.edit(choice.text);
    if (choice.lines) return p.lines(choice.lines.id, choice.lines.start, choice.lines.end, accept);
    const ids = choice.ids ?? (choice.origins ? p.idsOfOrigins(choice.origins) : p.hunks.map((h) => h.id));
    const hit = ids.filter((id) => p.hunks.some((h) => h.id === id));
    if (!hit.length) return undefined;
    return accept ? p.accept(hit) : p.reject(hit);
  }

  /**
   * One decision over one or more files: every write is checked first (the write guard for each file),
   * then everything accepted lands through one WorkspaceEdit, so it undoes as one step and a failure
   * anywhere leaves every file as it was.
   */
  async decideBatch(requests: { st: FileReviewState; choice: Choice }[], accept: boolean): Promise<void> {
    const batch = requests
      .map(({ st, choice }) => ({ st, step: this.stepOf(st, choice, accept) }))
      .filter((b): b is { st: FileReviewState; step: Step | 'whole' } => b.step !== undefined);
    if (!batch.length) return;
    const writes = batch.filter((b) => b.step === 'whole' ? accept : b.step.current !== b.st.proposal!.current);
    if (writes.length) {
      try {
        await this.write(writes);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        const paths = writes.map((b) => b.st.file.path).join(', ');
        this.log.error(`accepting changes to ${paths} failed: ${msg}`);
        void vscode.window.showErrorMessage(`Tack: ${reveal(msg, { singleLine: true })}`);
        // The proposal no longer fits (or may not be written): nothing of this decision was applied,
        // and nothing more of these proposals is.
        for (const b of batch) this.finish(b.st, batch.length > 1 ? `${msg} (nothing of this decision was applied to ${paths})` : msg);
        return;
      }
    }
    for (const b of batch) {
      if (b.step === 'whole') b.st.whole!.state = accept ? 'accepted' : 'rejected';
      else {
        const moved = b.step.proposed !== b.st.proposal!.proposed;
        b.st.proposal!.commit(b.step);
        if (moved) this.proposalChanged(b.st);
      }
    }
    for (const b of batch) this.afterChange(b.st);
  }

  async decideByPath(reviewId: string, path: string | null, hunkIds: string[] | undefined, accept: boolean): Promise<void> {
    const states = [...this.reviews.values()].filter((st) => st.reviewId === reviewId && (path === null || st.file.path === path));
    await this.decideBatch(states.map((st) => ({ st, choice: hunkIds ? { origins: hunkIds } : {} })), accept);
  }

  /** The person's own text replaces what is proposed for a file; Accept then writes it. */
  setProposal(uri: vscode.Uri | string, text: string, opts: { fromDocument?: boolean } = {}): void {
    const st = this.stateOf(uri);
    if (!st?.proposal || st.proposal.proposed === text) return;
    st.proposal.commit(st.proposal.edit(text));
    this.proposalVersion++;
    this.log.info(`the proposal for ${st.file.path} was edited`);
    // The document that was typed in already shows it; others reload.
    if (!opts.fromDocument) this.proposalChanged(st);
    this.afterChange(st);
  }

  private proposalChanged(st: FileReviewState): void {
    this.proposalVersion++;
    this.proposalFiles.fire([{ type: vscode.FileChangeType.Changed, uri: this.proposedUri(st) }]);
  }

  private readonly reasons = new Map<string, string>();

  /**
   * Rejects everything still pending in the proposal the active editor (or `uri`) belongs to, with the
   * person's reason for the model.
   */
  rejectWithReason(reason: string, uri?: vscode.Uri | string): void {
    const st = this.stateOf(uri ?? vscode.window.activeTextEditor?.document.uri) ?? [...this.reviews.values()][0];
    if (!st) return;
    if (reason.trim()) this.reasons.set(st.reviewId, reason.trim());
    for (const other of [...this.reviews.values()]) if (other.reviewId === st.reviewId) this.finish(other);
  }

  /** Rejects everything still pending in one proposal (the chat's edit card), with the person's reason. */
  rejectReviewWithReason(reviewId: string, reason: string): void {
    const states = [...this.reviews.values()].filter((st) => st.reviewId === reviewId);
    if (!states.length) return;
    if (reason.trim()) this.reasons.set(reviewId, reason.trim());
    for (const st of states) this.finish(st);
  }

  /** The reason given with a rejection of this proposal, once (the controller passes it to the model). */
  takeReason(reviewId: string): string | undefined {
    const r = this.reasons.get(reviewId);
    this.reasons.delete(reviewId);
    return r;
  }

  /** Withdraws every pending hunk of one proposal (its turn was stopped). */
  cancel(reviewId: string): void {
    for (const st of [...this.reviews.values()]) if (st.reviewId === reviewId) this.finish(st, 'the turn was stopped');
  }

  /** Accepts every pending change of every file: one decision, one WorkspaceEdit, one undo step. */
  async acceptAll(): Promise<void> {
    await this.decideBatch([...this.reviews.values()].map((st) => ({ st, choice: {} })), true);
  }

  rejectAll(): void {
    for (const st of [...this.reviews.values()]) this.finish(st);
  }

  /**
   * For keybindings and menus: with lines selected, those lines of every hunk the selection touches;
   * otherwise the hunk at the cursor. Works in the file and in the side-by-side diff's proposal.
   */
  async decideAtCursor(accept: boolean, opts: { linesOnly?: boolean } = {}): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const st = this.stateOf(editor?.document.uri);
    if (!editor || !st) return;
    const sel = editor.selection;
    if (editor.document.uri.scheme === REVIEW_SCHEME) return this.decideInView(editor, st, accept, opts);
    const inProposal = editor.document.uri.scheme === PROPOSED_SCHEME;
    if (!sel.isEmpty && st.proposal) {
      const first = sel.start.line;
      // A selection ending at the start of a line does not take that line.
      const last = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
      // One hunk at a time: each decision changes the texts, and later hunks are found again.
      const touched = st.proposal.hunks
        .map((h) => ({ h, pairs: inProposal ? pairsForProposedLines(h, first, last) : pairsForBufferLines(h, first, last) }))
        .filter((x) => x.pairs);
      // From the bottom up, so the earlier hunks' lines stay where the selection saw them.
      for (const { h, pairs } of touched.reverse()) {
        const now = st.proposal.hunks.find((x) => x.oldStart === h.oldStart && x.newStart === h.newStart);
        if (!now || !pairs) continue;
        await this.decideBatch([{ st, choice: { lines: { id: now.id, start: pairs.start, end: pairs.end } } }], accept);
        if (this.reviews.get(st.file.uri.toString()) !== st) break;
      }
      return;
    }
    if (opts.linesOnly) {
      void vscode.window.showInformationMessage('Tack: select the lines of a proposed change first.');
      return;
    }
    const line = sel.active.line;
    const hunks = pendingOf(st);
    const h = inProposal ? hunks.find((x) => line >= x.newStart - 1 && line <= x.newStart + Math.max(x.newLines.length, 1) - 1) ?? hunks[0] : hunkAtLine(hunks, line);
    if (h) await this.decide(st.file.uri, [h.id], accept);
  }

  /** decideAtCursor in the merged view: its lines map back to hunks and their line pairs (merged.ts). */
  private async decideInView(editor: vscode.TextEditor, st: FileReviewState, accept: boolean, opts: { linesOnly?: boolean }): Promise<void> {
    if (!st.proposal) return;
    const doc = this.view.shown(editor);
    if (!doc) {
      void vscode.window.showInformationMessage('Tack: the proposed lines are being redrawn; try again.');
      return;
    }
    const sel = editor.selection;
    if (!sel.isEmpty) {
      const first = sel.start.line;
      const last = sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line;
      const chosen = selectedPairs(doc, first, last);
      if (!chosen.length) {
        void vscode.window.showInformationMessage('Tack: the selection takes no proposed line; select red or green lines.');
        return;
      }
      // From the bottom up, each hunk found again by its position (a decision renames the hunks).
      const before = st.proposal.hunks;
      for (const c of chosen.reverse()) {
        const h = before.find((x) => x.id === c.id);
        const now = h && st.proposal.hunks.find((x) => x.oldStart === h.oldStart && x.newStart === h.newStart);
        if (!now) continue;
        await this.decideBatch([{ st, choice: { lines: { id: now.id, start: c.start, end: c.end } } }], accept);
        if (this.reviews.get(st.file.uri.toString()) !== st) break;
      }
      return;
    }
    if (opts.linesOnly) {
      void vscode.window.showInformationMessage('Tack: select the lines of a proposed change first.');
      return;
    }
    const id = hunkAtMergedLine(doc, sel.active.line);
    if (id) await this.decide(st.file.uri, [id], accept);
  }

  hasPending(uri?: vscode.Uri): boolean {
    if (uri) return this.stateOf(uri) !== undefined;
    return this.reviews.size > 0;
  }

  pendingTotal(): number {
    let n = 0;
    for (const st of this.reviews.values()) n += pendingOf(st).length;
    return n;
  }

  /** Every file under review, for the Changes view. */
  files(): { reviewId: string; path: string; uri: vscode.Uri; kind: ReviewFile['kind']; movePath?: string; pending: number }[] {
    return [...this.reviews.values()].map((st) => ({
      reviewId: st.reviewId,
      path: st.file.path,
      uri: st.file.uri,
      kind: st.file.kind,
      ...(st.file.movePath ? { movePath: st.file.movePath } : {}),
      pending: pendingOf(st).length,
    }));
  }

  /** Opens the next file with pending hunks at its first pending hunk. */
  async revealNext(): Promise<void> {
    const st = [...this.reviews.values()][0];
    if (!st) return;
    if (!st.proposal) return this.showDiff(st.file.uri);
    if (inlineStyle() === 'lines') {
      await this.view.open(st.file.uri, st.file.path, this.merged(st.file.uri.toString())?.hunkStarts[0]?.line);
      return;
    }
    const editor = await vscode.window.showTextDocument(st.file.uri, { preview: false });
    const h = st.proposal.hunks[0];
    if (h) this.moveTo(editor, h.oldStart);
  }

  private moveTo(editor: vscode.TextEditor, line: number): void {
    editor.selection = new vscode.Selection(line, 0, line, 0);
    editor.revealRange(new vscode.Range(line, 0, line, 0), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  /** Moves the cursor to the next (or previous) pending change: in this file, then in the next file under review. */
  async goToChange(direction: 1 | -1): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const st = this.stateOf(editor?.document.uri);
    const inView = editor?.document.uri.scheme === REVIEW_SCHEME;
    const doc = editor && inView ? this.view.shown(editor) : undefined;
    if (editor && doc) {
      const line = editor.selection.active.line;
      const starts = doc.hunkStarts.map((h) => h.line);
      const next = direction > 0 ? starts.find((s) => s > line) : [...starts].reverse().find((s) => s < line);
      if (next !== undefined) return this.moveTo(editor, next);
    } else if (editor && st?.proposal && !inView && editor.document.uri.scheme !== PROPOSED_SCHEME) {
      const line = editor.selection.active.line;
      const starts = st.proposal.hunks.map((h) => h.oldStart);
      const next = direction > 0 ? starts.find((s) => s > line) : [...starts].reverse().find((s) => s < line);
      if (next !== undefined) return this.moveTo(editor, next);
    }
    const all = [...this.reviews.values()];
    if (!all.length) return;
    const at = st ? all.indexOf(st) : -1;
    const other = all[(at + direction + all.length) % all.length]!;
    if (!other.proposal) return this.showDiff(other.file.uri);
    if (inlineStyle() === 'lines') {
      const starts = this.merged(other.file.uri.toString())?.hunkStarts ?? [];
      await this.view.open(other.file.uri, other.file.path, (direction > 0 ? starts[0] : starts.at(-1))?.line);
      return;
    }
    const ed = await vscode.window.showTextDocument(other.file.uri, { preview: false });
    const hs = other.proposal.hunks;
    const h = direction > 0 ? hs[0] : hs.at(-1);
    if (h) this.moveTo(ed, h.oldStart);
  }

  private proposedUri(st: FileReviewState): vscode.Uri {
    return vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${st.file.path}`, query: st.file.uri.toString() });
  }

  /** Side-by-side: the file as it is now vs the proposal. */
  async showDiff(uri?: vscode.Uri | string): Promise<void> {
    const st = this.stateOf(uri ?? vscode.window.activeTextEditor?.document.uri);
    if (!st) {
      void vscode.window.showInformationMessage('Tack: no proposed change for this file.');
      return;
    }
    const right = this.proposedUri(st);
    const left = st.file.kind === 'add' ? vscode.Uri.from({ scheme: PROPOSED_SCHEME, path: `/${st.file.path}`, query: 'empty' }) : st.file.uri;
    await vscode.commands.executeCommand('vscode.diff', left, right, `${reveal(st.file.path, { singleLine: true })} (Tack's proposal)`, { preview: true });
  }

  // The proposal documents (FileSystemProvider): one file per file under review.

  private proposalText(uri: vscode.Uri): string {
    if (uri.query === 'empty') return '';
    const st = this.reviews.get(uri.query);
    if (!st) throw vscode.FileSystemError.FileNotFound(uri);
    return st.proposal?.proposed ?? st.file.proposed;
  }

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const text = this.proposalText(uri);
    return { type: vscode.FileType.File, ctime: 0, mtime: this.proposalVersion, size: new TextEncoder().encode(text).length };
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return new TextEncoder().encode(this.proposalText(uri));
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    if (uri.query === 'empty') throw vscode.FileSystemError.NoPermissions('The left side of a new file is empty by definition.');
    // Saving a proposal whose review has ended keeps nothing: there is nothing left to decide.
    const st = this.reviews.get(uri.query);
    if (!st) return;
    if (!st.proposal) throw vscode.FileSystemError.NoPermissions('A new, deleted or moved file is decided as a whole; accept it, then edit the file.');
    this.setProposal(uri, new TextDecoder().decode(content), { fromDocument: true });
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const st = this.stateOf(document.uri);
    if (!st) return [];
    const inProposal = document.uri.scheme === PROPOSED_SCHEME;
    const editor = vscode.window.activeTextEditor;
    const sel = editor?.document === document && !editor.selection.isEmpty ? editor.selection : undefined;
    if (document.uri.scheme === REVIEW_SCHEME) return this.viewLenses(st, document, sel);
    const lenses: vscode.CodeLens[] = [];
    for (const h of pendingOf(st)) {
      const at = inProposal ? h.newStart : h.oldStart;
      const line = Math.min(at, Math.max(document.lineCount - 1, 0));
      const range = new vscode.Range(line, 0, line, 0);
      const args = [st.file.uri.toString(), h.id];
      const partial =
        sel && st.proposal && (inProposal ? pairsForProposedLines(h, sel.start.line, sel.end.line) : pairsForBufferLines(h, sel.start.line, sel.end.line));
      if (partial) {
        lenses.push(
          new vscode.CodeLens(range, { title: '$(check) Accept Selected Lines', command: 'tack.acceptLines', tooltip: 'Accept only the selected lines of this change (Ctrl+Alt+Enter)' }),
          new vscode.CodeLens(range, { title: '$(close) Reject Selected Lines', command: 'tack.rejectLines', tooltip: 'Reject only the selected lines of this change (Ctrl+Alt+Backspace)' }),
        );
      }
      lenses.push(
        new vscode.CodeLens(range, { title: '$(check) Accept', command: 'tack.acceptHunk', arguments: args, tooltip: 'Accept this change (Ctrl+Alt+Enter)' }),
        new vscode.CodeLens(range, { title: '$(close) Reject', command: 'tack.rejectHunk', arguments: args, tooltip: 'Reject this change (Ctrl+Alt+Backspace)' }),
      );
      if (!inProposal) lenses.push(new vscode.CodeLens(range, { title: '$(diff) Diff', command: 'tack.showDiff', arguments: [st.file.uri.toString()] }));
      if (!inProposal && st.proposal) {
        lenses.push(new vscode.CodeLens(range, { title: '$(eye) Show Proposed Lines', command: 'tack.showProposedLines', arguments: [st.file.uri.toString()] }));
      }
    }
    return lenses;
  }

  /** The merged view's lenses, on each change's first line (red or green). */
  private viewLenses(st: FileReviewState, document: vscode.TextDocument, sel: vscode.Selection | undefined): vscode.CodeLens[] {
    const doc = this.merged(st.file.uri.toString());
    if (!doc || doc.text !== document.getText()) return [];
    const last = sel && (sel.end.character === 0 && sel.end.line > sel.start.line ? sel.end.line - 1 : sel.end.line);
    const chosen = sel ? selectedPairs(doc, sel.start.line, last!) : [];
    const lenses: vscode.CodeLens[] = [];
    doc.hunkStarts.forEach(({ id, line }, i) => {
      const range = new vscode.Range(line, 0, line, 0);
      const args = [st.file.uri.toString(), id];
      const n = doc.hunkStarts.length > 1 ? ` (${i + 1}/${doc.hunkStarts.length})` : '';
      if (chosen.some((c) => c.id === id)) {
        lenses.push(
          new vscode.CodeLens(range, { title: '$(check) Accept Selected Lines', command: 'tack.acceptLines', tooltip: 'Accept only the selected lines of this change (Ctrl+Alt+Enter)' }),
          new vscode.CodeLens(range, { title: '$(close) Reject Selected Lines', command: 'tack.rejectLines', tooltip: 'Reject only the selected lines of this change (Ctrl+Alt+Backspace)' }),
        );
      } else {
        lenses.push(new vscode.CodeLens(range, { title: '$(list-selection) Accept Lines...', command: 'tack.selectChangeLines', arguments: args, tooltip: 'Select this change\'s lines, then narrow the selection and accept or reject just those' }));
      }
      lenses.push(
        new vscode.CodeLens(range, { title: `$(check) Accept${n}`, command: 'tack.acceptHunk', arguments: args, tooltip: 'Accept this change (Ctrl+Alt+Enter)' }),
        new vscode.CodeLens(range, { title: '$(close) Reject', command: 'tack.rejectHunk', arguments: args, tooltip: 'Reject this change (Ctrl+Alt+Backspace)' }),
        new vscode.CodeLens(range, { title: '$(diff) Diff', command: 'tack.showDiff', arguments: [st.file.uri.toString()] }),
      );
    });
    return lenses;
  }

  /** Selects the lines of one change in the merged view (the "Accept Lines..." lens), so the person narrows it. */
  selectChangeLines(fileUri: string, hunkId: string): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.uri.scheme !== REVIEW_SCHEME || editor.document.uri.query !== fileUri) return;
    const doc = this.view.shown(editor);
    const rows = doc?.lines.flatMap((l, i) => (l.hunk === hunkId ? [i] : [])) ?? [];
    if (!rows.length) return;
    const first = rows[0]!;
    const last = rows.at(-1)!;
    editor.selection = new vscode.Selection(first, 0, last, editor.document.lineAt(last).text.length);
    void vscode.window.showInformationMessage('Tack: narrow the selection to the lines you want, then Accept Selected Lines (Ctrl+Alt+Enter) or Reject Selected Lines (Ctrl+Alt+Backspace).');
  }

  /** Checks every write of a decision with the write policy, then applies all of them as one WorkspaceEdit. */
  private async write(batch: { st: FileReviewState; step: Step | 'whole' }[]): Promise<void> {
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
    for (const { st, step } of batch) {
      const { file } = st;
      if (step === 'whole') {
        if (file.kind === 'delete') edit.deleteFile(file.uri, { ignoreIfNotExists: true });
        else if (file.kind === 'add') {
          edit.createFile(file.uri, { overwrite: false, ignoreIfExists: false, contents: new TextEncoder().encode(file.proposed) });
        } else if (file.moveUri) {
          edit.createFile(file.moveUri, { overwrite: true, contents: new TextEncoder().encode(file.proposed) });
          edit.deleteFile(file.uri, { ignoreIfNotExists: true });
        }
        continue;
      }
      const doc = await vscode.workspace.openTextDocument(file.uri);
      const now = doc.getText();
      if (now !== st.proposal!.current) throw changedAfterProposal(file.path);
      const target = step.current;
      // Replace only the span that differs, so the cursor and folding elsewhere stay where they were.
      let start = 0;
      while (start < now.length && start < target.length && now[start] === target[start]) start++;
      let endNow = now.length;
      let endTarget = target.length;
      while (endNow > start && endTarget > start && now[endNow - 1] === target[endTarget - 1]) { endNow--; endTarget--; }
      edit.replace(file.uri, new vscode.Range(doc.positionAt(start), doc.positionAt(endNow)), target.slice(start, endTarget));
    }
    const named = batch.map((b) => b.st.file.path).join(', ');
    for (const b of batch) b.st.writing = true;
    try {
      if (!(await vscode.workspace.applyEdit(edit))) {
        // VS Code refuses an edit made for a document version that is no longer current: the file
        // changed (a reload from disk, typing) between the check above and the edit. Its change event
        // reaches this side before the refusal, so the text shows which file it was.
        for (const { st, step } of batch) {
          if (step === 'whole') continue;
          const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === st.file.uri.toString());
          if (doc && doc.getText() !== st.proposal!.current) throw changedAfterProposal(st.file.path);
        }
        throw new Error(`VS Code refused the edit to ${named}`);
      }
    } finally {
      for (const b of batch) b.st.writing = false;
    }
  }

  private statesOf(st: FileReviewState): Record<string, HunkState> {
    if (st.proposal) return st.proposal.states();
    return Object.fromEntries(st.whole!.ids.map((id) => [id, st.whole!.state]));
  }

  private afterChange(st: FileReviewState): void {
    const lines = st.proposal?.landedLines();
    this.statesChanged.fire({ reviewId: st.reviewId, path: st.file.path, states: st.proposal ? st.proposal.states(lines) : this.statesOf(st), ...(lines ? { lines } : {}) });
    if (pendingOf(st).length === 0) this.complete(st);
    else this.view.refresh(st.file.uri);
    this.render();
    this.reviewsChanged.fire();
  }

  /** Rejects everything still pending in a file (with the reason when it is not the person's decision). */
  private finish(st: FileReviewState, error?: string): void {
    if (st.proposal) {
      const ids = st.proposal.hunks.map((h) => h.id);
      if (ids.length) st.proposal.commit(st.proposal.reject(ids));
    } else if (st.whole?.state === 'pending') st.whole.state = 'rejected';
    if (error) st.error = error;
    this.afterChange(st);
  }

  private complete(st: FileReviewState): void {
    const key = st.file.uri.toString();
    if (this.reviews.get(key) !== st) return;
    this.reviews.delete(key);
    this.closeView(st);
    const result = st.proposal
      ? st.proposal.result()
      : st.whole!.state === 'accepted'
        ? { acceptedHunkIds: st.whole!.ids, rejectedHunkIds: [] }
        : { acceptedHunkIds: [], rejectedHunkIds: st.whole!.ids };
    const finish = () => st.done({ path: st.file.path, ...result, ...(st.error ? { error: st.error } : {}) });
    // Save what was accepted, unless the person had unsaved work of their own in that buffer.
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    const changed = st.proposal && st.proposal.current !== st.proposal.original;
    if (changed && doc?.isDirty && !st.wasDirty) {
      doc.save().then(
        (ok) => { if (!ok) this.log.warn(`could not save ${st.file.path}`); finish(); },
        (e) => { this.log.error(`saving ${st.file.path}: ${e}`); st.error = `saving failed: ${e}`; finish(); },
      );
    } else finish();
  }

  /** The review of a file ended: its merged view closes; when the person was in it, the file opens in its place. */
  private closeView(st: FileReviewState): void {
    const key = st.file.uri.toString();
    const active = vscode.window.activeTextEditor;
    const wasActive = active?.document.uri.scheme === REVIEW_SCHEME && active.document.uri.query === key;
    const line = wasActive ? st.merged?.doc.lines[active.selection.active.line]?.bufferLine : undefined;
    void this.view.close(key).then(async (closed) => {
      if (!closed || !wasActive || st.file.kind !== 'modify') return;
      // Another file still under review opens next; else the file itself, where the person was.
      const next = [...this.reviews.values()].find((o) => o.proposal);
      if (next && inlineStyle() === 'lines') {
        await this.view.open(next.file.uri, next.file.path, this.merged(next.file.uri.toString())?.hunkStarts[0]?.line, { preserveFocus: true });
        return;
      }
      const editor = await vscode.window.showTextDocument(st.file.uri, { preview: false, preserveFocus: true });
      if (line !== undefined) this.moveTo(editor, Math.min(line, editor.document.lineCount - 1));
    }).then(undefined, (e) => this.log.warn(`closing the proposed lines of ${st.file.path}: ${e}`));
  }

  private render(): void {
    // With the proposed lines in a view of their own, the file says how many lines a change proposes
    // rather than a one-line hint cut off at the editor's edge.
    const lines = inlineStyle() === 'lines';
    for (const editor of vscode.window.visibleTextEditors) {
      const st = editor.document.uri.scheme === PROPOSED_SCHEME ? undefined : this.reviews.get(editor.document.uri.toString());
      const removed: vscode.DecorationOptions[] = [];
      const inserted: vscode.DecorationOptions[] = [];
      for (const h of st?.proposal?.hunks ?? []) {
        const start = h.oldStart;
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
            renderOptions: {
              after: {
                contentText: lines
                  ? `+ ${h.newLines.length} proposed line${h.newLines.length === 1 ? '' : 's'} (Show Proposed Lines)`
                  : `+ ${insertionLabel(h.newLines)}`,
              },
            },
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
    void vscode.commands.executeCommand('setContext', 'tack.editorHasChanges', this.stateOf(uri) !== undefined);
    void vscode.commands.executeCommand('setContext', 'tack.hasChanges', this.reviews.size > 0);
  }
}
