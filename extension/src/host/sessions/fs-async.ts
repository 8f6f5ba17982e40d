// The session store's asynchronous file calls, as promises over node:fs's callback functions.
//
// Not node:fs/promises: that module is not in Node's start-up snapshot, and the first use of it
// compiles it and what it pulls in (its FileHandle class, readline's interface for readLines),
// about 4.5 ms of the main thread. In `tack exec` the first use was the store's first write, made
// just after the first model request went out, so the response waited for it (a CPU profile of a
// 0-step run, 2026-12-02). The callback functions are part of node:fs, which every start loads.
// Errors are the same objects either way (code, errno, syscall, path).
import fs from 'node:fs';

function settle<T>(resolve: (v: T) => void, reject: (e: Error) => void) {
  return (err: NodeJS.ErrnoException | null, value: T) => (err ? reject(err) : resolve(value));
}

export function readFile(file: string): Promise<string> {
  return new Promise((resolve, reject) => fs.readFile(file, 'utf8', settle(resolve, reject)));
}

export function readdir(dir: string): Promise<string[]> {
  return new Promise((resolve, reject) => fs.readdir(dir, settle(resolve, reject)));
}

export function stat(file: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.stat(file, settle(resolve, reject)));
}

export function lstat(file: string): Promise<fs.Stats> {
  return new Promise((resolve, reject) => fs.lstat(file, settle(resolve, reject)));
}

export function unlink(file: string): Promise<void> {
  return new Promise((resolve, reject) => fs.unlink(file, (err) => (err ? reject(err) : resolve())));
}

export function chmod(file: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => fs.chmod(file, mode, (err) => (err ? reject(err) : resolve())));
}

/** mkdir -p with `mode` for the directories it creates. */
export function mkdirp(dir: string, mode: number): Promise<void> {
  return new Promise((resolve, reject) => fs.mkdir(dir, { recursive: true, mode }, (err) => (err ? reject(err) : resolve())));
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
