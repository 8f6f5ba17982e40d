// An AgentHost on the real file system, for headless runs (`tack exec`) and tests: files are read
// and written under the working directory with the patch helpers (atomic, no escape from the root).
// Nobody is there to ask, so approvals are denied with a message that tells the model why.
import { writeChangesAtomically } from '../patch/atomic-write';
import { readFileMap } from '../patch/workspace-files';
import type { AgentHost, ApprovalAnswer, ApprovalRequest, ChangeProposal, ChangeReview, FileChange, FileMap, ThreadEvent } from './types';

export interface FsHostOptions {
  root: string;
  /** Edits cannot land in a read-only sandbox: a review then rejects everything. */
  readOnly?: boolean;
  emit: (event: ThreadEvent) => void;
  /** Decides approvals; default: deny, saying the run is headless. */
  approve?: (req: ApprovalRequest) => Promise<ApprovalAnswer>;
}

export const HEADLESS_DENIAL =
  'No one is available to approve it: this is a headless run (tack exec). Continue without this command, or explain what the user should run or allow (--approval, --sandbox).';

export function createFsHost(opts: FsHostOptions): AgentHost {
  return {
    readFiles(paths: string[]): Promise<FileMap> {
      return Promise.resolve(readFileMap(opts.root, paths));
    },
    applyChanges(changes: FileChange[]): Promise<void> {
      writeChangesAtomically(opts.root, changes);
      return Promise.resolve();
    },
    reviewChanges(proposal: ChangeProposal): Promise<ChangeReview> {
      // Headless: the run's policy already allowed edits in the workspace, so the whole patch lands
      // (atomically) unless the sandbox is read-only.
      if (opts.readOnly) {
        return Promise.resolve({ files: proposal.files.map((f) => ({ path: f.change.path, outcome: 'rejected' as const })) });
      }
      const changes = proposal.files.map((f) => f.change);
      try {
        writeChangesAtomically(opts.root, changes);
        return Promise.resolve({ files: changes.map((c) => ({ path: c.path, outcome: 'accepted' as const })) });
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        return Promise.resolve({ files: changes.map((c) => ({ path: c.path, outcome: 'failed' as const, message })) });
      }
    },
    requestApproval(req: ApprovalRequest): Promise<ApprovalAnswer> {
      if (opts.approve) return opts.approve(req);
      return Promise.resolve({ decision: 'denied', message: HEADLESS_DENIAL });
    },
    emit: opts.emit,
  };
}
