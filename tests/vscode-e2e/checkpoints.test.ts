// Restoring a checkpoint from the chat, in a real VS Code (code-server): a scripted turn edits a file
// (apply_patch) and runs a command that writes another; the message's "Restore checkpoint" button
// offers "Files and conversation"; the modal lists both files before anything is written; afterwards
// the files are as before the turn, the transcript ends before that message (with a neutral notice),
// the message is back in the input, and the next request the model gets is the history before that
// message plus the new one. The Changes view lists the file the command wrote and the accepted edit,
// until the restore. Then "Files only" on the next message: the file goes back, the conversation
// stays, no Changes row claims the undone edit; reopening the session shows both notices again; a
// restore from the palette ("Tack: Restore Checkpoint...") drops the Changes row of what it undid.
// Screenshots: the button, the confirmation, the result, files only, reopened, the palette restore.
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON is explored by the assertions themselves */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTackE2E, type TackE2E } from './fixture';
import { runCommand, screenshot, withScreenshot } from './workbench';

const PATCH = ['*** Begin Patch', '*** Update File: notes.txt', '@@', '-original', '+changed by the agent', '*** End Patch', ''].join('\n');
const SMALL = ['*** Begin Patch', '*** Update File: notes.txt', '@@', '-original', '+a small change', '*** End Patch', ''].join('\n');
const ONCE_MORE = ['*** Begin Patch', '*** Update File: notes.txt', '@@', '-original', '+once more', '*** End Patch', ''].join('\n');

describe('restoring a checkpoint from the chat in a real VS Code', { timeout: 10 * 60_000 }, () => {
  let e2e: TackE2E | undefined;
  let tackHome = '';

  before(async () => {
    tackHome = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-e2e-home-'));
    e2e = await startTackE2E({
      name: 'restore',
      script: {
        apiKey: 'sk-e2e-restore',
        responses: [
          { text: 'Hello.', expect: 'say hello' },
          { toolCalls: [{ name: 'apply_patch', callId: 'p', kind: 'custom', input: PATCH }] },
          { toolCalls: [{ name: 'exec_command', callId: 'w', arguments: { cmd: 'echo made > made.txt' } }] },
          { text: 'Changed notes.txt and made made.txt.' },
          { toolCalls: [{ name: 'apply_patch', callId: 's', kind: 'custom', input: SMALL }], expect: 'change less' },
          { text: 'Only a small change this time.' },
          { toolCalls: [{ name: 'apply_patch', callId: 'o', kind: 'custom', input: ONCE_MORE }], expect: 'once more' },
          { text: 'Changed it once more.' },
        ],
      },
      files: { 'notes.txt': 'original\n' },
      settings: { 'tack.model': 'gpt-5.1-codex', 'tack.wireApi': 'responses', 'tack.approvalPolicy': 'never' },
      env: { OPENAI_API_KEY: 'sk-e2e-restore', TACK_HOME: tackHome },
    });
  });

  after(async () => {
    await e2e?.close();
    if (tackHome) fs.rmSync(tackHome, { recursive: true, force: true });
  });

  test('files and conversation: the files, the transcript, the input and the next request', withScreenshot(() => e2e?.wb, 'checkpoint-failure', async (page) => {
    const { chat: tack, workspace } = e2e!;
    const chat = tack.frame;
    const send = (text: string) => tack.send(text);
    const idle = () => tack.idle();
    await tack.open();

    await send('say hello');
    await chat.locator('[data-testid="message-agent"]', { hasText: 'Hello.' }).waitFor({ timeout: 60_000 });
    await idle();
    await send('change the notes and make a file');
    await chat.locator('[data-testid="message-agent"]', { hasText: 'Changed notes.txt' }).waitFor({ timeout: 60_000 });
    await idle();
    assert.equal(fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8'), 'changed by the agent\n');
    assert.equal(fs.readFileSync(path.join(workspace, 'made.txt'), 'utf8'), 'made\n');
    // The Changes view lists the file the command wrote, compared with the turn's checkpoint, and
    // the accepted edit.
    const madeRow = page.locator('.monaco-list-row[aria-label="made.txt, changed by a command"]');
    await madeRow.waitFor({ timeout: 30_000 });
    const notesRow = page.locator('.monaco-list-row[aria-label="notes.txt, accepted"]');
    await notesRow.waitFor({ timeout: 30_000 });

    // The first turn changed nothing: no button. The second has one, reachable by keyboard.
    const users = chat.locator('[data-testid="message-user"]');
    assert.equal(await users.nth(0).locator('[data-testid="restore-checkpoint"]').count(), 0);
    const button = users.nth(1).locator('[data-testid="restore-checkpoint"]');
    await button.waitFor({ timeout: 30_000 });
    assert.match((await button.getAttribute('aria-label')) ?? '', /^Restore checkpoint/);
    await button.focus();
    await screenshot(page, 'checkpoint-message-button');
    await page.keyboard.press('Enter');

    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Files and conversation' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Files and conversation' }).first().click();
    const dialog = page.locator('.monaco-dialog-box', { hasText: 'Restore the files and the conversation?' });
    await dialog.waitFor({ timeout: 30_000 });
    const text = await dialog.innerText();
    assert.match(text, /2 file\(s\) will change/);
    assert.match(text, /revert notes\.txt/);
    assert.match(text, /remove made\.txt/);
    assert.match(text, /the conversation goes back to before this message/i);
    await screenshot(page, 'checkpoint-confirmation');
    // Nothing is written before the answer.
    assert.equal(fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8'), 'changed by the agent\n');
    await dialog.getByRole('button', { name: 'Restore Files and Conversation' }).click();

    await chat.locator('[data-testid="restored-notice"]').waitFor({ timeout: 30_000 });
    assert.equal(fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8'), 'original\n');
    assert.equal(fs.existsSync(path.join(workspace, 'made.txt')), false);
    assert.deepEqual(await users.allInnerTexts(), ['say hello']);
    assert.equal(await chat.locator('[data-testid="message-agent"]', { hasText: 'Changed notes.txt' }).count(), 0);
    assert.match(await chat.locator('[data-testid="restored-notice"]').innerText(), /Restored checkpoint \(2 files\) and the conversation/);
    assert.equal(await chat.locator('[data-testid="chat-input"]').inputValue(), 'change the notes and make a file');
    // No row claims a change the restore undid: the rewound turn's edit of notes.txt is gone too.
    await madeRow.waitFor({ state: 'detached', timeout: 30_000 });
    await notesRow.waitFor({ state: 'detached', timeout: 30_000 });
    await screenshot(page, 'checkpoint-restored');

    await send('change less');
    await chat.locator('[data-testid="message-agent"]', { hasText: 'Only a small change' }).waitFor({ timeout: 60_000 });
    await idle();
    const bodies = e2e!.model.modelRequests().map((r) => r.body as any);
    assert.equal(bodies.length, 6);
    // The history before the rewound message (its editor context went with it), then the new
    // message (with this turn's editor context, if any).
    const isContext = (i: any) => i.role === 'user' && String(i.content?.[0]?.text ?? '').startsWith('<editor_context>');
    const before = (bodies[1].input as any[]).slice(0, -1).filter((i) => !isContext(i));
    const next = bodies[4].input as any[];
    assert.deepEqual(next.slice(0, -1).filter((i) => !isContext(i)), before);
    assert.deepEqual(next.slice(0, before.length), before, 'the kept history is the prefix, unchanged');
    assert.equal(next.at(-1).content[0].text, 'change less');
    assert.ok(!JSON.stringify(next).includes('made.txt'), 'nothing of the dropped turn is sent again');
    assert.deepEqual(e2e!.model.mismatches, []);

    // Files only, on the new message: notes.txt goes back, the conversation stays, and the
    // Changes view no longer lists notes.txt as accepted.
    assert.equal(fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8'), 'a small change\n');
    await notesRow.waitFor({ timeout: 30_000 });
    const again = users.nth(1).locator('[data-testid="restore-checkpoint"]');
    await again.waitFor({ timeout: 30_000 });
    await again.click();
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Files only' }).first().waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Files only' }).first().click();
    const filesDialog = page.locator('.monaco-dialog-box', { hasText: 'Restore the files?' });
    await filesDialog.waitFor({ timeout: 30_000 });
    assert.match(await filesDialog.innerText(), /revert notes\.txt/);
    await filesDialog.getByRole('button', { name: 'Restore Files' }).click();
    const filesNotice = chat.locator('[data-testid="restored-notice"]', { hasText: 'Restored checkpoint (1 file).' });
    await filesNotice.waitFor({ timeout: 30_000 });
    assert.equal(fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8'), 'original\n');
    assert.deepEqual(await users.allInnerTexts(), ['say hello', 'change less']);
    await notesRow.waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await page.locator('.monaco-list-row[aria-label^="notes.txt"]').count(), 0, 'no row for notes.txt claims a state');
    await screenshot(page, 'checkpoint-files-only');

    // Reopened from the history, the session shows both restores' notices where they happened,
    // and the message keeps its "Restore checkpoint".
    await chat.locator('[data-testid="new-task"]').click();
    await users.first().waitFor({ state: 'detached', timeout: 30_000 });
    await chat.locator('[data-testid="history-button"]').click();
    const sessionItem = chat.locator('[data-testid="session-item"]').first();
    await sessionItem.waitFor({ timeout: 30_000 });
    await sessionItem.click();
    await filesNotice.waitFor({ timeout: 30_000 });
    assert.deepEqual(await users.allInnerTexts(), ['say hello', 'change less']);
    assert.deepEqual(await chat.locator('[data-testid="restored-notice"]').allInnerTexts(), [
      'Restored checkpoint (2 files) and the conversation to before your message.',
      'Restored checkpoint (1 file).',
    ]);
    await users.nth(1).locator('[data-testid="restore-checkpoint"]').waitFor({ timeout: 30_000 });
    await screenshot(page, 'checkpoint-reopened');

    // The reopened session goes on and edits notes.txt again; "Tack: Restore Checkpoint..." from the
    // palette takes it back, and the Changes view drops the row for the edit it undid.
    await send('once more');
    await chat.locator('[data-testid="message-agent"]', { hasText: 'Changed it once more.' }).waitFor({ timeout: 60_000 });
    await idle();
    assert.equal(fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8'), 'once more\n');
    await notesRow.waitFor({ timeout: 30_000 });
    await runCommand(page, 'Tack: Restore Checkpoint...');
    const newest = page.locator('.quick-input-list .monaco-list-row', { hasText: 'once more' }).first();
    await newest.waitFor({ timeout: 30_000 });
    await newest.click();
    const paletteDialog = page.locator('.monaco-dialog-box', { hasText: 'Restore checkpoint?' });
    await paletteDialog.waitFor({ timeout: 30_000 });
    assert.match(await paletteDialog.innerText(), /revert notes\.txt/);
    await paletteDialog.getByRole('button', { name: 'Restore Files' }).click();
    await page.locator('.notifications-toasts', { hasText: 'restored 1 file(s) to checkpoint' }).first().waitFor({ timeout: 30_000 });
    assert.equal(fs.readFileSync(path.join(workspace, 'notes.txt'), 'utf8'), 'original\n');
    await notesRow.waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(await page.locator('.monaco-list-row[aria-label^="notes.txt"]').count(), 0, 'no row for notes.txt after the palette restore');
    await screenshot(page, 'checkpoint-palette-restore');
  }));
});
