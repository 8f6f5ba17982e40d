// The MCP configuration: VS Code's JSONC format, per-server errors, variables and inputs, env files,
// the server's minimal environment.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { envInputResolver, inputEnvName, loadMcpConfig, parseEnvFile, parseMcpConfig, resolveServer, stripJsonc, type ResolvedStdio } from './config';
import { baseServerEnv, serverEnv } from './env';

test('JSONC: comments and trailing commas go, strings stay whole', () => {
  const text = '{\n // a comment\n "a": "x // not a comment, /* nor this */",\n /* block */ "b": [1, 2,],\n}';
  assert.deepEqual(JSON.parse(stripJsonc(text)), { a: 'x // not a comment, /* nor this */', b: [1, 2] });
});

test('servers are read in VS Code format; a bad entry is an error that names it, the rest loads', () => {
  const c = parseMcpConfig(
    JSON.stringify({
      inputs: [{ type: 'promptString', id: 'key', password: true }, { nope: 1 }],
      servers: {
        a: { type: 'stdio', command: 'node', args: ['s.js'], env: { X: '1', N: 2 } },
        b: { url: 'https://example.invalid/mcp', headers: { Authorization: 'Bearer ${input:key}' } },
        c: { type: 'stdio' },
        d: { type: 'websocket', url: 'ws://x' },
        e: { command: 'x', args: 'not a list' },
      },
    }),
    '/w/.vscode/mcp.json',
    'workspace',
  );
  assert.deepEqual(c.servers.map((s) => [s.name, s.type]), [['a', 'stdio'], ['b', 'http']]);
  assert.equal(c.inputs.length, 1);
  assert.equal(c.errors.length, 4);
  assert.match(c.errors.join('\n'), /server "c": a stdio server needs "command"/);
  assert.match(c.errors.join('\n'), /server "d": "type" must be stdio, http or sse/);
  assert.match(c.errors.join('\n'), /server "e": "args" must be a list of strings/);
  assert.match(parseMcpConfig('{ nope', 'f.json', 'user').errors[0], /f\.json: not valid JSON/);
  // Claude Desktop's key works too.
  assert.equal(parseMcpConfig('{"mcpServers": {"x": {"command": "y"}}}', 'f', 'user').servers.length, 1);
});

test('the user file, the workspace and --mcp-config merge; later names win', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-mcp-'));
  try {
    fs.mkdirSync(path.join(dir, 'ws', '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'user.json'), JSON.stringify({ servers: { a: { command: 'user-a' }, u: { command: 'u' } } }));
    fs.writeFileSync(path.join(dir, 'ws', '.vscode', 'mcp.json'), JSON.stringify({ servers: { a: { command: 'ws-a' } } }));
    fs.writeFileSync(path.join(dir, 'cli.json'), JSON.stringify({ servers: { c: { command: 'c' } } }));
    const c = loadMcpConfig({ workspace: path.join(dir, 'ws'), userFile: path.join(dir, 'user.json'), extraFiles: [path.join(dir, 'cli.json')] });
    assert.deepEqual(c.servers.map((s) => [s.name, s.command, s.source]), [['u', 'u', 'user'], ['a', 'ws-a', 'workspace'], ['c', 'c', 'cli']]);
    const missing = loadMcpConfig({ userFile: null, extraFiles: [path.join(dir, 'nope.json')] });
    assert.match(missing.errors[0], /no such file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('variables: workspaceFolder, inputs (asked once), env only outside workspace files, unknown ones refused', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-mcp-'));
  try {
    fs.writeFileSync(path.join(dir, '.env'), '# comment\nexport A=1\nB="two words"\nC=x # trailing\n');
    let asked = 0;
    const ctx = {
      workspace: dir,
      inputs: [{ id: 'tok', type: 'promptString' }],
      resolveInput: () => {
        asked++;
        return Promise.resolve('secret-1');
      },
      env: { HOME_VAR: 'h' },
    };
    const [ws] = parseMcpConfig(
      JSON.stringify({ servers: { s: { command: 'run', args: ['${workspaceFolder}/x', '${input:tok}'], envFile: '${workspaceFolder}/.env', env: { T: '${input:tok}', A: null } } } }),
      path.join(dir, '.vscode', 'mcp.json'),
      'workspace',
    ).servers;
    const r = (await resolveServer(ws, ctx)) as ResolvedStdio;
    assert.deepEqual(r.args, [`${dir}/x`, 'secret-1']);
    assert.deepEqual(r.env, { B: 'two words', C: 'x', T: 'secret-1' });
    assert.equal(r.cwd, dir);
    assert.equal(asked, 1, 'one answer per input');
    const envUse = parseMcpConfig(JSON.stringify({ servers: { s: { command: '${env:HOME_VAR}' } } }), 'f', 'workspace').servers[0];
    await assert.rejects(resolveServer(envUse, ctx), /may not read Tack's environment/);
    assert.equal(((await resolveServer({ ...envUse, source: 'user' }, ctx)) as ResolvedStdio).command, 'h');
    const unknown = parseMcpConfig(JSON.stringify({ servers: { s: { command: '${config:x}' } } }), 'f', 'user').servers[0];
    await assert.rejects(resolveServer(unknown, ctx), /unknown variable \$\{config:x\}/);
    const undeclared = parseMcpConfig(JSON.stringify({ servers: { s: { command: '${input:zz}' } } }), 'f', 'user').servers[0];
    await assert.rejects(resolveServer(undeclared, ctx), /no input with id "zz"/);
    const badUrl = parseMcpConfig(JSON.stringify({ servers: { s: { type: 'http', url: 'file:///etc/passwd' } } }), 'f', 'user').servers[0];
    await assert.rejects(resolveServer(badUrl, ctx), /must be http or https/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the CLI reads inputs from TACK_MCP_INPUT_<ID> or names the variable', async () => {
  assert.equal(inputEnvName('api-key.v2'), 'TACK_MCP_INPUT_API_KEY_V2');
  const r = envInputResolver({ TACK_MCP_INPUT_K: 'v' });
  assert.equal(await r({ id: 'k', type: 'promptString' }, 's'), 'v');
  assert.equal(await r({ id: 'd', type: 'promptString', default: 'dflt' }, 's'), 'dflt');
  await assert.rejects(r({ id: 'm', type: 'promptString', description: 'The key' }, 'srv'), /server "srv" needs the input "m" \(The key\); the CLI cannot prompt, so set TACK_MCP_INPUT_M/);
  assert.deepEqual(parseEnvFile('X=1\n=bad\nY = 2'), { X: '1', Y: '2' });
});

test("a server's environment: a minimal base, no keys, tokens, agents or proxy credentials; the config on top", () => {
  const base = baseServerEnv({
    PATH: '/bin',
    HOME: '/h',
    LC_ALL: 'C',
    OPENAI_API_KEY: 'sk-x',
    GITHUB_TOKEN: 't',
    SSH_AUTH_SOCK: '/s',
    HTTPS_PROXY: 'http://user:pw@proxy:8080',
    NO_PROXY: 'localhost',
    RANDOM: 'r',
  });
  assert.deepEqual(base, { PATH: '/bin', HOME: '/h', LC_ALL: 'C', NO_PROXY: 'localhost' });
  assert.equal(serverEnv({ GITHUB_TOKEN: 'mine' }, { PATH: '/bin' }).GITHUB_TOKEN, 'mine');
});
