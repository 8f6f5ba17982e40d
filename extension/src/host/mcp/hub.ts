// Every MCP server of a workspace: started in parallel at the first turn, their tools for the core,
// calls routed by server name, the status of each for `tack mcp list` and the VS Code panel, and
// everything stopped when Tack stops.
import type { McpToolSpec } from '../../generated/types/McpToolSpec';
import type { InputResolver, McpConfig } from './config';
import { McpServerConnection, type McpServerStatus } from './server';
import { signIn, type TokenStore } from './oauth';

export interface McpHubOptions {
  config: McpConfig;
  workspace?: string;
  resolveInput: InputResolver;
  env?: NodeJS.ProcessEnv;
  clientVersion?: string;
  log?: (line: string) => void;
  /** OAuth for HTTP servers: where tokens are kept, and the sign-in advice shown when one is needed. */
  oauth?: { store: TokenStore; signInHint: (server: string) => string };
}

export class McpHub {
  private readonly servers = new Map<string, McpServerConnection>();
  private started: Promise<string[]> | undefined;
  private readonly listeners = new Set<() => void>();
  readonly configErrors: string[];
  private readonly oauth?: McpHubOptions['oauth'];

  constructor(opts: McpHubOptions) {
    this.configErrors = [...opts.config.errors];
    this.oauth = opts.oauth;
    const ctx = {
      workspace: opts.workspace,
      inputs: opts.config.inputs,
      resolveInput: opts.resolveInput,
      inputCache: new Map<string, string>(),
      env: opts.env,
      clientVersion: opts.clientVersion ?? '0.1.0',
      log: opts.log ?? (() => undefined),
      oauth: opts.oauth,
    };
    for (const def of opts.config.servers) {
      const conn = new McpServerConnection(def, ctx);
      conn.onChange = () => this.changed();
      this.servers.set(def.name, conn);
    }
  }

  get size(): number {
    return this.servers.size;
  }

  /** Told when a server's state or tools change (list_changed, a crash, a restart). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's failure is its own.
      }
    }
  }

  /**
   * Starts every server in parallel, once; resolves (never rejects) with a message for each
   * configuration error and each server that did not start.
   */
  startAll(): Promise<string[]> {
    this.started ??= Promise.all(
      [...this.servers.values()].map((s) =>
        s.start().then(
          () => undefined,
          (e: unknown) => `MCP server "${s.name}" did not start: ${e instanceof Error ? e.message : String(e)}`,
        ),
      ),
    ).then((r) => [...this.configErrors.map((e) => `MCP configuration: ${e}`), ...r.filter((m): m is string => m !== undefined)]);
    return this.started;
  }

  /** Every tool of every server that listed its tools, for the core (`mcpTools`). */
  toolSpecs(): McpToolSpec[] {
    const specs: McpToolSpec[] = [];
    for (const s of this.servers.values()) {
      for (const t of s.listedTools()) {
        specs.push({ server: s.name, tool: t.name, description: t.description, inputSchema: t.inputSchema, readOnly: t.readOnly });
      }
    }
    return specs;
  }

  /** Calls a tool; rejects with a message fit for the model when it cannot. */
  call(server: string, tool: string, args: unknown, signal?: AbortSignal): Promise<unknown> {
    const s = this.servers.get(server);
    if (!s) return Promise.reject(new Error(`no MCP server named "${server}" is configured`));
    return s.call(tool, args, signal);
  }

  status(): McpServerStatus[] {
    return [...this.servers.values()].map((s) => s.status());
  }

  async restart(server: string): Promise<void> {
    const s = this.servers.get(server);
    if (!s) throw new Error(`no MCP server named "${server}" is configured`);
    await s.restart();
  }

  /**
   * Signs in to an HTTP server (OAuth): `open` gets the authorization URL; the tokens are stored.
   * The server is restarted afterwards when it had been started.
   */
  async signIn(server: string, open: (url: URL) => void | Promise<void>, timeoutMs?: number): Promise<void> {
    const s = this.servers.get(server);
    if (!s) throw new Error(`no MCP server named "${server}" is configured`);
    if (!this.oauth) throw new Error('signing in is not available here');
    await signIn(server, await s.resolvedUrl(), this.oauth.store, open, timeoutMs);
    if (s.status().state !== 'stopped') await s.restart();
  }

  /** Stops every server (whole process trees). */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.servers.values()].map((s) => s.stop()));
  }
}
