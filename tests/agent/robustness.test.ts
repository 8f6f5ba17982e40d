// `tack exec` end to end when things go wrong around the turn: a stalled model stream, a trapped wasm
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON and printed events are explored by the assertions themselves */
// core, commands still running when the turn ends. The real CLI bundle, wasm core, sidecar and the
// scripted model server (or a raw HTTP server where the script cannot say it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeProject, runTack, withServer } from './harness';

test('a model stream that stalls after response.created fails in seconds with a clear message', async () => {
  const project = makeProject();
  try {
    await withServer([{ text: 'never finished', fail: { hangUntilAborted: true }, times: 3 }], async (server) => {
      const r = await runTack(['exec', '--json', '--base-url', server.url, '--stream-idle-timeout', '0.5', 'say hi'], project, { timeoutMs: 30_000 });
      assert.equal(r.code, 1, r.stderr);
      const last = r.events.at(-1)!;
      assert.equal(last.type, 'turn.failed');
      assert.match(last.error.message, /no data from the model server for 0\.5 s/);
      assert.match(r.stderr, /no data from the model server for 0\.5 s .*giving up/);
      // One retry of the stall, then the stall is final: two requests, each closed by the client.
      const requests = server.modelRequests();
      assert.equal(requests.length, 2);
      await server.waitFor(() => requests.every((q) => q.clientClosed), 5_000);
    });
  } finally {
    project.cleanup();
  }
});
