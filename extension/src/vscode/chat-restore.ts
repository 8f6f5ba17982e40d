// A chat message's "Restore checkpoint" (docs/checkpoints.md): the person chooses files only, or files
// and the conversation; a modal lists the files that will change (and the ones they changed after the
// agent's turn, of which a copy is kept) before anything is written. Files and conversation: the
// conversation is rewound first (the core may refuse: then nothing at all is changed), then the files
// are restored, the transcript drops the message and what followed, and the message goes back into
// the input for editing.
import * as vscode from 'vscode';
import { defaultCheckpointsDir } from '../host/agent/checkpoints';
import type { SidecarClient } from '../host/sidecar';
import type { HostMessage } from '../shared/chat-protocol';
import { describeRestore, restoreCheckpoint } from './checkpoints';

export interface ChatRestoreOptions {
  sidecar: SidecarClient;
  root: string;
  checkpoint: string;
  /** The message's number among the session's typed messages. */
  index: number;
  /** Rewinds the conversation to just before message `index`; resolves with its text, rejects with why not. */
  rewind: (index: number) => Promise<string>;
  post: (message: HostMessage) => void;
  /** Records the notice in the session file (a `filesRestored` record the replay shows again). */
  record: (notice: string) => Promise<void>;
  focusInput: (prefill: string) => Promise<void>;
}

type Choice = 'files' | 'both';

/** Resolves with the paths restored (none when nothing was), or undefined when nothing was done. */
export async function restoreFromChat(o: ChatRestoreOptions): Promise<string[] | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      {
        label: '$(file) Files only',
        description: 'the conversation stays as it is',
        detail: 'Put the files back as they were before this message.',
        choice: 'files' as Choice,
      },
      {
        label: '$(discard) Files and conversation',
        description: 'edit the message and send it again',
        detail: 'Put the files back, and drop this message and everything after it from the conversation.',
        choice: 'both' as Choice,
      },
    ],
    { title: 'Restore checkpoint', placeHolder: 'Restore what the workspace looked like before this message' },
  );
  if (!picked) return undefined;
  const both = picked.choice === 'both';
  const params = { storeDir: defaultCheckpointsDir(), root: o.root, id: o.checkpoint };
  const diff = await o.sidecar.checkpoint('diff', params);
  const files = diff.changes.length;
  const detail =
    (files === 0 ? 'No file differs from the checkpoint.' : describeRestore(diff.changes)) +
    (both ? '\n\nThe conversation goes back to before this message: it and everything after it are removed, and the message returns to the input.' : '');
  const action = both ? 'Restore Files and Conversation' : 'Restore Files';
  if (!both && files === 0) {
    void vscode.window.showInformationMessage(`Tack: the files already match checkpoint ${o.checkpoint}.`);
    return [];
  }
  const ok = await vscode.window.showWarningMessage(both ? 'Restore the files and the conversation?' : 'Restore the files?', { modal: true, detail }, action);
  if (ok !== action) return undefined;

  let text: string | undefined;
  if (both) {
    try {
      text = await o.rewind(o.index);
    } catch (err) {
      void vscode.window.showErrorMessage(`Tack: nothing was restored: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }
  let restoredNote: string;
  let undoId: string | undefined;
  let restored: string[] = [];
  if (files > 0) {
    const r = await o.sidecar.checkpoint('restore', params);
    const done = r.changes.length - r.failed.length;
    undoId = r.undoId;
    const failed = new Set(r.failed.map((f) => f.path));
    restored = r.changes.map((c) => c.path).filter((p) => !failed.has(p));
    restoredNote = `Restored checkpoint (${done} file${done === 1 ? '' : 's'})`;
    if (r.kept.length) restoredNote += `; your versions of ${r.kept.length} file(s) were kept in ${r.kept[0].copy.slice(0, r.kept[0].copy.length - r.kept[0].path.length)}`;
    if (r.failed.length) restoredNote += `; ${r.failed.length} could not be restored: ${r.failed.map((f) => `${f.path} (${f.message})`).join('; ')}`;
  } else {
    restoredNote = 'Restored checkpoint (0 files)';
  }
  const notice = text !== undefined ? `${restoredNote} and the conversation to before your message.` : `${restoredNote}.`;
  if (text !== undefined) o.post({ type: 'rewound', index: o.index });
  o.post({ type: 'notice', text: notice });
  await o.record(notice);
  if (text !== undefined) await o.focusInput(text);
  if (undoId) {
    const id = undoId;
    void vscode.window.showInformationMessage(`Tack: ${restoredNote}.`, 'Undo File Restore').then((undo) => {
      if (undo === 'Undo File Restore') void restoreCheckpoint(o.sidecar, o.root, id);
    });
  }
  return restored;
}
