// Model answers as markdown. Raw HTML in the model's text is NOT rendered (html: false escapes it);
// code blocks are highlighted by highlight.js. The DOM layer still passes the result through DOMPurify.
import MarkdownIt from 'markdown-it';
import hljs from 'highlight.js/lib/common';
import { revealInHtml } from '../../shared/display';
import { escapeHtml, icon } from './html';

// A streaming answer is re-rendered on every frame, but its finished code blocks do not change:
// remember their highlighting (highlight.js is the expensive part).
const HIGHLIGHT_CACHE_SIZE = 200;
const highlighted = new Map<string, string>();

function highlightBlock(code: string, lang: string): string {
  const key = `${lang}\u0000${code}`;
  const hit = highlighted.get(key);
  if (hit !== undefined) return hit;
  const language = lang && hljs.getLanguage(lang) ? lang : undefined;
  let body: string;
  try {
    body = language ? hljs.highlight(code, { language, ignoreIllegals: true }).value : escapeHtml(code);
  } catch {
    body = escapeHtml(code);
  }
  // Code is shown as it is: bidirectional and invisible characters in it appear as visible escapes.
  // Copy and Insert at cursor act on the block's text as shown (the host does the clipboard and the editor).
  const actions =
    `<span class="code-actions">` +
    `<button class="icon-button" data-action="code-copy" data-testid="code-copy" title="Copy" aria-label="Copy code">${icon('copy')}</button>` +
    `<button class="icon-button" data-action="code-insert" data-testid="code-insert" title="Insert at cursor" aria-label="Insert code at the cursor">${icon('insert')}</button></span>`;
  const html = `<pre class="code-block">${actions}<code class="hljs${language ? ` language-${escapeHtml(language)}` : ''}">${revealInHtml(body, 'code')}</code></pre>`;
  if (highlighted.size >= HIGHLIGHT_CACHE_SIZE) highlighted.delete(highlighted.keys().next().value as string);
  highlighted.set(key, html);
  return html;
}

// linkify off: it made each render ~4x slower, and a streaming answer is re-rendered every frame.
const md = new MarkdownIt({ html: false, linkify: false, breaks: false, highlight: highlightBlock });

// Web links and workspace-relative paths are links (the view opens paths in the editor); any other
// scheme (javascript:, file:, data:, command:) stays text.
md.validateLink = (url: string): boolean => {
  const u = url.trim();
  return /^(https?:|mailto:)/i.test(u) || !/^[a-z][a-z0-9+.-]*:/i.test(u);
};

let sanitize: (html: string) => string = (html) => html;

/** The browser side installs DOMPurify here; under node tests markdown-it's own escaping is what runs. */
export function setSanitizer(fn: (html: string) => string): void {
  sanitize = fn;
}

// Inline code (commands, paths, names in the answer) gets the full set of visible escapes too.
md.renderer.rules.code_inline = (tokens, idx, _options, _env, self) =>
  `<code${self.renderAttrs(tokens[idx]!)}>${revealInHtml(escapeHtml(tokens[idx]!.content), 'code')}</code>`;

/** The answer as HTML; in prose, characters that reorder or hide text are shown as escapes. */
export function renderMarkdown(text: string): string {
  return sanitize(revealInHtml(md.render(text), 'prose'));
}
