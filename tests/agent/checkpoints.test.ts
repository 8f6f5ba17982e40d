// Checkpoints end to end: `tack exec` with the scripted model server, whose commands write, delete,
// rename and chmod files and whose patch edits and adds files; the turn's checkpoint is announced
// before its first change and noted in the session file; `tack checkpoints` lists it; after the
// person edits a file, `tack rewind` restores the tree byte for byte with modes, keeps the person's
// version, and the repository's .git (objects, refs, index) is byte-identical throughout.
/* eslint-disable @typescript-eslint/no-explicit-any -- printed JSON is explored by the assertions themselves */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { completedItems, makeProject, runTack, withServer, type Project } from './harness';

/** Every file, link and directory under `dir` (skipping `skip`): path -> kind, mode, content hash. */
function snapshot(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (skip.includes(r)) continue;
      const abs = path.join(dir, r);
      const st = fs.lstatSync(abs);
      if (st.isSymbolicLink()) out[r] = `link ${fs.readlinkSync(abs)}`;
      else if (st.isDirectory()) {
        out[r] = 'dir';
        walk(r);
      } else out[r] = `file ${(st.mode & 0o7777).toString(8)} ${createHash('sha256').update(fs.readFileSync(abs)).digest('hex')}`;
    }
  };
  walk('');
  return out;
}

function git(project: Project, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'init.defaultBranch=main', ...args], {
    cwd: project.dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: project.home },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

const BINARY = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff));

function makeRepo(): Project {
  const project = makeProject({
    'keep.txt': 'untouched\n',
    'edit-me.txt': 'line one\nline two\n',
    'delete-me.txt': 'gone soon\n',
    'rename-me.txt': 'moving\n',
    'script.sh': '#!/bin/sh\necho hi\n',
    '.gitignore': 'build/\n',
  });
  fs.writeFileSync(path.join(project.dir, 'bin.dat'), BINARY);
  fs.chmodSync(path.join(project.dir, 'script.sh'), 0o755);
  fs.rmSync(path.join(project.dir, '.git'), { recursive: true });
  git(project, 'init', '-q');
  git(project, 'add', '-A');
  git(project, 'commit', '-qm', 'start');
  fs.mkdirSync(path.join(project.dir, 'build'));
  fs.writeFileSync(path.join(project.dir, 'build', 'out.o'), 'artefact');
  return project;
}

const PATCH = [
  '*** Begin Patch',
  '*** Update File: edit-me.txt',
  '@@',
  '-line two',
  '+line two, by the agent',
  '*** Add File: added.txt',
  '+added by the agent',
  '*** End Patch',
  '',
].join('\n');

const WRITES =
  'cat keep.txt && rm delete-me.txt && mv rename-me.txt renamed.txt && chmod -x script.sh && ' +
  "printf '\\001\\002' >> bin.dat && mkdir -p made/deep && echo new > made/deep/n.txt && echo v2 > build/out.o";

test('a turn is checkpointed before its first change, listed, and rewound byte for byte without touching .git', async () => {
  const project = makeRepo();
  try {
    const before = snapshot(project.dir, ['.git']);
    const gitBefore = snapshot(path.join(project.dir, '.git'));
    await withServer(
      [
        { toolCalls: [{ name: 'exec_command', callId: 'look', arguments: { cmd: 'ls' } }] },
        { toolCalls: [{ name: 'exec_command', callId: 'write', arguments: { cmd: WRITES } }] },
        { toolCalls: [{ name: 'apply_patch', callId: 'patch', kind: 'custom', input: PATCH }] },
        { text: 'Done.' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'tidy up\nand more'], project);
        assert.equal(r.code, 0, r.stderr);
        const commands = completedItems(r.events, 'command_execution');
        assert.ok(commands.every((c) => c.exit_code === 0), JSON.stringify(commands));
        assert.equal(project.read('added.txt'), 'added by the agent\n');

        // One checkpoint, announced after the read-only `ls` and before the first command that writes.
        const types = r.events.map((e) => (e.type === 'item.started' ? `${e.type}:${e.item.id}` : e.type));
        const created = r.events.filter((e) => e.type === 'checkpoint.created');
        assert.equal(created.length, 1, types.join(' '));
        const id = created[0].id as string;
        assert.match(id, /^\d+-[0-9a-f]{6}$/);
        const at = r.events.indexOf(created[0]);
        // (The core shows a command as started before the host runs it; the checkpoint is taken in between.)
        const completedAt = (cmd: RegExp) => r.events.findIndex((e) => e.type === 'item.completed' && e.item.type === 'command_execution' && cmd.test(e.item.command));
        assert.ok(completedAt(/\bls'?$/) >= 0 && completedAt(/\bls'?$/) < at, `the read-only ls needs no checkpoint: ${types.join(' ')}`);
        assert.ok(at < completedAt(/rm delete-me\.txt/), `the checkpoint comes before the writing command: ${types.join(' ')}`);
        // The session file notes the checkpoint against the turn.
        const sessionsDir = path.join(project.home, 'sessions');
        const files = fs.readdirSync(sessionsDir, { recursive: true }).map(String).filter((f) => f.endsWith('.jsonl'));
        const lines = files.flatMap((f) => fs.readFileSync(path.join(sessionsDir, f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)));
        assert.deepEqual(lines.filter((l) => l.type === 'checkpoint'), [{ type: 'checkpoint', id }]);

        // The person edits a file the agent also edited.
        project.write('edit-me.txt', 'line one\nthe person rewrote this\n');
        const afterPerson = snapshot(project.dir, ['.git']);

        const list = await runTack(['checkpoints', '--json', '-C', project.dir], project);
        assert.equal(list.code, 0, list.stderr);
        const [cp] = list.events[0].checkpoints;
        assert.equal(cp.id, id);
        assert.equal(cp.prompt, 'tidy up\nand more');
        assert.equal(cp.finished, true);
        assert.equal(cp.changed, 8);

        const dry = await runTack(['rewind', id, '--dry-run', '--json', '-C', project.dir], project);
        assert.equal(dry.code, 0, dry.stderr);
        assert.deepEqual(snapshot(project.dir, ['.git']), afterPerson, 'a dry run changes nothing');
        const plan = Object.fromEntries(dry.events[0].changes.map((c: any) => [c.path, `${c.action}${c.personEdited ? ' person' : ''}`]));
        assert.deepEqual(plan, {
          'added.txt': 'remove',
          'bin.dat': 'modify',
          'delete-me.txt': 'restore',
          'edit-me.txt': 'modify person',
          'made/deep/n.txt': 'remove',
          'rename-me.txt': 'restore',
          'renamed.txt': 'remove',
          'script.sh': 'mode',
        });
        assert.match(dry.stderr, /revert +edit-me\.txt +\(changed after the agent's turn: a copy will be kept\)/);

        const noYes = await runTack(['rewind', id, '--json', '-C', project.dir], project);
        assert.equal(noYes.code, 2);
        assert.match(noYes.stderr, /pass --yes/);

        const rw = await runTack(['rewind', id, '--yes', '--json', '-C', project.dir], project);
        assert.equal(rw.code, 0, rw.stderr);
        const result = rw.events[0];
        assert.deepEqual(result.failed, []);
        assert.deepEqual(snapshot(project.dir, ['.git', 'build']), Object.fromEntries(Object.entries(before).filter(([k]) => !k.startsWith('build'))));
        assert.equal(fs.readFileSync(path.join(project.dir, 'bin.dat')).compare(BINARY), 0);
        assert.equal(fs.statSync(path.join(project.dir, 'script.sh')).mode & 0o777, 0o755);
        assert.equal(project.read('build/out.o'), 'v2\n', 'ignored files are neither recorded nor restored');
        assert.equal(result.kept.length, 1);
        assert.equal(result.kept[0].path, 'edit-me.txt');
        assert.equal(fs.readFileSync(result.kept[0].copy, 'utf8'), 'line one\nthe person rewrote this\n');
        assert.ok(result.kept[0].copy.startsWith(path.join(project.home, 'checkpoints')));
        assert.match(rw.stderr, /To undo this rewind: tack rewind \d+-[0-9a-f]{6}/);

        // .git: objects, refs, index, config: byte-identical; git agrees the tree is the commit's.
        assert.deepEqual(snapshot(path.join(project.dir, '.git')), gitBefore);
        // (git status itself may refresh the index's stat data, so it runs after the comparison.)
        assert.equal(git(project, 'status', '--porcelain'), '');
      },
    );
  } finally {
    project.cleanup();
  }
});

test('a turn that only reads makes no checkpoint', async () => {
  const project = makeProject({ 'a.txt': 'a\n' });
  try {
    await withServer(
      [{ toolCalls: [{ name: 'exec_command', callId: 'c', arguments: { cmd: 'cat a.txt' } }] }, { text: 'It says a.' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'read a'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.deepEqual(r.events.filter((e) => e.type === 'checkpoint.created'), []);
        const list = await runTack(['checkpoints', '--json', '-C', project.dir], project);
        assert.deepEqual(list.events[0].checkpoints, []);
      },
    );
  } finally {
    project.cleanup();
  }
});
