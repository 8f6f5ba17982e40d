// Sessions saved as JSONL files: `<dir>/<id>.jsonl` holds the records, one JSON value per line, in the
// order they were appended; `<dir>/<id>.meta.json` holds the small summary the session list shows, so
// listing hundreds of sessions reads only those small files. API keys never reach either file: every
// line is checked for the configured secrets and for key-shaped strings, and those are replaced.

import fsSync from 'node:fs';
import * as fs from './fs-async';
import os from 'node:os';
import path from 'node:path';

export interface SessionMetaInput {
  title?: string;
  cwd: string;
  model: string;
}

export interface SessionSummary {
  id: string;
  title: string;
  cwd: string;
  model: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601: the last append (or the creation). */
  updatedAt: string;
}

export interface LoadedSession {
  summary: SessionSummary;
  records: unknown[];
  /** Lines that could not be read (a torn last line after a crash, a damaged line), each said plainly. */
  problems: string[];
}

export interface SessionStoreOptions {
  /** The directory holding the session files (created on first write). */
  dir: string;
  /** Strings that must never be written (the API key); more can be added with addSecret. */
  secrets?: string[];
  /** Told about damaged lines skipped on read and about redactions. Never given a secret. */
  onWarning?: (message: string) => void;
  /** The clock, for tests. */
  now?: () => Date;
}

export class SessionNotFoundError extends Error {
  override name = 'SessionNotFoundError';
}

const REDACTED = '[REDACTED]';
const DIR_MODE = 0o700;
const FILE_MODE = 0o600;
const idPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * Resolves in the event loop's check phase, after its next poll for I/O. Writes to session files
 * start behind it: none is urgent, and the model request a turn starts in the same turn of the loop
 * would otherwise wait for them before its connection is even opened (the first file I/O loads
 * fs/promises and starts libuv's threads, and serialises and redacts the records: at start-up
 * several milliseconds the request spent unsent).
 */
function afterIoPoll(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
/**
 * Credential shapes worth catching even when nobody configured them, e.g. printed by a command
 * (`env`, `git remote -v`, `cat .npmrc`). They run over serialized JSON, so none may swallow a quote
 * or cut an escape in two. The same list, in meaning, filters a command's environment in the sidecar
 * (sidecar/src/child_env.rs); both are documented in docs/secrets.md.
 */
const keyPatterns: Array<{ pattern: RegExp; replace: string }> = [
  // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), and other sk- keys.
  { pattern: /\bsk-[A-Za-z0-9_-]{20,}/g, replace: REDACTED },
  // GitHub: classic and OAuth/app/refresh tokens, fine-grained tokens.
  { pattern: /\bgh[pousr]_[A-Za-z0-9]{30,}/g, replace: REDACTED },
  { pattern: /\bgithub_pat_[A-Za-z0-9_]{20,}/g, replace: REDACTED },
  // GitLab personal access tokens.
  { pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g, replace: REDACTED },
  // Hugging Face tokens.
  { pattern: /\bhf_[A-Za-z0-9]{30,}/g, replace: REDACTED },
  // AWS access key ids (long-lived and temporary).
  { pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  // Slack bot, user, app and refresh tokens.
  { pattern: /\bxox[abposre]-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  // JWTs (three base64url parts, the first two JSON objects).
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: REDACTED },
  // PEM private keys, whole blocks; a block cut off by output truncation up to the end of its string.
  { pattern: /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:[^"\\]|\\.)*?(?:-----END \1PRIVATE KEY-----|(?="))/g, replace: REDACTED },
  // Passwords in URLs: scheme://user:password@host keeps the user and host.
  { pattern: /(\b[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@"\\]+:)[^\s/@"\\]+@/g, replace: `$1${REDACTED}@` },
  // Bearer tokens in headers.
  { pattern: /(?<=\bBearer\s+)[A-Za-z0-9._~+/=-]{20,}/g, replace: REDACTED },
];

/** `$TACK_HOME/sessions`, else `~/.tack/sessions`: where the CLI keeps sessions. */
export function defaultSessionsDir(env: NodeJS.ProcessEnv = process.env, home: string = os.homedir()): string {
  const tackHome = env.TACK_HOME && env.TACK_HOME.trim() !== '' ? env.TACK_HOME : path.join(home, '.tack');
  return path.join(tackHome, 'sessions');
}

interface MetaFile {
  version: 1;
  id: string;
  title: string;
  cwd: string;
  model: string;
  createdAt: string;
}

/** `digits` random hex digits (at most 13), for unique names; not a secret (see newSessionId). */
function randomHex(digits: number): string {
  return Math.floor(Math.random() * 16 ** digits)
    .toString(16)
    .padStart(digits, '0');
}

/** Keys shorter than this are not redacted from session files (see addSecret). */
export const MIN_SECRET_LENGTH = 8;

interface PendingRecord {
  record: unknown;
  resolve: (r: { redacted: number }) => void;
  reject: (e: unknown) => void;
}

export class SessionStore {
  readonly dir: string;
  private readonly secrets = new Set<string>();
  private readonly onWarning: (message: string) => void;
  private readonly now: () => Date;
  /** Per-session write queue, so appends land in call order. */
  private readonly queues = new Map<string, Promise<unknown>>();
  /**
   * Per session, the records appended while a write is in flight: they go out together in one
   * append (one open, write, close and mtime update instead of one each; a tool step makes several).
   */
  private readonly waiting = new Map<string, PendingRecord[]>();
  /** Sessions whose file is known to end with a newline (checked once per process). */
  private readonly clean = new Set<string>();
  /** The directory made private (0700) once per process. */
  private secured: Promise<void> | undefined;
  /** Every file in the directory narrowed to 0600 (by the first list). */
  private narrowedAll = false;

  constructor(opts: SessionStoreOptions) {
    this.dir = opts.dir;
    for (const s of opts.secrets ?? []) this.addSecret(s);
    this.onWarning = opts.onWarning ?? (() => undefined);
    this.now = opts.now ?? (() => new Date());
  }

  /**
   * Adds a string that must never be written. Strings shorter than MIN_SECRET_LENGTH are not added
   * (returns false): local servers take any key, often a word like `ollama`, which is no secret, and
   * redacting every occurrence of such a word would mangle the records. Never throws: a short key
   * must not stop a turn.
   */
  addSecret(secret: string): boolean {
    if (secret.length < MIN_SECRET_LENGTH) return false;
    this.secrets.add(secret);
    return true;
  }

  /** Replaces secrets and key-shaped strings in already-serialized JSON; returns the text and how many it replaced. */
  redact(serialized: string): { text: string; count: number } {
    let text = serialized;
    let count = 0;
    for (const secret of this.secrets) {
      // The secret as it appears inside a JSON string (escapes included).
      const inJson = JSON.stringify(secret).slice(1, -1);
      for (const form of new Set([secret, inJson])) {
        const parts = text.split(form);
        count += parts.length - 1;
        text = parts.join(REDACTED);
      }
    }
    for (const { pattern, replace } of keyPatterns) {
      text = text.replace(pattern, (...args: unknown[]) => {
        count++;
        return replace.replace('$1', String(args[1]));
      });
    }
    return { text, count };
  }

  /**
   * Creates the session's two files (the records, empty, and the summary) and resolves with its id.
   *
   * The files are made with synchronous calls, in one go: about ten small system calls (well under a
   * millisecond on a local disk) that as a chain of asynchronous calls each waited for a free moment
   * of the main thread, and a new session waits for its files before its first request (in the CLI,
   * while the start-up keeps that thread busy, the chain cost 5 to 15 ms). Nothing is written to
   * the model before this resolves, so a session that cannot be saved fails before it costs anything.
   */
  async createSession(meta: SessionMetaInput): Promise<string> {
    if (typeof meta.cwd !== 'string' || typeof meta.model !== 'string') throw new TypeError('session meta needs cwd and model strings');
    const created = this.now();
    const id = this.newSessionId(created);
    const file: MetaFile = { version: 1, id, title: meta.title ?? '', cwd: meta.cwd, model: meta.model, createdAt: created.toISOString() };
    this.secureSync();
    // 'wx': an id made twice never truncates a session's records, nor (written after) replaces its summary.
    const fd = fsSync.openSync(this.recordsPath(id), 'wx', FILE_MODE);
    try {
      fsSync.fchmodSync(fd, FILE_MODE);
      fsSync.futimesSync(fd, created, created);
    } finally {
      fsSync.closeSync(fd);
    }
    this.writeMetaSync(id, file);
    this.clean.add(id);
    return id;
  }

  /**
   * A new session id: the creation time to the second (UTC) and 32 random bits. The bits are for
   * uniqueness, not secrecy (the id names files in a private directory, and 'wx' refuses a repeat),
   * so Math.random serves, which spares loading node:crypto at start-up.
   */
  private newSessionId(at: Date): string {
    const stamp = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    return `${stamp}-${randomHex(8)}`;
  }

  /**
   * Sets the title shown in the session list. `onlyIfUnset`: keep a title already there (the first
   * request names the session; follow-ups, "continue" and retries do not rename it).
   */
  async setTitle(id: string, title: string, opts: { onlyIfUnset?: boolean } = {}): Promise<void> {
    await afterIoPoll();
    await this.secure();
    // Synchronous, as the appends are: a read of a small file and a write through a rename. As four
    // asynchronous calls, each a trip through libuv's thread pool, they held a short turn's end
    // back by about 3 ms (a turn ends once its writes are done).
    const meta = this.readMetaSync(id);
    if (opts.onlyIfUnset && meta.title.trim() !== '') return;
    this.writeMetaSync(id, { ...meta, title });
  }

  /** Appends one record as one line. Resolves once the line is written to the file. */
  append(id: string, record: unknown): Promise<{ redacted: number }> {
    if (!idPattern.test(id)) return Promise.reject(new SessionNotFoundError(`"${id}" is not a session id`));
    return new Promise((resolve, reject) => {
      const joining = this.waiting.get(id);
      if (joining) {
        joining.push({ record, resolve, reject });
        return;
      }
      const batch: PendingRecord[] = [{ record, resolve, reject }];
      this.waiting.set(id, batch);
      const previous = this.queues.get(id) ?? Promise.resolve();
      const run = previous
        .catch(() => undefined)
        .then(afterIoPoll)
        .then(() => {
          // From here on, new records start the next batch.
          if (this.waiting.get(id) === batch) this.waiting.delete(id);
          return this.appendBatch(id, batch);
        });
      this.queues.set(id, run);
      const cleanup = () => {
        if (this.queues.get(id) === run) this.queues.delete(id);
      };
      run.then(cleanup, cleanup);
    });
  }

  /** Serialises one record as its line, secrets redacted; throws for what cannot be saved as JSON. */
  private lineOf(id: string, record: unknown): { text: string; count: number } {
    let serialized: string | undefined;
    try {
      serialized = JSON.stringify(record);
    } catch (e) {
      throw new TypeError(`session ${id}: the record cannot be saved as JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (serialized === undefined) throw new TypeError(`session ${id}: the record cannot be saved as JSON (it is ${typeof record})`);
    const { text, count } = this.redact(serialized);
    if (count > 0) this.onWarning(`session ${id}: ${count} secret-looking string(s) replaced with ${REDACTED} before saving`);
    return { text, count };
  }

  /** Writes a batch's lines in order with one append; a record that cannot be serialised fails alone. */
  private async appendBatch(id: string, batch: PendingRecord[]): Promise<void> {
    const lines: string[] = [];
    const written: { p: PendingRecord; count: number }[] = [];
    for (const p of batch) {
      try {
        const { text, count } = this.lineOf(id, p.record);
        lines.push(text);
        written.push({ p, count });
      } catch (e) {
        p.reject(e);
      }
    }
    if (lines.length === 0) return;
    try {
      await this.appendLines(id, lines);
    } catch (e) {
      for (const { p } of written) p.reject(e);
      throw e;
    }
    for (const { p, count } of written) p.resolve({ redacted: count });
  }

  private async appendLines(id: string, lines: string[]): Promise<void> {
    const file = this.recordsPath(id);
    let prefix = '';
    if (!this.clean.has(id)) {
      await this.secure();
      // First write to this session in this process: it must exist, and a torn last line (a crash
      // mid-write) must not swallow the new record, so start on a fresh line.
      const size = await fs
        .stat(file)
        .then((s) => s.size)
        .catch(() => {
          throw new SessionNotFoundError(`no session ${id} in ${this.dir}`);
        });
      if (size > 0 && (await fs.byteAt(file, size - 1)) !== 0x0a) prefix = '\n';
    }
    // Synchronous: a batch is four small system calls (open, write, close, utimes), well under a
    // millisecond on a local disk. Asynchronous, each call was a trip to libuv's thread pool and
    // back: a tool step's records (two batches) cost about 350 us of CPU that way, in the middle of
    // the step, and about 110 us this way, serialising and redacting included. The batch is still
    // written behind afterIoPoll, and the line is in the file when the promise resolves.
    try {
      fsSync.appendFileSync(file, `${prefix}${lines.join('\n')}\n`, 'utf8');
    } catch (e) {
      // A write that failed part-way (a full disk) leaves a torn line at the end: the next append
      // must look again and start on a fresh line, or its first record is glued to the torn one
      // and lost with it.
      this.clean.delete(id);
      throw e;
    }
    // The file's mtime is the session's "last activity"; set it from the store's clock, which is
    // finer than the kernel's coarse file timestamps and lets the list order be exact.
    const at = this.now();
    fsSync.utimesSync(file, at, at);
    this.clean.add(id);
  }

  /** The records in append order; damaged lines are skipped and reported through onWarning. */
  async read(id: string): Promise<unknown[]> {
    const loaded = await this.load(id);
    for (const p of loaded.problems) this.onWarning(p);
    return loaded.records;
  }

  async load(id: string): Promise<LoadedSession> {
    await this.secure();
    await this.narrow([path.basename(this.recordsPath(id)), path.basename(this.metaPath(id))]);
    const meta = await this.readMeta(id);
    let text: string;
    try {
      text = await fs.readFile(this.recordsPath(id));
    } catch {
      throw new SessionNotFoundError(`session ${id} has no records file in ${this.dir}`);
    }
    const records: unknown[] = [];
    const problems: string[] = [];
    const lines = text.split('\n');
    const endsClean = text.length === 0 || text.endsWith('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        records.push(JSON.parse(line));
      } catch {
        const torn = i === lines.length - 1 && !endsClean;
        problems.push(
          torn
            ? `session ${id}: the last line (line ${i + 1}) was cut off mid-write and is skipped; the records before it are intact`
            : `session ${id}: line ${i + 1} is not valid JSON and is skipped`,
        );
      }
    });
    const updatedAt = await this.updatedAt(id, meta);
    return { summary: this.summaryOf(meta, updatedAt), records, problems };
  }

  /** Every session, newest activity first. Unreadable sessions are left out and reported. */
  async list(): Promise<SessionSummary[]> {
    await this.secure();
    let names: string[];
    try {
      names = await fs.readdir(this.dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    if (!this.narrowedAll) {
      this.narrowedAll = true;
      for (let i = 0; i < names.length; i += 64) await this.narrow(names.slice(i, i + 64));
    }
    const ids = names.filter((n) => n.endsWith('.meta.json')).map((n) => n.slice(0, -'.meta.json'.length)).filter((id) => idPattern.test(id));
    const out: SessionSummary[] = [];
    const batch = 32;
    for (let i = 0; i < ids.length; i += batch) {
      const summaries = await Promise.all(
        ids.slice(i, i + batch).map(async (id) => {
          try {
            const meta = await this.readMeta(id);
            return this.summaryOf(meta, await this.updatedAt(id, meta));
          } catch (e) {
            this.onWarning(`session ${id} left out of the list: ${e instanceof Error ? e.message : String(e)}`);
            return undefined;
          }
        }),
      );
      for (const s of summaries) if (s) out.push(s);
    }
    return out.sort((a, b) => (a.updatedAt === b.updatedAt ? b.id.localeCompare(a.id) : b.updatedAt.localeCompare(a.updatedAt)));
  }

  async delete(id: string): Promise<void> {
    this.checkId(id);
    await this.queues.get(id)?.catch(() => undefined);
    const results = await Promise.allSettled([fs.unlink(this.recordsPath(id)), fs.unlink(this.metaPath(id))]);
    this.clean.delete(id);
    if (results.every((r) => r.status === 'rejected')) throw new SessionNotFoundError(`no session ${id} in ${this.dir}`);
  }

  /**
   * Session files hold whole conversations (command output, file contents): the directory is 0700 and
   * every file 0600 whatever the umask. Once per process, and cheap: the directory alone (its mode
   * already keeps everyone else out of every file in it). Files left by older versions with wider
   * modes are narrowed where the store reads them: all of them when it lists (it reads every summary
   * then anyway), a session's own two files when it loads that session. A start-up does not walk the
   * directory (it grows by two files a session).
   */
  private secure(): Promise<void> {
    this.secured ??= (async () => {
      await fs.mkdirp(this.dir, DIR_MODE);
      await fs.chmod(this.dir, DIR_MODE);
    })().catch((e: unknown) => {
      // Not fatal here (a read-only directory can still be listed); a write fails on its own.
      this.secured = undefined;
      this.onWarning(`could not make ${this.dir} private: ${e instanceof Error ? e.message : String(e)}`);
    });
    return this.secured;
  }

  /** secure() with synchronous calls (for createSession); a failure is warned about, as there. */
  private secureSync(): void {
    if (this.secured) return;
    try {
      fsSync.mkdirSync(this.dir, { recursive: true, mode: DIR_MODE });
      fsSync.chmodSync(this.dir, DIR_MODE);
      this.secured = Promise.resolve();
    } catch (e) {
      this.onWarning(`could not make ${this.dir} private: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Narrows these files in the directory to 0600 (see secure). Symlinks are left alone (a chmod would follow them). */
  private async narrow(names: readonly string[]): Promise<void> {
    await Promise.all(
      names.map(async (name) => {
        const p = path.join(this.dir, name);
        try {
          const st = await fs.lstat(p);
          if (st.isFile() && (st.mode & 0o7777) !== FILE_MODE) await fs.chmod(p, FILE_MODE);
        } catch {
          // gone meanwhile, or not ours to change
        }
      }),
    );
  }

  private checkId(id: string): void {
    if (!idPattern.test(id)) throw new SessionNotFoundError(`"${id}" is not a session id`);
  }

  private recordsPath(id: string): string {
    this.checkId(id);
    return path.join(this.dir, `${id}.jsonl`);
  }

  private metaPath(id: string): string {
    this.checkId(id);
    return path.join(this.dir, `${id}.meta.json`);
  }

  private async readMeta(id: string): Promise<MetaFile> {
    let text: string;
    try {
      text = await fs.readFile(this.metaPath(id));
    } catch {
      throw new SessionNotFoundError(`no session ${id} in ${this.dir}`);
    }
    return this.parseMeta(id, text);
  }

  /** readMeta with a synchronous read. */
  private readMetaSync(id: string): MetaFile {
    let text: string;
    try {
      text = fsSync.readFileSync(this.metaPath(id), 'utf8');
    } catch {
      throw new SessionNotFoundError(`no session ${id} in ${this.dir}`);
    }
    return this.parseMeta(id, text);
  }

  private parseMeta(id: string, text: string): MetaFile {
    let parsed: Partial<MetaFile>;
    try {
      parsed = JSON.parse(text) as Partial<MetaFile>;
    } catch {
      throw new Error(`the summary file of session ${id} is damaged`);
    }
    if (parsed.id !== id || typeof parsed.cwd !== 'string' || typeof parsed.model !== 'string' || typeof parsed.createdAt !== 'string') {
      throw new Error(`the summary file of session ${id} is incomplete`);
    }
    return { version: 1, id, title: typeof parsed.title === 'string' ? parsed.title : '', cwd: parsed.cwd, model: parsed.model, createdAt: parsed.createdAt };
  }

  /** The summary, written whole through a rename, so a crash leaves the old one or the new one, never half. */
  private writeMetaSync(id: string, meta: MetaFile): void {
    const { text } = this.redact(JSON.stringify(meta));
    const target = this.metaPath(id);
    const tmp = `${target}.${process.pid}.${randomHex(6)}.tmp`;
    fsSync.writeFileSync(tmp, `${text}\n`, { encoding: 'utf8', mode: FILE_MODE });
    fsSync.chmodSync(tmp, FILE_MODE);
    fsSync.renameSync(tmp, target);
  }

  private async updatedAt(id: string, meta: MetaFile): Promise<string> {
    try {
      const st = await fs.stat(this.recordsPath(id));
      const mtime = st.mtime.toISOString();
      return mtime > meta.createdAt ? mtime : meta.createdAt;
    } catch {
      return meta.createdAt;
    }
  }

  private summaryOf(meta: MetaFile, updatedAt: string): SessionSummary {
    return { id: meta.id, title: meta.title, cwd: meta.cwd, model: meta.model, createdAt: meta.createdAt, updatedAt };
  }
}
