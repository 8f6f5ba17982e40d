// The webview's HTML page, as a pure function (no `vscode` import) so its CSP can be tested under node.

export interface WebviewPageOptions {
  /** `webview.cspSource`: the origin VS Code serves local resources from. */
  cspSource: string;
  /** A fresh random value per page load. */
  nonce: string;
  scriptUri: string;
  /** Stylesheets to link (the bundle's main.css and codicon.css). */
  styleUris: string[];
}

/**
 * A strict Content-Security-Policy: nothing loads unless listed; scripts only with the nonce; styles,
 * fonts and images only from the extension's own webview folder (plus data: images); no network.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    "connect-src 'none'",
    "frame-src 'none'",
    "form-action 'none'",
    "base-uri 'none'",
  ].join('; ');
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function webviewPage(o: WebviewPageOptions): string {
  if (!/^[A-Za-z0-9+/=]{16,}$/.test(o.nonce)) throw new Error('webviewPage: the nonce must be 16+ base64 characters');
  const styles = o.styleUris.map((u) => `<link rel="stylesheet" href="${escapeAttr(u)}" nonce="${o.nonce}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${escapeAttr(contentSecurityPolicy(o.cspSource, o.nonce))}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>Tack</title>
  </head>
  <body>
    <script nonce="${o.nonce}" src="${escapeAttr(o.scriptUri)}"></script>
  </body>
</html>`;
}
