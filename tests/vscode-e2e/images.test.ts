// Images in the chat of a real VS Code (code-server, headless Chromium): a screenshot pasted into the
// input and files dropped on it become chips (a thumbnail, or a red chip saying why not), a chip
// can be removed, and what is sent reaches the model server shrunk to 2048 pixels in the user
// message. The paste and the drop are the browser's own events with real File objects.
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON is explored by the assertions themselves */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodePng, makePng } from '../lib/png';
import { startTackE2E, type TackE2E } from './fixture';
import { screenshot, withScreenshot } from './workbench';

describe('images pasted and dropped into the chat', { timeout: 10 * 60_000 }, () => {
  let e2e: TackE2E | undefined;

  before(async () => {
    e2e = await startTackE2E({
      name: 'images',
      script: { responses: [{ text: 'A wide gradient and a square one.' }] },
      files: { 'README.md': '# images\n' },
      settings: { 'tack.approvalPolicy': 'never' },
      env: { OPENAI_API_KEY: 'sk-e2e-images' },
    });
  });

  after(async () => {
    await e2e?.close();
  });

  test('paste and drop make chips; a refused file says why and is not sent; the rest reach the model shrunk', withScreenshot(() => e2e?.wb, 'images-failed', async (page) => {
    await e2e!.chat.open();
    const chat = e2e!.chat.frame;
    const input = chat.locator('[data-testid="chat-input"]');

    // A clipboard screenshot, pasted.
    const wide = makePng(3000, 1500).toString('base64');
    await input.evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, wide);
    // Two files dropped from the OS: an image and a text file.
    const square = makePng(500, 500).toString('base64');
    await chat.locator('.composer').evaluate((el, b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'square.png', { type: 'image/png' }));
      dt.items.add(new File(['just some notes\n'], 'notes.txt', { type: 'text/plain' }));
      el.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      el.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, square);

    const chips = chat.locator('[data-testid="chip-image"]');
    await chips.nth(2).waitFor({ timeout: 30_000 });
    assert.equal(await chips.count(), 3);
    const pasted = chips.filter({ hasText: 'pasted image' });
    assert.match((await pasted.getAttribute('title')) ?? '', /\(2048x1024, as sent\)/);
    assert.match((await pasted.locator('img.chip-thumb').getAttribute('src')) ?? '', /^data:image\/png;base64,/);
    const refused = chips.filter({ hasText: 'notes.txt' });
    assert.match((await refused.getAttribute('class')) ?? '', /refused/);
    assert.match((await refused.getAttribute('title')) ?? '', /not attached: the file is not an image/);
    await screenshot(page, 'state-image-chips'); // kept for review, pass or fail

    // The refused one is removed; the message goes with the two images. (The synthetic drag
    // leaves the workbench's webview drag overlay over the frame, as no real drag ended, so the
    // clicks are dispatched on the elements and the message is sent with Enter.)
    await refused.locator('[data-testid="chip-image-remove"]').dispatchEvent('click');
    await chips.nth(1).waitFor();
    assert.equal(await chips.count(), 2);
    await input.fill('What do these show?');
    await input.press('Enter');
    await chat.locator('[data-testid="message-agent"]', { hasText: 'A wide gradient' }).waitFor({ timeout: 60_000 });
    assert.equal(await chips.count(), 0, 'the chips clear once sent');
    assert.match((await chat.locator('[data-testid="message-images"]').textContent()) ?? '', /2 images/);

    const body = e2e!.model.modelRequests()[0].body as any;
    const user = (body.input as any[]).filter((m) => m.role === 'user').at(-1);
    assert.equal(user.content[0].text, 'What do these show?');
    const images = (user.content as any[]).filter((p) => p.type === 'input_image').map((p) => Buffer.from(String(p.image_url).replace(/^data:image\/png;base64,/, ''), 'base64'));
    assert.equal(images.length, 2);
    const sizes = images.map((b) => decodePng(b));
    assert.deepEqual(
      sizes.sort((a, b) => b.width - a.width),
      [
        { width: 2048, height: 1024 },
        { width: 500, height: 500 },
      ],
    );
    await screenshot(page, 'state-image-sent');
  }));
});
