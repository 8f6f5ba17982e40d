// Bad command lines through the real `tack` CLI: every subcommand names the problem as
// `tack <command>: <message>`, prints its usage, exits 2, and does nothing else (no model request,
// no file written, no session recorded). Good ones in the `--name=value` form work as before.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { tackCli } from '../lib/paths';
import { bodies, makeProject, runTack, withServer, type Project } from './harness';

/** Every path under `dir`, for "nothing was written". */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = path.join(rel, name);
      out.push(r);
      if (fs.lstatSync(path.join(dir, r)).isDirectory()) walk(r);
    }
  };
  walk('');
  return out;
}

async function refused(project: Project, args: string[], message: string, usage: RegExp) {
  const before = { dir: tree(project.dir), home: tree(project.home) };
  const r = await runTack(args, project);
  const command = args[0] === 'mcp' ? `${args[0]} ${args[1]}` : args[0];
  assert.equal(r.code, 2, `tack ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr.split('\n')[0], `tack ${command}: ${message}`, r.stderr);
  assert.match(r.stderr, usage);
  assert.equal(r.stdout, '');
  assert.deepEqual({ dir: tree(project.dir), home: tree(project.home) }, before, 'nothing was written');
}

test('tack exec: unknown options, missing values, values given to flags and bad choices are refused before anything runs', async () => {
  const project = makeProject({ 'a.txt': 'a\n' });
  try {
    await withServer([{ text: 'unused' }], async (server) => {
      const usage = /Usage: tack exec \[options\] PROMPT/;
      const base = ['--base-url', server.url];
      await refused(project, ['exec', ...base, '--bogus', 'hi'], "unknown option '--bogus'", usage);
      await refused(project, ['exec', ...base, '-q', 'hi'], "unknown option '-q'", usage);
      await refused(project, ['exec', ...base, 'hi', '--model'], '--model needs a value', usage);
      await refused(project, ['exec', ...base, '--json=yes', 'hi'], '--json takes no value', usage);
      await refused(project, ['exec', ...base, '--sandbox', 'yolo', 'hi'], "--sandbox must be one of read-only, workspace-write, danger-full-access, not 'yolo'", usage);
      await refused(project, ['exec', ...base, '--approval=sometimes', 'hi'], "--approval must be one of untrusted, on-request, on-failure, never, not 'sometimes'", usage);
      await refused(project, ['exec', ...base, '--stream-idle-timeout', '0', 'hi'], '--stream-idle-timeout must be a number of seconds between 0 and 3600', usage);
      await refused(project, ['exec', ...base, '--json'], 'a PROMPT is required', usage);
      assert.equal(bodies(server).length, 0, 'no request reached the model');
    });
  } finally {
    project.cleanup();
  }
});

test('tack exec: --name=value works like --name value, and a prompt may follow --', async () => {
  const project = makeProject();
  try {
    await withServer([{ text: 'Done.' }], async (server) => {
      const r = await runTack(['exec', `--base-url=${server.url}`, '--model=test-model', '--wire=responses', '--json', '--', '--say', 'hi'], project);
      assert.equal(r.code, 0, r.stderr);
      const [body] = bodies(server);
      assert.equal(body.model, 'test-model');
      assert.match(JSON.stringify(body.input), /--say hi/);
    });
  } finally {
    project.cleanup();
  }
});

test('tack mcp-server, mcp, checkpoints, rewind and apply-patch refuse bad flags the same way', async () => {
  const project = makeProject({ 'a.txt': 'a\n' });
  try {
    await refused(project, ['mcp-server', '--bogus'], "unknown option '--bogus'", /Usage: tack mcp-server \[options\]/);
    await refused(project, ['mcp-server', 'stray'], "unexpected argument 'stray'", /Usage: tack mcp-server/);
    await refused(project, ['mcp-server', '--context-window', 'big'], '--context-window must be a positive whole number of tokens', /Usage: tack mcp-server/);
    await refused(project, ['mcp', 'list', '--yes'], "unknown option '--yes'", /Usage: tack mcp list/);
    await refused(project, ['mcp', 'trust', '--json'], "unknown option '--json'", /Usage: tack mcp list/);
    await refused(project, ['mcp', 'list', '-C'], '-C needs a value', /Usage: tack mcp list/);
    await refused(project, ['checkpoints', '--dry-run'], "unknown option '--dry-run'", /Usage: tack checkpoints/);
    await refused(project, ['checkpoints', 'extra'], "unexpected argument 'extra'", /Usage: tack checkpoints/);
    await refused(project, ['rewind', 'cp1', '--session'], '--session needs a value', /Usage: tack rewind ID/);
    await refused(project, ['rewind', 'cp1', '--force'], "unknown option '--force'", /Usage: tack rewind ID/);
    await refused(project, ['apply-patch', '--bogus'], "unknown option '--bogus'", /Usage: tack apply-patch/);
    const help = spawnSync(process.execPath, [tackCli, 'rewind', '--json', '-h'], { cwd: project.dir, encoding: 'utf8' });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: tack rewind ID/);
  } finally {
    project.cleanup();
  }
});
