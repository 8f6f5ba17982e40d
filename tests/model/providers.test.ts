// Provider presets, local-server discovery and model limits, against real HTTP servers on 127.0.0.1.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { discoverLocalServers, fetchModelLimits, outputCapFor, PROVIDERS, resolveProvider, streamModel } from '../../extension/src/host/model';
import { startModelServer } from '../model-server/server';

test('presets: base URL, wire and auth per provider; the person\'s own values win; Azure needs a URL', () => {
  assert.deepEqual(
    [resolveProvider({}).baseUrl, resolveProvider({}).wire],
    ['https://api.openai.com/v1', 'responses'],
  );
  const ollama = resolveProvider({ provider: 'ollama' });
  assert.equal(ollama.baseUrl, 'http://127.0.0.1:11434/v1');
  assert.equal(ollama.wire, 'chat');
  assert.equal(ollama.provider.needsKey, false);
  assert.equal(resolveProvider({ provider: 'ollama', baseUrl: 'http://10.0.0.5:11434/v1/', wire: 'responses' }).baseUrl, 'http://10.0.0.5:11434/v1');
  assert.equal(resolveProvider({ provider: 'ollama', wire: 'responses' }).wire, 'responses');
  const azure = resolveProvider({ provider: 'azure' });
  assert.match(azure.problem ?? '', /needs a base URL: set tack\.baseUrl to https:\/\/RESOURCE\.openai\.azure\.com/);
  assert.equal(azure.provider.auth, 'api-key');
  assert.equal(resolveProvider({ provider: 'bogus' }).provider.id, 'openai');
  assert.deepEqual(
    Object.values(PROVIDERS).filter((p) => p.defaultPort).map((p) => [p.id, p.defaultPort]),
    [['ollama', 11434], ['lmstudio', 1234], ['vllm', 8000], ['llamacpp', 8080]],
  );
});

test('discovery finds servers on their ports and lists their models; closed ports are skipped', async () => {
  const a = await startModelServer({ models: ['qwen2.5-coder:7b', 'llama3.2'], responses: [] });
  const b = await startModelServer({ models: ['gemma-3-270m'], responses: [] });
  // A port with nothing behind it: taken from a server that is closed again.
  const gone = await startModelServer({ responses: [] });
  const gonePort = gone.port;
  await gone.close();
  try {
    const found = await discoverLocalServers({ ports: { ollama: a.port, llamacpp: b.port, lmstudio: gonePort, vllm: gonePort }, timeoutMs: 2_000 });
    assert.deepEqual(
      found.map((f) => [f.provider, f.baseUrl, f.models]),
      [
        ['ollama', `http://127.0.0.1:${a.port}/v1`, ['qwen2.5-coder:7b', 'llama3.2']],
        ['llamacpp', `http://127.0.0.1:${b.port}/v1`, ['gemma-3-270m']],
      ],
    );
  } finally {
    await a.close();
    await b.close();
  }
});

test('limits: llama.cpp /props wins over the training context; vLLM max_model_len; OpenRouter output limit; Ollama /api/show', async () => {
  const llama = await startModelServer({ models: ['gemma'], modelsMeta: { meta: { n_ctx_train: 32768 } }, props: { default_generation_settings: { n_ctx: 8192 } }, responses: [] });
  const vllm = await startModelServer({ models: ['qwen'], modelsMeta: { max_model_len: 16384 }, responses: [] });
  const router = await startModelServer({ models: ['org/model'], modelsMeta: { context_length: 128000, top_provider: { max_completion_tokens: 4096 } }, responses: [] });
  // Ollama's own API: /api/show with model_info.<arch>.context_length.
  const ollama = http.createServer((req, res) => {
    if (req.url === '/api/show' && req.method === 'POST') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ model_info: { 'general.architecture': 'qwen2', 'qwen2.context_length': 32768 } }));
    } else if (req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: [{ id: 'qwen2.5-coder:7b' }] }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => ollama.listen(0, '127.0.0.1', r));
  try {
    const l = await fetchModelLimits({ baseUrl: llama.url }, 'gemma');
    assert.equal(l.contextWindow, 8192);
    assert.equal(outputCapFor(l), 2048);
    assert.equal((await fetchModelLimits({ baseUrl: vllm.url }, 'qwen')).contextWindow, 16384);
    const r = await fetchModelLimits({ baseUrl: router.url }, 'org/model');
    assert.deepEqual([r.contextWindow, r.maxOutputTokens, outputCapFor(r)], [128000, 4096, 4096]);
    const port = (ollama.address() as AddressInfo).port;
    assert.equal((await fetchModelLimits({ baseUrl: `http://127.0.0.1:${port}/v1` }, 'qwen2.5-coder:7b')).contextWindow, 32768);
    assert.deepEqual(await fetchModelLimits({ baseUrl: 'http://127.0.0.1:1/v1' }, 'x', { timeoutMs: 500 }), {});
  } finally {
    await llama.close();
    await vllm.close();
    await router.close();
    await new Promise<void>((r) => ollama.close(() => r()));
  }
});

test('vision: llama.cpp /props modalities, OpenRouter input modalities, Ollama capabilities', async () => {
  const llama = await startModelServer({ models: ['gemma-3-270m'], props: { default_generation_settings: { n_ctx: 4096 }, modalities: { vision: false } }, responses: [] });
  const router = await startModelServer({ models: ['org/vl'], modelsMeta: { architecture: { input_modalities: ['text', 'image'] } }, responses: [] });
  const ollama = http.createServer((req, res) => {
    if (req.url === '/api/show' && req.method === 'POST') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ capabilities: ['completion', 'tools'], model_info: { 'llama.context_length': 8192 } }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => ollama.listen(0, '127.0.0.1', r));
  try {
    assert.equal((await fetchModelLimits({ baseUrl: llama.url }, 'gemma-3-270m')).vision, false);
    assert.equal((await fetchModelLimits({ baseUrl: router.url }, 'org/vl')).vision, true);
    const port = (ollama.address() as AddressInfo).port;
    const o = await fetchModelLimits({ baseUrl: `http://127.0.0.1:${port}/v1` }, 'llama3.1');
    assert.deepEqual([o.vision, o.contextWindow], [false, 8192]);
  } finally {
    await llama.close();
    await router.close();
    await new Promise<void>((r) => ollama.close(() => r()));
  }
});

test('the api-key auth convention sends the key as api-key and no Authorization header', async () => {
  const server = await startModelServer({ responses: [{ text: 'ok' }] });
  try {
    for await (const _ of streamModel({ baseUrl: server.url, wire: 'chat', apiKey: 'azure-secret-123456', auth: 'api-key' }, { model: 'm', messages: [] }, { signal: new AbortController().signal })) {
      // drain
    }
    const req = server.modelRequests()[0];
    assert.equal(req.headers['api-key'], 'azure-secret-123456');
    assert.equal(req.auth, 'none');
  } finally {
    await server.close();
  }
});
