import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { collectAgentsMd, findRepoRoot } from './agents-md';

test('AGENTS.md files are collected from the repository root down to the working directory', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-agents-'));
  try {
    const root = path.join(base, 'repo');
    const sub = path.join(root, 'pkg', 'inner');
    fs.mkdirSync(path.join(root, '.git'), { recursive: true });
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(base, 'AGENTS.md'), 'outside the repo: ignored');
    fs.writeFileSync(path.join(root, 'AGENTS.md'), 'root rules');
    fs.writeFileSync(path.join(sub, 'AGENTS.md'), 'inner rules');
    fs.mkdirSync(path.join(root, 'pkg', 'AGENTS.md')); // a directory by that name is skipped
    assert.equal(findRepoRoot(sub), root);
    assert.deepEqual(collectAgentsMd(sub), [
      { dir: root, contents: 'root rules' },
      { dir: sub, contents: 'inner rules' },
    ]);
    // Outside any repository only the directory itself counts.
    assert.deepEqual(collectAgentsMd(base), [{ dir: base, contents: 'outside the repo: ignored' }]);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
