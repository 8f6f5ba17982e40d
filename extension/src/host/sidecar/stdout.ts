// The sidecar's stdout as bytes -> its messages: JSON lines, and raw `exec/output` frames (a header
// line, then `bytes` bytes of UTF-8 text and a newline; docs/sidecar-protocol.md). No I/O here: the
// client feeds it the chunks its pipe delivers, so the framing can be tested at every split point.
import { isAscii } from 'node:buffer';

/** What a frame header announced: the payload that follows it belongs to this command and stream. */
export interface FrameStart {
  execId: string;
  stream: 'stdout' | 'stderr';
  /** The payload's length in bytes, without the newline that ends the frame. */
  bytes: number;
}

export interface StdoutHandlers {
  /**
   * A whole line that is not blank, decoded. Returning a FrameStart says it was a frame header: the
   * next `bytes` bytes and a newline are that frame's payload, never read as lines.
   */
  line(text: string): FrameStart | undefined;
  /** A frame's text, decoded (a frame larger than a piece arrives as several pieces, in order). */
  text(frame: FrameStart, text: string): void;
  log(message: string): void;
}

/**
 * The longest text decoded in one piece, in UTF-8 bytes: what V8 keeps in its ordinary heap pages.
 * A string of more than 128 KiB (less a 16-byte header) goes to the large-object space instead,
 * where every allocation maps fresh pages and every collection unmaps them (measured on Node 20:
 * 256 MiB decoded in 128 KiB strings at 0.4-0.8 GB/s, in 64 KiB ones at 3-10 GB/s). ASCII decodes to
 * one byte per character; other text may need two bytes per UTF-16 unit, and never has more units
 * than bytes.
 */
export const MAX_PIECE_ASCII = 128 * 1024 - 16;
export const MAX_PIECE_TEXT = MAX_PIECE_ASCII / 2;

const isContinuation = (b: number) => (b & 0xc0) === 0x80;

/**
 * Where to end a piece that starts at `start` so that no character is split: at `end` if a
 * character starts there, else before the character `end` falls in (or after it, when that character
 * is the piece's first). A byte that is not a continuation byte always starts a new sequence for a
 * UTF-8 decoder, so the pieces decode to exactly the text the whole decodes to, bad bytes included;
 * four continuation bytes in a row can only end in a stray one, where any cut will do.
 */
export function utf8Cut(buf: Uint8Array, start: number, end: number): number {
  if (end >= buf.length) return buf.length;
  for (let cut = end; cut > end - 4 && cut >= start; cut--) {
    if (isContinuation(buf[cut])) continue;
    if (cut > start) return cut;
    let after = end;
    while (after < buf.length && after < start + 4 && isContinuation(buf[after])) after++;
    return after;
  }
  return end;
}

/**
 * The text of `payload` (as one decode of it would give), in pieces no longer than the limits above,
 * as even as the characters allow.
 */
export function decodePieces(payload: Buffer, emit: (text: string) => void): void {
  const len = payload.length;
  const ascii = isAscii(payload);
  const limit = ascii ? MAX_PIECE_ASCII : MAX_PIECE_TEXT;
  // ASCII is its own Latin-1: a straight copy instead of a UTF-8 decode.
  const encoding = ascii ? 'latin1' : 'utf8';
  if (len <= limit) {
    emit(payload.toString(encoding, 0, len));
    return;
  }
  const step = Math.ceil(len / Math.ceil(len / limit));
  let at = 0;
  while (at < len) {
    const end = len - at <= limit ? len : ascii ? at + step : utf8Cut(payload, at, at + step);
    emit(payload.toString(encoding, at, end));
    at = end;
  }
}

/** A raw frame being read: its header and the payload so far. */
interface Frame {
  start: FrameStart;
  /** Payload bytes plus the newline that ends the frame. */
  want: number;
  got: number;
  parts: Buffer[];
}

const EMPTY = Buffer.alloc(0);
/** The largest frame joined in the kept buffer: the sidecar sends at most 128 KiB plus one read. */
const MAX_SCRATCH = 1024 * 1024;

export class StdoutReader {
  /** The start of a line not yet ended (pieces of stdout chunks). */
  private lineParts: Buffer[] = [];
  /** A raw exec/output payload being read, if any. */
  private frame: Frame | undefined;
  /** Where a frame that came in several reads is joined (see endFrame). */
  private scratch: Buffer = EMPTY;

  constructor(private readonly on: StdoutHandlers) {}

  /**
   * One chunk of stdout. A line is decoded when it is whole (a newline byte is never inside a
   * character), and only the new chunk is searched for its end; a frame's payload is taken by its
   * length, never searched or parsed.
   */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      const f = this.frame;
      if (f) {
        const take = Math.min(f.want - f.got, chunk.length - at);
        f.parts.push(chunk.subarray(at, at + take));
        f.got += take;
        at += take;
        if (f.got === f.want) this.endFrame(f);
        continue;
      }
      const nl = chunk.indexOf(10, at);
      if (nl < 0) {
        this.lineParts.push(at === 0 ? chunk : chunk.subarray(at));
        return;
      }
      const piece = chunk.subarray(at, nl);
      at = nl + 1;
      let bytes = piece;
      if (this.lineParts.length > 0) {
        this.lineParts.push(piece);
        bytes = Buffer.concat(this.lineParts);
        this.lineParts = [];
      }
      const line = bytes.toString('utf8');
      // Blank lines are skipped; a message line starts with '{' (the first character decides fast).
      if (line.length > 0 && (line.charCodeAt(0) > 32 || line.trim() !== '')) {
        const start = this.on.line(line);
        if (start) this.frame = { start, want: start.bytes + 1, got: 0, parts: [] };
      }
    }
  }

  /** A raw frame's payload is in: its text goes out in pieces (one, unless it is large). */
  private endFrame(f: Frame): void {
    this.frame = undefined;
    // A frame that came in several reads is joined in a buffer kept for the purpose (not a new one
    // per frame: each would be an allocation of its own outside V8's heap, and garbage at once).
    // Only strings leave this function, so the buffer is free again when it returns; it is taken
    // while in use, so that a listener reading more output at once would not overwrite it.
    let all = f.parts[0];
    const scratch = this.scratch;
    if (f.parts.length > 1) {
      if (f.want <= MAX_SCRATCH && scratch.length >= f.want) {
        this.scratch = EMPTY;
        let at = 0;
        for (const p of f.parts) at += p.copy(scratch, at);
        all = scratch.subarray(0, f.want);
      } else {
        all = Buffer.concat(f.parts, f.want);
        if (f.want <= MAX_SCRATCH && scratch.length < f.want) this.scratch = Buffer.allocUnsafeSlow(Math.max(f.want, 2 * scratch.length));
      }
    }
    if (all[f.want - 1] !== 10) {
      this.on.log(`tack-sidecar wrote an exec/output frame for ${f.start.execId} not ended by a newline`);
    }
    try {
      decodePieces(all.subarray(0, f.want - 1), (text) => this.on.text(f.start, text));
    } finally {
      if (this.scratch === EMPTY) this.scratch = scratch;
    }
  }
}
