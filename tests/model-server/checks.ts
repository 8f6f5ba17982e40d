// What real OpenAI-compatible servers refuse, reproduced: the scripted server applies the checks a
// script names before it serves a response, and answers the way llama.cpp's server does.
//   json-arguments   a tool call in the history whose `arguments` are not a JSON object -> HTTP 500
//                    (llama.cpp parses them, for every later request)
//   alternation      two user (or two assistant) messages in a row, or a system message past the
//                    first -> HTTP 400, as Gemma's and Mistral's chat templates raise
//                    "Conversation roles must alternate"
//   no-empty-system  an empty system message (an empty `instructions` on Responses) -> HTTP 400
//   hosted-items     Responses: a `web_search_call` input item without its `id`, `status` or
//                    `action` (the API requires them when the item is sent back) -> HTTP 400;
//                    an `input_image` whose `image_url` is not a data: or https: URL -> HTTP 400

export const SERVER_CHECKS = ['json-arguments', 'alternation', 'no-empty-system', 'hosted-items'] as const;
export type ServerCheck = (typeof SERVER_CHECKS)[number];

export interface CheckFailure {
  status: number;
  message: string;
}

interface Turn {
  role: 'system' | 'user' | 'assistant' | 'tool';
  text: string;
  /** Tool-call arguments this message carries. */
  args: string[];
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

/** The conversation as role turns, from a Chat body or a Responses body (as llama.cpp converts it). */
function turnsOf(body: Record<string, unknown>, wire: 'responses' | 'chat'): Turn[] {
  const turns: Turn[] = [];
  if (wire === 'chat') {
    for (const m of (body.messages as Array<Record<string, unknown>>) ?? []) {
      const role = m.role === 'developer' ? 'system' : (m.role as Turn['role']);
      const calls = (m.tool_calls as Array<{ function?: { arguments?: unknown } }>) ?? [];
      turns.push({ role, text: textOf(m.content), args: calls.map((c) => String(c.function?.arguments ?? '')) });
    }
    return turns;
  }
  if (typeof body.instructions === 'string') turns.push({ role: 'system', text: body.instructions, args: [] });
  const input = typeof body.input === 'string' ? [{ type: 'message', role: 'user', content: body.input }] : ((body.input as Array<Record<string, unknown>>) ?? []);
  for (const item of input) {
    const type = item.type ?? 'message';
    if (type === 'message') {
      const role = item.role === 'developer' || item.role === 'system' ? 'system' : item.role === 'assistant' ? 'assistant' : 'user';
      turns.push({ role, text: textOf(item.content), args: [] });
    } else if (type === 'function_call') {
      // Calls of one response join the assistant message before them, as the server groups them.
      const last = turns.at(-1);
      if (last?.role === 'assistant') last.args.push(String(item.arguments ?? ''));
      else turns.push({ role: 'assistant', text: '', args: [String(item.arguments ?? '')] });
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      turns.push({ role: 'tool', text: textOf(item.output), args: [] });
    } else if (type === 'custom_tool_call') {
      const last = turns.at(-1);
      if (last?.role === 'assistant') last.args.push(JSON.stringify({ input: item.input }));
      else turns.push({ role: 'assistant', text: '', args: [JSON.stringify({ input: item.input })] });
    }
  }
  return turns;
}

/** The first check the body fails, or undefined. */
export function checkRequest(body: unknown, wire: 'responses' | 'chat', checks: readonly ServerCheck[]): CheckFailure | undefined {
  if (checks.length === 0 || !body || typeof body !== 'object') return undefined;
  const turns = turnsOf(body as Record<string, unknown>, wire);
  if (checks.includes('json-arguments')) {
    for (const t of turns) {
      for (const a of t.args) {
        let ok: boolean;
        try {
          const v: unknown = JSON.parse(a);
          ok = v !== null && typeof v === 'object' && !Array.isArray(v);
        } catch {
          ok = false;
        }
        if (!ok) return { status: 500, message: `[json.exception.parse_error.101] parse error: tool call arguments are not a JSON object: ${a.slice(0, 80)}` };
      }
    }
  }
  if (checks.includes('hosted-items') && wire === 'responses') {
    const input = (body as { input?: unknown }).input;
    for (const item of Array.isArray(input) ? (input as Array<Record<string, unknown>>) : []) {
      if (item.type === 'web_search_call' && (typeof item.id !== 'string' || typeof item.status !== 'string' || typeof item.action !== 'object' || item.action === null)) {
        return { status: 400, message: "Invalid 'input': a web_search_call item needs 'id', 'status' and 'action'." };
      }
      for (const part of Array.isArray(item.content) ? (item.content as Array<Record<string, unknown>>) : []) {
        if (part.type === 'input_image' && !(typeof part.image_url === 'string' && /^(data:image\/(png|jpeg|gif|webp);base64,|https:)/.test(part.image_url))) {
          return { status: 400, message: "Invalid 'input_image': image_url must be a data: URL of a supported image or an https URL." };
        }
      }
    }
  }
  if (checks.includes('no-empty-system') && turns.some((t) => t.role === 'system' && t.text.trim() === '')) {
    return { status: 400, message: 'System message content must not be empty (scripted template check)' };
  }
  if (checks.includes('alternation')) {
    // What strict templates (Gemma's, Mistral's) refuse and clients control: a system message after
    // the first position, the first turn not the user's, two user or two assistant messages in a row
    // (tool results between two assistant messages separate them).
    const rest = turns[0]?.role === 'system' ? turns.slice(1) : turns;
    const refuse = { status: 400, message: 'Conversation roles must alternate user/assistant/user/assistant/...' };
    if (rest[0] && rest[0].role !== 'user') return refuse;
    for (let i = 0; i < rest.length; i++) {
      const t = rest[i];
      if (t.role === 'system') return refuse;
      if (i > 0 && t.role !== 'tool' && rest[i - 1].role === t.role) return refuse;
    }
  }
  return undefined;
}
