// OAuth for HTTP MCP servers, per the MCP authorization spec, on the SDK's client-side helpers
// (discovery, dynamic client registration, PKCE, token refresh). Tack supplies the storage and the
// browser step: tokens live in a TokenStore (VS Code: SecretStorage; the CLI: a file readable only
// by the user under $TACK_HOME). Signing in is its own step (`tack mcp login NAME`, or "Sign In" in
// "Tack: MCP Servers"); a turn never opens a browser: a server that needs it fails to start with a
// message saying how to sign in.
import fs from 'node:fs';
import path from 'node:path';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { loadMcpSdk } from './sdk';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/** Where a server's credentials are kept, by key. */
export interface TokenStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** A JSON file of key -> value, written 0600 (its directory 0700) and replaced atomically. */
export function fileTokenStore(file: string): TokenStore {
  const read = (): Record<string, string> => {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, string>) : {};
    } catch {
      return {};
    }
  };
  const write = (data: Record<string, string>) => {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(data, null, 2), { mode: 0o600 });
    fs.chmodSync(tmp, 0o600);
    fs.renameSync(tmp, file);
  };
  return {
    get: (key) => Promise.resolve(read()[key]),
    set: (key, value) => {
      const d = read();
      d[key] = value;
      write(d);
      return Promise.resolve();
    },
    delete: (key) => {
      const d = read();
      delete d[key];
      write(d);
      return Promise.resolve();
    },
  };
}

/** The message of a server that needs signing in. */
export class McpAuthRequiredError extends Error {
  constructor(server: string, how: string) {
    super(`the server "${server}" needs you to sign in (OAuth): ${how}`);
    this.name = 'McpAuthRequiredError';
  }
}

interface Saved {
  client?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  redirectUrl?: string;
}

/**
 * The SDK's OAuthClientProvider over a TokenStore, for one server URL. Without `onRedirect` it is
 * non-interactive: stored (and refreshed) tokens are used, and an authorization step throws
 * McpAuthRequiredError with `signInHint`.
 */
export class StoredOAuthProvider implements OAuthClientProvider {
  private verifier = '';
  private saved: Saved | undefined;

  constructor(
    private readonly server: string,
    private readonly serverUrl: string,
    private readonly store: TokenStore,
    private readonly opts: { redirectUrl?: string; onRedirect?: (url: URL) => void | Promise<void>; signInHint: string },
  ) {}

  private get key(): string {
    return `mcp-oauth:${this.server}:${this.serverUrl}`;
  }

  /** Loads what is stored (call before use: the SDK's getters are synchronous in places). */
  async load(): Promise<this> {
    const raw = await this.store.get(this.key);
    try {
      this.saved = raw ? (JSON.parse(raw) as Saved) : {};
    } catch {
      this.saved = {};
    }
    return this;
  }

  private async persist(): Promise<void> {
    await this.store.set(this.key, JSON.stringify(this.saved ?? {}));
  }

  get redirectUrl(): string {
    // Always set: without one the SDK takes the client for a machine (client credentials). The
    // placeholder is never registered: a non-interactive provider without a client stops first.
    return this.opts.redirectUrl ?? this.saved?.redirectUrl ?? 'http://127.0.0.1/callback';
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Tack',
      redirect_uris: this.redirectUrl ? [this.redirectUrl] : [],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    // Not signed in yet: registering here would fix a redirect URL nobody listens on.
    if (!this.saved?.client && !this.opts.onRedirect) throw new McpAuthRequiredError(this.server, this.opts.signInHint);
    return this.saved?.client;
  }

  async saveClientInformation(info: OAuthClientInformationMixed): Promise<void> {
    this.saved = { ...this.saved, client: info, redirectUrl: this.redirectUrl };
    await this.persist();
  }

  tokens(): OAuthTokens | undefined {
    return this.saved?.tokens;
  }

  async saveTokens(tokens: OAuthTokens): Promise<void> {
    this.saved = { ...this.saved, tokens };
    await this.persist();
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    if (!this.opts.onRedirect) throw new McpAuthRequiredError(this.server, this.opts.signInHint);
    await this.opts.onRedirect(url);
  }

  saveCodeVerifier(v: string): void {
    this.verifier = v;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  async invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): Promise<void> {
    if (scope === 'verifier' || scope === 'discovery') return;
    if (scope === 'all') this.saved = {};
    else if (scope === 'client') this.saved = { ...this.saved, client: undefined };
    else this.saved = { ...this.saved, tokens: undefined };
    await this.persist();
  }
}

/** How long signing in may take before it is given up. */
const LOGIN_TIMEOUT_MS = 5 * 60_000;

/**
 * Signs in to an HTTP server: a one-shot callback server on 127.0.0.1, the authorization URL handed
 * to `open` (a browser, or printed), the code exchanged for tokens, which the store keeps.
 */
export async function signIn(server: string, serverUrl: string, store: TokenStore, open: (url: URL) => void | Promise<void>, timeoutMs = LOGIN_TIMEOUT_MS): Promise<void> {
  let onCode: (code: string) => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const code = new Promise<string>((resolve, reject) => {
    onCode = resolve;
    onFail = reject;
  });
  // node:http only here (the extension does not load it at activation otherwise).
  const http = await import('node:http');
  const callback = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (u.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const c = u.searchParams.get('code');
    const err = u.searchParams.get('error');
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(c ? 'Tack is signed in. You can close this page.' : `Sign-in failed: ${err ?? 'no code'}`);
    if (c) onCode(c);
    else onFail(new Error(`the authorization server answered: ${err ?? 'no code'}`));
  });
  await new Promise<void>((resolve) => callback.listen(0, '127.0.0.1', () => resolve()));
  const port = (callback.address() as { port: number }).port;
  const timer = setTimeout(() => onFail(new Error(`no sign-in within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  try {
    const provider = await new StoredOAuthProvider(server, serverUrl, store, { redirectUrl: `http://127.0.0.1:${port}/callback`, onRedirect: open, signInHint: '' }).load();
    // A fresh registration for this callback URL (each sign-in listens on a new port).
    await provider.invalidateCredentials('all');
    const { auth } = await loadMcpSdk();
    const first = await auth(provider, { serverUrl });
    if (first === 'AUTHORIZED') return;
    const result = await auth(provider, { serverUrl, authorizationCode: await code });
    if (result !== 'AUTHORIZED') throw new Error('the authorization server did not issue tokens');
  } finally {
    clearTimeout(timer);
    callback.close();
  }
}
