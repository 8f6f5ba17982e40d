// `tack exec` end to end with a model that tries to plant code where git runs it later (.git/config,
// hooks, a submodule's .git, a gitfile's target, through a symlink), to write in a read-only sandbox,
// and to write through a symlink leading out: every patch is refused with a message the model reads,
// nothing lands, and a real `git status` afterwards runs no planted fsmonitor.
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON is explored by the assertions themselves */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tackCli } from '../lib/paths';
import { bodies, completedItems, makeProject, runTack, toolOutputs, withServer, type Project } from './harness';

function patchAdding(file: string, lines: string[]): string {
  return ['*** Begin Patch', `*** Add File: ${file}`, ...lines.map((l) => `+${l}`), '*** End Patch', ''].join('\n');
}

function patchUpdating(file: string, from: string, to: string[]): string {
  return ['*** Begin Patch', `*** Update File: ${file}`, '@@', `-${from}`, ...to.map((l) => `+${l}`), '*** End Patch', ''].join('\n');
}

function git(cwd: string, args: string[], home: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: home, GIT_CONFIG_NOSYSTEM: '1', GIT_CEILING_DIRECTORIES: path.dirname(cwd) },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` with its contents (symlinks as "-> target"), for before/after comparisons. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p);
      if (e.isSymbolicLink()) out[rel] = `-> ${fs.readlinkSync(p)}`;
      else if (e.isDirectory()) {
        out[`${rel}/`] = '';
        walk(p);
      } else out[rel] = fs.readFileSync(p, 'latin1');
    }
  };
  walk(dir);
  return out;
}

/** A real repository with a submodule-like nested repo, a gitfile worktree and a symlink to .git. */
function gitProject(): { project: Project; canary: string } {
  const project = makeProject({ 'a.txt': 'a\n' });
  fs.rmSync(path.join(project.dir, '.git'), { recursive: true, force: true });
  const home = project.home;
  assert.equal(git(project.dir, ['init', '-q'], home).status, 0);
  fs.mkdirSync(path.join(project.dir, 'sub'));
  assert.equal(git(path.join(project.dir, 'sub'), ['init', '-q'], home).status, 0);
  fs.mkdirSync(path.join(project.dir, 'wt'));
  assert.equal(git(path.join(project.dir, 'wt'), ['init', '-q', '--separate-git-dir', path.join(project.dir, 'store')], home).status, 0);
  fs.symlinkSync('.git', path.join(project.dir, 'gitlink'));
  return { project, canary: path.join(path.dirname(project.dir), 'canary') };
}

test('apply_patch never writes into .git or any git directory, under every approval policy; git status runs nothing planted', async () => {
  const { project, canary } = gitProject();
  try {
    const fsmonitor = ['[core]', `\tfsmonitor = "touch ${canary}; false"`];
    const hook = ['#!/bin/sh', `touch ${canary}`];
    const attempts: Array<[string, string]> = [
      ['.git/config', patchAdding('.git/config', fsmonitor)],
      ['.git/hooks/pre-commit', patchAdding('.git/hooks/pre-commit', hook)],
      ['sub/.git/config', patchAdding('sub/.git/config', fsmonitor)],
      ['.GIT/config', patchAdding('.GIT/config', fsmonitor)],
      ['gitlink/config', patchAdding('gitlink/config', fsmonitor)],
      ['store/config', patchAdding('store/config', fsmonitor)],
      ['store/hooks/post-checkout', patchAdding('store/hooks/post-checkout', hook)],
      ['wt/.git', patchUpdating('wt/.git', `gitdir: ${path.join(project.dir, 'store')}`, ['gitdir: ../elsewhere'])],
    ];
    const before = snapshot(project.dir);
    for (const approval of ['never', 'on-request', 'on-failure', 'untrusted']) {
      await withServer(
        [{ toolCalls: attempts.map(([, patch], i) => ({ name: 'apply_patch', callId: `p${i}`, kind: 'custom' as const, input: patch })) }, { text: 'done' }],
        async (server) => {
          const r = await runTack(['exec', '--json', '--sandbox', 'workspace-write', '--approval', approval, '--base-url', server.url, 'configure git'], project);
          assert.equal(r.code, 0, r.stderr);
          const outs = toolOutputs(bodies(server)[1]);
          attempts.forEach(([file], i) => {
            const out = outs.get(`p${i}`) ?? '';
            assert.match(out, /git/i, `${approval} ${file}: ${out}`);
            assert.doesNotMatch(out, /^Success/, `${approval} ${file}: ${out}`);
          });
          assert.ok(completedItems(r.events, 'file_change').every((c: any) => c.status !== 'completed'));
        },
      );
      assert.deepEqual(snapshot(project.dir), before, `nothing changed (--approval ${approval})`);
    }
    for (const dir of [project.dir, path.join(project.dir, 'sub'), path.join(project.dir, 'wt')]) {
      const st = git(dir, ['status', '--short'], project.home);
      assert.equal(st.status, 0, st.stderr);
    }
    assert.equal(fs.existsSync(canary), false, 'no planted command ran');
  } finally {
    project.cleanup();
  }
});

test('the canary is real: the same fsmonitor written by hand does run on git status', () => {
  const { project, canary } = gitProject();
  try {
    fs.appendFileSync(path.join(project.dir, '.git', 'config'), `[core]\n\tfsmonitor = "touch ${canary}; false"\n`);
    git(project.dir, ['status', '--short'], project.home);
    assert.equal(fs.existsSync(canary), true, 'git ran core.fsmonitor');
  } finally {
    project.cleanup();
  }
});

test('read-only with --approval never: apply_patch is refused, nothing is written, the model is told why', async () => {
  const project = makeProject({ 'a.txt': 'a\n' });
  try {
    const before = snapshot(project.dir);
    await withServer(
      [
        {
          toolCalls: [
            { name: 'apply_patch', callId: 'p1', kind: 'custom', input: patchUpdating('a.txt', 'a', ['A']) },
            { name: 'apply_patch', callId: 'p2', kind: 'custom', input: patchAdding('new.txt', ['new']) },
          ],
        },
        { text: 'cannot' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--sandbox', 'read-only', '--approval', 'never', '--base-url', server.url, 'edit'], project);
        assert.equal(r.code, 0, r.stderr);
        const outs = toolOutputs(bodies(server)[1]);
        for (const id of ['p1', 'p2']) assert.match(outs.get(id) ?? '', /read-only/, `${id}: ${outs.get(id)}`);
      },
    );
    assert.deepEqual(snapshot(project.dir), before);
  } finally {
    project.cleanup();
  }
});

test('a symlink leading out of the workspace is not written through', async () => {
  const project = makeProject({ 'a.txt': 'a\n' });
  const outside = path.join(path.dirname(project.dir), 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'keep.txt'), 'keep\n');
  fs.symlinkSync(outside, path.join(project.dir, 'out'));
  try {
    const before = snapshot(project.dir);
    await withServer(
      [{ toolCalls: [{ name: 'apply_patch', callId: 'p1', kind: 'custom', input: patchAdding('out/planted.txt', ['x']) }] }, { text: 'ok' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'plant'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.match(toolOutputs(bodies(server)[1]).get('p1') ?? '', /outside/);
      },
    );
    assert.deepEqual(snapshot(project.dir), before);
    assert.deepEqual(fs.readdirSync(outside), ['keep.txt']);
  } finally {
    project.cleanup();
  }
});

test('tack apply-patch (the person\'s own command) uses the same writer: .git refused, ordinary files written', () => {
  const { project } = gitProject();
  try {
    // A path through the project's `gitlink -> .git`: the patch parser sees an ordinary name, the
    // writer sees `.git`.
    const before = snapshot(project.dir);
    const bad = spawnSync(process.execPath, [tackCli, 'apply-patch', patchAdding('gitlink/hooks/pre-commit', ['#!/bin/sh', 'true'])], { cwd: project.dir, encoding: 'utf8' });
    assert.equal(bad.status, 1, bad.stderr);
    assert.match(bad.stderr, /^tack apply-patch: nothing was written: gitlink\/hooks\/pre-commit: .*git/);
    assert.deepEqual(snapshot(project.dir), before);
    // A path naming `.git` itself is refused earlier, by the patch parser, with the same outcome.
    const direct = spawnSync(process.execPath, [tackCli, 'apply-patch', patchAdding('.git/hooks/pre-commit', ['#!/bin/sh', 'true'])], { cwd: project.dir, encoding: 'utf8' });
    assert.equal(direct.status, 1, direct.stderr);
    assert.match(direct.stderr, /\.git\/hooks\/pre-commit.*git/);
    assert.deepEqual(snapshot(project.dir), before);
    const good = spawnSync(process.execPath, [tackCli, 'apply-patch', patchUpdating('a.txt', 'a', ['A'])], { cwd: project.dir, encoding: 'utf8' });
    assert.equal(good.status, 0, good.stderr);
    assert.equal(good.stdout, 'M a.txt\n');
    assert.equal(project.read('a.txt'), 'A\n');
  } finally {
    project.cleanup();
  }
});
