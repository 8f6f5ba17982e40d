// Servers that misbehave (tests/mcp/bad-server.mjs): each ends in a clear message to the model and
// the person, and the turn goes on. Also: a crashed server restarts on the next call, a tool list
// that changes reaches the model, and every server's process tree is gone when Tack exits.
/* eslint-disable @typescript-eslint/no-explicit-any -- printed events and wire JSON are explored by the assertions */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { bodies, completedItems, makeProject, runTack, toolOutputs, withServer, type Project } from '../agent/harness';
import { processesWith, uniqueSleep } from '../lib/procs';

const badServer = path.join(path.dirname(new URL(import.meta.url).pathname), 'bad-server.mjs');

function configure(project: Project, servers: Record<string, { mode: string; extra?: string[]; startupTimeoutMs?: number }>): void {
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(servers)) {
    out[name] = { command: process.execPath, args: [badServer, s.mode, ...(s.extra ?? [])], ...(s.startupTimeoutMs ? { startupTimeoutMs: s.startupTimeoutMs } : {}) };
  }
  project.write('.vscode/mcp.json', JSON.stringify({ servers: out }));
}

const errors = (events: Array<Record<string, any>>) => completedItems(events, 'error').map((i) => String(i.message));

test('a server that never answers initialize: reported after its start-up timeout, the others work', async () => {
  const project = makeProject();
  configure(project, { mute: { mode: 'silent', startupTimeoutMs: 1500 }, ok: { mode: 'crash' } });
  try {
    await withServer(
      [{ toolCalls: [{ name: 'mcp__mute__echo', callId: 'a', arguments: {} }, { name: 'mcp__ok__echo', callId: 'b', arguments: { text: 'hi' } }] }, { text: 'done' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--trust-workspace-mcp', '--base-url', server.url, 'go'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(errors(r.events).some((m) => /"mute" did not start: start-up .* did not finish within 2 s/.test(m)), errors(r.events).join('\n'));
        const outs = toolOutputs(bodies(server)[1]);
        assert.match(outs.get('a')!, /not an available MCP tool/);
        assert.match(outs.get('b')!, /echo: hi/);
        assert.ok(!JSON.stringify(bodies(server)[0].tools).includes('mcp__mute__'));
      },
    );
  } finally {
    project.cleanup();
  }
});

test('a server that exits mid-call: the model and the person are told; the next call restarts it', async () => {
  const project = makeProject();
  configure(project, { flaky: { mode: 'crash' } });
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'mcp__flaky__crash', callId: 'c1', arguments: {} }] },
        { toolCalls: [{ name: 'mcp__flaky__echo', callId: 'c2', arguments: { text: 'again' } }] },
        { text: 'done' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--trust-workspace-mcp', '--base-url', server.url, 'go'], project);
        assert.equal(r.code, 0, r.stderr);
        const first = toolOutputs(bodies(server)[1]).get('c1')!;
        assert.match(first, /could not be called: the server stopped during the call/);
        assert.match(first, /exited with code 3/);
        const [failed] = completedItems(r.events, 'mcp_tool_call').filter((i) => i.tool === 'crash');
        assert.equal(failed.status, 'failed');
        assert.match(failed.error.message, /stopped during the call/);
        assert.match(toolOutputs(bodies(server)[2]).get('c2')!, /echo: again/);
      },
    );
  } finally {
    project.cleanup();
  }
});

test('a malformed result and a schema the APIs refuse: clear messages, the turn goes on', async () => {
  const project = makeProject();
  configure(project, { bent: { mode: 'malformed' }, picky: { mode: 'schemas' } });
  try {
    await withServer(
      [
        {
          toolCalls: [
            { name: 'mcp__bent__echo', callId: 'm1', arguments: {} },
            { name: 'mcp__picky__listy', callId: 'l1', arguments: {} },
            { name: 'mcp__picky__echo', callId: 'e1', arguments: { text: 'fine' } },
          ],
        },
        { text: 'done' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--trust-workspace-mcp', '--base-url', server.url, 'go'], project);
        assert.equal(r.code, 0, r.stderr);
        const names = bodies(server)[0].tools.map((t: any) => t.name);
        assert.ok(!names.includes('mcp__picky__listy') && names.includes('mcp__picky__echo'));
        assert.ok(errors(r.events).some((m) => /`listy` of server `picky` is not available: .*"array"/.test(m)), errors(r.events).join('\n'));
        const outs = toolOutputs(bodies(server)[1]);
        assert.match(outs.get('m1')!, /malformed result for `echo`: `content` is not a list/);
        assert.match(outs.get('l1')!, /not available: its input schema has type "array"/);
        assert.match(outs.get('e1')!, /echo: fine/);
        assert.equal(r.events.at(-1)!.type, 'turn.completed');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('notifications/tools/list_changed: the new tool reaches the model', async () => {
  const project = makeProject();
  configure(project, { grower: { mode: 'grows' } });
  try {
    await withServer(
      [
        { toolCalls: [{ name: 'mcp__grower__grow', callId: 'g1', arguments: {} }] },
        { toolCalls: [{ name: 'mcp__grower__echo', callId: 'g2', arguments: { text: 'x' } }] },
        { toolCalls: [{ name: 'mcp__grower__grown', callId: 'g3', arguments: {} }] },
        { text: 'done' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--trust-workspace-mcp', '--base-url', server.url, 'go'], project);
        assert.equal(r.code, 0, r.stderr);
        const sent = bodies(server);
        assert.ok(!JSON.stringify(sent[0].tools).includes('mcp__grower__grown'));
        assert.ok(sent[2].tools.some((t: any) => t.name === 'mcp__grower__grown'));
        assert.match(toolOutputs(sent[3]).get('g3')!, /echo: /);
      },
    );
  } finally {
    project.cleanup();
  }
});

test("every server's whole process tree is gone when tack exits", async () => {
  const project = makeProject();
  const marker = uniqueSleep(300);
  configure(project, { tree: { mode: 'tree', extra: [marker] } });
  try {
    await withServer([{ toolCalls: [{ name: 'mcp__tree__echo', callId: 't1', arguments: {} }] }, { text: 'done' }], async (server) => {
      let seen: number[] = [];
      const r = await runTack(['exec', '--json', '--trust-workspace-mcp', '--base-url', server.url, 'go'], project, {
        onEvent: (e) => {
          if (e.type === 'item.started' && e.item.type === 'mcp_tool_call') seen = processesWith(marker);
        },
      });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(seen.length > 0, 'the server started its child');
      for (let i = 0; i < 50 && processesWith(marker).length > 0; i++) await new Promise((res) => setTimeout(res, 100));
      assert.deepEqual(processesWith(marker), [], 'the grandchild was stopped with its server');
    });
  } finally {
    for (const pid of processesWith(marker)) process.kill(pid, 'SIGKILL');
    project.cleanup();
  }
});
