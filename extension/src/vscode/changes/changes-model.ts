// What the Changes view lists, kept without `vscode` (unit-tested under node): every file the session
// changed or proposes to change. Proposals under review come from the inline review; decided edits from
// the session's file_change items; files changed by commands from other sources (the turn's
// checkpoint), through `ChangeSource`.
import type { ThreadEvent } from '../../generated/types/ThreadEvent';

export type ChangeStatus = 'pending' | 'accepted' | 'partial' | 'rejected' | 'failed' | 'changed';

export interface ChangedFile {
  /** Workspace-relative path. */
  path: string;
  status: ChangeStatus;
  /** Where the change comes from: an edit the model proposed, or a command (from a checkpoint). */
  source: 'edit' | 'command';
  /** For pending edits: how many changes wait for a decision. */
  pending?: number;
  /** For pending edits: the review they belong to (the file_change item id). */
  reviewId?: string;
  /** A move's destination. */
  movePath?: string;
  /** For files changed by commands: the checkpoint they are compared with (open diff, revert). */
  checkpoint?: string;
}

/**
 * The seam for other producers of changed files (the checkpoints of commands): a list and a change
 * event. The view shows every source's files; the first source naming a path wins.
 */
export interface ChangeSource {
  files(): ChangedFile[];
  onDidChange(listener: () => void): { dispose(): void };
}

type Item = Extract<ThreadEvent, { type: 'item.completed' }>['item'];

/** The decided edits of the current session, from its completed file_change items. */
export class DecidedEdits {
  private thread: string | undefined;
  private readonly byPath = new Map<string, ChangedFile>();
  /** Files of an edit (`itemId`, path) where a change was accepted only in part (the review said so). */
  private readonly partly = new Set<string>();

  /** The review reported a change of this edit's file as partly accepted (lines chosen, proposal edited). */
  notePartial(itemId: string, path: string): void {
    this.partly.add(`${itemId}\u0000${path}`);
  }

  /** Takes a thread event; true when the list changed. */
  note(event: ThreadEvent): boolean {
    if (event.type === 'thread.started') {
      if (event.thread_id === this.thread) return false;
      this.thread = event.thread_id;
      const had = this.byPath.size > 0;
      this.byPath.clear();
      return had;
    }
    if (event.type !== 'item.completed' || event.item.type !== 'file_change') return false;
    const item = event.item as Extract<Item, { type: 'file_change' }>;
    item.changes.forEach((c, i) => {
      const states = Object.values(item.hunk_states?.[i] ?? {});
      let status: ChangeStatus;
      if (item.status === 'failed') status = 'failed';
      else if (states.length) {
        const accepted = states.filter((s) => s === 'accepted').length;
        status = accepted === 0 ? 'rejected' : accepted === states.length && !this.partly.has(`${item.id}\u0000${c.path}`) ? 'accepted' : 'partial';
      } else status = item.status === 'completed' ? 'accepted' : item.status === 'declined' ? 'rejected' : 'partial';
      // A later decision about the same file replaces an earlier one, except that a file once
      // changed stays listed as changed when a later edit of it was rejected.
      const before = this.byPath.get(c.path);
      if (before && status === 'rejected' && before.status !== 'rejected') return;
      this.byPath.set(c.path, { path: c.path, status, source: 'edit', ...(c.move_path ? { movePath: c.move_path } : {}) });
    });
    return true;
  }

  files(): ChangedFile[] {
    return [...this.byPath.values()];
  }

  clear(): void {
    this.byPath.clear();
  }
}

/** Pending proposals first, then everything else, each path once, sorted by path within a group. */
export function mergeChanges(pending: ChangedFile[], ...others: ChangedFile[][]): ChangedFile[] {
  const seen = new Set<string>();
  const out: ChangedFile[] = [];
  for (const list of [pending, ...others]) {
    for (const f of [...list].sort((a, b) => a.path.localeCompare(b.path))) {
      if (seen.has(f.path)) continue;
      seen.add(f.path);
      out.push(f);
    }
  }
  return out;
}

export const STATUS_LABEL: Record<ChangeStatus, string> = {
  pending: 'pending review',
  accepted: 'accepted',
  partial: 'partly accepted',
  rejected: 'rejected',
  failed: 'not written',
  changed: 'changed by a command',
};
