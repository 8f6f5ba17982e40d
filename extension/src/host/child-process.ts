// node:child_process, loaded on first use. Loading it (with the modules it pulls in) costs a
// `tack exec` 2-3 ms at start-up, and a turn that runs no command and no MCP server never needs it:
// the sidecar and MCP servers are started when first used.
import type childProcessModule from 'node:child_process';

let loaded: typeof childProcessModule | undefined;

export function childProcess(): typeof childProcessModule {
  return (loaded ??= require('node:child_process') as typeof childProcessModule);
}
