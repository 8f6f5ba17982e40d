// The hub takes an edited configuration without a restart (what VS Code does when an mcp.json
// changes): unchanged servers keep their process, a changed one is stopped and starts again with its
// new definition, a removed one is stopped, a new one starts with the next turn; "Stop Trusting"
// forgets a workspace definition and stops it. Real processes of the real memory server.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../lib/paths';
import { parseMcpConfig } from '../../extension/src/host/mcp/config';
import { McpHub } from '../../extension/src/host/mcp/hub';
import { storeTrustGate, type McpTrustStore } from '../../extension/src/host/mcp/trust';

const memoryJs = path.join(repoRoot, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number | undefined): Promise<boolean> {
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
}

test('an edited configuration: unchanged servers keep running, changed and removed ones stop, new ones start', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-mcp-reconf-'));
  const file = path.join(dir, 'mcp.json');
  const server = (mem: string) => ({ command: process.execPath, args: [memoryJs], env: { MEMORY_FILE_PATH: path.join(dir, mem) } });
  const config = (servers: Record<string, unknown>) => parseMcpConfig(JSON.stringify({ servers }), file, 'user');
  const hub = new McpHub({ config: config({ keep: server('keep.jsonl'), edit: server('edit.jsonl'), drop: server('drop.jsonl') }), resolveInput: () => Promise.reject(new Error('no inputs')) });
  let changes = 0;
  hub.onChange(() => changes++);
  try {
    assert.deepEqual(await hub.startAll(), []);
    const pid = (name: string) => hub.status().find((s) => s.name === name)?.pid;
    const before = { keep: pid('keep'), edit: pid('edit'), drop: pid('drop') };
    for (const p of Object.values(before)) assert.ok(alive(p), 'every server runs');

    const seen = changes;
    const r = await hub.reconfigure(config({ keep: server('keep.jsonl'), edit: server('edited.jsonl'), fresh: server('fresh.jsonl') }));
    assert.deepEqual(r, { added: ['fresh'], removed: ['drop'], changed: ['edit'] });
    assert.ok(changes > seen, 'listeners (the sessions) hear of it');
    assert.ok(await gone(before.drop), 'the removed server is stopped');
    assert.ok(await gone(before.edit), 'the changed server is stopped');
    assert.equal(pid('keep'), before.keep, 'the unchanged server keeps its process');
    assert.deepEqual(hub.status().map((s) => [s.name, s.state]).sort(), [['edit', 'stopped'], ['fresh', 'stopped'], ['keep', 'running']]);
    assert.ok(!hub.toolSpecs().some((t) => t.server === 'drop'), 'the removed server offers no tools');

    // The next turn starts what is new, with its new definition.
    assert.deepEqual(await hub.startAll(), []);
    assert.deepEqual(hub.status().map((s) => [s.name, s.state]).sort(), [['edit', 'running'], ['fresh', 'running'], ['keep', 'running']]);
    await hub.call('edit', 'create_entities', { entities: [{ name: 'Zed', entityType: 'dog', observations: ['edited'] }] });
    assert.match(fs.readFileSync(path.join(dir, 'edited.jsonl'), 'utf8'), /"Zed"/, 'the changed server runs its new definition');
    assert.equal(fs.existsSync(path.join(dir, 'edit.jsonl')), false);

    // A broken file: its error is reported, and the servers it no longer names are stopped.
    const broken = parseMcpConfig('{"servers": [', file, 'user');
    const r2 = await hub.reconfigure(broken);
    assert.deepEqual(r2.removed.sort(), ['edit', 'fresh', 'keep']);
    assert.ok(hub.configErrors.length > 0);
    assert.match((await hub.startAll())[0] ?? '', /MCP configuration/);
  } finally {
    await hub.stopAll();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('"Stop Trusting" a workspace server: the trust is forgotten, the server stops, and it is asked about again', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-mcp-untrust-'));
  try {
    const config = parseMcpConfig(
      JSON.stringify({ servers: { memory: { command: process.execPath, args: [memoryJs], env: { MEMORY_FILE_PATH: path.join(dir, 'm.jsonl') } } } }),
      path.join(dir, '.vscode', 'mcp.json'),
      'workspace',
    );
    const memory = new Set<string>();
    const store: McpTrustStore = { has: (w, h) => memory.has(`${w} ${h}`), add: (w, h) => void memory.add(`${w} ${h}`), remove: (w, h) => void memory.delete(`${w} ${h}`) };
    let asked = 0;
    let answer = true;
    const trust = storeTrustGate({ workspace: dir, store, hint: 'HINT', ask: async () => (asked++, answer) });
    const hub = new McpHub({ config, workspace: dir, resolveInput: () => Promise.reject(new Error('no inputs')), trust });
    try {
      assert.deepEqual(await hub.startAll(), []);
      assert.equal(asked, 1);
      assert.equal(memory.size, 1, 'the answer is remembered');
      const pid = hub.status()[0].pid;
      assert.ok(alive(pid));

      await hub.untrust('memory');
      assert.equal(memory.size, 0, 'the trust is forgotten');
      assert.ok(await gone(pid), 'the server is stopped');
      assert.equal(hub.status()[0].state, 'untrusted');

      // The next call asks again; a "no" now refuses it.
      answer = false;
      await assert.rejects(hub.call('memory', 'read_graph', {}), /not trusted/);
      assert.equal(asked, 2);
    } finally {
      await hub.stopAll();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
