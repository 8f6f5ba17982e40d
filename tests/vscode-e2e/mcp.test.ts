// MCP in a real VS Code (code-server): the workspace's .vscode/mcp.json names the real memory server;
// before it first starts, a modal shows its command line and the person answers "Trust and start"
// (no process of it runs before that); the scripted model calls one of its tools; under `untrusted` the chat asks (the MCP approval card),
// the person allows the whole server, the call's card shows the result, and the server really stored
// it. "Tack: MCP Servers" lists the server with its state and tool count. A second server answered
// "Don't start" runs nothing and is listed as not trusted; its "Trust…" action starts it. Editing
// .vscode/mcp.json takes effect without a reload; "Stop Trusting" stops a server and forgets its trust.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../lib/paths';
import { processesWith } from '../lib/procs';
import { startTackE2E, type TackE2E } from './fixture';
import { runCommand, screenshot, until, withScreenshot } from './workbench';

const memoryServer = path.join(repoRoot, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');
const badServer = path.join(repoRoot, 'tests', 'mcp', 'bad-server.mjs');

describe('MCP servers in a real VS Code', { timeout: 10 * 60_000 }, () => {
  let e2e: TackE2E | undefined;
  let marker = '';

  before(async () => {
    e2e = await startTackE2E({
      name: 'mcp',
      script: {
        apiKey: 'sk-e2e-mcp',
        responses: [
          { toolCalls: [{ name: 'mcp__memory__create_entities', arguments: { entities: [{ name: 'Zed', entityType: 'dog', observations: ['barks at MCP'] }] } }] },
          { text: 'Stored Zed.', expect: 'barks at MCP' },
        ],
      },
      prepare: (workspace) => {
        fs.mkdirSync(path.join(workspace, '.vscode'));
        marker = path.join(workspace, 'planted-ran');
        fs.writeFileSync(
          path.join(workspace, '.vscode', 'mcp.json'),
          JSON.stringify({
            servers: {
              memory: { type: 'stdio', command: process.execPath, args: [memoryServer], env: { MEMORY_FILE_PATH: '${workspaceFolder}/memory.jsonl' } },
              // A second server whose command leaves a mark: refused at first, trusted later from the palette.
              planted: { command: 'sh', args: ['-c', 'echo ran >> "$0"; exec "$1" "$2" crash', marker, process.execPath, badServer] },
            },
          }),
        );
      },
      settings: { 'tack.model': 'gpt-5.1-codex', 'tack.wireApi': 'responses', 'tack.approvalPolicy': 'untrusted' },
      env: { OPENAI_API_KEY: 'sk-e2e-mcp' },
    });
  });

  after(async () => {
    await e2e?.close();
  });

  test('the trust modal, then an MCP call asks, runs, shows its card; the palette lists the servers and trusts the refused one', withScreenshot(() => e2e?.wb, 'mcp', async (page) => {
    await e2e!.chat.open();
    const chat = e2e!.chat.frame;
    await e2e!.chat.send('Remember Zed.');
    // The workspace's server is not trusted yet: VS Code's modal shows what would run.
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 60_000 });
    const dialogText = await dialog.innerText();
    assert.match(dialogText, /Start the MCP server "memory" from this workspace's \.vscode\/mcp\.json\?/);
    assert.ok(dialogText.includes(memoryServer), dialogText);
    assert.match(dialogText, /outside Tack's sandbox/);
    assert.deepEqual(processesWith(memoryServer), [], 'the server was started before the answer');
    await dialog.getByRole('button', { name: 'Trust and start' }).click();
    // Then the second server's modal: "Don't start".
    await page.locator('.monaco-dialog-box', { hasText: 'Start the MCP server "planted"' }).waitFor({ timeout: 30_000 });
    assert.ok((await page.locator('.monaco-dialog-box').innerText()).includes(marker));
    await page.locator('.monaco-dialog-box').getByRole('button', { name: "Don't start" }).click();
    const card = chat.locator('[data-testid="approval-card"].pending');
    await card.waitFor({ timeout: 60_000 });
    const text = await card.innerText();
    assert.match(text, /Call this MCP tool\?/);
    assert.match(text, /memory\.create_entities/);
    await card.locator('[data-testid="approval-approve-server"]').click();
    const done = chat.locator('[data-testid="mcp-card"][data-status="completed"]');
    await done.waitFor({ timeout: 60_000 });
    assert.match(await done.locator('[data-testid="mcp-tool"]').innerText(), /memory · create_entities/);
    await chat.locator('[data-testid="message-agent"]', { hasText: 'Stored Zed.' }).waitFor({ timeout: 30_000 });
    assert.match(e2e!.read('memory.jsonl'), /"Zed"/);
    assert.ok(processesWith(memoryServer).length > 0, 'the trusted server runs (so the check before the answer could see it)');

    await runCommand(page, 'Tack: MCP Servers');
    await page.locator('.quick-input-widget', { hasText: 'running · 9 tools' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-widget', { hasText: 'not trusted' }).first().waitFor({ timeout: 30_000 });
    assert.equal(fs.existsSync(marker), false, "the refused server's command ran");
    // "Trust…" from the palette: the same modal, then it starts.
    await page.locator('.quick-input-widget input').fill('planted');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'not trusted' }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Trust…' }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    const trustDialog = page.locator('.monaco-dialog-box', { hasText: 'Trust the MCP server "planted"' });
    await trustDialog.waitFor({ timeout: 30_000 });
    await trustDialog.getByRole('button', { name: 'Trust and start' }).click();
    for (let i = 0; i < 100 && !fs.existsSync(marker); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(fs.readFileSync(marker, 'utf8'), 'ran\n');

    // The person edits .vscode/mcp.json: "planted" goes, "added" comes. No reload: the palette's
    // list follows, the new workspace server asks for trust before it starts, "planted" is stopped.
    const config = JSON.parse(fs.readFileSync(path.join(e2e!.workspace, '.vscode', 'mcp.json'), 'utf8'));
    delete config.servers.planted;
    config.servers.added = { type: 'stdio', command: process.execPath, args: [memoryServer], env: { MEMORY_FILE_PATH: '${workspaceFolder}/added.jsonl' } };
    fs.writeFileSync(path.join(e2e!.workspace, '.vscode', 'mcp.json'), JSON.stringify(config));
    const addedDialog = page.locator('.monaco-dialog-box', { hasText: 'Start the MCP server "added"' });
    for (let i = 0; i < 3 && !(await addedDialog.isVisible()); i++) {
      await page.keyboard.press('Escape');
      await runCommand(page, 'Tack: MCP Servers');
      await addedDialog.waitFor({ timeout: 10_000 }).catch(() => undefined);
    }
    await addedDialog.getByRole('button', { name: 'Trust and start' }).click();
    const list = page.locator('.quick-input-widget');
    await list.locator('.monaco-list-row', { hasText: 'added' }).first().waitFor({ timeout: 30_000 });
    // (By aria-label: the list reuses row elements, and a hidden detail can keep an earlier row's text.)
    await until('the removed server gone from the list', async () => (await list.locator('.monaco-list-row[aria-label*="planted"]').count()) === 0, 10_000);
    assert.match(await list.locator('.monaco-list-row', { hasText: 'added' }).first().innerText(), /running · 9 tools/);
    await screenshot(page, 'mcp-config-edited');

    // "Stop Trusting" the memory server: it stops and is listed as not trusted.
    await page.locator('.quick-input-widget input').fill('memory');
    await list.locator('.monaco-list-row', { hasText: 'running' }).first().waitFor({ timeout: 15_000 });
    await page.keyboard.press('Enter');
    await list.locator('.monaco-list-row', { hasText: 'Stop Trusting' }).first().waitFor({ timeout: 15_000 });
    await page.locator('.quick-input-widget input').fill('Stop Trusting');
    await page.keyboard.press('Enter');
    await page.locator('.notifications-toasts', { hasText: 'no longer trusted' }).first().waitFor({ timeout: 30_000 });
    await runCommand(page, 'Tack: MCP Servers');
    const memoryRow = list.locator('.monaco-list-row[aria-label*="memory, "]').first();
    await memoryRow.waitFor({ timeout: 30_000 });
    await until('the memory server listed as not trusted', async () => /not trusted/.test((await memoryRow.getAttribute('aria-label')) ?? ''));
    await page.keyboard.press('Escape');
  }));
});
