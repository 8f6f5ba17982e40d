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
