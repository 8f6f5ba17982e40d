// Activation registers the commands of command-ids.ts before their handlers load: a command the
// manifest contributes but activation does not register would be "not found" until something else
// loaded the chunk. The Changes view's item commands are the exception (the view registers them, and
// it is shown only after the chunk loaded).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { COMMAND_IDS } from './command-ids';

const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> };
};

test('activation registers every contributed command but the Changes view\'s own', () => {
  const contributed = manifest.contributes.commands.map((c) => c.command);
  const viewOwn = contributed.filter((id) => id.startsWith('tack.changes.'));
  assert.ok(viewOwn.length > 0, 'the Changes view contributes item commands');
  assert.ok(manifest.contributes.views.tack.some((v) => v.id === 'tack.changes'));
  const ids: readonly string[] = COMMAND_IDS;
  assert.deepEqual(contributed.filter((id) => !viewOwn.includes(id) && !ids.includes(id)), [], 'contributed but not registered');
  // Internal ones (not in the palette): tack.revealNextChange is the review's status bar item's.
  assert.deepEqual(ids.filter((id) => !contributed.includes(id)), ['tack.revealNextChange']);
  assert.equal(new Set(COMMAND_IDS).size, COMMAND_IDS.length, 'no id twice');
});
