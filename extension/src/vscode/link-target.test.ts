// Links in the chat open only files inside the workspace folders (real directories and symlinks).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { resolveLinkTarget } from './link-target';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tack-links-')));
after(() => fs.rmSync(base, { recursive: true, force: true }));
const ws = path.join(base, 'ws');
const other = path.join(base, 'other');
fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
fs.mkdirSync(other);
fs.writeFileSync(path.join(ws, 'src', 'a.ts'), 'a');
fs.writeFileSync(path.join(other, 'secret.txt'), 's');
fs.symlinkSync(other, path.join(ws, 'escape'));
fs.symlinkSync(path.join(other, 'secret.txt'), path.join(ws, 'secret-link.txt'));
fs.symlinkSync(path.join(ws, 'src', 'a.ts'), path.join(ws, 'inner-link.ts'));
fs.symlinkSync(ws, path.join(base, 'ws-link'));

const ok = (p: string, roots = [ws]) => {
  const r = resolveLinkTarget(p, roots, 'linux');
  assert.ok(r.ok, `${p} should open: ${r.ok ? '' : r.reason}`);
  return r.path;
};
const refused = (p: string, why: RegExp, roots = [ws], platform: NodeJS.Platform = 'linux') => {
  const r = resolveLinkTarget(p, roots, platform);
  assert.ok(!r.ok, `${p} should be refused`);
  assert.match(r.reason, why);
};

test('paths inside the workspace open, relative or absolute, existing or not yet', () => {
  assert.equal(ok('src/a.ts'), path.join(ws, 'src', 'a.ts'));
  assert.equal(ok('./src/../src/a.ts'), path.join(ws, 'src', 'a.ts'));
  assert.equal(ok(path.join(ws, 'src', 'a.ts')), path.join(ws, 'src', 'a.ts'));
  assert.equal(ok('src/new/file.ts'), path.join(ws, 'src', 'new', 'file.ts'), 'a file the edit will add');
  assert.equal(ok('inner-link.ts'), path.join(ws, 'src', 'a.ts'), 'a symlink that stays inside');
  assert.equal(ok('src/a.ts', [path.join(base, 'ws-link')]), path.join(ws, 'src', 'a.ts'), 'the folder itself opened through a symlink');
  assert.equal(ok(path.join(other, 'secret.txt'), [ws, other]), path.join(other, 'secret.txt'), 'a second workspace folder');
});

test('escapes are refused: .., absolute paths elsewhere, symlinks out, UNC, URIs', () => {
  refused('../other/secret.txt', /outside the workspace/);
  refused('src/../../other/secret.txt', /outside the workspace/);
  refused('/etc/passwd', /outside the workspace/);
  refused(path.join(other, 'secret.txt'), /outside the workspace/);
  refused('escape/secret.txt', /symbolic link/);
  refused('secret-link.txt', /symbolic link/);
  refused('\\\\attacker.example\\share\\x.txt', /UNC/);
  refused('//attacker.example/share/x.txt', /UNC/);
  refused('\\\\attacker.example\\share\\x.txt', /UNC/, ['C:\\ws'], 'win32');
  refused('\\\\?\\C:\\Windows\\win.ini', /UNC/, ['C:\\ws'], 'win32');
  refused('C:\\Windows\\win.ini', /outside the workspace/, ['C:\\ws'], 'win32');
  refused('..\\..\\Windows\\win.ini', /outside the workspace/, ['C:\\ws'], 'win32');
  refused('\\Windows\\win.ini', /ambiguous/, ['C:\\ws'], 'win32');
  refused('file:///etc/passwd', /URI/);
  refused('vscode://x', /URI/);
  refused('', /no file/);
  refused('a\0b', /NUL/);
  refused('src/a.ts', /no folder/, []);
});
