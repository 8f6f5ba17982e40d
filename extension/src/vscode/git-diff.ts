// "Review Uncommitted Changes": `git diff HEAD` of the workspace, without running anything the
// repository's configuration names (no `vscode` here, so it is tested under node with real git).
//
// A repository's `.git/config` is content the person did not write (a downloaded archive, a shared
// folder). Git runs programs it names: `core.fsmonitor` on every index refresh, `diff.<driver>.textconv`
// and `diff.external`/`diff.<driver>.command` for diffs, `filter.<driver>.clean`/`.process` for
// worktree files, `core.sshCommand` and credential helpers for a lazy fetch in a partial clone. Here
// they are all switched off on the command line (which outranks every config file), and the work tree
// is pinned to the folder that holds `.git`, so `core.worktree` cannot point git at files elsewhere.
// System and global configuration are the administrator's and the person's own: they stay, but the
// same overrides apply to them.
import fs from 'node:fs';
import path from 'node:path';

export interface GitResult {
  code: number | null;
  stdout: string;
  stderr: string;
}
/** Runs git (argv[0] is `git`) in `cwd`; in VS Code through the sidecar, read-only sandboxed. */
export type GitRunner = (argv: string[], cwd: string) => Promise<GitResult>;

/** The folder holding `.git` (a directory or a gitfile), from `folder` upwards. */
export function findRepoRoot(folder: string): string | undefined {
  for (let dir = path.resolve(folder); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, '.git'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** `-c` overrides that keep git from running anything a config file names. */
export function safeConfigArgs(filterDrivers: readonly string[]): string[] {
  const c = (kv: string) => ['-c', kv];
  return [
    ...c('core.fsmonitor=false'),
    ...c('core.hooksPath=/dev/null'),
    ...c('core.pager=cat'),
    ...c('diff.external='),
    ...c('diff.submodule=short'),
    ...c('core.sshCommand=false'),
    ...c('core.askPass='),
    ...c('credential.helper='),
    ...c('protocol.allow=never'),
    ...filterDrivers.flatMap((d) => [
      ...c(`filter.${d}.clean=`),
      ...c(`filter.${d}.smudge=`),
      ...c(`filter.${d}.process=`),
      ...c(`filter.${d}.required=false`),
    ]),
  ];
}

/** The filter drivers any config file defines (reading config runs nothing). */
async function filterDrivers(run: GitRunner, cwd: string, location: string[]): Promise<string[]> {
  const r = await run(['git', ...location, 'config', '-z', '--name-only', '--get-regexp', '^filter\\.'], cwd);
  // Exit 1: no such keys.
  if (r.code !== 0) return [];
  const names = new Set<string>();
  for (const key of r.stdout.split('\0')) {
    const m = /^filter\.(.+)\.[^.]+$/s.exec(key);
    if (m) names.add(m[1]!);
  }
  for (const n of names) {
    // `-c` splits at the first `=`; a name that could smuggle a value in is refused.
    if (/[=\n\0]/.test(n)) throw new Error(`the repository's git configuration defines a filter driver with an unusual name (${JSON.stringify(n)}); Tack does not run git there`);
  }
  return [...names];
}

/**
 * `git diff HEAD` (or, before the first commit, against the index) of the repository holding
 * `folder`, text only: no external diff, no textconv, no colour. Throws with git's own words when git fails.
 */
export async function uncommittedDiff(folder: string, run: GitRunner): Promise<string> {
  const top = findRepoRoot(folder);
  if (!top) throw new Error(`${folder} is not inside a git repository`);
  const location = [`--git-dir=${path.join(top, '.git')}`, `--work-tree=${top}`];
  const drivers = await filterDrivers(run, folder, location);
  const base = ['git', '--no-pager', ...safeConfigArgs(drivers), ...location, 'diff', '--no-color', '--no-ext-diff', '--no-textconv', '--ignore-submodules=dirty'];
  let r = await run([...base, 'HEAD', '--'], folder);
  // A repository without commits yet has no HEAD: compare with the index instead.
  if (r.code !== 0) r = await run([...base, '--'], folder);
  if (r.code !== 0) {
    const why = r.stderr.trim().split('\n').slice(-3).join(' ') || `exit ${r.code}`;
    throw new Error(`git diff failed: ${why}`);
  }
  return r.stdout;
}
