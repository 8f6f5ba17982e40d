// The agent runner's public surface (shared by the CLI and VS Code).
export { AGENTS_MD_TOTAL_BYTES, collectAgentsMd, findRepoRoot } from './agents-md';
export { createFsHost, HEADLESS_DENIAL, type FsHostOptions } from './fs-host';
export { AgentSession, type AgentSessionOptions } from './session';
export * from './types';
export {
  APPROVAL_POLICIES,
  DEFAULT_BASE_URL,
  DEFAULT_MODEL,
  resolveModel,
  SANDBOX_MODES,
  SetupError,
  startHeadlessTask,
  taskDirectory,
  type HeadlessTask,
  type HeadlessTaskOptions,
  type ModelChoice,
  type ResolvedModel,
  type SandboxModeName,
} from './headless';
