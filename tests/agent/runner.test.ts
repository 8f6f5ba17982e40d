// The runner (AgentSession) driven directly, as VS Code drives it: a host that reviews edits hunk by
// hunk and answers approvals, the real wasm core, the real sidecar and the scripted model server.
/* eslint-disable @typescript-eslint/no-explicit-any -- wire JSON is explored by the assertions themselves */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFsHost } from '../../extension/src/host/agent/fs-host';
import { AgentSession } from '../../extension/src/host/agent/session';
import type { AgentHost, ApprovalRequest, ChangeProposal, ThreadEvent } from '../../extension/src/host/agent/types';
import { writeChanges, writePolicyFor } from '../../extension/src/host/patch/atomic-write';
import { SidecarClient } from '../../extension/src/host/sidecar/client';
import { sidecarBin } from '../lib/paths';
import { bodies, makeProject, toolOutputs, withServer } from './harness';

const TWO_FILES = ['*** Begin Patch', '*** Update File: a.txt', '@@', '-a', '+A', '*** Update File: b.txt', '@@', '-b', '+B', '*** End Patch', ''].join('\n');

test('a reviewed patch: one file accepted, one rejected; the model is told exactly that', async () => {
  const project = makeProject({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  const events: ThreadEvent[] = [];
  const proposals: ChangeProposal[] = [];
  try {
    await withServer([{ toolCalls: [{ name: 'apply_patch', callId: 'p', kind: 'custom', input: TWO_FILES }] }, { text: 'noted' }], async (server) => {
      const fsHost = createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor('workspace-write', project.dir), emit: (e) => events.push(e) });
      const host: AgentHost = {
        ...fsHost,
        reviewChanges: async (proposal) => {
          proposals.push(proposal);
          const a = proposal.files.find((f) => f.change.path === 'a.txt')!;
          await writeChanges(sidecar, { cwd: project.dir, policy: writePolicyFor('workspace-write', project.dir) }, [a.change]);
          return { files: [{ path: 'a.txt', outcome: 'accepted' }, { path: 'b.txt', outcome: 'rejected' }] };
        },
      };
      const session = await AgentSession.create({
        host,
        sidecar,
        endpoint: { baseUrl: server.url, apiKey: 'sk-test-agent-0123456789abcdef', wire: 'responses' },
        config: { model: 'gpt-5.1-codex', wire: 'responses', approvalPolicy: 'on-request', sandboxMode: 'workspace-write', cwd: project.dir },
      });
      const result = await session.submit('edit both');
      assert.equal(result.status, 'completed');
      assert.equal(result.finalMessage, 'noted');
      assert.equal(project.read('a.txt'), 'A\n');
      assert.equal(project.read('b.txt'), 'b\n');
      assert.equal(proposals[0].files.length, 2);
      assert.ok(proposals[0].files.every((f) => f.diff.hunkIds.length === 1), 'each file comes with its diff');
      const out = toolOutputs(bodies(server)[1]).get('p')!;
      assert.match(out, /Applied:\nM a\.txt/);
      assert.match(out, /Rejected by the user \(unchanged\):\nb\.txt/);
      const done = events.find((e) => e.type === 'item.completed' && e.item.type === 'file_change') as any;
      assert.equal(done.item.status, 'partially_applied');
    });
  } finally {
    await sidecar.dispose();
    project.cleanup();
  }
});

test("prepareSandbox 'model-wait': the scan is asked for while a slow model request runs, once, before the first command; not for a model that answers at once", async () => {
  const project = makeProject({ 'sub/.git/HEAD': 'ref: refs/heads/main\n' });
  const slow = { reasoning: 'weighing the options', chunkSize: 2, delayMs: 25 };
  const scripts = {
    slow: [{ ...slow, toolCalls: [{ name: 'exec_command', callId: 'c1', arguments: { cmd: 'echo hi' } }] }, { ...slow, text: 'Done.' }],
    fast: [{ text: 'Nothing to run.' }],
  };
  try {
    for (const [name, script] of Object.entries(scripts)) {
      const sidecar = new SidecarClient({ binaryPath: sidecarBin });
      // The real client, watched: each call still goes to the real sidecar.
      const calls: string[] = [];
      const answers: Promise<unknown>[] = [];
      const realPrepare = sidecar.prepareSandbox.bind(sidecar);
      sidecar.prepareSandbox = (p) => {
        calls.push(`prepare ${p.writableRoots.join(',')}`);
        const answer = realPrepare(p);
        answers.push(answer);
        return answer;
      };
      const realExec = sidecar.exec.bind(sidecar);
      sidecar.exec = (params, onOutput) => {
        calls.push('exec');
        return realExec(params, onOutput);
      };
      try {
        await withServer(script, async (server) => {
          const session = await AgentSession.create({
            host: createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor('workspace-write', project.dir), emit: () => undefined }),
            sidecar,
            endpoint: { baseUrl: server.url, apiKey: 'sk-test-agent-0123456789abcdef', wire: 'responses' },
            config: { model: 'gpt-5.1-codex', wire: 'responses', approvalPolicy: 'never', sandboxMode: 'workspace-write', cwd: project.dir },
            prepareSandbox: 'model-wait',
          });
          assert.deepEqual(calls, [], `${name}: nothing asked as the session starts`);
          const started = performance.now();
          const result = await session.submit('go');
          const took = performance.now() - started;
          assert.equal(result.status, 'completed', name);
          if (name === 'slow') {
            // Two slow requests (200 ms each): asked during the first, and only then.
            assert.deepEqual(calls, [`prepare ${project.dir}`, 'exec'], name);
            const answer = (await answers[0]) as { scanned: boolean; gitEntries: number };
            assert.ok(answer.scanned && answer.gitEntries >= 1, JSON.stringify(answer));
          } else if (took < 50) {
            // No request ran long enough (checked only when the machine let the turn finish in time).
            assert.deepEqual(calls, [], `${name}: ${took} ms`);
          }
          await session.dispose();
        });
      } finally {
        await sidecar.dispose();
      }
    }
  } finally {
    project.cleanup();
  }
});

test('interrupt while an approval is pending ends the turn at once and withdraws the question', async () => {
  const project = makeProject();
  const sidecar = new SidecarClient({ binaryPath: sidecarBin });
  try {
    await withServer([{ toolCalls: [{ name: 'exec_command', callId: 'x', arguments: { cmd: 'touch made.txt' } }] }, { text: 'after' }], async (server) => {
      let asked: ApprovalRequest | undefined;
      let withdrawn = false;
      const host: AgentHost = {
        ...createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor('workspace-write', project.dir), emit: () => undefined }),
        requestApproval: (req, signal) =>
          new Promise((resolve) => {
            asked = req;
            signal.addEventListener('abort', () => {
              withdrawn = true;
              resolve('approved'); // too late: the turn is over
            });
          }),
      };
      const session = await AgentSession.create({
        host,
        sidecar,
        endpoint: { baseUrl: server.url, apiKey: 'sk-test-agent-0123456789abcdef', wire: 'responses' },
        config: { model: 'gpt-5.1-codex', wire: 'responses', approvalPolicy: 'untrusted', sandboxMode: 'workspace-write', cwd: project.dir },
      });
      const turn = session.submit('make a file');
      while (!asked) await new Promise((r) => setTimeout(r, 20));
      assert.equal(asked.command, 'touch made.txt');
      session.interrupt();
      const result = await turn;
      assert.equal(result.status, 'interrupted');
      assert.ok(withdrawn, 'the host was told to close the question');
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(project.exists('made.txt'), false, 'the late approval ran nothing');
      // The next turn tells the model what happened.
      const next = await session.submit('never mind');
      assert.equal(next.status, 'completed');
      const sent = bodies(server);
      assert.equal(toolOutputs(sent[1]).get('x'), 'aborted');
      assert.match(JSON.stringify(sent[1].input), /turn_aborted/);
      await session.dispose();
    });
  } finally {
    await sidecar.dispose();
    project.cleanup();
  }
});

test('prepareSandbox: a workspace-write session has the sidecar make its first .git scan when it starts; read-only, or without the option, it does not', async () => {
  const project = makeProject({ 'sub/.git/HEAD': 'ref: refs/heads/main\n', 'sub/.git/hooks/.keep': '' });
  try {
    for (const [sandboxMode, prepare] of [['workspace-write', 'start'], ['read-only', 'start'], ['workspace-write', undefined]] as const) {
      const sidecar = new SidecarClient({ binaryPath: sidecarBin });
      // The real client, watched: each call still goes to the real sidecar.
      const asked: { writableRoots: string[] }[] = [];
      const answers: Promise<unknown>[] = [];
      const real = sidecar.prepareSandbox.bind(sidecar);
      sidecar.prepareSandbox = (p) => {
        asked.push(p);
        const answer = real(p);
        answers.push(answer);
        return answer;
      };
      try {
        await withServer(
          [{ toolCalls: [{ name: 'exec_command', callId: 'c1', arguments: { cmd: 'echo x > sub/.git/hooks/pre-commit; echo rc=$?' } }] }, { text: 'Done.' }],
          async (server) => {
            const session = await AgentSession.create({
              host: createFsHost({ root: project.dir, writer: sidecar, policy: writePolicyFor(sandboxMode, project.dir), emit: () => undefined }),
              sidecar,
              endpoint: { baseUrl: server.url, apiKey: 'sk-test-agent-0123456789abcdef', wire: 'responses' },
              config: { model: 'gpt-5.1-codex', wire: 'responses', approvalPolicy: 'never', sandboxMode, cwd: project.dir, writableRoots: [project.dir] },
              ...(prepare ? { prepareSandbox: prepare } : {}),
            });
            const label = `${sandboxMode}, prepareSandbox ${prepare}`;
            if (sandboxMode === 'workspace-write' && prepare) {
              // Asked as the session starts, for the roots the core gives every command.
              assert.deepEqual(asked, [{ writableRoots: [project.dir, project.dir] }], label);
              const answer = (await answers[0]) as { scanned: boolean; gitEntries: number; complete: boolean };
              // The project's own .git and sub/.git at least (the temp dir's top level is looked at too).
              assert.ok(answer.scanned && answer.complete && answer.gitEntries >= 2, `${label}: ${JSON.stringify(answer)}`);
            } else {
              assert.deepEqual(asked, [], label);
            }
            const result = await session.submit('try the hook');
            assert.equal(result.status, 'completed', label);
            // The nested repository stays protected either way.
            assert.match(toolOutputs(bodies(server)[1]).get('c1')!, /rc=1/, label);
            assert.equal(project.exists('sub/.git/hooks/pre-commit'), false, label);
            assert.equal(asked.length, sandboxMode === 'workspace-write' && prepare ? 1 : 0, label);
            await session.dispose();
          },
        );
      } finally {
        await sidecar.dispose();
      }
    }
  } finally {
    project.cleanup();
  }
});
