// MCP server configuration in the format people already have: VS Code's `.vscode/mcp.json` (JSON with
// comments; `servers` with `type` stdio/http/sse, `command`, `args`, `env`, `envFile`, `cwd`, `url`,
// `headers`; `inputs` referenced as `${input:id}`). The same format serves the user file
// (`$TACK_HOME/mcp.json`) and `tack exec --mcp-config FILE`. Loading never starts anything.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where a configuration came from: a workspace file may not read the host's environment. */
export type McpConfigSource = 'user' | 'workspace' | 'cli';

export interface McpInputDef {
  id: string;
  type: string;
  description?: string;
  password?: boolean;
  default?: string;
}

/** A server as written in the file, before variables are resolved. */
export interface McpServerDef {
  name: string;
  type: 'stdio' | 'http' | 'sse';
  command?: string;
  args?: string[];
  env?: Record<string, string | number | null>;
  envFile?: string;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
  /** How long start-up (spawn + initialize + tools/list) may take (default 30 s). */
  startupTimeoutMs?: number;
  /** How long one tool call may take (default 10 min). */
  toolTimeoutMs?: number;
  source: McpConfigSource;
  file: string;
}

export interface McpConfig {
  servers: McpServerDef[];
  inputs: McpInputDef[];
  /** Problems found while loading (a bad file, a bad server entry); the rest still loads. */
  errors: string[];
}

/** What the resolved server needs: everything with variables replaced. */
export interface ResolvedStdio {
  kind: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}
export interface ResolvedHttp {
  kind: 'http' | 'sse';
  url: string;
  headers: Record<string, string>;
}
export type ResolvedTransport = ResolvedStdio | ResolvedHttp;

export const DEFAULT_STARTUP_TIMEOUT_MS = 30_000;
export const DEFAULT_TOOL_TIMEOUT_MS = 10 * 60_000;
/** A config file larger than this is refused (it is read whole). */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Removes `//` and `/* *\/` comments and trailing commas outside strings (VS Code's JSONC). */
export function stripJsonc(text: string): string {
  let out = '';
  let i = 0;
  let inString = false;
  while (i < text.length) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') {
        out += text[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === '"') inString = false;
      i++;
      continue;
    }
    if (c === '"') {
      inString = true;
      out += c;
      i++;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else if (c === ',') {
      // A comma followed (after whitespace and comments) by a closing bracket is dropped.
      let j = i + 1;
      for (;;) {
        while (j < text.length && /\s/.test(text[j])) j++;
        if (text[j] === '/' && text[j + 1] === '/') {
          while (j < text.length && text[j] !== '\n') j++;
        } else if (text[j] === '/' && text[j + 1] === '*') {
          const end = text.indexOf('*/', j + 2);
          j = end === -1 ? text.length : end + 2;
        } else break;
      }
      if (text[j] !== '}' && text[j] !== ']') out += c;
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parses one file's text. Bad entries become errors naming the file and the server. */
export function parseMcpConfig(text: string, file: string, source: McpConfigSource): McpConfig {
  const result: McpConfig = { servers: [], inputs: [], errors: [] };
  let doc: unknown;
  try {
    doc = JSON.parse(stripJsonc(text));
  } catch (e) {
    result.errors.push(`${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
    return result;
  }
  if (!isObject(doc)) {
    result.errors.push(`${file}: the top level must be an object with "servers"`);
    return result;
  }
  // Claude Desktop's and Cursor's files say `mcpServers`; VS Code's says `servers`.
  const servers = doc.servers ?? doc.mcpServers;
  if (servers !== undefined && !isObject(servers)) result.errors.push(`${file}: "servers" must be an object of name -> server`);
  if (Array.isArray(doc.inputs)) {
    for (const [i, raw] of doc.inputs.entries()) {
      if (!isObject(raw) || typeof raw.id !== 'string' || raw.id === '') {
        result.errors.push(`${file}: inputs[${i}] needs a string "id"`);
        continue;
      }
      result.inputs.push({
        id: raw.id,
        type: typeof raw.type === 'string' ? raw.type : 'promptString',
        description: typeof raw.description === 'string' ? raw.description : undefined,
        password: raw.password === true,
        default: typeof raw.default === 'string' ? raw.default : undefined,
      });
    }
  }
  if (!isObject(servers)) return result;
  for (const [name, raw] of Object.entries(servers)) {
    const where = `${file}: server "${name}"`;
    if (!isObject(raw)) {
      result.errors.push(`${where}: must be an object`);
      continue;
    }
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((a) => typeof a === 'string');
    const stringMap = (v: unknown): v is Record<string, string> => isObject(v) && Object.values(v).every((a) => typeof a === 'string');
    const envMap = (v: unknown): v is Record<string, string | number | null> =>
      isObject(v) && Object.values(v).every((a) => typeof a === 'string' || typeof a === 'number' || a === null);
    const declared = typeof raw.type === 'string' ? raw.type : undefined;
    const type = declared ?? (typeof raw.command === 'string' ? 'stdio' : typeof raw.url === 'string' ? 'http' : undefined);
    if (type !== 'stdio' && type !== 'http' && type !== 'sse') {
      result.errors.push(`${where}: "type" must be stdio, http or sse (got ${JSON.stringify(raw.type ?? null)})`);
      continue;
    }
    const problems: string[] = [];
    if (type === 'stdio' && (typeof raw.command !== 'string' || raw.command.trim() === '')) problems.push('a stdio server needs "command"');
    if (type !== 'stdio' && typeof raw.url !== 'string') problems.push(`an ${type} server needs "url"`);
    if (raw.args !== undefined && !strings(raw.args)) problems.push('"args" must be a list of strings');
    if (raw.env !== undefined && !envMap(raw.env)) problems.push('"env" must map names to strings');
    if (raw.headers !== undefined && !stringMap(raw.headers)) problems.push('"headers" must map names to strings');
    for (const k of ['envFile', 'cwd'] as const) {
      if (raw[k] !== undefined && typeof raw[k] !== 'string') problems.push(`"${k}" must be a string`);
    }
    for (const k of ['startupTimeoutMs', 'toolTimeoutMs'] as const) {
      if (raw[k] !== undefined && (typeof raw[k] !== 'number' || !(raw[k] > 0))) problems.push(`"${k}" must be a positive number`);
    }
    if (problems.length > 0) {
      result.errors.push(`${where}: ${problems.join('; ')}`);
      continue;
    }
    result.servers.push({
      name,
      type,
      command: raw.command as string | undefined,
      args: raw.args as string[] | undefined,
      env: raw.env as Record<string, string> | undefined,
      envFile: raw.envFile as string | undefined,
      cwd: raw.cwd as string | undefined,
      url: raw.url as string | undefined,
      headers: raw.headers as Record<string, string> | undefined,
      startupTimeoutMs: raw.startupTimeoutMs as number | undefined,
      toolTimeoutMs: raw.toolTimeoutMs as number | undefined,
      source,
      file,
    });
  }
  return result;
}

/** Reads a config file; a missing file is an empty config (unless `required`). */
export function readMcpConfigFile(file: string, source: McpConfigSource, required = false): McpConfig {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return { servers: [], inputs: [], errors: [`${file}: not a regular file`] };
    if (st.size > MAX_CONFIG_BYTES) return { servers: [], inputs: [], errors: [`${file}: larger than ${MAX_CONFIG_BYTES} bytes`] };
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return { servers: [], inputs: [], errors: [] };
    return { servers: [], inputs: [], errors: [`${file}: ${code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e)}`] };
  }
  return parseMcpConfig(text, file, source);
}

/** `$TACK_HOME/mcp.json`, else `~/.tack/mcp.json`. */
export function userMcpConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.TACK_HOME && env.TACK_HOME.trim() !== '' ? env.TACK_HOME : path.join(os.homedir(), '.tack');
  return path.join(home, 'mcp.json');
}

/**
 * The servers for a workspace: the user file, then the workspace's `.vscode/mcp.json`, then the
 * files given on the command line; a later definition of the same name replaces an earlier one.
 */
export function loadMcpConfig(opts: { workspace?: string; userFile?: string | null; extraFiles?: string[] }): McpConfig {
  const parts: McpConfig[] = [];
  if (opts.userFile !== null) parts.push(readMcpConfigFile(opts.userFile ?? userMcpConfigPath(), 'user'));
  if (opts.workspace) parts.push(readMcpConfigFile(path.join(opts.workspace, '.vscode', 'mcp.json'), 'workspace'));
  for (const f of opts.extraFiles ?? []) parts.push(readMcpConfigFile(path.resolve(f), 'cli', true));
  const byName = new Map<string, McpServerDef>();
  const inputs = new Map<string, McpInputDef>();
  const errors: string[] = [];
  for (const p of parts) {
    for (const s of p.servers) {
      byName.delete(s.name);
      byName.set(s.name, s);
    }
    for (const i of p.inputs) inputs.set(i.id, i);
    errors.push(...p.errors);
  }
  return { servers: [...byName.values()], inputs: [...inputs.values()], errors };
}

/** Answers `${input:id}`: a prompt in VS Code, an environment variable in the CLI. */
export type InputResolver = (input: McpInputDef, server: string) => Promise<string>;

export interface ResolveContext {
  workspace?: string;
  inputs: McpInputDef[];
  resolveInput: InputResolver;
  env?: NodeJS.ProcessEnv;
  /** Told the envFile's entries exactly as they are used (the trust check hashes these). */
  onEnvFile?: (entries: Record<string, string>) => void;
}

const VARIABLE = /\$\{([^}]*)\}/g;

/** Replaces `${workspaceFolder}`, `${userHome}`, `${pathSeparator}`, `${input:id}` and (outside
 * workspace files) `${env:NAME}`; anything else is an error naming it. */
async function substitute(text: string, def: McpServerDef, ctx: ResolveContext, cache: Map<string, string>): Promise<string> {
  const names = [...text.matchAll(VARIABLE)].map((m) => m[1]);
  const values = new Map<string, string>();
  for (const name of names) {
    if (values.has(name)) continue;
    let value: string;
    if (name === 'workspaceFolder' || name === 'workspaceRoot') {
      if (!ctx.workspace) throw new Error(`\${${name}} is used but there is no workspace folder`);
      value = ctx.workspace;
    } else if (name === 'userHome') {
      value = os.homedir();
    } else if (name === 'pathSeparator' || name === '/') {
      value = path.sep;
    } else if (name.startsWith('env:')) {
      if (def.source === 'workspace') {
        throw new Error(`\${${name}}: a workspace's mcp.json may not read Tack's environment; put the value in "env" or an input`);
      }
      value = (ctx.env ?? process.env)[name.slice(4)] ?? '';
    } else if (name.startsWith('input:')) {
      const id = name.slice(6);
      const input = ctx.inputs.find((i) => i.id === id);
      if (!input) throw new Error(`\${input:${id}} is used but no input with id "${id}" is declared in "inputs"`);
      const cached = cache.get(id);
      if (cached !== undefined) value = cached;
      else {
        value = await ctx.resolveInput(input, def.name);
        cache.set(id, value);
      }
    } else {
      throw new Error(`unknown variable \${${name}}`);
    }
    values.set(name, value);
  }
  return text.replace(VARIABLE, (_, name: string) => values.get(name) ?? '');
}

/** Parses a dotenv file: `NAME=value`, `export NAME=value`, quotes, `#` comments. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2];
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0])) {
      const quote = value[0];
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    } else {
      const hash = value.search(/\s#/);
      if (hash !== -1) value = value.slice(0, hash).trimEnd();
    }
    env[m[1]] = value;
  }
  return env;
}

/** The server's transport with every variable resolved (inputs asked for as needed). */
export async function resolveServer(def: McpServerDef, ctx: ResolveContext, cache = new Map<string, string>()): Promise<ResolvedTransport> {
  const sub = (t: string) => substitute(t, def, ctx, cache);
  if (def.type === 'stdio') {
    const base = path.dirname(def.file);
    const cwd = def.cwd ? path.resolve(ctx.workspace ?? base, await sub(def.cwd)) : (ctx.workspace ?? base);
    const env: Record<string, string> = {};
    if (def.envFile) {
      const file = path.resolve(ctx.workspace ?? base, await sub(def.envFile));
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (e) {
        throw new Error(`envFile ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      const entries = parseEnvFile(text);
      ctx.onEnvFile?.(entries);
      Object.assign(env, entries);
    }
    for (const [k, v] of Object.entries(def.env ?? {})) {
      if (v === null) delete env[k];
      else env[k] = await sub(String(v));
    }
    return { kind: 'stdio', command: await sub(def.command ?? ''), args: await Promise.all((def.args ?? []).map(sub)), env, cwd };
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(def.headers ?? {})) headers[k] = await sub(v);
  const url = await sub(def.url ?? '');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`"url" is not a valid URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`"url" must be http or https: ${url}`);
  return { kind: def.type, url, headers };
}

/** The environment variable the CLI reads an input from: `TACK_MCP_INPUT_<ID>` (upper case, `_`). */
export function inputEnvName(id: string): string {
  return `TACK_MCP_INPUT_${id.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** The CLI's resolver: the environment, else the input's default, else a clear error. */
export function envInputResolver(env: NodeJS.ProcessEnv = process.env): InputResolver {
  return (input, server) => {
    const name = inputEnvName(input.id);
    const v = env[name];
    if (v !== undefined) return Promise.resolve(v);
    if (input.default !== undefined) return Promise.resolve(input.default);
    return Promise.reject(
      new Error(`server "${server}" needs the input "${input.id}"${input.description ? ` (${input.description})` : ''}; the CLI cannot prompt, so set ${name}`),
    );
  };
}
