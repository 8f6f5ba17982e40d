// The agent runner's public surface (shared by the CLI and VS Code).
export { agentsMdIn, collectAgentsMd, findRepoRoot } from './agents-md';
export { createFsHost, HEADLESS_DENIAL, type FsHostOptions } from './fs-host';
export { AgentSession, type AgentSessionOptions } from './session';
export * from './types';
