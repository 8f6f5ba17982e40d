// An AgentHost on the real file system, for headless runs (`tack exec`) and tests: files are read
// under the working directory with the patch helpers, and written by the sidecar's writer under the
// session's write policy (all or nothing; read-only, `.git` and symbolic links leading out refused).
// Nobody is there to ask, so approvals are denied with a message that tells the model why.
import { writeChanges, type ChangeWriter, type WritePolicy } from '../patch/atomic-write';
import { readFileMap } from '../patch/workspace-files';
import type { AgentHost, ApprovalAnswer, ApprovalRequest, ChangeProposal, ChangeReview, FileChange, FileMap, ThreadEvent } from './types';

export interface FsHostOptions {
  root: string;
  /** Writes go through this (the sidecar client). */
  writer: ChangeWriter;
  /** The session's sandbox mode and writable roots, applied to every write. */
  policy: WritePolicy;
  emit: (event: ThreadEvent) => void;
  /** Decides approvals; default: deny, saying the run is headless. */
  approve?: (req: ApprovalRequest, signal: AbortSignal) => Promise<ApprovalAnswer>;
}

export const HEADLESS_DENIAL =
  'No one is available to approve it: this is a headless run (tack exec). Continue without this command, or explain what the user should run or allow (--approval, --sandbox).';

export function createFsHost(opts: FsHostOptions): AgentHost {
  const target = { cwd: opts.root, policy: opts.policy };
  return {
    readFiles(paths: string[]): Promise<FileMap> {
      return Promise.resolve(readFileMap(opts.root, paths));
    },
    async applyChanges(changes: FileChange[]): Promise<void> {
      await writeChanges(opts.writer, target, changes);
    },
    async reviewChanges(proposal: ChangeProposal): Promise<ChangeReview> {
      // Headless: the run's policy decides, so the whole patch lands (atomically) or, when the policy
      // refuses any of it (read-only, .git, outside the roots), none does and every file says why.
      const changes = proposal.files.map((f) => f.change);
      try {
        await writeChanges(opts.writer, target, changes);
        return { files: changes.map((c) => ({ path: c.path, outcome: 'accepted' as const })) };
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return { files: changes.map((c) => ({ path: c.path, outcome: 'failed' as const, message })) };
      }
    },
    requestApproval(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer> {
      if (opts.approve) return opts.approve(req, signal);
      return Promise.resolve({ decision: 'denied', message: HEADLESS_DENIAL });
    },
    emit: opts.emit,
  };
}
