// The chat's backend before the controller exists. The controller lives in the chunk activation does
// not load (src/vscode/extension.ts); until it has loaded, each call the view makes loads it and then
// goes to it, in the order the calls came. Once loaded, calls go straight through, so a throw reaches
// the bridge (chat/bridge.ts), which shows it; a failed load or call on the way is handed to `onError`
// (the bridge would have shown it). Free of `vscode`.
import type { ChatBackend } from './bridge';

/** The ChatBackend methods whose callers (chat/bridge.ts) handle a rejected promise themselves. */
const ASYNC_METHODS: ReadonlySet<string> = new Set<keyof ChatBackend>(['listSessions', 'deleteSession', 'listModels']);

export function lazyBackend(
  /** The backend if it has loaded. */
  loaded: () => ChatBackend | undefined,
  /** Loads it (a call while loading gets the same promise). */
  load: () => Promise<ChatBackend>,
  onError: (e: unknown) => void,
): ChatBackend {
  return new Proxy({} as ChatBackend, {
    get: (_target, method) => (...args: unknown[]) => {
      const call = (b: ChatBackend): unknown => (b[method as keyof ChatBackend] as (...a: unknown[]) => unknown).apply(b, args);
      const ready = loaded();
      if (ready) return call(ready);
      const result = load().then(call);
      if (typeof method === 'string' && ASYNC_METHODS.has(method)) return result;
      result.catch(onError);
      return undefined;
    },
  });
}
