// The win32-x64 sidecar's file writer (fs/applyChanges, fs/checkWrite; sidecar/src/fs_write_windows.rs)
// under Wine, through the real binary: files added, updated (CRLF and every byte kept), deleted and
// moved, with `\` or `/` paths; and refused, with nothing written: `.git` in any spelling (`.GIT`,
// `.git.`, `GIT~1`, `.git::$DATA`), a directory that is a git directory by its contents, `..`,
// alternate data streams, device names, drive-relative and UNC paths, paths outside the writable
// roots, a read-only policy, Tack's own directory ($TACK_HOME, there or not yet); and a symbolic link, to a file or on the path, is never written through. What was refused is checked on the Linux side of the Z: drive afterwards.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { RawSidecar, RpcMessage } from '../lib/raw-sidecar';
import { startWineSidecar, winPath, wineSkip } from '../lib/wine';

const skip = wineSkip();

let bin = '';
let work = '';
let ws = '';
let sidecar: RawSidecar;

before(async () => {
  if (skip) return;
  bin = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-wine-bin-'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'tack-wine-ws-'));
  ws = path.join(work, 'ws');
  fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
  fs.mkdirSync(path.join(ws, '.git', 'hooks'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.git', 'config'), '[core]\n');
  fs.writeFileSync(path.join(ws, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  fs.mkdirSync(path.join(ws, '.git', 'objects'));
  fs.mkdirSync(path.join(ws, '.git', 'refs'));
  // A git directory under another name (what a `gitdir:` file or a bare repository points at).
  fs.mkdirSync(path.join(ws, 'vendor', 'lib.git', 'objects'), { recursive: true });
  fs.mkdirSync(path.join(ws, 'vendor', 'lib.git', 'refs'));
  fs.writeFileSync(path.join(ws, 'vendor', 'lib.git', 'HEAD'), 'ref: refs/heads/main\n');
  fs.mkdirSync(path.join(work, 'outside'));
  fs.symlinkSync(path.join(work, 'outside'), path.join(ws, 'escape'));
  fs.writeFileSync(path.join(work, 'outside', 'target.txt'), 'outside\n');
  fs.symlinkSync(path.join(work, 'outside', 'target.txt'), path.join(ws, 'link.txt'));
  // Tack's own directory inside the workspace (a home directory opened as one).
  fs.mkdirSync(path.join(ws, 'dot-tack', 'cache'), { recursive: true });
  sidecar = startWineSidecar(bin, [], { TACK_HOME: winPath(path.join(ws, 'dot-tack')) });
  // The first start of a Wine prefix sets it up (tens of seconds).
  const r = await sidecar.request('initialize', { clientName: 'test' }, 180_000);
  assert.equal(r.error, undefined, JSON.stringify(r));
});

after(async () => {
  if (skip) return;
  await sidecar.stop();
  fs.rmSync(bin, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

const policy = () => ({ mode: 'workspace-write', writableRoots: [winPath(ws)] });

async function apply(changes: unknown[], p: unknown = policy()): Promise<RpcMessage> {
  return sidecar.request('fs/applyChanges', { cwd: winPath(ws), policy: p, changes });
}

/** Every file under `dir` (relative, sorted), with the Linux view of the Z: drive. */
function listing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

function assertRefused(r: RpcMessage, reason: string, pattern: RegExp): void {
  assert.ok(r.error, `expected a refusal, got ${JSON.stringify(r)}`);
  assert.equal((r.error.data as { reason?: string } | undefined)?.reason, reason, JSON.stringify(r.error));
  assert.match(r.error.message, /^nothing was written: /);
  assert.match(r.error.message, pattern);
}

test('add, update, delete and move land, bytes and CRLF exactly as given', { skip }, async () => {
  const crlf = 'line one\r\nline two\r\n\u00e9\u4e2d\r\nno newline at the end';
  const a = await apply([
    { kind: 'write', path: 'src/new.txt', contents: crlf },
    { kind: 'write', path: 'src\\deep\\er\\made.txt', contents: 'x\n' },
  ]);
  assert.equal(a.error, undefined, JSON.stringify(a));
  assert.deepEqual(a.result, { written: ['src/new.txt', 'src\\deep\\er\\made.txt'], deleted: [] });
  assert.equal(fs.readFileSync(path.join(ws, 'src', 'new.txt'), 'utf8'), crlf);
  assert.equal(fs.readFileSync(path.join(ws, 'src', 'deep', 'er', 'made.txt'), 'utf8'), 'x\n');

  const u = await apply([{ kind: 'write', path: 'src/new.txt', contents: 'replaced\r\n' }]);
  assert.equal(u.error, undefined, JSON.stringify(u));
  assert.equal(fs.readFileSync(path.join(ws, 'src', 'new.txt'), 'utf8'), 'replaced\r\n');

  const m = await apply([{ kind: 'move', from: 'src/new.txt', to: 'src/moved.txt', contents: 'moved\r\n' }]);
  assert.equal(m.error, undefined, JSON.stringify(m));
  assert.deepEqual(m.result, { written: ['src/moved.txt'], deleted: ['src/new.txt'] });
  assert.equal(fs.existsSync(path.join(ws, 'src', 'new.txt')), false);
  assert.equal(fs.readFileSync(path.join(ws, 'src', 'moved.txt'), 'utf8'), 'moved\r\n');

  const d = await apply([{ kind: 'delete', path: 'src\\moved.txt' }]);
  assert.equal(d.error, undefined, JSON.stringify(d));
  assert.equal(fs.existsSync(path.join(ws, 'src', 'moved.txt')), false);
  // No temporary or backup file is left behind.
  assert.deepEqual(listing(path.join(ws, 'src')).filter((f) => f.includes('.tack-')), []);
});

test('names differing only in case are the same file', { skip }, async () => {
  fs.writeFileSync(path.join(ws, 'src', 'Case.txt'), 'old\n');
  const r = await apply([{ kind: 'write', path: 'SRC/case.TXT', contents: 'new\n' }]);
  assert.equal(r.error, undefined, JSON.stringify(r));
  assert.equal(fs.readFileSync(path.join(ws, 'src', 'Case.txt'), 'utf8'), 'new\n');
  const twice = await apply([
    { kind: 'write', path: 'src/Case.txt', contents: 'a' },
    { kind: 'write', path: 'src/CASE.txt', contents: 'b' },
  ]);
  assertRefused(twice, 'changed-twice', /changed twice/);
  // A move that only changes the case is one file renamed, not a write plus a delete of the same file.
  const recase = await apply([{ kind: 'move', from: 'src/Case.txt', to: 'src/CASE.txt', contents: 'moved\r\n' }]);
  assert.equal(recase.error, undefined, JSON.stringify(recase));
  assert.deepEqual(recase.result, { written: ['src/CASE.txt'], deleted: [] });
  assert.deepEqual(listing(path.join(ws, 'src')).filter((f) => f.toLowerCase() === 'case.txt'), ['CASE.txt']);
  assert.equal(fs.readFileSync(path.join(ws, 'src', 'CASE.txt'), 'utf8'), 'moved\r\n');
});

test('.git in every spelling is refused, and nothing lands there', { skip }, async () => {
  const before = listing(path.join(ws, '.git'));
  for (const p of ['.git\\config', '.git/config', '.GIT\\hooks\\x', '.Git/hooks/pre-commit', 'sub/.git./HEAD', '.git /x', 'GIT~1\\config', '.git::$INDEX_ALLOCATION\\config', '.git:$DATA']) {
    const r = await apply([{ kind: 'write', path: p, contents: '#!/bin/sh\necho pwned\n' }]);
    assertRefused(r, 'git-dir', /git directory/);
  }
  const del = await apply([{ kind: 'delete', path: '.GIT\\config' }]);
  assertRefused(del, 'git-dir', /git directory/);
  // A git directory by its contents, whatever its name; and one the request itself would complete.
  const bare = await apply([{ kind: 'write', path: 'vendor\\lib.git\\hooks\\post-checkout', contents: 'x' }]);
  assertRefused(bare, 'git-dir', /git directory/);
  const made = await apply([
    { kind: 'write', path: 'fake/HEAD', contents: 'ref: refs/heads/main\n' },
    { kind: 'write', path: 'fake/objects/x', contents: '' },
    { kind: 'write', path: 'fake/refs/heads/main', contents: '0000\n' },
  ]);
  assertRefused(made, 'git-dir', /git directory/);
  assert.equal(fs.existsSync(path.join(ws, 'fake')), false);
  assert.deepEqual(listing(path.join(ws, '.git')), before);
  assert.equal(fs.readFileSync(path.join(ws, '.git', 'config'), 'utf8'), '[core]\n');
});

test('paths that leave the workspace or name something else are refused, each with its reason', { skip }, async () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a\\..\\..\\outside\\x.txt', 'bad-path', /'\.\.' is not allowed/],
    ['../outside/x.txt', 'bad-path', /'\.\.' is not allowed/],
    ['C:foo.txt', 'bad-path', /drive letters are not allowed/],
    [`${winPath(work)}\\outside\\x.txt`, 'bad-path', /drive letters are not allowed/],
    ['\\\\?\\C:\\x.txt', 'bad-path', /UNC and .* device paths are not allowed/],
    ['\\\\server\\share\\x.txt', 'bad-path', /UNC/],
    ['\\outside\\x.txt', 'bad-path', /absolute/],
    ['src/file.txt:hidden', 'bad-path', /alternate data stream/],
    ['src/file.txt::$DATA', 'bad-path', /alternate data stream/],
    ['src/CON', 'bad-path', /device name/],
    ['nul.txt', 'bad-path', /device name/],
    ['src\\COM1.log', 'bad-path', /device name/],
    ['src/trailing.', 'bad-path', /ends with a dot or a space/],
    ['src/trailing ', 'bad-path', /ends with a dot or a space/],
    ['src/PROGRA~1.TXT', 'bad-path', /8\.3 short name/],
    ['src/a?b', 'bad-path', /does not allow/],
    ['src//x', 'bad-path', /not normalised/],
    ['src', 'directory', /it is a directory/],
  ];
  for (const [p, reason, pattern] of cases) {
    const r = await apply([{ kind: 'write', path: p, contents: 'x' }]);
    assertRefused(r, reason, pattern);
  }
  assert.deepEqual(listing(path.join(work, 'outside')), ['target.txt']);
});

test('outside the writable roots, and a read-only policy, are refused', { skip }, async () => {
  const narrow = { mode: 'workspace-write', writableRoots: [winPath(path.join(ws, 'src'))] };
  assertRefused(await apply([{ kind: 'write', path: 'top.txt', contents: 'x' }], narrow), 'outside-roots', /outside the writable roots/);
  const inSrc = await apply([{ kind: 'write', path: 'src/ok.txt', contents: 'ok' }], narrow);
  assert.equal(inSrc.error, undefined, JSON.stringify(inSrc));
  assertRefused(await apply([{ kind: 'write', path: 'src/ro.txt', contents: 'x' }], { mode: 'read-only', writableRoots: [] }), 'read-only', /read-only/);
  assert.equal(fs.existsSync(path.join(ws, 'top.txt')), false);
  assert.equal(fs.existsSync(path.join(ws, 'src', 'ro.txt')), false);
});

test('a symbolic link to a file is never written through', { skip }, async () => {
  // Windows sees the reparse point; Wine 8.0 opens the target whatever the flags, and the handle's
  // own path (not the one walked) gives it away.
  const w = await apply([{ kind: 'write', path: 'link.txt', contents: 'x' }]);
  assertRefused(w, 'symlink', /symbolic link/);
  assert.equal(fs.readFileSync(path.join(work, 'outside', 'target.txt'), 'utf8'), 'outside\n');
  // Deleting a link removes the link itself (Windows) or is refused (Wine, which cannot open the link
  // itself); what it points to stays.
  fs.rmSync(path.join(ws, 'link.txt'), { force: true });
  fs.symlinkSync(path.join(work, 'outside', 'target.txt'), path.join(ws, 'link.txt'));
  const del = await apply([{ kind: 'delete', path: 'link.txt' }]);
  if (del.error) assertRefused(del, 'symlink', /symbolic link/);
  else assert.equal(fs.existsSync(path.join(ws, 'link.txt')), false);
  assert.equal(fs.readFileSync(path.join(work, 'outside', 'target.txt'), 'utf8'), 'outside\n');
});

test('a directory link on the path is refused, and nothing lands where it leads', { skip }, async () => {
  // Wine 8.0 cannot create a Windows symbolic link or junction (`mklink /D` does nothing, `mklink /J`
  // fails) and shows a Unix symbolic link as a plain directory; the writer still notices that the
  // directory it opened is not where it walked.
  for (const p of ['escape\\planted.txt', 'escape/new/deeper.txt']) {
    const r = await apply([{ kind: 'write', path: p, contents: 'x' }]);
    assertRefused(r, 'symlink', /symbolic link, junction or mount point/);
  }
  assert.deepEqual(listing(path.join(work, 'outside')), ['target.txt']);
});

test('all or nothing: a refused change leaves the earlier ones unwritten', { skip }, async () => {
  const r = await apply([
    { kind: 'write', path: 'src/first.txt', contents: 'x' },
    { kind: 'write', path: 'src/made/also.txt', contents: 'y' },
    { kind: 'write', path: '.git/hooks/pre-commit', contents: 'z' },
  ]);
  assertRefused(r, 'git-dir', /git directory/);
  assert.equal(fs.existsSync(path.join(ws, 'src', 'first.txt')), false);
  assert.equal(fs.existsSync(path.join(ws, 'src', 'made')), false);
});

test('fs/checkWrite answers without writing', { skip }, async () => {
  const ok = await sidecar.request('fs/checkWrite', { cwd: winPath(ws), policy: policy(), writes: ['src/would.txt'], deletes: ['src/gone.txt'] });
  assert.equal(ok.error, undefined, JSON.stringify(ok));
  assert.equal(fs.existsSync(path.join(ws, 'src', 'would.txt')), false);
  const no = await sidecar.request('fs/checkWrite', { cwd: winPath(ws), policy: policy(), writes: ['.GIT\\hooks\\x'] });
  assertRefused(no, 'git-dir', /git directory/);
});

test("Tack's own directory inside the workspace is never written, whether or not it exists yet", { skip }, async () => {
  const home = path.join(ws, 'dot-tack');
  const refusedAll = async () => {
    for (const p of ['dot-tack\\mcp.json', 'dot-tack/cache/v8/x', 'DOT-TACK\\sessions\\s.jsonl']) {
      const r = await apply([{ kind: 'write', path: p, contents: '{"mcpServers":{}}' }]);
      assertRefused(r, 'tack-home', /Tack's own directory/);
    }
    // A move into it, all or nothing: the change before it is not written either.
    fs.writeFileSync(path.join(ws, 'keep.txt'), 'keep\n');
    const move = await apply([
      { kind: 'write', path: 'first.txt', contents: 'x' },
      { kind: 'move', from: 'keep.txt', to: 'dot-tack/mcp.json', contents: 'planted' },
    ]);
    assertRefused(move, 'tack-home', /Tack's own directory/);
    assert.equal(fs.existsSync(path.join(ws, 'first.txt')), false);
    assert.equal(fs.readFileSync(path.join(ws, 'keep.txt'), 'utf8'), 'keep\n');
    const check = await sidecar.request('fs/checkWrite', { cwd: winPath(ws), policy: policy(), writes: ['dot-tack\\mcp.json'] });
    assertRefused(check, 'tack-home', /Tack's own directory/);
  };
  await refusedAll();
  assert.deepEqual(listing(home), ['cache']);
  // Not there yet (a fresh machine): still refused, and nothing creates it.
  fs.rmSync(home, { recursive: true });
  await refusedAll();
  assert.equal(fs.existsSync(home), false);
  // Beside it, writes land as ever.
  const fine = await apply([{ kind: 'write', path: 'dot-tacky.txt', contents: 'fine' }]);
  assert.equal(fine.error, undefined, JSON.stringify(fine));
  fs.rmSync(path.join(ws, 'dot-tacky.txt'));
  fs.rmSync(path.join(ws, 'keep.txt'));
});
