// Runs the scripted model server from a JSON script file until killed:
//   node --import tsx tests/model-server/cli.ts --script FILE [--port N] [--loop] [--repeat N] [--requests-log FILE]
// Prints the base URL as the first line of stdout; one line per request on stderr.

import fs from 'node:fs';
import { startModelServer } from './server';
import { normalizeScript, ScriptError } from './script';

function usage(message: string): never {
  process.stderr.write(`model-server: ${message}\nusage: cli.ts --script FILE [--port N] [--loop | --repeat N] [--api-key KEY] [--requests-log FILE]\n`);
  process.exit(2);
}

function parseArgs(argv: string[]) {
  const out: { script?: string; port?: number; repeat?: number; apiKey?: string; requestsLog?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === '--script') out.script = value();
    else if (arg === '--port') {
      const port = Number(value());
      if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be 0-65535');
      out.port = port;
    } else if (arg === '--loop') out.repeat = 0;
    else if (arg === '--repeat') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0) usage('--repeat must be a whole number >= 0 (0 = forever)');
      out.repeat = n;
    } else if (arg === '--api-key') out.apiKey = value();
    else if (arg === '--requests-log') out.requestsLog = value();
    else usage(`unknown argument ${arg}`);
  }
  if (!out.script) usage('--script FILE is required');
  return out as typeof out & { script: string };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(args.script, 'utf8'));
  } catch (e) {
    usage(`cannot read the script ${args.script}: ${e instanceof Error ? e.message : String(e)}`);
  }
  let script;
  try {
    script = normalizeScript(parsed, args.script);
  } catch (e) {
    if (e instanceof ScriptError) usage(e.message);
    throw e;
  }
  if (args.repeat !== undefined) script.repeat = args.repeat;
  if (args.apiKey !== undefined) script.apiKey = args.apiKey;
  const logFile = args.requestsLog ? fs.openSync(args.requestsLog, 'a') : undefined;
  const server = await startModelServer(script, { port: args.port, log: (line) => process.stderr.write(`${line}\n`) });
  let logged = 0;
  if (logFile !== undefined) {
    // Append each request once its answer is over, as one JSON line (headers already lack auth).
    const flush = () => {
      while (logged < server.requests.length && server.requests[logged].closedAt !== undefined) {
        fs.writeSync(logFile, `${JSON.stringify(server.requests[logged])}\n`);
        logged++;
      }
    };
    setInterval(flush, 100).unref();
    process.on('exit', flush);
  }
  process.stdout.write(`${server.url}\n`);
  const stop = () => {
    server.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`model-server: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
