// Typed calls into the wasm engines (apply_patch and diff). The wasm glue returns `any`; the shapes
// are the ts-rs types generated from the Rust structs, so these casts restate, not invent, the types.
import { loadCore, type Core } from '../core';
import type { ApplyPatchResult } from '../../generated/types/ApplyPatchResult';
import type { FileDiff } from '../../generated/types/FileDiff';
import type { FileMap } from '../../generated/types/FileMap';
import type { LineDecision } from '../../generated/types/LineDecision';
import type { PatchError } from '../../generated/types/PatchError';
import type { PatchPathsResult } from '../../generated/types/PatchPathsResult';

export type { ApplyPatchResult } from '../../generated/types/ApplyPatchResult';
export type { ChangeKind } from '../../generated/types/ChangeKind';
export type { DiffHunk } from '../../generated/types/DiffHunk';
export type { DiffRow } from '../../generated/types/DiffRow';
export type { DiffSection } from '../../generated/types/DiffSection';
export type { FileChange } from '../../generated/types/FileChange';
export type { FileDiff } from '../../generated/types/FileDiff';
export type { FileMap } from '../../generated/types/FileMap';
export type { FileState } from '../../generated/types/FileState';
export type { LineDecision } from '../../generated/types/LineDecision';
export type { HighlightRange } from '../../generated/types/HighlightRange';
export type { PatchError } from '../../generated/types/PatchError';
export type { PatchPathsResult } from '../../generated/types/PatchPathsResult';
export type { RowKind } from '../../generated/types/RowKind';

export interface Engines {
  /** Patch text + the current state of every path it names -> the changes, or the error. Never throws for a bad patch. */
  applyPatch(patchText: string, files: FileMap): ApplyPatchResult;
  /** The normalised paths whose state `applyPatch` needs, or the parse error. */
  patchPaths(patchText: string): PatchPathsResult;
  diffTexts(original: string, proposed: string): FileDiff;
  /** original + proposed + accepted hunk ids -> the resulting text (all ids: proposed; none: original). */
  applyHunks(original: string, proposed: string, acceptedIds: readonly string[]): string;
  /**
   * Accepts or rejects the line pairs [start, end) of one hunk of diffTexts(current, proposed) (see
   * wasm-ui-core/src/diff/lines.rs) -> the new current and proposed texts; null for an unknown hunk.
   */
  decideHunkLines(current: string, proposed: string, hunkId: string, start: number, end: number, accept: boolean): LineDecision | null;
}

/**
 * The diff functions take their texts as UTF-8 bytes: TextEncoder.encode and one copy into wasm memory
 * are native, where wasm-bindgen's string passing copies a character at a time in JavaScript (at
 * 1,000 lines that loop took longer than the diff). Lone surrogates become U+FFFD either way.
 */
const utf8 = new TextEncoder();

export function engines(core: Core = loadCore()): Engines {
  return {
    applyPatch: (patchText, files) => core.applyPatch(patchText, files) as ApplyPatchResult,
    patchPaths: (patchText) => core.patchPaths(patchText) as PatchPathsResult,
    diffTexts: (original, proposed) => JSON.parse(core.diffTexts(utf8.encode(original), utf8.encode(proposed))) as FileDiff,
    applyHunks: (original, proposed, acceptedIds) => core.applyHunks(utf8.encode(original), utf8.encode(proposed), [...acceptedIds]),
    decideHunkLines: (current, proposed, hunkId, start, end, accept) =>
      core.decideHunkLines(utf8.encode(current), utf8.encode(proposed), hunkId, start, Math.min(end, 0xffff_ffff), accept) as LineDecision | null,
  };
}

/** The engine's error as one line of text: "patch line 7: could not find ...". */
export function formatPatchError(error: PatchError): string {
  return error.line == null ? error.message : `patch line ${error.line}: ${error.message}`;
}
