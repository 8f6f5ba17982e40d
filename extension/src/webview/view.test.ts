// The built chat bundle (dist/webview/main.js + main.css) in a real Chromium, under the same CSP the
// extension serves, with a stand-in for VS Code's webview API that records what the view posts. The
// host's side is played by posting HostMessages into the page, exactly as the provider does.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostMessage, ThreadEvent, ViewMessage } from '../shared/chat-protocol';
import { engines } from '../host/patch/engine';
import { webviewPage } from '../vscode/chat/html';

const webviewDist = path.resolve(__dirname, '..', '..', 'dist', 'webview');
const chromiumPath = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && fs.existsSync(p),
);
const origin = 'http://tack-webview.test';
const nonce = 'VGFja1Rlc3ROb25jZTEyMzQ=';
// `npm test` installs Chromium first and sets TACK_REQUIRE_BROWSER: there a missing one fails.
const skip = chromiumPath || process.env.TACK_REQUIRE_BROWSER === '1' ? false : 'no Chromium on this machine (set CHROMIUM_PATH)';

let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  assert.ok(
    fs.existsSync(path.join(webviewDist, 'main.js')),
    `the webview bundle is not built (${webviewDist}/main.js): run \`npm run build\``,
  );
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
});

after(async () => {
  await browser?.close();
});

/** A page holding the chat, with `savedState` as what vscode.getState() returns. */
async function openView(savedState: unknown = undefined): Promise<{ page: Page; violations: string[] }> {
  const page = await browser!.newPage();
  const violations: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') violations.push(m.text());
  });
  page.on('pageerror', (e) => violations.push(String(e)));
  const stub = `
    window.__posted = []; window.__state = ${JSON.stringify(savedState ?? null)};
    document.addEventListener('securitypolicyviolation', (e) => console.error('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.__state,
      setState: (s) => { window.__state = JSON.parse(JSON.stringify(s)); },
    });`;
  const html = webviewPage({
    cspSource: origin,
    nonce,
    scriptUri: `${origin}/main.js`,
    styleUris: [`${origin}/codicon.css`, `${origin}/main.css`],
  }).replace('<body>', `<body>\n<script nonce="${nonce}">${stub}</script>`);
  await page.route(`${origin}/**`, async (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === 'index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
    const file = path.join(webviewDist, name);
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
    const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.css') ? 'text/css' : 'font/ttf';
    return route.fulfill({ status: 200, contentType: type, body: fs.readFileSync(file) });
  });
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => (window as unknown as { __posted: ViewMessage[] }).__posted.length > 0);
  return { page, violations };
}

const host = (page: Page, ...msgs: HostMessage[]): Promise<void> =>
  page.evaluate((ms) => ms.forEach((m) => window.postMessage(m, '*')), msgs);
const ev = (event: ThreadEvent): HostMessage => ({ type: 'event', event });
const posted = (page: Page): Promise<ViewMessage[]> =>
  page.evaluate(() => (window as unknown as { __posted: ViewMessage[] }).__posted);
const tid = (id: string): string => `[data-testid="${id}"]`;

async function waitPosted(page: Page, type: ViewMessage['type']): Promise<ViewMessage> {
  await page.waitForFunction(
    (t) => (window as unknown as { __posted: ViewMessage[] }).__posted.some((m) => m.type === t),
    type,
  );
  return (await posted(page)).filter((m) => m.type === type).at(-1)!;
}

test('a whole turn in the real bundle: send, stream, command, approval, hunks, error, retry, stop', { skip }, async () => {
  const { page, violations } = await openView();
  try {
    assert.deepEqual(
      (await posted(page)).map((m) => m.type),
      ['ready', 'listModels'],
      'the view says ready, then asks for the models',
    );
    await host(page, { type: 'models', models: ['gpt-5.1-codex', 'qwen3'] }, { type: 'model', model: 'qwen3' });
    await page.waitForSelector(`${tid('model-option')}[data-model="qwen3"][aria-selected="true"]`, { state: 'attached' });
    assert.equal((await page.textContent(`${tid('model-select')} .model-name`))?.trim(), 'qwen3');
    // The themed picker: opens as a listbox, arrows move, Enter picks, the host is told.
    await page.click(tid('model-select'));
    assert.equal(await page.isVisible(tid('model-menu')), true);
    await page.keyboard.press('ArrowUp');
    await page.keyboard.press('Enter');
    assert.deepEqual(await waitPosted(page, 'setModel'), { type: 'setModel', model: 'gpt-5.1-codex' });
    // The view redraws once per animation frame: wait for the pick to be drawn, then read the label.
    await page.waitForSelector(`${tid('model-option')}[data-model="gpt-5.1-codex"][aria-selected="true"]`, { state: 'attached' });
    assert.equal(await page.isVisible(tid('model-menu')), false);
    assert.equal((await page.textContent(`${tid('model-select')} .model-name`))?.trim(), 'gpt-5.1-codex');

    // Send with Enter.
    assert.equal(await page.isVisible(tid('empty-state')), true, 'a fresh view invites a task');
    await page.fill(tid('chat-input'), 'Fix the failing test');
    await page.press(tid('chat-input'), 'Enter');
    assert.deepEqual(await waitPosted(page, 'send'), { type: 'send', text: 'Fix the failing test' });
    await page.waitForSelector(tid('message-user'));
    assert.equal(await page.textContent(tid('message-user')), 'Fix the failing test');
    assert.equal(await page.inputValue(tid('chat-input')), '');
    assert.equal(await page.isHidden(tid('empty-state')), true);
    await page.waitForSelector(tid('chat-stop'), { state: 'visible' });
    assert.equal(await page.isHidden(tid('chat-send')), true, 'Send gives way to Stop while a turn runs');

    // A streamed answer, rendered as markdown.
    await host(
      page,
      ev({ type: 'turn.started' }),
      ev({ type: 'item.started', item: { id: 'm1', type: 'agent_message', text: '' } }),
      ev({ type: 'item.delta', item_id: 'm1', delta: 'Looking at **the test**' }),
      ev({ type: 'item.delta', item_id: 'm1', delta: ' now.\n\n```js\nlet a = 1;\n```' }),
    );
    await page.waitForSelector(`${tid('message-text')} strong`);
    assert.equal(await page.textContent(`${tid('message-text')} strong`), 'the test');
    await page.waitForSelector(`${tid('message-text')} .hljs-keyword`);

    // A command with coloured live output.
    await host(
      page,
      ev({ type: 'item.started', item: { id: 'c1', type: 'command_execution', command: 'npm test', aggregated_output: '', status: 'in_progress' } }),
      ev({ type: 'item.delta', item_id: 'c1', delta: '\u001b[31mFAIL\u001b[0m src/a.test.js\n' }),
    );
    await page.waitForSelector(`${tid('command-output')} .ansi-red-fg`);
    assert.equal(await page.textContent(`${tid('command-output')} .ansi-red-fg`), 'FAIL');
    await host(page, ev({ type: 'item.completed', item: { id: 'c1', type: 'command_execution', command: 'npm test', aggregated_output: '', status: 'failed', exit_code: 1, duration_ms: 1500 } }));
    await page.waitForSelector(`${tid('command-card')}[data-status="failed"]`);
    assert.match((await page.textContent(tid('command-status'))) ?? '', /exit 1/);
    assert.match((await page.textContent(tid('command-output'))) ?? '', /FAIL src\/a\.test\.js/, 'live output survives completion');

    // An approval arrives while the person types in the composer: it does not take the focus, so
    // the space and Enter they type do not answer it.
    await page.focus(tid('chat-input'));
    await page.keyboard.type('next I want');
    await host(page, {
      type: 'approval',
      requestId: 'r1',
      request: { requestId: 'r1', callId: 'c2', itemId: 'i2', kind: 'exec', argv: ['rm', '-rf', 'dist'], command: 'rm -rf dist', cwd: '/w', sandbox: { mode: 'workspace-write', writableRoots: ['/w'], network: false }, remember: { kind: 'prefix', prefix: ['rm', '-rf', 'dist'] } },
    });
    await page.waitForSelector(`${tid('approval-card')}[data-request-id="r1"] ${tid('approval-approve')}`);
    await page.keyboard.type(' more ');
    await page.keyboard.press('Space');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Space');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 300))));
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'chat-input', 'the focus stayed in the composer');
    assert.equal(await page.getAttribute(tid('approval-approve'), 'autofocus'), null);
    assert.equal((await posted(page)).filter((m) => m.type === 'decideApproval').length, 0, 'typing answered nothing');
    assert.equal(await page.locator(`${tid('approval-card')}.pending`).count(), 1, 'the card still waits');
    await page.fill(tid('chat-input'), '');
    // Deliberately moving the keyboard focus to the button (as Tab would) and pressing Enter approves.
    await page.focus(`${tid('approval-card')}[data-request-id="r1"] ${tid('approval-approve')}`);
    await page.keyboard.press('Enter');
    assert.deepEqual(await waitPosted(page, 'decideApproval'), { type: 'decideApproval', requestId: 'r1', decision: 'approved' });
    await page.waitForSelector(`${tid('approval-card')}[data-decided="approved"]`);

    // Another, denied with a message (Enter in the message field denies).
    await host(page, {
      type: 'approval',
      requestId: 'r2',
      request: { requestId: 'r2', callId: 'c3', itemId: 'i3', kind: 'escalate', argv: ['curl', 'x'], command: 'curl x # \u202Etxt.sh', cwd: '/w', reason: 'network', sandbox: { mode: 'danger-full-access', writableRoots: ['/w'], network: true }, remember: { kind: 'prefix', prefix: ['curl', 'x'] } },
    });
    // A right-to-left override in the command is drawn as a visible escape, not obeyed.
    const shownCommand = await page.textContent(`${tid('approval-card')}[data-request-id="r2"] ${tid('approval-command')}`);
    assert.equal(shownCommand, 'curl x # \\u{202E}txt.sh');
    assert.equal(await page.locator(`${tid('approval-card')}[data-request-id="r2"] .hidden-char`).count(), 1);
    // The message field is there only once asked for, and then it has the focus.
    assert.equal(await page.locator(`${tid('approval-card')}[data-request-id="r2"] ${tid('approval-message')}`).count(), 0);
    await page.click(`${tid('approval-card')}[data-request-id="r2"] ${tid('approval-deny-with-message')}`);
    await page.waitForSelector(`${tid('approval-card')}[data-request-id="r2"] ${tid('approval-message')}`);
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'approval-message');
    await page.fill(`${tid('approval-card')}[data-request-id="r2"] ${tid('approval-message')}`, 'no network, use the cache');
    await page.press(`${tid('approval-card')}[data-request-id="r2"] ${tid('approval-message')}`, 'Enter');
    await page.waitForSelector(`${tid('approval-card')}[data-request-id="r2"][data-decided="denied"]`);
    assert.deepEqual((await posted(page)).filter((m) => m.type === 'decideApproval').at(-1), {
      type: 'decideApproval',
      requestId: 'r2',
      decision: 'denied',
      message: 'no network, use the cache',
    });

    // A file change with two hunks (diffed by the real engine): accept one, reject the other, the host confirms.
    const diff = engines().diffTexts('a\nb\nc\n', 'a\nB\nc\nd\n');
    const [h1, h2] = diff.hunkIds;
    await host(
      page,
      ev({
        type: 'item.started',
        item: {
          id: 'p1',
          type: 'file_change',
          status: 'pending',
          changes: [{ path: 'src/a.js', kind: 'update' }],
          diffs: [diff],
        },
      }),
    );
    await page.waitForSelector(tid('file-change-card'));
    assert.equal(await page.locator(tid('hunk-accept')).count(), 2);
    await page.click(`${tid('hunk')}[data-hunk-id="${h1}"] ${tid('hunk-accept')}`);
    assert.deepEqual(await waitPosted(page, 'decideHunks'), { type: 'decideHunks', itemId: 'p1', path: 'src/a.js', hunkIds: [h1], accept: true });
    await page.waitForSelector(`${tid('hunk')}[data-hunk-id="${h1}"][data-state="accepted"]`);
    await page.click(`${tid('hunk')}[data-hunk-id="${h2}"] ${tid('hunk-reject')}`);
    await page.waitForSelector(`${tid('hunk')}[data-hunk-id="${h2}"][data-state="rejected"]`);
    await host(page, { type: 'hunkStates', itemId: 'p1', path: 'src/a.js', states: { [h1]: 'accepted', [h2]: 'rejected' } });
    assert.equal(await page.locator(tid('hunk-accept')).count(), 0);
    await page.click(tid('open-diff'));
    assert.deepEqual(await waitPosted(page, 'openDiff'), { type: 'openDiff', itemId: 'p1', path: 'src/a.js' });

    // Two more files: "Accept all" posts a whole-change decision and settles every hunk at once.
    await host(
      page,
      ev({
        type: 'item.started',
        item: {
          id: 'p2',
          type: 'file_change',
          status: 'pending',
          changes: [
            { path: 'x.js', kind: 'add' },
            { path: 'y.js', kind: 'update' },
          ],
          diffs: [engines().diffTexts('', 'x\n'), engines().diffTexts('1\n', '2\n')],
        },
      }),
    );
    // "Reject with a reason" on the card asks the host (which asks the person for the reason).
    await page.click(`${tid('file-change-card')}[data-item-id="p2"] ${tid('edit-reject-reason')}`);
    assert.deepEqual(await waitPosted(page, 'rejectWithReason'), { type: 'rejectWithReason', itemId: 'p2' });
    await page.click(`${tid('file-change-card')}[data-item-id="p2"] ${tid('files-accept-all')}`);
    assert.deepEqual(await waitPosted(page, 'decideFile'), { type: 'decideFile', itemId: 'p2', path: null, accept: true });
    await page.waitForFunction(
      () => document.querySelectorAll('[data-item-id="p2"] [data-testid="hunk"][data-state="accepted"]').length === 2,
    );

    // Stop while a command runs: the command and the turn end as "Stopped", calmly, with Continue.
    await host(page, ev({ type: 'item.started', item: { id: 'c9', type: 'command_execution', command: 'sleep 100', aggregated_output: '', status: 'in_progress' } }));
    await page.waitForSelector(`${tid('command-card')}[data-status="in_progress"]`);
    await page.click(tid('chat-stop'));
    await waitPosted(page, 'stop');
    await host(
      page,
      ev({ type: 'item.completed', item: { id: 'c9', type: 'command_execution', command: 'sleep 100', aggregated_output: '', status: 'failed' } }),
      ev({ type: 'turn.failed', error: { message: 'Turn interrupted by the user.', reason: 'interrupted' } }),
    );
    await page.waitForSelector(tid('stopped-notice'));
    assert.equal((await page.locator(tid('command-status')).last().textContent())?.trim(), 'Stopped');
    assert.equal(await page.locator(tid('error-banner')).count(), 0, 'no error banner for a stop');
    await page.waitForSelector(tid('chat-send'), { state: 'visible' });
    await page.click(tid('continue'));
    assert.deepEqual(await waitPosted(page, 'send'), { type: 'send', text: 'continue' });
    await page.waitForSelector(tid('continue'), { state: 'detached' });
    assert.equal(await page.locator(tid('message-user')).last().textContent(), 'continue');

    // The next turn fails: a banner with Retry.
    await host(page, ev({ type: 'turn.started' }), ev({ type: 'turn.failed', error: { message: 'HTTP 503 from the model server' } }));
    await page.waitForSelector(tid('error-banner'));
    assert.match((await page.textContent(tid('error-banner'))) ?? '', /HTTP 503/);
    await page.waitForSelector(tid('chat-send'), { state: 'visible' });
    await page.click(tid('error-retry'));
    await waitPosted(page, 'retry');
    await page.waitForSelector(tid('error-banner'), { state: 'detached' });

    // Context meter, history, new task.
    await host(page, { type: 'event', event: { type: 'context.usage', used_tokens: 80_000, window_tokens: 100_000 } });
    await page.waitForSelector(`${tid('context-meter')}[data-percent="80"]`);
    await page.click(tid('history-button'));
    await waitPosted(page, 'listSessions');
    await host(page, { type: 'sessions', sessions: [{ id: 's9', title: 'Earlier <task>', updatedAt: Date.now() - 5000 }] });
    await page.click(tid('session-item'));
    assert.deepEqual(await waitPosted(page, 'resumeSession'), { type: 'resumeSession', id: 's9' });
    await page.click(tid('new-task'));
    await waitPosted(page, 'newTask');
    await host(page, { type: 'clear' });
    await page.waitForFunction(() => document.querySelectorAll('.transcript > .entry').length === 0);
    await page.waitForSelector(tid('empty-state'), { state: 'visible' });

    assert.deepEqual(violations, [], 'no CSP violations or script errors');
  } finally {
    await page.close();
  }
});

test('a hidden and re-shown view restores its transcript from the saved state', { skip }, async () => {
  const first = await openView();
  let saved: unknown;
  try {
    await host(
      first.page,
      { type: 'userMessage', text: 'remember me' },
      ev({ type: 'item.completed', item: { id: 'm', type: 'agent_message', text: 'I *will*.' } }),
    );
    await first.page.waitForSelector(`${tid('message-text')} em`);
    // Streamed text is saved too (throttled, so wait for it).
    await host(
      first.page,
      ev({ type: 'item.started', item: { id: 'm2', type: 'agent_message', text: '' } }),
      ev({ type: 'item.delta', item_id: 'm2', delta: 'streamed tail' }),
    );
    await first.page.waitForFunction(() => {
      const s = (window as unknown as { __state: { entries?: unknown[] } | null }).__state;
      return (s?.entries?.length ?? 0) === 3 && JSON.stringify(s).includes('streamed tail');
    });
    saved = await first.page.evaluate(() => (window as unknown as { __state: unknown }).__state);
  } finally {
    await first.page.close();
  }
  const second = await openView(saved);
  try {
    await second.page.waitForSelector(`${tid('message-text')} em`);
    assert.equal(await second.page.textContent(tid('message-user')), 'remember me');
    assert.equal((await second.page.locator(tid('message-text')).last().textContent())?.trim(), 'streamed tail');
    assert.deepEqual(second.violations, []);
  } finally {
    await second.page.close();
  }
});

test('megabytes of command output keep the DOM bounded and say how much was cut', { skip }, async () => {
  const { page, violations } = await openView();
  try {
    await host(page, ev({ type: 'item.started', item: { id: 'c', type: 'command_execution', command: 'yes', aggregated_output: '', status: 'in_progress' } }));
    // 4 MB in 64 KB deltas, posted in a burst as a fast stream would.
    const chunk = ('y'.repeat(63) + '\n').repeat(1024);
    await page.evaluate((c) => {
      for (let i = 0; i < 64; i++) {
        window.postMessage({ type: 'event', event: { type: 'item.delta', item_id: 'c', delta: c } }, '*');
      }
      window.postMessage({ type: 'event', event: { type: 'item.delta', item_id: 'c', delta: 'THE END\n' } }, '*');
    }, chunk);
    await page.waitForFunction(() => document.querySelector('[data-testid="command-output"]')?.textContent?.includes('THE END'));
    const shown = (await page.textContent(tid('command-output'))) ?? '';
    assert.ok(shown.length <= 64 * 1024, `shown ${shown.length} chars`);
    const cut = (await page.textContent(tid('command-output-cut'))) ?? '';
    assert.match(cut, /^3\.9 MB of earlier output not shown$/, '4 MB streamed, the last 64 KB shown');
    const gap = (): Promise<number> =>
      page.$eval(tid('command-output'), (p) => p.scrollHeight - p.scrollTop - p.clientHeight);
    assert.ok((await gap()) < 8, 'the live output pane follows the end');
    // While the pane follows a running command, only its last screens are drawn.
    const drawn = (): Promise<number> => page.$eval(tid('command-output'), (p) => p.textContent?.length ?? 0);
    assert.ok((await drawn()) <= 8 * 1024, `following: ${await drawn()} chars drawn`);
    assert.ok(await page.evaluate(`document.querySelectorAll('pre.terminal > span[data-chunk]').length > 3`));
    // Scrolled up by the person: the rest is drawn, and what they look at stays where it was.
    // Output is drawn in chunks: a middle chunk's node survives an append untouched.
    await page.evaluate(`document.querySelectorAll('pre.terminal > span[data-chunk]')[2].tackMark = 'kept'`);
    const onScreen = (): Promise<{ chunk: string; at: number }> =>
      page.$eval(tid('command-output'), (p) => {
        const top = ([...p.children] as HTMLElement[]).find((s) => s.offsetTop + s.offsetHeight > p.scrollTop)!;
        return { chunk: top.dataset.chunk ?? '', at: top.offsetTop - p.scrollTop };
      });
    await page.$eval(tid('command-output'), (p) => (p.scrollTop = 100));
    const seen = await onScreen();
    await frame(page);
    assert.ok((await drawn()) > 60 * 1024, `scrolled up: ${await drawn()} chars drawn`);
    assert.deepEqual(await onScreen(), seen, 'the pane did not move under the person');
    assert.ok((await page.$eval(tid('command-output'), (p) => p.scrollTop)) > 1000, 'the earlier output is drawn above them');
    // New output does not yank it back down.
    await host(page, ev({ type: 'item.delta', item_id: 'c', delta: 'MORE\n' }));
    await page.waitForFunction(() => document.querySelector('[data-testid="command-output"]')?.textContent?.endsWith('MORE\n'));
    assert.deepEqual(await onScreen(), seen, 'new output did not move the pane');
    assert.ok(
      await page.evaluate(`[...document.querySelectorAll('pre.terminal > span[data-chunk]')].some((s) => s.tackMark === 'kept')`),
      'the unchanged chunk was not redrawn',
    );
    // Back at the end, it follows again with only the tail drawn; when the command ends, all of it is.
    await page.$eval(tid('command-output'), (p) => (p.scrollTop = p.scrollHeight));
    await host(page, ev({ type: 'item.delta', item_id: 'c', delta: 'LAST\n' }));
    await page.waitForFunction(() => document.querySelector('[data-testid="command-output"]')?.textContent?.endsWith('LAST\n'));
    assert.ok((await drawn()) <= 8 * 1024, `following again: ${await drawn()} chars drawn`);
    assert.ok((await gap()) < 8, 'following again');
    await host(page, ev({ type: 'item.completed', item: { id: 'c', type: 'command_execution', command: 'yes', aggregated_output: 'LAST\n', exit_code: 1, status: 'failed' } }));
    await page.waitForFunction(() => document.querySelector('[data-testid="command-card"]')?.getAttribute('data-status') === 'failed');
    assert.ok((await drawn()) > 60 * 1024, `ended: ${await drawn()} chars drawn`);
    assert.ok((await gap()) < 8, 'a failure shows its tail');
    assert.deepEqual(violations, []);
  } finally {
    await page.close();
  }
});

test('a trimmed stream updates its cut notice in place: the card and its output are not drawn again', { skip }, async () => {
  const { page, violations } = await openView();
  try {
    await host(page, ev({ type: 'item.started', item: { id: 'c', type: 'command_execution', command: 'make', aggregated_output: '', status: 'in_progress' } }));
    const line = 'x'.repeat(63) + '\n';
    // 70 KB: the view keeps the last 64 KB, so about 6 KB are cut.
    await host(page, ev({ type: 'item.delta', item_id: 'c', delta: line.repeat(1120) }));
    await page.waitForFunction(() => /KB of earlier output not shown/.test(document.querySelector('[data-testid="command-output-cut"]')?.textContent ?? ''));
    const before = (await page.textContent(tid('command-output-cut'))) ?? '';
    await page.evaluate(`document.querySelector('pre.terminal').tackMark = 'same'; document.querySelector('[data-testid="command-card"]').tackMark = 'same'`);
    // 4 KB more: 4 KB more cut, and the figure says so.
    await host(page, ev({ type: 'item.delta', item_id: 'c', delta: line.repeat(64) + 'END\n' }));
    await page.waitForFunction(() => document.querySelector('[data-testid="command-output"]')?.textContent?.endsWith('END\n'));
    const after = (await page.textContent(tid('command-output-cut'))) ?? '';
    assert.notEqual(after, before, 'the cut figure grew');
    assert.match(after, /^\d+\.\d KB of earlier output not shown$/);
    assert.equal(await page.evaluate(`document.querySelector('pre.terminal').tackMark`), 'same', 'the terminal is the same element');
    assert.equal(await page.evaluate(`document.querySelector('[data-testid="command-card"]').tackMark`), 'same', 'the card is the same element');
    assert.ok(((await page.textContent(tid('command-output'))) ?? '').length <= 64 * 1024);
    assert.deepEqual(violations, []);
  } finally {
    await page.close();
  }
});

/** Waits for the next frame to be drawn (the view redraws once per animation frame). */
const frame = (page: Page): Promise<unknown> => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 50))));

test('one approval card at sidebar width: waiting, the command once, keys only with the focus on it, buttons on one line each', { skip }, async () => {
  const { page, violations } = await openView();
  try {
    await page.setViewportSize({ width: 300, height: 800 });
    await host(
      page,
      { type: 'userMessage', text: 'test it' },
      ev({ type: 'item.started', item: { id: 'c1', type: 'command_execution', command: 'npm test -- --reporter=spec', aggregated_output: '', status: 'in_progress' } }),
      {
        type: 'approval',
        requestId: 'r1',
        request: { requestId: 'r1', callId: 'call1', itemId: 'c1', kind: 'exec', argv: ['/bin/bash', '-lc', 'npm test -- --reporter=spec'], command: 'npm test -- --reporter=spec', cwd: '/w', sandbox: { mode: 'workspace-write', writableRoots: ['/w'], network: false }, remember: { kind: 'prefix', prefix: ['npm', 'test'] } },
      },
    );
    const card = `${tid('command-card')}[data-waiting="approval"]`;
    await page.waitForSelector(`${card} ${tid('approval-approve')}`);
    assert.match((await page.textContent(`${card} ${tid('command-status')}`)) ?? '', /^\s*Waiting for your approval$/);
    assert.equal(await page.locator(`${tid('transcript')} .codicon-modifier-spin`).count(), 0, 'no spinner while it waits');
    // The command is shown once (the "Runs" row is how it runs: the shell and its quoted script).
    assert.equal(await page.locator(`${tid('transcript')} ${tid('approval-command')}`).count(), 1);
    assert.equal(await page.locator(`${tid('transcript')} ${tid('command-line')}`).count(), 0);
    assert.equal(await page.textContent(tid('approval-command')), 'npm test -- --reporter=spec');
    assert.equal(await page.locator(tid('approval-card')).count(), 1, 'one approval card');
    assert.match((await page.textContent(tid('approval-approve-session'))) ?? '', /Approve for this session: commands starting with npm test/);
    // No label wraps at this width (the session scope has its own line, by design), the buttons
    // stand one under the other, and nothing spills sideways.
    const lines = await page.$$eval(`${card} button.choice .choice-line`, (ls) =>
      ls.map((l) => ({ text: l.textContent, h: l.getBoundingClientRect().height, line: parseFloat(getComputedStyle(l).lineHeight) || 1.4 * parseFloat(getComputedStyle(l).fontSize) })),
    );
    assert.equal(lines.length, 4);
    for (const l of lines) assert.ok(l.h < l.line * 1.5, `a label wrapped: ${JSON.stringify(l)}`);
    assert.equal(lines[2].text, 'commands starting with npm test', 'the scope is there to read, not cut off');
    const boxes = await page.$$eval(`${card} button.choice`, (bs) => bs.map((b) => b.getBoundingClientRect()).map((r) => ({ top: r.top, bottom: r.bottom, right: r.right })));
    const cardRight = await page.$eval(card, (c) => c.getBoundingClientRect().right);
    for (let i = 1; i < boxes.length; i++) assert.ok(boxes[i].top >= boxes[i - 1].bottom, 'one under the other');
    for (const b of boxes) assert.ok(b.right <= cardRight, 'inside the card');
    assert.ok(await page.$eval(tid('transcript'), (t) => t.scrollWidth <= t.clientWidth), 'no sideways scrolling');

    // Keys typed in the composer never answer.
    await page.focus(tid('chat-input'));
    await page.keyboard.type('1 2 3');
    await frame(page);
    assert.equal((await posted(page)).filter((m) => m.type === 'decideApproval').length, 0);
    assert.equal(await page.inputValue(tid('chat-input')), '1 2 3');
    // Focus on the card (a click on its text, or Tab): "2" approves for the session.
    await page.click(`${card} ${tid('approval-cwd')}`);
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'approval-card');
    await page.keyboard.press('2');
    assert.deepEqual(await waitPosted(page, 'decideApproval'), { type: 'decideApproval', requestId: 'r1', decision: 'approvedForSession' });
    // The card now runs the command; the decision is one line that does not repeat the command.
    await page.waitForSelector(`${tid('command-card')}[data-shown="running"]`);
    await page.waitForSelector(`${tid('approval-card')}[data-decided="approvedForSession"]`);
    assert.match((await page.textContent(`${tid('approval-card')}[data-decided]`)) ?? '', /Approved for this session: commands starting with npm test/);
    assert.equal(await page.locator(`${tid('transcript')} ${tid('approval-command')}`).count(), 0, 'the question is gone');
    assert.equal(await page.locator(`${tid('transcript')} ${tid('command-line')}`).count(), 1, 'the command card shows it');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'chat-input', 'the focus goes back to the composer');
    assert.deepEqual(violations, []);
  } finally {
    await page.close();
  }
});

test('command cards: a success is one line, a failure opens on its tail, running ones count time in place, long tokens wrap', { skip }, async () => {
  const { page, violations } = await openView();
  try {
    await page.setViewportSize({ width: 300, height: 800 });
    const run = (id: string, command: string) =>
      ev({ type: 'item.started', item: { id, type: 'command_execution', command, aggregated_output: '', status: 'in_progress' } });
    // Running: elapsed time ticks without redrawing the card.
    await host(page, run('c1', 'sleep 5'));
    await page.waitForSelector(`${tid('command-elapsed')}`);
    await page.evaluate(`document.querySelector('[data-testid="command-card"]').tackMark = 'kept'`);
    await page.waitForFunction(() => /^[1-9]s$/.test(document.querySelector('[data-testid="command-elapsed"]')?.textContent ?? ''), null, { timeout: 5000 });
    assert.equal(await page.evaluate(`document.querySelector('[data-testid="command-card"]').tackMark`), 'kept', 'the card was not redrawn to tick');

    // A success: one closed line with "+N lines"; clicking it shows the output.
    await host(page, ev({ type: 'item.delta', item_id: 'c1', delta: 'one\ntwo\nthree\n' }));
    await host(page, ev({ type: 'item.completed', item: { id: 'c1', type: 'command_execution', command: 'sleep 5', aggregated_output: '', status: 'completed', exit_code: 0, duration_ms: 5000 } }));
    const ok = `${tid('command-card')}[data-shown="ok"]`;
    await page.waitForSelector(ok);
    assert.equal(await page.$eval(ok, (d) => (d as HTMLDetailsElement).open), false, 'closed once it succeeds');
    assert.equal((await page.textContent(`${ok} ${tid('command-more')}`))?.trim(), '+3 lines');
    assert.match((await page.textContent(`${ok} summary`)) ?? '', /sleep 5\s*exit 0\s*5\.0 s\s*\+3 lines/);
    const summaryHeight = await page.$eval(`${ok} summary`, (s) => s.getBoundingClientRect().height);
    const cardHeight = await page.$eval(ok, (d) => d.getBoundingClientRect().height);
    assert.ok(cardHeight <= summaryHeight + 4, `one line: card ${cardHeight}px, summary ${summaryHeight}px`);
    assert.ok(summaryHeight < 40, `the summary is one line (${summaryHeight}px)`);
    await page.click(`${ok} ${tid('command-more')}`);
    await page.waitForFunction(() => (document.querySelector('[data-shown="ok"]') as HTMLDetailsElement).open);
    // Short output: no scrollbar inside the card.
    assert.ok(await page.$eval(`${ok} ${tid('command-output')}`, (p) => p.scrollHeight <= p.clientHeight), 'no nested scrollbar for 3 lines');
    assert.equal(await page.isVisible(`${ok} ${tid('command-more')}`), false, 'the count hides once open');

    // A failure with long output and an unbroken long token: open, the exit status at the top, on its tail.
    await host(page, run('c2', 'npm test'));
    const long = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n') + '\n' + 'x'.repeat(400) + '\nTHE FAILING PART\n';
    await host(page, ev({ type: 'item.delta', item_id: 'c2', delta: long }));
    await host(page, ev({ type: 'item.completed', item: { id: 'c2', type: 'command_execution', command: 'npm test', aggregated_output: '', status: 'failed', exit_code: 1, duration_ms: 900 } }));
    const failed = `${tid('command-card')}[data-shown="failed"]`;
    await page.waitForSelector(failed);
    await frame(page);
    assert.equal(await page.$eval(failed, (d) => (d as HTMLDetailsElement).open), true);
    assert.match((await page.textContent(`${failed} ${tid('command-status')}`)) ?? '', /exit 1/);
    const pane = await page.$eval(`${failed} ${tid('command-output')}`, (p) => ({ gap: p.scrollHeight - p.scrollTop - p.clientHeight, wide: p.scrollWidth > p.clientWidth + 1 }));
    assert.ok(pane.gap < 8, `the pane shows the tail (gap ${pane.gap})`);
    assert.equal(pane.wide, false, 'the long token wraps inside the pane');
    // The status line sits above the output pane, in view with it.
    const statusBox = await page.$eval(`${failed} ${tid('command-status')}`, (s) => s.getBoundingClientRect().bottom);
    const paneBox = await page.$eval(`${failed} ${tid('command-output')}`, (p) => p.getBoundingClientRect().top);
    assert.ok(statusBox <= paneBox);
    assert.ok(await page.$eval(tid('transcript'), (t) => t.scrollWidth <= t.clientWidth), 'no sideways scrolling');
    assert.deepEqual(violations, []);
  } finally {
    await page.close();
  }
});
