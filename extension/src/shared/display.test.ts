// The visible escapes for bidirectional, invisible and control characters (shared/display.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeChar, hasHidden, reveal, revealHtml, revealInHtml } from './display';

test('a right-to-left override in a path is shown as an escape, not obeyed', () => {
  const path = 'docs/evil\u202Etxt.sh';
  assert.equal(reveal(path), 'docs/evil\\u{202E}txt.sh');
  assert.ok(hasHidden(path));
  assert.ok(!hasHidden('docs/plain.txt'));
  assert.equal(reveal('docs/plain.txt'), 'docs/plain.txt', 'ordinary text is unchanged');
});

test('every class of hidden character is escaped', () => {
  const cases: Array<[string, string]> = [
    ['\u202A', '202A'], ['\u202B', '202B'], ['\u202C', '202C'], ['\u202D', '202D'], ['\u202E', '202E'],
    ['\u2066', '2066'], ['\u2067', '2067'], ['\u2068', '2068'], ['\u2069', '2069'],
    ['\u200B', '200B'], ['\u200C', '200C'], ['\u200D', '200D'], ['\u200E', '200E'], ['\u200F', '200F'],
    ['\u061C', '061C'], ['\uFEFF', 'FEFF'], ['\u2028', '2028'], ['\u2060', '2060'], ['\u00AD', '00AD'],
    ['\u0000', '0000'], ['\u0007', '0007'], ['\u001B', '001B'], ['\r', '000D'], ['\u007F', '007F'], ['\u0085', '0085'], ['\u009B', '009B'],
    ['\uFE0F', 'FE0F'], ['\u{E0041}', 'E0041'], ['\uD800', 'D800'],
  ];
  for (const [ch, hex] of cases) assert.equal(reveal(`a${ch}b`), `a\\u{${hex}}b`, `U+${hex}`);
});

test('line feed and tab stay in multi-line text and are escaped on one line', () => {
  assert.equal(reveal('a\tb\nc'), 'a\tb\nc');
  assert.equal(reveal('a\tb\nc', { singleLine: true }), 'a\\u{0009}b\\u{000A}c');
  assert.equal(reveal('ok.txt\r'), 'ok.txt\\u{000D}', 'a carriage return is never raw');
});

test('ordinary non-ASCII text is left alone', () => {
  for (const s of ['café/naïve.ts', 'Straße', 'ملف.txt', 'קובץ', '日本語', '😀']) assert.equal(reveal(s), s);
  assert.equal(reveal('\uD83D\uDE00'), '😀', 'a paired surrogate is one character, not two lone ones');
});

test('HTML: escaped, with each hidden character styled and named', () => {
  const html = revealHtml('<b>\u202E&"');
  assert.equal(html, '&lt;b&gt;<span class="hidden-char" title="U+202E RIGHT-TO-LEFT OVERRIDE">\\u{202E}</span>&amp;&quot;');
  assert.equal(describeChar('\u0001'), 'U+0001 CONTROL CHARACTER');
});

test('HTML already built: text between tags only; prose keeps joiners, code does not', () => {
  const built = '<a href="x" title="t\u202E">link \u202E</a> \u200D';
  const prose = revealInHtml(built, 'prose');
  assert.ok(prose.startsWith('<a href="x" title="t\u202E">link <span class="hidden-char"'), 'the tag is untouched');
  assert.ok(prose.endsWith('</a> \u200D'), 'a zero-width joiner (emoji sequences) stays in prose');
  assert.ok(revealInHtml(built, 'code').endsWith('</a> <span class="hidden-char" title="U+200D ZERO WIDTH JOINER">\\u{200D}</span>'));
});
