// The chat webview's frame time while command output streams, with a long session's transcript
// already on screen. The real bundle (extension/dist/webview/main.js and main.css) runs in headless
// Chromium (the one the VS Code suite uses) at a sidebar's size, behind a stand-in for VS Code's
// webview API; host messages arrive through window.postMessage, one task each, as VS Code delivers
// them. The page measures each animation frame's interval and the webview's own main-thread work in
// it: every `message` handler and every requestAnimationFrame callback, the latter followed by a
// forced layout so that style and layout of the frame are counted too (paint and compositing, on
// other threads, are not).
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { webviewPage } from '../../extension/src/vscode/chat/html';
import { distDir } from './context';

export const chromiumPath = '/usr/bin/chromium';

export interface StreamCase {
  name: string;
  /** Every `everyMs`, one item.delta of this text. */
  chunk: string;
  everyMs: number;
}

export interface FrameStats {
  name: string;
  frames: number;
  /** Animation-frame intervals (ms). */
  intervals: number[];
  /** The webview's main-thread work per frame (ms). */
  work: number[];
  /** Output characters delivered during the window. */
  chars: number;
}

/** What the page runs before the bundle: the VS Code API stand-in and the timing wrappers. */
const PRELUDE = `
(() => {
  const work = [];
  window.__tackBench = { work, ticks: [], recording: false, saved: 0 };
  window.acquireVsCodeApi = () => ({
    postMessage() {},
    getState() { return undefined; },
    // VS Code copies the state across to the host: the same serialisation cost.
    setState(s) { window.__tackBench.saved += JSON.stringify(s).length; },
  });
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) => raf((t) => {
    const s = performance.now();
    cb(t);
    void document.body.offsetHeight;
    work.push(s, performance.now());
  });
  const add = window.addEventListener.bind(window);
  window.addEventListener = (type, fn, opts) => {
    if (type !== 'message' || typeof fn !== 'function') return add(type, fn, opts);
    return add(type, (e) => { const s = performance.now(); fn(e); work.push(s, performance.now()); }, opts);
  };
  window.__tackBench.raf = raf;
})();
`;

/**
 * Runs in the page (as text: the bundler's helpers do not exist there): starts a command and
 * streams `chunk` into it every `everyMs`; after 300 ms of warm-up, records `windowMs` of frames.
 */
const STREAM = `({ chunk, everyMs, windowMs }) => new Promise((resolve) => {
  const b = window.__tackBench;
  const ev = (event) => ({ type: 'event', event });
  window.postMessage(ev({ type: 'item.started', item: { id: 'stream', type: 'command_execution', command: 'npm run build', aggregated_output: '', status: 'in_progress' } }), '*');
  const ticks = [];
  let chars = 0;
  const start = performance.now() + 300;
  const timer = setInterval(() => {
    window.postMessage(ev({ type: 'item.delta', item_id: 'stream', delta: chunk }), '*');
    if (performance.now() >= start) chars += chunk.length;
  }, everyMs);
  const tick = (t) => {
    if (t >= start) ticks.push(t);
    if (t < start + windowMs) { b.raf(tick); return; }
    clearInterval(timer);
    // Work per frame: every handler or frame callback that began in [tick i, tick i+1).
    const w = b.work;
    const work = [];
    const intervals = [];
    let k = 0;
    for (let i = 0; i + 1 < ticks.length; i++) {
      intervals.push(ticks[i + 1] - ticks[i]);
      while (k < w.length && w[k] < ticks[i]) k += 2;
      let sum = 0;
      for (let j = k; j < w.length && w[j] < ticks[i + 1]; j += 2) sum += w[j + 1] - w[j];
      work.push(sum);
    }
    resolve({ intervals, work, chars });
  };
  b.raf(tick);
})`;

const ORIGIN = 'http://tack-webview.bench';
const NONCE = 'VGFja0JlbmNoTm9uY2UxMjM0';

/** The page as the extension serves it (its CSP included), with the prelude under the same nonce. */
function page(): string {
  return webviewPage({
    cspSource: ORIGIN,
    nonce: NONCE,
    scriptUri: `${ORIGIN}/main.js`,
    styleUris: [`${ORIGIN}/codicon.css`, `${ORIGIN}/main.css`],
  }).replace('<body>', `<body>\n<script nonce="${NONCE}">${PRELUDE}</script>`);
}

/** The host messages of a finished `steps`-step session (a user message, then echo commands). */
export function sessionMessages(steps: number): unknown[] {
  const ev = (event: unknown) => ({ type: 'event', event });
  const out: unknown[] = [{ type: 'userMessage', text: 'Run the command the script asks for.', index: 0 }, ev({ type: 'turn.started' })];
  for (let i = 0; i < steps; i++) {
    const base = { id: `c${i}`, type: 'command_execution', command: 'echo step' };
    out.push(ev({ type: 'item.started', item: { ...base, aggregated_output: '', status: 'in_progress' } }));
    out.push(ev({ type: 'item.delta', item_id: `c${i}`, delta: 'step\n' }));
    out.push(ev({ type: 'item.completed', item: { ...base, aggregated_output: 'step\n', exit_code: 0, status: 'completed', duration_ms: 4 } }));
    if (i % 50 === 49) out.push(ev({ type: 'item.completed', item: { id: `m${i}`, type: 'agent_message', text: `Step ${i + 1} done; **continuing** with the next \`echo\`.` } }));
  }
  return out;
}

export interface FrameOptions {
  /** The webview bundle's directory (default extension/dist/webview). */
  dir?: string;
  /** Write a V8 CPU profile of each case's streaming window here (`<dir>/<case>.cpuprofile`). */
  profileDir?: string;
  /** Write a Chromium trace of each case's streaming window here (`<dir>/<case>.trace.json`). */
  traceDir?: string;
}

/** Runs each case in a fresh page holding a `steps`-step transcript; `windowMs` of streaming each. */
export async function measureFrames(steps: number, cases: StreamCase[], windowMs: number, opts: FrameOptions = {}): Promise<FrameStats[]> {
  const dir = opts.dir ?? path.join(distDir, 'webview');
  const html = page();
  const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox'] });
  const results: FrameStats[] = [];
  try {
    for (const c of cases) {
      const ctx = await browser.newContext({ viewport: { width: 420, height: 900 } });
      const p = await ctx.newPage();
      const errors: string[] = [];
      p.on('pageerror', (e) => errors.push(String(e)));
      await p.route(`${ORIGIN}/**`, async (route) => {
        const name = new URL(route.request().url()).pathname.slice(1);
        if (name === 'index.html') return route.fulfill({ status: 200, contentType: 'text/html', body: html });
        const file = path.join(name.startsWith('codicon') ? path.join(distDir, 'webview') : dir, name);
        if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: '' });
        const type = name.endsWith('.js') ? 'text/javascript' : name.endsWith('.css') ? 'text/css' : 'font/ttf';
        return route.fulfill({ status: 200, contentType: type, body: fs.readFileSync(file) });
      });
      p.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      await p.goto(`${ORIGIN}/index.html`);
      // The transcript, in batches (as a replayed session arrives), then two quiet seconds.
      const msgs = sessionMessages(steps);
      for (let i = 0; i < msgs.length; i += 200) {
        await p.evaluate(`for (const m of ${JSON.stringify(msgs.slice(i, i + 200))}) window.postMessage(m, '*')`);
      }
      await p.evaluate('new Promise((r) => setTimeout(r, 2000))');
      const shown = (await p.evaluate(`document.querySelectorAll('[data-testid="transcript"] > *').length`)) as number;
      if (shown < steps) throw new Error(`the webview shows ${shown} transcript entries, expected at least ${steps}: ${errors.join('; ')}`);
      if (opts.traceDir) await browser.startTracing(p, { categories: ['devtools.timeline', 'blink', 'disabled-by-default-devtools.timeline'] });
      const cdp = opts.profileDir ? await ctx.newCDPSession(p) : null;
      if (cdp) {
        await cdp.send('Profiler.enable');
        await cdp.send('Profiler.start');
      }
      const stats = (await p.evaluate(`(${STREAM})(${JSON.stringify({ chunk: c.chunk, everyMs: c.everyMs, windowMs })})`)) as {
        intervals: number[];
        work: number[];
        chars: number;
      };
      if (cdp && opts.profileDir) {
        const { profile } = await cdp.send('Profiler.stop');
        fs.writeFileSync(path.join(opts.profileDir, `${c.name}.cpuprofile`), JSON.stringify(profile));
      }
      if (opts.traceDir) fs.writeFileSync(path.join(opts.traceDir, `${c.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40)}.trace.json`), await browser.stopTracing());
      if (errors.length) throw new Error(`the webview threw: ${errors.join('; ')}`);
      results.push({ name: c.name, frames: stats.intervals.length, ...stats });
      await ctx.close();
    }
  } finally {
    await browser.close();
  }
  return results;
}
