// "Review Uncommitted Changes" against a real repository whose configuration names programs: an
// fsmonitor hook, a textconv, an external diff, a clean/process filter, a work tree elsewhere. Real
// git, directly (so the canary could write its log) and through the real sidecar in its read-only
// sandbox (as VS Code runs it).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { SidecarClient } from '../host/sidecar';
import { uncommittedDiff, type GitRunner } from './git-diff';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tack-gitdiff-')));
after(() => fs.rmSync(base, { recursive: true, force: true }));

const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, encoding: 'utf8' });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** A repository with one committed and then changed file, and a config full of canaries. */
function hostileRepo(name: string): { repo: string; canaryLog: string } {
  const repo = path.join(base, name);
  const elsewhere = path.join(base, `${name}-elsewhere`);
  const canaryLog = path.join(base, `${name}-canary.log`);
  fs.mkdirSync(repo);
  fs.mkdirSync(elsewhere);
  git(repo, 'init', '-q');
  fs.writeFileSync(path.join(repo, 'notes.txt'), 'committed line\n');
  fs.writeFileSync(path.join(repo, '.gitattributes'), '*.txt diff=conv filter=cl\n');
  git(repo, 'add', '.');
  git(repo, 'commit', '-qm', 'base');
  fs.writeFileSync(path.join(repo, 'notes.txt'), 'committed line\nUNCOMMITTED_MARKER line\n');
  // The canary logs that it ran, then behaves like `cat` (so a textconv would show up as CANARY text).
  const canary = path.join(base, `${name}-canary.sh`);
  fs.writeFileSync(canary, `#!/bin/sh\necho "$0 $*" >> '${canaryLog}'\necho CANARY_OUTPUT\ncat\n`, { mode: 0o755 });
  // Out in another tree: what core.worktree would make git read and show.
  fs.writeFileSync(path.join(elsewhere, 'notes.txt'), 'SECRET_FROM_ELSEWHERE\n');
  for (const [k, v] of [
    ['core.fsmonitor', `${canary} fsmonitor`],
    ['diff.conv.textconv', `${canary} textconv`],
    ['diff.conv.command', `${canary} command`],
    ['diff.external', `${canary} external`],
    ['filter.cl.clean', `${canary} clean`],
    ['filter.cl.process', `${canary} process`],
    ['filter.cl.required', 'true'],
    ['core.pager', `${canary} pager`],
    ['core.sshCommand', `${canary} ssh`],
  ]) git(repo, 'config', k!, v!);
  // Stat information no longer matches: git must look at the file again (where a clean filter runs).
  fs.utimesSync(path.join(repo, 'notes.txt'), new Date(2001, 1, 1), new Date(2001, 1, 1));
  return { repo, canaryLog };
}

const direct: GitRunner = (argv, cwd) =>
  new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });

test('control: plain `git diff HEAD` in that repository runs the canary', () => {
  const { repo, canaryLog } = hostileRepo('control');
  spawnSync('git', ['diff', 'HEAD'], { cwd: repo, encoding: 'utf8' });
  assert.ok(fs.existsSync(canaryLog), 'the hostile config really does run programs');
  assert.match(fs.readFileSync(canaryLog, 'utf8'), /fsmonitor/);
});

test('the diff is produced and nothing the config names runs', async () => {
  const { repo, canaryLog } = hostileRepo('direct');
  const diff = await uncommittedDiff(repo, direct);
  assert.match(diff, /^\+UNCOMMITTED_MARKER line$/m);
  assert.ok(!diff.includes('CANARY_OUTPUT'), 'no textconv, external diff or filter output');
  assert.ok(!fs.existsSync(canaryLog), `the canary ran: ${fs.existsSync(canaryLog) ? fs.readFileSync(canaryLog, 'utf8') : ''}`);
  // From a subfolder of the repository too.
  fs.mkdirSync(path.join(repo, 'sub'));
  assert.match(await uncommittedDiff(path.join(repo, 'sub'), direct), /^\+UNCOMMITTED_MARKER line$/m);
  assert.ok(!fs.existsSync(canaryLog));
});

test('core.worktree pointing elsewhere does not make git read files outside the repository', async () => {
  const { repo } = hostileRepo('worktree');
  git(repo, 'config', 'core.worktree', path.join(base, 'worktree-elsewhere'));
  const diff = await uncommittedDiff(repo, direct);
  assert.ok(!diff.includes('SECRET_FROM_ELSEWHERE'), 'the diff stays in the workspace');
  assert.match(diff, /^\+UNCOMMITTED_MARKER line$/m);
});

test('a filter driver whose name could smuggle a value is refused with a clear error', async () => {
  const { repo, canaryLog } = hostileRepo('oddname');
  git(repo, 'config', 'filter.x=y.clean', 'true');
  await assert.rejects(uncommittedDiff(repo, direct), /filter driver with an unusual name/);
  assert.ok(!fs.existsSync(canaryLog));
});

test('not a repository: a clear error', async () => {
  const plain = path.join(base, 'plain');
  fs.mkdirSync(plain);
  await assert.rejects(uncommittedDiff(plain, direct), /not inside a git repository/);
});

test('through the real sidecar, read-only sandboxed, as VS Code runs it', async (t) => {
  const { repo, canaryLog } = hostileRepo('sidecar');
  const client = new SidecarClient();
  t.after(() => client.dispose());
  const viaSidecar: GitRunner = async (argv, cwd) => {
    let stdout = '';
    let stderr = '';
    const h = await client.exec({ argv, cwd, tty: false, timeoutMs: 30_000, sandbox: { mode: 'read-only', writableRoots: [], network: false } }, (n) => {
      if (n.stream === 'stderr') stderr += n.text;
      else stdout += n.text;
    });
    const done = await h.exited;
    return { code: done.exitCode, stdout, stderr };
  };
  const diff = await uncommittedDiff(repo, viaSidecar);
  assert.match(diff, /^\+UNCOMMITTED_MARKER line$/m);
  assert.ok(!diff.includes('CANARY_OUTPUT'));
  assert.ok(!fs.existsSync(canaryLog));
});
