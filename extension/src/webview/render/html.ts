// Small helpers for building HTML strings safely: every piece of text goes through escapeHtml.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": '#39' }[c]};`);
}

/** An attribute value (always quoted by the caller's template). */
export const attr = escapeHtml;

/** A codicon, themed by VS Code's own icon font. */
export function icon(name: string, extraClass = ''): string {
  return `<span class="codicon codicon-${attr(name)}${extraClass ? ' ' + attr(extraClass) : ''}" aria-hidden="true"></span>`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m ${s}s`;
}
