// Showing text that came from the model or the repository (commands, paths, file names, plan steps)
// so that what the person sees is what is there. Bidirectional overrides and isolates reorder what is
// drawn (`docs/evil\u202Etxt.sh` looks like `docs/evilhs.txt`), zero-width and other invisible
// characters hide differences, and control characters move the cursor or vanish. Each of them is
// shown as a visible escape, `\u{202E}`, instead.
//
// Used by the webview (HTML, styled) and by the VS Code side (plain text: notifications, quick picks,
// diff editor titles). Free of `vscode`, Node and DOM imports.

/** Unicode names of the characters people are most likely to meet, for tooltips. */
const NAMES: Record<number, string> = {
  0x061c: 'ARABIC LETTER MARK',
  0x200b: 'ZERO WIDTH SPACE',
  0x200c: 'ZERO WIDTH NON-JOINER',
  0x200d: 'ZERO WIDTH JOINER',
  0x200e: 'LEFT-TO-RIGHT MARK',
  0x200f: 'RIGHT-TO-LEFT MARK',
  0x2028: 'LINE SEPARATOR',
  0x2029: 'PARAGRAPH SEPARATOR',
  0x202a: 'LEFT-TO-RIGHT EMBEDDING',
  0x202b: 'RIGHT-TO-LEFT EMBEDDING',
  0x202c: 'POP DIRECTIONAL FORMATTING',
  0x202d: 'LEFT-TO-RIGHT OVERRIDE',
  0x202e: 'RIGHT-TO-LEFT OVERRIDE',
  0x2060: 'WORD JOINER',
  0x2066: 'LEFT-TO-RIGHT ISOLATE',
  0x2067: 'RIGHT-TO-LEFT ISOLATE',
  0x2068: 'FIRST STRONG ISOLATE',
  0x2069: 'POP DIRECTIONAL ISOLATE',
  0xfeff: 'ZERO WIDTH NO-BREAK SPACE (BOM)',
  0x00ad: 'SOFT HYPHEN',
  0x1b: 'ESCAPE',
  0x7f: 'DELETE',
  0x0d: 'CARRIAGE RETURN',
  0x09: 'TAB',
  0x0a: 'LINE FEED',
  0x00: 'NUL',
};

// Bidirectional embeddings, overrides and isolates: they reorder everything after them.
const BIDI = '\\u202A-\\u202E\\u2066-\\u2069';
// Everything else that draws as nothing, or as something other than itself: C0 controls (but tab and
// line feed, see `singleLine`), DEL and C1 controls, soft hyphen, ALM, Hangul fillers, Khmer and
// Mongolian invisible vowels/separators, zero-width characters and directional marks, line and
// paragraph separators, word joiner and invisible operators, deprecated format characters, variation
// selectors, the BOM, interlinear annotation, tag characters, lone surrogates.
const INVISIBLE =
  '\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u00AD\\u034F\\u061C\\u115F\\u1160\\u17B4\\u17B5\\u180B-\\u180F' +
  '\\u200B-\\u200F\\u2028\\u2029\\u205F-\\u2064\\u206A-\\u206F\\u3164\\uFE00-\\uFE0F\\uFEFF\\uFFA0\\uFFF9-\\uFFFB' +
  '\\u{E0000}-\\u{E007F}\\u{E0100}-\\u{E01EF}\\u{1D173}-\\u{1D17A}\\uD800-\\uDFFF';

// Each class matches single code points on purpose: joiners and variation selectors are what is
// looked for, not parts of a sequence.
/* eslint-disable no-misleading-character-class */
const ALL = new RegExp(`[${BIDI}${INVISIBLE}]`, 'u');
const ALL_G = new RegExp(`[${BIDI}${INVISIBLE}]`, 'gu');
const ALL_LINES_G = new RegExp(`[${BIDI}${INVISIBLE}\\t\\n]`, 'gu');
// In prose (the model's answers) joiners and marks have honest uses (emoji sequences, Persian, RTL
// text); only the characters that reorder or hide text, and controls, are escaped there.
const PROSE_G = new RegExp(`[${BIDI}\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F\\u200B\\u2060\\uFEFF\\u{E0000}-\\u{E007F}]`, 'gu');
/* eslint-enable no-misleading-character-class */

export interface RevealOptions {
  /**
   * Escape tab and line feed too: for text that must stay on one line (a path, a file name, a
   * notification about a command). Multi-line commands keep their line breaks otherwise.
   */
  singleLine?: boolean;
}

/** The visible escape for one character: `\u{202E}`. */
export function escapeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `\\u{${cp.toString(16).toUpperCase().padStart(4, '0')}}`;
}

/** A name for the tooltip: `U+202E RIGHT-TO-LEFT OVERRIDE`. */
export function describeChar(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const name = NAMES[cp] ?? (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ? 'CONTROL CHARACTER' : cp >= 0xd800 && cp <= 0xdfff ? 'LONE SURROGATE' : 'INVISIBLE CHARACTER');
  return `U+${hex} ${name}`;
}

/** Whether the text holds any character `reveal` would escape. */
export function hasHidden(text: string): boolean {
  return ALL.test(text);
}

/** Plain text with every bidirectional, invisible and control character written as `\u{XXXX}`. */
export function reveal(text: string, opts: RevealOptions = {}): string {
  return text.replace(opts.singleLine ? ALL_LINES_G : ALL_G, escapeChar);
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`);
}

function markHtml(ch: string): string {
  return `<span class="hidden-char" title="${escapeHtml(describeChar(ch))}">${escapeHtml(escapeChar(ch))}</span>`;
}

/** HTML-escaped text with each hidden character drawn as a styled `\u{XXXX}` (class `hidden-char`). */
export function revealHtml(text: string, opts: RevealOptions = {}): string {
  const re = opts.singleLine ? ALL_LINES_G : ALL_G;
  let out = '';
  let at = 0;
  for (const m of text.matchAll(re)) {
    out += escapeHtml(text.slice(at, m.index)) + markHtml(m[0]);
    at = m.index + m[0].length;
  }
  return out + escapeHtml(text.slice(at));
}

/**
 * The same for HTML that is already built (markdown output, highlighted code): only text between
 * tags is touched. The HTML must escape `>` inside attribute values (markdown-it and highlight.js do).
 * `prose` escapes only what reorders or hides text (see PROSE_G); code gets the full set.
 */
export function revealInHtml(html: string, kind: 'prose' | 'code' = 'code'): string {
  const re = kind === 'prose' ? PROSE_G : ALL_G;
  // Most text has none: skip the split (a streaming answer is re-rendered every frame).
  if (!ALL.test(html)) return html;
  return html
    .split(/(<[^>]*>)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(re, markHtml)))
    .join('');
}
