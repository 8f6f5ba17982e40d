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

/** One decided edit of a file: the typed message whose turn made it (the core's number), its state. */
interface Decision {
  message: number | undefined;
  status: ChangeStatus;
  movePath?: string;
}

/** The decided edits of the current session, from its completed file_change items. */
export class DecidedEdits {
  private thread: string | undefined;
  /** Every decision about a path, oldest first; the row shows what they add up to. */
  private readonly byPath = new Map<string, Decision[]>();

  /** Files of an edit (`itemId`, path) where a change was accepted only in part (the review said so). */
  private readonly partly = new Set<string>();

  /** The review reported a change of this edit's file as partly accepted (lines chosen, proposal edited). */
  notePartial(itemId: string, path: string): void {
    this.partly.add(`${itemId}\u0000${path}`);
  }

  /**
   * Takes a thread event; `message` is the number of the typed message whose turn is running (the
   * core's `typedMessages() - 1`), recorded with each edit so a rewind can drop it. True when the
   * list changed.
   */
  note(event: ThreadEvent, message?: number): boolean {
    if (event.type === 'thread.started') {
      if (event.thread_id === this.thread) return false;
      this.thread = event.thread_id;
      const had = this.byPath.size > 0;
      this.byPath.clear();
      return had;
    }
    // The conversation went back to before message `to_user_message`: its turns' edits are undone.
    if (event.type === 'conversation.rewound') return this.drop(undefined, event.to_user_message);
    if (event.type !== 'item.completed' || event.item.type !== 'file_change') return false;
    const item = event.item as Extract<Item, { type: 'file_change' }>;
    item.changes.forEach((c, i) => {
      const states = Object.values(item.hunk_states?.[i] ?? {});
      let status: ChangeStatus;
      if (item.status === 'failed') status = 'failed';
      else if (states.length) {
        // A hunk the core recorded as partly accepted counts as taken, but not as landed whole.
        const whole = states.filter((s) => s === 'accepted').length;
        const taken = whole + states.filter((s) => s === 'partial').length;
        status = taken === 0 ? 'rejected' : whole === states.length && !this.partly.has(`${item.id}\u0000${c.path}`) ? 'accepted' : 'partial';
      } else status = item.status === 'completed' ? 'accepted' : item.status === 'declined' ? 'rejected' : 'partial';
      const list = this.byPath.get(c.path) ?? [];
      list.push({ message, status, ...(c.move_path ? { movePath: c.move_path } : {}) });
      this.byPath.set(c.path, list);
    });
    return true;
  }

  /**
   * Files were restored to the checkpoint of typed message `fromMessage` (the state before its turn):
   * the edits of `paths` made from that message on no longer hold; earlier ones still do. Without a
   * number (a file reverted to the session's first checkpoint), every edit of `paths` goes. True when
   * the list changed.
   */
  restored(paths: readonly string[], fromMessage?: number): boolean {
    return this.drop(new Set(paths), fromMessage);
  }

  /**
   * Drops the decisions of `paths` (every path when undefined) made from typed message `fromMessage`
   * on (all of them when undefined). A decision whose message is unknown survives a rewind (it may be
   * older) but not a restore of its file.
   */
  private drop(paths: Set<string> | undefined, fromMessage: number | undefined): boolean {
    let changed = false;
    for (const [path, list] of this.byPath) {
      if (paths && !paths.has(path)) continue;
      const kept = list.filter((d) => fromMessage !== undefined && (d.message === undefined ? !paths : d.message < fromMessage));
      if (kept.length === list.length) continue;
      changed = true;
      if (kept.length) this.byPath.set(path, kept);
      else this.byPath.delete(path);
    }
    return changed;
  }

  files(): ChangedFile[] {
    const out: ChangedFile[] = [];
    for (const [path, list] of this.byPath) {
      // A later decision about the same file replaces an earlier one, except that a file once
      // changed stays listed as changed when a later edit of it was rejected.
      let shown: Decision | undefined;
      for (const d of list) if (!(shown && d.status === 'rejected' && shown.status !== 'rejected')) shown = d;
      if (shown) out.push({ path, status: shown.status, source: 'edit', ...(shown.movePath ? { movePath: shown.movePath } : {}) });
    }
    return out;
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
