// The one way the host reads a workspace file for the model (AGENTS.md, view_image, the files a patch
// names): confined to the workspace root and bounded. The path's real location must be inside the
// root's real location (no symlink leading out); the file is opened with O_NOFOLLOW on the final
// component and O_NONBLOCK (a FIFO cannot hang the open), then checked on the opened descriptor: a
// regular file only (not a FIFO, socket or device such as /dev/zero), with the size cap checked on
// the descriptor and at most the cap read (files in /proc report size 0 yet have contents). On Linux
// the descriptor's own path (/proc/self/fd/N) is checked again, which closes the window where a
// directory on the way is swapped for a symlink between the check and the open.
import fs from 'node:fs';
import path from 'node:path';

export type ConfinedReadFailure =
  | { ok: false; kind: 'missing'; reason: string }
  | { ok: false; kind: 'directory'; reason: string }
  | { ok: false; kind: 'outside'; reason: string }
  | { ok: false; kind: 'notRegular'; reason: string }
  | { ok: false; kind: 'tooLarge'; reason: string; size: number }
  | { ok: false; kind: 'unreadable'; reason: string };

export type ConfinedRead = { ok: true; bytes: Buffer; size: number; truncated: boolean; realPath: string } | ConfinedReadFailure;

export interface ConfinedReadOptions {
  /** The most bytes read. */
  maxBytes: number;
  /** Past the cap: `false` (default) refuses the file; `true` returns its first `maxBytes` bytes. */
  truncate?: boolean;
}

export function isInside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/**
 * Reads `file` (absolute, or relative to `root`) if it really lies inside `root`. Never throws for
 * anything about the file: every refusal is a result with a reason the model can read.
 */
export function readInsideRoot(root: string, file: string, opts: ConfinedReadOptions): ConfinedRead {
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(root);
  } catch (e) {
    return { ok: false, kind: 'unreadable', reason: `the workspace root ${root} cannot be read (${errCode(e)})` };
  }
  const abs = path.resolve(root, file);
  if (!isInside(path.resolve(root), abs) && !isInside(realRoot, abs)) {
    return { ok: false, kind: 'outside', reason: 'the path is outside the workspace' };
  }
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT') {
      return { ok: false, kind: 'missing', reason: 'no such file' };
    }
    if (code === 'ENOTDIR') return { ok: false, kind: 'unreadable', reason: 'a parent of the path is a file, not a directory' };
    if (code === 'ELOOP') return { ok: false, kind: 'unreadable', reason: 'too many levels of symbolic links' };
    return { ok: false, kind: 'unreadable', reason: `it cannot be read (${code})` };
  }
  if (!isInside(realRoot, real)) {
    return { ok: false, kind: 'outside', reason: 'it is a symbolic link (or under one) leading outside the workspace' };
  }
  let fd: number;
  try {
    fd = fs.openSync(real, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = errCode(e);
    if (code === 'ENOENT') return { ok: false, kind: 'missing', reason: 'no such file' };
    if (code === 'ELOOP') return { ok: false, kind: 'outside', reason: 'it was replaced by a symbolic link while being read' };
    if (code === 'EISDIR') return { ok: false, kind: 'directory', reason: 'it is a directory' };
    if (code === 'ENXIO' || code === 'ENODEV') return { ok: false, kind: 'notRegular', reason: 'it is not a regular file' };
    return { ok: false, kind: 'unreadable', reason: `it cannot be read (${code})` };
  }
  try {
    const st = fs.fstatSync(fd);
    if (st.isDirectory()) return { ok: false, kind: 'directory', reason: 'it is a directory' };
    if (!st.isFile()) return { ok: false, kind: 'notRegular', reason: 'it is not a regular file (a device, FIFO or socket is never read)' };
    if (process.platform === 'linux') {
      let opened: string | undefined;
      try {
        opened = fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        opened = undefined; // no /proc: the realpath check above stands alone
      }
      if (opened !== undefined && !isInside(realRoot, opened)) {
        return { ok: false, kind: 'outside', reason: 'it was moved outside the workspace while being read' };
      }
    }
    if (st.size > opts.maxBytes && !opts.truncate) {
      return { ok: false, kind: 'tooLarge', size: st.size, reason: `it is ${st.size} bytes; the limit is ${opts.maxBytes}` };
    }
    // Read at most the cap (+1 byte to notice a file that reports a smaller size than it has).
    const want = opts.maxBytes + 1;
    const chunks: Buffer[] = [];
    let total = 0;
    while (total < want) {
      const chunk = Buffer.allocUnsafe(Math.min(want - total, 1024 * 1024));
      let n: number;
      try {
        n = fs.readSync(fd, chunk, 0, chunk.length, null);
      } catch (e) {
        if (errCode(e) === 'EAGAIN') break;
        throw e;
      }
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
    }
    let bytes = Buffer.concat(chunks, total);
    let truncated = false;
    if (bytes.length > opts.maxBytes) {
      if (!opts.truncate) {
        return { ok: false, kind: 'tooLarge', size: bytes.length, reason: `it is larger than the limit of ${opts.maxBytes} bytes` };
      }
      bytes = bytes.subarray(0, opts.maxBytes);
      truncated = true;
    } else if (st.size > opts.maxBytes) {
      truncated = true;
    }
    return { ok: true, bytes, size: Math.max(st.size, bytes.length), truncated, realPath: real };
  } catch (e) {
    return { ok: false, kind: 'unreadable', reason: `it cannot be read (${errCode(e)})` };
  } finally {
    fs.closeSync(fd);
  }
}
