// Approval-policy safety end to end: `tack exec` (bundled CLI, real wasm core, real sidecar) and the
// runner with a person answering approvals, against the scripted model server. Real `git` and the
// file system afterwards show that nothing ran or was planted.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createFsHost } from '../../extension/src/host/agent/fs-host';
import { writePolicyFor } from '../../extension/src/host/patch/atomic-write';
import { AgentSession } from '../../extension/src/host/agent/session';
import type { AgentHost, ApprovalRequest } from '../../extension/src/host/agent/types';
import { SidecarClient } from '../../extension/src/host/sidecar/client';
import { sidecarBin } from '../lib/paths';
import { API_KEY, bodies, completedItems, makeProject, runTack, toolOutputs, withServer } from './harness';

test('a session approval for a command with prefix_rule ["bash"] does not approve a later bash -c', async () => {
  const project = makeProject();
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  try {
    await withServer(
      [
        {
          toolCalls: [
            {
              name: 'exec_command',
              callId: 'first',
              arguments: { cmd: 'touch made.txt', sandbox_permissions: 'require_escalated', justification: 'make the file', prefix_rule: ['bash'] },
            },
          ],
        },
        {
          toolCalls: [
            {
              name: 'exec_command',
              callId: 'second',
              arguments: { cmd: "bash -c 'touch pwned.txt'", sandbox_permissions: 'require_escalated', justification: 'more', prefix_rule: ['bash'] },
            },
          ],
        },
        { toolCalls: [{ name: 'exec_command', callId: 'third', arguments: { cmd: 'touch made.txt', sandbox_permissions: 'require_escalated', justification: 'again' } }] },
        { text: 'done' },
      ],
      async (server) => {
        const asked: ApprovalRequest[] = [];
        const host: AgentHost = {
          ...createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor('workspace-write', project.dir), emit: () => undefined }),
          // A person who approves the first request for the session and denies everything else.
          requestApproval: async (req) => {
            asked.push(req);
            return asked.length === 1 ? 'approvedForSession' : { decision: 'denied', message: 'no' };
          },
        };
        const session = await AgentSession.create({
          host,
          sidecar,
          endpoint: { baseUrl: server.url, apiKey: API_KEY, wire: 'responses' },
          config: { model: 'gpt-5.1-codex', wire: 'responses', approvalPolicy: 'on-request', sandboxMode: 'workspace-write', cwd: project.dir },
        });
        const result = await session.submit('make files');
        assert.equal(result.status, 'completed');
        assert.deepEqual(
          asked.map((r) => r.callId),
          ['first', 'second'],
          'the bash -c command asked again; the remembered command did not',
        );
        const [first, second] = asked;
        // The first card: the whole argv with the configured (absolute) shell, the directory, no sandbox,
        // network on, and what is remembered instead of `bash`.
        assert.ok(path.isAbsolute(first.argv[0]), first.argv[0]);
        assert.deepEqual(first.argv.slice(1), ['-lc', 'touch made.txt']);
        assert.equal(first.cwd, project.dir);
        assert.equal(first.sandbox.mode, 'danger-full-access');
        assert.equal(first.sandbox.network, true);
        assert.deepEqual(first.remember, { kind: 'prefix', prefix: ['touch', 'made.txt'] });
        assert.match(first.rememberNote ?? '', /`bash`/);
        assert.deepEqual(second.remember, { kind: 'exact', argv: second.argv });
        assert.ok(project.exists('made.txt'));
        assert.equal(project.exists('pwned.txt'), false, 'the denied bash -c never ran');
        const outs = toolOutputs(bodies(server)[2]);
        assert.match(outs.get('second')!, /^The user declined to run this command\. no/);
        assert.match(toolOutputs(bodies(server)[3]).get('third')!, /Process exited with code 0/);

        // The person lists and revokes the approval; the command asks again.
        const remembered = session.rememberedApprovals();
        assert.equal(remembered.length, 1);
        assert.match(remembered[0].description, /commands starting with `touch made.txt` in .*without the sandbox, with network/);
        session.revokeApproval(remembered[0].id);
        assert.deepEqual(session.rememberedApprovals(), []);
        await session.dispose();
      },
    );
  } finally {
    await sidecar.dispose();
    project.cleanup();
  }
});

test('a model-named shell that is not the configured one is refused, under every policy', async () => {
  const project = makeProject();
  // A "bash" the model could have written: it would plant a file if it ever ran.
  project.write('node_modules/.bin/bash', '#!/bin/sh\ntouch "$(dirname "$0")/../../planted.txt"\n');
  fs.chmodSync(path.join(project.dir, 'node_modules/.bin/bash'), 0o755);
  try {
    for (const policy of ['untrusted', 'never']) {
      await withServer(
        [{ toolCalls: [{ name: 'exec_command', callId: 'sh', arguments: { cmd: 'ls', shell: './node_modules/.bin/bash' } }] }, { text: 'ok' }],
        async (server) => {
          const r = await runTack(['exec', '--json', '--approval', policy, '--base-url', server.url, 'list'], project, { env: { SHELL: '/bin/sh' } });
          assert.equal(r.code, 0, r.stderr);
          assert.equal(project.exists('planted.txt'), false, `${policy}: the model's shell never ran`);
          const out = toolOutputs(bodies(server)[1]).get('sh')!;
          assert.match(out, /exec_command refused: the shell `\.\/node_modules\/\.bin\/bash` is not the configured shell `\/bin\/sh`/);
          assert.equal(completedItems(r.events, 'command_execution').length, 0);
        },
      );
    }
  } finally {
    project.cleanup();
  }
});

test('read-only sandbox with approval never: apply_patch is refused and nothing is written, even under .git', async () => {
  const project = makeProject({ 'a.txt': 'a\n' });
  execFileSync('git', ['init', '-q', project.dir]);
  const hooksBefore = fs.readdirSync(path.join(project.dir, '.git', 'hooks')).sort();
  const patch = ['*** Begin Patch', '*** Add File: new.txt', '+x', '*** Update File: a.txt', '@@', '-a', '+A', '*** End Patch', ''].join('\n');
  const hook = ['*** Begin Patch', '*** Add File: .git/hooks/pre-commit', '+#!/bin/sh', '+touch planted', '*** End Patch', ''].join('\n');
  try {
    await withServer(
      [{ toolCalls: [{ name: 'apply_patch', callId: 'p', kind: 'custom', input: patch }] }, { text: 'could not' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--sandbox', 'read-only', '--approval', 'never', '--base-url', server.url, 'edit'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.match(toolOutputs(bodies(server)[1]).get('p')!, /^apply_patch refused: the sandbox is read-only/);
        assert.equal(project.exists('new.txt'), false);
        assert.equal(project.read('a.txt'), 'a\n');
      },
    );
    // In workspace-write, a patch into .git is refused by the core with a clear reason.
    await withServer(
      [{ toolCalls: [{ name: 'apply_patch', callId: 'h', kind: 'custom', input: hook }] }, { text: 'could not' }],
      async (server) => {
        const r = await runTack(['exec', '--json', '--approval', 'never', '--base-url', server.url, 'hook'], project);
        assert.equal(r.code, 0, r.stderr);
        assert.match(toolOutputs(bodies(server)[1]).get('h')!, /inside a `\.git` directory/);
      },
    );
    assert.deepEqual(fs.readdirSync(path.join(project.dir, '.git', 'hooks')).sort(), hooksBefore, 'no hook was planted');
    const status = execFileSync('git', ['-C', project.dir, 'status', '--porcelain'], { encoding: 'utf8' });
    assert.deepEqual(status.trim().split('\n').sort(), ['?? a.txt'], 'git sees only the original file');
  } finally {
    project.cleanup();
  }
});

test('a model event nested 5,000 deep fails the turn with a clear error and a non-zero exit', async () => {
  const project = makeProject();
  const deep = `{"type":"response.output_text.delta","item_id":"m","output_index":0,"delta":${'['.repeat(5000)}0${']'.repeat(5000)}}`;
  try {
    await withServer([{ rawEvents: [deep], text: 'never seen' }], async (server) => {
      const r = await runTack(['exec', '--json', '--base-url', server.url, 'go'], project);
      assert.notEqual(r.code, 0, 'a failed turn is a failed run');
      const failed = r.events.find((e) => e.type === 'turn.failed');
      assert.ok(failed, `no turn.failed in ${r.stdout}\n${r.stderr}`);
      assert.match(failed.error.message, /nested deeper than 64 levels/);
      assert.doesNotMatch(r.stderr, /memory access out of bounds|RuntimeError/);
      assert.equal(r.events.at(-1)!.type, 'turn.failed');
      assert.equal(server.modelRequests().length, 1, 'not retried: the event itself is refused');
    });
  } finally {
    project.cleanup();
  }
});
