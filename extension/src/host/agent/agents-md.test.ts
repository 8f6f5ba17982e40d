import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { AGENTS_MD_TOTAL_BYTES, collectAgentsMd, findRepoRoot } from './agents-md';

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

test('an AGENTS.md that is a symlink out of the repository, or a FIFO, is not read and is reported', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-agents-'));
  try {
    const root = path.join(base, 'repo');
    const sub = path.join(root, 'sub');
    fs.mkdirSync(path.join(root, '.git'), { recursive: true });
    fs.mkdirSync(sub);
    fs.symlinkSync('/proc/self/environ', path.join(root, 'AGENTS.md'));
    execFileSync('mkfifo', [path.join(sub, 'AGENTS.md')]);
    const refused: string[] = [];
    assert.deepEqual(collectAgentsMd(sub, (file, reason) => refused.push(`${path.relative(root, file)}: ${reason}`)), []);
    assert.equal(refused.length, 2);
    assert.match(refused[0], /^AGENTS\.md: .*outside the workspace/);
    assert.match(refused[1], /^sub\/AGENTS\.md: it is not a regular file/);
    // A long one is cut at 32 KiB with a note.
    fs.rmSync(path.join(sub, 'AGENTS.md'));
    fs.writeFileSync(path.join(sub, 'AGENTS.md'), 'y'.repeat(40 * 1024));
    const [inner] = collectAgentsMd(sub);
    assert.equal(inner.contents, `${'y'.repeat(32 * 1024)}\n[AGENTS.md truncated]`);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

test('all AGENTS.md files together stay within the total cap: deeper ones are cut, then left out and reported', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-agents-'));
  try {
    const root = path.join(base, 'repo');
    const a = path.join(root, 'a');
    const b = path.join(a, 'b');
    const c = path.join(b, 'c');
    fs.mkdirSync(path.join(root, '.git'), { recursive: true });
    fs.mkdirSync(c, { recursive: true });
    fs.writeFileSync(path.join(root, 'AGENTS.md'), 'r'.repeat(32 * 1024)); // exactly the per-file cap
    fs.writeFileSync(path.join(a, 'AGENTS.md'), 'a'.repeat(20 * 1024));
    fs.writeFileSync(path.join(b, 'AGENTS.md'), 'b'.repeat(20 * 1024)); // 12 KiB of it fit
    fs.writeFileSync(path.join(c, 'AGENTS.md'), 'c'); // nothing left
    const refused: string[] = [];
    const found = collectAgentsMd(c, (file, reason) => refused.push(`${path.relative(root, file)}: ${reason}`));
    assert.deepEqual(
      found.map((f) => [path.relative(root, f.dir), f.contents.length]),
      [
        ['', 32 * 1024],
        ['a', 20 * 1024],
        ['a/b', 12 * 1024 + '\n[AGENTS.md truncated]'.length],
      ],
    );
    assert.ok(found[2].contents.endsWith('b\n[AGENTS.md truncated]'));
    assert.equal(AGENTS_MD_TOTAL_BYTES, 64 * 1024);
    assert.equal(refused.length, 1);
    assert.match(refused[0], /^a\/b\/c\/AGENTS\.md: the AGENTS\.md files above it already take all 64 KiB/);
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
});
