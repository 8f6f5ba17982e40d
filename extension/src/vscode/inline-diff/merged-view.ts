// The inline review drawn as real lines: a read-only document (`tack-review:`) whose text is the file
// with each pending hunk's removed lines followed by its added lines (merged.ts), in the file's own
// language, with whole-line red and green backgrounds and "−"/"+" in the gutter. The person's buffer
// never holds proposed text: this is a separate, virtual document that VS Code renders as a normal
// editor; the manager gives it its CodeLens and maps its cursor and selection back to the review.
import * as vscode from 'vscode';
import type { MergedDocument } from './merged';

export const REVIEW_SCHEME = 'tack-review';

/** What the view needs from the review: the merged document of a file under review (by its uri string). */
export interface MergedSource {
  merged(fileUri: string): MergedDocument | undefined;
  languageOf(fileUri: string): string | undefined;
}

export type InlineStyle = 'lines' | 'decorations';

/** The setting `tack.review.inlineStyle`: "lines" (the merged view, the default) or "decorations". */
export function inlineStyle(): InlineStyle {
  return vscode.workspace.getConfiguration('tack').get<string>('review.inlineStyle') === 'decorations' ? 'decorations' : 'lines';
}

export class MergedReviewView implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private readonly removed: vscode.TextEditorDecorationType;
  private readonly added: vscode.TextEditorDecorationType;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly source: MergedSource,
    media: vscode.Uri,
  ) {
    this.removed = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Left,
      gutterIconPath: vscode.Uri.joinPath(media, 'gutter-delete.svg'),
      gutterIconSize: 'contain',
    });
    this.added = vscode.window.createTextEditorDecorationType({
      isWholeLine: true,
      backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
      overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
      overviewRulerLane: vscode.OverviewRulerLane.Left,
      gutterIconPath: vscode.Uri.joinPath(media, 'gutter-insert.svg'),
      gutterIconSize: 'contain',
    });
    this.disposables.push(
      this.changed,
      this.removed,
      this.added,
      vscode.workspace.registerTextDocumentContentProvider(REVIEW_SCHEME, this),
      // VS Code reads the new text after `onDidChange`; the lines are decorated once it shows it.
      vscode.workspace.onDidChangeTextDocument((e) => { if (e.document.uri.scheme === REVIEW_SCHEME) this.decorate(); }),
      vscode.window.onDidChangeVisibleTextEditors(() => this.decorate()),
    );
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
  }

  /** The view of one file under review (the file's name last, so its language and icon are the file's). */
  uriOf(fileUri: vscode.Uri, path: string): vscode.Uri {
    return vscode.Uri.from({ scheme: REVIEW_SCHEME, path: `/${path.replace(/^\/+/, '')}`, query: fileUri.toString() });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.source.merged(uri.query)?.text ?? '';
  }

  /** The review of this file changed: its views reload (and are decorated when they show the new text). */
  refresh(fileUri: vscode.Uri | string): void {
    const key = fileUri.toString();
    for (const doc of vscode.workspace.textDocuments) {
      if (doc.uri.scheme === REVIEW_SCHEME && doc.uri.query === key) this.changed.fire(doc.uri);
    }
    this.decorate();
  }

  /** Opens the view of a file under review, at a line of the merged text. */
  async open(fileUri: vscode.Uri, path: string, line: number | undefined, opts: { preserveFocus?: boolean } = {}): Promise<vscode.TextEditor> {
    let doc = await vscode.workspace.openTextDocument(this.uriOf(fileUri, path));
    const lang = this.source.languageOf(fileUri.toString());
    if (lang && doc.languageId !== lang) doc = await vscode.languages.setTextDocumentLanguage(doc, lang);
    const editor = await vscode.window.showTextDocument(doc, { preview: false, preserveFocus: opts.preserveFocus ?? false });
    this.decorate();
    if (line !== undefined) {
      const at = new vscode.Position(Math.min(line, Math.max(doc.lineCount - 1, 0)), 0);
      editor.selection = new vscode.Selection(at, at);
      editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    return editor;
  }

  /** Closes every view of a file whose review ended. */
  async close(fileUri: vscode.Uri | string): Promise<boolean> {
    const key = fileUri.toString();
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) =>
      t.input instanceof vscode.TabInputText && t.input.uri.scheme === REVIEW_SCHEME && t.input.uri.query === key);
    if (!tabs.length) return false;
    await vscode.window.tabGroups.close(tabs, true);
    return true;
  }

  /** The merged document shown in an editor, when that editor shows exactly the review's current text. */
  shown(editor: vscode.TextEditor): MergedDocument | undefined {
    const doc = this.source.merged(editor.document.uri.query);
    return doc && doc.text === editor.document.getText() ? doc : undefined;
  }

  /** Red and green whole lines in every visible view whose text is the review's current one. */
  decorate(): void {
    for (const editor of vscode.window.visibleTextEditors) {
      if (editor.document.uri.scheme !== REVIEW_SCHEME) continue;
      const doc = this.shown(editor);
      const removed: vscode.Range[] = [];
      const added: vscode.Range[] = [];
      doc?.lines.forEach((l, i) => {
        if (l.kind === 'removed') removed.push(new vscode.Range(i, 0, i, 0));
        else if (l.kind === 'added') added.push(new vscode.Range(i, 0, i, 0));
      });
      editor.setDecorations(this.removed, removed);
      editor.setDecorations(this.added, added);
    }
  }
}
