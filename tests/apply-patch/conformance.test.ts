// The shared apply_patch conformance scenarios, run against the real wasm engine: each patch goes
// through the built `tack apply-patch` CLI (a real process) and through the host function in this
// process; the resulting tree must match expected/ byte for byte. A scenario whose expected tree is
// its input tree is an invalid patch: exit 1, a reason, nothing changed. 015 differs on purpose (Tack
// is atomic; see NOTICE.md there).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { testCore } from './lib/core';
import { applyPatchToDir } from '../../extension/src/host/patch/apply-to-dir';
import { engines } from '../../extension/src/host/patch/engine';
import { SidecarClient } from '../../extension/src/host/sidecar/client';
import { sharedDir, sidecarBin, tackCli } from '../lib/paths';
import { copyTree, readTree, tempDir, treeDifference } from './lib/tree';

// TACK_APPLY_PATCH_SCENARIOS points elsewhere (e.g. a missing folder, to check the skip path).
const scenariosDir = process.env.TACK_APPLY_PATCH_SCENARIOS ?? path.join(sharedDir, 'conformance', 'apply-patch', 'scenarios');
const ATOMIC = '015_failure_after_partial_success_leaves_changes';

if (!fs.existsSync(scenariosDir)) {
  test('apply_patch conformance scenarios', { skip: `${scenariosDir} is absent (it exists in CI and on developer machines, not on a user's clone)` }, () => {});
} else {
  const names = fs
    .readdirSync(scenariosDir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

  test('the conformance folder holds scenarios', () => {
    assert.ok(names.length >= 20, `only ${names.length} scenarios in ${scenariosDir}`);
  });

  const eng = engines(testCore());
  const writer = new SidecarClient({ binaryPath: sidecarBin });
  after(() => writer.dispose());

  for (const name of names) {
    const dir = path.join(scenariosDir, name);
    const patch = fs.readFileSync(path.join(dir, 'patch.txt'), 'utf8');
    const input = readTree(path.join(dir, 'input'));
    const atomic = name === ATOMIC;
    // The peer's expected tree for 015 shows its partial write; Tack's is the untouched input.
    const expected = atomic ? input : readTree(path.join(dir, 'expected'));
    const shouldFail = atomic || treeDifference(expected, input) === '';
    const title = atomic
      ? `${name}: Tack is atomic, so the tree is left unchanged with a clear error (deliberately unlike the peer's partial write)`
      : `${name}: ${shouldFail ? 'rejected, tree unchanged' : 'tree matches expected/ byte for byte'}`;

    test(`${title} [tack apply-patch CLI]`, () => {
      const work = tempDir('conf');
      try {
        copyTree(path.join(dir, 'input'), work);
        const r = spawnSync(process.execPath, [tackCli, 'apply-patch', patch], { cwd: work, encoding: 'utf8' });
        const diff = treeDifference(readTree(work), expected);
        assert.equal(diff, '', `tree after the patch:\n${diff}\nstderr: ${r.stderr}`);
        if (shouldFail) {
          assert.equal(r.status, 1, `expected exit 1, stdout: ${r.stdout}`);
          assert.match(r.stderr, /^tack apply-patch: .{10,}/);
          assert.equal(r.stdout, '');
        } else {
          assert.equal(r.status, 0, r.stderr);
          assert.match(r.stdout, /^([AMD] \S.*\n)+$/);
        }
        if (atomic) assert.match(r.stderr, /missing\.txt.*does not exist/);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });

    test(`${title} [host applyPatchToDir in-process]`, async () => {
      const work = tempDir('conf');
      try {
        copyTree(path.join(dir, 'input'), work);
        let error: unknown;
        try {
          await applyPatchToDir(work, patch, { writer, eng });
        } catch (e) {
          error = e;
        }
        assert.equal(treeDifference(readTree(work), expected), '');
        assert.equal(error !== undefined, shouldFail, `error: ${String(error)}`);
      } finally {
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
  }
}
