import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adviseModelError, isLoopback } from './error-advice';

const hosted = { baseUrl: 'https://api.openai.com/v1', provider: 'OpenAI', local: false };
const local = { baseUrl: 'http://127.0.0.1:11434/v1', provider: 'Ollama', local: true };

test('each model failure gets plain words and the fix that applies; the original stays as the details', () => {
  const auth = adviseModelError('auth', 'the API key was rejected (HTTP 401)', hosted);
  assert.match(auth.message, /^OpenAI did not accept the API key\. .*\(the API key was rejected \(HTTP 401\)\)$/);
  assert.deepEqual(auth.actions, ['setKey', 'useLocalServer']);
  assert.equal(auth.retry, false, 'the same key fails the same way');
  const down = adviseModelError('network', 'could not reach the model server at http://127.0.0.1:11434/v1/chat/completions: connect ECONNREFUSED', local);
  assert.match(down.message, /^Tack could not reach the local model server at http:\/\/127\.0\.0\.1:11434\/v1\. Start it/);
  assert.deepEqual(down.actions, ['useLocalServer', 'openSettings']);
  assert.equal(down.retry, true);
  assert.deepEqual(adviseModelError('network', 'x', hosted).actions, ['openSettings']);
  assert.deepEqual(adviseModelError('notFound', 'HTTP 404', hosted).actions, ['openSettings']);
  assert.equal(adviseModelError('server', 'HTTP 503', hosted).retry, true);
  // Not a model error: shown as it is.
  assert.deepEqual(adviseModelError(undefined, 'the sidecar exited', hosted), { message: 'the sidecar exited', actions: [], retry: true });
  assert.equal(adviseModelError(undefined, '', hosted).message, 'The turn failed.');
});

test('loopback addresses are local; names that only look local are not', () => {
  assert.equal(isLoopback('http://127.0.0.1:8080/v1'), true);
  assert.equal(isLoopback('http://localhost:1234/v1'), true);
  assert.equal(isLoopback('http://[::1]:8000/v1'), true);
  assert.equal(isLoopback('http://127.0.0.1.evil.example/v1'), false);
  assert.equal(isLoopback('https://api.openai.com/v1'), false);
  assert.equal(isLoopback('not a url'), false);
});
