// The checkpoint store's cap from a setting or an environment variable (MiB).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storeCapBytes } from './checkpoints';

test('the store cap is read as MiB; anything that is not a positive number leaves the default', () => {
  assert.equal(storeCapBytes(2048), 2048 * 1024 * 1024);
  assert.equal(storeCapBytes('1.5'), 1.5 * 1024 * 1024);
  for (const bad of [undefined, null, 0, -5, '', '  ', 'lots', Number.NaN, Number.POSITIVE_INFINITY, true]) {
    assert.equal(storeCapBytes(bad), undefined, String(bad));
  }
});
