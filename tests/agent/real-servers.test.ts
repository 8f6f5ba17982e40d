// `tack exec` against the scripted server behaving as real OpenAI-compatible servers do (llama.cpp's
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON and printed events are explored by the assertions themselves */
// server above all): what they refuse, how they end a cut response, where they put reasoning, keys
// of any length, provider presets, and the TACK_DEBUG trace of the HTTP steps.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startModelServer, type ModelScript, type ModelServer } from '../model-server/server';
import { bodies, completedItems, conversation, makeProject, runTack, toolOutputs } from './harness';

/** What llama.cpp's server and a strict (Gemma-style) template refuse. */
const STRICT = ['json-arguments', 'alternation', 'no-empty-system'] as const;

async function withScript<T>(script: ModelScript, fn: (server: ModelServer) => Promise<T>): Promise<T> {
  const server = await startModelServer(script);
  try {
    return await fn(server);
  } finally {
    await server.close();
  }
}

const rejected = (server: ModelServer) => server.requests.filter((r) => r.outcome === 'rejected');

for (const wire of ['chat', 'responses'] as const) {
  test(`${wire}: a tool call with invalid JSON arguments does not poison the history (strict server), and --resume works`, async () => {
    const project = makeProject();
    try {
      const raw = '{"cmd": "touch planted", "workdir": ';
      await withScript(
        {
          checks: [...STRICT],
          responses: [{ toolCalls: [{ name: wire === 'chat' ? 'shell' : 'exec_command', callId: 'bad1', arguments: raw }] }, { text: 'I will send valid JSON next time.' }, { text: 'resumed fine' }],
        },
        async (server) => {
          const r = await runTack(['exec', '--json', '--wire', wire, '--model', 'gemma-3-270m', '--base-url', server.url, 'make a file'], project);
          assert.equal(r.code, 0, r.stderr);
          assert.deepEqual(rejected(server).map((q) => q.body), [], 'the server refused a request');
          assert.equal(server.modelRequests().length, 2);
          assert.ok(!project.exists('planted'));
          const second = bodies(server)[1];
          const out = toolOutputs(second).get('bad1')!;
          assert.match(out, /failed to parse function arguments/);
          assert.ok(out.includes(raw), 'the model reads what it sent');
          assert.ok(!JSON.stringify(conversation(second)).includes(JSON.stringify(raw)), 'the raw arguments are not sent as the call');

          const id = r.events.find((e) => e.type === 'thread.started')!.thread_id as string;
          const file = fs.readFileSync(path.join(project.home, 'sessions', `${id}.jsonl`), 'utf8');
          assert.ok(file.includes('touch planted'), 'the session file keeps what the model said');
          const again = await runTack(['exec', '--json', '--resume', id, '--wire', wire, '--model', 'gemma-3-270m', '--base-url', server.url, 'go on'], project);
          assert.equal(again.code, 0, again.stderr);
          assert.equal(rejected(server).length, 0);
          assert.equal(completedItems(again.events, 'agent_message').at(-1)!.text, 'resumed fine');
        },
      );
    } finally {
      project.cleanup();
    }
  });
}

test('chat: a strict-alternation template accepts the first request and the one after an interrupted turn', async () => {
  const project = makeProject({ 'AGENTS.md': 'Be brief.\n' });
  try {
    await withScript({ checks: [...STRICT], responses: [{ text: 'hello' }] }, async (server) => {
      const r = await runTack(['exec', '--json', '--wire', 'chat', '--model', 'gemma-3-270m', '--base-url', server.url, 'hi'], project);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(rejected(server).length, 0);
      const roles = (bodies(server)[0].messages as any[]).map((m) => m.role);
      assert.deepEqual(roles, ['system', 'user']);
    });
  } finally {
    project.cleanup();
  }
});

for (const wire of ['chat', 'responses'] as const) {
  test(`${wire}: a response cut by the length limit is reported, its tool call is not run, and the model is asked to go on`, async () => {
    const project = makeProject();
    try {
      await withScript(
        {
          responses: [
            { text: 'Creating it', toolCalls: [{ name: 'exec_command', callId: 'cut1', arguments: { cmd: 'touch planted' } }], fail: { incomplete: { reason: 'max_output_tokens' } } },
            { text: 'Done, shorter.' },
          ],
        },
        async (server) => {
          const r = await runTack(['exec', '--json', '--wire', wire, '--model', 'gpt-5.1-codex', '--max-output-tokens', '300', '--base-url', server.url, 'make a file'], project);
          assert.equal(r.code, 0, r.stderr);
          assert.ok(!project.exists('planted'), 'a call from a cut response ran');
          assert.ok(completedItems(r.events, 'command_execution').length === 0);
          const errors = completedItems(r.events, 'error').map((e) => e.message as string);
          assert.ok(errors.some((m) => /cut off by the output limit of 300 tokens; its 1 tool call was not run/.test(m)), errors.join('\n'));
          const [first, second] = bodies(server);
          assert.equal(wire === 'chat' ? first.max_completion_tokens : first.max_output_tokens, 300);
          assert.match(toolOutputs(second).get('cut1')!, /^not run: your response was cut off/);
        },
      );
    } finally {
      project.cleanup();
    }
  });
}

test('a model that is cut off again and again ends the turn saying so, after a bounded number of requests', async () => {
  const project = makeProject();
  try {
    await withScript({ responses: [{ text: 'blah blah', fail: { incomplete: { reason: 'max_output_tokens' } }, times: 5 }] }, async (server) => {
      const r = await runTack(['exec', '--json', '--wire', 'chat', '--model', 'local', '--base-url', server.url, 'write'], project);
      assert.equal(r.code, 1);
      assert.equal(server.modelRequests().length, 3);
      assert.match(r.events.at(-1)!.error.message, /cut off 3 times in this turn; raise the limit/);
      assert.match(r.stderr, /--max-output-tokens/);
    });
  } finally {
    project.cleanup();
  }
});

test('reasoning shown from `reasoning` (Chat) and `reasoning_text` (Responses); plain reasoning is not sent back', async () => {
  const project = makeProject();
  try {
    await withScript({ responses: [{ reasoning: 'Thinking in the reasoning field.', reasoningField: 'reasoning', text: 'ok' }] }, async (server) => {
      const r = await runTack(['exec', '--json', '--wire', 'chat', '--model', 'local', '--base-url', server.url, 'hi'], project);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(completedItems(r.events, 'reasoning').map((i) => i.text), ['Thinking in the reasoning field.']);
    });
    await withScript(
      {
        responses: [
          { reasoning: 'Full reasoning text.', reasoningField: 'text', toolCalls: [{ name: 'update_plan', callId: 'p', arguments: { plan: [] } }] },
          { text: 'ok' },
        ],
      },
      async (server) => {
        const r = await runTack(['exec', '--json', '--wire', 'responses', '--model', 'local', '--base-url', server.url, 'hi'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(completedItems(r.events, 'reasoning').map((i) => i.text), ['Full reasoning text.']);
        assert.ok(!JSON.stringify(bodies(server)[1]).includes('Full reasoning text.'));
      },
    );
  } finally {
    project.cleanup();
  }
});

test('--provider ollama: a 6-character key works, the model and limits come from the server, TACK_DEBUG traces HTTP without the key', async () => {
  const project = makeProject();
  try {
    await withScript(
      { apiKey: 'ollama', models: ['qwen2.5-coder:7b'], props: { default_generation_settings: { n_ctx: 4096 } }, responses: [{ text: 'hi from the local server' }] },
      async (server) => {
        const r = await runTack(['exec', '--json', '--provider', 'ollama', '--base-url', server.url, 'hi'], project, {
          env: { OLLAMA_API_KEY: 'ollama', OPENAI_API_KEY: undefined, TACK_DEBUG: '1' },
        });
        assert.equal(r.code, 0, r.stderr);
        const body = bodies(server)[0];
        assert.equal(server.modelRequests()[0].path, '/v1/chat/completions', 'the preset speaks Chat');
        assert.equal(body.model, 'qwen2.5-coder:7b');
        assert.equal(body.max_tokens, 1024, 'a quarter of the context the server runs with');
        assert.match(r.stderr, /model: POST http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
        assert.match(r.stderr, /model: HTTP 200 text\/event-stream.* after \d+ ms/);
        assert.match(r.stderr, /limits for qwen2\.5-coder:7b: .*"contextWindow":4096/);
        assert.ok(!/Bearer ollama/.test(r.stderr), 'the key is not logged');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('--provider llamacpp needs no key at all', async () => {
  const project = makeProject();
  try {
    await withScript({ models: ['gemma-3-270m'], responses: [{ text: 'keyless' }] }, async (server) => {
      const r = await runTack(['exec', '--json', '--provider', 'llamacpp', '--base-url', server.url, 'hi'], project, { env: { OPENAI_API_KEY: undefined, LLAMA_API_KEY: undefined } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(server.modelRequests()[0].auth, 'none');
      assert.equal((bodies(server)[0] as any).model, 'gemma-3-270m');
    });
  } finally {
    project.cleanup();
  }
});

test('--provider azure sends the key as api-key and needs a base URL; an unknown provider is a usage error', async () => {
  const project = makeProject();
  try {
    const noUrl = await runTack(['exec', '--provider', 'azure', 'hi'], project, { env: { AZURE_OPENAI_API_KEY: 'azure-key-0123456789' } });
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /--provider azure needs --base-url/);
    const bad = await runTack(['exec', '--provider', 'nope', 'hi'], project);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--provider must be one of openai, azure/);
    await withScript({ responses: [{ text: 'ok' }] }, async (server) => {
      const r = await runTack(['exec', '--json', '--provider', 'azure', '--model', 'my-deployment', '--base-url', server.url, 'hi'], project, {
        env: { AZURE_OPENAI_API_KEY: 'azure-key-0123456789', OPENAI_API_KEY: undefined },
      });
      assert.equal(r.code, 0, r.stderr);
      const req = server.modelRequests()[0];
      assert.equal(req.path, '/v1/responses');
      assert.equal(req.headers['api-key'], 'azure-key-0123456789');
      assert.equal(req.auth, 'none', 'no Authorization header');
    });
  } finally {
    project.cleanup();
  }
});
