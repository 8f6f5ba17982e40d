// The webview page: a strict CSP with a per-load nonce, and nothing but our own files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy, webviewPage } from './html';

const cspSource = 'https://file+.vscode-resource.vscode-cdn.net';
const nonce = 'q1w2e3r4t5y6u7i8o9p0AZ==';

test('the CSP denies everything by default and allows only nonce scripts and our own styles, fonts, images', () => {
  const csp = contentSecurityPolicy(cspSource, nonce);
  const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
  assert.equal(directives['default-src'], "'none'");
  assert.equal(directives['script-src'], `'nonce-${nonce}'`);
  assert.equal(directives['style-src'], `${cspSource} 'nonce-${nonce}'`);
  assert.equal(directives['font-src'], cspSource);
  assert.equal(directives['img-src'], `${cspSource} data:`);
  assert.equal(directives['connect-src'], "'none'");
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval') && !csp.includes('*'));
});

test('the page loads the bundle with the nonce and links only the given stylesheets', () => {
  const html = webviewPage({
    cspSource,
    nonce,
    scriptUri: `${cspSource}/ext/dist/webview/main.js`,
    styleUris: [`${cspSource}/ext/dist/webview/codicon.css`, `${cspSource}/ext/dist/webview/main.css`],
  });
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;|<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  assert.match(html, new RegExp(`<script nonce="${nonce.replace(/[+=]/g, '\\$&')}" src="${cspSource.replace(/[.+]/g, '\\$&')}/ext/dist/webview/main.js"></script>`));
  assert.equal(html.split('<script').length - 1, 1, 'exactly one script');
  assert.equal(html.split('<link rel="stylesheet"').length - 1, 2);
  assert.ok(!/<script>[^<]/.test(html), 'no inline script');
  const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  for (const u of urls) assert.ok(u.startsWith(cspSource), `only local resources: ${u}`);
});

test('bad input: a missing or weak nonce is refused', () => {
  for (const bad of ['', 'short', 'has spaces in it 123456', '"><script>']) {
    assert.throws(() => webviewPage({ cspSource, nonce: bad, scriptUri: 'x', styleUris: [] }), /nonce/);
  }
});

test('attribute values are escaped', () => {
  const html = webviewPage({ cspSource, nonce, scriptUri: 'a"><script>alert(1)</script>', styleUris: [] });
  assert.ok(!html.includes('"><script>alert'));
});
