// `tack apply-patch [PATCH | -]`: applies a patch to the current directory with Tack's own engine,
// atomically, and prints one `A path` / `M path` / `D path` line per file (a move prints
// `M <destination>`, as the reference tool does). On failure: the reason on stderr, exit 1, nothing changed.
import { timingMark } from '../host/agent/timing';
import { applyPatchToDir } from '../host/patch/apply-to-dir';
import { SidecarClient } from '../host/sidecar';
import { parseCommandLine, UsageError } from './args';

const USAGE = `Usage: tack apply-patch [PATCH | -]

Applies PATCH (the patch text itself; '-' or nothing reads it from stdin) to the current directory.
Prints A/M/D and the path for each file. On any error nothing is changed and the exit code is 1.
Files are written by tack-sidecar under the same rules as the agent's edits: only beneath the
current directory, never inside .git (or any git directory), never through a symbolic link leading out.
`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

export async function applyPatchCommand(args: string[]): Promise<number> {
  timingMark('cli loaded');
  let line;
  try {
    line = parseCommandLine(args, {}, { positionals: true });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tack apply-patch: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (line === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const words = line.positionals;
  if (words.length > 1) {
    process.stderr.write(`tack apply-patch: expected one argument (the patch text or '-'), got ${words.length}\n\n${USAGE}`);
    return 2;
  }
  const sidecar = new SidecarClient({ clientName: 'tack apply-patch', log: process.env.TACK_DEBUG ? (l) => process.stderr.write(`${l}\n`) : undefined });
  // The sidecar (which does the write) starts now, so its start overlaps reading the patch and the
  // files and running the engine; a patch that fails before the write only costs it a shutdown.
  // A failure to start is reported by the write itself (the same promise).
  sidecar.initialize().then(
    () => timingMark('sidecar ready'),
    () => undefined,
  );
  // No sidecar.dispose(): the process exits right after this returns (main.ts), which closes the
  // sidecar's stdin, and at the end of its stdin the sidecar runs the same shutdown as for the
  // `shutdown` request and exits by itself. Its write has been answered (or failed) by now and it
  // ran no command, so there is nothing to wait for; waiting cost about 6 ms (its shutdown looks
  // through /proc for commands' leftovers).
  try {
    const patchText = words.length === 0 || words[0] === '-' ? await readStdin() : words[0];
    const { summary } = await applyPatchToDir(process.cwd(), patchText, { writer: sidecar });
    process.stdout.write(summary.map((l) => `${l}\n`).join(''));
    return 0;
  } catch (e) {
    process.stderr.write(`tack apply-patch: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}
