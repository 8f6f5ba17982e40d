// 2. Command round trip: sidecar exec/start -> exec/exited for `true` (PTY and pipes, sandboxed and
// not) vs spawning `true` from a native program (the floor) and from Node's child_process (what a
// TypeScript-only extension does).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SidecarClient, type ExecStartParams } from '../extension/src/host/sidecar';
import { type Ctx, nativeBin, rel, sidecarBin } from './lib/context';
import { section, type Section } from './lib/report';
import { fmt, fmtSummary, summarize, timeAsync, type Summary } from './lib/stats';

const BIG_DIRS = 5000;

function nodeSpawnTrue(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.on('error', reject);
    // 'close' comes after exit and after stdout/stderr end: the point where an extension has it all.
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`true exited ${code}`))));
  });
}

function nativeFloor(n: number, pty: boolean): Summary {
  const r = spawnSync(nativeBin, ['spawn', '--n', String(n), ...(pty ? ['--pty'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${rel(nativeBin)} failed: ${r.stderr}`);
  return summarize((JSON.parse(r.stdout) as { ms: number[] }).ms);
}

export async function roundTripBench(ctx: Ctx): Promise<Section> {
  const s = section('2', 'Command round trip: sidecar vs native and Node spawns');
  const n = ctx.reps(300, 30);
  const ws = ctx.tmp('rt');
  const floorPipes = nativeFloor(n, false);
  const floorPty = nativeFloor(n, true);
  const nodeSpawn = summarize(await timeAsync(nodeSpawnTrue, n, 5));

  const client = new SidecarClient({ binaryPath: sidecarBin, clientName: 'tack-bench' });
  // A workspace the size of a real repository (the .git guard walks it before and after a command).
  const bigWs = ctx.tmp('rt-big');
  for (let i = 0; i < BIG_DIRS / 50; i++) {
    for (let j = 0; j < 49; j++) fs.mkdirSync(path.join(bigWs, `d${i}`, `e${j}`), { recursive: true });
    fs.writeFileSync(path.join(bigWs, `d${i}`, 'file.txt'), 'x\n');
  }
  const cases: { name: string; tty: boolean; sandboxed: boolean; cwd?: string; result?: Summary }[] = [
    { name: 'sidecar, PTY, no sandbox', tty: true, sandboxed: false },
    { name: 'sidecar, pipes, no sandbox', tty: false, sandboxed: false },
    { name: 'sidecar, PTY, workspace-write sandbox', tty: true, sandboxed: true },
    { name: 'sidecar, pipes, workspace-write sandbox', tty: false, sandboxed: true },
    { name: `sidecar, pipes, workspace-write sandbox, workspace of ${BIG_DIRS.toLocaleString('en-US')} directories`, tty: false, sandboxed: true, cwd: bigWs },
  ];
  let sandboxNote: string | undefined;
  try {
    const info = await client.initialize();
    sandboxNote = `Sandbox on this machine: Landlock ABI ${info.sandbox.landlockAbi ?? 'none'}, seccomp ${info.sandbox.seccomp}, user namespaces ${String((info.sandbox as { userNamespaces?: boolean }).userNamespaces ?? 'n/a')}.`;
    for (const c of cases) {
      const params: ExecStartParams = {
        argv: ['true'],
        cwd: c.cwd ?? ws,
        tty: c.tty,
        sandbox: c.sandboxed ? { mode: 'workspace-write', writableRoots: [c.cwd ?? ws] } : { mode: 'danger-full-access' },
      };
      const once = async () => {
        const h = await client.exec(params);
        const done = await h.exited;
        if (done.exitCode !== 0) throw new Error(`${c.name}: true exited ${done.exitCode} (${done.signal ?? ''}): ${done.output.head.slice(0, 300)}`);
      };
      c.result = summarize(await timeAsync(once, n, 5));
      ctx.log(`${c.name}: ${fmt(c.result.median)} ms`);
    }
  } finally {
    await client.dispose();
  }

  const rows: string[][] = [
    ['floor: native program, posix spawn + wait (pipes)', ...fmtSummary(floorPipes), '—'],
    ['floor: native program, new PTY + spawn + drain + wait', ...fmtSummary(floorPty), '—'],
    ["Node child_process.spawn, pipes, until 'close'", ...fmtSummary(nodeSpawn), `+${fmt(nodeSpawn.median - floorPipes.median)} ms`],
  ];
  for (const c of cases) {
    if (!c.result) continue;
    const floor = c.tty ? floorPty : floorPipes;
    rows.push([c.name, ...fmtSummary(c.result), `+${fmt(c.result.median - floor.median)} ms vs ${c.tty ? 'PTY' : 'pipe'} floor`]);
  }
  s.tables.push({ headers: ['path', 'median', 'min–max (ms)', 'n', 'over the floor'], rows, numericFrom: 1 });
  s.raw = { floorPipes, floorPty, nodeSpawn, cases };

  const ptyPlain = cases[0].result;
  const ptySandbox = cases[2].result;
  const pipeSandbox = cases[3].result;
  if (ptyPlain) {
    const over = ptyPlain.median - floorPipes.median;
    s.targets.push({
      what: 'round trip with a PTY vs the native floor',
      target: 'within 2 ms',
      actual: `+${fmt(over)} ms (${fmt(ptyPlain.median)} vs ${fmt(floorPipes.median)} ms; the PTY floor is ${fmt(floorPty.median)} ms)`,
      met: over <= 2,
      gap: over > 2 ? `Over by ${fmt(over - 2)} ms. ${launcherNote(cases, floorPipes, floorPty)}` : undefined,
    });
  }
  if (ptySandbox && pipeSandbox) {
    const worst = Math.max(ptySandbox.median, pipeSandbox.median) - floorPipes.median;
    s.targets.push({
      what: 'round trip with the sandbox vs the native floor',
      target: 'within 3 ms',
      actual: `+${fmt(ptySandbox.median - floorPipes.median)} ms with a PTY, +${fmt(pipeSandbox.median - floorPipes.median)} ms with pipes`,
      met: worst <= 3,
      gap: worst > 3 ? `Over by ${fmt(worst - 3)} ms. ${launcherNote(cases, floorPipes, floorPty)}` : undefined,
    });
  }
  if (ptyPlain && ptySandbox) {
    s.headline.push(
      `Command round trip (\`true\`): ${fmt(ptyPlain.median)} ms through the sidecar with a PTY, ${fmt(ptySandbox.median)} ms sandboxed, vs ${fmt(floorPipes.median)} ms for a native spawn and ${fmt(nodeSpawn.median)} ms for Node's child_process.`,
    );
  }
  s.notes.push(
    `The ${BIG_DIRS.toLocaleString('en-US')}-directory case runs in a workspace of ${BIG_DIRS / 50} directories with 49 subdirectories each: in workspace-write the sidecar looks for \`.git\` entries before and after every command (sidecar/src/sandbox/git_guard.rs), which on Linux costs a drain of an inotify queue plus, when anything at all was reported since the last scan, a walk in memory of the remembered directories on the way down to those with an event (a subtree with no event below is taken as it was; no stat for a directory whose watch reported nothing; each directory is watched and read once, in the first scan; with no event at all the last walk's result is used as it is), and a stat only for the workspace itself and its top-level directories, for directories with an event or without a watch (beyond the budget of min(32,768, a quarter of max_user_watches)), on file systems other than ext2/3/4, xfs, btrfs, tmpfs and f2fs, and for every directory in the scan after a mount table change; a directory's listing is read again only when an event (or, under the stat rule, its change time) says it changed. Elsewhere (macOS) every scan stats each directory (sidecar/src/sandbox/git_watch.rs).`,
    tempDirNote(),
    'Sidecar: one long-lived `tack-sidecar` driven through Tack\'s own TypeScript client (SidecarClient, as the extension uses it); the time runs from `exec()` to the `exec/exited` notification being handed to the caller. Each case runs the same `true` (found on PATH) in a temporary directory; every run is checked for exit code 0.',
    `Floors (bench/native): a Rust program timing Command::status() of \`true\` (posix_spawn + wait), and openpty + spawn with the slave as the controlling terminal + drain the master + wait. Node: child_process.spawn('true') with pipes, until 'close'. ${n} runs each after 5 (1 for native) untimed.`,
  );
  if (sandboxNote) s.notes.push(sandboxNote);
  s.commands.push('node --import tsx bench/run.ts --only 2', `${rel(nativeBin)} spawn --n ${n}`, `${rel(nativeBin)} spawn --n ${n} --pty`);
  return s;
}

/** The sidecar's temp dir (its TMPDIR, inherited from the benchmark): both scans look at each of its subdirectories. */
function tempDirNote(): string {
  const tmp = os.tmpdir();
  let entries = 0;
  let dirs = 0;
  try {
    for (const e of fs.readdirSync(tmp, { withFileTypes: true })) {
      entries++;
      if (e.isDirectory()) dirs++;
    }
  } catch {
    return `The sidecar's temp dir (${tmp}) could not be listed.`;
  }
  return `The sidecar's temp dir (${tmp}, writable in workspace-write) held ${entries.toLocaleString('en-US')} entries at the end, ${dirs.toLocaleString('en-US')} of them directories: the \`.git\` scans look at each of those directories before and after every workspace-write command: on Linux through its inotify watch (a lookup in the sidecar's memory, about 0.4 µs) while its listing and the temp dir's are unchanged since it was last checked, else by a stat (about 1.2 µs); another process creating or removing something in the temp dir itself makes the next scan stat them all again.`;
}

/**
 * What the numbers say about how commands start: unsandboxed ones directly (pipes, and on Linux a PTY
 * too, by the sidecar's own clone that shares its memory, sidecar/src/spawn.rs); on Linux sandboxed ones directly too, the sandbox set up by the
 * sidecar's own clone, which is the command's PID namespace's init, from what the sidecar prepared
 * before it (no launcher exec, no process between the sidecar and init).
 */
function launcherNote(cases: { tty: boolean; sandboxed: boolean; result?: Summary }[], floorPipes: Summary, floorPty: Summary): string {
  const get = (tty: boolean, sandboxed: boolean) => cases.find((c) => c.tty === tty && c.sandboxed === sandboxed)?.result;
  const direct = get(false, false);
  const pipeSandbox = get(false, true);
  const ptyPlain = get(true, false);
  if (!direct || !pipeSandbox || !ptyPlain) return '';
  return (
    `Unsandboxed commands start directly: pipes ${fmt(direct.median - floorPipes.median)} ms over the pipe floor, a PTY ${fmt(ptyPlain.median - floorPty.median)} ms over the PTY floor (on Linux the sidecar starts both itself, sidecar/src/spawn.rs: a clone that shares its memory and suspends the calling thread until the command's exec, as posix_spawn does, so nothing of the sidecar's address space is copied; in it a new session, for a PTY the terminal as the controlling one, the parent-death signal; the end learned through a pidfd; after a command, the sidecar's children lists are read for orphans only when one waitid says it has a child at all). ` +
    `Sandboxed commands start directly too, with no exec but the command's own: the sidecar prepares the paths, the uid/gid maps, the Landlock ruleset and the seccomp program, then clones the command's process itself into new user, mount and PID namespaces, so that child is the namespace's init; with raw system calls only, init maps its ids, mounts the tree read-only with the writable roots and every \`.git\` read-only and starts the command with a clone that shares its memory (init suspended until the command's exec, as posix_spawn does), which drops capabilities and applies Landlock and seccomp (one filter) (sidecar/src/sandbox/linux_start.rs); the sidecar learns of the end through a pidfd, PTY commands too. That adds ${fmt(pipeSandbox.median - direct.median)} ms with pipes; in workspace-write the sidecar also looks for \`.git\` entries before and after the command (on Linux a drain of the inotify events since the last scan and a walk of the remembered tree, with a stat only for the workspace and the temp dir themselves and for directories with an event or without a watch; listings are read again only where an event or a change time says they changed). ` +
    'What is left on top of an unsandboxed start: building the Landlock ruleset before the clone (one open and one landlock_add_rule per top-level entry of /, fresh for every command: the command adds the rules of what is new in its namespace, /proc and the private devpts, to it, and Landlock cannot copy a ruleset; the seccomp program is built once per network setting), the clone creating the namespaces (a copy of the mount table), init\'s setup (ids mapped, six mount calls, the read-only tree one recursive mount_setattr; its signal handlers are reset by the clone itself, clone3 with CLONE_CLEAR_SIGHAND, which also gives the sidecar its pidfd), one more process start (init clones the command without copying its memory), and two processes ending one after another (the command, reaped by init, then init, whose exit ends the PID namespace, reaped by the sidecar with the status it sent over a pipe; the mount namespace is torn down after exec/exited went out, the sidecar holding it until then).'
  );
}
