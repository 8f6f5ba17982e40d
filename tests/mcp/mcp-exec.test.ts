// MCP through `tack exec --json`: the bundled CLI, the real core and sidecar, the scripted model, and
// real MCP servers nobody on the team wrote (@modelcontextprotocol/server-filesystem, -memory and
// -everything, over stdio and Streamable HTTP). Effects are checked where they land: the file the
// filesystem server wrote, the graph the memory server recalls in a later run.
/* eslint-disable @typescript-eslint/no-explicit-any -- printed events and wire JSON are explored by the assertions */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../lib/paths';
import { API_KEY, bodies, makeProject, runTack, toolOutputs, withServer, type Project } from '../agent/harness';
import { runPlain } from './plain';

const serverJs = (pkg: string) => path.join(repoRoot, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');

function writeConfig(project: Project, servers: Record<string, unknown>, file = '.vscode/mcp.json'): void {
  project.write(file, `// servers for this test\n${JSON.stringify({ servers }, null, 2)}\n`);
}

function mcpItems(events: Array<Record<string, any>>, phase: 'item.started' | 'item.completed'): Array<Record<string, any>> {
  return events.filter((e) => e.type === phase && e.item.type === 'mcp_tool_call').map((e) => e.item);
}

function toolNames(body: Record<string, any>): string[] {
  return body.tools.map((t: any) => t.name);
}

test('the filesystem and memory servers: tools offered, calls made, real effects, recall in a later run', async () => {
  const project = makeProject({ 'README.md': 'demo\n' });
  const memFile = path.join(project.home, 'memory.jsonl');
  writeConfig(project, {
    fs: { type: 'stdio', command: process.execPath, args: [serverJs('server-filesystem'), '${workspaceFolder}'] },
    memory: { command: process.execPath, args: [serverJs('server-memory')], env: { MEMORY_FILE_PATH: memFile } },
  });
  const target = path.join(project.dir, 'notes', 'mcp.txt');
  fs.mkdirSync(path.dirname(target));
  try {
    // Trusted once, as a person would; both runs below start the servers.
    const trusted = await runPlain(['mcp', 'trust', '--yes'], project);
    assert.equal(trusted.code, 0, trusted.stderr);
    await withServer(
      [
        {
          toolCalls: [
            { name: 'mcp__fs__write_file', callId: 'w1', arguments: { path: target, content: 'written by an MCP server\n' } },
            { name: 'mcp__memory__create_entities', callId: 'm1', arguments: { entities: [{ name: 'Ada', entityType: 'person', observations: ['likes tea'] }] } },
          ],
        },
        { toolCalls: [{ name: 'mcp__fs__read_text_file', callId: 'r1', arguments: { path: target } }] },
        { text: 'Done.' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'use the servers'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(fs.readFileSync(target, 'utf8'), 'written by an MCP server\n');
        assert.match(fs.readFileSync(memFile, 'utf8'), /"Ada"/);
        const sent = bodies(server);
        const names = toolNames(sent[0]);
        for (const n of ['mcp__fs__write_file', 'mcp__fs__read_text_file', 'mcp__memory__create_entities', 'mcp__memory__search_nodes']) assert.ok(names.includes(n), n);
        assert.ok(names.every((n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n)));
        for (const t of sent[0].tools.filter((t: any) => t.name.startsWith('mcp__'))) {
          assert.equal(t.parameters.type, 'object', t.name);
          assert.equal(t.parameters.$schema, undefined, t.name);
        }
        const outs = toolOutputs(sent[1]);
        assert.match(outs.get('w1')!, /Successfully wrote/);
        assert.match(outs.get('m1')!, /Ada/);
        assert.match(toolOutputs(sent[2]).get('r1')!, /written by an MCP server/);
        // Codex's item shape: started (in progress), then completed with the result.
        const started = mcpItems(r.events, 'item.started');
        const done = mcpItems(r.events, 'item.completed');
        assert.equal(started.length, 3);
        assert.deepEqual(started.map((i) => i.status), ['in_progress', 'in_progress', 'in_progress']);
        const w = done.find((i) => i.tool === 'write_file')!;
        assert.equal(w.server, 'fs');
        assert.equal(w.status, 'completed');
        assert.deepEqual(w.arguments, { path: target, content: 'written by an MCP server\n' });
        assert.equal(w.result.content[0].type, 'text');
      },
    );
    // A new process: the memory server recalls what the first run stored.
    await withServer(
      [{ toolCalls: [{ name: 'mcp__memory__search_nodes', callId: 's1', arguments: { query: 'Ada' } }] }, { text: 'Ada likes tea.' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'what do you know about Ada?'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.match(toolOutputs(bodies(server)[1]).get('s1')!, /likes tea/);
      },
    );
  } finally {
    project.cleanup();
  }
});

test('server-everything over stdio: no API key in its environment, images and structured content reach the model', async () => {
  const project = makeProject();
  writeConfig(project, { everything: { command: process.execPath, args: [serverJs('server-everything'), 'stdio'], env: { CONFIGURED: 'yes' } } });
  try {
    await withServer(
      [
        {
          toolCalls: [
            { name: 'mcp__everything__get-env', callId: 'e1', arguments: {} },
            { name: 'mcp__everything__get-tiny-image', callId: 'i1', arguments: {} },
            { name: 'mcp__everything__get-sum', callId: 'g1', arguments: { a: 2, b: 3 } },
            { name: 'mcp__everything__get-resource-links', callId: 'l1', arguments: { count: 2 } },
          ],
        },
        { text: 'ok' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--trust-workspace-mcp', '--base-url', server.url, 'check'], project, { env: { SOME_SERVICE_TOKEN: 'tok-abcdef0123456789' } });
        assert.equal(r.code, 0, r.stderr);
        const outs = toolOutputs(bodies(server)[1]);
        const env = outs.get('e1')!;
        assert.match(env, /CONFIGURED/);
        assert.match(env, /"PATH"/);
        assert.ok(!env.includes(API_KEY), 'the API key never reaches a server');
        assert.ok(!env.includes('OPENAI_API_KEY') && !env.includes('tok-abcdef0123456789'));
        assert.match(outs.get('i1')!, /\[image image\/png/);
        assert.match(JSON.stringify(bodies(server)[1].input), /data:image\/png;base64,/);
        assert.match(outs.get('g1')!, /5/);
        assert.match(outs.get('l1')!, /\[resource link\]/);
        // Read-only tools ran under the default policy; every call completed.
        assert.ok(mcpItems(r.events, 'item.completed').every((i) => i.status === 'completed'));
      },
    );
  } finally {
    project.cleanup();
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

test('server-everything over Streamable HTTP, from --mcp-config; tack mcp list --json', async () => {
  const project = makeProject();
  const port = await freePort();
  const proc = spawn(process.execPath, [serverJs('server-everything'), 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let err = '';
      const timer = setTimeout(() => reject(new Error(`server-everything did not start: ${err}`)), 30_000);
      proc.stderr!.setEncoding('utf8').on('data', (c: string) => {
        err += c;
        if (err.includes('listening')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', () => reject(new Error(`server-everything exited: ${err}`)));
    });
    const cfg = path.join(project.home, 'extra-mcp.json');
    fs.writeFileSync(cfg, JSON.stringify({ servers: { web: { type: 'http', url: `http://127.0.0.1:${port}/mcp` } } }));
    await withServer([{ toolCalls: [{ name: 'mcp__web__echo', callId: 'h1', arguments: { message: 'over http' } }] }, { text: 'ok' }], async (server) => {
      const r = await runTack(['exec', '--json', '--mcp-config', cfg, '--base-url', server.url, 'echo'], project);
      assert.equal(r.code, 0, r.stderr);
      assert.match(toolOutputs(bodies(server)[1]).get('h1')!, /over http/);
      const [item] = mcpItems(r.events, 'item.completed');
      assert.equal(item.server, 'web');
      assert.equal(item.status, 'completed');
    });
    const list = await runTack(['mcp', 'list', '--json', '--mcp-config', cfg], project);
    assert.equal(list.code, 0, list.stderr);
    const parsed = JSON.parse(list.stdout);
    const web = parsed.servers.find((s: any) => s.name === 'web');
    assert.equal(web.state, 'running');
    assert.ok(web.tools.some((t: any) => t.name === 'echo' && t.readOnly === true));
  } finally {
    proc.kill('SIGKILL');
    project.cleanup();
  }
});

test('inputs: the CLI reads TACK_MCP_INPUT_<ID> or says which variable to set', async () => {
  const project = makeProject();
  project.write(
    '.vscode/mcp.json',
    JSON.stringify({
      inputs: [{ type: 'promptString', id: 'mem-file', description: 'Where the graph lives', password: true }],
      servers: { memory: { command: process.execPath, args: [serverJs('server-memory')], env: { MEMORY_FILE_PATH: '${input:mem-file}' } } },
    }),
  );
  try {
    assert.equal((await runPlain(['mcp', 'trust', '--yes'], project)).code, 0);
    const missing = await runTack(['mcp', 'list', '--json'], project);
    assert.equal(missing.code, 1);
    const [mem] = JSON.parse(missing.stdout).servers;
    assert.equal(mem.state, 'failed');
    assert.match(mem.lastError, /set TACK_MCP_INPUT_MEM_FILE/);
    const memFile = path.join(project.home, 'from-input.jsonl');
    await withServer(
      [{ toolCalls: [{ name: 'mcp__memory__create_entities', callId: 'c1', arguments: { entities: [{ name: 'Bo', entityType: 'cat', observations: [] }] } }] }, { text: 'ok' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'remember Bo'], project, { env: { TACK_MCP_INPUT_MEM_FILE: memFile } });
        assert.equal(r.code, 0, r.stderr);
        assert.match(fs.readFileSync(memFile, 'utf8'), /"Bo"/);
      },
    );
  } finally {
    project.cleanup();
  }
});
