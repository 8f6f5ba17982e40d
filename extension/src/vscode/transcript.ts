// A past session's conversation, rebuilt from its history records for the chat to replay. Pure.

/** The conversation's messages from a session file's history records, for the chat to replay. */
export function transcriptOf(records: unknown[]): { role: 'user' | 'assistant'; text: string; id: string }[] {
  const out: { role: 'user' | 'assistant'; text: string; id: string }[] = [];
  records.forEach((r, i) => {
    if (typeof r !== 'object' || r === null) return;
    const rec = r as { type?: string; item?: { type?: string; role?: string; content?: unknown } };
    const item = rec.type === 'item' ? rec.item : undefined;
    if (!item || item.type !== 'message' || (item.role !== 'user' && item.role !== 'assistant')) return;
    const parts = Array.isArray(item.content) ? item.content : [item.content];
    const text = parts
      .map((c) => (typeof c === 'string' ? c : typeof (c as { text?: unknown })?.text === 'string' ? (c as { text: string }).text : ''))
      .join('');
    // Context the harness adds (environment, AGENTS.md) is not something the person typed.
    if (!text.trim() || /^<(environment_context|user_instructions|editor_context)/.test(text.trim())) return;
    out.push({ role: item.role, text, id: `replay-${i}` });
  });
  return out;
}
