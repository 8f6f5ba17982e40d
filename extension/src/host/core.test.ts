// The wasm module loads in Node and answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadCore } from './core';

test('the wasm core loads from dist and reports its version', () => {
  const core = loadCore();
  assert.match(core.coreVersion(), /^\d+\.\d+\.\d+$/);
});
