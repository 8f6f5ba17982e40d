// The diff engine the inline review uses: the wasm core's diffTexts/applyHunks.
import type { DiffEngine } from './manager';
import type { EngineFileDiff } from './hunks';

interface CoreDiffApi {
  diffTexts(original: string, proposed: string): unknown;
  applyHunks(original: string, proposed: string, acceptedIds: string[]): string;
}

export function coreDiffEngine(core: CoreDiffApi): DiffEngine {
  return {
    diffTexts: (o, p) => core.diffTexts(o, p) as EngineFileDiff,
    applyHunks: (o, p, ids) => core.applyHunks(o, p, ids),
  };
}
