// The MCP server's pure parts: the approval question built from what the real core asks, and the
// tool-argument checks. The server end to end is tests/agent/mcp-server.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { askCore, coreSession } from '../shared/approval-testkit';
import { approvalForm, approvalMessage, ArgumentError, parseReplyArgs, parseTackArgs } from './mcp-server';

test('the approval question shows the exact command, argv, cwd, sandbox and reason, hidden characters escaped', () => {
  const req = askCore(coreSession('untrusted'), 'c1', { cmd: 'touch "a\u202Etxt.sh"\necho done', justification: 'make\u200B it' });
  const msg = approvalMessage(req, 'sess-1');
  assert.match(msg, /^Tack \(session sess-1\) asks to run a command:/);
  assert.ok(msg.includes('touch "a\\u{202E}txt.sh"\necho done'), msg);
  assert.ok(!msg.includes('\u202E') && !msg.includes('\u200B'), 'no raw hidden character reaches the person');
  assert.match(msg, /^runs: \/bin\/bash -lc 'touch/m);
  assert.match(msg, /^cwd: \/w$/m);
  assert.match(msg, /^sandbox: workspace-write sandbox \(writes only in the workspace\); network blocked$/m);
  assert.doesNotMatch(msg, /also writable/, 'the cwd is not listed twice');

  const escalate = askCore(coreSession('on-request'), 'c2', { cmd: 'npm install', sandbox_permissions: 'require_escalated', justification: 'fetch\u200B deps' });
  const esc = approvalMessage(escalate, 'sess-1');
  assert.match(esc, /asks to run a command OUTSIDE the sandbox:/);
  assert.match(esc, /^sandbox: none: full access to the machine; network allowed$/m);
  assert.match(esc, /^reason: fetch\\u\{200B\} deps$/m);
});

test('the form offers "for this session" only when the core can remember the command', () => {
  const remembered = askCore(coreSession('untrusted'), 'c1', { cmd: 'touch x' });
  assert.deepEqual(Object.keys(approvalForm(remembered).properties), ['forSession']);
  assert.match(approvalMessage(remembered, 's'), /"Allow for this session" allows/);
  const once = askCore(coreSession('untrusted'), 'c2', { cmd: 'sudo touch x' });
  assert.equal(once.remember.kind, 'once');
  assert.deepEqual(approvalForm(once).properties, {});
  assert.doesNotMatch(approvalMessage(once, 's'), /for this session/);
});

test('tack arguments: defaults left to the server, aliases agree, bad values named', () => {
  assert.deepEqual(parseTackArgs({ prompt: 'go' }), { prompt: 'go', cwd: undefined, sandbox: undefined, approval: undefined, model: undefined, provider: undefined, baseInstructions: undefined });
  assert.equal(parseTackArgs({ prompt: 'go', profile: 'ollama' }).provider, 'ollama');
  assert.equal(parseTackArgs({ prompt: 'go', provider: 'ollama', profile: 'ollama' }).provider, 'ollama');
  assert.throws(() => parseTackArgs({ prompt: 'go', provider: 'ollama', profile: 'vllm' }), /disagree/);
  assert.throws(() => parseTackArgs({ prompt: '   ' }), /'prompt' must not be empty/);
  assert.throws(() => parseTackArgs({ prompt: 'go', model: ' ' }), /'model' must not be empty/);
  assert.throws(() => parseTackArgs([]), /must be a JSON object/);
  assert.throws(() => parseTackArgs({ prompt: 'go', sandbox: ['read-only'] }), /'sandbox' must be a string, not an array/);
  assert.throws(() => parseTackArgs({ prompt: 'x'.repeat(1_000_001) }), /too long/);
  assert.throws(() => parseTackArgs({ prompt: 'go', config: {} }), (e: unknown) => e instanceof ArgumentError && /unknown argument 'config'; accepted: prompt, cwd/.test(e.message));
});

test('tack-reply arguments: sessionId or threadId, the same if both', () => {
  assert.deepEqual(parseReplyArgs({ sessionId: 'a', prompt: 'p' }), { sessionId: 'a', prompt: 'p' });
  assert.deepEqual(parseReplyArgs({ threadId: 'a', prompt: 'p' }), { sessionId: 'a', prompt: 'p' });
  assert.throws(() => parseReplyArgs({ sessionId: 'a', threadId: 'b', prompt: 'p' }), /disagree/);
  assert.throws(() => parseReplyArgs({ prompt: 'p' }), /'sessionId' is required/);
  assert.throws(() => parseReplyArgs({ sessionId: 'a' }), /'prompt' is required/);
});
