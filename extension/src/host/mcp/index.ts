export * from './config';
export { baseServerEnv, serverEnv } from './env';
export { McpHub, type McpHubOptions } from './hub';
export { McpServerConnection, type McpServerState, type McpServerStatus, type McpToolInfo } from './server';
