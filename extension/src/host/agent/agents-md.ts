// AGENTS.md files that apply to a working directory: from the repository root (the nearest ancestor
// holding .git, else the directory itself) down to the directory, root first. The one collector for
// the CLI and VS Code.
import fs from 'node:fs';
import path from 'node:path';
import { readInsideRoot } from '../workspace-read';
import type { AgentsMd } from './types';

/** Larger files are cut: instructions that long would crowd out the task. */
const MAX_BYTES = 32 * 1024;
/** All the files together: deeper files are cut (or left out) past this. */
export const AGENTS_MD_TOTAL_BYTES = 64 * 1024;

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
  let budget = AGENTS_MD_TOTAL_BYTES;
  for (const dir of dirs) {
    const one = readAgentsMd(root, dir, Math.min(MAX_BYTES, budget), onRefused);
    if (!one) continue;
    if (one.bytes === 0 && one.cut) {
      onRefused?.(path.join(dir, 'AGENTS.md'), `the AGENTS.md files above it already take all ${AGENTS_MD_TOTAL_BYTES / 1024} KiB the AGENTS.md files may use together`);
      continue;
    }
    budget -= one.bytes;
    found.push(one.agentsMd);
  }
  return found;
}

/**
 * `dir/AGENTS.md` read through the workspace-confined reader (no symlink out of `root`, regular files
 * only, at most `maxBytes` read: a longer file is cut with a note), or undefined when there is none
 * or it is refused. A refusal is reported through `onRefused` (a symlink to /proc/self/environ must
 * not become instructions).
 */
function readAgentsMd(
  root: string,
  dir: string,
  maxBytes: number,
  onRefused?: (file: string, reason: string) => void,
): { agentsMd: AgentsMd; bytes: number; cut: boolean } | undefined {
  const file = path.join(dir, 'AGENTS.md');
  const read = readInsideRoot(root, file, { maxBytes, truncate: true });
  if (!read.ok) {
    if (read.kind !== 'missing') onRefused?.(file, read.reason);
    return undefined;
  }
  let contents = new TextDecoder('utf-8').decode(read.bytes);
  if (read.truncated) contents = `${contents}\n[AGENTS.md truncated]`;
  return { agentsMd: { dir, contents }, bytes: read.bytes.length, cut: read.truncated };
}
