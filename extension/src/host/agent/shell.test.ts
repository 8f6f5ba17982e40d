import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InitializeResult } from '../../generated/types/InitializeResult';
import { sidecarShell } from './shell';

const ps = 'C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe';

function fakeSidecar(result: Partial<InitializeResult> | Error) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    initialize(): Promise<InitializeResult> {
      calls++;
      return result instanceof Error ? Promise.reject(result) : Promise.resolve(result as InitializeResult);
    },
  };
}

test('on Windows the shell is the one the sidecar found', async () => {
  const s = fakeSidecar({ shell: { kind: 'powershell', path: ps, others: [{ kind: 'cmd', path: 'C:\\Windows\\system32\\cmd.exe', others: [] }] } });
  assert.equal(await sidecarShell(s, 'win32'), ps);
});

test('elsewhere the sidecar is not asked (and not started early)', async () => {
  const s = fakeSidecar({ shell: { kind: 'bash', path: '/bin/bash', others: [] } });
  assert.equal(await sidecarShell(s, 'linux'), undefined);
  assert.equal(await sidecarShell(s, 'darwin'), undefined);
  assert.equal(s.calls, 0);
});

test('a sidecar that cannot start leaves the choice to the default', async () => {
  assert.equal(await sidecarShell(fakeSidecar(new Error('no sidecar for win32-x64')), 'win32'), undefined);
  assert.equal(await sidecarShell(fakeSidecar({ shell: { kind: 'cmd', path: '', others: [] } }), 'win32'), undefined);
});
