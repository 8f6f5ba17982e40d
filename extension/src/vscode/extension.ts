// VS Code entry point (dist/extension.js). Activation only registers Tack's contributions: the
// commands (command-ids.ts), the chat view and the output channel. Everything else — the controller,
// the model and sidecar clients, inline review, the Changes view, MCP, checkpoints, the wasm core — is
// services.ts, bundled on its own as dist/chunks/extension-main.js (scripts/build.mjs, LAZY_CHUNKS)
// and loaded on the first command, or right after the chat view is shown (the page loads in its own
// process meanwhile). This file imports nothing of that graph at run time: the chunk gets the objects
// made here (context, log, chat) passed in, so no module with state or classes used by `instanceof`
// exists twice. What both bundles hold (the chat's page and message relay, command-ids.ts,
// shared/display.ts) is stateless. Only extension/src/vscode imports `vscode`.
import * as vscode from 'vscode';
import { reveal } from '../shared/display';
import { ChatViewProvider } from './chat/chat-view-provider';
import { lazyBackend } from './chat/lazy-backend';
import { COMMAND_IDS } from './command-ids';
import type { TackServices } from './services';

interface Activation {
  readonly context: vscode.ExtensionContext;
  readonly log: vscode.LogOutputChannel;
  chat: ChatViewProvider;
  services?: TackServices;
  loading?: Promise<TackServices>;
  deactivated?: boolean;
}

let active: Activation | undefined;

const describe = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The heavy chunk's services, loaded and built on the first call. A failed load is tried again next time. */
function services(a: Activation): Promise<TackServices> {
  a.loading ??= import('./services')
    .then(({ TackServices }) => {
      const s = new TackServices(a.context, a.log, a.chat);
      if (a.deactivated) {
        void s.shutdown();
        throw new Error('Tack was deactivated');
      }
      a.services = s;
      a.context.subscriptions.push(s);
      return s;
    })
    .catch((e: unknown) => {
      a.loading = undefined;
      throw e;
    });
  return a.loading;
}

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Tack', { log: true });
  // The backend and services() read `a.chat` and `chat` only when called, after they are set below.
  const a = { context, log } as Activation;
  const backend = lazyBackend(
    () => a.services?.controller,
    () => services(a).then((s) => s.controller),
    (e) => {
      log.error(`chat: ${describe(e)}`);
      chat.showError(describe(e));
    },
  );
  const chat = (a.chat = new ChatViewProvider(context.extensionUri, backend));
  active = a;
  context.subscriptions.push(
    log,
    chat,
    chat.onBadMessage((m) => log.warn(m)),
    vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, {
      resolveWebviewView: (view) => {
        chat.resolveWebviewView(view);
        // The page loads in the webview's own process; the chunk loads meanwhile, on the next turn of
        // the event loop, rather than when the page first asks for something.
        setTimeout(() => {
          if (a.deactivated) return;
          services(a).catch((e: unknown) => {
            log.error(`loading Tack: ${describe(e)}`);
            chat.showError(`Tack could not start: ${describe(e)}`);
          });
        }, 0);
      },
    }),
  );
  for (const id of COMMAND_IDS) {
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          // The log is activation's own: showing it loads nothing.
          if (id === 'tack.showLog') return log.show(true);
          const s = a.services ?? (await services(a));
          return await s.commands[id](...args);
        } catch (e) {
          const msg = describe(e);
          log.error(`${id}: ${msg}`);
          void vscode.window.showErrorMessage(`Tack: ${reveal(msg, { singleLine: true })}`);
        }
      }),
    );
  }
  log.info(`Tack ${context.extension.packageJSON.version} activated`);
}

export function deactivate(): Promise<void> | undefined {
  const a = active;
  active = undefined;
  if (!a) return undefined;
  a.deactivated = true;
  return a.services?.shutdown();
}
