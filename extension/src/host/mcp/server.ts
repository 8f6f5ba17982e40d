// One MCP server: started on demand (resolve the config, spawn or connect, initialize, list tools)
// within a start-up timeout, watched for exits, restarted on the next call after a crash, and
// stopped with its whole process tree. Built on the SDK's Client.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  DEFAULT_STARTUP_TIMEOUT_MS,
  DEFAULT_TOOL_TIMEOUT_MS,
  resolveServer,
  type McpInputDef,
  type McpServerDef,
  type InputResolver,
  type ResolvedTransport,
} from './config';
import { serverEnv } from './env';
import { GroupStdioTransport } from './stdio-transport';
import { McpAuthRequiredError, StoredOAuthProvider, type TokenStore } from './oauth';
import { loadMcpSdk, type McpSdk } from './sdk';

/** `untrusted`: a workspace definition the person has not trusted (the hub's status only). */
export type McpServerState = 'stopped' | 'starting' | 'running' | 'failed' | 'crashed' | 'untrusted';

export interface McpToolInfo {
  name: string;
  description?: string;
  inputSchema: unknown;
  /** Annotated `readOnlyHint: true`. */
  readOnly: boolean;
  title?: string;
}

export interface McpServerStatus {
  name: string;
  type: McpServerDef['type'];
  source: McpServerDef['source'];
  state: McpServerState;
  tools: McpToolInfo[];
  lastError?: string;
  /** Tools the server listed that could not be used (bad entries), with the reason. */
  skippedTools: string[];
  pid?: number;
  serverName?: string;
  serverVersion?: string;
}

export interface ServerContext {
  workspace?: string;
  inputs: McpInputDef[];
  resolveInput: InputResolver;
  /** Answers to inputs already given (shared by every server). */
  inputCache: Map<string, string>;
  env?: NodeJS.ProcessEnv;
  clientVersion: string;
  log: (line: string) => void;
  /** OAuth for HTTP servers: where tokens are kept and how the person signs in. */
  oauth?: { store: TokenStore; signInHint: (server: string) => string };
  /** Throws when the definition (with the envFile entries just read) is not trusted; checked at every start. */
  checkTrust?: (def: McpServerDef, envFileEntries?: Record<string, string>) => void;
}

/** How long a call's result waits for a tools/list the server's list_changed started. */
const RELIST_WAIT_MS = 5_000;

/** The most pages of `tools/list` followed, and tools kept per server. */
const MAX_PAGES = 50;
const MAX_TOOLS = 500;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function timeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms))),
  ]);
}

export class McpServerConnection {
  private state: McpServerState = 'stopped';
  private client: Client | undefined;
  /** The SDK, loaded by the first start (connect). */
  private sdk: McpSdk | undefined;
  private transport: Transport | undefined;
  private starting: Promise<void> | undefined;
  private tools: McpToolInfo[] = [];
  /** The tools/list a list_changed notification started, while it runs. */
  private relisting: Promise<void> | undefined;
  private skipped: string[] = [];
  private lastError: string | undefined;
  private stopping = false;
  /** Told when the tool list or the state changes. */
  onChange?: () => void;

  constructor(
    readonly def: McpServerDef,
    private readonly ctx: ServerContext,
  ) {}

  get name(): string {
    return this.def.name;
  }

  status(): McpServerStatus {
    const version = this.client?.getServerVersion();
    return {
      name: this.def.name,
      type: this.def.type,
      source: this.def.source,
      state: this.state,
      tools: [...this.tools],
      lastError: this.lastError,
      skippedTools: [...this.skipped],
      pid: this.transport instanceof GroupStdioTransport ? this.transport.pid : undefined,
      serverName: version?.name,
      serverVersion: version?.version,
    };
  }

  /** The tools last listed (kept while crashed: the next call restarts the server). */
  listedTools(): McpToolInfo[] {
    return this.state === 'running' || this.state === 'crashed' ? this.tools : [];
  }

  /** Starts the server unless it runs; resolves when it runs, rejects with why it could not. */
  start(): Promise<void> {
    if (this.state === 'running') return Promise.resolve();
    if (this.starting) return this.starting;
    this.stopping = false;
    this.state = 'starting';
    this.onChange?.();
    const ms = this.def.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
    const p = timeout(this.connect(), ms, `start-up (initialize and tools/list)`)
      .then(() => {
        this.state = 'running';
        this.lastError = undefined;
      })
      .catch(async (e: unknown) => {
        const why = this.describe(message(e));
        await this.closeTransport();
        this.state = 'failed';
        this.lastError = why;
        throw new Error(why);
      })
      .finally(() => {
        this.starting = undefined;
        this.onChange?.();
      });
    this.starting = p;
    return p;
  }

  /** Adds what a stdio server printed and how it ended, when known. */
  private describe(why: string): string {
    const t = this.transport;
    if (t instanceof GroupStdioTransport) {
      const extra: string[] = [];
      if (t.exit && !why.includes(t.exit)) extra.push(`the process ${t.exit}`);
      const err = t.stderr.trim();
      if (err) extra.push(`stderr: ${err.split('\n').slice(-5).join('\n')}`);
      if (extra.length) return `${why} (${extra.join('; ')})`;
    }
    return why;
  }

  private async connect(): Promise<void> {
    let resolved: ResolvedTransport;
    let envFileEntries: Record<string, string> | undefined;
    try {
      resolved = await resolveServer(
        this.def,
        { workspace: this.ctx.workspace, inputs: this.ctx.inputs, resolveInput: this.ctx.resolveInput, env: this.ctx.env, onEnvFile: (e) => (envFileEntries = e) },
        this.ctx.inputCache,
      );
    } catch (e) {
      throw new Error(`configuration: ${message(e)}`, { cause: e });
    }
    // The trust check sees the very envFile entries the server gets (no window for a swap).
    this.ctx.checkTrust?.(this.def, envFileEntries);
    const sdk = (this.sdk ??= await loadMcpSdk());
    const { StreamableHTTPClientTransport, SSEClientTransport } = sdk;
    if (resolved.kind === 'stdio') {
      const transport = new GroupStdioTransport({ command: resolved.command, args: resolved.args, cwd: resolved.cwd, env: serverEnv(resolved.env, this.ctx.env) }, sdk);
      await this.open(transport);
    } else if (resolved.kind === 'http') {
      const url = new URL(resolved.url);
      const authProvider = await this.authProvider(resolved.url);
      try {
        await this.open(new StreamableHTTPClientTransport(url, { requestInit: { headers: resolved.headers }, authProvider }));
      } catch (e) {
        if (e instanceof McpAuthRequiredError) throw e;
        // Servers of the older protocol answer the Streamable HTTP POST with 4xx: try SSE.
        this.ctx.log(`mcp ${this.def.name}: Streamable HTTP failed (${message(e)}); trying SSE`);
        await this.closeTransport();
        try {
          await this.open(new SSEClientTransport(url, { requestInit: { headers: resolved.headers }, authProvider }));
        } catch (e2) {
          throw new Error(`Streamable HTTP: ${message(e)}; SSE: ${message(e2)}`, { cause: e2 });
        }
      }
    } else {
      const authProvider = await this.authProvider(resolved.url);
      await this.open(new SSEClientTransport(new URL(resolved.url), { requestInit: { headers: resolved.headers }, authProvider }));
    }
    await this.refreshTools();
  }

  /** The SDK; a client exists only after connect() loaded it. */
  private loadedSdk(): McpSdk {
    if (!this.sdk) throw new Error('the MCP SDK is not loaded (not connected)');
    return this.sdk;
  }

  /** The non-interactive OAuth provider for an HTTP server (stored tokens, refreshed as needed). */
  private async authProvider(url: string): Promise<StoredOAuthProvider | undefined> {
    const o = this.ctx.oauth;
    if (!o) return undefined;
    return new StoredOAuthProvider(this.def.name, url, o.store, { signInHint: o.signInHint(this.def.name) }).load();
  }

  /** The resolved URL of an HTTP server (for signing in). */
  async resolvedUrl(): Promise<string> {
    const r = await resolveServer(this.def, { workspace: this.ctx.workspace, inputs: this.ctx.inputs, resolveInput: this.ctx.resolveInput, env: this.ctx.env }, this.ctx.inputCache);
    if (r.kind === 'stdio') throw new Error(`"${this.def.name}" is a stdio server: OAuth is for HTTP servers`);
    return r.url;
  }

  private async open(transport: Transport): Promise<void> {
    const { Client, ToolListChangedNotificationSchema } = this.loadedSdk();
    const client = new Client({ name: 'tack', version: this.ctx.clientVersion }, { capabilities: {} });
    this.client = client;
    this.transport = transport;
    client.onclose = () => {
      if (this.client !== client) return;
      this.client = undefined;
      if (this.stopping || this.state === 'starting') return;
      const t = this.transport;
      this.state = 'crashed';
      this.lastError = this.describe(t instanceof GroupStdioTransport && t.exit ? `the server ${t.exit}` : 'the connection closed');
      this.ctx.log(`mcp ${this.def.name}: ${this.lastError}`);
      this.onChange?.();
    };
    client.onerror = (e) => this.ctx.log(`mcp ${this.def.name}: ${message(e)}`);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      const relist = (async () => {
        try {
          await this.refreshTools();
        } catch (e) {
          this.lastError = `tools/list after a list change failed: ${message(e)}`;
        }
        this.onChange?.();
      })();
      this.relisting = relist;
      void relist.finally(() => {
        if (this.relisting === relist) this.relisting = undefined;
      });
      return relist;
    });
    await client.connect(transport);
  }

  /** `tools/list`, every page; each tool checked on its own so one bad entry costs only itself. */
  private async refreshTools(): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('not connected');
    const { ResultSchema } = this.loadedSdk();
    if (!client.getServerCapabilities()?.tools) {
      this.tools = [];
      this.skipped = [];
      return;
    }
    const tools: McpToolInfo[] = [];
    const skipped: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = (await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ResultSchema)) as Record<string, unknown>;
      if (!Array.isArray(res.tools)) throw new Error('tools/list answered without a "tools" list');
      for (const [i, raw] of (res.tools as unknown[]).entries()) {
        const t = raw as Record<string, unknown> | null;
        if (!t || typeof t !== 'object' || typeof t.name !== 'string' || t.name === '') {
          skipped.push(`tools[${i}]: no name`);
          continue;
        }
        if (tools.length >= MAX_TOOLS) {
          skipped.push(`${t.name}: more than ${MAX_TOOLS} tools`);
          continue;
        }
        const ann = (t.annotations ?? {}) as Record<string, unknown>;
        tools.push({
          name: t.name,
          description: typeof t.description === 'string' ? t.description : undefined,
          inputSchema: t.inputSchema ?? null,
          readOnly: ann.readOnlyHint === true,
          title: typeof t.title === 'string' ? t.title : typeof ann.title === 'string' ? ann.title : undefined,
        });
      }
      cursor = typeof res.nextCursor === 'string' && res.nextCursor !== '' ? res.nextCursor : undefined;
      if (!cursor) break;
    }
    this.tools = tools;
    this.skipped = skipped;
  }

  /**
   * `tools/call`; the result as the server sent it (the core checks its shape). Starts (or
   * restarts) the server first when it is not running.
   */
  async call(tool: string, args: unknown, signal?: AbortSignal): Promise<unknown> {
    if (this.state !== 'running') {
      const before = this.state;
      try {
        await this.start();
      } catch (e) {
        throw new Error(`${before === 'crashed' ? 'restarting' : 'starting'} the server failed: ${message(e)}`, { cause: e });
      }
    }
    const client = this.client;
    if (!client) throw new Error('the server is not running');
    const { ResultSchema } = this.loadedSdk();
    try {
      const result = await client.request({ method: 'tools/call', params: { name: tool, arguments: args as Record<string, unknown> } }, ResultSchema, {
        signal,
        timeout: this.def.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS,
        resetTimeoutOnProgress: true,
        onprogress: () => undefined,
      });
      // A tool list the server changed during the call (list_changed came before the result) is
      // listed again before the result goes back, so the model's next request offers the new tools.
      const relisting = this.relisting;
      if (relisting) await Promise.race([relisting, new Promise((r) => setTimeout(r, RELIST_WAIT_MS).unref())]);
      return result;
    } catch (e) {
      const m = message(e);
      if (this.state === 'crashed' || /connection closed/i.test(m)) {
        throw new Error(`the server stopped during the call: ${this.lastError ?? m}. It is restarted on the next call.`, { cause: e });
      }
      if (/timed out|timeout/i.test(m)) throw new Error(`no answer within ${Math.round((this.def.toolTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS) / 1000)} s (${m})`, { cause: e });
      throw new Error(m, { cause: e });
    }
  }

  private async closeTransport(): Promise<void> {
    const client = this.client;
    const transport = this.transport;
    this.client = undefined;
    try {
      if (client) await client.close();
      else if (transport) await transport.close();
    } catch {
      // Closing what already failed.
    }
    // The SDK's close does not wait for a stdio process group; ours does.
    if (transport instanceof GroupStdioTransport) await transport.close().catch(() => undefined);
  }

  /** Stops the server and its whole process tree. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting?.catch(() => undefined);
    await this.closeTransport();
    this.state = 'stopped';
    this.onChange?.();
  }

  /** Stops and starts again (the VS Code command). */
  async restart(): Promise<void> {
    await this.stop();
    this.lastError = undefined;
    await this.start();
  }
}
