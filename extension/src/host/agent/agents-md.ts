// AGENTS.md files that apply to a working directory: from the repository root (the nearest ancestor
// holding .git, else the directory itself) down to the directory, root first.
import fs from 'node:fs';
import path from 'node:path';
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

export function collectAgentsMd(cwd: string): AgentsMd[] {
  const target = path.resolve(cwd);
  const root = findRepoRoot(target) ?? target;
  const dirs: string[] = [];
  for (let d = target; ; d = path.dirname(d)) {
    dirs.unshift(d);
    if (d === root || path.dirname(d) === d) break;
  }
  const found: AgentsMd[] = [];
  for (const dir of dirs) {
    const file = path.join(dir, 'AGENTS.md');
    let contents: string;
    try {
      if (!fs.statSync(file).isFile()) continue;
      contents = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    if (Buffer.byteLength(contents) > MAX_BYTES) contents = `${contents.slice(0, MAX_BYTES)}\n[AGENTS.md truncated]`;
    found.push({ dir, contents });
  }
  return found;
}
