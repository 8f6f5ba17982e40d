export * from './config';
export { baseServerEnv, serverEnv } from './env';
export { McpHub, type McpHubOptions } from './hub';
export { McpServerConnection, type McpServerState, type McpServerStatus, type McpToolInfo } from './server';
export { fileTokenStore, McpAuthRequiredError, signIn, StoredOAuthProvider, type TokenStore } from './oauth';
export * from './trust';
