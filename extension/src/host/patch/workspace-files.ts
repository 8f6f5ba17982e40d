// Reading the files a patch names, relative to a workspace root, with the safety rules: relative paths
// only, no `..` escape, no symlink leading out of the root, text only (UTF-8 without NUL bytes).
import fs from 'node:fs';
import path from 'node:path';
import { readInsideRoot } from '../workspace-read';
import type { FileMap, FileState } from './engine';

/** Files bigger than this are not read as text (a patch target that size is almost surely data). */
export const MAX_TEXT_FILE_BYTES = 16 * 1024 * 1024;

export class WorkspacePathError extends Error {
  constructor(
    readonly relPath: string,
    reason: string,
  ) {
    super(`${relPath}: ${reason}`);
    this.name = 'WorkspacePathError';
  }
}

function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Lexically checks a workspace-relative path and returns its absolute path under `root`. */
export function lexicalPath(root: string, relPath: string): string {
  if (relPath === '' || relPath.includes('\0')) throw new WorkspacePathError(relPath, 'not a valid path');
  if (path.isAbsolute(relPath) || path.win32.isAbsolute(relPath) || relPath.startsWith('~')) {
    throw new WorkspacePathError(relPath, 'absolute paths are not allowed; paths must be relative to the workspace root');
  }
  const abs = path.resolve(root, ...relPath.split('/'));
  if (!isInside(path.resolve(root), abs) || abs === path.resolve(root)) {
    throw new WorkspacePathError(relPath, 'the path leads outside the workspace root');
  }
  return abs;
}

/** The real path of `abs` if it exists, else of its deepest existing ancestor joined with the rest. */
function realPathOrAncestor(abs: string): string {
  let probe = abs;
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(fs.realpathSync(probe), ...rest);
    } catch {
      const parent = path.dirname(probe);
      if (parent === probe) return abs;
      rest.unshift(path.basename(probe));
      probe = parent;
    }
  }
}

/**
 * Where writing `relPath` would really land: the lexical path with every existing symlink resolved.
 * Throws WorkspacePathError when that leaves the root.
 */
export function resolveInRoot(root: string, relPath: string): string {
  const abs = lexicalPath(root, relPath);
  const realRoot = fs.realpathSync(root);
  let lst: fs.Stats | undefined;
  try {
    lst = fs.lstatSync(abs);
  } catch {
    lst = undefined;
  }
  if (lst?.isSymbolicLink()) {
    let target: string;
    try {
      target = fs.realpathSync(abs);
    } catch {
      // Dangling: writing through it would create its target, wherever that is.
      target = realPathOrAncestor(path.resolve(path.dirname(abs), fs.readlinkSync(abs)));
    }
    if (!isInside(realRoot, target)) {
      throw new WorkspacePathError(relPath, 'it is a symbolic link leading outside the workspace');
    }
    return target;
  }
  const real = realPathOrAncestor(abs);
  if (!isInside(realRoot, real)) {
    throw new WorkspacePathError(relPath, 'a symbolic link in the path leads outside the workspace');
  }
  return real;
}

function decodeText(bytes: Buffer): { ok: true; text: string } | { ok: false; reason: string } {
  if (bytes.includes(0)) return { ok: false, reason: 'it is a binary file (it contains NUL bytes)' };
  try {
    // ignoreBOM keeps a byte-order mark in the text, so it is written back unchanged.
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    return { ok: false, reason: 'it is not valid UTF-8 text' };
  }
}

/** The state of one workspace-relative path. */
export function readFileState(root: string, relPath: string): FileState {
  let real: string;
  try {
    real = resolveInRoot(root, relPath);
  } catch (e) {
    if (e instanceof WorkspacePathError) return { state: 'outsideWorkspace' };
    throw e;
  }
  // The read itself: confined to the root again on the opened file (no swap to a symlink, a FIFO
  // or a device between the check and the open), regular files only, at most the cap.
  const read = readInsideRoot(root, real, { maxBytes: MAX_TEXT_FILE_BYTES });
  if (!read.ok) {
    switch (read.kind) {
      case 'missing':
        return { state: 'missing' };
      case 'directory':
        return { state: 'directory' };
      case 'outside':
        return { state: 'outsideWorkspace' };
      case 'tooLarge':
        return { state: 'unreadable', reason: `it is too large to edit as text (${read.size} bytes)` };
      default:
        return { state: 'unreadable', reason: read.reason };
    }
  }
  const bytes = read.bytes;
  const decoded = decodeText(bytes);
  return decoded.ok ? { state: 'text', contents: decoded.text } : { state: 'unreadable', reason: decoded.reason };
}

/** The FileMap the engine asks for: each path's state under `root`. */
export function readFileMap(root: string, relPaths: readonly string[]): FileMap {
  const map: FileMap = {};
  for (const p of relPaths) map[p] = readFileState(root, p);
  return map;
}
