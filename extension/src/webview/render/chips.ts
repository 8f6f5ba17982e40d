// The chips above the chat's input: the context the next message carries (the active file and how
// many other open files, the selection), each removable, and the permissions in force (approval
// policy and sandbox), which opens the policy picker. Pure HTML strings.
import type { ContextPart } from '../../shared/chat-protocol';
import type { ChatState } from '../state';
import { revealHtml, reveal } from '../../shared/display';
import { attr, escapeHtml, icon } from './html';

const POLICY_LABEL: Record<string, string> = {
  untrusted: 'Ask before commands',
  'on-request': 'Ask to leave the sandbox',
  'on-failure': 'Ask when the sandbox blocks',
  never: 'Never ask',
};
const SANDBOX_LABEL: Record<string, string> = {
  'read-only': 'read-only sandbox',
  'workspace-write': 'workspace-write sandbox',
  'danger-full-access': 'no sandbox',
};

function baseName(p: string): string {
  return p.split(/[\\/]/).pop() || p;
}

function chip(part: ContextPart, glyph: string, label: string, title: string): string {
  return (
    `<span class="chip" data-testid="chip-${part}" title="${attr(title)}">${icon(glyph)}<span class="chip-label">${label}</span>` +
    `<button class="chip-remove" data-action="chip-remove" data-part="${part}" data-testid="chip-remove-${part}" aria-label="${attr(`Do not send ${title}`)}">${icon('close')}</button></span>`
  );
}

/** Only the host's prepared images are shown: a PNG or JPEG data: URL, nothing else reaches `src`. */
const THUMBNAIL = /^data:image\/(png|jpeg);base64,[A-Za-z0-9+/]+={0,2}$/;

/** One chip per attached image: its thumbnail (or a warning and why it was refused), removable. */
function imageChips(state: ChatState): string[] {
  return (state.attachments ?? []).map((a) => {
    const name = revealHtml(a.name, { singleLine: true });
    const title = a.error ? `${reveal(a.name, { singleLine: true })} was not attached: ${a.error}` : `${reveal(a.name, { singleLine: true })}${a.width ? ` (${a.width}x${a.height}, as sent)` : ''}`;
    const thumb = a.thumbnail && THUMBNAIL.test(a.thumbnail) ? `<img class="chip-thumb" src="${attr(a.thumbnail)}" alt="">` : icon(a.error ? 'warning' : 'file-media');
    return (
      `<span class="chip image${a.error ? ' refused' : ''}" data-testid="chip-image" data-attachment="${attr(a.id)}" title="${attr(title)}">${thumb}<span class="chip-label">${name}</span>` +
      `<button class="chip-remove" data-action="image-remove" data-attachment="${attr(a.id)}" data-testid="chip-image-remove" aria-label="${attr(`Remove ${a.name}`)}">${icon('close')}</button></span>`
    );
  });
}

export function renderChips(state: ChatState): string {
  const ctx = state.editorContext;
  const images = imageChips(state);
  if (!ctx) return images.length > 0 ? `<div class="chips" data-testid="chips" aria-label="Sent with your message">${images.join('')}</div>` : '';
  const excluded = state.excluded ?? [];
  const parts: string[] = [...images];
  if (ctx.file && !excluded.includes('file')) {
    const more = ctx.openFiles > 0 ? ` +${ctx.openFiles}` : '';
    parts.push(chip('file', 'file', `${revealHtml(baseName(ctx.file), { singleLine: true })}${more}`, `the open file ${reveal(ctx.file, { singleLine: true })}${more ? ` and ${ctx.openFiles} other open file name(s)` : ''}`));
  }
  if (ctx.selection && !excluded.includes('selection')) {
    const s = ctx.selection;
    const lines = s.startLine === s.endLine ? `line ${s.startLine}` : `lines ${s.startLine}-${s.endLine}`;
    parts.push(chip('selection', 'selection', `${revealHtml(baseName(s.path), { singleLine: true })}:${escapeHtml(s.startLine === s.endLine ? String(s.startLine) : `${s.startLine}-${s.endLine}`)}`, `the selection (${lines} of ${reveal(s.path, { singleLine: true })})`));
  }
  const policy = POLICY_LABEL[ctx.approvalPolicy] ?? ctx.approvalPolicy;
  const sandbox = SANDBOX_LABEL[ctx.sandboxMode] ?? ctx.sandboxMode;
  const risky = ctx.approvalPolicy === 'never' && ctx.sandboxMode === 'danger-full-access';
  parts.push(
    `<button class="chip permissions${risky ? ' risky' : ''}" data-action="permissions" data-testid="chip-permissions" title="${attr(`Approval policy: ${ctx.approvalPolicy}; sandbox: ${ctx.sandboxMode}. Click to change the approval policy.`)}">` +
      `${icon(risky ? 'warning' : 'shield')}<span class="chip-label">${escapeHtml(policy)} · ${escapeHtml(sandbox)}</span></button>`,
  );
  return `<div class="chips" data-testid="chips" aria-label="Sent with your message">${parts.join('')}</div>`;
}
