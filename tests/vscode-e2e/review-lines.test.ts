// The inline review as real lines in a real VS Code (issue 18): a proposed edit opens a read-only view
// of the file with every proposed line as visible text, syntax-coloured, under the red removed lines;
// the file on disk and the person's buffer hold none of it until they accept; decisions from the view
// (CodeLens, keyboard, line selections) land exactly what was chosen; an edit the person makes to the
// file during the review shows in the view. Its own code-server, workspace and model script.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { startTackE2E, type TackE2E } from './fixture';
import { runCommand, screenshot, setTheme, until, withScreenshot as shotOnFailure } from './workbench';

const API_KEY = 'sk-e2e-review-lines-key';

const calcOriginal = [
  'export function total(items: number[]): number {',
  '  let sum = 0;',
  '  for (const item of items) sum += item;',
  '  return sum;',
  '}',
  '',
].join('\n');
// A 3-line replacement of one line, each new line long enough to pass the editor's edge as one hint.
const calcPatch = [
  '*** Begin Patch',
  '*** Update File: calc.ts',
  '@@',
  ' export function total(items: number[]): number {',
  '-  let sum = 0;',
  '-  for (const item of items) sum += item;',
  '+  const positive = items.filter((item) => Number.isFinite(item) && item > 0); // FIRST_PROPOSED_LINE',
  '+  const sum = positive.reduce((acc, item) => acc + item, 0); // SECOND_PROPOSED_LINE',
  '+  console.debug(`total of ${positive.length} items: ${sum}`); // THIRD_PROPOSED_LINE',
  '   return sum;',
  '*** End Patch',
].join('\n');

const fiveOriginal = '// five\none\ntwo\nthree\nfour\nfive\n// end\n';
const fivePatch = ['*** Begin Patch', '*** Update File: five.txt', '@@', ' // five',
  '-one', '-two', '-three', '-four', '-five', '+ONE', '+TWO', '+THREE', '+FOUR', '+FIVE', '*** End Patch'].join('\n');

const followOriginal = 'alpha\nbeta\ngamma\ndelta\nepsilon\n';
const followPatch = '*** Begin Patch\n*** Update File: follow.txt\n@@\n alpha\n beta\n gamma\n-delta\n+DELTA_PROPOSED\n*** End Patch';

const themePatch = [
  '*** Begin Patch',
  '*** Update File: calc.ts',
  '@@',
  '-  return sum;',
  '+  // DARK_PROPOSED_LINE: the sum of the positive, finite items only',
  '+  return Math.round(sum * 100) / 100;',
  '*** End Patch',
].join('\n');

const script = {
  apiKey: API_KEY,
  responses: [
    { toolCalls: [{ name: 'apply_patch', input: calcPatch }] },
    { text: 'Total is filtered now.' },
    { toolCalls: [{ name: 'apply_patch', input: fivePatch }] },
    { text: 'Two lines landed.', expect: 'The user changed your proposal for five.txt' },
    { toolCalls: [{ name: 'apply_patch', input: followPatch }] },
    { text: 'Followed.', expect: 'typed during the review' },
    { toolCalls: [{ name: 'apply_patch', input: '*** Begin Patch\n*** Update File: reason.txt\n@@\n-short\n+a much longer line than anyone wanted\n*** End Patch' }] },
    { text: 'Kept it short.', expect: "The user's reason: keep it short" },
    { toolCalls: [{ name: 'apply_patch', input: themePatch }] },
  ],
};

/** The text of each line the editor renders, top to bottom (the DOM, as a person sees it). */
async function renderedLines(editor: Locator): Promise<string[]> {
  return editor.locator('.view-lines .view-line').evaluateAll((els) =>
    els
      .map((e) => ({ top: parseFloat((e as HTMLElement).style.top) || 0, text: (e.textContent ?? '').replace(/\u00a0/g, ' ') }))
      .sort((a, b) => a.top - b.top)
      .map((l) => l.text));
}

describe('Proposed edits as real lines in a real VS Code (code-server)', { timeout: 15 * 60_000 }, () => {
  let e2e: TackE2E | undefined;
  const read = (f: string) => e2e!.read(f);

  /** Runs a test body, keeping a screenshot when it fails. */
  const withScreenshot = (name: string, fn: (page: Page) => Promise<void>) => shotOnFailure(() => e2e?.wb, `review-lines-${name}-failed`, fn);

  const tack = () => e2e!.chat;
  const chat = () => tack().frame;
  const activeEditor = (page: Page) => page.locator('.editor-group-container.active .monaco-editor').first();
  /** The active editor when it shows the proposed lines (a `tack-review:` document). */
  const reviewEditor = (page: Page) => page.locator('.editor-group-container.active .monaco-editor[data-uri^="tack-review:"]').first();
  /** The active editor when it shows a workspace file (not the proposed-lines view). */
  const fileEditor = (page: Page) => page.locator('.editor-group-container.active .monaco-editor:not([data-uri^="tack-review:"])').first();


  /** Selects whole lines first..last (1-based) in the focused editor. */
  async function selectLines(page: Page, first: number, last: number): Promise<void> {
    await page.keyboard.press('Control+Home');
    for (let i = 1; i < first; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Home');
    for (let i = first; i < last; i++) await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+End');
  }

  before(async () => {
    e2e = await startTackE2E({
      name: 'review-lines',
      script,
      files: { 'calc.ts': calcOriginal, 'five.txt': fiveOriginal, 'follow.txt': followOriginal, 'reason.txt': 'short\n' },
      settings: {
        'tack.model': 'gpt-5.1-codex',
        'tack.wireApi': 'responses',
        'tack.approvalPolicy': 'untrusted',
        'tack.sandboxMode': 'workspace-write',
        'files.autoSave': 'off',
      },
      env: { OPENAI_API_KEY: API_KEY },
      openChat: true,
    });
  });

  after(async () => {
    await e2e?.close();
  });

  test('every proposed line is visible text in an editor, syntax-coloured, under the removed lines; nothing reaches the file', withScreenshot('visible', async (page) => {
    await tack().newTask();
    await tack().send('Only count positive items.');
    await page.locator('.tab.active', { hasText: 'calc.ts' }).waitFor({ timeout: 30_000 });
    const editor = activeEditor(page);
    await until('the Accept lens', async () => (await editor.locator('.codelens-decoration a', { hasText: 'Accept' }).count()) > 0);
    const lines = await until('the proposed lines rendered', async () => {
      const ls = await renderedLines(editor);
      return ls.some((l) => l.includes('THIRD_PROPOSED_LINE')) ? ls : undefined;
    });
    // Removed lines first, then every added line, where they will land, in full.
    const at = (needle: string) => lines.findIndex((l) => l.includes(needle));
    assert.ok(at('let sum = 0;') > at('export function total'), lines.join('\n'));
    assert.ok(at('for (const item of items)') > at('let sum = 0;'));
    assert.ok(at('FIRST_PROPOSED_LINE') > at('for (const item of items)'));
    assert.equal(at('SECOND_PROPOSED_LINE'), at('FIRST_PROPOSED_LINE') + 1);
    assert.equal(at('THIRD_PROPOSED_LINE'), at('SECOND_PROPOSED_LINE') + 1);
    assert.equal(at('return sum;'), at('THIRD_PROPOSED_LINE') + 1);
    assert.ok(lines[at('FIRST_PROPOSED_LINE')]!.includes('const positive = items.filter((item) => Number.isFinite(item) && item > 0); // FIRST_PROPOSED_LINE'), 'the whole line, not a cut-off hint');
    // Syntax colours: the proposed line is tokenised as TypeScript (several token colours on it).
    const row = editor.locator('.view-lines .view-line', { hasText: 'SECOND_PROPOSED_LINE' });
    const tokenClasses = await row.locator('span span').evaluateAll((els) => [...new Set(els.map((e) => e.className))]);
    assert.ok(tokenClasses.length >= 3, `several token colours on the proposed line: ${tokenClasses.join(' ')}`);
    // Red and green in the gutter ("−" and "+"), one per removed and added line.
    const gutter = await editor.locator('.cgmr').count();
    const marginHtml = gutter === 5 ? '' : await editor.locator('.margin').evaluate((e) => e.innerHTML.slice(0, 3000));
    assert.equal(gutter, 5, `two removed and three added lines marked in the gutter: ${marginHtml}`);
    // Nothing proposed is on disk or in the person's buffer.
    assert.equal(read('calc.ts'), calcOriginal);
    assert.equal(await editor.getAttribute('data-uri').then((u) => u?.split(':')[0]), 'tack-review', 'a view of its own, not the file');
    await screenshot(page, 'review-lines-1-proposed-light');

    // From the view to the file itself (Quick Open would offer the view again: it is the last editor).
    await runCommand(page, 'Tack: Open the File Under Review');
    const buffer = fileEditor(page);
    await buffer.locator('.view-lines', { hasText: 'let sum = 0;' }).waitFor({ timeout: 10_000 });
    assert.ok(!(await renderedLines(buffer)).some((l) => l.includes('FIRST_PROPOSED_LINE')), 'the buffer holds no proposed text');
    await runCommand(page, 'Tack: Show Proposed Lines');
    const view = reviewEditor(page);
    await view.locator('.view-lines', { hasText: 'THIRD_PROPOSED_LINE' }).waitFor({ timeout: 10_000 });

    // Accept from the view's CodeLens: the three lines land; the view closes.
    await view.locator('.codelens-decoration a', { hasText: /^\s*Accept\s*$/ }).first().click();
    await chat().locator('[data-testid="message-text"]', { hasText: 'Total is filtered now.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    const expected = calcOriginal.replace('  let sum = 0;\n  for (const item of items) sum += item;\n', [
      '  const positive = items.filter((item) => Number.isFinite(item) && item > 0); // FIRST_PROPOSED_LINE',
      '  const sum = positive.reduce((acc, item) => acc + item, 0); // SECOND_PROPOSED_LINE',
      '  console.debug(`total of ${positive.length} items: ${sum}`); // THIRD_PROPOSED_LINE',
      '',
    ].join('\n'));
    await until('the accepted lines on disk', () => read('calc.ts') === expected, 15_000);
    await until('the proposed-lines view closed', async () => (await page.locator('.tab', { hasText: 'calc.ts' }).count()) === 1, 10_000);
  }));

  test('accepting two of five lines from the view (keyboard) writes exactly those', withScreenshot('lines', async (page) => {
    await tack().newTask();
    await tack().send('Shout the numbers.');
    await page.locator('.tab.active', { hasText: 'five.txt' }).waitFor({ timeout: 30_000 });
    const editor = activeEditor(page);
    await editor.locator('.view-lines', { hasText: 'FIVE' }).waitFor({ timeout: 15_000 });
    assert.deepEqual((await renderedLines(editor)).slice(0, 12), ['// five', 'one', 'two', 'three', 'four', 'five', 'ONE', 'TWO', 'THREE', 'FOUR', 'FIVE', '// end']);
    await editor.locator('.view-lines').click();
    // Lines 8-9 of the view are the proposed "TWO" and "THREE".
    await selectLines(page, 8, 9);
    await editor.locator('.codelens-decoration a', { hasText: 'Accept Selected Lines' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'review-lines-3-two-lines-selected');
    await page.keyboard.press('Control+Alt+Enter');
    // The view follows: "two" and "three" are gone, "TWO" and "THREE" are plain lines now.
    await until('the view redrawn after the decision', async () => !(await renderedLines(editor)).includes('two'), 10_000);
    const after = await renderedLines(editor);
    assert.deepEqual(after.slice(0, after.indexOf('// end') + 1), ['// five', 'one', 'ONE', 'TWO', 'THREE', 'four', 'five', 'FOUR', 'FIVE', '// end']);
    await screenshot(page, 'review-lines-4-two-lines-accepted');
    assert.equal(read('five.txt'), fiveOriginal, 'nothing saved while the rest is pending');
    // The rest of the file, rejected from the keyboard in the view.
    await page.keyboard.press('Control+Alt+Shift+Backspace');
    await chat().locator('[data-testid="message-text"]', { hasText: 'Two lines landed.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    assert.equal(read('five.txt'), '// five\none\nTWO\nTHREE\nfour\nfive\n// end\n', 'exactly the two accepted lines landed');
    assert.deepEqual(e2e!.model.mismatches, []);
    // The chat's card: the hunk is "partly accepted", and its diff marks which lines landed.
    const card = chat().locator('[data-testid="file-change-card"]').last();
    await until('the hunk partly accepted', async () => (await card.locator('[data-testid="hunk"]').getAttribute('data-state')) === 'partial', 10_000);
    assert.equal((await card.locator('[data-testid="hunk-state"]').textContent())?.trim(), 'Partly accepted');
    const landed = await card.locator('tr[data-landed="true"] td.code').evaluateAll((els) => els.map((e) => (e.textContent ?? '').slice(1)));
    assert.deepEqual(landed, ['two', 'three', 'TWO', 'THREE'], 'removed and added lines that landed');
    assert.equal(await card.locator('tr[data-landed="false"]').count(), 6);
    // The Changes view says the same.
    const row = page.locator('.part.sidebar .pane', { has: page.locator('.pane-header', { hasText: 'Changes' }) }).locator('.monaco-list-row', { hasText: 'five.txt' }).first();
    await until('five.txt partly accepted in the Changes view', async () => /partly accepted/.test((await row.textContent().catch(() => '')) ?? ''), 10_000);
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, 'review-lines-4b-card-partly-accepted');
  }));

  test('a line the person types in the file during the review shows in the view; accepting keeps it', withScreenshot('follow', async (page) => {
    await tack().newTask();
    await tack().send('Shout delta.');
    await page.locator('.tab.active', { hasText: 'follow.txt' }).waitFor({ timeout: 30_000 });
    const view = activeEditor(page);
    await view.locator('.view-lines', { hasText: 'DELTA_PROPOSED' }).waitFor({ timeout: 15_000 });
    // The person goes to the file itself and types at the top.
    await runCommand(page, 'Tack: Open the File Under Review');
    const buffer = fileEditor(page);
    await buffer.locator('.view-lines', { hasText: 'epsilon' }).waitFor({ timeout: 10_000 });
    assert.ok(!(await renderedLines(buffer)).includes('DELTA_PROPOSED'), 'the buffer holds no proposed text');
    await buffer.locator('.view-lines').click();
    await page.keyboard.press('Control+Home');
    await page.keyboard.type('typed during the review\n');
    await runCommand(page, 'Tack: Show Proposed Lines');
    const merged = reviewEditor(page);
    await until('the typed line in the view', async () => (await renderedLines(merged)).includes('typed during the review'), 10_000);
    const lines = await renderedLines(merged);
    assert.deepEqual(lines.slice(0, 7), ['typed during the review', 'alpha', 'beta', 'gamma', 'delta', 'DELTA_PROPOSED', 'epsilon']);
    await screenshot(page, 'review-lines-5-follows-the-buffer');
    await page.keyboard.press('Control+Alt+Shift+Enter');
    await chat().locator('[data-testid="message-text"]', { hasText: 'Followed.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    // The person had unsaved work in the buffer, so Tack does not save it for them: save, then read.
    await fileEditor(page).locator('.view-lines', { hasText: 'DELTA_PROPOSED' }).waitFor({ timeout: 10_000 });
    await fileEditor(page).locator('.view-lines').click();
    await page.keyboard.press('Control+S');
    await until('the file saved with both', () => read('follow.txt') === 'typed during the review\nalpha\nbeta\ngamma\nDELTA_PROPOSED\nepsilon\n', 15_000);
    assert.deepEqual(e2e!.model.mismatches, []);
  }));

  test('"Reject with a reason" on the chat\'s edit card: the model reads the reason', withScreenshot('card-reason', async (page) => {
    await tack().newTask();
    await tack().send('Lengthen reason.txt.');
    const card = chat().locator('[data-testid="file-change-card"]').last();
    await card.locator('[data-testid="edit-reject-reason"]').click({ timeout: 30_000 });
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10_000 });
    await input.fill('keep it short');
    await page.keyboard.press('Enter');
    await chat().locator('[data-testid="message-text"]', { hasText: 'Kept it short.' }).waitFor({ timeout: 30_000 });
    await tack().idle();
    assert.equal(read('reason.txt'), 'short\n');
    assert.deepEqual(e2e!.model.mismatches, []);
    assert.equal(await card.getAttribute('data-status'), 'declined');
    await until('no proposed-lines view left', async () => (await page.locator('.monaco-editor[data-uri^="tack-review:"]').count()) === 0, 10_000);
  }));

  // Last: VS Code writes the theme into the user settings, and code-server's extension host then no
  // longer sees the machine-scoped tack.baseUrl (requests would go to the default API), so no model
  // request follows a theme switch in this suite.
  test('the proposed lines in the dark and the light theme', withScreenshot('themes', async (page) => {
    await tack().newTask();
    await tack().send('Only count positive items, again.');
    const view = reviewEditor(page);
    await view.locator('.view-lines', { hasText: 'DARK_PROPOSED_LINE' }).waitFor({ timeout: 30_000 });
    await until('the lens', async () => (await view.locator('.codelens-decoration a', { hasText: 'Accept' }).count()) > 0);
    await screenshot(page, 'review-lines-6-proposed-light');
    await setTheme(page, 'Dark Modern');
    await until('the dark theme', async () => (await page.locator('.monaco-workbench.vs-dark').count()) === 1, 15_000);
    await view.locator('.view-lines', { hasText: 'DARK_PROPOSED_LINE' }).waitFor({ timeout: 10_000 });
    await screenshot(page, 'review-lines-7-proposed-dark');
    await setTheme(page, 'Light Modern');
    await until('the light theme', async () => (await page.locator('.monaco-workbench.vs-dark').count()) === 0, 15_000);
    assert.ok(read('calc.ts').includes('positive.length') && !read('calc.ts').includes('DARK_PROPOSED_LINE'), 'nothing proposed reaches the file');
  }));
});
