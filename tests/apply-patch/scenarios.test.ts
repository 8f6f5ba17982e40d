// Tack's own apply_patch scenarios (tests/apply-patch/scenarios/*.json), one or more per rule:
// matching levels, @@ narrowing, heredoc, atomicity, path and symlink safety, line endings, moves,
// errors. Each runs through the host's applyPatchToDir with the real wasm engine and the real sidecar's
// writer on a real directory.
//
// Scenario format (JSON): description; files (workspace tree before: path -> text); optional outside
// (files in a sibling folder outside the workspace), symlinks (path -> relative target), binary
// (path -> base64); patch (text, or lines joined with "\n"); then either expect (the whole workspace
// tree after; a value "-> target" is a symlink) + summary (the A/M/D lines), or error (a substring of
// the error message; both trees must then be unchanged).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { applyPatchToDir } from '../../extension/src/host/patch/apply-to-dir';
import { engines } from '../../extension/src/host/patch/engine';
import { SidecarClient } from '../../extension/src/host/sidecar/client';
import { sidecarBin } from '../lib/paths';
import { testCore } from './lib/core';
import { readTree, tempDir, treeDifference } from './lib/tree';

interface Scenario {
  description: string;
  files?: Record<string, string>;
  outside?: Record<string, string>;
  symlinks?: Record<string, string>;
  binary?: Record<string, string>;
  patch: string | string[];
  expect?: Record<string, string>;
  summary?: string[];
  error?: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const scenarioDir = path.join(here, 'scenarios');
const eng = engines(testCore());
// The writes go through the real sidecar, as in `tack apply-patch` and the agent.
const writer = new SidecarClient({ binaryPath: sidecarBin });
after(() => writer.dispose());

function writeFiles(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, contents] of Object.entries(files)) {
    const p = path.join(root, ...rel.split('/'));
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, contents);
  }
}

function expectedTree(files: Record<string, string>): Map<string, Buffer | string> {
  return new Map(Object.entries(files).map(([k, v]) => [k, v.startsWith('-> ') ? v : Buffer.from(v, 'utf8')]));
}

const files = fs.readdirSync(scenarioDir).filter((f) => f.endsWith('.json')).sort();

test('Tack has its own apply_patch scenarios', () => {
  assert.ok(files.length >= 30, `only ${files.length} scenarios`);
});

for (const file of files) {
  const sc = JSON.parse(fs.readFileSync(path.join(scenarioDir, file), 'utf8')) as Scenario;
  test(`${file.replace(/\.json$/, '')}: ${sc.description}`, async () => {
    const base = tempDir('own');
    const ws = path.join(base, 'ws');
    const outside = path.join(base, 'outside');
    try {
      fs.mkdirSync(ws);
      fs.mkdirSync(outside);
      writeFiles(ws, sc.files ?? {});
      writeFiles(outside, sc.outside ?? {});
      writeFiles(ws, Object.fromEntries(Object.entries(sc.binary ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')])));
      for (const [rel, target] of Object.entries(sc.symlinks ?? {})) {
        fs.symlinkSync(target, path.join(ws, ...rel.split('/')));
      }
      const before = readTree(ws);
      const outsideBefore = readTree(outside);
      const patch = Array.isArray(sc.patch) ? sc.patch.join('\n') : sc.patch;

      if (sc.error !== undefined) {
        await assert.rejects(applyPatchToDir(ws, patch, { writer, eng }), (e: Error) => {
          assert.ok(e.message.includes(sc.error!), `error was: ${e.message}`);
          return true;
        });
        assert.equal(treeDifference(readTree(ws), before), '', 'the workspace must be unchanged');
      } else {
        const { summary } = await applyPatchToDir(ws, patch, { writer, eng });
        assert.equal(treeDifference(readTree(ws), expectedTree(sc.expect ?? {})), '');
        assert.deepEqual(summary, sc.summary);
      }
      assert.equal(treeDifference(readTree(outside), outsideBefore), '', 'nothing outside the workspace changes');
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
}
