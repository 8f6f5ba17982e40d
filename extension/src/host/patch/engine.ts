// Typed calls into the wasm engines (apply_patch and diff). The wasm glue returns `any`; the shapes
// are the ts-rs types generated from the Rust structs, so these casts restate, not invent, the types.
import { coreGeneration, loadCore, trackCoreObject, type Core, type GlueTextDiff } from '../core';
import type { InitOutput } from '../../generated/wasm/wasm_ui_core.js';
import type { ApplyPatchResult } from '../../generated/types/ApplyPatchResult';
import type { DiffLines } from '../../generated/types/DiffLines';
import type { FileChange } from '../../generated/types/FileChange';
import type { FileDiff } from '../../generated/types/FileDiff';
import type { FileMap } from '../../generated/types/FileMap';
import type { LineDecision } from '../../generated/types/LineDecision';
import type { PatchAnswerHeader } from '../../generated/types/PatchAnswerHeader';
import type { PatchError } from '../../generated/types/PatchError';
import type { PatchFile } from '../../generated/types/PatchFile';
import type { PatchPathsResult } from '../../generated/types/PatchPathsResult';

export type { ApplyPatchResult } from '../../generated/types/ApplyPatchResult';
export type { ChangeKind } from '../../generated/types/ChangeKind';
export type { DiffHunk } from '../../generated/types/DiffHunk';
export type { DiffLines } from '../../generated/types/DiffLines';
export type { HunkLines } from '../../generated/types/HunkLines';
export type { DiffRow } from '../../generated/types/DiffRow';
export type { DiffSection } from '../../generated/types/DiffSection';
export type { FileChange } from '../../generated/types/FileChange';
export type { FileDiff } from '../../generated/types/FileDiff';
export type { FileMap } from '../../generated/types/FileMap';
export type { FileState } from '../../generated/types/FileState';
export type { LineDecision } from '../../generated/types/LineDecision';
export type { HighlightRange } from '../../generated/types/HighlightRange';
export type { PatchError } from '../../generated/types/PatchError';
export type { PatchPathsResult } from '../../generated/types/PatchPathsResult';
export type { RowKind } from '../../generated/types/RowKind';

export interface Engines {
  /** Patch text + the current state of every path it names -> the changes, or the error. Never throws for a bad patch. */
  applyPatch(patchText: string, files: FileMap): ApplyPatchResult;
  /** The normalised paths whose state `applyPatch` needs, or the parse error. */
  patchPaths(patchText: string): PatchPathsResult;
  /** The whole diff: every hunk's rows with word highlights, the sections and the unified text. */
  diffTexts(original: string, proposed: string): FileDiff;
  /**
   * The line-level diff alone: hunks as line ranges with their ids (the same ids diffTexts gives),
   * which section each is in, the counts; no rows. What a caller that shows no rows pays.
   */
  diffLines(original: string, proposed: string): DiffLines;
  /**
   * The line-level diff, kept open with both texts in wasm memory so the rows of any sections can be
   * made later without diffing again. The caller must `free()` it.
   */
  openDiff(original: string, proposed: string): OpenDiff;
  /** original + proposed + accepted hunk ids -> the resulting text (all ids: proposed; none: original). */
  applyHunks(original: string, proposed: string, acceptedIds: readonly string[]): string;
  /**
   * Accepts or rejects the line pairs [start, end) of one hunk of diffTexts(current, proposed) (see
   * diff/src/lines.rs) -> the new current and proposed texts; null for an unknown hunk.
   */
  decideHunkLines(current: string, proposed: string, hunkId: string, start: number, end: number, accept: boolean): LineDecision | null;
}

/**
 * The diff functions take their texts as UTF-8 bytes: encoding them here and one copy into wasm memory
 * are native, where wasm-bindgen's string passing copies a character at a time in JavaScript (at
 * 1,000 lines that loop took longer than the diff). Lone surrogates become U+FFFD either way.
 */
const utf8 = new TextEncoder();
/** The buffer the texts are encoded into; reused while it is at most KEEP_BYTES. */
let scratch = new Uint8Array(1 << 16);
const KEEP_BYTES = 1 << 22;

/**
 * The texts as UTF-8, views of one buffer one after another (valid until the next call; the wasm
 * glue copies them at once). encodeInto a ready buffer is several times faster than encode(), which
 * sizes and allocates a new array for every text.
 */
export function encodeTexts(a: string, b: string): [Uint8Array, Uint8Array];
export function encodeTexts(...texts: string[]): Uint8Array[];
export function encodeTexts(...texts: string[]): Uint8Array[] {
  let units = 0;
  for (const t of texts) units += t.length;
  // ASCII takes one byte a UTF-16 unit; anything else at most three, which the retry allows.
  let buf = scratch.length >= units ? scratch : new Uint8Array(units);
  let views = encodeAll(texts, buf);
  if (!views) {
    buf = new Uint8Array(units * 3);
    views = encodeAll(texts, buf) as Uint8Array[];
  }
  if (buf !== scratch && buf.length <= KEEP_BYTES) scratch = buf;
  return views;
}

/** The texts encoded one after another into `buf`, or undefined when they do not fit. */
function encodeAll(texts: string[], buf: Uint8Array): Uint8Array[] | undefined {
  const views: Uint8Array[] = [];
  let at = 0;
  for (const t of texts) {
    const r = utf8.encodeInto(t, buf.subarray(at));
    if (r.read < t.length) return undefined;
    views.push(buf.subarray(at, at + r.written));
    at += r.written;
  }
  return views;
}

/**
 * One text as UTF-8 straight into wasm memory: allocated with wasm-bindgen's allocator, encoded with
 * encodeInto into a view of the memory (one copy, no buffer on the JavaScript side), the allocation
 * made exactly as long as the bytes written -> its pointer and length. The allocation belongs to the
 * caller, which hands it to an export taking a byte slice (wasm-bindgen frees such an argument when
 * the call returns) or frees it. The first try gives each UTF-16 unit one byte (all an ASCII text
 * needs); the rest of a text that does not fit gets three a unit, the most any needs (a lone
 * surrogate becomes U+FFFD, three bytes, as with TextEncoder.encode). Any allocation may grow the
 * memory, which detaches the views of it taken before, so a view is taken after each.
 */
export function passText(w: InitOutput, t: string): [number, number] {
  const cap = t.length;
  // An empty allocation is wasm-bindgen's dangling pointer (the alignment), never freed.
  if (cap === 0) return [w.__wbindgen_malloc(0, 1) >>> 0, 0];
  const ptr = w.__wbindgen_malloc(cap, 1) >>> 0;
  return cap >= BACKWARD_FROM ? passBackward(w, t, ptr) : passForward(w, t, ptr);
}

/** `passText` front to back, into its allocation `ptr` of `t.length` bytes (not empty). */
function passForward(w: InitOutput, t: string, ptr: number): [number, number] {
  let cap = t.length;
  let r = utf8.encodeInto(t, new Uint8Array(w.memory.buffer, ptr, cap));
  let written = r.written;
  if (r.read < t.length) {
    const rest = t.length - r.read;
    const grown = written + 3 * rest;
    ptr = w.__wbindgen_realloc(ptr, cap, grown, 1) >>> 0;
    cap = grown;
    r = utf8.encodeInto(t.slice(t.length - rest), new Uint8Array(w.memory.buffer, ptr + written, cap - written));
    written += r.written;
    // Shrinking in place: the allocation must be as long as the bytes, which its receiver frees as such.
    if (written < cap) ptr = w.__wbindgen_realloc(ptr, cap, written, 1) >>> 0;
  }
  return [ptr, written];
}

/** Texts of at least this many UTF-16 units are written last part first (`passBackward`). */
export const BACKWARD_FROM = 1 << 20;
/** The parts `passBackward` writes, in UTF-16 units. */
export const BACKWARD_PART = 1 << 16;

/**
 * `passText` for a big text, into its allocation `ptr` of `t.length` bytes: the text is written in
 * parts from its end to its start, so the start, where the diff begins reading, is still in the
 * processor's cache when the call comes (10 MB of two texts is more than it holds; at 100,000 lines
 * this took about a tenth off diffLines). Each part is written as ASCII (one byte a unit, at the
 * byte offset of its first unit). At the first part that is not all ASCII (a unit took more or less
 * than one byte: non-ASCII, or a surrogate pair cut by the part boundary, which then counts as not
 * ASCII), the text up to that part's end is encoded on its own, front to back as `passText` does,
 * and the ASCII written after it moves up behind it, once; or, when that ASCII is under a quarter of
 * the text, the whole text is written front to back over it. Measured on a 5 MB text (medians):
 * ASCII 0.49 -> 0.41 ms, a non-ASCII character first 1.12 -> 0.60, in the middle 0.82 -> 0.72, at
 * 70% 0.82 -> 0.80, at 80% 0.66 -> 0.72, last 2.3 either way; a character above U+00FF in the middle
 * (a two-byte string, slow to encode either way) 2.3 -> 3.1 ms, the one case clearly slower.
 */
function passBackward(w: InitOutput, t: string, ptr: number): [number, number] {
  const len = t.length;
  let end = len;
  const mem = new Uint8Array(w.memory.buffer, ptr, len);
  while (end > 0) {
    const start = Math.max(0, end - BACKWARD_PART);
    const r = utf8.encodeInto(t.slice(start, end), mem.subarray(start, end));
    if (r.read !== end - start || r.written !== end - start) break;
    end = start;
  }
  if (end === 0) return [ptr, len];
  // Most of the text is still to write: front to back over what was written (under a quarter).
  if (4 * (len - end) < len) return passForward(w, t, ptr);
  // [0, end) holds non-ASCII; [end, len) is ASCII, written where it belongs if [0, end) were too.
  const [head, headBytes] = passForward(w, t.slice(0, end), w.__wbindgen_malloc(end, 1) >>> 0);
  const total = headBytes + (len - end);
  ptr = w.__wbindgen_realloc(ptr, len, total, 1) >>> 0;
  const all = new Uint8Array(w.memory.buffer, ptr, total);
  all.copyWithin(headBytes, end, len);
  all.set(new Uint8Array(w.memory.buffer, head, headBytes));
  w.__wbindgen_free(head, headBytes, 1);
  return [ptr, total];
}

/**
 * `diffLines` with both texts encoded straight into wasm memory (`passText`) and the answer read
 * from it in place: the texts are copied once, by the encoder, and no buffer is made on this side.
 * The wasm-bindgen glue's own call would take the texts as bytes already encoded and copy them in
 * again, which at 100,000 lines cost more than the diff.
 */
export function diffLinesThrough(core: Core, original: string, proposed: string): DiffLines {
  // Strings checked before anything is allocated, so nothing leaks on a bad argument.
  if (typeof original !== 'string' || typeof proposed !== 'string') throw new TypeError('diffLines: the texts must be strings');
  const w = core.exports();
  const [p0, n0] = passText(w, original);
  let p1: number, n1: number;
  try {
    [p1, n1] = passText(w, proposed);
  } catch (e) {
    if (n0 > 0) w.__wbindgen_free(p0, n0, 1);
    throw e;
  }
  // `diffLines` takes both texts' allocations (its arguments are byte slices) and frees them.
  const [at, len] = w.diffLines(p0, n0, p1, n1);
  try {
    return decodeDiffLines(new Uint32Array(w.memory.buffer, at >>> 0, len >>> 0));
  } finally {
    w.__wbindgen_free(at, len * 4, 4);
  }
}

/** UTF-8 -> text as it is: a leading byte order mark stays part of the text (TextDecoder drops it by default). */
const fromUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** What `applyPatch` is given as a FileMap that is not one. */
function notAFileMap(why: string): Error {
  return new Error(`applyPatch: files is not a FileMap: ${why}`);
}

/**
 * `applyPatch` across the boundary without JSON-escaping any file: the patch and the text files'
 * contents go in as UTF-8 bytes (one encodeTexts buffer), the rest of the FileMap as a small JSON
 * list (`PatchFile`); the answer is a small JSON header (`PatchAnswerHeader`) followed by the new
 * contents, each decoded with a TextDecoder. A change's `original` is always its path's text contents
 * in `files` (the engine copies it from there), so it is taken from `files` rather than sent back.
 */
export function applyPatchThrough(core: Core, patchText: string, files: FileMap): ApplyPatchResult {
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw notAFileMap('not an object');
  const list: PatchFile[] = [];
  const texts = [patchText];
  for (const [p, file] of Object.entries(files)) {
    if (typeof file !== 'object' || file === null) throw notAFileMap(`${p}: not a FileState`);
    if (file.state === 'text') {
      if (typeof file.contents !== 'string') throw notAFileMap(`${p}: its contents are not a string`);
      texts.push(file.contents);
      list.push({ path: p, state: 'text' });
    } else list.push(file.state === 'unreadable' ? { path: p, state: file.state, reason: file.reason } : { path: p, state: file.state });
  }
  const views = encodeTexts(...texts);
  let t = 1;
  for (const entry of list) if (entry.state === 'text') entry.bytes = views[t++].length;
  const patch = views[0];
  const end = views[views.length - 1];
  const contents = new Uint8Array(patch.buffer, patch.byteOffset + patch.length, end.byteOffset + end.length - patch.byteOffset - patch.length);
  const out = core.applyPatch(patch, JSON.stringify(list), contents);
  const headerEnd = 4 + (out[0] | (out[1] << 8) | (out[2] << 16) | (out[3] << 24));
  const header = JSON.parse(fromUtf8.decode(out.subarray(4, headerEnd))) as PatchAnswerHeader;
  if (!header.ok) return header;
  let at = headerEnd;
  const changes = header.changes.map((c): FileChange => {
    const was = Object.hasOwn(files, c.path) ? files[c.path] : undefined;
    let newContents: string | null = null;
    if (c.newBytes !== null) newContents = fromUtf8.decode(out.subarray(at, (at += c.newBytes)));
    const change: FileChange = { kind: c.kind, path: c.path, original: was?.state === 'text' ? was.contents : null, newContents };
    if (c.movePath !== undefined) change.movePath = c.movePath;
    return change;
  });
  return { ok: true, changes };
}

export function engines(core: Core = loadCore()): Engines {
  return {
    applyPatch: (patchText, files) => applyPatchThrough(core, patchText, files),
    patchPaths: (patchText) => core.patchPaths(patchText) as PatchPathsResult,
    diffTexts: (original, proposed) => JSON.parse(core.diffTexts(...encodeTexts(original, proposed))) as FileDiff,
    diffLines: (original, proposed) => diffLinesThrough(core, original, proposed),
    openDiff: (original, proposed) => new OpenTextDiff(new core.TextDiff(...encodeTexts(original, proposed))),
    applyHunks: (original, proposed, acceptedIds) => core.applyHunks(...encodeTexts(original, proposed), [...acceptedIds]),
    decideHunkLines: (current, proposed, hunkId, start, end, accept) =>
      core.decideHunkLines(...encodeTexts(current, proposed), hunkId, start, Math.min(end, 0xffff_ffff), accept) as LineDecision | null,
  };
}

/** A diff kept open in wasm memory (engines().openDiff). */
export interface OpenDiff {
  /** The line-level diff (hunks' `section` says which section each belongs to). */
  readonly lines: DiffLines;
  /**
   * The render model of sections [start, end) (clamped): their hunks, rows and unified text, row
   * indices counted from the part's first row; the parts of every section in turn make up `all()`.
   */
  part(start: number, end: number): FileDiff;
  /** Every section: what diffTexts gives for the same texts. */
  all(): FileDiff;
  /** Releases the texts and the diff in wasm memory; the handle is unusable afterwards. Idempotent. */
  free(): void;
}

/** The bytes of one hunk id's text after the numbers: `h` and 16 hex digits. */
const ID_BYTES = 17;
/** ASCII -> text (the ids). */
const idText = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The words `diffLines` and `TextDiff.lines()` answer (layout: `lines_numbers` in
 * wasm-ui-core/src/wasm_api/engines.rs) as a `DiffLines`: five numbers a hunk, then every id's text
 * one after another, decoded at once and sliced (each id a slice of one string, no hex written here).
 */
export function decodeDiffLines(n: Uint32Array): DiffLines {
  const count = n[3];
  const ids = idText.decode(new Uint8Array(n.buffer, n.byteOffset + (4 + 5 * count) * 4, ID_BYTES * count));
  const hunkIds: string[] = new Array<string>(count);
  const hunks: DiffLines['hunks'] = new Array<DiffLines['hunks'][number]>(count);
  for (let i = 0, at = 4; i < count; i++, at += 5) {
    const id = ids.slice(ID_BYTES * i, ID_BYTES * (i + 1));
    hunkIds[i] = id;
    hunks[i] = { id, oldStart: n[at], oldLines: n[at + 1], newStart: n[at + 2], newLines: n[at + 3], section: n[at + 4] };
  }
  return { hunkIds, hunks, sections: n[2], additions: n[0], deletions: n[1] };
}

/** An open diff: the wasm `TextDiff` and the core instance (generation) it lives in. */
class OpenTextDiff implements OpenDiff {
  readonly lines: DiffLines;
  private readonly generation = coreGeneration();
  private freed = false;

  constructor(readonly raw: GlueTextDiff) {
    // A discard of the instance (after a trap) detaches `raw` (see discardCore).
    trackCoreObject(this);
    this.lines = decodeDiffLines(raw.lines());
  }

  private live(): GlueTextDiff {
    if (this.freed) throw new Error('openDiff: this diff was freed');
    // The handle of a discarded instance points into memory that no longer exists.
    if (this.generation !== coreGeneration()) throw new Error('openDiff: the core was restarted since this diff was made');
    return this.raw;
  }

  part(start: number, end: number): FileDiff {
    const clamp = (x: number) => Math.max(0, Math.min(Math.floor(x), 0xffff_ffff));
    return JSON.parse(this.live().part(clamp(start), clamp(end))) as FileDiff;
  }

  all(): FileDiff {
    return JSON.parse(this.live().part(0, 0xffff_ffff)) as FileDiff;
  }

  free(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.generation === coreGeneration()) this.raw.free();
  }
}

/** The engine's error as one line of text: "patch line 7: could not find ...". */
export function formatPatchError(error: PatchError): string {
  return error.line == null ? error.message : `patch line ${error.line}: ${error.message}`;
}
