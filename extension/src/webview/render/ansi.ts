// Terminal output (with ANSI colour codes) to HTML. Colours become classes that the stylesheet maps to
// VS Code's terminal theme variables; no inline styles (the CSP forbids them).
import Anser from 'anser';
import { escapeHtml } from './html';

const NAMED = ['black', 'red', 'green', 'yellow', 'blue', 'magenta', 'cyan', 'white'];

/** anser's class for a colour, narrowed to the 16 themed ones (palette 0-15 map onto them). */
function colourClass(cls: string | null, layer: 'fg' | 'bg'): string | null {
  if (!cls) return null;
  const pal = /^ansi-palette-(\d+)$/.exec(cls);
  if (pal) {
    const n = Number(pal[1]);
    if (n < 8) return `ansi-${NAMED[n]}-${layer}`;
    if (n < 16) return `ansi-bright-${NAMED[n - 8]}-${layer}`;
    return null; // 256-colour and true colour fall back to the default colour
  }
  if (/^ansi-(bright-)?(black|red|green|yellow|blue|magenta|cyan|white)$/.test(cls)) return `${cls}-${layer}`;
  return null;
}

/**
 * A terminal draws a carriage return by moving back to the line start, so progress bars overwrite
 * themselves: keep only what follows the last \r of each line. CRLF is a plain line end.
 */
export function collapseCarriageReturns(text: string): string {
  if (!text.includes('\r')) return text;
  return text
    .replace(/\r+\n/g, '\n')
    .split('\n')
    .map((line) => {
      const i = line.lastIndexOf('\r');
      return i === -1 ? line : line.slice(i + 1);
    })
    .join('\n');
}

export function ansiToHtml(text: string): string {
  const entries = Anser.ansiToJson(collapseCarriageReturns(text), { use_classes: true, remove_empty: true });
  let out = '';
  for (const e of entries) {
    if (!e.content) continue;
    const classes: string[] = [];
    const fg = colourClass(e.fg, 'fg');
    const bg = colourClass(e.bg, 'bg');
    if (fg) classes.push(fg);
    if (bg) classes.push(bg);
    for (const d of e.decorations ?? []) classes.push(`ansi-${d}`);
    const content = escapeHtml(e.content);
    out += classes.length ? `<span class="${classes.join(' ')}">${content}</span>` : content;
  }
  return out;
}

/** One piece of a terminal's output, drawn on its own so a redraw touches only what changed. */
export interface TerminalChunk {
  /** Absolute index: chunk k starts at the first line start at or after k * size in the whole output. */
  index: number;
  text: string;
  /** SGR sequences still in effect where the chunk starts (colour set in an earlier chunk). */
  carry: string;
}

// Select Graphic Rendition: ESC [ params m. (ESC in a regex is what we mean here.)
// eslint-disable-next-line no-control-regex
const SGR = /\u001b\[([0-9;]*)m/g;

/** The SGR sequences in effect after `text`, given those in effect before it. */
function carryAfter(before: string[], text: string): string[] {
  let active = before;
  for (const m of text.matchAll(SGR)) {
    const params = m[1];
    if (params === '' || params === '0') active = [];
    else if (params.startsWith('0;')) active = [`\u001b[${params.slice(2)}m`];
    else active = [...active, m[0]];
  }
  return active;
}

/**
 * Splits the kept output of a command into chunks of about `size` characters, each made of whole
 * lines (the last may be partial). `base` is how many characters were dropped from the front so far:
 * boundaries are fixed in the whole output's coordinates, so appending changes only the last chunk
 * and trimming the front only the first.
 */
export function splitTerminal(text: string, base: number, size = 4096): TerminalChunk[] {
  const chunks: TerminalChunk[] = [];
  let start = 0;
  let index = Math.floor(base / size);
  let carry: string[] = [];
  while (start < text.length) {
    // The next chunk starts at the first line start at or after (index + 1) * size.
    let next = text.length;
    for (let k = index + 1; ; k++) {
      const at = k * size - base;
      if (at >= text.length) break;
      if (at <= start) continue;
      const nl = text.indexOf('\n', at - 1);
      if (nl === -1 || nl + 1 >= text.length) break;
      if (nl + 1 > start) {
        next = nl + 1;
        break;
      }
    }
    const piece = text.slice(start, next);
    chunks.push({ index, text: piece, carry: carry.join('') });
    carry = carryAfter(carry, piece);
    start = next;
    index = Math.floor((base + next) / size);
  }
  return chunks;
}
