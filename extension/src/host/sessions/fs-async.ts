// The session store's asynchronous file calls, as promises over node:fs's callback functions.
//
// Not node:fs/promises: that module is not in Node's start-up snapshot, and the first use of it
// compiles it and what it pulls in (its FileHandle class, readline's interface for readLines),
// about 4.5 ms of the main thread. In `tack exec` the first use was the store's first write, made
// just after the first model request went out, so the response waited for it (a CPU profile of a
// 0-step run, 2026-12-02). The callback functions are part of node:fs, which every start loads.
// Errors are the same objects either way (code, errno, syscall, path).
// The plain calls go through util.promisify (node:util is loaded at every start as well).
import fs from 'node:fs';
import { promisify } from 'node:util';

const readFileWith = promisify(fs.readFile);
const mkdir = promisify(fs.mkdir);

export const readdir = promisify(fs.readdir);
export const stat = promisify(fs.stat);
export const lstat = promisify(fs.lstat);
export const unlink = promisify(fs.unlink);
export const chmod = promisify(fs.chmod);

export function readFile(file: string): Promise<string> {
  return readFileWith(file, 'utf8');
}

/** mkdir -p with `mode` for the directories it creates. */
export async function mkdirp(dir: string, mode: number): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
}

/** The byte at `position` of `file` (which must be at least that long), or undefined if the read came up short. */
export function byteAt(file: string, position: number): Promise<number | undefined> {
  return new Promise((resolve, reject) =>
    fs.open(file, 'r', (err, fd) => {
      if (err) return reject(err);
      const one = Buffer.alloc(1);
      fs.read(fd, one, 0, 1, position, (readErr, n) => {
        fs.close(fd, (closeErr) => {
          const e = readErr ?? closeErr;
          if (e) reject(e);
          else resolve(n === 1 ? one[0] : undefined);
        });
      });
    }),
  );
}
