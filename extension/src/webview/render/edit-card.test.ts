// The edit card after the review: it keeps its diff, each hunk marked with the decision the core's
// item carries (the same shape a resumed session reads from the session file).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines } from '../../host/patch/engine';
import type { ThreadItem } from '../../shared/chat-protocol';
import { initialState, reduce, type Entry } from '../state';
import { renderEntry } from './cards';

const entryFor = (item: ThreadItem): Entry => ({ kind: 'item', key: 'k', item, cutBytes: 0 });

test('a decided edit card keeps its diff text with accepted and rejected hunks marked, and no buttons', () => {
  const diff = engines().diffTexts('a\nb\nc\nd\ne\nf\ng\nh\ni\n', 'a\nB_ACCEPTED\nc\nd\ne\nf\ng\nH_REJECTED\ni\n');
  const [h1, h2] = diff.hunkIds;
  assert.ok(h1 && h2, 'two hunks');
  const item: ThreadItem = {
    id: 'p1',
    type: 'file_change',
    status: 'partially_applied',
    changes: [{ path: 'src/a.ts', kind: 'update' }],
    diffs: [diff],
    hunk_states: [{ [h1]: 'accepted', [h2]: 'rejected' }],
  };
  // A fresh chat (as after resuming): no live hunk states, only what the item says.
  const html = renderEntry(entryFor(item), initialState());
  assert.ok(html.includes('B_ACCEPTED') && html.includes('H_REJECTED'), 'the diff text is still there');
  assert.match(html, new RegExp(`data-testid="hunk" data-hunk-id="${h1}" data-state="accepted"`));
  assert.match(html, new RegExp(`data-testid="hunk" data-hunk-id="${h2}" data-state="rejected"`));
  assert.match(html, /<tr class="diff-insert hunk-accepted">/);
  assert.match(html, /<tr class="diff-insert hunk-rejected">/);
  assert.ok(!html.includes('data-testid="hunk-accept"'), 'no buttons once decided');
  assert.match(html, /title="1 of 2 changes accepted">1\/2</);
});

test('a hunk decided line by line is "partly accepted", and the card marks which of its lines landed', () => {
  const original = '// five\none\ntwo\nthree\nfour\nfive\n// end\n';
  const proposed = '// five\nONE\nTWO\nTHREE\nFOUR\nFIVE\n// end\n';
  const diff = engines().diffTexts(original, proposed);
  const [h] = diff.hunkIds;
  assert.ok(h);
  const item: ThreadItem = {
    id: 'p5',
    type: 'file_change',
    status: 'completed',
    changes: [{ path: 'five.txt', kind: 'update' }],
    diffs: [diff],
    // The core says accepted (some of it landed) ...
    hunk_states: [{ [h]: 'accepted' }],
  };
  const s = initialState();
  // ... the host said which lines: "two" and "three" (lines 3 and 4) replaced by "TWO" and "THREE".
  reduce(s, { type: 'hunkStates', itemId: 'p5', path: 'five.txt', states: { [h]: 'partial' }, lines: { removedOld: [3, 4], landedNew: [3, 4] } });
  const html = renderEntry(entryFor(item), s);
  assert.match(html, new RegExp(`data-testid="hunk" data-hunk-id="${h}" data-state="partial"`));
  assert.match(html, /data-testid="hunk-state">Partly accepted</);
  const rows = [...html.matchAll(/<tr class="diff-(insert|delete)[^"]*"(?: data-landed="(true|false)")?[^>]*>.*?<\/td><td class="code"><span class="sign">.<\/span>([^<]*)<\/td>/g)].map((m) => `${m[1]}:${m[3]}:${m[2]}`);
  assert.deepEqual(rows, [
    'delete:one:false', 'delete:two:true', 'delete:three:true', 'delete:four:false', 'delete:five:false',
    'insert:ONE:false', 'insert:TWO:true', 'insert:THREE:true', 'insert:FOUR:false', 'insert:FIVE:false',
  ]);
  // Without the host's word (a resumed session), the core's "accepted" stands.
  assert.match(renderEntry(entryFor(item), initialState()), /data-state="accepted"/);
});
