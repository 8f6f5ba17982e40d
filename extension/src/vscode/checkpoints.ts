// "Tack: Restore Checkpoint…": pick one of the checkpoints Tack recorded before agents' turns in this
// workspace, see in a modal which files the restore changes (and which the person changed after the
// agent's turn: a copy of those is kept), and restore the files. See docs/checkpoints.md.
import * as vscode from 'vscode';
import { defaultCheckpointsDir } from '../host/agent/checkpoints';
import type { CheckpointChange, SidecarClient } from '../host/sidecar';
import { reveal } from '../shared/display';

const VERBS: Record<string, string> = { restore: 'restore', remove: 'remove', modify: 'revert', mode: 'reset mode of' };

function firstLine(s: string | null | undefined): string {
  return reveal((s ?? '').split('\n')[0].trim() || '(no prompt)', { singleLine: true });
}

/** The modal's detail: every file the restore changes (the first 40), person-edited ones marked. */
export function describeRestore(changes: CheckpointChange[]): string {
  const lines = changes.slice(0, 40).map((c) => `${VERBS[c.action] ?? c.action} ${reveal(c.path, { singleLine: true })}${c.personEdited ? '  (changed after the agent: a copy is kept)' : ''}`);
  if (changes.length > 40) lines.push(`… and ${changes.length - 40} more`);
  const edited = changes.filter((c) => c.personEdited).length;
  const head = `${changes.length} file(s) will change${edited ? `; ${edited} of them you changed after the agent's turn, and a copy of your version is kept` : ''}. Files .gitignore excludes are not touched.`;
  return `${head}\n\n${lines.join('\n')}`;
}

/**
 * Restores a checkpoint after the person confirms; `onRestored` hears the paths written (also those an
 * "Undo Restore" writes back), so the Changes view can drop the decisions they replace.
 */
export async function restoreCheckpoint(sidecar: SidecarClient, root: string, id?: string, onRestored?: (paths: string[]) => void): Promise<void> {
  const storeDir = defaultCheckpointsDir();
  if (!id) {
    const list = await sidecar.checkpoint('list', { storeDir, root, withChanges: true });
    const items = list.checkpoints
      .slice()
      .reverse()
      .map((c) => ({
        label: c.kind === 'restore' ? `$(history) ${firstLine(c.prompt)}` : firstLine(c.prompt),
        description: new Date(c.createdAt).toLocaleString(),
        detail: `${c.id} · ${c.changed ?? 0} file(s) would change`,
        id: c.id,
      }));
    if (items.length === 0) {
      void vscode.window.showInformationMessage('Tack: no checkpoints in this workspace yet. One is recorded before each turn that changes files.');
      return;
    }
    const pick = await vscode.window.showQuickPick(items, { title: 'Tack: restore the files to before…', matchOnDetail: true });
    if (!pick) return;
    id = pick.id;
  }
  const diff = await sidecar.checkpoint('diff', { storeDir, root, id });
  if (diff.changes.length === 0) {
    void vscode.window.showInformationMessage(`Tack: the files already match checkpoint ${id}.`);
    return;
  }
  const ok = await vscode.window.showWarningMessage('Restore checkpoint?', { modal: true, detail: describeRestore(diff.changes) }, 'Restore Files');
  if (ok !== 'Restore Files') return;
  const r = await sidecar.checkpoint('restore', { storeDir, root, id });
  const failedPaths = new Set(r.failed.map((f) => f.path));
  const written = r.changes.map((c) => c.path).filter((p) => !failedPaths.has(p));
  if (written.length) onRestored?.(written);
  const kept = r.kept.length ? ` Your versions of ${r.kept.length} file(s) were kept in ${r.kept[0].copy.slice(0, r.kept[0].copy.length - r.kept[0].path.length)}.` : '';
  const failed = r.failed.length ? ` ${r.failed.length} could not be restored: ${r.failed.map((f) => `${f.path} (${f.message})`).join('; ')}.` : '';
  const msg = `Tack: restored ${r.changes.length - r.failed.length} file(s) to checkpoint ${r.id}.${kept}${failed}`;
  const undo = await (r.failed.length ? vscode.window.showWarningMessage(msg, 'Undo Restore') : vscode.window.showInformationMessage(msg, 'Undo Restore'));
  if (undo === 'Undo Restore') await restoreCheckpoint(sidecar, root, r.undoId, onRestored);
}
