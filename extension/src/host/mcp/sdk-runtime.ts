// The MCP SDK's runtime values Tack uses, in one module that is only ever imported dynamically (through
// loadMcpSdk in ./sdk.ts). The SDK builds hundreds of zod schemas and an ajv instance when it loads
// (about 50 ms), so the extension's activation and `tack exec` without MCP servers never pay for it.
export { auth } from '@modelcontextprotocol/sdk/client/auth.js';
export { Client } from '@modelcontextprotocol/sdk/client/index.js';
export { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
export { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
export { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
export { ResultSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
