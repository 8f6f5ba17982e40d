import assert from 'node:assert/strict';
import { test } from 'node:test';
import { askAboutSelectionPrompt, explainSelectionPrompt, fixProblemsPrompt, quoteSelection, reviewChangesPrompt, taskLabel } from './task-prompts';

const sel = { path: 'src/a.ts', startLine: 3, endLine: 5, text: 'const x = 1;\nconst y = 2;\n', languageId: 'typescript' };

test('explain quotes the selection with its place', () => {
  const p = explainSelectionPrompt(sel);
  assert.match(p, /src\/a\.ts:3-5/);
  assert.ok(p.includes('```typescript\nconst x = 1;\nconst y = 2;\n```'));
});

test('a selection holding backticks gets a longer fence', () => {
  const q = quoteSelection({ ...sel, text: 'x = ```y```' });
  assert.ok(q.startsWith('````'));
  assert.ok(q.endsWith('\n````'));
});

test('one-line selection names a single line', () => {
  assert.match(askAboutSelectionPrompt({ ...sel, endLine: 3 }, ' why? '), /^why\?\n\nAbout this code in src\/a\.ts:3:/);
});

test('fix problems lists each diagnostic, or asks for a review when there are none', () => {
  const p = fixProblemsPrompt('src/a.ts', [{ path: 'src/a.ts', line: 7, severity: 'error', message: "Cannot find name 'z'.", source: 'ts' }]);
  assert.ok(p.includes("- src/a.ts:7 error: Cannot find name 'z'. (ts)"));
  assert.match(fixProblemsPrompt('src/a.ts', []), /Look over src\/a\.ts/);
});

test('review of an empty diff is empty; a huge diff is cut with a note', () => {
  assert.equal(reviewChangesPrompt('  \n'), '');
  const p = reviewChangesPrompt('+x\n'.repeat(100), 30);
  assert.match(p, /more characters of the diff not shown/);
});

test('palette tasks show a short label as the person\'s message, not the engineered prompt', () => {
  const sel = { path: 'src/a.ts', startLine: 3, endLine: 7, text: 'const x = 1;' };
  assert.equal(taskLabel('explain', sel), 'Explain src/a.ts:3-7');
  assert.equal(taskLabel('tests', { ...sel, endLine: 3 }), 'Write tests for src/a.ts:3');
  assert.equal(taskLabel('ask', sel, '  why so slow? '), 'why so slow? (about src/a.ts:3-7)');
  assert.equal(taskLabel('fix', 'src/a.ts'), 'Fix the problems in src/a.ts');
  assert.equal(taskLabel('review'), 'Review the uncommitted changes');
  assert.ok(!taskLabel('explain', sel).includes(sel.text), 'the code is not repeated in the label');
});
