// Loads the real wasm core for tests in this (ESM) package. Imported from here, core.ts's
// `__dirname` is not a file path, so point it at the built module explicitly.
import path from 'node:path';
import { loadCore, type Core } from '../../../extension/src/host/core';
import { distDir } from '../../lib/paths';

export function testCore(): Core {
  process.env.TACK_WASM ??= path.join(distDir, 'wasm', 'wasm_ui_core_bg.wasm');
  return loadCore();
}
