// Files as the person sees them: an open editor's buffer (unsaved changes included) wins over disk.
import * as vscode from 'vscode';
import type { FileMap } from '../generated/types/FileMap';
import { readFileMap } from '../host/patch/workspace-files';

export type { FileMap } from '../generated/types/FileMap';

export function workspaceRoot(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('Open a folder first: Tack works inside a workspace folder.');
  return folder.uri;
}

/** Disk first (it also refuses paths leading out of the workspace), then open buffers replace it. */
export function readWorkspaceFiles(root: vscode.Uri, paths: readonly string[]): FileMap {
  const files: FileMap = readFileMap(root.fsPath, paths);
  for (const p of paths) {
    const st = files[p];
    if (!st || st.state === 'outsideWorkspace' || st.state === 'directory') continue;
    const uri = vscode.Uri.joinPath(root, p).toString();
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
    if (doc && !doc.isClosed) files[p] = { state: 'text', contents: doc.getText() };
  }
  return files;
}
