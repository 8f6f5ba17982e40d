// A small MCP server over stdio that misbehaves on purpose, one way per mode (argv[2]):
//   silent      reads requests and never answers (not even initialize)
//   crash       answers; `tools/call` of `crash` exits the process mid-call (`echo` works)
//   malformed   `tools/call` answers with a result whose `content` is not a list
//   schemas     lists one tool whose schema the APIs refuse (type array) beside a good one
//   grows       `tools/call` of `grow` adds a tool and sends notifications/tools/list_changed
//   tree        starts a child process (argv[3] is its marker) and then serves like `crash`
// Written without the SDK: raw JSON-RPC lines, so nothing is validated for it.
import { spawn } from 'node:child_process';
import readline from 'node:readline';

const mode = process.argv[2];
const send = (msg) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...msg })}\n`);
const tools = [
  { name: 'echo', description: 'Echoes text', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } },
  { name: 'crash', description: 'Exits mid-call', inputSchema: { type: 'object', properties: {} } },
];
if (mode === 'schemas') tools.push({ name: 'listy', description: 'Bad schema', inputSchema: { type: 'array', items: { type: 'string' } } });
if (mode === 'grows') tools.push({ name: 'grow', description: 'Adds a tool', inputSchema: { type: 'object' } });
if (mode === 'tree') {
  const child = spawn('sleep', [process.argv[3]], { stdio: 'ignore' });
  child.unref();
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  if (mode === 'silent' || msg.id === undefined) return;
  switch (msg.method) {
    case 'initialize':
      send({ id: msg.id, result: { protocolVersion: msg.params.protocolVersion, capabilities: { tools: { listChanged: true } }, serverInfo: { name: `bad-${mode}`, version: '0.0.1' } } });
      return;
    case 'tools/list':
      send({ id: msg.id, result: { tools } });
      return;
    case 'tools/call': {
      const name = msg.params.name;
      if (name === 'crash') process.exit(3);
      if (mode === 'malformed') {
        send({ id: msg.id, result: { content: 'not a list' } });
        return;
      }
      if (name === 'grow') {
        tools.push({ name: 'grown', description: 'Added later', inputSchema: { type: 'object' } });
        send({ id: msg.id, result: { content: [{ type: 'text', text: 'grew' }] } });
        send({ method: 'notifications/tools/list_changed' });
        return;
      }
      send({ id: msg.id, result: { content: [{ type: 'text', text: `echo: ${msg.params.arguments?.text ?? ''} (pid ${process.pid})` }] } });
      return;
    }
    default:
      send({ id: msg.id, error: { code: -32601, message: `no method ${msg.method}` } });
  }
});
