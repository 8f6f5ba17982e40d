// The real-VS-Code suite: code-server with the built .vsix, driven in Chromium.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { extensionDir } from '../lib/paths';
import { startCodeServer, type CodeServer } from './code-server';
import { openWorkbench, runCommand, screenshot, type Workbench } from './workbench';

const vsix = path.join(extensionDir, `tack-${JSON.parse(fs.readFileSync(path.join(extensionDir, 'package.json'), 'utf8')).version}.vsix`);

describe('Tack in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  let workspace = '';

  /** Runs a step, keeping a screenshot and code-server's output when it fails. */
  const withScreenshot = (name: string, fn: (page: Page) => Promise<void>) => async () => {
    assert.ok(wb, 'the workbench did not open');
    try {
      await fn(wb.page);
    } catch (e) {
      const shot = await screenshot(wb.page, name);
      throw new Error(`${(e as Error).message}\n(screenshot: ${shot})`, { cause: e });
    }
  };

  before(async () => {
    assert.ok(fs.existsSync(vsix), `the .vsix is not built (${vsix}); run npm run build`);
    workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-e2e-ws-'));
    fs.writeFileSync(path.join(workspace, 'README.md'), '# demo\n');
    cs = await startCodeServer({ vsix, workspace, settings: {} });
    try {
      wb = await openWorkbench(cs.url);
    } catch (e) {
      throw new Error(`${(e as Error).message}\ncode-server output:\n${cs.output().slice(-4000)}`, { cause: e });
    }
  });

  after(async () => {
    await wb?.close().catch(() => undefined);
    await cs?.stop();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  test('the Tack view is in the activity bar and a palette command runs', withScreenshot('activity-and-command', async (page) => {
    const item = page.locator('.activitybar .action-item a[aria-label^="Tack"]').first();
    await item.waitFor({ timeout: 30_000 });
    await item.click();
    // A container with one view shows it under the container's title.
    await page.locator('.part.sidebar .composite.title', { hasText: 'Tack: Chat' }).first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'Tack: Show Log');
    // The Output panel shows Tack's log channel with the activation line.
    await page.locator('.output-view, .panel .monaco-editor', { hasText: 'Tack 0.1.0 activated' }).first().waitFor({ timeout: 30_000 });
  }));
});
