// Every write the host makes for the model (apply_patch in the CLI and in VS Code) goes through the
// sidecar's `fs/applyChanges` (or is checked first with `fs/checkWrite`): Node cannot resolve a path
// race-free (no openat), so the sidecar opens each directory beneath a writable root's handle, refuses
// `.git` and git directories, obeys read-only, and lands the whole change set or none of it.
import type { FsApplyChangesParams } from '../../generated/types/FsApplyChangesParams';
import type { FsApplyChangesResult } from '../../generated/types/FsApplyChangesResult';
import type { FsChange } from '../../generated/types/FsChange';
import type { FsCheckWriteParams } from '../../generated/types/FsCheckWriteParams';
import type { SandboxMode } from '../../generated/types/SandboxMode';
import type { WritePolicy } from '../../generated/types/WritePolicy';
import type { FileChange } from './engine';

export type { WritePolicy } from '../../generated/types/WritePolicy';

export class ApplyChangesError extends Error {
  constructor(
    message: string,
    /** The sidecar's reason (`git-dir`, `read-only`, `outside-roots`, `io`, ...) when it refused or failed. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'ApplyChangesError';
  }
}

/** What the writer needs of the sidecar client (SidecarClient has both). */
export interface ChangeWriter {
  applyChanges(params: FsApplyChangesParams): Promise<FsApplyChangesResult>;
  checkWrite(params: FsCheckWriteParams): Promise<void>;
}

/** Where the host's writes may land: paths relative to `cwd`, under `policy`. */
export interface WriteTarget {
  cwd: string;
  policy: WritePolicy;
}

/** The policy a session's sandbox mode gives the host's writes: the workspace and any extra roots. */
export function writePolicyFor(mode: SandboxMode, cwd: string, extraRoots: readonly string[] = []): WritePolicy {
  return { mode, writableRoots: [cwd, ...extraRoots.filter((r) => r !== cwd)] };
}

/** One line per file, as `tack apply-patch` prints: `A path`, `M path`, `D path`; a move prints `M <destination>`. */
export function summarizeChanges(changes: readonly FileChange[]): string[] {
  return changes.map((c) => {
    if (c.kind === 'add') return `A ${c.path}`;
    if (c.kind === 'delete') return `D ${c.path}`;
    return `M ${c.movePath ?? c.path}`;
  });
}

/** The engine's changes as the sidecar's change set. */
export function toFsChanges(changes: readonly FileChange[]): FsChange[] {
  return changes.map((c): FsChange => {
    if (c.kind === 'delete') return { kind: 'delete', path: c.path };
    if (c.newContents == null) throw new ApplyChangesError(`${c.path}: the change has no new contents`);
    if (c.movePath != null && c.movePath !== c.path) return { kind: 'move', from: c.path, to: c.movePath, contents: c.newContents };
    return { kind: 'write', path: c.path, contents: c.newContents };
  });
}

function reasonOf(err: unknown): string | undefined {
  const data = (err as { data?: { reason?: unknown } } | undefined)?.data;
  return typeof data?.reason === 'string' ? data.reason : undefined;
}

function asApplyError(err: unknown): ApplyChangesError {
  if (err instanceof ApplyChangesError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ApplyChangesError(message, reasonOf(err));
}

/**
 * Writes every change (adds, modifications with final contents, deletions, moves), all or nothing,
 * through the sidecar. Returns the summary lines. Throws ApplyChangesError, whose message says what
 * was refused or failed and why (it becomes the apply_patch tool output), with every file as it was.
 */
export async function writeChanges(writer: ChangeWriter, target: WriteTarget, changes: readonly FileChange[]): Promise<string[]> {
  const fsChanges = toFsChanges(changes);
  try {
    await writer.applyChanges({ cwd: target.cwd, policy: target.policy, changes: fsChanges });
  } catch (err) {
    throw asApplyError(err);
  }
  return summarizeChanges(changes);
}

/** Refuses (ApplyChangesError) unless writing `writes` and removing `deletes` is allowed right now. */
export async function checkWrites(
  writer: ChangeWriter,
  target: WriteTarget,
  writes: readonly string[],
  deletes: readonly string[] = [],
): Promise<void> {
  try {
    await writer.checkWrite({ cwd: target.cwd, policy: target.policy, writes: [...writes], deletes: [...deletes] });
  } catch (err) {
    throw asApplyError(err);
  }
}

/** The paths a change set writes and removes (for checkWrites). */
export function touchedPaths(changes: readonly FileChange[]): { writes: string[]; deletes: string[] } {
  const writes: string[] = [];
  const deletes: string[] = [];
  for (const c of changes) {
    if (c.kind === 'delete') deletes.push(c.path);
    else {
      writes.push(c.movePath ?? c.path);
      if (c.movePath != null && c.movePath !== c.path) deletes.push(c.path);
    }
  }
  return { writes, deletes };
}
