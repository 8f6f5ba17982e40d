// OAuth for HTTP servers, against the SDK's own OAuth-protected example server
// (`examples/server/simpleStreamableHttp.js --oauth`, with its demo authorization server that
// approves at once): without tokens the server fails to start with how to sign in; `tack mcp login`
// prints the URL and catches the redirect on 127.0.0.1; the tokens land in a 0600 file, never in the
// output; then `tack exec` calls the server's tools.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot, tackCli } from '../lib/paths';
import { bodies, makeProject, runTack, toolOutputs, withServer } from '../agent/harness';

const example = path.join(repoRoot, 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm', 'examples', 'server', 'simpleStreamableHttp.js');

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

test('an OAuth-protected server: sign in with tack mcp login, then its tools work', async () => {
  const project = makeProject();
  const mcpPort = await freePort();
  const authPort = await freePort();
  const server = spawn(process.execPath, [example, '--oauth'], { env: { ...process.env, MCP_PORT: String(mcpPort), MCP_AUTH_PORT: String(authPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`the example server did not start: ${out}`)), 30_000);
      const seen = (c: Buffer) => {
        out += c.toString();
        if (out.includes('MCP Streamable HTTP Server listening') && out.includes('Authorization Server listening')) {
          clearTimeout(timer);
          resolve();
        }
      };
      server.stdout!.on('data', seen);
      server.stderr!.on('data', seen);
      server.once('exit', () => reject(new Error(`the example server exited: ${out}`)));
    });
    const cfg = path.join(project.home, 'oauth-mcp.json');
    fs.writeFileSync(cfg, JSON.stringify({ servers: { secure: { type: 'http', url: `http://localhost:${mcpPort}/mcp` } } }));

    const before = await runTack(['mcp', 'list', '--json', '--mcp-config', cfg], project);
    assert.equal(before.code, 1);
    const [s0] = JSON.parse(before.stdout).servers;
    assert.equal(s0.state, 'failed');
    assert.match(s0.lastError, /needs you to sign in \(OAuth\): run `tack mcp login secure`/);

    // The "browser": follow the printed URL; the demo server approves and redirects to Tack's callback.
    const login = spawn(process.execPath, [tackCli, 'mcp', 'login', 'secure', '--mcp-config', cfg], {
      cwd: project.dir,
      env: { ...process.env, TACK_HOME: project.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    let page = '';
    login.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
      const m = /(http:\/\/\S*\/authorize\S*)/.exec(err);
      if (m && page === '') {
        page = 'fetching';
        void fetch(m[1]).then(async (r) => (page = await r.text()));
      }
    });
    const code = await new Promise<number | null>((resolve) => login.on('close', resolve));
    assert.equal(code, 0, err);
    assert.match(err, /Signed in to "secure"/);
    assert.match(page, /Tack is signed in/);
    const tokenFile = path.join(project.home, 'mcp-oauth.json');
    assert.equal(fs.statSync(tokenFile).mode & 0o777, 0o600);
    const stored = JSON.parse(fs.readFileSync(tokenFile, 'utf8'));
    const token = JSON.parse(Object.values(stored)[0] as string).tokens.access_token as string;
    assert.ok(token.length > 8 && !err.includes(token), 'the token is stored, never printed');

    await withServer([{ toolCalls: [{ name: 'mcp__secure__greet', callId: 'g1', arguments: { name: 'Ada' } }] }, { text: 'ok' }], async (model) => {
      const r = await runTack(['exec', '--json', '--mcp-config', cfg, '--base-url', model.url, 'greet'], project);
      assert.equal(r.code, 0, r.stderr);
      assert.match(toolOutputs(bodies(model)[1]).get('g1')!, /Hello, Ada/);
      assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token));
    });
  } finally {
    server.kill('SIGKILL');
    project.cleanup();
  }
});
