// The environment a stdio MCP server starts with: a minimal base taken from Tack's own environment
// (where programs are, who and where the user is, locale, temp dir, proxies without credentials),
// then the configuration's `envFile` and `env` on top. Nothing else of Tack's environment passes:
// no API keys, tokens, credential agents or editor IPC handles. The config may still set any
// variable explicitly; that is the person's own choice, in the open.

/** Names passed from Tack's environment when set. */
const BASE_NAMES = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
  'LANG',
  'LANGUAGE',
  'TZ',
  'TMPDIR',
  'TMP',
  'TEMP',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_RUNTIME_DIR',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  // Windows: programs fail to start without these.
  'SYSTEMROOT',
  'SYSTEMDRIVE',
  'WINDIR',
  'COMSPEC',
  'PATHEXT',
  'APPDATA',
  'LOCALAPPDATA',
  'PROGRAMDATA',
  'PROGRAMFILES',
  'USERPROFILE',
];

const PROXY_NAMES = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY'];

/** A proxy URL with a user or password in it carries a credential. */
function hasCredentials(value: string): boolean {
  try {
    const u = new URL(value);
    return u.username !== '' || u.password !== '';
  } catch {
    return /\/\/[^/@\s]+@/.test(value);
  }
}

/** The minimal environment from `from` (Tack's own). */
export function baseServerEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  const upper = new Map(Object.keys(from).map((k) => [k.toUpperCase(), k]));
  for (const name of BASE_NAMES) {
    const key = upper.get(name);
    const v = key === undefined ? undefined : from[key];
    if (v !== undefined) env[key!] = v;
  }
  for (const [k, v] of Object.entries(from)) {
    if (v === undefined) continue;
    if (k.startsWith('LC_')) env[k] = v;
    if (PROXY_NAMES.includes(k.toUpperCase()) && !hasCredentials(v)) env[k] = v;
  }
  return env;
}

/** The server's environment: the base, then what the configuration sets. */
export function serverEnv(configured: Record<string, string>, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return { ...baseServerEnv(from), ...configured };
}
