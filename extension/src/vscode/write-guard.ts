// The write policy for edits VS Code applies (accepted hunks, whole-file decisions, edits the policy
// applies without review): before VS Code's file service writes, the sidecar resolves every target
// race-free and refuses `.git` and git directories, read-only, and anything outside the workspace.
import * as vscode from 'vscode';
import type { SandboxMode } from '../generated/types/SandboxMode';
import { checkWrites, writePolicyFor } from '../host/patch/atomic-write';
import type { SidecarClient } from '../host/sidecar';
import type { WriteGuard } from './inline-diff/manager';

export function writeGuard(sidecar: () => SidecarClient, root: vscode.Uri, mode: SandboxMode): WriteGuard {
  const cwd = root.fsPath;
  return (writes, deletes) => checkWrites(sidecar(), { cwd, policy: writePolicyFor(mode, cwd) }, writes, deletes);
}
