// The sidecar's stdout framing in process: the same bytes split at every point give the same messages,
// a frame's payload is never read as a message, and large frames are decoded in pieces that join to
// exactly the text one decode of the whole payload gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_PIECE_ASCII, MAX_PIECE_TEXT, StdoutReader, decodePieces, utf8Cut, type FrameStart } from './stdout';

type Event = ['line', string] | ['text', string, string, string] | ['log', string];

/** A reader that reads frame headers the way the client does (a `bytes` field makes a header). */
function reader(events: Event[]): StdoutReader {
  return new StdoutReader({
    line: (line) => {
      events.push(['line', line]);
      let m: { params?: { bytes?: number; execId?: string; stream?: 'stdout' | 'stderr' } };
      try {
        m = JSON.parse(line);
      } catch {
        return undefined;
      }
      const p = m.params;
      return p && typeof p.bytes === 'number' ? { bytes: p.bytes, execId: p.execId!, stream: p.stream! } : undefined;
    },
    text: (f: FrameStart, text) => events.push(['text', f.execId, f.stream, text]),
    log: (message) => events.push(['log', message]),
  });
}

const header = (execId: string, stream: string, payload: Buffer) =>
  `{"jsonrpc":"2.0","method":"exec/output","params":{"bytes":${payload.length}     ,"execId":"${execId}","stream":"${stream}"}}\n`;
const frame = (execId: string, stream: string, payload: Buffer) => Buffer.concat([Buffer.from(header(execId, stream, payload)), payload, Buffer.from('\n')]);

/** The texts of consecutive pieces of one frame joined, so that results can be compared whatever the pieces. */
function joined(events: Event[]): Event[] {
  const out: Event[] = [];
  for (const e of events) {
    const last = out.at(-1);
    if (e[0] === 'text' && last?.[0] === 'text' && last[1] === e[1] && last[2] === e[2]) last[3] += e[3];
    else out.push([...e] as Event);
  }
  return out;
}

// Multi-byte characters of every length, text that looks like the protocol, a byte that is never UTF-8.
const tricky = Buffer.concat([
  Buffer.from('é€😀\n{"jsonrpc":"2.0","id":1,"result":null}\n"}}\r\n'),
  Buffer.from([0xff, 0xc3]),
  Buffer.from('x 😀'),
]);
const wire = Buffer.concat([
  Buffer.from('{"jsonrpc":"2.0","id":1,"result":{"execId":"e1","pid":7}}\n'),
  frame('e1', 'stdout', tricky),
  Buffer.from('\n  \n{"jsonrpc":"2.0","method":"exec/output","params":{"execId":"e2","stream":"stderr","text":"json é"}}\n'),
  frame('e2', 'stderr', Buffer.from('😀€é')),
  frame('e1', 'stdout', Buffer.alloc(0)),
  Buffer.from('{"jsonrpc":"2.0","method":"exec/exited","params":{"execId":"e1","exitCode":0}}\n'),
]);
const wanted: Event[] = [
  ['line', '{"jsonrpc":"2.0","id":1,"result":{"execId":"e1","pid":7}}'],
  ['line', header('e1', 'stdout', tricky).trimEnd()],
  ['text', 'e1', 'stdout', tricky.toString('utf8')],
  ['line', '{"jsonrpc":"2.0","method":"exec/output","params":{"execId":"e2","stream":"stderr","text":"json é"}}'],
  ['line', header('e2', 'stderr', Buffer.from('😀€é')).trimEnd()],
  ['text', 'e2', 'stderr', '😀€é'],
  ['line', header('e1', 'stdout', Buffer.alloc(0)).trimEnd()],
  ['text', 'e1', 'stdout', ''],
  ['line', '{"jsonrpc":"2.0","method":"exec/exited","params":{"execId":"e1","exitCode":0}}'],
];

test('messages and frames read the same whatever the reads: whole, one byte at a time, split at every pair of points', () => {
  const feed = (chunks: Buffer[]) => {
    const events: Event[] = [];
    const r = reader(events);
    for (const c of chunks) r.push(c);
    return events;
  };
  // Small frames come out as one text each, never in pieces.
  assert.deepEqual(feed([wire]), wanted);
  assert.deepEqual(feed([...wire].map((b) => Buffer.from([b]))), wanted);
  for (let i = 1; i < wire.length; i++) {
    for (let j = i; j < wire.length; j++) {
      const got = feed([wire.subarray(0, i), wire.subarray(i, j), wire.subarray(j)]);
      if (JSON.stringify(got) !== JSON.stringify(wanted)) assert.deepEqual(got, wanted, `split at ${i} and ${j}`);
    }
  }
});

test('a frame not ended by a newline is reported and its text still delivered', () => {
  const events: Event[] = [];
  const r = reader(events);
  const h = header('e1', 'stdout', Buffer.from('abc'));
  r.push(Buffer.from(`${h}abcX{"jsonrpc":"2.0","id":2,"result":null}\n`));
  assert.deepEqual(events, [
    ['line', h.trimEnd()],
    ['log', 'tack-sidecar wrote an exec/output frame for e1 not ended by a newline'],
    ['text', 'e1', 'stdout', 'abc'],
    ['line', '{"jsonrpc":"2.0","id":2,"result":null}'],
  ]);
});

/** Deterministic bytes (a small LCG), so a failure repeats. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) >>> 16;
}

test('a large frame comes in pieces a V8 page holds, joined exactly as decoding it whole, split across any reads', () => {
  const ascii = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\n'.repeat(6000));
  // Every character length at every alignment against the cut points: 1- to 4-byte characters in turn.
  const mixed = Buffer.from('aé€😀'.repeat(40000));
  const rand = lcg(7);
  const noise = Buffer.from(Array.from({ length: 300_000 }, () => rand() & 0xff));
  for (const payload of [ascii, mixed, noise, Buffer.concat([ascii, Buffer.from('é')])]) {
    const bytes = frame('e9', 'stdout', payload);
    for (const read of [65536, 4093, 131072 + 7, bytes.length]) {
      const events: Event[] = [];
      const r = reader(events);
      for (let i = 0; i < bytes.length; i += read) r.push(bytes.subarray(i, i + read));
      const texts = events.filter((e) => e[0] === 'text').map((e) => e[3]);
      assert.ok(texts.join('') === payload.toString('utf8'), `the pieces join to the payload's text (reads of ${read})`);
      const limit = payload.toString('latin1') === payload.toString('utf8') ? MAX_PIECE_ASCII : MAX_PIECE_TEXT;
      assert.ok(texts.length >= 2 && texts.length === Math.ceil(payload.length / limit), `${texts.length} pieces of ${payload.length} bytes`);
      // A one-byte string of MAX_PIECE_ASCII characters or a two-byte one of MAX_PIECE_TEXT fits a page.
      for (const t of texts) assert.ok(t.length <= limit, `a piece of ${t.length} UTF-16 units`);
      assert.deepEqual(joined(events).length, 2);
    }
  }
});

test('pieces never split a character, and decode bad bytes as decoding the whole does', () => {
  const rand = lcg(11);
  // Random runs of valid characters, stray continuation bytes, truncated sequences and bad leads.
  const alphabet = [[0x41], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9f, 0x98, 0x80], [0x80], [0x80, 0x80, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xf0], [0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80]];
  for (let round = 0; round < 60; round++) {
    const bytes: number[] = [];
    while (bytes.length < MAX_PIECE_TEXT * 2 + 50) bytes.push(...alphabet[rand() % (round % 2 ? 4 : alphabet.length)]);
    const payload = Buffer.from(bytes);
    const pieces: string[] = [];
    decodePieces(payload, (t) => pieces.push(t));
    assert.equal(pieces.length, 3);
    assert.ok(pieces.join('') === payload.toString('utf8'), `round ${round}`);
    for (const p of pieces) {
      assert.ok(!/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(p), 'a surrogate pair split between pieces');
    }
  }
});

test('utf8Cut moves a cut back to the start of the character it falls in', () => {
  const b = Buffer.from('a😀b€');
  // a | f0 9f 98 80 | b | e2 82 ac
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((end) => utf8Cut(b, 0, end)), [1, 1, 1, 1, 5, 6, 6, 6, 9]);
  // Never back to the piece's own start (no empty piece): past the character instead.
  assert.equal(utf8Cut(b, 1, 3), 5);
  // A run of continuation bytes longer than any character: the cut stays where it was asked.
  const stray = Buffer.from([0x41, 0x80, 0x80, 0x80, 0x80, 0x80, 0x41]);
  assert.equal(utf8Cut(stray, 0, 5), 5);
  assert.equal(utf8Cut(stray, 2, 4), 4);
});

test('frames joined in the kept buffer stay whole: one after another, one inside another, and larger than it keeps', () => {
  const a = Buffer.from('A'.repeat(200_000) + 'é'.repeat(50_000));
  const b = Buffer.from('0123456789'.repeat(30_000));
  const huge = Buffer.from('z€'.repeat(600_000));
  const inReads = (bytes: Buffer, read: number) => Array.from({ length: Math.ceil(bytes.length / read) }, (_, i) => bytes.subarray(i * read, (i + 1) * read));
  const got = new Map<string, string[]>();
  let nested = false;
  const r: StdoutReader = new StdoutReader({
    line: (line) => {
      const p = (JSON.parse(line) as { params: { bytes: number; execId: string } }).params;
      return { bytes: p.bytes, execId: p.execId, stream: 'stdout' };
    },
    text: (f, text) => {
      got.set(f.execId, [...(got.get(f.execId) ?? []), text]);
      // A listener that makes the reader read more at once (as a stream may when resumed): a whole
      // frame of its own, read in pieces, while the outer one is still being handed out.
      if (f.execId === 'a2' && !nested) {
        nested = true;
        for (const c of inReads(frame('inner', 'stdout', b), 30_000)) r.push(c);
      }
    },
    log: (m) => assert.fail(m),
  });
  for (const [id, payload, read] of [
    ['a1', a, 65_536],
    ['b1', b, 7_000],
    ['a2', a, 50_000],
    ['huge', huge, 65_536],
    ['b2', b, 65_536],
  ] as const) {
    for (const c of inReads(frame(id, 'stdout', payload), read)) r.push(c);
  }
  for (const [id, payload] of [
    ['a1', a],
    ['b1', b],
    ['a2', a],
    ['inner', b],
    ['huge', huge],
    ['b2', b],
  ] as const) {
    assert.ok((got.get(id) ?? []).join('') === payload.toString('utf8'), `frame ${id}`);
  }
  assert.ok(nested);
});
