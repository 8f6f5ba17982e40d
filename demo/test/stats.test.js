import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mean, median, sum } from '../src/stats.js';

test('sum', () => assert.equal(sum([1, 2, 3]), 6));
test('mean', () => assert.equal(mean([2, 4, 6]), 4));
test('median of numbers above 9', () => assert.equal(median([10, 9, 2]), 9));
