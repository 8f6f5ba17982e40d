// `tack checkpoints` and `tack rewind`: list the checkpoints Tack recorded before agents' turns in a
// workspace, and restore one. The store and the restore are the sidecar's (docs/checkpoints.md).
import fs from 'node:fs';
import path from 'node:path';
import { defaultCheckpointsDir } from '../host/agent/checkpoints';
import { planFileRewind, type FileRewind } from '../host/agent/rewind';
import { defaultSessionsDir, SessionStore } from '../host/sessions';
import { SidecarClient, type CheckpointChange } from '../host/sidecar';
import { flag, parseCommandLine, stringValue, UsageError, type OptionTable } from './args';

const LIST_USAGE = `Usage: tack checkpoints [-C DIR] [--json]

Lists the checkpoints of the workspace (oldest first): id, time, session, how many files a rewind to
it would change now, and the first line of the turn's prompt. Files .gitignore excludes are not
recorded, and a rewind leaves them alone.

Options:
  -C DIR     the workspace (default: the current directory)
  --json     print the list as JSON
`;

const REWIND_USAGE = `Usage: tack rewind ID [-C DIR] [--conversation [--session SESSION]] [--dry-run] [--yes] [--json]

Restores the workspace's files to checkpoint ID (see \`tack checkpoints\`): files changed since are
put back, files created since are removed, deleted ones restored, modes reset. Files you changed
after the agent's turn are listed, and a copy of what the rewind replaces is kept. The rewind itself
can be undone: it prints the checkpoint to rewind to for that.

Options:
  -C DIR      the workspace (default: the current directory)
  --conversation
              rewind the conversation too: the session whose turn recorded the checkpoint
              drops that turn's message and everything after it, so \`tack exec --resume\`
              continues from before it (the message is printed, to send again)
  --session SESSION
              the session to rewind (default: the one that recorded the checkpoint)
  --dry-run   only print what would change
  --yes       do not ask for confirmation (needed when stdin is not a terminal)
  --json      print the result as JSON
`;

interface Parsed {
  dir: string;
  json: boolean;
  dryRun: boolean;
  yes: boolean;
  conversation: boolean;
  session?: string;
  words: string[];
}

/** The options of `tack checkpoints` and `tack rewind` (see their usage). */
const LIST_OPTIONS = {
  cd: { type: 'string', short: 'C' },
  json: { type: 'boolean' },
} as const satisfies OptionTable;
const REWIND_OPTIONS = {
  ...LIST_OPTIONS,
  'dry-run': { type: 'boolean' },
  yes: { type: 'boolean', short: 'y' },
  conversation: { type: 'boolean' },
  session: { type: 'string' },
} as const satisfies OptionTable;

function parse(args: string[], options: OptionTable): Parsed | string {
  let line;
  try {
    line = parseCommandLine(args, options, { positionals: true });
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  if (line === 'help') return 'help';
  const { values } = line;
  const session = stringValue(values, 'session');
  if (session !== undefined && session.startsWith('-')) return '--session needs a session id';
  const p: Parsed = {
    dir: path.resolve(stringValue(values, 'cd') ?? process.cwd()),
    json: flag(values, 'json'),
    dryRun: flag(values, 'dry-run'),
    yes: flag(values, 'yes'),
    conversation: flag(values, 'conversation') || session !== undefined,
    words: line.positionals,
  };
  if (session !== undefined) p.session = session;
  if (!fs.existsSync(p.dir) || !fs.statSync(p.dir).isDirectory()) return `-C ${p.dir}: no such directory`;
  return p;
}

function firstLine(s: string | undefined | null): string {
  const line = (s ?? '').split('\n')[0].trim();
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}

function when(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

async function withSidecar<T>(fn: (s: SidecarClient) => Promise<T>): Promise<T> {
  const sidecar = new SidecarClient({ log: process.env.TACK_DEBUG ? (l) => process.stderr.write(`${l}\n`) : undefined });
  try {
    return await fn(sidecar);
  } finally {
    await sidecar.dispose();
  }
}

export async function checkpointsCommand(args: string[]): Promise<number> {
  const p = parse(args, LIST_OPTIONS);
  if (p === 'help') {
    process.stdout.write(LIST_USAGE);
    return 0;
  }
  if (typeof p === 'string') {
    process.stderr.write(`tack checkpoints: ${p}\n\n${LIST_USAGE}`);
    return 2;
  }
  if (p.words.length > 0) {
    process.stderr.write(`tack checkpoints: unexpected argument '${p.words[0]}'\n\n${LIST_USAGE}`);
    return 2;
  }
  const list = await withSidecar((s) => s.checkpoint('list', { storeDir: defaultCheckpointsDir(), root: p.dir, withChanges: true }));
  if (p.json) {
    process.stdout.write(`${JSON.stringify(list)}\n`);
    return 0;
  }
  if (list.checkpoints.length === 0) {
    process.stdout.write(`No checkpoints for ${p.dir}.\n`);
    return 0;
  }
  const rows = list.checkpoints.map((c) => [
    c.id,
    when(c.createdAt),
    c.kind === 'restore' ? '(rewind)' : (c.session ?? '').slice(0, 8),
    String(c.changed ?? ''),
    firstLine(c.prompt),
  ]);
  const head = ['ID', 'TIME', 'SESSION', 'CHANGED', 'PROMPT'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  process.stdout.write(`${[head, ...rows].map(line).join('\n')}\n`);
  process.stdout.write(`\nCHANGED: files a rewind would change now. Files .gitignore excludes are not recorded.\nStore: ${list.store}\n`);
  return 0;
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  // Loaded only to ask: every other run of the CLI does without it.
  const readline = await import('node:readline/promises');
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const answer = await rl.question(`${question} [y/N] `);
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

/** The session (given, or the one that recorded the checkpoint) and its rewind, checked, not yet written. */
async function planConversation(
  sidecar: SidecarClient,
  params: { storeDir: string; root: string; id: string },
  session: string | undefined,
): Promise<FileRewind & { commit: () => Promise<void>; session: string }> {
  if (session === undefined) {
    const list = await sidecar.checkpoint('list', { storeDir: params.storeDir, root: params.root });
    const c = list.checkpoints.find((x) => x.id === params.id);
    if (!c?.session) throw new Error(`checkpoint ${params.id} names no session; pass --session SESSION`);
    session = c.session;
  }
  const store = new SessionStore({ dir: defaultSessionsDir(), onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
  return { ...(await planFileRewind(store, session, params.id)), session };
}

function describeChange(c: CheckpointChange): string {
  const verb = { restore: 'restore', remove: 'remove ', modify: 'revert ', mode: 'chmod  ' }[c.action] ?? c.action;
  return `  ${verb} ${c.path}${c.personEdited ? '   (changed after the agent\'s turn: a copy will be kept)' : ''}`;
}

export async function rewindCommand(args: string[]): Promise<number> {
  const p = parse(args, REWIND_OPTIONS);
  if (p === 'help') {
    process.stdout.write(REWIND_USAGE);
    return 0;
  }
  if (typeof p === 'string' || p.words.length !== 1) {
    const why = typeof p === 'string' ? p : p.words.length === 0 ? 'which checkpoint? (`tack checkpoints` lists them)' : `unexpected argument '${p.words[1]}'`;
    process.stderr.write(`tack rewind: ${why}\n\n${REWIND_USAGE}`);
    return 2;
  }
  const params = { storeDir: defaultCheckpointsDir(), root: p.dir, id: p.words[0] };
  return withSidecar(async (sidecar) => {
    let diff;
    try {
      diff = await sidecar.checkpoint('diff', params);
    } catch (err) {
      process.stderr.write(`tack rewind: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    const out = (s: string) => (p.json ? process.stderr : process.stdout).write(s);
    // The conversation's rewind is checked before any file is written: a refusal changes nothing.
    let conversation: (FileRewind & { commit: () => Promise<void>; session: string }) | undefined;
    if (p.conversation) {
      try {
        conversation = await planConversation(sidecar, params, p.session);
      } catch (err) {
        process.stderr.write(`tack rewind: ${err instanceof Error ? err.message : String(err)}\n`);
        return 1;
      }
      out(`The conversation of session ${conversation.session} goes back to before your message:\n  ${firstLine(conversation.text)}\n`);
    }
    const finishConversation = async (): Promise<Record<string, unknown>> => {
      if (!conversation || p.dryRun) return {};
      await conversation.commit();
      out(`Rewound the conversation. Continue it with: tack exec --resume ${conversation.session} "..."\n`);
      return { conversation: { session: conversation.session, message: conversation.index, text: conversation.text } };
    };
    if (diff.changes.length === 0) {
      if (!p.yes && conversation && !p.dryRun && !(await confirm('Rewind the conversation?'))) {
        out('Nothing was changed.\n');
        return 1;
      }
      const conv = await finishConversation();
      if (p.json) process.stdout.write(`${JSON.stringify({ ...diff, restored: false, ...conv })}\n`);
      else out(`The files already match checkpoint ${diff.id}.\n`);
      return 0;
    }
    const edited = diff.changes.filter((c) => c.personEdited).length;
    out(`Rewinding to checkpoint ${diff.id} changes ${diff.changes.length} file(s)${edited ? `, ${edited} of them changed after the agent's turn` : ''}:\n`);
    out(`${diff.changes.map(describeChange).join('\n')}\n`);
    for (const s of diff.skipped) out(`  left alone: ${s.path} (${s.reason})\n`);
    if (p.dryRun) {
      if (p.json) process.stdout.write(`${JSON.stringify({ ...diff, restored: false })}\n`);
      return 0;
    }
    if (!p.yes) {
      if (!process.stdin.isTTY) {
        process.stderr.write('tack rewind: pass --yes to restore (stdin is not a terminal to ask on), or --dry-run\n');
        return 2;
      }
      if (!(await confirm(conversation ? 'Restore these files and rewind the conversation?' : 'Restore these files?'))) {
        out('Nothing was changed.\n');
        return 1;
      }
    }
    const r = await sidecar.checkpoint('restore', params);
    const conv = await finishConversation();
    if (p.json) process.stdout.write(`${JSON.stringify({ ...r, restored: true, ...conv })}\n`);
    const done = r.changes.length - r.failed.length;
    out(`Restored ${done} file(s) to checkpoint ${r.id}.\n`);
    for (const k of r.kept) out(`  kept your version of ${k.path}: ${k.copy}\n`);
    for (const f of r.failed) out(`  could not restore ${f.path}: ${f.message}\n`);
    out(`To undo this rewind: tack rewind ${r.undoId}${p.dir === process.cwd() ? '' : ` -C ${p.dir}`}\n`);
    return r.failed.length > 0 ? 1 : 0;
  });
}
