// The diff engine the inline review uses: the wasm core's diffTexts/applyHunks/decideHunkLines
// (host/patch wrapper).
import { engines } from '../../host/patch/engine';
import type { DiffEngine } from './manager';

export function coreDiffEngine(): DiffEngine {
  const e = engines();
  return {
    diffTexts: (o, p) => e.diffTexts(o, p),
    applyHunks: (o, p, ids) => e.applyHunks(o, p, ids),
    decideHunkLines: (c, p, id, start, end, accept) => e.decideHunkLines(c, p, id, start, end, accept),
  };
}
