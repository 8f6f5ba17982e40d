// MCP servers in VS Code: the hub for the workspace (the user file and `.vscode/mcp.json`, both
// watched: an edit takes effect at the next turn without a reload), inputs asked with a masked input
// box and kept in SecretStorage, and "Tack: MCP Servers" (status, tool count, last error; restart one;
// show its tools; trust one, or stop trusting it). None of it in Restricted Mode: a
// workspace's servers are programs it names. Even in a trusted workspace, a server from
// `.vscode/mcp.json` starts only after a modal showing its command line (or URL) is answered "Trust and
// start"; the answer is kept per definition hash in workspaceState (host/mcp/trust.ts).
import * as vscode from 'vscode';
import path from 'node:path';
import {
  definitionHash,
  describeDefinition,
  loadMcpConfig,
  McpHub,
  needsTrust,
  realWorkspace,
  storeTrustGate,
  type McpInputDef,
  type McpServerDef,
  type McpServerStatus,
  type McpTrustStore,
  type TokenStore,
  userMcpConfigPath,
} from '../host/mcp';
import { reveal } from '../shared/display';
import { requireTrust } from './trust';

const INPUT_SECRET_PREFIX = 'tack.mcpInput.';
const TRUST_STATE_KEY = 'tack.mcpTrust';
const TRUST_AND_START = 'Trust and start';
const DONT_START = "Don't start";

type TrustAnswers = Record<string, 'trusted' | 'refused'>;

/** How long after the last change of an mcp.json the configuration is read again. */
const RELOAD_DEBOUNCE_MS = 250;

/** Answers about workspace definitions in workspaceState, keyed by the workspace's real path and hash. */
function workspaceTrustStore(state: vscode.Memento): McpTrustStore & { refused(workspace: string, hash: string): boolean; refuse(workspace: string, hash: string): Promise<void> } {
  const key = (workspace: string, hash: string) => `${workspace}\u0000${hash}`;
  const read = () => state.get<TrustAnswers>(TRUST_STATE_KEY) ?? {};
  const set = (k: string, v: 'trusted' | 'refused') => Promise.resolve(state.update(TRUST_STATE_KEY, { ...read(), [k]: v }));
  return {
    has: (workspace, hash) => read()[key(workspace, hash)] === 'trusted',
    add: (workspace, hash) => set(key(workspace, hash), 'trusted'),
    refused: (workspace, hash) => read()[key(workspace, hash)] === 'refused',
    refuse: (workspace, hash) => set(key(workspace, hash), 'refused'),
    remove: (workspace, hash) => {
      const answers = { ...read() };
      delete answers[key(workspace, hash)];
      return Promise.resolve(state.update(TRUST_STATE_KEY, answers));
    },
  };
}

/** OAuth tokens of HTTP servers in SecretStorage. */
function secretTokenStore(secrets: vscode.SecretStorage): TokenStore {
  const k = (key: string) => `tack.${key}`;
  return {
    get: async (key) => (await secrets.get(k(key))) ?? undefined,
    set: (key, value) => Promise.resolve(secrets.store(k(key), value)),
    delete: (key) => Promise.resolve(secrets.delete(k(key))),
  };
}

export class McpManager implements vscode.Disposable {
  private hubInstance: McpHub | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly workspace: () => string | undefined,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private watchers: vscode.Disposable[] = [];
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * The hub, created on first use, also when no server is configured yet: sessions keep the hub they
   * started with, and a server added to an mcp.json later joins it at the next turn.
   */
  hub(): McpHub | undefined {
    requireTrust();
    if (!this.hubInstance) {
      const workspace = this.workspace();
      const config = loadMcpConfig({ workspace });
      for (const e of config.errors) this.log.warn(`MCP configuration: ${e}`);
      const store = workspaceTrustStore(this.context.workspaceState);
      const trust = storeTrustGate({
        workspace,
        store,
        hint: 'Use "Tack: MCP Servers" and pick it to trust it.',
        ask: (def) => this.askTrust(def, workspace, store),
      });
      this.hubInstance = new McpHub({
        trust,
        config,
        workspace,
        resolveInput: (input, server) => this.resolveInput(input, server),
        clientVersion: String(this.context.extension.packageJSON.version ?? '0.1.0'),
        log: (line) => this.log.debug(line),
        oauth: { store: secretTokenStore(this.context.secrets), signInHint: (s) => `use "Tack: MCP Servers", pick ${s}, then Sign In` },
      });
      this.watch(workspace);
    }
    return this.hubInstance;
  }

  /** Watches both configuration files; a change is read again once the edits settle. */
  private watch(workspace: string | undefined): void {
    const files = [userMcpConfigPath(), ...(workspace ? [path.join(workspace, '.vscode', 'mcp.json')] : [])];
    for (const file of files) {
      const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(file)), path.basename(file)));
      const changed = () => this.scheduleReload();
      this.watchers.push(w, w.onDidChange(changed), w.onDidCreate(changed), w.onDidDelete(changed));
    }
  }

  private scheduleReload(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = undefined;
      void this.reload();
    }, RELOAD_DEBOUNCE_MS);
  }

  /** Reads the configuration again and hands it to the hub (which stops what is gone or changed). */
  async reload(): Promise<void> {
    const hub = this.hubInstance;
    if (!hub) return;
    const config = loadMcpConfig({ workspace: this.workspace() });
    for (const e of config.errors) this.log.warn(`MCP configuration: ${e}`);
    const r = await hub.reconfigure(config);
    const parts = [
      ...(r.added.length ? [`added ${r.added.join(', ')}`] : []),
      ...(r.changed.length ? [`changed ${r.changed.join(', ')} (stopped; it starts again with its new definition)`] : []),
      ...(r.removed.length ? [`removed ${r.removed.join(', ')} (stopped)`] : []),
    ];
    this.log.info(`MCP configuration read again${parts.length ? `: ${parts.join('; ')}` : ': no server changed'}`);
  }

  /** The modal before an untrusted workspace server first starts; a "Don't start" is remembered too. */
  private async askTrust(def: McpServerDef, workspace: string | undefined, store: ReturnType<typeof workspaceTrustStore>): Promise<boolean> {
    const real = realWorkspace(workspace ?? '.');
    const hash = definitionHash(def, workspace);
    if (store.refused(real, hash)) return false;
    const [, ...details] = describeDefinition(def);
    const answer = await vscode.window.showWarningMessage(
      `Start the MCP server "${reveal(def.name, { singleLine: true })}" from this workspace's .vscode/mcp.json?`,
      {
        modal: true,
        detail: `${reveal(details.map((l) => l.trim()).join('\n'))}\n\nIt runs on this machine outside Tack's sandbox. Start it only if you trust this repository.`,
      },
      TRUST_AND_START,
      DONT_START,
    );
    if (answer === TRUST_AND_START) return true;
    if (answer === DONT_START) await store.refuse(real, hash);
    return false;
  }

  private secretKey(id: string): string {
    return `${INPUT_SECRET_PREFIX}${this.workspace() ?? ''}\u0000${id}`;
  }

  /** `${input:id}`: the stored answer, else a (masked when `password`) input box; the answer is stored. */
  private async resolveInput(input: McpInputDef, server: string): Promise<string> {
    const key = this.secretKey(input.id);
    const stored = await this.context.secrets.get(key);
    if (stored !== undefined) return stored;
    const value = await vscode.window.showInputBox({
      title: `Tack: MCP server "${reveal(server, { singleLine: true })}"`,
      prompt: reveal(input.description ?? `A value for the input "${input.id}"`, { singleLine: true }),
      password: input.password === true,
      value: input.default,
      ignoreFocusOut: true,
    });
    if (value === undefined) throw new Error(`the input "${input.id}" was not given`);
    await this.context.secrets.store(key, value);
    return value;
  }

  /** "Tack: MCP Servers": pick a server, then restart it, see its tools or its last error. */
  async showServers(): Promise<void> {
    const hub = this.hub();
    if (!hub || (hub.size === 0 && hub.configErrors.length === 0)) {
      void vscode.window.showInformationMessage('Tack: no MCP servers are configured. Add them to .vscode/mcp.json (VS Code\'s format) or to ~/.tack/mcp.json.');
      return;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Tack: starting MCP servers' }, () => hub.startAll());
    type Item = vscode.QuickPickItem & { server: McpServerStatus };
    const items: Item[] = hub.status().map((s) => ({
      label: `${s.state === 'running' ? '$(pass)' : s.state === 'starting' ? '$(loading~spin)' : s.state === 'untrusted' ? '$(shield)' : '$(error)'} ${reveal(s.name, { singleLine: true })}`,
      description: `${s.state === 'untrusted' ? 'not trusted' : s.state} · ${s.tools.length} tool${s.tools.length === 1 ? '' : 's'} · ${s.type} · ${s.source}`,
      detail: s.lastError ? reveal(s.lastError, { singleLine: true }) : undefined,
      server: s,
    }));
    const pick = await vscode.window.showQuickPick(items, { title: 'Tack: MCP Servers', placeHolder: 'Pick a server to restart it or see its tools' });
    if (!pick) return;
    const s = pick.server;
    const restart = 'Restart';
    const tools = 'Show Tools';
    const error = 'Show Last Error';
    const signIn = 'Sign In (OAuth)';
    const trustAction = 'Trust…';
    const untrustAction = 'Stop Trusting';
    if (s.state === 'untrusted') {
      const action = await vscode.window.showQuickPick([trustAction], { title: `Tack: MCP server ${reveal(s.name, { singleLine: true })} (not trusted)` });
      if (action === trustAction) await this.trustServer(hub, s.name);
      return;
    }
    const def = hub.definition(s.name);
    const canUntrust = def !== undefined && needsTrust(def);
    const actions = [restart, ...(s.type !== 'stdio' ? [signIn] : []), ...(s.tools.length ? [tools] : []), ...(s.lastError ? [error] : []), ...(canUntrust ? [untrustAction] : [])];
    const action = await vscode.window.showQuickPick(actions, { title: `Tack: MCP server ${reveal(s.name, { singleLine: true })}` });
    if (action === restart) {
      try {
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Tack: restarting ${reveal(s.name, { singleLine: true })}` }, () => hub.restart(s.name));
        const now = hub.status().find((x) => x.name === s.name);
        void vscode.window.showInformationMessage(`Tack: ${reveal(s.name, { singleLine: true })} is ${now?.state ?? 'unknown'} with ${now?.tools.length ?? 0} tools.`);
      } catch (e) {
        void vscode.window.showErrorMessage(`Tack: ${reveal(s.name, { singleLine: true })} did not restart: ${reveal(e instanceof Error ? e.message : String(e), { singleLine: true })}`);
      }
    } else if (action === signIn) {
      try {
        await vscode.window.withProgress(
          { location: vscode.ProgressLocation.Notification, title: `Tack: signing in to ${reveal(s.name, { singleLine: true })} in your browser`, cancellable: false },
          () => hub.signIn(s.name, async (url) => void (await vscode.env.openExternal(vscode.Uri.parse(url.toString(), true)))),
        );
        void vscode.window.showInformationMessage(`Tack: signed in to ${reveal(s.name, { singleLine: true })}.`);
      } catch (e) {
        void vscode.window.showErrorMessage(`Tack: signing in to ${reveal(s.name, { singleLine: true })} failed: ${reveal(e instanceof Error ? e.message : String(e), { singleLine: true })}`);
      }
    } else if (action === tools) {
      await vscode.window.showQuickPick(
        s.tools.map((t) => ({
          label: reveal(t.name, { singleLine: true }),
          description: t.readOnly ? 'read-only' : 'asks for approval under untrusted / on-request',
          detail: t.description ? reveal(t.description, { singleLine: true }) : undefined,
        })),
        { title: `Tack: tools of ${reveal(s.name, { singleLine: true })}` },
      );
    } else if (action === untrustAction) {
      await hub.untrust(s.name);
      void vscode.window.showInformationMessage(`Tack: ${reveal(s.name, { singleLine: true })} is stopped and no longer trusted; it is asked about again before it next starts.`);
    } else if (action === error && s.lastError) {
      void vscode.window.showErrorMessage(`Tack: ${reveal(s.name, { singleLine: true })}: ${reveal(s.lastError, { singleLine: true })}`);
    }
  }

  /** "Trust…": the same modal, without a remembered refusal; trusting starts the server. */
  private async trustServer(hub: McpHub, name: string): Promise<void> {
    const def = hub.definition(name);
    if (!def) return;
    const [, ...details] = describeDefinition(def);
    const answer = await vscode.window.showWarningMessage(
      `Trust the MCP server "${reveal(name, { singleLine: true })}" from this workspace's .vscode/mcp.json?`,
      { modal: true, detail: `${reveal(details.map((l) => l.trim()).join('\n'))}\n\nIt runs on this machine outside Tack's sandbox.` },
      TRUST_AND_START,
    );
    if (answer !== TRUST_AND_START) return;
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Tack: starting ${reveal(name, { singleLine: true })}` }, () => hub.trustAndStart(name));
      const now = hub.status().find((x) => x.name === name);
      void vscode.window.showInformationMessage(`Tack: ${reveal(name, { singleLine: true })} is ${now?.state ?? 'unknown'} with ${now?.tools.length ?? 0} tools.`);
    } catch (e) {
      void vscode.window.showErrorMessage(`Tack: ${reveal(name, { singleLine: true })} did not start: ${reveal(e instanceof Error ? e.message : String(e), { singleLine: true })}`);
    }
  }

  /** Stops every server (their whole process trees) and the watching. */
  async stop(): Promise<void> {
    const hub = this.hubInstance;
    this.hubInstance = undefined;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    for (const w of this.watchers.splice(0)) w.dispose();
    await hub?.stopAll();
  }

  dispose(): void {
    void this.stop();
  }
}
