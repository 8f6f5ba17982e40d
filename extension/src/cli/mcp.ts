// The CLI's MCP parts: the hub `tack exec` uses (the user file, the workspace's `.vscode/mcp.json`,
// `--mcp-config` files; inputs from `TACK_MCP_INPUT_<ID>`), the one-line description of a call, and
// `tack mcp list [--json]`, `tack mcp login NAME`, and `tack mcp trust [--yes]` (a workspace's servers
// start only once their exact definitions are trusted; see host/mcp/trust.ts).
import fs from 'node:fs';
import path from 'node:path';
import { findRepoRoot, type ThreadItem } from '../host/agent';
import {
  definitionHash,
  describeDefinition,
  envInputResolver,
  fileTokenStore,
  fileTrustStore,
  loadMcpConfig,
  McpHub,
  readMcpConfigFile,
  realWorkspace,
  storeTrustGate,
  userMcpConfigPath,
  type McpConfig,
  type McpServerStatus,
} from '../host/mcp';
import { flag, parseCommandLine, stringValue, stringValues, UsageError, type OptionTable } from './args';

/** OAuth tokens of HTTP servers: `$TACK_HOME/mcp-oauth.json`, readable only by the user. */
function cliOAuth() {
  return {
    store: fileTokenStore(path.join(path.dirname(userMcpConfigPath()), 'mcp-oauth.json')),
    signInHint: (server: string) => `run \`tack mcp login ${server}\``,
  };
}

/** `$TACK_HOME/mcp-trust.json`: the workspace definitions the person trusted. */
export function cliTrustFile(): string {
  return path.join(path.dirname(userMcpConfigPath()), 'mcp-trust.json');
}

function cliHub(config: McpConfig, workspace: string, log?: (line: string) => void, trustAll = false): McpHub {
  const trust = storeTrustGate({
    workspace,
    store: fileTrustStore(cliTrustFile()),
    trustAll,
    hint: `Review and trust them with \`tack mcp trust -C ${JSON.stringify(workspace)}\`, or pass --trust-workspace-mcp to trust them for one run.`,
  });
  return new McpHub({ config, workspace, resolveInput: envInputResolver(), log, oauth: cliOAuth(), trust });
}

/** The workspace whose `.vscode/mcp.json` applies: the nearest of cwd and the repository root that has one. */
export function mcpWorkspace(cwd: string): string {
  const root = findRepoRoot(cwd);
  if (fs.existsSync(path.join(cwd, '.vscode', 'mcp.json')) || !root) return cwd;
  return fs.existsSync(path.join(root, '.vscode', 'mcp.json')) ? root : cwd;
}

/** The hub for a run, or undefined when no server is configured and no file was named. */
export function cliMcpHub(cwd: string, files: string[], log?: (line: string) => void, trustWorkspace = false): McpHub | undefined {
  const workspace = mcpWorkspace(cwd);
  const config = loadMcpConfig({ workspace, extraFiles: files });
  if (config.servers.length === 0 && config.errors.length === 0) return undefined;
  return cliHub(config, workspace, log, trustWorkspace);
}

/** A readable line for an `mcp_tool_call` item. */
export function describeMcpItem(i: Extract<ThreadItem, { type: 'mcp_tool_call' }>): string {
  const head = `mcp ${i.server}.${i.tool}`;
  if (i.status === 'declined') return `${head}\n  (declined)`;
  if (i.error) return `${head} -> failed: ${i.error.message.split('\n')[0]}`;
  return `${head} -> ${i.status.replace(/_/g, ' ')}`;
}

const LIST_USAGE = `Usage: tack mcp list [--json] [-C DIR] [--mcp-config FILE]...
       tack mcp login NAME [-C DIR] [--mcp-config FILE]...
       tack mcp trust [-C DIR] [--yes]

list   starts every configured MCP server (the user file $TACK_HOME/mcp.json, DIR's
       .vscode/mcp.json, and each --mcp-config FILE), prints each with its status, tools and last
       error, and stops them.
login  signs in to the HTTP server NAME (OAuth): prints the URL to open, waits for the browser to
       come back to 127.0.0.1, and keeps the tokens in $TACK_HOME/mcp-oauth.json (mode 0600).
trust  prints each server of DIR's .vscode/mcp.json in full (command line, cwd, env names, url)
       and, when you answer y (or pass --yes), trusts those exact definitions: they are kept in
       $TACK_HOME/mcp-trust.json (mode 0600). A workspace's servers run programs on this machine
       outside the sandbox, so they start only once trusted; a changed definition must be trusted
       again. Servers from $TACK_HOME/mcp.json and --mcp-config files are yours and always start.
Inputs (\${input:ID}) are read from TACK_MCP_INPUT_<ID>.
`;

function describeStatus(s: McpServerStatus): string {
  const lines = [`${s.name} (${s.type}, ${s.source}): ${s.state === 'untrusted' ? 'not trusted' : s.state}${s.state === 'running' ? `, ${s.tools.length} tool${s.tools.length === 1 ? '' : 's'}` : ''}`];
  for (const t of s.tools) lines.push(`  ${t.name}${t.readOnly ? ' (read-only)' : ''}${t.description ? ` - ${t.description.split('\n')[0].slice(0, 100)}` : ''}`);
  for (const k of s.skippedTools) lines.push(`  skipped: ${k}`);
  if (s.lastError) lines.push(`  error: ${s.lastError}`);
  return lines.join('\n');
}

/** The options of each `tack mcp` subcommand (see LIST_USAGE). */
const MCP_OPTIONS = {
  list: { json: { type: 'boolean' }, cd: { type: 'string', short: 'C' }, 'mcp-config': { type: 'string', multiple: true } },
  login: { json: { type: 'boolean' }, cd: { type: 'string', short: 'C' }, 'mcp-config': { type: 'string', multiple: true } },
  // trust takes --mcp-config only to say why it does not apply.
  trust: { cd: { type: 'string', short: 'C' }, yes: { type: 'boolean', short: 'y' }, 'mcp-config': { type: 'string', multiple: true } },
} as const satisfies Record<string, OptionTable>;

export async function mcpCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(LIST_USAGE);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'list' && sub !== 'login' && sub !== 'trust') {
    process.stderr.write(`tack mcp: unknown subcommand '${sub}'\n\n${LIST_USAGE}`);
    return 2;
  }
  let line;
  try {
    line = parseCommandLine(rest, MCP_OPTIONS[sub], { positionals: sub === 'login' });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`tack mcp ${sub}: ${err.message}\n\n${LIST_USAGE}`);
    return 2;
  }
  if (line === 'help') {
    process.stdout.write(LIST_USAGE);
    return 0;
  }
  const json = flag(line.values, 'json');
  const yes = flag(line.values, 'yes');
  const dir = stringValue(line.values, 'cd') ?? process.cwd();
  const files = stringValues(line.values, 'mcp-config');
  const words = line.positionals;
  const cwd = path.resolve(dir);
  const workspace = mcpWorkspace(cwd);
  if (sub === 'trust') {
    if (files.length > 0) {
      process.stderr.write('tack mcp trust: --mcp-config files are trusted as they are; trust applies to .vscode/mcp.json\n');
      return 2;
    }
    return trustCommand(workspace, yes);
  }
  const config = loadMcpConfig({ workspace, extraFiles: files });
  const hub = cliHub(config, workspace, process.env.TACK_DEBUG ? (l) => process.stderr.write(`${l}\n`) : undefined);
  if (sub === 'login') {
    if (words.length !== 1) {
      process.stderr.write(`tack mcp login: name one server\n\n${LIST_USAGE}`);
      return 2;
    }
    try {
      await hub.signIn(words[0], (url) => {
        process.stderr.write(`Open this URL in a browser to sign in to "${words[0]}":\n${url.toString()}\n`);
      });
      process.stderr.write(`Signed in to "${words[0]}".\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`tack mcp login: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    } finally {
      await hub.stopAll();
    }
  }
  try {
    await hub.startAll();
    const servers = hub.status();
    if (json) {
      process.stdout.write(`${JSON.stringify({ servers, errors: config.errors })}\n`);
    } else {
      for (const e of config.errors) process.stdout.write(`config error: ${e}\n`);
      if (servers.length === 0) process.stdout.write(`no MCP servers configured (looked in ${path.join(workspace, '.vscode', 'mcp.json')} and the user file)\n`);
      for (const s of servers) process.stdout.write(`${describeStatus(s)}\n`);
    }
    return servers.some((s) => s.state !== 'running') || config.errors.length > 0 ? 1 : 0;
  } finally {
    await hub.stopAll();
  }
}

/** `tack mcp trust`: shows the workspace's definitions and records trust in them. */
async function trustCommand(workspace: string, yes: boolean): Promise<number> {
  const file = path.join(workspace, '.vscode', 'mcp.json');
  const config = readMcpConfigFile(file, 'workspace');
  for (const e of config.errors) process.stderr.write(`config error: ${e}\n`);
  if (config.servers.length === 0) {
    process.stdout.write(`no MCP servers in ${file}\n`);
    return config.errors.length > 0 ? 1 : 0;
  }
  const store = fileTrustStore(cliTrustFile());
  const real = realWorkspace(workspace);
  const pending = config.servers.filter((d) => !store.has(real, definitionHash(d, workspace)));
  for (const d of config.servers) {
    const lines = describeDefinition(d);
    lines[0] += pending.includes(d) ? '' : ' [already trusted]';
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (pending.length === 0) {
    process.stdout.write('Every server here is already trusted.\n');
    return 0;
  }
  if (!yes) {
    if (!process.stdin.isTTY) {
      process.stderr.write('tack mcp trust: not a terminal, so nothing was trusted; read the definitions above and pass --yes to trust them\n');
      return 1;
    }
    // Loaded only to ask: every other run of the CLI does without it.
    const readline = await import('node:readline/promises');
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(`These programs run on this machine outside the sandbox. Trust ${pending.length === 1 ? 'this server' : `these ${pending.length} servers`} (${pending.map((d) => JSON.stringify(d.name)).join(', ')})? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stderr.write('Nothing was trusted.\n');
      return 1;
    }
  }
  for (const d of pending) store.add(real, definitionHash(d, workspace), d.name);
  process.stdout.write(`Trusted ${pending.map((d) => JSON.stringify(d.name)).join(', ')} for ${real} (kept in ${cliTrustFile()}).\n`);
  return 0;
}
