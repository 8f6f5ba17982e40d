// Host reads stay inside the workspace (issue #17), through the real `tack exec`: an AGENTS.md or an
// image that is a symlink out of the workspace reaches neither the model nor the session file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { API_KEY, bodies, makeProject, runTack, toolOutputs, withServer } from './harness';

function sessionFiles(home: string): string {
  const dir = path.join(home, 'sessions');
  return fs
    .readdirSync(dir)
    .map((f) => fs.readFileSync(path.join(dir, f), 'utf8'))
    .join('\n');
}

test('AGENTS.md -> /proc/self/environ and logo.png -> a secret outside: nothing of them is sent or stored', async () => {
  const project = makeProject({ 'notes.txt': 'fine\n' });
  const secretFile = path.join(path.dirname(project.dir), 'id_rsa.png');
  const SECRET = 'PRIVATE-BYTES-OUTSIDE-THE-WORKSPACE';
  fs.writeFileSync(secretFile, SECRET);
  fs.symlinkSync('/proc/self/environ', path.join(project.dir, 'AGENTS.md'));
  fs.symlinkSync(secretFile, path.join(project.dir, 'logo.png'));
  execFileSync('mkfifo', [path.join(project.dir, 'pipe.png')]);
  try {
    await withServer(
      [
        {
          toolCalls: [
            { name: 'view_image', callId: 'logo', arguments: { path: 'logo.png' } },
            { name: 'view_image', callId: 'fifo', arguments: { path: 'pipe.png' } },
            { name: 'view_image', callId: 'abs', arguments: { path: secretFile } },
          ],
        },
        { text: 'done' },
      ],
      async (server) => {
        const r = await runTack(['exec', '--json', '--base-url', server.url, 'look at the logo'], project, { env: { TACK_MARKER_ENV: 'marker-value-in-env' } });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /AGENTS\.md is not used: .*outside the workspace/);
        const sent = bodies(server);
        const all = JSON.stringify(sent);
        assert.ok(!all.includes(API_KEY), 'the API key is in a request');
        assert.ok(!all.includes('marker-value-in-env'), 'the environment is in a request');
        assert.ok(!all.includes(SECRET), 'the outside file is in a request');
        assert.ok(!all.includes(Buffer.from(SECRET).toString('base64')), 'the outside file is in a request (base64)');
        const outs = toolOutputs(sent[1]);
        assert.match(outs.get('logo')!, /^view_image failed for .*logo\.png: it is a symbolic link .*outside the workspace/);
        assert.match(outs.get('fifo')!, /^view_image failed for .*pipe\.png: it is not a regular file/);
        assert.match(outs.get('abs')!, /^view_image failed for .*id_rsa\.png: the path is outside the workspace/);
        const stored = sessionFiles(project.home);
        assert.ok(!stored.includes(SECRET) && !stored.includes(Buffer.from(SECRET).toString('base64')));
        assert.ok(!stored.includes('marker-value-in-env'));
      },
    );
  } finally {
    project.cleanup();
  }
});
