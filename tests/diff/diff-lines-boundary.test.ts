// diffLines writes both texts straight into the wasm module's memory (engine.ts passText) and reads
// the answer in place. These run it through the real .wasm against the glue's own copying path
// (the texts encoded on the JavaScript side, then copied in), which must answer the same numbers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKWARD_FROM, BACKWARD_PART, decodeDiffLines, diffLinesThrough, encodeTexts, engines, passText } from '../../extension/src/host/patch/engine';
import { testCore } from '../apply-patch/lib/core';

const core = testCore();
const eng = engines(core);
/** The glue's path: encodeTexts on this side, copied in by wasm-bindgen's own diffLines. */
const viaGlue = (a: string, b: string) => decodeDiffLines(core.diffLines(...encodeTexts(a, b)));
const memoryBytes = () => core.exports().memory.buffer.byteLength;

/** Both paths agree, and the ids are those diffTexts gives (the review stores decisions by them). */
function same(a: string, b: string, why: string) {
  const d = eng.diffLines(a, b);
  assert.deepEqual(d, viaGlue(a, b), why);
  return d;
}

/** `n` lines of source-like text, every 97th line with a non-ASCII word when `wide`. */
function file(n: number, wide: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`  const value${i} = compute(${i % 977}, "${wide && i % 97 === 5 ? 'naïve 日本 😀' : 'plain'}");`);
  return `${out.join('\n')}\n`;
}

const edit = (text: string, every: number, mark: string) =>
  text
    .split('\n')
    .map((l, i) => (i % every === 3 ? `${l} ${mark}` : l))
    .join('\n');

test('passText writes a text as UTF-8 into wasm memory, exactly as long as its bytes', () => {
  const w = core.exports();
  const utf8 = new TextEncoder();
  const dec = new TextDecoder('utf-8', { ignoreBOM: true });
  for (const t of ['', 'abc\n', 'é', '😀', 'x'.repeat(100) + '😀', 'a\ud800b', '\udc00', 'end\ud83d', '\ufeffbom', '日本'.repeat(3000)]) {
    const [ptr, len] = passText(w, t);
    assert.equal(len, utf8.encode(t).length, JSON.stringify(t));
    assert.equal(dec.decode(new Uint8Array(w.memory.buffer, ptr, len)), dec.decode(utf8.encode(t)), JSON.stringify(t));
    // The allocation is exactly `len` bytes: freeing it with that size is what the receiver does.
    if (len > 0) w.__wbindgen_free(ptr, len, 1);
  }
});

test('small, empty, CRLF and multi-byte texts: the same hunks and ids through wasm memory as through the glue', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['', 'x\n'],
    ['x\n', ''],
    ['a\nb\nc\n', 'a\nB\nc\nd\n'],
    ['one\r\ntwo\r\n', 'one\r\n2\r\n'],
    ['é 😀 old\nsame\n', 'é 😀 new\nsame\n'],
    // Multi-byte text only after a long ASCII run: the first try fills up, the rest gets three bytes a unit.
    [`${'ascii line\n'.repeat(500)}日本\n`, `${'ascii line\n'.repeat(500)}日本語\n`],
    ['😀'.repeat(1000), '😀'.repeat(999) + 'x'],
  ];
  for (const [a, b] of cases) {
    const d = same(a, b, JSON.stringify([a.slice(0, 40), b.slice(0, 40)]));
    assert.deepEqual(d.hunkIds, eng.diffTexts(a, b).hunkIds);
  }
  assert.equal(eng.diffLines('a\nb\nc\n', 'a\nB\nc\nd\n').hunks.length, 2);
});

test('lone surrogates become U+FFFD, as TextEncoder makes them: equal to U+FFFD itself, and the ids unchanged', () => {
  // A lone high surrogate, a lone low one, one at the very end, and a pair split by an edit.
  const a = 'keep\nx\ud800y\n\udc00z\nlast\ud83d';
  const b = 'keep\nx\ufffdy\n\ufffdz\nlast\ufffd';
  assert.deepEqual(eng.diffLines(a, b), { hunkIds: [], hunks: [], sections: 0, additions: 0, deletions: 0 });
  const c = 'keep\nx\ud800y changed\n\udc00z\nlast\ud83d';
  const d = same(a, c, 'lone surrogates');
  assert.equal(d.hunks.length, 1);
  assert.deepEqual(d.hunkIds, eng.diffLines(b, c.replace(/\ud800/, '\ufffd').replace('\udc00', '\ufffd').replace(/\ud83d$/, '\ufffd')).hunkIds);
  assert.deepEqual(d.hunkIds, eng.diffTexts(a, c).hunkIds);
});

test('texts over 4 MiB, ASCII and multi-byte, diff the same through wasm memory, and the memory is returned', () => {
  const big = file(120_000, false);
  assert.ok(big.length > 4 << 20);
  const wide = file(120_000, true);
  const before = same(big, edit(big, 1000, '// edited'), 'ascii');
  assert.equal(before.hunks.length, 120);
  const d = same(wide, edit(wide, 1500, '// é'), 'multi-byte');
  assert.equal(d.hunks.length, 80);
  assert.deepEqual(d.hunks[1], { ...d.hunks[1], oldStart: 1504, oldLines: 1, newStart: 1504, newLines: 1 });
  // Each call's texts are freed after it: many calls leave the memory as it was after the first.
  const grown = memoryBytes();
  for (let i = 0; i < 20; i++) assert.equal(eng.diffLines(wide, edit(wide, 1500, '// é')).hunks.length, 80);
  assert.equal(memoryBytes(), grown, 'the memory did not grow over 20 calls of the same size');
});

test('the memory grows while the texts are written (between the two texts, and between calls): the answers stay right', () => {
  const small = 'a\nb\nc\n';
  assert.equal(eng.diffLines(small, 'a\nB\nc\n').hunks.length, 1);
  // A second text bigger than all the memory now: its allocation must grow the memory, detaching
  // every view of it taken before (the first text was written through one).
  const size = memoryBytes();
  const lines = Math.ceil(size / 40) + 1000;
  const huge = file(lines, true);
  const hugeEdited = edit(huge, 5000, 'x');
  const d = eng.diffLines(small, huge);
  assert.ok(memoryBytes() > size, `the memory grew (${size} -> ${memoryBytes()} bytes)`);
  assert.deepEqual(d, viaGlue(small, huge));
  assert.equal(d.hunks.length, 1);
  assert.deepEqual([d.deletions, d.additions], [3, lines]);
  // And the next call, on memory grown since the last, still reads right.
  const e = eng.diffLines(huge, hugeEdited);
  assert.equal(e.hunks.length, Math.ceil((lines - 3) / 5000));
  assert.equal(eng.applyHunks(huge, hugeEdited, e.hunkIds), hugeEdited);
});

test('a bad argument is refused before anything is written to wasm memory', () => {
  assert.throws(() => diffLinesThrough(core, 'a', undefined as unknown as string), /diffLines: the texts must be strings/);
  assert.throws(() => diffLinesThrough(core, 42 as unknown as string, 'a'), /diffLines: the texts must be strings/);
  assert.equal(eng.diffLines('a\n', 'b\n').hunks.length, 1);
});

test('line numbers stay exact where every byte is a newline (the wasm compare counts up to 4 a lane a step)', () => {
  // All-newline stretches fill each SIMD lane's count as fast as it can grow, across many folds
  // into the total; a change after each stretch checks the count there.
  for (const [before, gap] of [
    [100_000, 1],
    [3839, 3841],
    [64 * 60, 64 * 60 + 1],
    [7, 64],
  ]) {
    const a = `${'\n'.repeat(before)}x\n${'\n'.repeat(gap)}y\nend`;
    const b = `${'\n'.repeat(before)}X\n${'\n'.repeat(gap)}Y\nend`;
    const d = eng.diffLines(a, b);
    assert.deepEqual(
      d.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
      [
        [before + 1, 1, before + 1, 1],
        [before + gap + 2, 1, before + gap + 2, 1],
      ],
      `${before} then ${gap}`,
    );
    assert.deepEqual(d.hunkIds, eng.diffTexts(a, b).hunkIds);
  }
});

test('big texts are written last part first: non-ASCII anywhere, surrogate pairs across parts, lone surrogates', () => {
  const w = core.exports();
  const utf8 = new TextEncoder();
  const P = BACKWARD_PART;
  const ascii = 'x'.repeat(BACKWARD_FROM + 3 * P + 17);
  const put = (at: number, s: string) => ascii.slice(0, at) + s + ascii.slice(at + s.length);
  const cases: Array<[string, string]> = [
    ['all ASCII', ascii],
    ['exactly the threshold', 'y'.repeat(BACKWARD_FROM)],
    ['non-ASCII first', put(0, 'é')],
    ['non-ASCII last', put(ascii.length - 1, '日')],
    ['an emoji across the last part boundary', put(ascii.length - P - 1, '😀')],
    ['an emoji across a middle part boundary', put(ascii.length - 3 * P - 1, '😀')],
    ['an emoji ending a part', put(ascii.length - 2 * P - 2, '😀')],
    ['a lone high surrogate before a boundary', put(ascii.length - P - 1, '\ud800')],
    ['a lone low surrogate after a boundary', put(ascii.length - P, '\udc00')],
    ['a lone low surrogate first', put(0, '\udc00')],
    ['a lone high surrogate last', put(ascii.length - 1, '\ud83d')],
    // Far from the end (most of the text already written as ASCII when it is found), and near it.
    ['an emoji across a part boundary far from the end', put(ascii.length - 12 * P - 1, '😀')],
    ['a lone high surrogate before a boundary far from the end', put(ascii.length - 12 * P - 1, '\ud800')],
    ['a lone low surrogate after a boundary far from the end', put(ascii.length - 12 * P, '\udc00')],
    ['non-ASCII in the middle', put(ascii.length >> 1, 'ß')],
    ['non-ASCII throughout', 'é日😀\n'.repeat(BACKWARD_FROM / 4)],
    ['a byte order mark first', put(0, '\ufeff')],
  ];
  for (const [what, t] of cases) {
    assert.ok(t.length >= BACKWARD_FROM, what);
    const want = utf8.encode(t);
    const [ptr, len] = passText(w, t);
    assert.equal(len, want.length, what);
    assert.ok(Buffer.from(w.memory.buffer, ptr, len).equals(want), what);
    w.__wbindgen_free(ptr, len, 1);
  }
  // And through diffLines: the glue's path (encoded on this side) answers the same.
  const a = put(ascii.length - P - 1, '😀\nx\n');
  const b = put(ascii.length - P - 1, '😀\ny\n');
  const d = same(a, b, 'emoji across a part, then a change');
  assert.equal(d.hunks.length, 1);
  assert.deepEqual(d.hunkIds, eng.diffTexts(a, b).hunkIds);
});
