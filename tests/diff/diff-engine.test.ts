// The diff engine through the real .wasm under Node: render model, hunk ids, partial apply.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines } from '../../extension/src/host/patch/engine';
import { testCore } from '../apply-patch/lib/core';

const eng = engines(testCore());

test('render model: rows with kinds, both line numbers, texts without endings, hunk ids', () => {
  const d = eng.diffTexts('one\r\ntwo\r\nthree\r\n', 'one\r\n2\r\nthree\r\nfour\r\n');
  assert.deepEqual(
    d.rows.map((r) => [r.kind, r.oldLine, r.newLine, r.text]),
    [
      ['context', 1, 1, 'one'],
      ['delete', 2, null, 'two'],
      ['insert', null, 2, '2'],
      ['context', 3, 3, 'three'],
      ['insert', null, 4, 'four'],
    ],
  );
  assert.equal(d.hunks.length, 2, 'each run of changes is its own hunk');
  assert.deepEqual(d.hunkIds, d.hunks.map((h) => h.id));
  assert.equal(d.rows[1].hunkId, d.hunks[0].id);
  assert.equal(d.rows[4].hunkId, d.hunks[1].id);
  assert.equal(d.rows[0].hunkId, null);
  assert.deepEqual(
    d.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines, h.firstRow, h.rowCount]),
    [
      [2, 1, 2, 1, 1, 2],
      [3, 0, 4, 1, 4, 1],
    ],
  );
  assert.equal(d.sections.length, 1);
  assert.equal(d.unified, '@@ -1,3 +1,4 @@\n one\n-two\n+2\n three\n+four\n');
  assert.equal(d.additions, 2);
  assert.equal(d.deletions, 1);
});

test('word highlights are UTF-16 offsets usable with String.prototype.slice', () => {
  const before = 'const 😀 = "naïve café";';
  const after = 'const 😀 = "naïve tea";';
  const d = eng.diffTexts(`${before}\n`, `${after}\n`);
  const del = d.rows.find((r) => r.kind === 'delete')!;
  const ins = d.rows.find((r) => r.kind === 'insert')!;
  assert.deepEqual(del.highlights.map((h) => del.text.slice(h.start, h.end)), ['café']);
  assert.deepEqual(ins.highlights.map((h) => ins.text.slice(h.start, h.end)), ['tea']);
});

test('missing final newline is flagged on the row and in the unified text', () => {
  const d = eng.diffTexts('a\nb', 'a\nb\n');
  assert.equal(d.rows.find((r) => r.kind === 'delete')!.noNewline, true);
  assert.match(d.unified, /-b\n\\ No newline at end of file\n\+b\n/);
});

test('hunk ids are the same for the same inputs, across calls', () => {
  const a = 'x\n'.repeat(20);
  const b = a.replace(/^x$/m, 'y');
  assert.deepEqual(eng.diffTexts(a, b).hunkIds, eng.diffTexts(a, b).hunkIds);
});

test('partial apply: all -> proposed, none -> original, one -> only that change', () => {
  const original = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', ''].join('\r\n');
  const proposed = ['a', 'B', 'c', 'd', 'e', 'f', 'g', 'H', 'i'].join('\r\n');
  const d = eng.diffTexts(original, proposed);
  assert.equal(d.hunks.length, 2);
  assert.equal(eng.applyHunks(original, proposed, d.hunkIds), proposed);
  assert.equal(eng.applyHunks(original, proposed, []), original);
  assert.equal(eng.applyHunks(original, proposed, [d.hunkIds[0]]), ['a', 'B', 'c', 'd', 'e', 'f', 'g', 'h', 'i', ''].join('\r\n'));
  assert.equal(eng.applyHunks(original, proposed, ['h0000000000000000']), original, 'unknown ids change nothing');
});

test('partial apply with generated inputs (CRLF, no final newline, empty, non-ASCII) keeps the all/none laws', () => {
  // A small deterministic generator: the same cases every run.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pieces = ['', 'a', 'b', 'é', '日本', '😀', ' ', '\t'];
  const text = () => {
    const n = rand(8);
    let s = '';
    for (let i = 0; i < n; i++) {
      s += pieces[rand(pieces.length)] + pieces[rand(pieces.length)];
      if (i + 1 < n || rand(2)) s += rand(3) === 0 ? '\r\n' : '\n';
    }
    return s;
  };
  for (let i = 0; i < 300; i++) {
    const [a, b] = [text(), text()];
    const d = eng.diffTexts(a, b);
    assert.equal(eng.applyHunks(a, b, d.hunkIds), b, JSON.stringify([a, b]));
    assert.equal(eng.applyHunks(a, b, []), a, JSON.stringify([a, b]));
  }
});

test('a 100,000-line file with scattered edits diffs and applies completely', () => {
  const lines = Array.from({ length: 100_000 }, (_, i) => `line ${i} with some text`);
  const original = `${lines.join('\n')}\n`;
  const edited = lines.map((l, i) => (i % 1000 === 7 ? `${l} (edited)` : l));
  const proposed = `${edited.join('\n')}\n`;
  const d = eng.diffTexts(original, proposed);
  assert.equal(d.hunks.length, 100);
  assert.equal(eng.applyHunks(original, proposed, d.hunkIds), proposed);
});
