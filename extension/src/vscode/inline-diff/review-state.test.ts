// One file's proposal as (current, proposed): whole hunks, lines of a hunk, an edited proposal, and
// what the chat and the model are told, on diffs made by the real wasm engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { coreDiffEngine } from './engine';
import { FileProposal, pairsForBufferLines, pairsForProposedLines } from './review-state';

const engine = coreDiffEngine();
const original = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n';
// Two hunks: b..f (5 lines) -> B1..B5, and k -> K.
const proposed = 'a\nB1\nB2\nB3\nB4\nB5\ng\nh\ni\nj\nK\nl\n';

test('accepting two of five lines of a hunk takes exactly those; the rest stays pending under the same hunk', () => {
  const p = new FileProposal(engine, original, proposed);
  assert.equal(p.hunks.length, 2);
  const [first, second] = p.originIds;
  const h = p.hunks[0]!;
  const pairs = pairsForBufferLines(h, 2, 3); // buffer lines c, d
  assert.deepEqual(pairs, { start: 1, end: 3 });
  const step = p.lines(h.id, pairs!.start, pairs!.end, true)!;
  assert.equal(step.current, 'a\nb\nB2\nB3\ne\nf\ng\nh\ni\nj\nk\nl\n');
  p.commit(step);
  assert.deepEqual(p.states(), { [first!]: 'pending', [second!]: 'pending' });
  assert.ok(p.hunks.every((x) => x.origin === first || x.origin === second));
  assert.equal(p.hunks.filter((x) => x.origin === second).length, 1, 'the untouched hunk keeps its origin');
  // Reject the rest of the first change, accept the second whole.
  p.commit(p.reject(p.idsOfOrigins([first!])));
  p.commit(p.accept(p.idsOfOrigins([second!])));
  assert.ok(p.done);
  assert.equal(p.current, 'a\nb\nB2\nB3\ne\nf\ng\nh\ni\nj\nK\nl\n');
  assert.deepEqual(p.states(), { [first!]: 'partial', [second!]: 'accepted' }, 'two of five lines: partly accepted');
  const r = p.result();
  assert.deepEqual(r.acceptedHunkIds, [first, second]);
  assert.equal(r.landed, p.current, 'lines were chosen: the model gets what landed');
});

test('whole-hunk decisions report no landed text', () => {
  const p = new FileProposal(engine, original, proposed);
  const [first, second] = p.originIds;
  p.commit(p.accept([p.hunks[1]!.id]));
  p.commit(p.reject([p.hunks[0]!.id]));
  assert.ok(p.done);
  assert.deepEqual(p.states(), { [first!]: 'rejected', [second!]: 'accepted' });
  assert.deepEqual(p.result(), { acceptedHunkIds: [second], rejectedHunkIds: [first] });
});

test('an edited proposal is what Accept writes, and the model is told', () => {
  const p = new FileProposal(engine, original, proposed);
  p.commit(p.edit(proposed.replace('B3', 'MINE')));
  p.commit(p.accept(p.hunks.map((h) => h.id)));
  assert.ok(p.done);
  assert.equal(p.current, proposed.replace('B3', 'MINE'));
  assert.equal(p.result().landed, p.current);
  assert.equal(p.result().rejectedHunkIds.length, 0);
});

test('selections map to line pairs: the last old line takes the extra new lines; insertions go whole', () => {
  const h = { id: 'x', origin: 'x', oldStart: 4, oldLines: ['o1', 'o2'], newStart: 4, newLines: ['n1', 'n2', 'n3'], state: 'pending' as const };
  assert.deepEqual(pairsForBufferLines(h, 4, 4), { start: 0, end: 1 });
  assert.deepEqual(pairsForBufferLines(h, 5, 9), { start: 1, end: 3 });
  assert.equal(pairsForBufferLines(h, 0, 3), undefined);
  assert.deepEqual(pairsForProposedLines(h, 5, 5), { start: 1, end: 2 });
  assert.deepEqual(pairsForProposedLines(h, 6, 6), { start: 2, end: 3 });
  const ins = { ...h, oldLines: [], oldStart: 4 };
  assert.deepEqual(pairsForBufferLines(ins, 3, 3), { start: 0, end: 3 });
});

test('a hunk of which only some lines landed is "partial", with the lines that landed; a whole one is "accepted"', () => {
  const original = '// five\none\ntwo\nthree\nfour\nfive\n// end\nx\ny\nz\n';
  const proposed = '// five\nONE\nTWO\nTHREE\nFOUR\nFIVE\n// end\nx\nY\nz\n';
  const p = new FileProposal(engine, original, proposed);
  const [five, why] = p.originIds;
  const h = p.hunks[0]!;
  p.commit(p.lines(h.id, 1, 3, true)!);
  // Pending still, with two of its lines landed.
  assert.deepEqual(p.landedLines(), { removedOld: [3, 4], landedNew: [3, 4] });
  assert.equal(p.states()[five!], 'pending');
  p.commit(p.reject(p.idsOfOrigins([five!])));
  p.commit(p.accept(p.idsOfOrigins([why!])));
  assert.deepEqual(p.states(), { [five!]: 'partial', [why!]: 'accepted' });
  assert.deepEqual(p.landedLines(), { removedOld: [3, 4, 9], landedNew: [3, 4, 9] });
  // Every line of a hunk accepted one by one is the whole hunk: "accepted".
  const q = new FileProposal(engine, 'a\nb\n', 'A\nB\n');
  const [only] = q.originIds;
  q.commit(q.lines(q.hunks[0]!.id, 0, 1, true)!);
  q.commit(q.lines(q.hunks[0]!.id, 0, 1, true)!);
  assert.ok(q.done);
  assert.deepEqual(q.states(), { [only!]: 'accepted' });
});
