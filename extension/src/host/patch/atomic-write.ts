// Writing a set of file changes so that they land whole or not at all: every new file is first
// written to a temp file beside its target; only when all are written are they renamed into place
// (existing files are first renamed aside, so a failure midway puts every one of them back).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { FileChange } from './engine';
import { lexicalPath, resolveInRoot, WorkspacePathError } from './workspace-files';

export class ApplyChangesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApplyChangesError';
  }
}

/** One line per file, as `tack apply-patch` prints: `A path`, `M path`, `D path`; a move prints `M <destination>`. */
export function summarizeChanges(changes: readonly FileChange[]): string[] {
  return changes.map((c) => {
    if (c.kind === 'add') return `A ${c.path}`;
    if (c.kind === 'delete') return `D ${c.path}`;
    return `M ${c.movePath ?? c.path}`;
  });
}

type Step =
  | { op: 'write'; rel: string; target: string; contents: string; temp?: string }
  | { op: 'remove'; rel: string; target: string };

export interface WriteOptions {
  /** Called before each rename of the commit phase; a throw there is handled like a failed rename (for fault-injection tests). */
  onCommitStep?: (index: number, step: { op: 'write' | 'remove'; rel: string }) => void;
}

function sideName(target: string, tag: string): string {
  const nonce = crypto.randomBytes(4).toString('hex');
  return path.join(path.dirname(target), `.${path.basename(target)}.tack-${tag}-${process.pid}-${nonce}`);
}

/** Where removing `rel` acts: the entry itself (a symlink is removed, not its target), in a real directory inside the root. */
function removalTarget(root: string, rel: string): string {
  const abs = lexicalPath(root, rel);
  const parentRel = rel.split('/').slice(0, -1).join('/');
  const parent = parentRel === '' ? fs.realpathSync(root) : resolveInRoot(root, parentRel);
  return path.join(parent, path.basename(abs));
}

function plan(root: string, changes: readonly FileChange[]): Step[] {
  const steps: Step[] = [];
  for (const c of changes) {
    if (c.kind === 'delete') {
      steps.push({ op: 'remove', rel: c.path, target: removalTarget(root, c.path) });
      continue;
    }
    if (c.newContents == null) throw new ApplyChangesError(`${c.path}: the change has no new contents`);
    const dest = c.movePath ?? c.path;
    steps.push({ op: 'write', rel: dest, target: resolveInRoot(root, dest), contents: c.newContents });
    if (c.movePath != null && c.movePath !== c.path) {
      steps.push({ op: 'remove', rel: c.path, target: removalTarget(root, c.path) });
    }
  }
  const seen = new Map<string, string>();
  for (const s of steps) {
    const earlier = seen.get(s.target);
    if (earlier !== undefined) throw new ApplyChangesError(`${s.rel}: changed twice (also as ${earlier})`);
    seen.set(s.target, s.rel);
    let st: fs.Stats | undefined;
    try {
      st = fs.lstatSync(s.target);
    } catch {
      st = undefined;
    }
    if (s.op === 'remove' && !st) throw new ApplyChangesError(`cannot delete ${s.rel}: it does not exist`);
    if (st?.isDirectory()) throw new ApplyChangesError(`cannot ${s.op === 'remove' ? 'delete' : 'write'} ${s.rel}: it is a directory`);
  }
  return steps;
}

function removeEmptyDirs(dirs: string[]): void {
  for (const d of [...dirs].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      // Not empty or already gone: leave it.
    }
  }
}

/** Creates `dir` and its missing parents; returns the ones it created, outermost first. */
function makeDirs(dir: string, created: string[]): void {
  const missing: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) missing.unshift(d);
  for (const d of missing) {
    fs.mkdirSync(d);
    created.push(d);
  }
}

/**
 * Writes every change under `root` (adds, modifications with final contents, deletions, moves), all or
 * nothing. Returns the summary lines. Throws ApplyChangesError (or WorkspacePathError) with every file
 * as it was.
 */
export function writeChangesAtomically(root: string, changes: readonly FileChange[], options: WriteOptions = {}): string[] {
  const steps = plan(root, changes);
  const createdDirs: string[] = [];
  const temps: string[] = [];
  try {
    for (const s of steps) {
      if (s.op !== 'write') continue;
      makeDirs(path.dirname(s.target), createdDirs);
      const temp = sideName(s.target, 'new');
      let mode: number | undefined;
      try {
        mode = fs.statSync(s.target).mode & 0o7777;
      } catch {
        mode = undefined;
      }
      fs.writeFileSync(temp, s.contents, { encoding: 'utf8', flag: 'wx', mode: mode ?? 0o666 });
      if (mode !== undefined) fs.chmodSync(temp, mode);
      temps.push(temp);
      s.temp = temp;
    }
  } catch (e) {
    for (const t of temps) fs.rmSync(t, { force: true });
    removeEmptyDirs(createdDirs);
    throw new ApplyChangesError(`nothing was changed: ${describe(e)}`);
  }

  // Commit: renames only. Each entry records how to undo one rename.
  const undo: Array<{ from: string; to: string } | { unlink: string }> = [];
  const backups: string[] = [];
  try {
    steps.forEach((s, i) => {
      options.onCommitStep?.(i, { op: s.op, rel: s.rel });
      if (fs.existsSync(s.target) || isSymlink(s.target)) {
        const backup = sideName(s.target, 'old');
        fs.renameSync(s.target, backup);
        undo.push({ from: backup, to: s.target });
        backups.push(backup);
      }
      if (s.op === 'write' && s.temp) {
        fs.renameSync(s.temp, s.target);
        undo.push({ unlink: s.target });
      }
    });
  } catch (e) {
    const problems: string[] = [];
    for (const u of undo.reverse()) {
      try {
        if ('unlink' in u) fs.rmSync(u.unlink, { force: true });
        else fs.renameSync(u.from, u.to);
      } catch (undoErr) {
        problems.push(describe(undoErr));
      }
    }
    for (const t of temps) fs.rmSync(t, { force: true });
    removeEmptyDirs(createdDirs);
    const tail = problems.length ? `; restoring also failed: ${problems.join('; ')}` : '';
    throw new ApplyChangesError(`nothing was changed: ${describe(e)}${tail}`);
  }
  // Every change has landed; a backup that cannot be removed is left behind rather than reported
  // as a failure of changes that did happen.
  for (const b of backups) {
    try {
      fs.rmSync(b, { force: true });
    } catch {
      // Left in place: a stray `.name.tack-old-*` file.
    }
  }
  return summarizeChanges(changes);
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

function describe(e: unknown): string {
  if (e instanceof WorkspacePathError || e instanceof ApplyChangesError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}
