// "Tack: Review a Patch": an apply_patch text from anywhere (the editor, the clipboard) applied to the
// workspace through the same inline review as the agent's edits. Nothing is written until accepted.
import * as vscode from 'vscode';
import { reveal } from '../shared/display';
import { requireTrust } from './trust';
import type { FileChange } from '../generated/types/FileChange';
import { engines, formatPatchError } from '../host/patch/engine';
import { readWorkspaceFiles, workspaceRoot } from './buffers';
import type { FileOutcome, InlineDiffManager, ReviewFile, WriteGuard } from './inline-diff/manager';

const MARKER = '*** Begin Patch';

/** The patch text: the selection, else the active document when it holds a patch, else the clipboard. */
async function findPatchText(): Promise<string> {
  const editor = vscode.window.activeTextEditor;
  if (editor) {
    const sel = editor.document.getText(editor.selection);
    if (sel.includes(MARKER)) return sel;
    const all = editor.document.getText();
    if (all.includes(MARKER)) return all;
  }
  const clip = await vscode.env.clipboard.readText();
  if (clip.includes(MARKER)) return clip;
  throw new Error(`No patch found: select a patch starting with "${MARKER}", open a file holding one, or copy one to the clipboard.`);
}

/** The engine's changes as files for the inline review. */
export function reviewFilesOf(root: vscode.Uri, changes: readonly FileChange[]): ReviewFile[] {
  return changes.map((c) => ({
    path: c.path,
    uri: vscode.Uri.joinPath(root, c.path),
    kind: c.kind === 'add' ? 'add' : c.kind === 'delete' ? 'delete' : 'modify',
    ...(c.movePath ? { moveUri: vscode.Uri.joinPath(root, c.movePath), movePath: c.movePath } : {}),
    original: c.original ?? '',
    proposed: c.newContents ?? '',
  }));
}

/** `guard` checks each accepted write (the person's own patch: workspace-write rules, so never `.git`). */
export async function reviewPatch(inlineDiff: InlineDiffManager, log: vscode.LogOutputChannel, text?: string, guard?: WriteGuard): Promise<FileOutcome[]> {
  requireTrust(); // accepting would write to the workspace
  const patchText = text ?? (await findPatchText());
  const root = workspaceRoot();
  const e = engines();
  const paths = e.patchPaths(patchText);
  if (!paths.ok) throw new Error(`The patch is not valid: ${formatPatchError(paths.error)}`);
  const applied = e.applyPatch(patchText, readWorkspaceFiles(root, paths.paths));
  if (!applied.ok) throw new Error(`The patch does not apply: ${formatPatchError(applied.error)}`);
  const reviewId = `manual-${Date.now().toString(36)}`;
  log.info(`reviewing a patch touching ${applied.changes.map((c) => c.path).join(', ')}`);
  const outcomes = await inlineDiff.review(reviewId, reviewFilesOf(root, applied.changes), guard);
  const summary = outcomes
    .map((o) => `${o.path}: ${o.error ? `failed (${o.error})` : `${o.acceptedHunkIds.length} accepted, ${o.rejectedHunkIds.length} rejected`}`)
    .join('; ');
  log.info(`patch review done: ${summary}`);
  void vscode.window.showInformationMessage(`Tack: ${reveal(summary, { singleLine: true })}`);
  return outcomes;
}
