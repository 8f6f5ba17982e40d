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
