// Finding test processes on the host by a marker in their command line. A sandboxed command runs in
// its own PID namespace, so the pid it sees for itself (`$$`) is not a host pid; tests give commands a
// unique marker (e.g. `sleep 300.4711`) and look for it here instead.
import fs from 'node:fs';

/** Host pids of processes whose command line contains `marker` (Linux /proc), this process excluded. */
export function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmdline.includes(marker)) found.push(Number(name));
    } catch {
      // gone
    }
  }
  return found;
}

/** A marker unlikely to be on any other command line: a sleep length with random decimals. */
export function uniqueSleep(seconds: number): string {
  return `${seconds}.${Math.floor(Math.random() * 1e6) + 1000}`;
}
