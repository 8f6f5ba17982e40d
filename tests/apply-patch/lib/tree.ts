// Reading and writing small file trees for the apply_patch suites.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Every regular file under `dir` (symlinks listed as `-> target`), keyed by `/`-separated relative path. */
export function readTree(dir: string): Map<string, Buffer | string> {
  const out = new Map<string, Buffer | string>();
  if (!fs.existsSync(dir)) return out;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      const rel = path.relative(dir, p).split(path.sep).join('/');
      if (e.isSymbolicLink()) out.set(rel, `-> ${fs.readlinkSync(p)}`);
      else if (e.isDirectory()) walk(p);
      else out.set(rel, fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** A readable difference between two trees, or '' when they are equal byte for byte. */
export function treeDifference(actual: Map<string, Buffer | string>, expected: Map<string, Buffer | string>): string {
  const problems: string[] = [];
  for (const [p, v] of expected) {
    const a = actual.get(p);
    if (a === undefined) problems.push(`missing ${p}`);
    else if (!equal(a, v)) problems.push(`${p} differs: got ${JSON.stringify(a.toString())}, expected ${JSON.stringify(v.toString())}`);
  }
  for (const p of actual.keys()) if (!expected.has(p)) problems.push(`unexpected ${p}`);
  return problems.join('\n');
}

function equal(a: Buffer | string, b: Buffer | string): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.equals(b);
}

export function copyTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  if (fs.existsSync(from)) fs.cpSync(from, to, { recursive: true });
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tack-${prefix}-`));
}
