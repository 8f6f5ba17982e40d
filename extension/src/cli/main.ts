// The `tack` command line. Each subcommand lives in its own module.
import './v8-tuning'; // first: before anything compiles the wasm core
import { loadCore } from '../host/core';
import { applyPatchCommand } from './apply-patch';
import { checkpointsCommand, rewindCommand } from './checkpoints';
import { execCommand } from './exec';
import { mcpCommand } from './mcp';

const USAGE = `Usage: tack <command> [options]

Commands:
  exec [options] PROMPT        run one task to completion, headless
  apply-patch [PATCH | -]      apply a patch to the current directory with Tack's engine
  mcp list [--json]            start the configured MCP servers and list their status and tools
  mcp login NAME               sign in to an HTTP MCP server (OAuth)
  mcp trust [-C DIR] [--yes]   review and trust the servers a workspace's .vscode/mcp.json defines
  mcp-server [options]         serve Tack as an MCP server on stdio (tools: tack, tack-reply)
  checkpoints [-C DIR]         list the checkpoints recorded before agents' turns
  rewind ID [-C DIR]           restore the workspace's files to a checkpoint
  --version                    print the version
  --help                       print this help

Run \`tack <command> --help\` for a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case '--version':
      process.stdout.write(`tack ${loadCore().coreVersion()}\n`);
      return 0;
    case 'exec':
      return execCommand(rest);
    case 'apply-patch':
      return applyPatchCommand(rest);
    case 'mcp':
      return mcpCommand(rest);
    case 'mcp-server':
      // Its own chunk (dist/chunks/mcp-server.js): the MCP SDK's server side loads only here.
      return (await import('./mcp-server')).mcpServerCommand(rest);
    case 'checkpoints':
      return checkpointsCommand(rest);
    case 'rewind':
      return rewindCommand(rest);
    default:
      process.stderr.write(`tack: unknown command '${cmd}'${rest.length ? '' : ''}\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`tack: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
