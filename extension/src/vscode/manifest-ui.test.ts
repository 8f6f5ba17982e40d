// The chat's entry points in the manifest: Tack's editor context-menu entries sit under a "Tack"
// submenu (beside Copilot's "Explain" nobody can tell them apart otherwise), one New Task button (the
// chat's own), and a keybinding that focuses the chat.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

interface MenuEntry { command?: string; submenu?: string; when?: string }
const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { menus: Record<string, MenuEntry[]>; submenus: { id: string; label: string }[]; keybindings: { command: string; key: string }[] };
};
const { menus, submenus, keybindings } = manifest.contributes;

test('the editor context menu holds one "Tack" submenu with Tack\'s entries', () => {
  assert.deepEqual(menus['editor/context'].map((e) => e.submenu ?? e.command), ['tack.editorContext']);
  assert.equal(submenus.find((s) => s.id === 'tack.editorContext')?.label, 'Tack');
  const entries = menus['tack.editorContext'];
  const tasks = entries.filter((e) => !e.when?.includes('tack.editorHasChanges'));
  assert.deepEqual(tasks.map((e) => e.command), ['tack.askAboutSelection', 'tack.explainSelection', 'tack.writeTests', 'tack.fixProblems']);
  // The review's entries sit in the same submenu, shown only while the editor has proposed changes.
  const review = entries.filter((e) => e.when?.includes('tack.editorHasChanges')).map((e) => e.command);
  assert.ok(review.includes('tack.acceptLines') && review.includes('tack.rejectLines'), 'line decisions are in the menu');
  assert.equal(new Set(entries.map((e) => e.command)).size, entries.length, 'no entry twice');
});

test('one New Task button (in the chat), and a key that focuses the chat', () => {
  assert.equal((menus['view/title'] ?? []).filter((e) => e.command === 'tack.newTask').length, 0);
  const focus = keybindings.find((k) => k.command === 'tack.chat.focus');
  assert.ok(focus, 'a keybinding focuses the chat');
  assert.equal(keybindings.filter((k) => k.key === focus.key).length, 1, 'its key is Tack\'s only use of it');
});
