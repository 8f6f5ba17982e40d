// Drives a code-server workbench in Debian's Chromium with Playwright: open the page, run palette
// commands, find the Tack webview's frame, keep a screenshot when something fails.
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type FrameLocator, type Page } from 'playwright-core';
import { repoRoot } from '../lib/paths';
import { chromiumPath } from './code-server';

export const artifactsDir = path.join(repoRoot, 'tests', 'artifacts');

export interface Workbench {
  browser: Browser;
  page: Page;
  /** The last lines of Tack's Output channel, when the workbench belongs to a known code-server. */
  tackLog?: () => string;
  close(): Promise<void>;
}

/**
 * The last `lines` lines of Tack's Output channel as the extension host wrote it to disk
 * (`<user data>/logs/<session>/exthost<N>/<extension id>/Tack.log`, the newest session's).
 */
export function tackLogTail(userDataDir: string, lines = 40): string {
  const logs = path.join(userDataDir, 'logs');
  const found: string[] = [];
  for (const session of fs.existsSync(logs) ? fs.readdirSync(logs).sort() : []) {
    for (const host of fs.readdirSync(path.join(logs, session)).filter((d) => d.startsWith('exthost'))) {
      for (const ext of fs.readdirSync(path.join(logs, session, host))) {
        const file = path.join(logs, session, host, ext, 'Tack.log');
        if (fs.existsSync(file)) found.push(file);
      }
    }
  }
  const file = found.at(-1);
  return file ? fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n') : '(no Tack log found)';
}

/** Opens the workbench of a started code-server; a failure carries the server's last output. */
export async function openWorkbenchOf(cs: { url: string; output(): string; userDataDir?: string }): Promise<Workbench> {
  try {
    const wb = await openWorkbench(cs.url);
    const dir = cs.userDataDir;
    return dir === undefined ? wb : { ...wb, tackLog: () => tackLogTail(dir) };
  } catch (e) {
    throw new Error(`${(e as Error).message}\ncode-server output:\n${cs.output().slice(-4000)}`, { cause: e });
  }
}

export async function openWorkbench(url: string): Promise<Workbench> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 90_000 });
    return { browser, page, close: () => browser.close() };
  } catch (e) {
    await browser.close();
    throw e;
  }
}

/** Closes any quick input and moves the keyboard focus out of webviews, onto the workbench. */
async function focusWorkbench(page: Page): Promise<void> {
  await page.keyboard.press('Escape');
  await page.locator('.monaco-workbench').click({ position: { x: 700, y: 5 } }).catch(() => undefined);
}

/** Runs a command by its palette title ("Tack: Show Log"). */
export async function runCommand(page: Page, title: string): Promise<void> {
  await focusWorkbench(page);
  const input = page.locator('.quick-input-widget input');
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('F1');
    if (await input.isVisible().catch(() => false)) break;
    await page.keyboard.press('Control+Shift+P');
    if (await input.waitFor({ timeout: 3000 }).then(() => true, () => false)) break;
  }
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
}

/** The Tack chat webview's inner frame (code-server nests webviews two iframes deep). */
export function chatFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

export async function screenshot(page: Page | undefined, name: string): Promise<string | undefined> {
  if (!page) return undefined;
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name.replace(/[^a-z0-9-]+/gi, '_')}.png`);
  await page.screenshot({ path: file }).catch(() => undefined);
  return file;
}

/** Opens a workspace file through Quick Open. */
export async function openFile(page: Page, relPath: string): Promise<void> {
  // Keys typed while a webview has focus never reach the workbench: focus the workbench first.
  await focusWorkbench(page);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(relPath);
  await page.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: 15_000 });
  await page.keyboard.press('Enter');
  await page.locator(`.tab.active[data-resource-name="${path.basename(relPath)}"], .tab.active:has-text("${path.basename(relPath)}")`).first().waitFor({ timeout: 15_000 });
}

/** Switches the workbench's colour theme with "Preferences: Color Theme". */
export async function setTheme(page: Page, theme: string): Promise<void> {
  // Not runCommand: its first match can be "Browse Color Themes in Marketplace" (no network here).
  const input = page.locator('.quick-input-widget input');
  await page.keyboard.press('Escape');
  await page.keyboard.press('F1');
  await input.waitFor({ timeout: 10_000 });
  await input.fill('>Preferences: Color Theme');
  await page.locator('.quick-input-list .monaco-list-row').filter({ hasText: /Preferences: Color Theme(?!s)/ }).first().click({ timeout: 15_000 });
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Modern' }).first().waitFor({ timeout: 15_000 });
  await page.keyboard.type(theme);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: theme }).first().click();
}

/** Polls `fn` every 100 ms until it returns something truthy, which it resolves with. */
export async function until<T>(what: string, fn: () => T | Promise<T>, timeoutMs = 30_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Tack's chat as a person uses it: open the sidebar, start a task, type and send, wait for the turn. */
export class TackChat {
  constructor(private readonly page: Page) {}

  /** The webview's frame, for locators. */
  get frame(): FrameLocator {
    return chatFrame(this.page);
  }

  /** Opens the Tack view from the activity bar and waits for the chat's input. */
  async open(): Promise<void> {
    const item = this.page.locator('.activitybar .action-item a[aria-label^="Tack"]').first();
    await item.waitFor({ timeout: 60_000 });
    await item.click();
    await this.frame.locator('[data-testid="chat-input"]').waitFor({ timeout: 60_000 });
  }

  /** "Tack: New Task" from the palette, then the empty chat. */
  async newTask(): Promise<void> {
    await runCommand(this.page, 'Tack: New Task');
    await this.frame.locator('[data-testid="chat-input"]').waitFor({ timeout: 30_000 });
    await until('an empty transcript', async () => (await this.frame.locator('[data-testid="message-agent"]').count()) === 0, 10_000);
  }

  async send(text: string): Promise<void> {
    await this.frame.locator('[data-testid="chat-input"]').fill(text);
    await this.frame.locator('[data-testid="chat-send"]').click();
  }

  /** Until no turn runs (the Stop button is gone). */
  async idle(timeoutMs = 60_000): Promise<void> {
    await this.frame.locator('[data-testid="chat-stop"]').waitFor({ state: 'hidden', timeout: timeoutMs });
  }
}

/**
 * A test body that keeps a screenshot named `name` when it fails and leaves nothing pending for the
 * next test of the file (proposals withdrawn, the turn stopped).
 */
export function withScreenshot(wb: () => Workbench | undefined, name: string, fn: (page: Page) => Promise<void>): () => Promise<void> {
  return async () => {
    const w = wb();
    if (!w) throw new Error('the workbench did not open');
    try {
      await fn(w.page);
    } catch (e) {
      const shot = await screenshot(w.page, name);
      await runCommand(w.page, 'Tack: Reject All Changes').catch(() => undefined);
      await runCommand(w.page, 'Tack: Stop').catch(() => undefined);
      let log = '';
      try { log = w.tackLog ? `\nTack's Output channel, last lines:\n${w.tackLog()}` : ''; } catch { /* no log to show */ }
      throw new Error(`${(e as Error).message}\n(screenshot: ${shot})${log}`, { cause: e });
    }
  };
}
