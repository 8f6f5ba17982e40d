// Workspace Trust. In Restricted Mode (an untrusted folder) Tack runs no commands and writes no
// edits: no agent turns, no palette tasks that run git or review patches, no sidecar at all. Chatting
// is off too, since every turn may want to run something. Setting the key, picking a model and the log
// still work. package.json declares `capabilities.untrustedWorkspaces: limited` to match.
import * as vscode from 'vscode';

export const RESTRICTED_MESSAGE =
  'This folder is in Restricted Mode, so Tack runs no commands and writes no edits here. ' +
  'If you trust its contents, use "Workspaces: Manage Workspace Trust" to trust it, then try again.';

export class WorkspaceUntrustedError extends Error {
  constructor() {
    super(RESTRICTED_MESSAGE);
    this.name = 'WorkspaceUntrustedError';
  }
}

export function isTrusted(): boolean {
  return vscode.workspace.isTrusted;
}

/** Throws WorkspaceUntrustedError in Restricted Mode. */
export function requireTrust(): void {
  if (!vscode.workspace.isTrusted) throw new WorkspaceUntrustedError();
}
