// The trust gate for workspace MCP servers. A stdio server is a program Tack starts on the host,
// outside the sandbox; a server defined in a workspace's `.vscode/mcp.json` was written by whoever
// wrote the repository. Such a definition starts only once the person has trusted that exact
// definition (a hash of everything that decides what runs and with what). Definitions from the user
// file and from `--mcp-config FILE` are the person's own and are trusted as they are.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnvFile, type McpServerDef } from './config';

/** Where trust is remembered: per workspace (its real path) and definition hash. */
export interface McpTrustStore {
  has(workspace: string, hash: string): boolean;
  add(workspace: string, hash: string, name: string): void | Promise<void>;
  /** Forgets a trusted definition (VS Code's "Stop Trusting"); the CLI's file is edited by hand. */
  remove?(workspace: string, hash: string): void | Promise<void>;
}

/** What the hub asks before starting (or calling, restarting) a server. */
export interface McpTrustGate {
  /** True when the definition may start without asking; `envFileEntries`: the entries about to be used. */
  isTrusted(def: McpServerDef, envFileEntries?: Record<string, string>): boolean;
  /** Asks the person (VS Code's modal); true means trusted (and remembered). Absent in the CLI. */
  ask?(def: McpServerDef): Promise<boolean>;
  /** Records trust for the definition (VS Code's "Trust…" action). */
  remember(def: McpServerDef): Promise<void>;
  /** Forgets it: the definition is asked about again before it next starts. */
  forget(def: McpServerDef): Promise<void>;
  /** How to trust the servers, for the message naming the skipped ones. */
  hint: string;
}

/** The workspace's real path (symlinks resolved), the key trust is kept under. */
export function realWorkspace(workspace: string): string {
  try {
    return fs.realpathSync(workspace);
  } catch {
    return path.resolve(workspace);
  }
}

const INPUT_OR_PLAIN = (v: string | number | null) => (v === null ? null : String(v));

/**
 * The hash of what decides what a definition runs: type, command, args, cwd, env names and values
 * as written (an `${input:...}` reference, not its answer), the envFile's path and the names and
 * values in it, url and header names. The name, timeouts and the answers to inputs are not in it.
 */
export function definitionHash(def: McpServerDef, workspace?: string, usedEntries?: Record<string, string>): string {
  const sorted = (entries: Record<string, string>) => Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let envFileEntries: Array<[string, string]> | string | null = null;
  if (def.envFile !== undefined) {
    if (/\$\{input:/.test(def.envFile)) {
      // A path naming an input is only known once answered: the path as written is hashed.
      envFileEntries = 'path with an input';
    } else if (usedEntries) {
      envFileEntries = sorted(usedEntries);
    } else {
      const base = workspace ?? path.dirname(def.file);
      const p = def.envFile
        .replace(/\$\{(workspaceFolder|workspaceRoot)\}/g, () => base)
        .replace(/\$\{userHome\}/g, () => os.homedir())
        .replace(/\$\{(pathSeparator|\/)\}/g, () => path.sep);
      try {
        envFileEntries = sorted(parseEnvFile(fs.readFileSync(path.resolve(base, p), 'utf8')));
      } catch (e) {
        envFileEntries = `unreadable: ${(e as NodeJS.ErrnoException).code ?? 'error'}`;
      }
    }
  }
  const canonical = {
    v: 1,
    type: def.type,
    command: def.command ?? null,
    args: def.args ?? [],
    cwd: def.cwd ?? null,
    env: Object.entries(def.env ?? {})
      .map(([k, v]) => [k, INPUT_OR_PLAIN(v)])
      .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : (a as string) > (b as string) ? 1 : 0)),
    envFile: def.envFile ?? null,
    envFileEntries,
    url: def.url ?? null,
    headers: Object.keys(def.headers ?? {}).sort(),
  };
  // node:crypto loads here, on first use: a start-up without workspace MCP servers does without it.
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** A definition that needs trust: one from a workspace file. */
export function needsTrust(def: McpServerDef): boolean {
  return def.source === 'workspace';
}

interface TrustFile {
  version: 1;
  workspaces: Record<string, Record<string, { name: string; trustedAt: string }>>;
}

/** `$TACK_HOME/mcp-trust.json`: written 0600 (its directory 0700), replaced atomically. */
export function fileTrustStore(file: string): McpTrustStore {
  const read = (): TrustFile => {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<TrustFile> | null;
      if (parsed && typeof parsed === 'object' && parsed.workspaces && typeof parsed.workspaces === 'object') return { version: 1, workspaces: parsed.workspaces };
    } catch {
      // Missing or unreadable: nothing is trusted.
    }
    return { version: 1, workspaces: {} };
  };
  return {
    has: (workspace, hash) => {
      const entry = read().workspaces[workspace];
      return entry !== undefined && typeof entry === 'object' && Object.prototype.hasOwnProperty.call(entry, hash);
    },
    add: (workspace, hash, name) => {
      const data = read();
      const entry = Object.prototype.hasOwnProperty.call(data.workspaces, workspace) ? data.workspaces[workspace] : {};
      entry[hash] = { name, trustedAt: new Date().toISOString() };
      data.workspaces[workspace] = entry;
      fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${process.pid}.tmp`;
      fs.rmSync(tmp, { force: true });
      fs.writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
      fs.chmodSync(tmp, 0o600);
      fs.renameSync(tmp, file);
    },
  };
}

/** A gate over a store: workspace definitions are trusted when the store has their hash. */
export function storeTrustGate(opts: {
  workspace?: string;
  store: McpTrustStore;
  hint: string;
  /** Trusts every definition for this run only (`--trust-workspace-mcp`); nothing is recorded. */
  trustAll?: boolean;
  ask?: (def: McpServerDef) => Promise<boolean>;
}): McpTrustGate {
  const real = opts.workspace ? realWorkspace(opts.workspace) : '';
  const gate: McpTrustGate = {
    isTrusted: (def, entries) => !needsTrust(def) || opts.trustAll === true || opts.store.has(real, definitionHash(def, opts.workspace, entries)),
    remember: async (def) => {
      if (needsTrust(def)) await opts.store.add(real, definitionHash(def, opts.workspace), def.name);
    },
    forget: async (def) => {
      if (needsTrust(def)) await opts.store.remove?.(real, definitionHash(def, opts.workspace));
    },
    hint: opts.hint,
  };
  const ask = opts.ask;
  if (ask) {
    gate.ask = async (def) => {
      if (!(await ask(def))) return false;
      await gate.remember(def);
      return true;
    };
  }
  return gate;
}

/** A word as the person should read it: quoted (with escapes) when it has spaces, quotes or control characters. */
function shown(text: string): string {
  return /^[\w@%+=:,./~-]+$/.test(text) ? text : JSON.stringify(text);
}

/** Lines describing a definition in full, for the person deciding whether to trust it. */
export function describeDefinition(def: McpServerDef): string[] {
  const lines = [`${shown(def.name)} (${def.type}) from ${shown(def.file)}`];
  if (def.type === 'stdio') {
    lines.push(`  command: ${[def.command ?? '', ...(def.args ?? [])].map(shown).join(' ')}`);
    lines.push(`  cwd: ${def.cwd !== undefined ? shown(def.cwd) : '(the workspace folder)'}`);
  } else {
    lines.push(`  url: ${shown(def.url ?? '')}`);
    if (def.headers && Object.keys(def.headers).length > 0) lines.push(`  headers: ${Object.keys(def.headers).map(shown).join(', ')}`);
  }
  if (def.env && Object.keys(def.env).length > 0) lines.push(`  env: ${Object.keys(def.env).map(shown).join(', ')}`);
  if (def.envFile) lines.push(`  envFile: ${shown(def.envFile)}`);
  return lines;
}
