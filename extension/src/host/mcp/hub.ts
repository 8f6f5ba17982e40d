// Every MCP server of a workspace: started in parallel at the first turn, their tools for the core,
// calls routed by server name, the status of each for `tack mcp list` and the VS Code panel, and
// everything stopped when Tack stops.
import type { McpToolSpec } from '../../generated/types/McpToolSpec';
import type { InputResolver, McpConfig, McpServerDef } from './config';
import { McpServerConnection, type McpServerStatus, type ServerContext } from './server';
import { signIn, type TokenStore } from './oauth';
import type { McpTrustGate } from './trust';

export interface McpHubOptions {
  config: McpConfig;
  workspace?: string;
  resolveInput: InputResolver;
  env?: NodeJS.ProcessEnv;
  clientVersion?: string;
  log?: (line: string) => void;
  /** OAuth for HTTP servers: where tokens are kept, and the sign-in advice shown when one is needed. */
  oauth?: { store: TokenStore; signInHint: (server: string) => string };
  /** The trust gate for workspace definitions; without it every definition starts (tests only). */
  trust?: McpTrustGate;
}

export class McpHub {
  private readonly servers = new Map<string, McpServerConnection>();
  private started: Promise<string[]> | undefined;
  private readonly listeners = new Set<() => void>();
  private configErrorList: string[];
  private readonly ctx: ServerContext;
  private readonly oauth?: McpHubOptions['oauth'];
  private readonly trust?: McpTrustGate;
  /** Servers not started because their definition is not trusted. */
  private readonly untrusted = new Set<string>();

  constructor(opts: McpHubOptions) {
    this.configErrorList = [...opts.config.errors];
    this.oauth = opts.oauth;
    this.trust = opts.trust;
    this.ctx = {
      workspace: opts.workspace,
      inputs: opts.config.inputs,
      resolveInput: opts.resolveInput,
      inputCache: new Map<string, string>(),
      env: opts.env,
      clientVersion: opts.clientVersion ?? '0.1.0',
      log: opts.log ?? (() => undefined),
      oauth: opts.oauth,
      checkTrust: (def: McpServerDef, entries?: Record<string, string>) => {
        if (opts.trust && !opts.trust.isTrusted(def, entries)) throw new Error('its definition (or its envFile) changed since it was trusted; trust it again');
      },
    };
    for (const def of opts.config.servers) this.add(def);
  }

  private add(def: McpServerDef): void {
    const conn = new McpServerConnection(def, this.ctx);
    conn.onChange = () => this.changed();
    this.servers.set(def.name, conn);
  }

  /** The problems found in the configuration files (the rest still loaded). */
  get configErrors(): readonly string[] {
    return this.configErrorList;
  }

  /**
   * Takes the configuration anew (the person edited an mcp.json): a server whose definition is gone
   * or changed is stopped (its whole process tree) and dropped; new and changed definitions start
   * with the next turn (or "Tack: MCP Servers"), asking for trust as any workspace definition does;
   * unchanged servers keep running. Sessions hear of it through onChange, so the model's tool list
   * follows at its next request.
   */
  async reconfigure(config: McpConfig): Promise<{ added: string[]; removed: string[]; changed: string[] }> {
    const next = new Map(config.servers.map((d) => [d.name, d]));
    const dropped: string[] = [];
    const stops: Promise<void>[] = [];
    for (const [name, conn] of this.servers) {
      const def = next.get(name);
      if (def && JSON.stringify(def) === JSON.stringify(conn.def)) continue;
      stops.push(conn.stop());
      this.servers.delete(name);
      this.untrusted.delete(name);
      dropped.push(name);
    }
    this.ctx.inputs = config.inputs;
    const fresh: string[] = [];
    for (const def of config.servers) {
      if (this.servers.has(def.name)) continue;
      this.add(def);
      fresh.push(def.name);
    }
    this.configErrorList = [...config.errors];
    // The next startAll starts what is new (a running server's start is a no-op).
    this.started = undefined;
    await Promise.allSettled(stops);
    this.changed();
    return {
      added: fresh.filter((n) => !dropped.includes(n)),
      removed: dropped.filter((n) => !fresh.includes(n)),
      changed: fresh.filter((n) => dropped.includes(n)),
    };
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
   * Whether the server may run: trusted, or the person says so now (VS Code asks; the CLI cannot).
   * Untrusted servers are remembered so their status says so.
   */
  private async admit(s: McpServerConnection): Promise<boolean> {
    const gate = this.trust;
    if (!gate || gate.isTrusted(s.def)) {
      this.untrusted.delete(s.name);
      return true;
    }
    let ok: boolean;
    try {
      ok = gate.ask ? await gate.ask(s.def) : false;
    } catch {
      ok = false;
    }
    if (ok) this.untrusted.delete(s.name);
    else this.untrusted.add(s.name);
    this.changed();
    return ok;
  }

  private notTrusted(server: string): Error {
    return new Error(`MCP server "${server}" was not started: its definition in the workspace's .vscode/mcp.json is not trusted. ${this.trust?.hint ?? ''}`.trim());
  }

  /** A server's definition as this hub would start it. */
  definition(server: string): McpServerDef | undefined {
    return this.servers.get(server)?.def;
  }

  /** The names of servers not started because their definitions are not trusted. */
  untrustedServers(): string[] {
    return [...this.untrusted];
  }

  /** The message naming the servers skipped as untrusted and how to trust them (undefined: none). */
  untrustedMessage(): string | undefined {
    const skipped = this.untrustedServers();
    if (skipped.length === 0) return undefined;
    const one = skipped.length === 1;
    return `MCP server${one ? '' : 's'} ${skipped.map((n) => `"${n}"`).join(', ')} from the workspace's .vscode/mcp.json ${one ? 'was' : 'were'} not started: ${one ? 'its definition is' : 'their definitions are'} not trusted. ${this.trust?.hint ?? ''}`.trim();
  }

  /**
   * Starts every trusted server in parallel, once (untrusted ones are asked about first, one at a
   * time, where the gate can ask); resolves (never rejects) with a message for each configuration
   * error, the servers skipped as untrusted, and each server that did not start.
   */
  startAll(): Promise<string[]> {
    this.started ??= (async () => {
      const admitted: McpServerConnection[] = [];
      for (const s of this.servers.values()) if (await this.admit(s)) admitted.push(s);
      const r = await Promise.all(
        admitted.map((s) =>
          s.start().then(
            () => undefined,
            (e: unknown) => `MCP server "${s.name}" did not start: ${e instanceof Error ? e.message : String(e)}`,
          ),
        ),
      );
      const trustMessage = this.untrustedMessage();
      return [...this.configErrors.map((e) => `MCP configuration: ${e}`), ...(trustMessage ? [trustMessage] : []), ...r.filter((m): m is string => m !== undefined)];
    })();
    return this.started;
  }

  /** Trusts a server's definition (remembered by the gate) and starts it. */
  async trustAndStart(server: string): Promise<void> {
    const s = this.servers.get(server);
    if (!s) throw new Error(`no MCP server named "${server}" is configured`);
    await this.trust?.remember(s.def);
    this.untrusted.delete(server);
    await s.start();
  }

  /**
   * Stops trusting a workspace server's definition and stops the server: it is asked about again
   * (VS Code's modal) before it next starts.
   */
  async untrust(server: string): Promise<void> {
    const s = this.servers.get(server);
    if (!s) throw new Error(`no MCP server named "${server}" is configured`);
    await this.trust?.forget(s.def);
    this.untrusted.add(server);
    await s.stop();
    this.changed();
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
    return this.admit(s).then((ok) => (ok ? s.call(tool, args, signal) : Promise.reject(this.notTrusted(server))));
  }

  status(): McpServerStatus[] {
    return [...this.servers.values()].map((s) => {
      const st = s.status();
      if (st.state !== 'running' && (this.untrusted.has(s.name) || (this.trust !== undefined && !this.trust.isTrusted(s.def)))) {
        return { ...st, state: 'untrusted', lastError: this.notTrusted(s.name).message };
      }
      return st;
    });
  }

  async restart(server: string): Promise<void> {
    const s = this.servers.get(server);
    if (!s) throw new Error(`no MCP server named "${server}" is configured`);
    if (!(await this.admit(s))) throw this.notTrusted(server);
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
    if (!(await this.admit(s))) throw this.notTrusted(server);
    await signIn(server, await s.resolvedUrl(), this.oauth.store, open, timeoutMs);
    if (s.status().state !== 'stopped') await s.restart();
  }

  /** Stops every server (whole process trees). */
  async stopAll(): Promise<void> {
    await Promise.allSettled([...this.servers.values()].map((s) => s.stop()));
  }
}
