import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transcriptOf } from './transcript';

test('user and assistant messages come back in order; harness context and other items do not', () => {
  const records = [
    { type: 'meta', config: {} },
    { type: 'item', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: '<environment_context>\n<cwd>/w</cwd>\n</environment_context>' }] } },
    { type: 'item', item: { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'fix the bug' }] } },
    { type: 'item', item: { type: 'function_call', name: 'exec_command', arguments: '{}' } },
    { type: 'item', item: { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Fixed ' }, { type: 'output_text', text: 'it.' }] } },
    { type: 'item', item: { type: 'message', role: 'developer', content: 'rules' } },
    { type: 'item', item: { type: 'message', role: 'user', content: 'plain string content' } },
    { type: 'turnEnded', status: 'completed' },
  ];
  assert.deepEqual(
    transcriptOf(records).map((m) => [m.role, m.text]),
    [['user', 'fix the bug'], ['assistant', 'Fixed it.'], ['user', 'plain string content']],
  );
});

test('damaged records are skipped, not fatal', () => {
  assert.deepEqual(transcriptOf([null, 42, 'x', { type: 'item' }, { type: 'item', item: { type: 'message', role: 'user' } }]), []);
});
