// The definition hash (what a trust covers), the trust file, and the hub's gate: an untrusted
// workspace definition is not started, not callable, and reported; the gate's "yes" starts it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseMcpConfig, type McpServerDef } from './config';
import { McpHub } from './hub';
import { definitionHash, fileTrustStore, storeTrustGate, type McpTrustStore } from './trust';

const base: McpServerDef = { name: 'a', type: 'stdio', command: 'node', args: ['s.js'], env: { K: '${input:k}' }, source: 'workspace', file: '/w/.vscode/mcp.json' };

test('the hash covers what runs, not the name, timeouts or header values', () => {
  const h = definitionHash(base, '/w');
  assert.equal(definitionHash({ ...base, name: 'b', startupTimeoutMs: 5 }, '/w'), h);
  for (const changed of <McpServerDef[]>[
    { ...base, command: 'nodejs' },
    { ...base, args: ['s.js', '--x'] },
    { ...base, env: { K: 'plain' } },
    { ...base, env: { K: '${input:k}', L: '1' } },
    { ...base, cwd: 'sub' },
    { ...base, envFile: '.env' },
    { ...base, type: 'http' as const, url: 'http://x' },
  ]) {
    assert.notEqual(definitionHash(changed, '/w'), h, JSON.stringify(changed));
  }
  const http: McpServerDef = { ...base, type: 'http', url: 'https://x/mcp', headers: { Authorization: 'a' } };
  assert.equal(definitionHash({ ...http, headers: { Authorization: 'b' } }, '/w'), definitionHash(http, '/w'));
  assert.notEqual(definitionHash({ ...http, headers: { 'X-Other': 'a' } }, '/w'), definitionHash(http, '/w'));
});

test('the trust file is 0600 in a 0700 directory, keyed by workspace and hash; junk reads as empty', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-trust-'));
  try {
    const file = path.join(dir, 'home', 'mcp-trust.json');
    const store = fileTrustStore(file);
    assert.equal(store.has('/w', 'h'), false);
    void store.add('/w', 'h', 'a');
    assert.equal(store.has('/w', 'h'), true);
    assert.equal(store.has('/other', 'h'), false);
    assert.equal(store.has('/w', 'toString'), false);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
    fs.writeFileSync(file, '[1,2');
    assert.equal(fileTrustStore(file).has('/w', 'h'), false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the hub: an untrusted workspace server is not started or called; one the gate admits starts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-trust-'));
  const marker = path.join(dir, 'ran');
  try {
    const config = parseMcpConfig(JSON.stringify({ servers: { p: { command: 'sh', args: ['-c', `echo ran > '${marker}'`] } } }), path.join(dir, '.vscode', 'mcp.json'), 'workspace');
    const memory = new Set<string>();
    const store: McpTrustStore = { has: (w, h) => memory.has(`${w} ${h}`), add: (w, h) => void memory.add(`${w} ${h}`) };
    const hub = new McpHub({ config, workspace: dir, resolveInput: () => Promise.reject(new Error('no')), trust: storeTrustGate({ workspace: dir, store, hint: 'HINT' }) });
    const problems = await hub.startAll();
    assert.equal(problems.length, 1);
    assert.match(problems[0], /"p" from the workspace's \.vscode\/mcp\.json was not started: its definition is not trusted\. HINT/);
    assert.equal(hub.status()[0].state, 'untrusted');
    await assert.rejects(hub.call('p', 'x', {}), /not trusted/);
    await assert.rejects(hub.restart('p'), /not trusted/);
    assert.equal(fs.existsSync(marker), false);
    await hub.stopAll();

    let asked = 0;
    const asking = new McpHub({
      config,
      workspace: dir,
      resolveInput: () => Promise.reject(new Error('no')),
      trust: storeTrustGate({ workspace: dir, store, hint: 'HINT', ask: () => Promise.resolve(++asked > 0) }),
    });
    const later = await asking.startAll();
    assert.equal(asked, 1);
    // It was started (and failed: `sh -c echo` is no MCP server), and the answer was remembered.
    assert.ok(later.some((m) => /"p" did not start/.test(m)), later.join('\n'));
    assert.ok(fs.existsSync(marker));
    assert.equal(memory.size, 1);
    await asking.stopAll();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the envFile is checked as it is used: swapped between the trust check and the start, nothing runs', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-trust-'));
  const marker = path.join(dir, 'ran');
  const envFile = path.join(dir, '.env');
  fs.writeFileSync(envFile, 'A=1\n');
  try {
    const config = parseMcpConfig(
      JSON.stringify({
        inputs: [{ id: 'where', type: 'promptString' }],
        // `cwd` is resolved before the envFile is read: its input's answer is the moment to swap the file.
        servers: { p: { command: 'sh', args: ['-c', `echo ran > '${marker}'`], cwd: '${input:where}', envFile: '${workspaceFolder}/.env' } },
      }),
      path.join(dir, '.vscode', 'mcp.json'),
      'workspace',
    );
    const memory = new Set<string>();
    const store: McpTrustStore = { has: (w, h) => memory.has(`${w} ${h}`), add: (w, h) => void memory.add(`${w} ${h}`) };
    const gate = storeTrustGate({ workspace: dir, store, hint: 'HINT' });
    await gate.remember(config.servers[0]);
    assert.equal(gate.isTrusted(config.servers[0]), true);
    assert.equal(gate.isTrusted(config.servers[0], { A: '1' }), true);
    assert.equal(gate.isTrusted(config.servers[0], { A: '1', NODE_OPTIONS: 'x' }), false);
    const hub = new McpHub({
      config,
      workspace: dir,
      resolveInput: () => {
        fs.writeFileSync(envFile, 'A=1\nNODE_OPTIONS=--require ./evil.js\n');
        return Promise.resolve(dir);
      },
      trust: gate,
    });
    const problems = await hub.startAll();
    assert.ok(problems.some((m) => /"p" did not start: .*changed since it was trusted/.test(m)), problems.join('\n'));
    assert.equal(fs.existsSync(marker), false);
    await hub.stopAll();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
