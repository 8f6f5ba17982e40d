// The merged document the inline review shows (merged.ts), on hunks made by the real wasm engine:
// text, line kinds and the mapping back to hunks and line pairs; and, over many random edits, that
// dropping the removed lines gives the proposal and dropping the added lines gives the original.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreDiffEngine } from './engine';
import { hunksOf } from './hunks';
import { buildMerged, followBuffer, hunkAtMergedLine, mergedLineOfBuffer, pairsForMergedLines, selectedPairs, splitTextLines, withoutKind } from './merged';
import { FileProposal } from './review-state';

const engine = coreDiffEngine();
const hunks = (o: string, p: string) => hunksOf(o, p, engine.diffLines(o, p));

test('a replacement shows its removed lines, then every added line, with kinds and pairs', () => {
  const original = '// five\none\ntwo\nthree\n// end\n';
  const proposed = '// five\nONE\nTWO\nTHREE\nFOUR\n// end\n';
  const hs = hunks(original, proposed);
  const doc = buildMerged(original, hs);
  assert.equal(doc.text, '// five\none\ntwo\nthree\nONE\nTWO\nTHREE\nFOUR\n// end\n');
  assert.deepEqual(doc.lines.map((l) => l.kind), ['context', 'removed', 'removed', 'removed', 'added', 'added', 'added', 'added', 'context']);
  const id = hs[0]!.id;
  assert.deepEqual(doc.hunkStarts, [{ id, line: 1 }]);
  assert.deepEqual(doc.lines[2], { kind: 'removed', hunk: id, pair: 1, bufferLine: 2 });
  assert.deepEqual(doc.lines[7], { kind: 'added', hunk: id, pair: 3 });
  assert.deepEqual(doc.lines[8], { kind: 'context', bufferLine: 4 });
  // The cursor anywhere in or just before the change means the change.
  assert.equal(hunkAtMergedLine(doc, 0), id);
  assert.equal(hunkAtMergedLine(doc, 6), id);
  assert.equal(hunkAtMergedLine(doc, 8), id, 'after the last change: the last change');
  // Selecting "two" and "three" (removed) or "TWO" and "THREE" (added) is the same pairs.
  assert.deepEqual(pairsForMergedLines(doc, id, 2, 3), { start: 1, end: 3 });
  assert.deepEqual(pairsForMergedLines(doc, id, 5, 6), { start: 1, end: 3 });
  assert.deepEqual(pairsForMergedLines(doc, id, 7, 8), { start: 3, end: 4 }, 'the added fourth line alone');
  assert.equal(pairsForMergedLines(doc, id, 0, 0), undefined, 'a context line takes no pair');
  assert.equal(mergedLineOfBuffer(doc, 4), 8);
  assert.equal(mergedLineOfBuffer(doc, 1), 1);
});

test('pure insertions and deletions, at the top, in the middle and at the end; several hunks', () => {
  const original = 'a\nb\nc\nd\ne\nf\ng\nh\n';
  const proposed = 'TOP\na\nb\nd\ne\nf\nNEW1\nNEW2\ng\nh\nEND\n';
  const hs = hunks(original, proposed);
  const doc = buildMerged(original, hs);
  assert.equal(doc.text, 'TOP\na\nb\nc\nd\ne\nf\nNEW1\nNEW2\ng\nh\nEND\n');
  assert.deepEqual(
    doc.lines.map((l) => l.kind),
    ['added', 'context', 'context', 'removed', 'context', 'context', 'context', 'added', 'added', 'context', 'context', 'added'],
  );
  assert.equal(doc.hunkStarts.length, 4);
  assert.deepEqual(selectedPairs(doc, 7, 11).map((s) => [s.start, s.end]), [[0, 2], [0, 1]]);
  assert.equal(hunkAtMergedLine(doc, 4), doc.hunkStarts[2]!.id, 'a context line: the next change');
});

test('CRLF files keep CRLF; a file without a final line ending keeps none; an empty file', () => {
  const doc = buildMerged('one\r\ntwo\r\n', hunks('one\r\ntwo\r\n', 'one\r\nTWO\r\n'));
  assert.equal(doc.text, 'one\r\ntwo\r\nTWO\r\n');
  assert.equal(doc.eol, '\r\n');
  const bare = buildMerged('x\ny', hunks('x\ny', 'x\nY'));
  assert.equal(bare.text, 'x\ny\nY');
  const empty = buildMerged('', hunks('', 'new\nfile\n'));
  assert.equal(empty.text, 'new\nfile\n');
  assert.deepEqual(empty.lines.map((l) => l.kind), ['added', 'added']);
});

test('accepting two of five lines through the merged view\'s pairs writes exactly those', () => {
  const original = '// five\none\ntwo\nthree\nfour\nfive\n// end\n';
  const proposed = '// five\nONE\nTWO\nTHREE\nFOUR\nFIVE\n// end\n';
  const p = new FileProposal(engine, original, proposed);
  const doc = buildMerged(p.current, p.hunks);
  // Merged lines 7 and 8 (0-based) are the added "TWO" and "THREE".
  assert.deepEqual(splitTextLines(doc.text).slice(7, 9), ['TWO', 'THREE']);
  const [sel] = selectedPairs(doc, 7, 8);
  p.commit(p.lines(sel!.id, sel!.start, sel!.end, true)!);
  assert.equal(p.current, '// five\none\nTWO\nTHREE\nfour\nfive\n// end\n');
  // The view refreshed from the new texts still shows the rest pending, and the landed lines as text.
  const after = buildMerged(p.current, p.hunks);
  assert.deepEqual(withoutKind(after, 'added'), splitTextLines(p.current));
  assert.deepEqual(withoutKind(after, 'removed'), splitTextLines(proposed));
});

/** A small seeded generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('property: dropping the removed lines gives the proposal, dropping the added lines gives the original', () => {
  const words = ['a', 'b', 'c', '', '  x', 'fn()', '}', 'b'];
  for (let seed = 1; seed <= 400; seed++) {
    const r = rng(seed);
    const pick = () => words[Math.floor(r() * words.length)]!;
    const n = Math.floor(r() * 12);
    const orig = Array.from({ length: n }, pick);
    const prop: string[] = [];
    for (const line of orig) {
      const x = r();
      if (x < 0.15) continue; // deleted
      if (x < 0.3) prop.push(pick()); // replaced
      else prop.push(line);
      if (r() < 0.15) prop.push(pick()); // inserted
    }
    if (r() < 0.2) prop.unshift(pick());
    const eol = r() < 0.3 ? '\r\n' : '\n';
    const finalEol = r() < 0.8;
    const text = (ls: string[]) => ls.join(eol) + (ls.length && finalEol ? eol : '');
    const original = text(orig);
    const proposed = text(prop);
    const doc = buildMerged(original, hunks(original, proposed));
    const what = `seed ${seed}: ${JSON.stringify(original)} -> ${JSON.stringify(proposed)}`;
    assert.deepEqual(withoutKind(doc, 'removed'), splitTextLines(proposed), what);
    assert.deepEqual(withoutKind(doc, 'added'), splitTextLines(original), what);
    assert.equal(doc.lines.length, splitTextLines(doc.text).length, what);
    if (original.includes('\r\n')) assert.ok(!/[^\r]\n/.test(doc.text), `CRLF throughout: ${what}`);
    // Every removed line stands for the buffer line it shows.
    const buf = splitTextLines(original);
    const merged = splitTextLines(doc.text);
    doc.lines.forEach((l, i) => { if (l.bufferLine !== undefined) assert.equal(merged[i], buf[l.bufferLine], what); });
  }
});

test('the proposal follows edits the person makes to the buffer; a change they overlap leaves the proposal', () => {
  const current = 'a\nb\nc\nd\ne\nf\ng\n';
  const proposed = 'a\nB\nc\nd\ne\nF\ng\n';
  // An edit away from both changes: the proposal takes it, both changes stay pending.
  const far = followBuffer(current, proposed, 'a\nb\nc\nD!\ne\nf\ng\n', hunks);
  assert.deepEqual(far, { proposed: 'a\nB\nc\nD!\ne\nF\ng\n', dropped: 0 });
  // Lines typed at the top shift everything: the merged view still puts each change where it lands.
  const typed = 'new top\na\nb\nc\nd\ne\nf\ng\n';
  const top = followBuffer(current, proposed, typed, hunks);
  assert.equal(top.proposed, 'new top\na\nB\nc\nd\ne\nF\ng\n');
  const doc = buildMerged(typed, hunks(typed, top.proposed));
  assert.deepEqual(splitTextLines(doc.text), ['new top', 'a', 'b', 'B', 'c', 'd', 'e', 'f', 'F', 'g']);
  // An edit of a line the model proposed to change: the person's text wins, that change leaves.
  const over = followBuffer(current, proposed, 'a\nmine\nc\nd\ne\nf\ng\n', hunks);
  assert.deepEqual(over, { proposed: 'a\nmine\nc\nd\ne\nF\ng\n', dropped: 1 });
  // CRLF stays CRLF.
  const crlf = followBuffer('w\r\nx\r\ny\r\nz\r\n', 'w\r\nx\r\ny\r\nZ\r\n', 'w!\r\nx\r\ny\r\nz\r\n', hunks);
  assert.equal(crlf.proposed, 'w!\r\nx\r\ny\r\nZ\r\n');
});

test('property: following the buffer keeps the person\'s text and, where they did not touch, the proposal', () => {
  const words = ['a', 'b', 'c', 'd', 'e', 'f'];
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed * 7919);
    const pick = () => words[Math.floor(r() * words.length)]!;
    const base = Array.from({ length: 3 + Math.floor(r() * 10) }, pick);
    const mutate = (ls: string[], mark: string) => ls.flatMap((l) => (r() < 0.2 ? [`${l}${mark}`] : r() < 0.05 ? [] : [l]));
    const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');
    const current = text(base);
    const proposed = text(mutate(base, '!'));
    const now = text(mutate(base, '?'));
    const { proposed: next, dropped } = followBuffer(current, proposed, now, hunks);
    const what = `seed ${seed}: ${JSON.stringify([current, proposed, now])}`;
    // Rejecting everything still proposed gives exactly the buffer.
    const pending = hunks(now, next);
    assert.deepEqual(withoutKind(buildMerged(now, pending), 'added'), splitTextLines(now), what);
    // Nothing dropped: accepting everything gives both edits.
    if (dropped === 0) {
      for (const l of splitTextLines(proposed)) if (l.endsWith('!')) assert.ok(splitTextLines(next).includes(l), what);
      for (const l of splitTextLines(now)) if (l.endsWith('?')) assert.ok(splitTextLines(next).includes(l), what);
    }
  }
});
