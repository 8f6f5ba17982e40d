// The diff engine through the real .wasm under Node: render model, hunk ids, partial apply.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import * as glue from '../../extension/src/generated/wasm/wasm_ui_core.js';
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

test('hunk line numbers are exact deep into a big file (the wasm lockstep pass counts the lines it skips)', () => {
  // Lines of 0 to 80 bytes, some multi-byte, so the equal stretches run across many 32-byte steps
  // and the newline counts are folded many times between changes.
  const lines = Array.from({ length: 6000 }, (_, i) => `${'é😀x'.repeat(i % 9)}${'-'.repeat(i % 41)}${i % 13 === 0 ? '' : ` ${i}`}`);
  const original = `${lines.join('\n')}\n`;
  const out: string[] = [];
  const want: Array<[number, number, number, number]> = [];
  for (let i = 0; i < lines.length; i++) {
    if (i % 700 === 350) {
      want.push([i + 1, 1, out.length + 1, 1]);
      out.push(`${lines[i]} (edited)`);
    } else if (i === 2500) {
      want.push([i, 0, out.length + 1, 2]);
      out.push('inserted one', 'inserted two', lines[i]);
    } else if (i === 4999) {
      want.push([i + 1, 1, out.length, 0]);
    } else out.push(lines[i]);
  }
  const proposed = `${out.join('\n')}\n`;
  const d = eng.diffLines(original, proposed);
  assert.deepEqual(
    d.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]),
    want.sort((x, y) => x[0] - y[0]),
  );
  const full = eng.diffTexts(original, proposed);
  assert.deepEqual(full.hunkIds, d.hunkIds);
  for (const h of full.hunks) {
    const first = full.rows[h.firstRow];
    if (first.kind === 'delete') assert.equal(first.text, lines[first.oldLine! - 1]);
  }
  assert.equal(eng.applyHunks(original, proposed, d.hunkIds), proposed);
});

/** A deterministic generator of text pairs (CRLF, no final newline, empty, non-ASCII, repeats). */
function pairs(count: number, seed0: number): Array<[string, string]> {
  let seed = seed0;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pieces = ['', 'a', 'b', 'é', '日本', '😀', ' ', '\t', 'x = 1;', '}'];
  const text = (lines: number) => {
    let s = '';
    for (let i = 0; i < lines; i++) {
      s += pieces[rand(pieces.length)] + pieces[rand(pieces.length)];
      if (i + 1 < lines || rand(2)) s += rand(3) === 0 ? '\r\n' : '\n';
    }
    return s;
  };
  const out: Array<[string, string]> = [];
  for (let i = 0; i < count; i++) {
    const a = text(rand(30));
    // Half the pairs are an edit of `a` (a few lines changed), half unrelated texts.
    const b = rand(2) ? text(rand(30)) : a.split('\n').map((l) => (rand(6) === 0 ? `${l}!` : l)).join('\n');
    out.push([a, b]);
  }
  return out;
}

test('the line-level diff is the whole diff without rows: same ids, ranges, sections and counts', () => {
  for (const [a, b] of pairs(300, 7)) {
    const full = eng.diffTexts(a, b);
    const lines = eng.diffLines(a, b);
    const why = JSON.stringify([a, b]);
    assert.deepEqual(lines.hunkIds, full.hunkIds, why);
    assert.deepEqual(
      lines.hunks.map((h) => [h.id, h.oldStart, h.oldLines, h.newStart, h.newLines]),
      full.hunks.map((h) => [h.id, h.oldStart, h.oldLines, h.newStart, h.newLines]),
      why,
    );
    assert.equal(lines.sections, full.sections.length, why);
    for (const h of lines.hunks) assert.ok(full.sections[h.section].hunkIds.includes(h.id), why);
    assert.deepEqual([lines.additions, lines.deletions], [full.additions, full.deletions], why);
  }
  const d = eng.diffLines('a\nb\nc\n', 'a\nB\nc\nd\n');
  assert.deepEqual(d, {
    hunkIds: d.hunkIds,
    hunks: [
      { id: d.hunkIds[0], oldStart: 2, oldLines: 1, newStart: 2, newLines: 1, section: 0 },
      { id: d.hunkIds[1], oldStart: 3, oldLines: 0, newStart: 4, newLines: 1, section: 0 },
    ],
    sections: 1,
    additions: 2,
    deletions: 1,
  });
  assert.match(d.hunkIds[0], /^h[0-9a-f]{16}$/);
  assert.deepEqual(eng.diffLines('same\n', 'same\n'), { hunkIds: [], hunks: [], sections: 0, additions: 0, deletions: 0 });
});

test('an open diff gives, section by section, exactly the rows diffTexts gives', () => {
  for (const [a, b] of pairs(200, 11)) {
    const full = eng.diffTexts(a, b);
    const open = eng.openDiff(a, b);
    try {
      const why = JSON.stringify([a, b]);
      assert.deepEqual(open.lines, eng.diffLines(a, b), why);
      assert.deepEqual(open.all(), full, why);
      assert.deepEqual(open.part(0, open.lines.sections), full, why);
      for (let s = 0; s < full.sections.length; s++) {
        const part = open.part(s, s + 1);
        const want = full.sections[s];
        assert.deepEqual(part.rows, full.rows.slice(want.firstRow, want.firstRow + want.rowCount), why);
        assert.deepEqual(part.hunkIds, want.hunkIds, why);
        assert.deepEqual(part.sections, [{ ...want, firstRow: 0 }], why);
      }
      assert.deepEqual(open.part(open.lines.sections, open.lines.sections + 5).rows, [], 'past the end: nothing');
    } finally {
      open.free();
    }
  }
});

test('an open diff is unusable once freed, and freeing returns its memory', () => {
  const open = eng.openDiff('a\n', 'b\n');
  open.free();
  open.free();
  assert.throws(() => open.all(), /this diff was freed/);
  // Each diff holds both 2 MB texts plus their line tables in wasm memory; without free() a few
  // hundred of them would grow the memory by gigabytes.
  const lines = Array.from({ length: 60_000 }, (_, i) => `line ${i} of a long enough file`);
  const a = `${lines.join('\n')}\n`;
  const b = a.replace('line 30000 ', 'line thirty thousand ');
  // The glue module core.ts loaded (as CommonJS through tsx): initSync on an initialised module
  // answers its instance's exports, memory included.
  const g = ((glue as unknown as { default?: typeof glue }).default ?? glue) as typeof glue;
  assert.equal(g.TextDiff, testCore().TextDiff, 'the same glue module (and instance) as the engines');
  const memory = () => (g.initSync({ module: fs.readFileSync(process.env.TACK_WASM!) }) as unknown as { memory: WebAssembly.Memory }).memory.buffer.byteLength;
  const warm = eng.openDiff(a, b);
  assert.equal(warm.lines.hunkIds.length, 1);
  assert.equal(warm.part(0, 1).rows.length, 8);
  warm.free();
  const before = memory();
  for (let i = 0; i < 300; i++) {
    const d = eng.openDiff(a, b);
    assert.equal(d.lines.hunks[0].oldStart, 30_001);
    d.free();
  }
  assert.ok(memory() - before < 64 << 20, `wasm memory grew from ${before} to ${memory()} bytes`);
});
