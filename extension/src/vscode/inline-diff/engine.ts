// The diff engine the inline review uses: the wasm core's diffLines/applyHunks/decideHunkLines
// (host/patch wrapper).
import { engines } from '../../host/patch/engine';
import type { DiffEngine } from './manager';

export function coreDiffEngine(): DiffEngine {
  const e = engines();
  return {
    diffLines: (o, p) => e.diffLines(o, p),
    applyHunks: (o, p, ids) => e.applyHunks(o, p, ids),
    decideHunkLines: (c, p, id, start, end, accept) => e.decideHunkLines(c, p, id, start, end, accept),
  };
}
