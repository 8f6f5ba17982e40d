// The MCP SDK, loaded on first use: a server starting, or a sign-in. Everything else in host/mcp
// imports the SDK for its types only (`import type`), which erases to nothing; a value import of
// '@modelcontextprotocol/sdk/...' anywhere reachable from activation would load it all again.
export type McpSdk = typeof import('./sdk-runtime');

let loading: Promise<McpSdk> | undefined;

export function loadMcpSdk(): Promise<McpSdk> {
  loading ??= import('./sdk-runtime');
  return loading;
}
