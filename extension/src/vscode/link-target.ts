// Which paths a link in the chat may open (without `vscode`, unit-tested under node). A link in an
// answer is text the model wrote, and the model read the repository: it may point anywhere. Only
// files that resolve, after symlinks, inside one of the workspace folders are opened; everything
// else is refused with the reason. UNC paths (`\\host\share`, `//host/share`) are refused before any
// file system call, since merely looking at one makes Windows connect to that host.
import fs from 'node:fs';
import path from 'node:path';

export type LinkTarget = { ok: true; path: string } | { ok: false; reason: string };

function inside(root: string, p: string, pathApi: typeof path): boolean {
  const rel = pathApi.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !pathApi.isAbsolute(rel));
}

/** realpath of the deepest existing ancestor, with the missing rest appended (a file not yet created). */
function realpathOfNearest(p: string): string {
  const missing: string[] = [];
  let at = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync.native(at), ...missing.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return p;
      missing.push(path.basename(at));
      at = parent;
    }
  }
}

/**
 * The file a link in the chat names, if it may be opened. Relative paths are taken from the first
 * workspace folder (the agent's working directory); absolute ones must lie inside some folder.
 */
export function resolveLinkTarget(requested: string, roots: readonly string[], platform: NodeJS.Platform = process.platform): LinkTarget {
  const p = requested.trim();
  const refuse = (why: string): LinkTarget => ({ ok: false, reason: why });
  if (!p) return refuse('the link names no file');
  if (roots.length === 0) return refuse('no folder is open');
  if (p.includes('\0')) return refuse('the path holds a NUL character');
  if (/^[\\/]{2}/.test(p)) return refuse('it is a network (UNC) path');
  const windowsDrive = /^[a-zA-Z]:[\\/]/.test(p);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(p) && !(windowsDrive && platform === 'win32')) return refuse('it is a URI, not a workspace path');
  const api = platform === 'win32' ? path.win32 : path.posix;
  if (platform === 'win32' && /^[\\/](?![\\/])/.test(p)) return refuse('a path from the root of the current drive is ambiguous');
  const candidate = api.isAbsolute(p) ? api.resolve(p) : api.resolve(roots[0]!, p);
  // First without touching the disk: `..` escapes and absolute paths elsewhere are refused as text.
  const lexicalRoot = roots.find((r) => inside(api.resolve(r), candidate, api));
  if (!lexicalRoot) return refuse('it is outside the workspace folders');
  // Then what it really is, after symlinks (in the path or in the root itself).
  const real = realpathOfNearest(candidate);
  const realRoots = roots.map(realpathOfNearest);
  if (!realRoots.some((r) => inside(r, real, api))) return refuse('it leads outside the workspace folders (through a symbolic link)');
  return { ok: true, path: real };
}
