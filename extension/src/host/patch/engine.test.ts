import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discardCore, loadCore } from '../core';
import { decodeDiffLines, encodeTexts, engines } from './engine';

const dec = new TextDecoder();
const roundTrip = (a: string, b: string) => encodeTexts(a, b).map((x) => dec.decode(x));

test('encodeTexts gives both texts as UTF-8, ASCII or not, whatever was encoded before', () => {
  assert.deepEqual(roundTrip('', ''), ['', '']);
  assert.deepEqual(roundTrip('abc\n', 'abd\n'), ['abc\n', 'abd\n']);
  // Multi-byte text needs up to three bytes a UTF-16 unit: the first try (one byte a unit) is too
  // small and the retry must not keep a half-written first text.
  assert.deepEqual(roundTrip('é😀日\n'.repeat(50), 'x'), ['é😀日\n'.repeat(50), 'x']);
  assert.deepEqual(roundTrip('x', '日本'.repeat(5000)), ['x', '日本'.repeat(5000)]);
  // A lone surrogate becomes U+FFFD, as wasm-bindgen's own string passing did.
  assert.deepEqual(roundTrip('a\ud800b', 'c'), ['a\ufffdb', 'c']);
  // Bigger than the buffer kept between calls, then small again.
  const big = 'line of text\n'.repeat(400_000);
  assert.deepEqual(roundTrip(big, big + 'end'), [big, big + 'end']);
  assert.deepEqual(roundTrip('a', 'b'), ['a', 'b']);
});

test('the diff engines read encoded texts: highlights in UTF-16 units, CRLF, applyHunks and decideHunkLines', () => {
  const e = engines();
  // An ASCII call first, so the non-ASCII one reuses (and outgrows) the buffer.
  assert.equal(e.diffTexts('a\n', 'b\n').hunkIds.length, 1);
  const original = 'é 😀 old\r\nsame\r\n';
  const proposed = 'é 😀 new\r\nsame\r\n';
  const d = e.diffTexts(original, proposed);
  const ins = d.rows.find((r) => r.kind === 'insert')!;
  assert.equal(ins.text, 'é 😀 new');
  assert.deepEqual(ins.highlights, [{ start: 5, end: 8 }]);
  assert.equal(ins.text.slice(5, 8), 'new');
  assert.equal(e.applyHunks(original, proposed, d.hunkIds), proposed);
  assert.equal(e.applyHunks(original, proposed, []), original);
  const r = e.decideHunkLines(original, proposed, d.hunkIds[0], 0, 1, true);
  assert.deepEqual(r, { current: proposed, proposed });
});

test('decodeDiffLines reads five numbers a hunk, then the ids as text, 17 bytes each', () => {
  // [additions, deletions, sections, hunks, then oldStart, oldLines, newStart, newLines, section; then the ids]
  const ids = 'h000000abffffffffh8000000001020304';
  const n = new Uint32Array(4 + 2 * 5 + Math.ceil(ids.length / 4));
  n.set([1, 1, 1, 2, 2, 1, 2, 1, 0, 9, 0, 9, 0, 0]);
  new Uint8Array(n.buffer).set(new TextEncoder().encode(ids), (4 + 2 * 5) * 4);
  const d = decodeDiffLines(n);
  assert.deepEqual(d.hunkIds, ['h000000abffffffff', 'h8000000001020304']);
  assert.deepEqual(d.hunks[0], { id: 'h000000abffffffff', oldStart: 2, oldLines: 1, newStart: 2, newLines: 1, section: 0 });
  assert.deepEqual(d.hunks[1], { id: 'h8000000001020304', oldStart: 9, oldLines: 0, newStart: 9, newLines: 0, section: 0 });
  assert.deepEqual([d.additions, d.deletions, d.sections], [1, 1, 1]);
  // A view into a bigger buffer (as diffLines reads the answer in wasm memory) reads from its offset.
  const big = new Uint32Array(n.length + 8);
  big.set(n, 3);
  assert.deepEqual(decodeDiffLines(big.subarray(3, 3 + n.length)), d);
  assert.deepEqual(decodeDiffLines(new Uint32Array([0, 0, 0, 0])), { hunkIds: [], hunks: [], sections: 0, additions: 0, deletions: 0 });
});

test('after the instance is discarded, diffLines and open diffs write into and read from the new one', () => {
  const e = engines();
  const core = loadCore();
  const file = (n: number, mark: string) => `${Array.from({ length: n }, (_, i) => `line ${i} é${i % 300 === 7 ? mark : ''}`).join('\n')}\n`;
  const viaGlue = (a: string, b: string) => decodeDiffLines(core.diffLines(...encodeTexts(a, b)));
  const [a, b] = [file(3000, ''), file(3000, ' changed')];
  const want = e.diffLines(a, b);
  assert.equal(want.hunks.length, 10);
  // The old instance's memory holds answers of its own, written through the glue's cached views.
  assert.deepEqual(viaGlue(a, b), want);
  const old = e.openDiff(a, b);
  assert.deepEqual(old.lines, want);
  discardCore();
  assert.throws(() => old.all(), /the core was restarted/);
  old.free();
  assert.deepEqual(e.diffLines(a, b), want);
  // Other texts in the new instance: an answer read from the old memory would be the old one's.
  const [c, d] = [file(2000, '!'), file(2000, '?')];
  const fresh = e.diffLines(c, d);
  assert.equal(fresh.hunks.length, 7);
  assert.deepEqual(viaGlue(c, d), fresh);
  const open = e.openDiff(c, d);
  try {
    assert.deepEqual(open.lines, fresh);
  } finally {
    open.free();
  }
});
