// The Changes view's list: decided edits from file_change items, merged with pending proposals and
// other sources.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ThreadEvent } from '../../generated/types/ThreadEvent';
import { DecidedEdits, mergeChanges } from './changes-model';

const completed = (status: string, changes: { path: string; kind: string }[], hunk_states?: Record<string, string>[]): ThreadEvent =>
  ({ type: 'item.completed', item: { id: 'i', type: 'file_change', status, changes, diffs: [], ...(hunk_states ? { hunk_states } : {}) } }) as unknown as ThreadEvent;

test('decided edits: status per file from the hunk decisions; a new thread starts a new list', () => {
  const d = new DecidedEdits();
  assert.equal(d.note({ type: 'thread.started', thread_id: 't1' }), false);
  assert.ok(d.note(completed('partially_applied', [{ path: 'a.ts', kind: 'update' }, { path: 'b.ts', kind: 'update' }, { path: 'c.ts', kind: 'add' }], [{ h1: 'accepted', h2: 'rejected' }, { h3: 'rejected' }, { h4: 'accepted' }])));
  assert.deepEqual(d.files().map((f) => [f.path, f.status]), [['a.ts', 'partial'], ['b.ts', 'rejected'], ['c.ts', 'accepted']]);
  // A later rejected edit of a changed file keeps it listed as changed.
  d.note(completed('declined', [{ path: 'a.ts', kind: 'update' }], [{ h9: 'rejected' }]));
  assert.equal(d.files().find((f) => f.path === 'a.ts')?.status, 'partial');
  d.note(completed('completed', [{ path: 'b.ts', kind: 'update' }]));
  assert.equal(d.files().find((f) => f.path === 'b.ts')?.status, 'accepted');
  assert.equal(d.note({ type: 'thread.started', thread_id: 't1' }), false, 'the same thread resumed keeps the list');
  assert.equal(d.note({ type: 'thread.started', thread_id: 't2' }), true);
  assert.deepEqual(d.files(), []);
});

test('merge: pending first, each path once', () => {
  const merged = mergeChanges(
    [{ path: 'z.ts', status: 'pending', source: 'edit', pending: 2 }],
    [{ path: 'a.ts', status: 'accepted', source: 'edit' }, { path: 'z.ts', status: 'accepted', source: 'edit' }],
    [{ path: 'build/out.js', status: 'changed', source: 'command' }],
  );
  assert.deepEqual(merged.map((f) => [f.path, f.status]), [['z.ts', 'pending'], ['a.ts', 'accepted'], ['build/out.js', 'changed']]);
});

test('a file whose change was accepted only in part (lines chosen) is "partly accepted", though every hunk counts as accepted', () => {
  const d = new DecidedEdits();
  d.notePartial('i', 'five.txt');
  d.note(completed('completed', [{ path: 'five.txt', kind: 'update' }, { path: 'whole.txt', kind: 'update' }], [{ h1: 'accepted' }, { h2: 'accepted' }]));
  assert.deepEqual(d.files().map((f) => [f.path, f.status]), [['five.txt', 'partial'], ['whole.txt', 'accepted']]);
});

test('a file whose hunks the core recorded as partial (a reopened session) is "partly accepted", not rejected', () => {
  const d = new DecidedEdits();
  d.note(completed('completed', [{ path: 'five.txt', kind: 'update' }, { path: 'mixed.txt', kind: 'update' }], [{ h1: 'partial' }, { h2: 'partial', h3: 'accepted' }]));
  assert.deepEqual(d.files().map((f) => [f.path, f.status]), [['five.txt', 'partial'], ['mixed.txt', 'partial']]);
});

test('decided edits: a rewound conversation drops its turns\' edits; a restore drops the restored files\' later edits', () => {
  const d = new DecidedEdits();
  d.note({ type: 'thread.started', thread_id: 't' });
  d.note(completed('completed', [{ path: 'a.ts', kind: 'update' }]), 0);
  d.note(completed('completed', [{ path: 'b.ts', kind: 'update' }]), 0);
  d.note(completed('declined', [{ path: 'a.ts', kind: 'update' }], [{ h: 'rejected' }]), 1);
  d.note(completed('completed', [{ path: 'b.ts', kind: 'update' }, { path: 'c.ts', kind: 'add' }]), 2);
  d.note(completed('completed', [{ path: 'd.ts', kind: 'update' }]), 3);
  d.note(completed('completed', [{ path: 'e.ts', kind: 'update' }]));
  const rows = () => d.files().map((f) => [f.path, f.status]).sort();
  assert.deepEqual(rows(), [['a.ts', 'accepted'], ['b.ts', 'accepted'], ['c.ts', 'accepted'], ['d.ts', 'accepted'], ['e.ts', 'accepted']]);

  // Files only, to message 2's checkpoint, restored b.ts and c.ts: message 0's edit of b.ts holds.
  assert.equal(d.restored(['b.ts', 'c.ts'], 2), true);
  assert.deepEqual(rows(), [['a.ts', 'accepted'], ['b.ts', 'accepted'], ['d.ts', 'accepted'], ['e.ts', 'accepted']]);
  assert.equal(d.restored(['b.ts'], 2), false, 'nothing more to drop');

  // The conversation goes back to before message 1: the edits of messages 1 and 3 go, the rest stay
  // (an edit whose message is unknown may be older).
  assert.equal(d.note({ type: 'conversation.rewound', to_user_message: 1, text: 'x' }), true);
  assert.deepEqual(rows(), [['a.ts', 'accepted'], ['b.ts', 'accepted'], ['e.ts', 'accepted']]);

  // A file reverted to the session's first checkpoint: none of its edits hold.
  assert.equal(d.restored(['e.ts']), true);
  assert.equal(d.restored(['a.ts']), true);
  assert.deepEqual(rows(), [['b.ts', 'accepted']]);
});
