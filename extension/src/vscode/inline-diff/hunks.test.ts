// The inline diff's hunk bookkeeping, on diffs made by the real wasm engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreDiffEngine } from './engine';
import { currentStart, hunkAtLine, hunksOf, insertionLabel, pendingCount } from './hunks';

const engine = coreDiffEngine();
const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);
const original = `${lines(20).join('\n')}\n`;

function twoHunks() {
  const p = lines(20);
  p[1] = 'LINE 2 changed';
  p.splice(15, 2, 'new 16', 'new 16b', 'new 17');
  const proposed = `${p.join('\n')}\n`;
  return { proposed, hunks: hunksOf(original, proposed, engine.diffLines(original, proposed)) };
}

test('two separate edits give two hunks at their places, with their texts', () => {
  const { hunks } = twoHunks();
  assert.equal(hunks.length, 2);
  assert.deepEqual([hunks[0].oldStart, hunks[0].oldLines, hunks[0].newLines], [1, ['line 2'], ['LINE 2 changed']]);
  assert.deepEqual([hunks[1].oldStart, hunks[1].oldLines, hunks[1].newLines], [15, ['line 16', 'line 17'], ['new 16', 'new 16b', 'new 17']]);
  assert.equal(pendingCount(hunks), 2);
});

test('a later hunk moves down by what an accepted earlier hunk added', () => {
  const p = lines(20);
  p.splice(2, 0, 'inserted a', 'inserted b');
  p[10] = 'changed';
  const proposed = `${p.join('\n')}\n`;
  const hunks = hunksOf(original, proposed, engine.diffLines(original, proposed));
  assert.equal(hunks.length, 2);
  assert.equal(hunks[0].oldLines.length, 0, 'the first is a pure insertion');
  assert.equal(hunks[0].oldStart, 2, 'inserted before the third line');
  assert.equal(currentStart(hunks, hunks[1]), 8);
  hunks[0].state = 'accepted';
  assert.equal(currentStart(hunks, hunks[1]), 10);
  assert.equal(pendingCount(hunks), 1);
});

test('applyHunks with one accepted id gives exactly that hunk', () => {
  const { proposed, hunks } = twoHunks();
  const first = engine.applyHunks(original, proposed, [hunks[0].id]);
  assert.equal(first, original.replace('line 2\n', 'LINE 2 changed\n'));
  assert.equal(engine.applyHunks(original, proposed, []), original);
  assert.equal(engine.applyHunks(original, proposed, hunks.map((h) => h.id)), proposed);
});

test('the hunk at the cursor is the one covering the line, else the next pending one', () => {
  const { hunks } = twoHunks();
  assert.equal(hunkAtLine(hunks, 1)?.id, hunks[0].id);
  assert.equal(hunkAtLine(hunks, 16)?.id, hunks[1].id);
  assert.equal(hunkAtLine(hunks, 8)?.id, hunks[1].id);
  hunks[1].state = 'rejected';
  assert.equal(hunkAtLine(hunks, 19)?.id, hunks[0].id, 'past the last pending hunk: the last pending one');
});

test('a CRLF file diffs per line without spurious changes', () => {
  const o = 'a\r\nb\r\nc\r\n';
  const p = 'a\r\nB\r\nc\r\n';
  const hunks = hunksOf(o, p, engine.diffLines(o, p));
  assert.equal(hunks.length, 1);
  assert.deepEqual(hunks[0].oldLines, ['b']);
  assert.equal(engine.applyHunks(o, p, [hunks[0].id]), p);
});

test('the insertion label joins lines and cuts long text', () => {
  assert.equal(insertionLabel(['a', '\tb']), 'a  ⏎    b');
  assert.equal(insertionLabel(['x'.repeat(50)], 10).length, 10);
  assert.equal(insertionLabel(['const ok = x; // \u202E;y']), 'const ok = x; // \\u{202E};y', 'a bidi override in the preview is shown, not obeyed');
});
