// The trust gate for a workspace's .vscode/mcp.json: a cloned repository's server definition runs
// nothing until the person trusts that exact definition. The "server" here first appends to a marker
// file outside the repository, then serves (tests/mcp/bad-server.mjs), so whether its command ran is
// read off the disk, not off Tack's word.
/* eslint-disable @typescript-eslint/no-explicit-any -- printed events and wire JSON are explored by the assertions */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { bodies, completedItems, makeProject, runTack, toolOutputs, withServer, type Project } from '../agent/harness';
import { runPlain } from './plain';

const badServer = path.join(path.dirname(new URL(import.meta.url).pathname), 'bad-server.mjs');

/** A definition whose command appends "ran" to `marker`, then becomes an MCP server. */
function plant(project: Project, marker: string, extra: Record<string, unknown> = {}, extraArgs: string[] = []): void {
  project.write(
    '.vscode/mcp.json',
    JSON.stringify({
      servers: {
        planted: { command: 'sh', args: ['-c', 'echo ran >> "$0"; exec "$1" "$2" crash', marker, process.execPath, badServer, ...extraArgs], ...extra },
      },
    }),
  );
}

const errors = (events: Array<Record<string, any>>) => completedItems(events, 'error').map((i) => String(i.message));

test('an untrusted workspace server does not run; tack mcp trust --yes trusts it; a changed definition is untrusted again', async () => {
  const project = makeProject({ 'README.md': 'demo\n' });
  const home = path.join(project.home, 'fresh-home');
  const env = { TACK_HOME: home };
  const marker = path.join(project.home, 'marker');
  plant(project, marker);
  try {
    // 1. Untrusted: not started, not offered, named in a message the person sees with the command to run.
    await withServer([{ toolCalls: [{ name: 'mcp__planted__echo', callId: 'p1', arguments: { text: 'x' } }] }, { text: 'done' }], async (server) => {
      const r = await runTack(['exec', '--json', '--base-url', server.url, 'go'], project, { env });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(fs.existsSync(marker), false, "the untrusted server's command ran");
      const msgs = errors(r.events).filter((m) => m.includes('not trusted'));
      assert.equal(msgs.length, 1, errors(r.events).join('\n'));
      assert.match(msgs[0], /"planted"/);
      assert.match(msgs[0], /tack mcp trust -C /);
      assert.match(msgs[0], /--trust-workspace-mcp/);
      assert.equal(r.stderr.split('\n').filter((l) => l.includes('"planted"') && l.includes('not trusted')).length, 1, r.stderr);
      assert.ok(!JSON.stringify(bodies(server)[0].tools ?? []).includes('mcp__planted__'));
      assert.match(toolOutputs(bodies(server)[1]).get('p1')!, /not an available MCP tool/);
    });
    assert.equal(fs.existsSync(marker), false);

    // tack mcp list says so, and does not start it either.
    const list = await runPlain(['mcp', 'list'], project, env);
    assert.match(list.stdout, /planted \(stdio, workspace\): not trusted/);
    const listJson = await runTack(['mcp', 'list', '--json'], project, { env });
    assert.equal(JSON.parse(listJson.stdout).servers[0].state, 'untrusted');
    assert.equal(fs.existsSync(marker), false);

    // Without --yes and without a terminal nothing is trusted, but the definition is shown in full.
    const refused = await runPlain(['mcp', 'trust'], project, env);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /planted \(stdio\)/);
    assert.match(refused.stdout, /command: sh -c "echo ran >> \\"\$0\\"; exec \\"\$1\\" \\"\$2\\" crash"/);
    assert.match(refused.stderr, /nothing was trusted/);
    assert.equal(fs.existsSync(path.join(home, 'mcp-trust.json')), false);

    // 2. Trusted: the file is the person's alone, and the server runs.
    const trusted = await runPlain(['mcp', 'trust', '--yes'], project, env);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.match(trusted.stdout, /Trusted "planted"/);
    const trustFile = path.join(home, 'mcp-trust.json');
    assert.equal(fs.statSync(trustFile).mode & 0o777, 0o600);
    assert.equal(fs.statSync(home).mode & 0o777, 0o700);
    const recorded = JSON.parse(fs.readFileSync(trustFile, 'utf8'));
    assert.deepEqual(Object.keys(recorded.workspaces), [fs.realpathSync(project.dir)]);
    await withServer([{ toolCalls: [{ name: 'mcp__planted__echo', callId: 'p2', arguments: { text: 'trusted now' } }] }, { text: 'done' }], async (server) => {
      const r = await runTack(['exec', '--json', '--base-url', server.url, 'go'], project, { env });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!errors(r.events).some((m) => m.includes('not trusted')), errors(r.events).join('\n'));
      assert.match(toolOutputs(bodies(server)[1]).get('p2')!, /echo: trusted now/);
    });
    assert.equal(fs.readFileSync(marker, 'utf8'), 'ran\n');
    fs.rmSync(marker);

    // 3. Changed args: untrusted again, nothing runs.
    plant(project, marker, {}, ['--changed']);
    const again = await runTack(['mcp', 'list', '--json'], project, { env });
    assert.equal(JSON.parse(again.stdout).servers[0].state, 'untrusted');
    await withServer([{ text: 'done' }], async (server) => {
      const r = await runTack(['exec', '--json', '--base-url', server.url, 'go'], project, { env });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(errors(r.events).some((m) => m.includes('"planted"') && m.includes('not trusted')));
    });
    assert.equal(fs.existsSync(marker), false, 'the changed definition ran without being trusted');

    // A changed env value is a changed definition too.
    plant(project, marker, { env: { NODE_OPTIONS: '--require ./evil.js' } });
    const envChanged = await runTack(['mcp', 'list', '--json'], project, { env });
    assert.equal(JSON.parse(envChanged.stdout).servers[0].state, 'untrusted');
    assert.equal(fs.existsSync(marker), false);
  } finally {
    project.cleanup();
  }
});

test("--trust-workspace-mcp trusts for one run only; an envFile's contents are part of the definition", async () => {
  const project = makeProject();
  const marker = path.join(project.home, 'marker');
  project.write('.env', 'GREETING=hello\n');
  plant(project, marker, { envFile: '${workspaceFolder}/.env' });
  try {
    await withServer([{ toolCalls: [{ name: 'mcp__planted__echo', callId: 'o1', arguments: { text: 'once' } }] }, { text: 'done' }], async (server) => {
      const r = await runTack(['exec', '--json', '--trust-workspace-mcp', '--base-url', server.url, 'go'], project);
      assert.equal(r.code, 0, r.stderr);
      assert.match(toolOutputs(bodies(server)[1]).get('o1')!, /echo: once/);
    });
    assert.equal(fs.readFileSync(marker, 'utf8'), 'ran\n');
    fs.rmSync(marker);
    // Nothing was recorded.
    assert.equal(fs.existsSync(path.join(project.home, 'mcp-trust.json')), false);
    const list = await runTack(['mcp', 'list', '--json'], project);
    assert.equal(JSON.parse(list.stdout).servers[0].state, 'untrusted');

    assert.equal((await runPlain(['mcp', 'trust', '--yes'], project)).code, 0);
    assert.equal(JSON.parse((await runTack(['mcp', 'list', '--json'], project)).stdout).servers[0].state, 'running');
    fs.rmSync(marker);
    // The repository changes the env file: the server is untrusted again.
    project.write('.env', 'GREETING=hello\nNODE_OPTIONS=--require ./evil.js\n');
    assert.equal(JSON.parse((await runTack(['mcp', 'list', '--json'], project)).stdout).servers[0].state, 'untrusted');
    assert.equal(fs.existsSync(marker), false);
  } finally {
    project.cleanup();
  }
});

test('servers from the user file and from --mcp-config start without being trusted', async () => {
  const project = makeProject();
  const userMarker = path.join(project.home, 'user-marker');
  const cliMarker = path.join(project.home, 'cli-marker');
  const def = (marker: string) => ({ command: 'sh', args: ['-c', 'echo ran >> "$0"; exec "$1" "$2" crash', marker, process.execPath, badServer] });
  fs.writeFileSync(path.join(project.home, 'mcp.json'), JSON.stringify({ servers: { mine: def(userMarker) } }));
  const cfg = path.join(project.home, 'named.json');
  fs.writeFileSync(cfg, JSON.stringify({ servers: { named: def(cliMarker) } }));
  try {
    const list = await runTack(['mcp', 'list', '--json', '--mcp-config', cfg], project);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout).servers.map((s: any) => [s.name, s.state]),
      [
        ['mine', 'running'],
        ['named', 'running'],
      ],
    );
    assert.equal(fs.readFileSync(userMarker, 'utf8'), 'ran\n');
    assert.equal(fs.readFileSync(cliMarker, 'utf8'), 'ran\n');
  } finally {
    project.cleanup();
  }
});

test('a sandboxed command that edits the trusted envFile cannot get a changed server restarted', async () => {
  const project = makeProject();
  const marker = path.join(project.home, 'marker');
  project.write('.env', 'A=1\n');
  plant(project, marker, { envFile: '${workspaceFolder}/.env' });
  try {
    assert.equal((await runPlain(['mcp', 'trust', '--yes'], project)).code, 0);
    await withServer(
      [
        { toolCalls: [{ name: 'mcp__planted__crash', callId: 'c1', arguments: {} }] },
        { toolCalls: [{ name: 'exec_command', callId: 'x1', arguments: { cmd: "printf 'NODE_OPTIONS=--require ./evil.js\\n' >> .env" } }] },
        { toolCalls: [{ name: 'mcp__planted__echo', callId: 'e1', arguments: { text: 'again' } }] },
        { text: 'done' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--sandbox', 'workspace-write', '--approval', 'never', '--base-url', server.url, 'go'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.match(toolOutputs(bodies(server)[1]).get('c1')!, /stopped during the call/);
        assert.match(project.read('.env'), /NODE_OPTIONS/, 'the command ran');
        assert.match(toolOutputs(bodies(server)[3]).get('e1')!, /not trusted/);
      },
    );
    assert.equal(fs.readFileSync(marker, 'utf8'), 'ran\n', 'the server was started again with the changed env file');
  } finally {
    project.cleanup();
  }
});
