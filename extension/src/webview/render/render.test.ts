// The HTML the chat draws, checked as strings: markdown (sanitised, highlighted), ANSI colours,
// diffs from the core's render model with per-hunk controls, and every card's test ids.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { askCore, coreSession } from '../../shared/approval-testkit';
import { rememberText } from '../../shared/approval-text';
import { engines } from '../../host/patch/engine';
import type { ApprovalRequest, FileDiff, ThreadItem } from '../../shared/chat-protocol';
import { initialState, reduce, type Entry } from '../state';
import { ansiToHtml, collapseCarriageReturns, splitTerminal } from './ansi';
import { formatElapsed, outputLines, renderApproval, renderEntry, renderErrorBanner, renderSessions } from './cards';
import { renderUsageMeter } from './progress';
import { highlightText, MAX_DIFF_ROWS, renderFileDiff } from './diff';
import { renderMarkdown } from './markdown';

const count = (html: string, needle: string): number => html.split(needle).length - 1;

test('markdown: code blocks are highlighted, raw HTML is escaped, only safe links are links', () => {
  const html = renderMarkdown(
    '# Title\n\n```ts\nconst x: number = 1;\n```\n\n<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n' +
      '[bad](javascript:alert(1)) [web](https://example.com) [file](src/main.ts#L3) [cmd](command:workbench.action.quit)',
  );
  assert.match(html, /<h1>Title<\/h1>/);
  assert.match(html, /<pre class="code-block"><span class="code-actions">.*data-action="code-copy".*data-action="code-insert".*<\/span><code class="hljs language-ts">/);
  assert.match(html, /<span class="hljs-keyword">const<\/span>/);
  assert.ok(!html.includes('<script>'), 'no live script tag');
  assert.ok(!html.includes('<img'), 'no live img tag');
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.ok(!/href="javascript:/i.test(html));
  assert.ok(!/href="command:/i.test(html));
  assert.match(html, /<a href="https:\/\/example.com">web<\/a>/);
  assert.match(html, /<a href="src\/main.ts#L3">file<\/a>/);
});

test('markdown: an unknown code language is escaped, not highlighted', () => {
  const html = renderMarkdown('```nosuchlang\n<b>&</b>\n```');
  assert.match(html, /<code class="hljs">&lt;b&gt;&amp;&lt;\/b&gt;/);
});

test('ANSI: colours become themed classes, text is escaped, no inline styles', () => {
  const html = ansiToHtml('\u001b[31merror\u001b[0m <b>&\u001b[1;92m ok\u001b[0m\u001b[38;2;1;2;3mtrue\u001b[0m\u001b[38;5;9mpal\u001b[0m');
  assert.match(html, /<span class="ansi-red-fg">error<\/span>/);
  assert.match(html, /&lt;b&gt;&amp;/);
  assert.match(html, /<span class="ansi-bright-green-fg ansi-bold"> ok<\/span>/);
  assert.match(html, /<span class="ansi-bright-red-fg">pal<\/span>/, 'palette 9 is bright red');
  assert.ok(html.includes('true') && !html.includes('style='), 'true colour falls back to the default colour');
  assert.ok(!html.includes('\u001b'));
});

test('ANSI: carriage returns overwrite the line like a terminal; CRLF is a line end', () => {
  assert.equal(collapseCarriageReturns('10%\r50%\r100%\r\ndone\r\n'), '100%\ndone\n');
  assert.equal(collapseCarriageReturns('plain\n'), 'plain\n');
});

test('terminal chunks: whole lines, stable under appends and front trims, colours carried across', () => {
  const line = (i: number): string => `line ${String(i).padStart(4, '0')}\n`; // 10 chars
  const all = Array.from({ length: 100 }, (_, i) => line(i)).join('');
  const chunks = splitTerminal(all, 0, 100);
  assert.equal(chunks.map((c) => c.text).join(''), all, 'nothing lost or repeated');
  for (const c of chunks.slice(0, -1)) assert.ok(c.text.endsWith('\n'), 'chunks end at line ends');
  // Appending changes only the last chunk.
  const more = splitTerminal(all + 'tail', 0, 100);
  assert.deepEqual(more.slice(0, chunks.length - 1), chunks.slice(0, -1));
  // Dropping the first 250 characters (base 250) keeps every later chunk as it was.
  const trimmed = splitTerminal(all.slice(250), 250, 100);
  const later = chunks.filter((c) => c.index >= 3);
  assert.deepEqual(trimmed.slice(-later.length), later);
  assert.equal(trimmed.map((c) => c.text).join(''), all.slice(250));
  // A colour opened in one chunk carries into the next; a reset ends it.
  const coloured = '\u001b[1m\u001b[31m' + 'a'.repeat(99) + '\n' + 'b'.repeat(50) + '\n\u001b[0m' + 'c'.repeat(60) + '\n' + 'd\n';
  const cc = splitTerminal(coloured, 0, 100);
  assert.equal(cc.length, 3);
  assert.equal(cc[1].carry, '\u001b[1m\u001b[31m');
  assert.equal(cc[2].carry, '');
  assert.match(ansiToHtml(cc[1].carry + cc[1].text), /<span class="ansi-red-fg ansi-bold">b+/);
  // A single line longer than a chunk stays one chunk; empty output has none.
  assert.equal(splitTerminal('x'.repeat(1000), 0, 100).length, 1);
  assert.deepEqual(splitTerminal('', 0, 100), []);
});

// The real diff engine (wasm) makes the render model: "a\nb\nc\n" -> "a\nB\nc\nd\n" has two hunks.
const modelDiff: FileDiff = engines().diffTexts('a\nb\nc\n', 'a\nB\nc\nd\n');
const [h1, h2] = modelDiff.hunkIds;

test('diff: drawn from the core render model, one header with Accept/Reject per pending hunk', () => {
  assert.equal(modelDiff.hunkIds.length, 2, 'the engine sees two hunks');
  const html = renderFileDiff('call1', 'src/a.ts', modelDiff, {}, true);
  assert.equal(count(html, 'data-testid="hunk"'), 2);
  assert.equal(count(html, 'data-testid="hunk-accept"'), 2);
  assert.equal(count(html, 'data-testid="hunk-reject"'), 2);
  assert.ok(html.includes(`data-action="hunk" data-accept="true" data-item-id="call1" data-path="src/a.ts" data-hunk-id="${h1}"`));
  assert.match(html, /@@ -1,3 \+1,4 @@/);
  assert.match(html, /<tr class="diff-delete hunk-pending"><td class="ln">2<\/td><td class="ln"><\/td><td class="code"><span class="sign">-<\/span>/);
  assert.match(html, /<tr class="diff-insert hunk-pending"><td class="ln"><\/td><td class="ln">4<\/td><td class="code"><span class="sign">\+<\/span>d</);
  assert.match(html, /<tr class="diff-context"><td class="ln">1<\/td><td class="ln">1<\/td>/);
  // Each hunk header comes right before the hunk's first row.
  assert.ok(html.indexOf(`data-hunk-id="${h2}" data-state`) < html.indexOf('<td class="ln">4</td>'));
  assert.ok(html.indexOf(`data-hunk-id="${h1}" data-state`) < html.indexOf('<td class="ln">2</td>'));
});

test('diff: word highlights from the engine are drawn as marks', () => {
  const d = engines().diffTexts('let total = 1;\n', 'let count = 1;\n');
  const html = renderFileDiff('c', 'a', d, {}, true);
  assert.match(html, /<mark class="word">total<\/mark>/);
  assert.match(html, /<mark class="word">count<\/mark>/);
});

test('diff: decided hunks show their state and lose their buttons; a finished change has none', () => {
  const html = renderFileDiff('c', 'a', modelDiff, { [h1]: 'accepted', [h2]: 'pending' }, true);
  assert.ok(html.includes(`data-hunk-id="${h1}" data-state="accepted"`));
  assert.equal(count(html, 'data-testid="hunk-accept"'), 1);
  assert.match(html, /class="diff-insert hunk-accepted"/);
  const done = renderFileDiff('c', 'a', modelDiff, { [h1]: 'accepted', [h2]: 'rejected' }, false);
  assert.equal(count(done, 'data-testid="hunk-accept"'), 0);
  assert.ok(done.includes(`data-hunk-id="${h2}" data-state="rejected"`));
  const empty = renderFileDiff('c', 'a', engines().diffTexts('same\n', 'same\n'), {}, true);
  assert.match(empty, /No changes to show/);
});

test('diff: a huge diff draws a bounded number of rows and points to the full diff', () => {
  const before = Array.from({ length: 4000 }, (_, i) => `line ${i}`).join('\n') + '\n';
  const after = Array.from({ length: 4000 }, (_, i) => (i % 2 ? `LINE ${i}` : `line ${i}`)).join('\n') + '\n';
  const d = engines().diffTexts(before, after);
  assert.ok(d.rows.length > MAX_DIFF_ROWS);
  const html = renderFileDiff('item_1', 'big.txt', d, {}, true);
  assert.equal(count(html, '<tr class="diff-'), MAX_DIFF_ROWS + 1 + count(html, '<tr class="diff-section"'), 'rows capped (+ the notice)');
  assert.match(html, new RegExp(`data-testid="diff-more"><td colspan="3">${d.rows.length - MAX_DIFF_ROWS} more lines not shown here`));
  assert.match(html, /data-action="open-diff" data-item-id="item_1" data-path="big.txt"/);
});

test('diff: text is escaped and highlight ranges are clamped', () => {
  const html = renderFileDiff('c', 'a', engines().diffTexts('', '<script>x</script>\n'), {}, true);
  assert.ok(!html.includes('<script>'));
  assert.match(html, /&lt;script&gt;x&lt;\/script&gt;/);
  assert.equal(highlightText('a<b', [{ start: 1, end: 2 }]), 'a<mark class="word">&lt;</mark>b');
  assert.equal(highlightText('ab', [{ start: 1, end: 99 }]), 'a<mark class="word">b</mark>');
  assert.equal(highlightText('<x>', []), '&lt;x&gt;');
});

function entryFor(item: ThreadItem, cutBytes = 0): Entry {
  return { kind: 'item', key: 'k', item, cutBytes };
}

test('command card: command, live output with colours, status, exit code, duration, cut notice', () => {
  const s = initialState();
  const running = renderEntry(
    entryFor({ id: 'c', type: 'command_execution', command: 'npm test <x>', aggregated_output: '\u001b[31mFAIL\u001b[0m', status: 'in_progress' }),
    s,
  );
  assert.match(running, /data-testid="command-card" data-status="in_progress" data-shown="running" open/);
  assert.match(running, /data-testid="command-line" title="npm test &lt;x&gt;">npm test &lt;x&gt;</);
  assert.match(running, /data-testid="command-output"><span class="ansi-red-fg">FAIL<\/span>/);
  assert.match(running, /Running/);
  const failed = renderEntry(
    entryFor({ id: 'c', type: 'command_execution', command: 'false', aggregated_output: 'x', status: 'failed', exit_code: 2, duration_ms: 2500 }, 3 * 1024 * 1024),
    s,
  );
  assert.match(failed, /status-failed/);
  assert.match(failed, /exit 2/);
  assert.match(failed, /data-shown="failed" open>/, 'a failure opens on its output');
  assert.match(failed, /2\.5 s/);
  assert.match(failed, /data-testid="command-output-cut">3\.0 MB of earlier output not shown/);
  const ok = renderEntry(entryFor({ id: 'c', type: 'command_execution', command: 'true', aggregated_output: '', status: 'completed', exit_code: 0, duration_ms: 40 }), s);
  assert.match(ok, /status-ok/);
  assert.match(ok, /exit 0/);
  assert.match(ok, /40 ms/);
});

test('command card: a success is one closed line with "+N lines"; running shows elapsed time, no output count', () => {
  const s = initialState();
  const ok = renderEntry(
    entryFor({ id: 'c', type: 'command_execution', command: 'npm test', aggregated_output: 'a\nb\nc\n', status: 'completed', exit_code: 0, duration_ms: 1200 }),
    s,
  );
  assert.match(ok, /data-shown="ok">/, 'closed: no open attribute');
  assert.match(ok, /exit 0<\/span><span class="muted">1\.2 s<\/span><span class="muted more-lines" data-testid="command-more">\+3 lines<\/span><\/summary>/);
  const one = renderEntry(entryFor({ id: 'c', type: 'command_execution', command: 'x', aggregated_output: 'only', status: 'completed', exit_code: 0 }), s);
  assert.match(one, />\+1 line</);
  const silent = renderEntry(entryFor({ id: 'c', type: 'command_execution', command: 'x', aggregated_output: '', status: 'completed', exit_code: 0 }), s);
  assert.equal(count(silent, 'command-more'), 0, 'nothing to expand');
  const entry: Entry = { kind: 'item', key: 'k', item: { id: 'c', type: 'command_execution', command: 'sleep 9', aggregated_output: 'x\n', status: 'in_progress' }, cutBytes: 0, startedAt: 1234 };
  const running = renderEntry(entry, s);
  assert.match(running, /data-testid="command-elapsed" data-started="1234"><\/span>/);
  assert.equal(count(running, 'command-more'), 0);
  assert.equal(outputLines(''), 0);
  assert.equal(outputLines('a'), 1);
  assert.equal(outputLines('a\n\nb\n'), 3);
  assert.equal(formatElapsed(999), '0s');
  assert.equal(formatElapsed(59_999), '59s');
  assert.equal(formatElapsed(61_000), '1m 01s');
});

test('command card waiting for approval: one card, the command once, no spinner, then a one-line decision', () => {
  const s = initialState();
  reduce(s, { type: 'event', event: { type: 'item.started', item: { id: 'c1', type: 'command_execution', command: 'npm test -- --watch=false', aggregated_output: '', status: 'in_progress' } } });
  const request: ApprovalRequest = {
    requestId: 'r1',
    callId: 'call1',
    itemId: 'c1',
    kind: 'exec',
    argv: ['/bin/bash', '-lc', 'npm test -- --watch=false'],
    command: 'npm test -- --watch=false',
    cwd: '/w',
    sandbox: { mode: 'workspace-write', writableRoots: ['/w'], network: false },
    remember: { kind: 'prefix', prefix: ['npm', 'test'] },
  };
  reduce(s, { type: 'approval', requestId: 'r1', request });
  const [cmdEntry, approvalEntry] = s.entries;
  const html = renderEntry(cmdEntry, s) + renderEntry(approvalEntry, s);
  assert.equal(renderEntry(approvalEntry, s), '', 'the approval draws nothing of its own');
  assert.match(html, /data-testid="command-card" data-status="in_progress" data-shown="waiting" data-waiting="approval"/);
  assert.match(html, /data-testid="command-status"><span class="codicon codicon-shield" aria-hidden="true"><\/span> Waiting for your approval</);
  assert.ok(!html.includes('Running'), 'not "Running"');
  assert.ok(!html.includes('modifier-spin'), 'no spinner');
  assert.equal(count(html, '>npm test -- --watch=false<'), 1, 'the command is shown once');
  assert.equal(count(html, 'data-testid="command-line"'), 0);
  assert.match(html, /data-testid="approval-approve"[^>]*><kbd aria-hidden="true">1<\/kbd><span class="choice-label"><span class="choice-line">Approve once<\/span><\/span>/);
  assert.match(
    html,
    /data-testid="approval-approve-session"[^>]*title="Approve for this session: commands starting with npm test \(2\)"><kbd aria-hidden="true">2<\/kbd><span class="choice-label"><span class="choice-line">Approve for this session: <\/span><span class="choice-line choice-scope">commands starting with <code>npm test<\/code><\/span><\/span>/,
  );
  assert.match(html, /data-testid="approval-deny"[^>]*><kbd aria-hidden="true">3<\/kbd><span class="choice-label"><span class="choice-line">Deny<\/span><\/span>/);
  assert.equal(count(html, 'data-testid="approval-message"'), 0, 'the message box waits for "Deny with a message..."');
  assert.match(html, /data-testid="approval-deny-with-message">Deny with a message…</);
  assert.match(html, /data-testid="approval-sandbox">workspace-write sandbox/);
  assert.match(html, /data-testid="approval-network">blocked</);
  // Asking for the message field shows it (and a button to deny with it).
  reduce(s, { type: 'local.denyMessage', requestId: 'r1' });
  const asked = renderEntry(cmdEntry, s);
  assert.match(asked, /id="deny-msg-r1" class="deny-message" data-testid="approval-message"/);
  assert.match(asked, /data-testid="approval-deny-send"/);
  // Approved for the session: the command card runs, the decision is one line naming the scope.
  reduce(s, { type: 'local.approval', requestId: 'r1', decision: 'approvedForSession' });
  const after = renderEntry(cmdEntry, s);
  assert.match(after, /Running/);
  assert.equal(count(after, 'data-testid="approval-card"'), 0);
  const note = renderEntry(approvalEntry, s);
  assert.match(note, /data-testid="approval-card" data-decided="approvedForSession"/);
  assert.match(note, /Approved for this session: commands starting with <code>npm test<\/code>/);
  assert.ok(!note.includes('--watch'), 'the note does not repeat the command');
});

test('a stopped command and turn are neutral: "Stopped", a notice with Continue, no error banner', () => {
  const s = initialState();
  reduce(s, { type: 'local.send', text: 'run it' });
  reduce(s, { type: 'event', event: { type: 'turn.started' } });
  reduce(s, { type: 'event', event: { type: 'item.started', item: { id: 'c1', type: 'command_execution', command: 'sleep 100', aggregated_output: '', status: 'in_progress' } } });
  reduce(s, { type: 'local.stop' });
  reduce(s, { type: 'event', event: { type: 'item.completed', item: { id: 'c1', type: 'command_execution', command: 'sleep 100', aggregated_output: '', status: 'failed' } } });
  reduce(s, { type: 'event', event: { type: 'turn.failed', error: { message: 'Turn interrupted by the user.', reason: 'interrupted' } } });
  const html = s.entries.map((e) => renderEntry(e, s)).join('');
  assert.match(html, /status-stopped/);
  assert.match(html, /data-testid="command-status"><span class="codicon codicon-debug-stop" aria-hidden="true"><\/span> Stopped</);
  assert.ok(!/Failed|status-failed/.test(html), 'not "Failed"');
  assert.match(html, /data-testid="stopped-notice">.*Stopped.*data-action="continue" data-testid="continue"/);
  assert.equal(s.error, null, 'no error banner');
});

test('file-change card: per-file and all-files buttons while pending, states from the host', () => {
  const s = initialState();
  const item: ThreadItem = {
    id: 'p1',
    type: 'file_change',
    status: 'pending',
    changes: [
      { path: 'src/a.ts', kind: 'update' },
      { path: 'src/new.ts', kind: 'add' },
    ],
    diffs: [modelDiff, engines().diffTexts('', 'hello\n')],
  };
  reduce(s, { type: 'hunkStates', itemId: 'p1', path: 'src/a.ts', states: { [h1]: 'accepted' } });
  const html = renderEntry(entryFor(item), s);
  assert.match(html, /data-testid="file-change-card" data-status="pending" data-item-id="p1"/);
  assert.equal(count(html, 'data-testid="file-change"'), 2);
  assert.equal(count(html, 'data-testid="file-accept"'), 2);
  assert.equal(count(html, 'data-testid="files-accept-all"'), 1);
  assert.match(html, /data-testid="file-hunk-counts" title="1 of 2 changes accepted, 1 pending">1\/2</);
  assert.equal(count(html, 'data-testid="hunk-accept"'), 2, 'the second hunk of a.ts and the new file are still pending');
  assert.equal(count(html, 'data-testid="open-diff"'), 2);
  const done = renderEntry(entryFor({ ...item, status: 'partially_applied' } as ThreadItem), s);
  assert.equal(count(done, 'data-testid="file-accept"'), 0);
  assert.equal(count(done, 'data-testid="files-accept-all"'), 0);
  assert.match(done, /partially applied/);
});

test('approval card: three keyboard-reachable buttons, none takes focus by itself, a denial message field', () => {
  const req: ApprovalRequest = {
    requestId: 'r1',
    callId: 'c1',
    itemId: 'i1',
    kind: 'escalate',
    argv: ['git', 'push'],
    command: 'git push',
    cwd: '/repo',
    reason: 'needs network',
    sandbox: { mode: 'danger-full-access', writableRoots: ['/repo'], network: true },
    remember: { kind: 'prefix', prefix: ['git', 'push'] },
  };
  const html = renderApproval('r1', req, null);
  assert.match(html, /role="group" tabindex="0" aria-label="Run this command outside the sandbox\? Keys 1 to 3 answer while this has the focus\."/);
  assert.match(html, /<button class="primary choice" data-action="approval" data-choice="approved" data-request-id="r1" data-testid="approval-approve" aria-keyshortcuts="1"/);
  assert.ok(!/autofocus/.test(html), 'no button asks for the focus');
  assert.match(html, /data-choice="approvedForSession"[^>]*data-testid="approval-approve-session" aria-keyshortcuts="2"/);
  assert.match(html, /data-choice="denied"[^>]*data-testid="approval-deny" aria-keyshortcuts="3"/);
  assert.equal(count(html, 'class="deny-message"'), 0, 'no message field until asked for');
  assert.match(html, /data-action="deny-message" data-request-id="r1" data-testid="approval-deny-with-message"/);
  const asked = renderApproval('r1', req, null, undefined, true);
  assert.match(asked, /<label class="deny-label" for="deny-msg-r1">/);
  assert.match(asked, /id="deny-msg-r1" class="deny-message" data-testid="approval-message"/);
  assert.match(html, /git push/);
  assert.match(html, /in \/repo/);
  assert.match(html, /needs network/);
  const denied = renderApproval('r1', req, 'denied', 'use the mirror');
  assert.match(denied, /data-decided="denied"/);
  assert.ok(!denied.includes('<button'));
  assert.match(denied, /Told the model: use the mirror/);
  assert.match(renderApproval('r1', { ...req, command: '' }, null), /git push/, 'falls back to argv');
});

/** The approval request the real core makes for one exec_command call. */
function coreApproval(policy: string, args: Record<string, unknown>): ApprovalRequest {
  return askCore(coreSession(policy), 'c1', args);
}

test('approval card from the real core: program and arguments, directory, sandbox, network and what the session remembers', () => {
  // The model asks to remember `bash` for `npm install`: the card says what is really remembered.
  const req = coreApproval('on-request', { cmd: 'npm install', sandbox_permissions: 'require_escalated', justification: 'fetch packages', prefix_rule: ['bash'] });
  const html = renderApproval(req.requestId, req, null);
  assert.match(html, /data-testid="approval-command">npm install<\/pre>/);
  assert.match(html, /data-testid="approval-argv"><code>\/bin\/bash -lc &#39;npm install&#39;<\/code>/);
  assert.match(html, /data-testid="approval-cwd">in \/w</);
  assert.match(html, /data-testid="approval-sandbox">none: full access to the machine</);
  assert.match(html, /data-testid="approval-network">allowed</);
  assert.match(html, /data-testid="approval-remember">allows commands starting with npm install, in this directory/);
  assert.match(html, /data-testid="approval-remember-note">The model asked to allow commands starting with `bash`/);
  assert.match(html, /fetch packages/);

  // Under untrusted, in the sandbox, no network; a compound script is remembered only exactly.
  const compound = coreApproval('untrusted', { cmd: 'make build && make test' });
  const c = renderApproval(compound.requestId, compound, null);
  assert.match(c, /data-testid="approval-sandbox">workspace-write sandbox/);
  assert.match(c, /data-testid="approval-network">blocked</);
  assert.match(c, /data-testid="approval-remember">allows exactly this command again/);
  assert.equal(count(c, 'data-testid="approval-approve-session"'), 1);

  // sudo is never remembered: no "for this session" button.
  const sudo = coreApproval('untrusted', { cmd: 'sudo ls' });
  assert.equal(rememberText(sudo.remember), 'nothing is remembered: this run only');
  const s = renderApproval(sudo.requestId, sudo, null);
  assert.equal(count(s, 'data-testid="approval-approve-session"'), 0);
  assert.equal(count(s, 'data-testid="approval-approve"'), 1);

  // Words that need quoting are quoted, and markup in them is escaped.
  const odd = renderApproval('r9', { ...compound, command: '', argv: ['echo', "it's <b>"] }, null);
  assert.match(odd, /echo it&#39;s &lt;b&gt;/);
  const quoted = renderApproval('r9', { ...compound, argv: ['bash', '-lc', "echo 'x'"], command: "echo 'x'" }, null);
  assert.match(quoted, /bash -lc &#39;echo &#39;\\&#39;&#39;x&#39;\\&#39;&#39;&#39;/);
});

test('plan, reasoning, errors, user text', () => {
  const s = initialState();
  const plan = renderEntry(
    entryFor({
      id: 't',
      type: 'todo_list',
      items: [
        { text: 'read code', completed: true, status: 'completed' },
        { text: 'fix <bug>', completed: false, status: 'in_progress' },
        { text: 'test', completed: false, status: 'pending' },
      ],
    }),
    s,
  );
  assert.match(plan, /data-testid="plan"/);
  assert.match(plan, /1\/3/);
  assert.match(plan, /plan-in_progress" data-status="in_progress">.*fix &lt;bug&gt;/);
  const reasoning = renderEntry(entryFor({ id: 'r', type: 'reasoning', text: '**Checking** the tests\nmore' }), s);
  assert.match(reasoning, /<details class="reasoning" data-testid="reasoning">/);
  assert.match(reasoning, /Checking the tests/);
  assert.match(renderEntry(entryFor({ id: 'e', type: 'error', message: 'bad <args>' }), s), /bad &lt;args&gt;/);
  assert.match(renderEntry({ kind: 'user', key: 'u', text: '<i>hi</i>' }, s), /data-testid="message-user"><div class="text">&lt;i&gt;hi/);
  assert.match(renderEntry(entryFor({ id: 'm', type: 'agent_message', text: 'Done.' }), s), /data-testid="message-text"><p>Done.<\/p>/);
});

test('chrome: error banner with retry, context meter, session history', () => {
  assert.equal(renderErrorBanner(null), '');
  const banner = renderErrorBanner({ message: 'HTTP 500 <html>', retry: true });
  assert.match(banner, /role="alert" data-testid="error-banner"/);
  assert.match(banner, /HTTP 500 &lt;html&gt;/);
  assert.match(banner, /data-testid="error-retry"/);
  assert.ok(!renderErrorBanner({ message: 'x', retry: false }).includes('error-retry'));
  assert.match(renderUsageMeter({ used: 45_000, window: 100_000 }, null), /data-percent="45"/);
  assert.doesNotMatch(renderUsageMeter({ used: 5, window: 0 }, null), /data-percent/);
  assert.match(renderUsageMeter({ used: 500, window: 100 }, null), /data-percent="100"/);
  assert.match(renderUsageMeter({ used: 95_000, window: 100_000 }, null), /level-high" data-testid="context-meter" data-percent="95"/);
  assert.equal(renderUsageMeter(null, null), '');
  const now = Date.UTC(2026, 0, 10);
  const list = renderSessions([{ id: 's1', title: 'Fix <bug>', updatedAt: now - 120_000, model: 'm' }], now);
  assert.match(list, /data-action="resume" data-session-id="s1" data-testid="session-item"/);
  assert.match(list, /Fix &lt;bug&gt;/);
  assert.match(list, /2 min ago · m/);
  assert.match(renderSessions([], now), /No past sessions/);
});

test('error banner: the offered fixes as buttons, then Retry', () => {
  const html = renderErrorBanner({ message: 'Ollama did not accept the API key.', retry: true, actions: ['setKey', 'useLocalServer'] });
  assert.match(html, /data-action="error-action" data-error-action="setKey" data-testid="error-action-setKey">.*Set API Key<\/button>/);
  assert.match(html, /data-testid="error-action-useLocalServer">.*Use a Local Server<\/button><button class="secondary" data-action="retry"/);
  assert.doesNotMatch(renderErrorBanner({ message: 'x', retry: false }), /error-action/);
});

test('history list: search by words of the title or model, and a delete that asks once', () => {
  const now = Date.UTC(2026, 0, 10);
  const sessions = [
    { id: 'a', title: 'Fix the parser bug', updatedAt: now, model: 'gpt-5' },
    { id: 'b', title: 'Add tests for the lexer', updatedAt: now, model: 'qwen3-coder' },
    { id: 'c', title: '', updatedAt: now },
  ];
  const ids = (html: string) => [...html.matchAll(/data-testid="session-item"/g)].length;
  assert.equal(ids(renderSessions(sessions, now, '')), 3);
  assert.equal(ids(renderSessions(sessions, now, 'PARSER')), 1);
  assert.equal(ids(renderSessions(sessions, now, 'the  lexer')), 1, 'every word, any spacing');
  assert.equal(ids(renderSessions(sessions, now, 'qwen')), 1, 'the model counts');
  assert.equal(ids(renderSessions(sessions, now, 'fix lexer')), 0);
  assert.match(renderSessions(sessions, now, '<nope>'), /data-testid="history-no-match">No session matches “&lt;nope&gt;”/);
  // Each row has a delete button; only the one asked about shows the confirmation.
  const plain = renderSessions(sessions, now);
  assert.equal([...plain.matchAll(/data-testid="session-delete"/g)].length, 3);
  assert.match(plain, /aria-label="Delete session Fix the parser bug"/);
  const asking = renderSessions(sessions, now, '', 'b');
  assert.equal([...asking.matchAll(/data-testid="session-delete-confirm"/g)].length, 1);
  assert.match(asking, /data-action="delete-session" data-session-id="b" data-testid="session-delete-confirm"/);
});

test('commands, paths, plan steps, diff rows and code show bidirectional and invisible characters as escapes', () => {
  const s = initialState();
  const RLO = '\u202E';
  const mark = '<span class="hidden-char" title="U+202E RIGHT-TO-LEFT OVERRIDE">\\u{202E}</span>';
  const noRaw = (html: string, what: string) => assert.ok(!html.includes(RLO), `${what}: no raw U+202E`);

  const approval = renderApproval('r', { requestId: 'r', callId: 'c', itemId: 'i', kind: 'exec', argv: ['bash', '-lc', `ls docs/evil${RLO}txt.sh`], command: `ls docs/evil${RLO}txt.sh`, cwd: `/w${RLO}x`, reason: `why${RLO}`, sandbox: { mode: 'workspace-write', writableRoots: [`/w${RLO}x`], network: false }, remember: { kind: 'exact', argv: ['bash', '-lc', `ls docs/evil${RLO}txt.sh`] } }, null);
  assert.ok(approval.includes(`ls docs/evil${mark}txt.sh`));
  assert.ok(approval.includes(`in /w${mark}x`));
  noRaw(approval, 'approval card');

  const cmd = renderEntry(entryFor({ id: 'c', type: 'command_execution', command: `cat a${RLO}b\u200B`, aggregated_output: '', status: 'completed', exit_code: 0 }), s);
  assert.ok(cmd.includes(`cat a${mark}b<span class="hidden-char" title="U+200B ZERO WIDTH SPACE">\\u{200B}</span>`));
  assert.ok(cmd.includes('title="cat a\\u{202E}b\\u{200B}"'), 'the tooltip is escaped too');
  noRaw(cmd, 'command card');

  const path = `docs/evil${RLO}txt.sh`;
  const change = renderEntry(entryFor({ id: 'p', type: 'file_change', status: 'pending', changes: [{ path, kind: 'add' }], diffs: [engines().diffTexts('', `x${RLO}y\n`)] }), s);
  assert.ok(change.includes(`docs/evil${mark}txt.sh</a>`), 'the file name in the card');
  assert.ok(change.includes(`x${mark}y`), 'the diff row');
  assert.ok(change.includes(`data-path="${path}"`), 'the path itself is kept for the host, unchanged');
  assert.ok(change.includes('aria-label="Accept every change in docs/evil\\u{202E}txt.sh"'));

  const plan = renderEntry(entryFor({ id: 't', type: 'todo_list', items: [{ text: `step${RLO}1`, completed: false, status: 'pending' }] }), s);
  assert.ok(plan.includes(`step${mark}1`));

  const md = renderMarkdown(`Run \`rm x${RLO}y\` and\n\n\`\`\`sh\necho a\u200Bb\n\`\`\`\n\nprose ${RLO} with a family 👨\u200D👩`);
  assert.ok(md.includes(`<code>rm x${mark}y</code>`), 'inline code');
  assert.ok(md.includes('\\u{200B}'), 'a zero-width space in a code block');
  assert.ok(md.includes(`prose ${mark} with`), 'an override in prose');
  assert.ok(md.includes('👨\u200D👩'), 'a joiner in prose (emoji) is left alone');
  noRaw(md, 'markdown');
});

test('an MCP call card shows server, tool, arguments and the result or error, escaped', () => {
  const s = initialState();
  const done = renderEntry(
    entryFor({
      id: 'm1',
      type: 'mcp_tool_call',
      server: 'memory',
      tool: 'read_graph',
      arguments: { q: '<b>' },
      result: { content: [{ type: 'text', text: 'alice <knows> bob' }] },
      status: 'completed',
    }),
    s,
  );
  assert.match(done, /data-testid="mcp-card" data-status="completed"/);
  assert.match(done, /memory · read_graph/);
  assert.match(done, /&quot;q&quot;: &quot;&lt;b&gt;&quot;|"q": "&lt;b&gt;"/);
  assert.match(done, /data-testid="mcp-result">alice &lt;knows&gt; bob/);
  const failed = renderEntry(
    entryFor({ id: 'm2', type: 'mcp_tool_call', server: 's', tool: 't', arguments: {}, error: { message: 'server exited' }, status: 'failed' }),
    s,
  );
  assert.match(failed, /data-testid="mcp-error">server exited/);
  assert.match(failed, / open>/);
});
