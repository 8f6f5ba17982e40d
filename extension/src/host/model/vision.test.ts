import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveVision, visionFromName } from './vision';

test('model names that say whether they take images', () => {
  for (const m of ['gpt-5.1-codex', 'gpt-4o-mini', 'o3', 'o4-mini', 'openai/gpt-4.1', 'anthropic/claude-sonnet-4', 'gemma3:27b', 'llava:13b', 'qwen2.5-vl-7b-instruct', 'llama3.2-vision:11b', 'pixtral-12b']) {
    assert.equal(visionFromName(m), true, m);
  }
  for (const m of ['gpt-3.5-turbo', 'o3-mini', 'deepseek-r1:7b', 'qwen2.5-coder:7b', 'gemma-3-270m-it', 'gemma3:1b', 'llama3.1:8b', 'codestral-latest', 'gpt-oss-20b']) {
    assert.equal(visionFromName(m), false, m);
  }
  assert.equal(visionFromName('my-finetune'), undefined);
});

test('the setting wins, then the server, then the name, then yes', () => {
  assert.equal(resolveVision('gpt-3.5-turbo', true, undefined), true);
  assert.equal(resolveVision('gpt-5', undefined, false), false);
  assert.equal(resolveVision('gpt-3.5-turbo', undefined, undefined), false);
  assert.equal(resolveVision('my-finetune', undefined, undefined), true);
});
