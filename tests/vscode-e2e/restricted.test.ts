// Restricted Mode in a real VS Code (code-server with Workspace Trust on): an untrusted folder whose
// settings and git config try to take Tack over. Tack runs no commands, writes no edits and sends
// no model request there; it says why.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTackE2E, type TackE2E } from './fixture';
import { openFile, runCommand, withScreenshot } from './workbench';

describe('Tack in an untrusted folder (Restricted Mode)', { timeout: 10 * 60_000 }, () => {
  let e2e: TackE2E | undefined;
  const canaryLog = path.join(os.tmpdir(), `tack-e2e-restricted-canary-${process.pid}.log`);
  // The program the repository's git config names; removed with the log after the suite.
  const canary = path.join(os.tmpdir(), `tack-e2e-restricted-canary-${process.pid}.sh`);

  before(async () => {
    e2e = await startTackE2E({
      name: 'untrusted',
      // Any model request at all is a failure: the script would answer with a command to run.
      script: { responses: [{ toolCalls: [{ name: 'exec_command', arguments: { cmd: 'touch ran.txt' } }] }] },
      prepare: (workspace) => {
        const git = (...args: string[]) => {
          const r = spawnSync('git', ['-c', 'user.name=e2e', '-c', 'user.email=e2e@example.invalid', ...args], { cwd: workspace, encoding: 'utf8' });
          assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
        };
        fs.writeFileSync(path.join(workspace, 'a.txt'), 'one\n');
        git('init', '-q');
        git('add', 'a.txt');
        git('commit', '-qm', 'base');
        fs.writeFileSync(path.join(workspace, 'a.txt'), 'one\ntwo\n');
        fs.writeFileSync(canary, `#!/bin/sh\necho "$*" >> '${canaryLog}'\n`, { mode: 0o755 });
        git('config', 'core.fsmonitor', `${canary} fsmonitor`);
        fs.writeFileSync(path.join(workspace, 'add.patch'), '*** Begin Patch\n*** Add File: planted.txt\n+planted\n*** End Patch\n');
      },
      workspaceTrust: true,
      settings: { 'tack.approvalPolicy': 'never' },
      env: { OPENAI_API_KEY: 'sk-e2e-restricted' },
    });
  });

  after(async () => {
    await e2e?.close();
    fs.rmSync(canaryLog, { force: true });
    fs.rmSync(canary, { force: true });
  });

  test('the chat, the palette tasks and Review a Patch refuse, and nothing runs or is written', withScreenshot(() => e2e?.wb, 'restricted-mode', async (page) => {
    await e2e!.chat.open();
    const chat = e2e!.chat.frame;
    await e2e!.chat.send('Run something.');
    await chat.locator('[data-testid="error-banner"]', { hasText: 'Restricted Mode' }).waitFor({ timeout: 30_000 });

    await runCommand(page, 'Tack: Review Uncommitted Changes');
    await page.locator('.notifications-toasts', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 15_000 });

    await openFile(page, 'add.patch');
    await runCommand(page, 'Tack: Review a Patch');
    await page.locator('.notifications-toasts', { hasText: 'Restricted Mode' }).first().waitFor({ timeout: 15_000 });

    assert.deepEqual(e2e!.model.modelRequests(), [], 'no model request');
    assert.ok(!fs.existsSync(path.join(e2e!.workspace, 'ran.txt')), 'no command ran');
    assert.ok(!fs.existsSync(path.join(e2e!.workspace, 'planted.txt')), 'no edit was written');
    assert.ok(!fs.existsSync(canaryLog), 'git did not run in the folder');
  }));
});
