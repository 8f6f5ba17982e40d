// The floor a tool step cannot go under: a sandboxed `echo` through the sidecar (the argv the core
// builds for exec_command with login false and no tty, so through pipes, workspace-write) plus one loopback model request
// read to its end, in this process, with a warm sidecar and a warm connection. Medians of `reps`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { httpRequest } from '../../extension/src/host/model/http-request';
import { SidecarClient } from '../../extension/src/host/sidecar';
import { startModelServer } from '../../tests/model-server/server';
import type { ScriptedResponse } from '../../tests/model-server/script';

const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

/** Sandboxed echo round trip + a loopback request/response, in this process, with warm connections. */
export async function stepFloor(reps: number): Promise<{ exec: number; request: number; both: number }> {
  const step: ScriptedResponse = { toolCalls: [{ name: 'exec_command', arguments: { cmd: 'echo step', login: false } }], times: reps + 5 };
  const server = await startModelServer([step]);
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-step-floor-'));
  const sidecar = new SidecarClient({});
  const shell = process.env.SHELL && path.isAbsolute(process.env.SHELL) ? process.env.SHELL : '/bin/bash';
  const execs: number[] = [];
  const requests: number[] = [];
  try {
    await sidecar.initialize();
    const body = JSON.stringify({ model: 'gpt-5.1-codex', stream: true, input: [{ role: 'user', content: 'hi' }] });
    for (let i = 0; i < reps + 5; i++) {
      const t0 = performance.now();
      const h = await sidecar.exec({ argv: [shell, '-c', 'echo step'], cwd: ws, tty: false, sandbox: { mode: 'workspace-write', writableRoots: [ws] } });
      const exit = await h.exited;
      if (exit.exitCode !== 0) throw new Error(`echo exited ${exit.exitCode}`);
      const t1 = performance.now();
      const ctl = new AbortController();
      const res = await httpRequest(`${server.url}/responses`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body, signal: ctl.signal });
      await res.text();
      const t2 = performance.now();
      if (i >= 5) {
        execs.push(t1 - t0);
        requests.push(t2 - t1);
      }
    }
  } finally {
    await sidecar.dispose();
    await server.close();
    fs.rmSync(ws, { recursive: true, force: true });
  }
  return { exec: med(execs), request: med(requests), both: med(execs.map((e, i) => e + requests[i])) };
}

