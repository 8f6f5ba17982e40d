// The review of proposed edits in a real VS Code (issue 14): one decision is one WorkspaceEdit (Accept
// All over two files undoes in one step), the chat card keeps its diff after the decision. Its own
// code-server, workspace and model script; the tests play the script in order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startTackE2E, type TackE2E } from './fixture';
import { openFile, runCommand, screenshot, until, withScreenshot as shotOnFailure } from './workbench';

const API_KEY = 'sk-e2e-review-key';

const alphaOriginal = 'export const alpha = 1;\nexport const keep = true;\n';
const betaOriginal = 'export const beta = 2;\nexport const keep = true;\n';
const twoFiles = [
  '*** Begin Patch',
  '*** Update File: alpha.ts',
  '@@',
  '-export const alpha = 1;',
  '+export const alpha = 100; // ACCEPTED_ALPHA',
  '*** Update File: beta.ts',
  '@@',
  '-export const beta = 2;',
  '+export const beta = 200; // ACCEPTED_BETA',
  '*** End Patch',
].join('\n');

const fiveOriginal = '// five\none\ntwo\nthree\nfour\nfive\n// end\n';
const fivePatch = [
  '*** Begin Patch',
  '*** Update File: five.txt',
  '@@',
  ' // five',
  '-one',
  '-two',
  '-three',
  '-four',
  '-five',
  '+ONE',
  '+TWO',
  '+THREE',
  '+FOUR',
  '+FIVE',
  '*** End Patch',
].join('\n');
const editPatch = '*** Begin Patch\n*** Update File: greeting.txt\n@@\n-greeting = hi\n+greeting = hello\n*** End Patch';
const reasonPatch = '*** Begin Patch\n*** Update File: reason.txt\n@@\n-short\n+a much longer line than anyone wanted\n*** End Patch';

const script = {
  apiKey: API_KEY,
  responses: [
    // (1) one edit over two files: Accept All, then one undo
    { toolCalls: [{ name: 'apply_patch', input: twoFiles }] },
    { text: 'Edited both files.' },
    // (2) one hunk of five lines: two of them accepted, the rest rejected
    { toolCalls: [{ name: 'apply_patch', input: fivePatch }] },
    { text: 'Two lines landed.', expect: 'The user changed your proposal for five.txt' },
    // (3) the person edits the proposal, then accepts it
    { toolCalls: [{ name: 'apply_patch', input: editPatch }] },
    { text: 'Your version landed.', expect: 'hello from me' },
    // (4) one decision over two files, one of which changed meanwhile: nothing of it lands
    { toolCalls: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Update File: first.txt\n@@\n-1\n+ONE\n*** Update File: second.txt\n@@\n-2\n+TWO\n*** End Patch' }] },
    { text: 'Nothing landed.', expect: 'Could not be written' },
    // (5) rejected with a reason
    { toolCalls: [{ name: 'apply_patch', input: reasonPatch }] },
    { text: 'Kept it short.', expect: "The user's reason: keep it short" },
  ],
};

describe('Reviewing proposed edits in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  let e2e: TackE2E | undefined;
  const read = (f: string) => e2e!.read(f);

  /** Runs a test body, keeping a screenshot when it fails. */
  const withScreenshot = (name: string, fn: (page: Page) => Promise<void>) => shotOnFailure(() => e2e?.wb, `review-${name}-failed`, fn);

  const tack = () => e2e!.chat;
  const chat = () => tack().frame;
  /** A file's row in the Changes view (Tack's sidebar). */
  const changesRow = (page: Page, file: string) =>
    page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Changes' }) }).locator('.monaco-list-row', { hasText: file }).first();

  before(async () => {
    e2e = await startTackE2E({
      name: 'review',
      script,
      files: { 'alpha.ts': alphaOriginal, 'beta.ts': betaOriginal, 'five.txt': fiveOriginal, 'greeting.txt': 'greeting = hi\n', 'reason.txt': 'short\n', 'first.txt': '1\n', 'second.txt': '2\n' },
      settings: {
        'tack.model': 'gpt-5.1-codex',
        'tack.wireApi': 'responses',
        'tack.approvalPolicy': 'untrusted',
        'tack.sandboxMode': 'workspace-write',
        // The test decides when files are saved.
        'files.autoSave': 'off',
      },
      env: { OPENAI_API_KEY: API_KEY },
      openChat: true,
    });
  });

  after(async () => {
    await e2e?.close();
  });

  test('Accept All over two files is one WorkspaceEdit: one undo takes both back; the card keeps its diff', withScreenshot('accept-all-undo', async (page) => {
    await tack().newTask();
    await tack().send('Edit alpha and beta.');
    const card = chat().locator('[data-testid="file-change-card"]').last();
    await card.locator('[data-testid="files-accept-all"]').waitFor({ timeout: 30_000 });
    assert.equal(read('alpha.ts'), alphaOriginal, 'nothing written before a decision');
    assert.equal(read('beta.ts'), betaOriginal, 'nothing written before a decision');
    // The Changes view lists both files, pending.
    for (const f of ['alpha.ts', 'beta.ts']) await until(`${f} pending in the Changes view`, async () => /pending/.test((await changesRow(page, f).textContent().catch(() => '')) ?? ''));
    await screenshot(page, 'review-1-two-files-pending');
    await runCommand(page, 'Tack: Accept All Changes');
    await chat().locator('[data-testid="message-text"]', { hasText: 'Edited both files.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    const alphaNew = alphaOriginal.replace('alpha = 1;', 'alpha = 100; // ACCEPTED_ALPHA');
    const betaNew = betaOriginal.replace('beta = 2;', 'beta = 200; // ACCEPTED_BETA');
    await until('both files written', () => read('alpha.ts') === alphaNew && read('beta.ts') === betaNew, 15_000);
    for (const f of ['alpha.ts', 'beta.ts']) await until(`${f} accepted in the Changes view`, async () => /accepted/.test((await changesRow(page, f).textContent().catch(() => '')) ?? ''));

    // The card still shows the diff text, each hunk marked accepted.
    const done = chat().locator('[data-testid="file-change-card"]').last();
    assert.equal(await done.getAttribute('data-status'), 'completed');
    const text = (await done.textContent()) ?? '';
    assert.ok(text.includes('ACCEPTED_ALPHA') && text.includes('ACCEPTED_BETA'), `the card keeps the diff text: ${text}`);
    assert.ok(text.includes('export const alpha = 1;'), 'and the removed line');
    const states = await done.locator('[data-testid="hunk"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state')));
    assert.deepEqual(states, ['accepted', 'accepted']);
    await screenshot(page, 'review-2-card-after-accept-all');

    // One undo in one of the editors: both files are back (the edit was one step).
    await openFile(page, 'alpha.ts');
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    await editor.locator('.view-lines').click();
    await page.keyboard.press('Control+Z');
    // A workspace-wide undo may ask to confirm undoing in every file.
    const confirm = page.locator('.monaco-dialog-box .monaco-button', { hasText: /Undo in \d+ Files/ });
    if (await confirm.waitFor({ timeout: 2_000 }).then(() => true, () => false)) await confirm.click();
    await editor.locator('.view-lines', { hasText: 'export const alpha = 1;' }).waitFor({ timeout: 10_000 });
    await runCommand(page, 'File: Save All Files');
    await until('both files back after one undo', () => read('alpha.ts') === alphaOriginal && read('beta.ts') === betaOriginal, 15_000);
    await screenshot(page, 'review-3-after-one-undo');
  }));

  /** The last model request's body as text. */
  const lastRequest = () => JSON.stringify(e2e!.model.modelRequests().at(-1)?.body ?? '');

  /** Selects whole lines first..last (1-based) in the focused editor. */
  async function selectLines(page: Page, first: number, last: number): Promise<void> {
    await page.keyboard.press('Control+Home');
    for (let i = 1; i < first; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Home');
    for (let i = first; i < last; i++) await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+End');
  }

  test('accepting two of five lines of a hunk writes exactly those, and the model is told the difference', withScreenshot('lines', async (page) => {
    await tack().newTask();
    await tack().send('Shout the numbers.');
    await page.locator('.tab.active', { hasText: 'five.txt' }).waitFor({ timeout: 30_000 });
    const editor = page.locator('.editor-group-container.active .monaco-editor').first();
    await until('the Accept lens', async () => (await editor.locator('.codelens-decoration a', { hasText: 'Accept' }).count()) > 0);
    await editor.locator('.view-lines').click();
    // Lines 3-4 of the buffer are "two" and "three": the second and third lines of the change.
    await selectLines(page, 3, 4);
    const acceptLines = editor.locator('.codelens-decoration a', { hasText: 'Accept Selected Lines' });
    await acceptLines.waitFor({ timeout: 10_000 });
    await screenshot(page, 'review-4-lines-selected');
    await acceptLines.click();
    await editor.locator('.view-lines', { hasText: 'TWO' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'review-5-two-lines-accepted');
    assert.equal(read('five.txt'), fiveOriginal, 'nothing saved while the rest is pending');
    // The rest is rejected from the Changes view's row action.
    const row = changesRow(page, 'five.txt');
    await until('five.txt pending in the Changes view', async () => /2 pending/.test((await row.textContent()) ?? ''));
    await row.hover();
    await row.locator('.action-label[aria-label="Reject Changes in File"]').click();
    await chat().locator('[data-testid="message-text"]', { hasText: 'Two lines landed.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    assert.equal(read('five.txt'), '// five\none\nTWO\nTHREE\nfour\nfive\n// end\n', 'exactly the two accepted lines landed');
    const body = lastRequest();
    assert.ok(body.includes('The user changed your proposal for five.txt'), body.slice(-2000));
    assert.ok(body.includes('-ONE') && body.includes('+one') && body.includes('-FOUR'), 'the diff from the proposal to what landed');
    assert.deepEqual(e2e!.model.mismatches, []);
    await screenshot(page, 'review-6-lines-card');
  }));

  test('editing the proposal in the side-by-side diff, then accepting, writes the edited text and tells the model', withScreenshot('edit', async (page) => {
    await tack().newTask();
    await tack().send('Greet louder.');
    await page.locator('.tab.active', { hasText: 'greeting.txt' }).waitFor({ timeout: 30_000 });
    await runCommand(page, 'Tack: Show Side-by-Side Diff');
    const diff = page.locator('.editor-group-container.active .monaco-diff-editor').first();
    await diff.waitFor({ timeout: 15_000 });
    const right = diff.locator('.editor.modified');
    await right.locator('.view-lines', { hasText: 'greeting = hello' }).waitFor({ timeout: 15_000 });
    await right.locator('.view-lines').click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('End');
    await page.keyboard.type(' from me');
    await page.keyboard.press('Control+S');
    await right.locator('.view-lines', { hasText: 'greeting = hello from me' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'review-7-proposal-edited');
    assert.equal(read('greeting.txt'), 'greeting = hi\n', 'nothing written before Accept');
    await runCommand(page, 'Tack: Accept All Changes');
    await chat().locator('[data-testid="message-text"]', { hasText: 'Your version landed.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    await until('the edited text on disk', () => read('greeting.txt') === 'greeting = hello from me\n', 15_000);
    const body = lastRequest();
    assert.ok(body.includes('The user changed your proposal for greeting.txt'), body.slice(-2000));
    assert.ok(body.includes('-greeting = hello\\n+greeting = hello from me'), body.slice(-2000));
    assert.deepEqual(e2e!.model.mismatches, []);
  }));

  test('Accept All where one file changed meanwhile applies nothing, to any file', withScreenshot('atomic', async (page) => {
    await tack().newTask();
    await tack().send('Spell out first and second.');
    const card = chat().locator('[data-testid="file-change-card"]').last();
    await card.locator('[data-testid="files-accept-all"]').waitFor({ timeout: 30_000 });
    // second.txt changes on disk after the proposal; VS Code reloads its buffer.
    fs.writeFileSync(path.join(e2e!.workspace, 'second.txt'), '2 changed by someone else\n');
    await openFile(page, 'second.txt');
    await page.locator('.editor-group-container.active .view-lines', { hasText: 'changed by someone else' }).waitFor({ timeout: 15_000 });
    await runCommand(page, 'Tack: Accept All Changes');
    await chat().locator('[data-testid="message-text"]', { hasText: 'Nothing landed.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    assert.equal(read('first.txt'), '1\n', 'the other file of the decision was not written either');
    assert.equal(read('second.txt'), '2 changed by someone else\n');
    const body = lastRequest();
    // On failure, show the last tool output (apply_patch is a custom tool on this wire) and any
    // request that did not meet its script entry.
    const at = body.lastIndexOf('_call_output');
    const lastOutput = `${at < 0 ? body.slice(-1500) : body.slice(at, at + 1500)}\nmismatches: ${e2e!.model.mismatches.join(' | ')}`;
    assert.ok(body.includes('second.txt changed after Tack proposed this edit'), lastOutput);
    assert.ok(body.includes('nothing of this decision was applied'), lastOutput);
    assert.deepEqual(e2e!.model.mismatches, []);
    await screenshot(page, 'review-8-atomic-failure');
  }));

  test('"Reject with a reason" rejects the edit and the model reads the reason', withScreenshot('reason', async (page) => {
    await tack().newTask();
    await tack().send('Lengthen reason.txt.');
    await page.locator('.tab.active', { hasText: 'reason.txt' }).waitFor({ timeout: 30_000 });
    await runCommand(page, 'Tack: Reject Changes with a Reason...');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('keep it short');
    await page.keyboard.press('Enter');
    await chat().locator('[data-testid="message-text"]', { hasText: 'Kept it short.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    assert.equal(read('reason.txt'), 'short\n');
    assert.ok(lastRequest().includes("The user's reason: keep it short"));
    assert.deepEqual(e2e!.model.mismatches, []);
    const card = chat().locator('[data-testid="file-change-card"]').last();
    assert.equal(await card.getAttribute('data-status'), 'declined');
    assert.ok(((await card.textContent()) ?? '').includes('a much longer line'), 'the declined card keeps its diff');
  }));
});
