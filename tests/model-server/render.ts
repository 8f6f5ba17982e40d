// Turns one scripted response into the Server-Sent Events of either wire format, shaped the way the
// OpenAI APIs send them (event names, item shapes, sequence numbers, usage).

import type { ScriptedResponse, ScriptedToolCall, ScriptedUsage } from './script';

/** One SSE event, ready to write; `delta` marks the events that `delayMs` paces. */
export interface Frame {
  text: string;
  delta: boolean;
}

export interface RenderContext {
  model: string;
  /** Fresh ids: `next('msg')` -> `msg_…`. */
  next: (prefix: string) => string;
  /** The call id for the i-th tool call of this response. */
  callId: (call: ScriptedToolCall, i: number) => string;
  /** Size of the request body, for a default usage estimate. */
  requestChars: number;
  createdAt: number;
  /** Chat only: the request asked for `stream_options.include_usage`. */
  includeUsage: boolean;
}

export interface Rendered {
  frames: Frame[];
  /** How many leading frames open the stream (sent before a hang). */
  headCount: number;
}

function pieces(text: string, size: number): string[] {
  const chars = Array.from(text); // never split a surrogate pair
  const out: string[] = [];
  for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
  return out;
}

function argumentsText(call: ScriptedToolCall): string {
  if (call.arguments === undefined) return '{}';
  return typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
}

function isCustom(call: ScriptedToolCall): boolean {
  return call.kind ? call.kind === 'custom' : call.input !== undefined;
}

function usageNumbers(r: ScriptedResponse, ctx: RenderContext) {
  const u: ScriptedUsage = r.usage ?? {};
  const outChars = (r.text ?? '').length + (r.reasoning ?? '').length + (r.toolCalls ?? []).reduce((n, c) => n + (c.input ?? argumentsText(c)).length, 0);
  const input = u.input_tokens ?? Math.ceil(ctx.requestChars / 4);
  const output = u.output_tokens ?? Math.ceil(outChars / 4) + 1;
  const cached = u.cached_tokens ?? 0;
  const reasoning = u.reasoning_tokens ?? Math.ceil((r.reasoning ?? '').length / 4);
  return { input, output, cached, reasoning, total: u.total_tokens ?? input + output };
}

function encryptedReasoning(id: string, text: string): string {
  // Opaque to the client, like the real thing; stable so tests can look for it in later requests.
  return `gAAAA${Buffer.from(`tack-scripted:${id}:${text}`).toString('base64')}`;
}

export function renderResponses(r: ScriptedResponse, ctx: RenderContext): Rendered {
  const frames: Frame[] = [];
  let seq = 0;
  const size = r.chunkSize ?? 12;
  const emit = (type: string, fields: Record<string, unknown>, delta = false) => {
    const data = { type, sequence_number: seq++, ...fields };
    frames.push({ text: `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`, delta });
  };
  const responseId = ctx.next('resp');
  const base = {
    id: responseId,
    object: 'response',
    created_at: ctx.createdAt,
    model: ctx.model,
    output: [] as unknown[],
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    store: false,
    error: null,
    incomplete_details: null,
    usage: null,
  };
  emit('response.created', { response: { ...base, status: 'in_progress' } });
  emit('response.in_progress', { response: { ...base, status: 'in_progress' } });
  const headCount = frames.length;

  const fail = r.fail;
  if (fail && 'responseFailed' in fail) {
    emit('response.failed', {
      response: { ...base, status: 'failed', error: { code: fail.responseFailed.code, message: fail.responseFailed.message } },
    });
    return { frames, headCount };
  }

  const output: unknown[] = [];
  let index = 0;
  if (r.reasoning !== undefined && r.reasoningField === 'text') {
    // vLLM and llama.cpp: the full reasoning text, no summary and nothing encrypted.
    const id = ctx.next('rs');
    const output_index = index++;
    emit('response.output_item.added', { output_index, item: { id, type: 'reasoning', summary: [] } });
    for (const delta of pieces(r.reasoning, size)) emit('response.reasoning_text.delta', { item_id: id, output_index, content_index: 0, delta }, true);
    emit('response.reasoning_text.done', { item_id: id, output_index, content_index: 0, text: r.reasoning });
    const item = { id, type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: r.reasoning }] };
    emit('response.output_item.done', { output_index, item });
    output.push(item);
  } else if (r.reasoning !== undefined) {
    const id = ctx.next('rs');
    const output_index = index++;
    emit('response.output_item.added', { output_index, item: { id, type: 'reasoning', summary: [] } });
    emit('response.reasoning_summary_part.added', { item_id: id, output_index, summary_index: 0, part: { type: 'summary_text', text: '' } });
    for (const delta of pieces(r.reasoning, size)) {
      emit('response.reasoning_summary_text.delta', { item_id: id, output_index, summary_index: 0, delta }, true);
    }
    emit('response.reasoning_summary_text.done', { item_id: id, output_index, summary_index: 0, text: r.reasoning });
    emit('response.reasoning_summary_part.done', { item_id: id, output_index, summary_index: 0, part: { type: 'summary_text', text: r.reasoning } });
    const item = { id, type: 'reasoning', summary: [{ type: 'summary_text', text: r.reasoning }], encrypted_content: encryptedReasoning(id, r.reasoning) };
    emit('response.output_item.done', { output_index, item });
    output.push(item);
  }
  for (const query of r.webSearches ?? []) {
    const id = ctx.next('ws');
    const output_index = index++;
    emit('response.output_item.added', { output_index, item: { id, type: 'web_search_call', status: 'in_progress' } });
    emit('response.web_search_call.in_progress', { output_index, item_id: id });
    emit('response.web_search_call.searching', { output_index, item_id: id });
    emit('response.web_search_call.completed', { output_index, item_id: id });
    const item = { id, type: 'web_search_call', status: 'completed', action: { type: 'search', query } };
    emit('response.output_item.done', { output_index, item });
    output.push(item);
  }
  if (r.text !== undefined) {
    const id = ctx.next('msg');
    const output_index = index++;
    emit('response.output_item.added', { output_index, item: { id, type: 'message', status: 'in_progress', role: 'assistant', content: [] } });
    emit('response.content_part.added', { item_id: id, output_index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    for (const delta of pieces(r.text, size)) {
      emit('response.output_text.delta', { item_id: id, output_index, content_index: 0, delta, logprobs: [] }, true);
    }
    emit('response.output_text.done', { item_id: id, output_index, content_index: 0, text: r.text, logprobs: [] });
    const part = { type: 'output_text', text: r.text, annotations: [] };
    emit('response.content_part.done', { item_id: id, output_index, content_index: 0, part });
    const item = { id, type: 'message', status: 'completed', role: 'assistant', content: [part] };
    emit('response.output_item.done', { output_index, item });
    output.push(item);
  }
  (r.toolCalls ?? []).forEach((call, i) => {
    const output_index = index++;
    const call_id = ctx.callId(call, i);
    if (isCustom(call)) {
      const id = ctx.next('ctc');
      const input = call.input ?? '';
      emit('response.output_item.added', { output_index, item: { id, type: 'custom_tool_call', status: 'in_progress', call_id, name: call.name, input: '' } });
      for (const delta of pieces(input, size)) emit('response.custom_tool_call_input.delta', { item_id: id, output_index, delta }, true);
      emit('response.custom_tool_call_input.done', { item_id: id, output_index, input });
      const item = { id, type: 'custom_tool_call', status: 'completed', call_id, name: call.name, input };
      emit('response.output_item.done', { output_index, item });
      output.push(item);
    } else {
      const id = ctx.next('fc');
      const args = argumentsText(call);
      emit('response.output_item.added', { output_index, item: { id, type: 'function_call', status: 'in_progress', call_id, name: call.name, arguments: '' } });
      for (const delta of pieces(args, size)) emit('response.function_call_arguments.delta', { item_id: id, output_index, delta }, true);
      emit('response.function_call_arguments.done', { item_id: id, output_index, arguments: args });
      const item = { id, type: 'function_call', status: 'completed', call_id, name: call.name, arguments: args };
      emit('response.output_item.done', { output_index, item });
      output.push(item);
    }
  });

  const u = usageNumbers(r, ctx);
  const usage = {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cached },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.total,
  };
  if (fail && 'incomplete' in fail) {
    emit('response.incomplete', { response: { ...base, status: 'incomplete', incomplete_details: { reason: fail.incomplete.reason }, output, usage } });
  } else {
    emit('response.completed', { response: { ...base, status: 'completed', output, usage } });
  }
  return { frames, headCount };
}

export function renderChat(r: ScriptedResponse, ctx: RenderContext): Rendered {
  const frames: Frame[] = [];
  const size = r.chunkSize ?? 12;
  const id = ctx.next('chatcmpl');
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}, delta = false) => {
    const data = { id, object: 'chat.completion.chunk', created: ctx.createdAt, model: ctx.model, system_fingerprint: 'fp_scripted', choices, ...extra };
    frames.push({ text: `data: ${JSON.stringify(data)}\n\n`, delta });
  };
  const choice = (delta: Record<string, unknown>, finish_reason: string | null = null) => ({ index: 0, delta, logprobs: null, finish_reason });
  chunk([choice({ role: 'assistant', content: '' })]);
  const headCount = frames.length;

  const fail = r.fail;
  if (fail && 'responseFailed' in fail) {
    // OpenAI-compatible servers report a failure mid-stream as an `error` chunk and stop.
    frames.push({ text: `data: ${JSON.stringify({ error: { message: fail.responseFailed.message, code: fail.responseFailed.code, type: 'server_error' } })}\n\n`, delta: false });
    return { frames, headCount };
  }
  // Reasoning as the `reasoning_content` delta field, as vLLM and DeepSeek-style servers stream it.
  const reasoningKey = r.reasoningField === 'reasoning' ? 'reasoning' : 'reasoning_content';
  for (const piece of pieces(r.reasoning ?? '', size)) chunk([choice({ [reasoningKey]: piece })], {}, true);
  for (const piece of pieces(r.text ?? '', size)) chunk([choice({ content: piece })], {}, true);
  const calls = r.toolCalls ?? [];
  calls.forEach((call, i) => {
    // Chat has no free-form tools: a custom tool is offered as a function taking {input}.
    const args = isCustom(call) ? JSON.stringify({ input: call.input ?? '' }) : argumentsText(call);
    chunk([choice({ tool_calls: [{ index: i, id: ctx.callId(call, i), type: 'function', function: { name: call.name, arguments: '' } }] })]);
    for (const piece of pieces(args, size)) chunk([choice({ tool_calls: [{ index: i, function: { arguments: piece } }] })], {}, true);
  });
  const finish = fail && 'incomplete' in fail ? 'length' : calls.length > 0 ? 'tool_calls' : 'stop';
  chunk([choice({}, finish)]);
  if (ctx.includeUsage) {
    const u = usageNumbers(r, ctx);
    chunk([], {
      usage: {
        prompt_tokens: u.input,
        completion_tokens: u.output,
        total_tokens: u.total,
        prompt_tokens_details: { cached_tokens: u.cached },
        completion_tokens_details: { reasoning_tokens: u.reasoning },
      },
    });
  }
  frames.push({ text: 'data: [DONE]\n\n', delta: false });
  return { frames, headCount };
}
