// `tack mcp-server` driven by the MCP SDK's own Client over stdio: the built CLI, the real wasm core
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON and notifications are explored by the assertions themselves */
// and sidecar, the scripted model server. Tools listed, a task run and continued, approvals through
// elicitation, cancellation killing a command, bad arguments, and a clean exit when stdin closes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, LoggingMessageNotificationSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { tackCli } from '../lib/paths';
import { processesWith, uniqueSleep } from '../lib/procs';
import { API_KEY, bodies, childrenOf, conversation, makeProject, toolOutputs, withServer, type Project } from './harness';

const PATCH = ['*** Begin Patch', '*** Update File: greet.txt', '@@', '-hello', '+hello, world', '*** End Patch', ''].join('\n');

function serverEnv(project: Project): Record<string, string> {
  const env: Record<string, string | undefined> = { ...process.env, OPENAI_API_KEY: API_KEY, TACK_HOME: project.home, OPENAI_BASE_URL: undefined, TACK_MODEL: undefined, TACK_PROVIDER: undefined, OPENROUTER_API_KEY: undefined };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env as Record<string, string>;
}

interface Connected {
  client: Client;
  transport: StdioClientTransport;
  logs: any[];
  stderr: () => string;
  close(): Promise<void>;
}

async function connect(project: Project, baseUrl: string, elicit?: (req: ElicitRequest) => ElicitResult | Promise<ElicitResult>): Promise<Connected> {
  const client = new Client({ name: 'tack-test', version: '1.0.0' }, { capabilities: elicit ? { elicitation: { form: {} } } : {} });
  if (elicit) client.setRequestHandler(ElicitRequestSchema, (req) => elicit(req));
  const logs: any[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(n.params);
  });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [tackCli, 'mcp-server', '--base-url', baseUrl],
    cwd: project.dir,
    env: serverEnv(project),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  await client.connect(transport);
  return { client, transport, logs, stderr: () => stderr, close: () => client.close() };
}

function textOf(result: any): string {
  return (result.content as any[]).map((c) => c.text).join('\n');
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('tools/list offers tack and tack-reply with their schemas', async () => {
  const project = makeProject();
  try {
    await withServer([], async (server) => {
      const c = await connect(project, server.url);
      try {
        const { tools } = await c.client.listTools();
        assert.deepEqual(tools.map((t) => t.name), ['tack', 'tack-reply']);
        const [tack, reply] = tools;
        assert.deepEqual(tack.inputSchema.required, ['prompt']);
        assert.deepEqual(Object.keys(tack.inputSchema.properties ?? {}).sort(), ['approval-policy', 'base-instructions', 'cwd', 'model', 'profile', 'prompt', 'provider', 'sandbox']);
        assert.deepEqual((tack.inputSchema.properties as any).sandbox.enum, ['read-only', 'workspace-write', 'danger-full-access']);
        assert.deepEqual((tack.inputSchema.properties as any)['approval-policy'].enum, ['untrusted', 'on-request', 'on-failure', 'never']);
        assert.deepEqual(reply.inputSchema.required, ['prompt']);
        assert.ok('sessionId' in (reply.inputSchema.properties ?? {}));
        for (const t of tools) {
          assert.equal(t.outputSchema?.type, 'object');
          assert.deepEqual(t.outputSchema?.required, ['threadId', 'sessionId', 'content', 'status']);
        }
        assert.equal(server.modelRequests().length, 0, 'listing tools asks the model nothing');
      } finally {
        await c.close();
      }
    });
  } finally {
    project.cleanup();
  }
});

test('a task runs a command and applies a patch; tack-reply continues it with the first turn in the history', async () => {
  const project = makeProject({ 'greet.txt': 'hello\n' });
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'cat1', arguments: { cmd: 'cat greet.txt' } }] },
        { toolCalls: [{ name: 'apply_patch', callId: 'patch1', kind: 'custom', input: PATCH }] },
        { text: 'Greeting updated.' },
        { text: 'It now says hello, world.' },
      ],
      async (server) => {
        const c = await connect(project, server.url);
        try {
          const progress: any[] = [];
          const first: any = await c.client.callTool({ name: 'tack', arguments: { prompt: 'update the greeting', 'approval-policy': 'never' } }, undefined, {
            onprogress: (p) => progress.push(p),
          });
          assert.equal(first.isError, undefined, textOf(first));
          assert.equal(textOf(first), 'Greeting updated.');
          assert.equal(project.read('greet.txt'), 'hello, world\n');
          const sc = first.structuredContent;
          assert.equal(sc.content, 'Greeting updated.');
          assert.equal(sc.status, 'completed');
          assert.match(sc.sessionId, /\S/);
          assert.equal(sc.threadId, sc.sessionId);

          assert.match(toolOutputs(bodies(server)[1]).get('cat1')!, /hello/);
          assert.ok(progress.some((p) => /ran: cat greet\.txt \(exit 0\)/.test(p.message)), JSON.stringify(progress));
          assert.ok(progress.some((p) => /edit completed: greet\.txt/.test(p.message)), JSON.stringify(progress));
          const events = c.logs.filter((l) => l.logger === 'tack' && l.data.sessionId === sc.sessionId).map((l) => l.data.event);
          assert.ok(events.some((e) => e.type === 'item.completed' && e.item.type === 'command_execution' && e.item.exit_code === 0));
          assert.ok(events.some((e) => e.type === 'item.started'));
          assert.ok(events.some((e) => e.type === 'turn.completed'));
          assert.ok(!events.some((e) => e.type === 'item.delta'));

          const second: any = await c.client.callTool({ name: 'tack-reply', arguments: { sessionId: sc.sessionId, prompt: 'what does it say now?' } });
          assert.equal(second.isError, undefined, textOf(second));
          assert.equal(textOf(second), 'It now says hello, world.');
          assert.equal(second.structuredContent.sessionId, sc.sessionId);
          const sent = bodies(server);
          assert.equal(sent.length, 4);
          const history = JSON.stringify(conversation(sent[3]));
          assert.match(history, /update the greeting/);
          assert.match(history, /Greeting updated\./);
          assert.match(history, /what does it say now\?/);
          assert.deepEqual(conversation(sent[3]).slice(0, conversation(sent[2]).length), conversation(sent[2]), 'the reply continues the same conversation');

          const everything = JSON.stringify([first, second, c.logs, progress]) + c.stderr();
          assert.ok(!everything.includes(API_KEY), 'the API key never leaves the server');
        } finally {
          await c.close();
        }
      },
    );
  } finally {
    project.cleanup();
  }
});

test('approvals become elicitations: accept runs the command, decline does not', async () => {
  const project = makeProject();
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'a1', arguments: { cmd: 'touch accepted.txt', justification: 'make a marker' } }] },
        { text: 'made it' },
        { toolCalls: [{ name: 'exec_command', callId: 'd1', arguments: { cmd: 'touch declined.txt' } }] },
        { text: 'could not' },
      ],
      async (server) => {
        const asked: ElicitRequest[] = [];
        let answer: ElicitResult['action'] = 'accept';
        const c = await connect(project, server.url, (req) => {
          asked.push(req);
          return answer === 'accept' ? { action: 'accept', content: { forSession: false } } : { action: answer };
        });
        try {
          const r1: any = await c.client.callTool({ name: 'tack', arguments: { prompt: 'make a file', 'approval-policy': 'untrusted' } });
          assert.equal(r1.isError, undefined, textOf(r1));
          assert.equal(asked.length, 1);
          const msg = (asked[0].params as any).message as string;
          assert.match(msg, /touch accepted\.txt/);
          assert.ok(msg.includes(`cwd: ${project.dir}`), msg);
          assert.match(msg, /sandbox: workspace-write/);
          assert.ok(project.exists('accepted.txt'), 'accepting ran the command');

          answer = 'decline';
          const r2: any = await c.client.callTool({ name: 'tack', arguments: { prompt: 'make another', 'approval-policy': 'untrusted' } });
          assert.equal(r2.isError, undefined, textOf(r2));
          assert.equal(asked.length, 2);
          assert.match((asked[1].params as any).message, /touch declined\.txt/);
          assert.equal(project.exists('declined.txt'), false, 'declining ran nothing');
          assert.match(toolOutputs(bodies(server)[3]).get('d1')!, /declined/i);
        } finally {
          await c.close();
        }
      },
    );
  } finally {
    project.cleanup();
  }
});

test('"allow for this session" through elicitation: the same command later in the session is not asked again', async () => {
  const project = makeProject();
  const touch = (id: string) => ({ toolCalls: [{ name: 'exec_command', callId: id, arguments: { cmd: 'touch again.txt' } }] });
  try {
    await withServer([touch('t1'), { text: 'one' }, touch('t2'), { text: 'two' }], async (server) => {
      let asked = 0;
      const c = await connect(project, server.url, (req) => {
        asked++;
        assert.match((req.params as any).message, /Allow for this session/i);
        return { action: 'accept', content: { forSession: true } };
      });
      try {
        const r1: any = await c.client.callTool({ name: 'tack', arguments: { prompt: 'touch', 'approval-policy': 'untrusted' } });
        assert.equal(r1.isError, undefined, textOf(r1));
        const r2: any = await c.client.callTool({ name: 'tack-reply', arguments: { threadId: r1.structuredContent.threadId, prompt: 'again' } });
        assert.equal(r2.isError, undefined, textOf(r2));
        assert.equal(asked, 1, 'the second run was covered by the session approval');
        assert.match(toolOutputs(bodies(server)[3]).get('t2')!, /exited with code 0/);
      } finally {
        await c.close();
      }
    });
  } finally {
    project.cleanup();
  }
});

test('a key the model repeats is scrubbed from the result and the notifications', async () => {
  const project = makeProject();
  try {
    await withServer([{ text: `The key is ${API_KEY} here.` }], async (server) => {
      const c = await connect(project, server.url);
      try {
        const r: any = await c.client.callTool({ name: 'tack', arguments: { prompt: 'leak it' } });
        assert.equal(r.isError, undefined, textOf(r));
        assert.match(textOf(r), /The key is \S+ here\./);
        await new Promise((res) => setTimeout(res, 200));
        const all = JSON.stringify([r, c.logs]);
        assert.ok(c.logs.length > 0);
        assert.ok(!all.includes(API_KEY), all);
      } finally {
        await c.close();
      }
    });
  } finally {
    project.cleanup();
  }
});

test('without elicitation, a policy that asks declines and tells the model why', async () => {
  const project = makeProject();
  try {
    await withServer([{ toolCalls: [{ name: 'exec_command', callId: 'x1', arguments: { cmd: 'touch nope.txt' } }] }, { text: 'ok' }], async (server) => {
      const c = await connect(project, server.url);
      try {
        const r: any = await c.client.callTool({ name: 'tack', arguments: { prompt: 'touch', 'approval-policy': 'untrusted' } });
        assert.equal(r.isError, undefined, textOf(r));
        assert.equal(project.exists('nope.txt'), false);
        assert.match(toolOutputs(bodies(server)[1]).get('x1')!, /elicitation/);
      } finally {
        await c.close();
      }
    });
  } finally {
    project.cleanup();
  }
});

test('cancelling the call stops the turn and kills its long command; the server keeps serving', async () => {
  const project = makeProject();
  const marker = uniqueSleep(300);
  try {
    await withServer([{ toolCalls: [{ name: 'exec_command', callId: 'long', arguments: { cmd: `sleep ${marker}`, yield_time_ms: 30_000 } }] }, { text: 'never reached' }], async (server) => {
      const c = await connect(project, server.url);
      try {
        const abort = new AbortController();
        const call = c.client.callTool({ name: 'tack', arguments: { prompt: 'wait', 'approval-policy': 'never' } }, undefined, { signal: abort.signal });
        call.catch(() => undefined);
        await until(() => processesWith(marker).length > 0, 20_000, 'the sleep to start');
        abort.abort();
        await assert.rejects(call);
        await until(() => processesWith(marker).length === 0, 10_000, 'the sleep to be killed');
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(server.modelRequests().length, 1, 'the cancelled turn asked the model nothing more');
        const { tools } = await c.client.listTools();
        assert.equal(tools.length, 2);
      } finally {
        await c.close();
      }
    });
  } finally {
    project.cleanup();
  }
});

test('concurrent tasks each get their own session and sidecar; a reply to a running session is refused', async () => {
  const project = makeProject({ 'a/keep.txt': '', 'b/keep.txt': '' });
  const write = { toolCalls: [{ name: 'exec_command', arguments: { cmd: 'sleep 2; echo here > "$(basename "$PWD").out"', yield_time_ms: 20_000 } }] };
  try {
    await withServer([write, write, { text: 'done' }, { text: 'done' }], async (server) => {
      const c = await connect(project, server.url);
      try {
        const calls = ['a', 'b'].map((dir) => c.client.callTool({ name: 'tack', arguments: { prompt: `write in ${dir}`, cwd: dir, 'approval-policy': 'never' } }) as Promise<any>);
        await until(() => new Set(c.logs.map((l) => l.data.sessionId)).size === 2, 20_000, 'both sessions to report');
        const running = c.logs[0].data.sessionId as string;
        const busy: any = await c.client.callTool({ name: 'tack-reply', arguments: { sessionId: running, prompt: 'and now?' } });
        assert.equal(busy.isError, true);
        assert.match(textOf(busy), /still running a turn/);
        const results = await Promise.all(calls);
        for (const r of results) assert.equal(r.isError, undefined, textOf(r));
        assert.notEqual(results[0].structuredContent.sessionId, results[1].structuredContent.sessionId);
        assert.equal(project.read('a/a.out'), 'here\n');
        assert.equal(project.read('b/b.out'), 'here\n');
        const ids = new Set(bodies(server).map((b) => b.prompt_cache_key));
        assert.equal(ids.size, 2, 'two conversations reached the model');
        const sidecars = childrenOf(c.transport.pid!).filter((p) => p.comm.startsWith('tack-sidecar'));
        assert.equal(sidecars.length, 2, 'one sidecar per task');
      } finally {
        await c.close();
      }
    });
  } finally {
    project.cleanup();
  }
});

test('a failed turn is an error result with the session id; the session takes a reply', async () => {
  const project = makeProject();
  try {
    await withServer([{ fail: { status: 400, body: { error: { message: 'unsupported thing', type: 'invalid_request_error' } } } }, { text: 'recovered' }], async (server) => {
      const c = await connect(project, server.url);
      try {
        const r1: any = await c.client.callTool({ name: 'tack', arguments: { prompt: 'go' } });
        assert.equal(r1.isError, true);
        assert.match(textOf(r1), /the turn failed: .*unsupported thing/);
        assert.equal(r1.structuredContent.status, 'failed');
        const r2: any = await c.client.callTool({ name: 'tack-reply', arguments: { sessionId: r1.structuredContent.sessionId, prompt: 'again' } });
        assert.equal(r2.isError, undefined, textOf(r2));
        assert.equal(textOf(r2), 'recovered');
      } finally {
        await c.close();
      }
    });
  } finally {
    project.cleanup();
  }
});

test('bad arguments are error results that say what is wrong, not crashes', async () => {
  const project = makeProject();
  try {
    await withServer([], async (server) => {
      const c = await connect(project, server.url);
      try {
        const cases: Array<[string, Record<string, unknown>, RegExp]> = [
          ['tack', {}, /'prompt' is required/],
          ['tack', { prompt: 42 }, /'prompt' must be a string/],
          ['tack', { prompt: 'x', sandbox: 'yolo' }, /'sandbox' must be one of read-only, workspace-write, danger-full-access, not 'yolo'/],
          ['tack', { prompt: 'x', 'approval-policy': 'sometimes' }, /'approval-policy' must be one of/],
          ['tack', { prompt: 'x', approval_policy: 'never' }, /unknown argument 'approval_policy'/],
          ['tack', { prompt: 'x', cwd: '/no/such/dir/anywhere' }, /cwd: \/no\/such\/dir\/anywhere: no such directory/],
          ['tack', { prompt: 'x', provider: 'acme' }, /'provider' must be one of/],
          // Another provider than the server's: its own key variable, not the server's key or base URL.
          ['tack', { prompt: 'x', provider: 'openrouter' }, /no API key for OpenRouter\. Set OPENROUTER_API_KEY/],
          ['tack-reply', { prompt: 'more' }, /'sessionId' is required/],
          ['tack-reply', { sessionId: 'nope', prompt: 'more' }, /no session 'nope' is open/],
          ['codex', { prompt: 'x' }, /unknown tool 'codex'/],
        ];
        for (const [name, args, expected] of cases) {
          const r: any = await c.client.callTool({ name, arguments: args });
          assert.equal(r.isError, true, `${name} ${JSON.stringify(args)}`);
          assert.match(textOf(r), expected);
        }
        assert.equal(server.modelRequests().length, 0, 'nothing reached the model');
        assert.equal((await c.client.listTools()).tools.length, 2, 'the server is still up');
      } finally {
        await c.close();
      }
    });
  } finally {
    project.cleanup();
  }
});

test('deep input gets an error result; the server exits 0 when stdin closes, ending its tasks, commands and sidecars', async () => {
  const project = makeProject();
  const marker = uniqueSleep(300);
  try {
    await withServer([{ toolCalls: [{ name: 'exec_command', callId: 'long', arguments: { cmd: `sleep ${marker}`, yield_time_ms: 30_000 } }] }, { text: 'never' }], async (server) => {
      const child = spawn(process.execPath, [tackCli, 'mcp-server', '--base-url', server.url], { cwd: project.dir, env: serverEnv(project), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      const send = (m: object) => child.stdin.write(`${JSON.stringify(m)}\n`);
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      // Deeply nested arguments (built as text: JSON.stringify would recurse) get an error result.
      const depth = 500_000;
      child.stdin.write(`{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"tack","arguments":{"prompt":"x","cwd":${'['.repeat(depth)}${']'.repeat(depth)}}}}\n`);
      await until(() => stdout.includes('"id":9'), 20_000, 'the answer to the deep call');
      const deep = stdout.split('\n').filter((l) => l.includes('"id":9')).map((l) => JSON.parse(l))[0];
      assert.equal(deep.result.isError, true);
      assert.match(deep.result.content[0].text, /'cwd' must be a string, not an array/);
      send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'tack', arguments: { prompt: 'wait', 'approval-policy': 'never' } } });
      await until(() => processesWith(marker).length > 0, 20_000, 'the sleep to start');
      const sidecars = childrenOf(child.pid!).filter((p) => p.comm.startsWith('tack-sidecar'));
      assert.ok(sidecars.length >= 1, 'the task has its own sidecar');
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      assert.equal(code, 0);
      assert.deepEqual(processesWith(marker), [], 'the command is gone');
      for (const s of sidecars) assert.throws(() => process.kill(s.pid, 0), 'the sidecar is gone');
      for (const line of stdout.split('\n').filter((l) => l.trim())) assert.equal(JSON.parse(line).jsonrpc, '2.0', 'stdout carries only protocol messages');
    });
  } finally {
    project.cleanup();
  }
});
