// The words an approval is shown with, from requests and remembered approvals the real core made.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RememberedApproval } from '../generated/types/RememberedApproval';
import { askCore as ask, coreSession as session } from './approval-testkit';
import { approvalPickItems, approvalSummary, argvText, canRememberApproval, rememberText, shellQuote } from './approval-text';

test('argv words are quoted only when a shell would need it', () => {
  assert.equal(shellQuote('npm'), 'npm');
  assert.equal(shellQuote('--flag=a,b'), '--flag=a,b');
  assert.equal(shellQuote(''), "''");
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(shellQuote('$(rm -rf ~)'), "'$(rm -rf ~)'");
  assert.equal(argvText(['/bin/bash', '-lc', 'npm install']), "/bin/bash -lc 'npm install'");
});

test('an escalation with prefix_rule ["bash"]: the notification and the revoke list say what is really allowed', () => {
  const s = session('on-request');
  const req = ask(s, 'c1', { cmd: 'npm install', sandbox_permissions: 'require_escalated', justification: 'fetch', prefix_rule: ['bash'] });
  assert.equal(approvalSummary(req), "/bin/bash -lc 'npm install' (in /w; sandbox: none: full access to the machine; network allowed) — fetch");
  assert.equal(rememberText(req.remember), 'allows commands starting with npm install, in this directory, with this sandbox and network');
  assert.ok(canRememberApproval(req));
  s.handle({ type: 'approvalDecided', requestId: req.requestId, decision: 'approvedForSession' });
  const list = s.rememberedApprovals() as RememberedApproval[];
  assert.equal(list.length, 1);
  const [item] = approvalPickItems(list);
  assert.equal(item.label, 'npm install …');
  assert.equal(item.description, 'outside the sandbox');
  assert.match(item.detail, /^commands starting with `npm install` in \/w, without the sandbox, with network$/);
  s.handle({ type: 'revokeApproval', approvalId: item.id });
  assert.deepEqual(s.rememberedApprovals(), []);
});

test('sudo is never remembered; older requests without a scope still render', () => {
  const s = session('untrusted');
  const req = ask(s, 'c1', { cmd: 'sudo ls' });
  assert.equal(canRememberApproval(req), false);
  assert.equal(rememberText(req.remember), 'nothing is remembered: this run only');
  assert.equal(rememberText(undefined), 'unknown (an older request)');
  const exact = ask(session('untrusted'), 'c2', { cmd: 'make a && make b' });
  assert.deepEqual(exact.remember, { kind: 'exact', argv: ['/bin/bash', '-lc', 'make a && make b'] });
  assert.equal(approvalPickItems([{ id: 'x', scope: exact.remember, cwd: '/w', sandbox: exact.sandbox, description: 'd' }])[0].label, "/bin/bash -lc 'make a && make b'");
});
