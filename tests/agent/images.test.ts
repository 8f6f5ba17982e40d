// Images in and out, through the real `tack exec`, the real sidecar (image/prepare) and the scripted
// model server: what the model receives is decoded back here and measured. Also models without
// vision, and the Responses API's hosted web search.
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON is explored by the assertions themselves */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { decodePng, makePng } from '../lib/png';
import { startModelServer } from '../model-server/server';
import { API_KEY, bodies, completedItems, conversation, makeProject, runTack, toolOutputs, withServer } from './harness';

/** The data: URLs of the images in a request's last user message. */
function sentImages(body: Record<string, any>): Array<{ mime: string; bytes: Buffer }> {
  const conv = conversation(body) as any[];
  const lastUser = conv.filter((m) => m.role === 'user').at(-1);
  const parts: any[] = Array.isArray(lastUser.content) ? lastUser.content : [];
  return parts
    .map((p) => (p.type === 'input_image' ? p.image_url : p.type === 'image_url' ? p.image_url.url : undefined))
    .filter((u): u is string => typeof u === 'string')
    .map((u) => {
      const m = /^data:(image\/[a-z]+);base64,(.*)$/s.exec(u);
      assert.ok(m, `a data: URL: ${u.slice(0, 40)}`);
      return { mime: m[1], bytes: Buffer.from(m[2], 'base64') };
    });
}

/** A PNG declaring 20000 x 20000 pixels whose compressed data is small: 400M pixels of 1-bit grey. */
function bombPng(): Buffer {
  const side = 20_000;
  const raw = Buffer.alloc(side * (1 + side / 8));
  return makePng(side, side, { bitDepth: 1, colorType: 0, raw });
}

test('an attached screenshot (-i) and a view_image are shrunk to 2048 on the longest edge before sending', async () => {
  const project = makeProject();
  fs.writeFileSync(path.join(project.dir, 'wide.png'), makePng(3000, 1500));
  fs.writeFileSync(path.join(project.dir, 'tall.png'), makePng(600, 2600));
  fs.writeFileSync(path.join(project.dir, 'small.png'), makePng(300, 200));
  try {
    await withServer(
      [{ toolCalls: [{ name: 'view_image', callId: 'v', arguments: { path: 'tall.png' } }] }, { text: 'Two images.' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, '-i', 'wide.png', '--image', path.join(project.dir, 'small.png'), 'what do these show?'], project);
        assert.equal(r.code, 0, r.stderr);
        const sent = bodies(server);
        const first = sentImages(sent[0]);
        assert.equal(first.length, 2);
        assert.deepEqual(first.map((i) => i.mime), ['image/png', 'image/png']);
        assert.deepEqual(decodePng(first[0].bytes), { width: 2048, height: 1024 });
        assert.deepEqual(decodePng(first[1].bytes), { width: 300, height: 200 });
        // The text comes first in the same user message.
        const lastUser = (conversation(sent[0]) as any[]).at(-1);
        assert.equal(lastUser.content[0].text, 'what do these show?');
        assert.equal(toolOutputs(sent[1]).get('v'), `Image attached: ${path.join(project.dir, 'tall.png')}`);
        const viewed = sentImages(sent[1]);
        assert.equal(viewed.length, 1);
        assert.deepEqual(decodePng(viewed[0].bytes), { width: 473, height: 2048 });
      },
    );
  } finally {
    project.cleanup();
  }
});

test('the Chat wire carries attached images as image_url parts of the user message; --image-detail low sends 768 px', async () => {
  const project = makeProject();
  fs.writeFileSync(path.join(project.dir, 'shot.png'), makePng(2500, 2500));
  try {
    const server = await startModelServer({ responses: [{ text: 'A gradient.' }], apiKey: API_KEY, checks: ['alternation'] });
    try {
      const r = await runTack(['exec', '--json', '--base-url', server.url, '--wire', 'chat', '--image-detail', 'low', '-i', 'shot.png', 'describe'], project);
      assert.equal(r.code, 0, r.stderr);
      const sent = bodies(server);
      const imgs = sentImages(sent[0]);
      assert.equal(imgs.length, 1);
      assert.deepEqual(decodePng(imgs[0].bytes), { width: 768, height: 768 });
    } finally {
      await server.close();
    }
  } finally {
    project.cleanup();
  }
});

test('a decompression bomb, a text file and a missing file are refused with their reasons; nothing is sent', async () => {
  const project = makeProject({ 'notes.txt': 'just text\n' });
  fs.writeFileSync(path.join(project.dir, 'bomb.png'), bombPng());
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'view_image', callId: 'b', arguments: { path: 'bomb.png' } }, { name: 'view_image', callId: 't', arguments: { path: 'notes.txt' } }] },
        { text: 'Could not see them.' },
      ],
      async (server) => {
        for (const [file, reason] of [
          ['bomb.png', /--image bomb\.png: the image is 20000x20000 pixels .*not decoded/],
          ['notes.txt', /--image notes\.txt: the file is not an image/],
          ['gone.png', /--image gone\.png: no such file/],
        ] as const) {
          const r = await runTack(['exec', '--base-url', server.url, '-i', file, 'look'], project);
          assert.equal(r.code, 2, r.stderr);
          assert.match(r.stderr, reason);
        }
        assert.equal(bodies(server).length, 0, 'no request was made');
        // The model asking for them gets the same reasons as its tool output.
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'look at bomb.png'], project);
        assert.equal(r.code, 0, r.stderr);
        const outs = toolOutputs(bodies(server)[1]);
        assert.match(outs.get('b')!, /^view_image failed for .*bomb\.png: the image is 20000x20000 pixels \(400000000 in all\); the limit is 50000000, so it was not decoded/);
        assert.match(outs.get('t')!, /^view_image failed for .*notes\.txt: the file is not an image/);
        assert.equal(sentImages(bodies(server)[1]).length, 0);
      },
    );
  } finally {
    project.cleanup();
  }
});

test('a model without vision is sent no image: attached ones are refused before any request, view_image is not offered', async () => {
  const project = makeProject();
  fs.writeFileSync(path.join(project.dir, 'shot.png'), makePng(100, 100));
  try {
    await withServer([{ toolCalls: [{ name: 'view_image', callId: 'v', arguments: { path: 'shot.png' } }] }, { text: 'ok' }], async (server) => {
      const r = await runTack(['exec', '--json', '--base-url', server.url, '--vision', 'no', '-i', 'shot.png', 'what is this?'], project);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /does not take images, so the 1 attached image cannot be sent and nothing was sent/);
      const failed = r.events.find((e) => e.type === 'turn.failed');
      assert.match(failed?.error.message, /does not take images/);
      assert.equal(bodies(server).length, 0, 'no request was made');

      // Text alone goes; view_image is not among the tools, and a call of it is answered plainly.
      const r2 = await runTack(['exec', '--json', '--base-url', server.url, '--vision', 'no', 'what is in shot.png?'], project);
      assert.equal(r2.code, 0, r2.stderr);
      const sent = bodies(server);
      assert.ok(!sent[0].tools.some((t: any) => t.name === 'view_image'));
      assert.match(toolOutputs(sent[1]).get('v')!, /^view_image is not available: this model does not take images/);
      assert.ok(!JSON.stringify(sent).includes('input_image'));
    });
    // A model known by name to have no vision is treated the same without the flag.
    await withServer([{ text: 'never sent' }], async (server) => {
      const r = await runTack(['exec', '--base-url', server.url, '--model', 'gpt-3.5-turbo', '-i', 'shot.png', 'look'], project);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /gpt-3\.5-turbo does not take images/);
      assert.equal(bodies(server).length, 0);
    });
  } finally {
    project.cleanup();
  }
});

test('--web-search offers the hosted tool on Responses, shows each search and sends it back in the history', async () => {
  const project = makeProject({ 'a.txt': 'x\n' });
  try {
    const server = await startModelServer({
      responses: [
        { webSearches: ['rust image crate limits'], toolCalls: [{ name: 'exec_command', callId: 'c', arguments: { cmd: 'cat a.txt' } }] },
        { webSearches: ['zune-jpeg release'], text: 'Found it.' },
        { webSearches: ['second run'], text: 'Again.' },
      ],
      apiKey: API_KEY,
      checks: ['hosted-items'],
    });
    try {
      const r = await runTack(['exec', '--json', '--base-url', server.url, '--web-search', 'find out'], project);
      assert.equal(r.code, 0, r.stderr);
      const sent = bodies(server);
      assert.equal(sent.length, 2);
      assert.deepEqual(sent[0].tools.at(-1), { type: 'web_search' });
      const searches = completedItems(r.events, 'web_search').map((i) => i.query);
      assert.deepEqual(searches, ['rust image crate limits', 'zune-jpeg release']);
      const back = (sent[1].input as any[]).filter((i) => i.type === 'web_search_call');
      assert.equal(back.length, 1);
      assert.equal(back[0].status, 'completed');
      assert.deepEqual(back[0].action, { type: 'search', query: 'rust image crate limits' });
      assert.equal(typeof back[0].id, 'string');

      // Readable output says it in words; without the flag the tool is not offered.
      const r2 = await runTack(['exec', '--base-url', server.url, 'again'], project);
      assert.equal(r2.code, 0, r2.stderr);
      assert.match(r2.stderr, /Searched the web: second run/);
      assert.ok(!JSON.stringify(bodies(server)[2].tools).includes('web_search'));
    } finally {
      await server.close();
    }
  } finally {
    project.cleanup();
  }
});
