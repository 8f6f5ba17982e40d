// Applying a patch to a directory on disk: read what the patch names, run the engine, write the
// result atomically. Used by `tack apply-patch`; the agent runner reuses the pieces.
import { engines, formatPatchError, type Engines, type FileChange } from './engine';
import { ApplyChangesError, writeChangesAtomically } from './atomic-write';
import { readFileMap } from './workspace-files';

export interface AppliedPatch {
  changes: FileChange[];
  /** `A path` / `M path` / `D path`, one per file. */
  summary: string[];
}

/** Throws ApplyChangesError (message: the engine's "patch line N: ..." or the file system's reason); nothing changes then. */
export function applyPatchToDir(root: string, patchText: string, eng: Engines = engines()): AppliedPatch {
  const parsed = eng.patchPaths(patchText);
  if (!parsed.ok) throw new ApplyChangesError(formatPatchError(parsed.error));
  const files = readFileMap(root, parsed.paths);
  const result = eng.applyPatch(patchText, files);
  if (!result.ok) throw new ApplyChangesError(formatPatchError(result.error));
  const summary = writeChangesAtomically(root, result.changes);
  return { changes: result.changes, summary };
}
