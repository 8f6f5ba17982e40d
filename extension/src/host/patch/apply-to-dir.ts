// Applying a patch to a directory on disk: read what the patch names, run the engine, write the
// result through the sidecar's writer (all or nothing, under the write policy). Used by
// `tack apply-patch`; the agent runner reuses the pieces.
import { engines, formatPatchError, type Engines, type FileChange } from './engine';
import { ApplyChangesError, writeChanges, writePolicyFor, type ChangeWriter, type WritePolicy } from './atomic-write';
import { readFileMap } from './workspace-files';
import { timingMark } from '../agent/timing';

export interface AppliedPatch {
  changes: FileChange[];
  /** `A path` / `M path` / `D path`, one per file. */
  summary: string[];
}

export interface ApplyToDirOptions {
  /** The sidecar client (or anything with its fs methods). */
  writer: ChangeWriter;
  /** Default: workspace-write with `root` as the only writable root. */
  policy?: WritePolicy;
  eng?: Engines;
}

/** Throws ApplyChangesError (message: the engine's "patch line N: ..." or the writer's reason); nothing changes then. */
export async function applyPatchToDir(root: string, patchText: string, opts: ApplyToDirOptions): Promise<AppliedPatch> {
  const eng = opts.eng ?? engines();
  const parsed = eng.patchPaths(patchText);
  if (!parsed.ok) throw new ApplyChangesError(formatPatchError(parsed.error));
  timingMark('patch paths read');
  const files = readFileMap(root, parsed.paths);
  timingMark('files read');
  const result = eng.applyPatch(patchText, files);
  if (!result.ok) throw new ApplyChangesError(formatPatchError(result.error));
  timingMark('patch applied in memory');
  const policy = opts.policy ?? writePolicyFor('workspace-write', root);
  const summary = await writeChanges(opts.writer, { cwd: root, policy }, result.changes);
  timingMark('written');
  return { changes: result.changes, summary };
}
