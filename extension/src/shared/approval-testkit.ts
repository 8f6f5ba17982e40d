// For tests only: the approval request the real wasm core makes when a model calls exec_command, so
// the approval wording and the card are tested on what the core really sends. Not imported by the
// extension, the CLI or the webview bundles.
import assert from 'node:assert/strict';
import type { ApprovalRequest } from '../generated/types/ApprovalRequest';
import { loadCore } from '../host/core';

/** A core session in /w (workspace-write, no network, /bin/bash) with one turn started. */
export function coreSession(policy: string) {
  const core = loadCore();
  const s = new core.Session({
    sessionId: 's',
    model: 'gpt-5.1-codex',
    wire: 'responses',
    approvalPolicy: policy,
    sandboxMode: 'workspace-write',
    cwd: '/w',
    writableRoots: [],
    network: false,
    shell: '/bin/bash',
    currentDate: '2026-11-29',
    timezone: 'UTC',
    agentsMd: [],
  });
  s.handle({ type: 'userInput', text: 'go' });
  return s;
}

/** Feeds one exec_command call with `args` and returns the approval the core asks for. */
export function askCore(s: ReturnType<typeof coreSession>, callId: string, args: Record<string, unknown>): ApprovalRequest {
  const item = { type: 'function_call', id: `fc_${callId}`, call_id: callId, name: 'exec_command', arguments: JSON.stringify(args), status: 'completed' };
  s.handle({ type: 'modelEvent', data: { type: 'response.output_item.done', output_index: 0, item } });
  s.handle({ type: 'modelEvent', data: { type: 'response.completed', response: { usage: { input_tokens: 1, output_tokens: 1 } } } });
  const effects = s.handle({ type: 'modelStreamEnded' }) as { type: string; request?: ApprovalRequest }[];
  const req = effects.find((e) => e.type === 'requestApproval')?.request;
  assert.ok(req, `no approval in ${JSON.stringify(effects)}`);
  return req;
}
