// AGENTS.md files that apply to a working directory: from the repository root (the nearest ancestor
// holding .git, else the directory itself) down to the directory, root first.
import fs from 'node:fs';
import path from 'node:path';
import { readInsideRoot } from '../workspace-read';
import type { AgentsMd } from './types';

/** Larger files are cut: instructions that long would crowd out the task. */
const MAX_BYTES = 32 * 1024;

export function findRepoRoot(dir: string): string | undefined {
  let probe = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(probe, '.git'))) return probe;
    const parent = path.dirname(probe);
    if (parent === probe) return undefined;
    probe = parent;
  }
}

export function collectAgentsMd(cwd: string, onRefused?: (file: string, reason: string) => void): AgentsMd[] {
  const target = path.resolve(cwd);
  const root = findRepoRoot(target) ?? target;
  const dirs: string[] = [];
  for (let d = target; ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === root || path.dirname(d) === d) break;
  }
  const found: AgentsMd[] = [];
  for (const dir of dirs) {
    const one = agentsMdIn(root, dir, onRefused);
    if (one) found.push(one);
  }
  return found;
}

/**
 * `dir/AGENTS.md` read through the workspace-confined reader (no symlink out of `root`, regular files
 * only, at most MAX_BYTES read), or undefined when there is none or it is refused. A refusal is
 * reported through `onRefused` (a symlink to /proc/self/environ must not become instructions).
 */
export function agentsMdIn(root: string, dir: string, onRefused?: (file: string, reason: string) => void): AgentsMd | undefined {
  const file = path.join(dir, 'AGENTS.md');
  const read = readInsideRoot(root, file, { maxBytes: MAX_BYTES, truncate: true });
  if (!read.ok) {
    if (read.kind !== 'missing') onRefused?.(file, read.reason);
    return undefined;
  }
  let contents = new TextDecoder('utf-8').decode(read.bytes);
  if (read.truncated) contents = `${contents}\n[AGENTS.md truncated]`;
  return { dir, contents };
}
