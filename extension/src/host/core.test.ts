// The wasm module loads in Node and answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Effect } from '../generated/types/Effect';
import { isCoreTrap, loadCore, requestBodyText } from './core';

test('the wasm core loads from dist and reports its version', () => {
  const core = loadCore();
  assert.match(core.coreVersion(), /^\d+\.\d+\.\d+$/);
});

/** The agent config of every session here. */
const CONFIG = {
  sessionId: 's',
  model: 'gpt-5.1-codex',
  wire: 'responses',
  approvalPolicy: 'never',
  sandboxMode: 'read-only',
  cwd: '/w',
  writableRoots: [],
  network: false,
  shell: '/bin/bash',
  currentDate: '2026-11-30',
  timezone: 'UTC',
  agentsMd: [],
};

/** A core session with one turn running (its request sent, the stream not yet begun). */
function running() {
  const s = new (loadCore().Session)(CONFIG);
  const first = s.handle({ type: 'userInput', text: 'go' });
  assert.ok(first.some((e) => e.type === 'modelRequest'));
  return s;
}

const failure = (effects: Effect[]) => effects.flatMap((e) => (e.type === 'emit' && e.event.type === 'turn.failed' ? [e.event.error.message] : []));

test('one wire format: a model event goes in as the JSON text the server sent, and counts as the parsed event', () => {
  const byText = running();
  const byObject = running();
  const event = { type: 'response.output_text.delta', item_id: 'm', output_index: 0, content_index: 0, delta: 'hé "quoted" 🦀' };
  assert.deepEqual(byText.handleModelEvent(JSON.stringify(event)), byObject.handle({ type: 'modelEvent', data: event }));
  assert.deepEqual(byText.history(), byObject.history());
});

test('a too-deep model event fails the turn readably, by text or as an object too deep for JSON.stringify', () => {
  const deepText = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
  let deepObject: unknown = 1;
  for (let i = 0; i < 20_000; i++) deepObject = { a: deepObject };
  for (const effects of [running().handleModelEvent(deepText), running().handle({ type: 'modelEvent', data: deepObject as never })]) {
    assert.ok(effects.some((e) => e.type === 'cancelModel'), JSON.stringify(effects));
    assert.match(failure(effects).join(), /nested/);
  }
});

test('other too-deep or malformed input is refused with a clear error, never a trap', () => {
  const s = running();
  let deep: unknown = 1;
  for (let i = 0; i < 20_000; i++) deep = [deep];
  for (const bad of [
    () => s.handle({ type: 'mcpResult', callId: 'c', result: deep as never }),
    () => s.handle({ type: 'mcpResult', callId: 'c', result: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) as never }),
  ]) {
    assert.throws(bad, (e: Error) => !isCoreTrap(e) && /invalid session event: nested/.test(e.message));
  }
  assert.throws(() => s.handle({ type: 'noSuchEvent' } as never), (e: Error) => !isCoreTrap(e) && /invalid session event: unknown variant/.test(e.message));
  assert.throws(() => loadCore().Session.restore({ sessionId: 1 }, []), /invalid agent config/);
  // The session still works after each refusal.
  assert.ok(s.isTurnRunning());
});

test("a model request's body comes as the JSON text the core wrote, and still reads as the object", () => {
  const s = new (loadCore().Session)(CONFIG);
  const request = s.handle({ type: 'userInput', text: 'say "hi" é' }).find((e) => e.type === 'modelRequest');
  assert.ok(request && request.type === 'modelRequest');
  const text = requestBodyText(request);
  assert.ok(text !== undefined, 'the body as text');
  const body = JSON.parse(text) as { model: string; stream: boolean; input: unknown[] };
  assert.equal(body.model, 'gpt-5.1-codex');
  assert.equal(body.stream, true, 'the text asks for a stream itself: it is POSTed as it is');
  assert.ok(text.includes('say \\"hi\\" é'));
  // The effect's body still reads as the object, the same one.
  assert.deepEqual(request.body, body);
  // Effects without a request carry no text; a later request has its own.
  const other = s.handle({ type: 'interrupt' });
  for (const e of other) assert.equal(requestBodyText(e), undefined);
});
