// The review of proposed edits in a real VS Code (issue 14): one decision is one WorkspaceEdit (Accept
// All over two files undoes in one step), the chat card keeps its diff after the decision. Its own
// code-server, workspace and model script; the tests play the script in order.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { extensionDir } from '../lib/paths';
import { startModelServer, type ModelServer } from '../model-server/server';
import { startCodeServer, type CodeServer } from './code-server';
import { chatFrame, openFile, openWorkbenchOf, runCommand, screenshot, type Workbench } from './workbench';

const vsix = path.join(extensionDir, `tack-${JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8')).version}.vsix`);
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

const script = {
  apiKey: API_KEY,
  responses: [
    // (1) one edit over two files: Accept All, then one undo
    { toolCalls: [{ name: 'apply_patch', input: twoFiles }] },
    { text: 'Edited both files.' },
  ],
};

async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Reviewing proposed edits in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  let model: ModelServer | undefined;
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let workspace = '';
  const read = (f: string) => fs.readFileSync(path.join(workspace, f), 'utf8');

  const withScreenshot = (name: string, fn: (page: Page) => Promise<void>) => async () => {
    assert.ok(wb, 'the workbench did not open');
    try {
      await fn(wb.page);
    } catch (e) {
      const shot = await screenshot(wb.page, `review-${name}-failed`);
      await runCommand(wb.page, 'Tack: Reject All Changes').catch(() => undefined);
      await runCommand(wb.page, 'Tack: Stop').catch(() => undefined);
      throw new Error(`${(e as Error).message}\n(screenshot: ${shot})`, { cause: e });
    }
  };

  const chat = () => chatFrame(wb!.page);

  async function newTask(page: Page): Promise<void> {
    await runCommand(page, 'Tack: New Task');
    await chat().locator('[data-testid="chat-input"]').waitFor({ timeout: 30_000 });
  }

  async function send(text: string): Promise<void> {
    await chat().locator('[data-testid="chat-input"]').fill(text);
    await chat().locator('[data-testid="chat-send"]').click();
  }

  async function waitIdle(): Promise<void> {
    await chat().locator('[data-testid="chat-stop"]').waitFor({ state: 'hidden', timeout: 60_000 });
  }

  before(async () => {
    assert.ok(fs.existsSync(vsix), `the .vsix is not built (${vsix}); run npm run build`);
    model = await startModelServer(script);
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-e2e-review-'));
    fs.writeFileSync(path.join(workspace, 'alpha.ts'), alphaOriginal);
    fs.writeFileSync(path.join(workspace, 'beta.ts'), betaOriginal);
    cs = await startCodeServer({
      vsix,
      workspace,
      settings: {
        'tack.baseUrl': model.url,
        'tack.model': 'gpt-5.1-codex',
        'tack.wireApi': 'responses',
        'tack.approvalPolicy': 'untrusted',
        'tack.sandboxMode': 'workspace-write',
        'git.enabled': false,
        // The test decides when files are saved.
        'files.autoSave': 'off',
      },
      env: { OPENAI_API_KEY: API_KEY },
    });
    wb = await openWorkbenchOf(cs);
    const item = wb.page.locator('.activitybar .action-item a[aria-label^="Tack"]').first();
    await item.waitFor({ timeout: 30_000 });
    await item.click();
    await chat().locator('[data-testid="chat-input"]').waitFor({ timeout: 30_000 });
  });

  after(async () => {
    await wb?.close().catch(() => undefined);
    await cs?.stop();
    await model?.close();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  test('Accept All over two files is one WorkspaceEdit: one undo takes both back; the card keeps its diff', withScreenshot('accept-all-undo', async (page) => {
    await newTask(page);
    await send('Edit alpha and beta.');
    const card = chat().locator('[data-testid="file-change-card"]').last();
    await card.locator('[data-testid="files-accept-all"]').waitFor({ timeout: 30_000 });
    assert.equal(read('alpha.ts'), alphaOriginal, 'nothing written before a decision');
    assert.equal(read('beta.ts'), betaOriginal, 'nothing written before a decision');
    await screenshot(page, 'review-1-two-files-pending');
    await runCommand(page, 'Tack: Accept All Changes');
    await chat().locator('[data-testid="message-text"]', { hasText: 'Edited both files.' }).waitFor({ timeout: 30_000 });
    await waitIdle();
    const alphaNew = alphaOriginal.replace('alpha = 1;', 'alpha = 100; // ACCEPTED_ALPHA');
    const betaNew = betaOriginal.replace('beta = 2;', 'beta = 200; // ACCEPTED_BETA');
    await until('both files written', () => read('alpha.ts') === alphaNew && read('beta.ts') === betaNew, 15_000);

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
});
