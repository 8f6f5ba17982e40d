// Status colours against the side bar in VS Code's default light and dark themes (Light Modern and
// Dark Modern): text must reach WCAG AA, 4.5:1. The CSS names theme variables; this resolves them with
// the themes' values (the theme files' own colours, else VS Code's colour-registry defaults) and
// computes the ratio. When a code-server install is at hand (.e2e; `npm test` installs it and requires
// it), its theme files are checked too.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const css = fs.readFileSync(path.join(__dirname, '..', 'main.css'), 'utf8');

/** Default theme values (Light Modern / Dark Modern files, then VS Code's registry defaults). */
const THEMES: Record<'light' | 'dark', Record<string, string>> = {
  light: {
    'sideBar.background': '#F8F8F8',
    'errorForeground': '#F85149',
    'gitDecoration.addedResourceForeground': '#587c0c',
    'gitDecoration.deletedResourceForeground': '#ad0707',
    'testing.iconPassed': '#73c991',
  },
  dark: {
    'sideBar.background': '#181818',
    'errorForeground': '#F85149',
    'gitDecoration.addedResourceForeground': '#81b88b',
    'gitDecoration.deletedResourceForeground': '#c74e39',
    'testing.iconPassed': '#73c991',
  },
};

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** The value of custom property `name` in theme `kind`: `body.vscode-<kind>` overrides `body`. */
function tackVar(name: string, kind: 'light' | 'dark'): string {
  const find = (selector: string) => new RegExp(`(?:^|\\n)${selector.replace('.', '\\.')}\\s*\\{[^}]*${name}:\\s*var\\(--vscode-([\\w-]+)\\)`).exec(css)?.[1];
  const vscodeVar = find(`body.vscode-${kind}`) ?? find('body');
  assert.ok(vscodeVar, `${name} is not defined from a theme variable`);
  // --vscode-gitDecoration-addedResourceForeground -> gitDecoration.addedResourceForeground
  const themeKey = vscodeVar.replace('-', '.');
  const value = THEMES[kind][themeKey];
  assert.ok(value, `no ${kind} value for ${themeKey}`);
  return value;
}

test('the text that says a command passed or failed reaches 4.5:1 in the default light and dark themes', () => {
  // The rules for status text use the checked variables.
  assert.match(css, /\.command\.status-ok \.command-status \{ color: var\(--tack-ok\); \}/);
  assert.match(css, /\.command\.status-failed \.command-status \{ color: var\(--tack-fail\); \}/);
  assert.match(css, /\.item-error \{ color: var\(--tack-fail\); \}/);
  for (const kind of ['light', 'dark'] as const) {
    const bg = THEMES[kind]['sideBar.background'];
    for (const name of ['--tack-ok', '--tack-fail']) {
      const ratio = contrast(tackVar(name, kind), bg);
      assert.ok(ratio >= 4.5, `${name} in ${kind}: ${ratio.toFixed(2)}:1`);
    }
  }
  // The colours they replace would not: the 2.0:1 green, Light Modern's error red.
  assert.ok(contrast(THEMES.light['testing.iconPassed'], THEMES.light['sideBar.background']) < 2.1);
  assert.ok(contrast(THEMES.light.errorForeground, THEMES.light['sideBar.background']) < 4.5);
});

test('the theme values above are the installed themes\' own, when code-server is at hand', { skip: !fs.existsSync(themesDir()) && process.env.TACK_REQUIRE_BROWSER !== '1' && 'no code-server install (.e2e)' }, () => {
  for (const [kind, file] of [['light', 'light_modern.json'], ['dark', 'dark_modern.json']] as const) {
    const colors = (JSON.parse(fs.readFileSync(path.join(themesDir(), file), 'utf8')) as { colors: Record<string, string> }).colors;
    for (const key of ['sideBar.background', 'errorForeground']) {
      if (colors[key]) assert.equal(colors[key].toLowerCase(), THEMES[kind][key].toLowerCase(), `${file} ${key}`);
    }
  }
});

function themesDir(): string {
  return path.join(__dirname, '..', '..', '..', '..', '.e2e', 'cs', 'node_modules', 'code-server', 'lib', 'vscode', 'extensions', 'theme-defaults', 'themes');
}
