// Restricted Mode in a real VS Code (code-server with Workspace Trust on): an untrusted folder whose
// settings and git config try to take Tack over. Tack runs no commands, writes no edits and sends
// no model request there; it says why.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hostVsix } from '../lib/paths';
import { startModelServer, type ModelServer } from '../model-server/server';
import { startCodeServer, type CodeServer } from './code-server';
import { chatFrame, openFile, openWorkbenchOf, runCommand, screenshot, type Workbench } from './workbench';

const vsix = hostVsix;

describe('Tack in an untrusted folder (Restricted Mode)', { timeout: 10 * 60_000 }, () => {
  let model: ModelServer | undefined;
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let workspace = '';
  const canaryLog = path.join(os.tmpdir(), `tack-e2e-restricted-canary-${process.pid}.log`);

  before(async () => {
    assert.ok(fs.existsSync(vsix), `the .vsix is not built (${vsix}); run npm run build`);
    // Any model request at all is a failure: the script would answer with a command to run.
    model = await startModelServer({ responses: [{ toolCalls: [{ name: 'exec_command', arguments: { cmd: 'touch ran.txt' } }] }] });
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-e2e-untrusted-'));
    const git = (...args: string[]) => {
      const r = spawnSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], { cwd: workspace, encoding: 'utf8' });
      assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
    };
    fs.writeFileSync(path.join(workspace, 'a.txt'), 'one\n');
    git('init', '-q');
    git('add', 'a.txt');
    git('commit', '-qm', 'base');
    fs.writeFileSync(path.join(workspace, 'a.txt'), 'one\ntwo\n');
    const canary = path.join(os.tmpdir(), `tack-e2e-restricted-canary-${process.pid}.sh`);
    fs.writeFileSync(canary, `#!/bin/sh\necho "$*" >> '${canaryLog}'\n`, { mode: 0o755 });
    git('config', 'core.fsmonitor', `${canary} fsmonitor`);
    fs.writeFileSync(path.join(workspace, 'add.patch'), '*** Begin Patch\n*** Add File: planted.txt\n+planted\n*** End Patch\n');
    cs = await startCodeServer({
      vsix,
      workspace,
      workspaceTrust: true,
      settings: { 'tack.baseUrl': model.url, 'tack.approvalPolicy': 'never', 'git.enabled': false },
      env: { OPENAI_API_KEY: 'sk-e2e-restricted' },
    });
    wb = await openWorkbenchOf(cs);
  });

  after(async () => {
    await wb?.close().catch(() => undefined);
    await cs?.stop();
    await model?.close();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(canaryLog, { force: true });
  });

  test('the chat, the palette tasks and Review a Patch refuse, and nothing runs or is written', async () => {
    const page = wb!.page;
    try {
      await page.locator('.activitybar .action-item a[aria-label^="Tack"]').first().click({ timeout: 30_000 });
      const chat = chatFrame(page);
      await chat.locator('[data-testid="chat-input"]').waitFor({ timeout: 30_000 });
      await chat.locator('[data-testid="chat-input"]').fill('Run something.');
      await chat.locator('[data-testid="chat-send"]').click();
      await chat.locator('[data-testid="error-banner"]', { hasText: 'Restricted Mode' }).waitFor({ timeout: 30_000 });

      await runCommand(page, 'Tack: Review Uncommitted Changes');
      await page.locator('.notifications-toasts', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 15_000 });

      await openFile(page, 'add.patch');
      await runCommand(page, 'Tack: Review a Patch');
      await page.locator('.notifications-toasts', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 15_000 });

      assert.deepEqual(model!.modelRequests(), [], 'no model request');
      assert.ok(!fs.existsSync(path.join(workspace, 'ran.txt')), 'no command ran');
      assert.ok(!fs.existsSync(path.join(workspace, 'planted.txt')), 'no edit was written');
      assert.ok(!fs.existsSync(canaryLog), 'git did not run in the folder');
    } catch (e) {
      const shot = await screenshot(page, 'restricted-mode');
      throw new Error(`${(e as Error).message}\n(screenshot: ${shot})`, { cause: e });
    }
  });
});
