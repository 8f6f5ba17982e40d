// Model answers as markdown. Raw HTML in the model's text is NOT rendered (html: false escapes it);
// code blocks are highlighted by highlight.js. The DOM layer still passes the result through DOMPurify.
import MarkdownIt from 'markdown-it';
import hljs from 'highlight.js/lib/common';
import { escapeHtml } from './html';

const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight(code: string, lang: string): string {
    const language = lang && hljs.getLanguage(lang) ? lang : undefined;
    try {
      const body = language
        ? hljs.highlight(code, { language, ignoreIllegals: true }).value
        : escapeHtml(code);
      return `<pre class="code-block"><code class="hljs${language ? ` language-${escapeHtml(language)}` : ''}">${body}</code></pre>`;
    } catch {
      return `<pre class="code-block"><code class="hljs">${escapeHtml(code)}</code></pre>`;
    }
  },
});

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

export function renderMarkdown(text: string): string {
  return sanitize(md.render(text));
}
