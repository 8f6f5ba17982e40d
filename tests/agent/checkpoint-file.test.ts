// The Changes view's calls to the real sidecar: `checkpoint/read` (one file as a checkpoint recorded
// it, for the diff) and `checkpoint/diff` / `checkpoint/restore` narrowed to one path ("Revert File"),
// which leaves every other change alone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SidecarClient } from '../../extension/src/host/sidecar/client';
import { sidecarBin } from '../lib/paths';
import { makeProject } from './harness';

test('read one file of a checkpoint, and revert one file without touching the others', async () => {
  const project = makeProject({ 'a.txt': 'a then\n', 'b.txt': 'b then\n', 'dir/c.txt': 'c then\n' });
  fs.writeFileSync(path.join(project.dir, 'bin.dat'), Buffer.from([0xff, 0xfe, 0x00, 0x01]));
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  const storeDir = path.join(project.home, 'checkpoints');
  const root = project.dir;
  try {
    const { id } = await sidecar.checkpoint('create', { storeDir, root, session: 's', turn: 1, prompt: 'p' });
    project.write('a.txt', 'a now\n');
    project.write('b.txt', 'b now\n');
    fs.rmSync(path.join(project.dir, 'dir'), { recursive: true });
    project.write('new.txt', 'new\n');

    assert.deepEqual(await sidecar.checkpoint('read', { storeDir, root, id, path: 'a.txt' }), { kind: 'file', text: 'a then\n', binary: false });
    assert.deepEqual(await sidecar.checkpoint('read', { storeDir, root, id, path: 'new.txt' }), { kind: 'absent', binary: false });
    assert.deepEqual(await sidecar.checkpoint('read', { storeDir, root, id, path: 'bin.dat' }), { kind: 'file', binary: true });
    assert.deepEqual(await sidecar.checkpoint('read', { storeDir, root, id, path: '../../etc/passwd' }), { kind: 'absent', binary: false });

    const all = await sidecar.checkpoint('diff', { storeDir, root, id });
    assert.deepEqual(all.changes.map((c) => `${c.action} ${c.path}`), ['modify a.txt', 'modify b.txt', 'restore dir/c.txt', 'remove new.txt']);
    const one = await sidecar.checkpoint('diff', { storeDir, root, id, paths: ['a.txt'] });
    assert.deepEqual(one.changes.map((c) => `${c.action} ${c.path}`), ['modify a.txt']);

    const r = await sidecar.checkpoint('restore', { storeDir, root, id, paths: ['a.txt'] });
    assert.deepEqual(r.failed, []);
    assert.equal(project.read('a.txt'), 'a then\n');
    assert.equal(project.read('b.txt'), 'b now\n', 'the other files stay as they are');
    assert.equal(project.read('new.txt'), 'new\n');
    assert.equal(fs.existsSync(path.join(project.dir, 'dir')), false);

    // A deleted file in a deleted directory comes back with its directory; nothing else does.
    await sidecar.checkpoint('restore', { storeDir, root, id, paths: ['dir/c.txt'] });
    assert.equal(project.read('dir/c.txt'), 'c then\n');
    assert.equal(project.read('b.txt'), 'b now\n');
    await sidecar.checkpoint('restore', { storeDir, root, id, paths: ['new.txt'] });
    assert.equal(fs.existsSync(path.join(project.dir, 'new.txt')), false);
    assert.deepEqual((await sidecar.checkpoint('diff', { storeDir, root, id })).changes.map((c) => c.path), ['b.txt']);
  } finally {
    await sidecar.dispose();
    project.cleanup();
  }
});
