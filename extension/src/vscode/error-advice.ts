// A failed turn in plain words, with the fix the error banner offers. Pure: it reads the kind of the
// model error (host/model/errors.ts), never the message's wording.
import type { ModelErrorKind } from '../host/model/errors';
import type { ErrorAction } from '../shared/chat-protocol';

export interface ErrorAdvice {
  message: string;
  actions: ErrorAction[];
  retry: boolean;
}

export interface ErrorContext {
  /** The configured model server. */
  baseUrl: string;
  /** Its provider's name, e.g. "OpenAI", "Ollama". */
  provider: string;
  /** The server runs on this machine (a local provider or a loopback address). */
  local: boolean;
}

/**
 * What the chat says about a turn that failed on the model request (`kind` undefined: any other
 * failure, shown as it is). The original message follows as the details.
 */
export function adviseModelError(kind: ModelErrorKind | undefined, detail: string, ctx: ErrorContext): ErrorAdvice {
  const details = detail ? ` (${detail})` : '';
  switch (kind) {
    case 'auth':
      return { message: `${ctx.provider} did not accept the API key. Set a valid key, or use a local server.${details}`, actions: ['setKey', 'useLocalServer'], retry: false };
    case 'forbidden':
      return { message: `${ctx.provider} refused access with this API key to this model or address.${details}`, actions: ['setKey', 'openSettings'], retry: false };
    case 'notFound':
      return { message: `The model server at ${ctx.baseUrl} does not know this model or address. Check the model and base URL in Tack's settings.${details}`, actions: ['openSettings'], retry: false };
    case 'network':
      return ctx.local
        ? { message: `Tack could not reach the local model server at ${ctx.baseUrl}. Start it (for example \`ollama serve\`), or pick another server.${details}`, actions: ['useLocalServer', 'openSettings'], retry: true }
        : { message: `Tack could not reach ${ctx.provider} at ${ctx.baseUrl}. Check the network and the base URL.${details}`, actions: ['openSettings'], retry: true };
    case 'rateLimited':
      return { message: `${ctx.provider} is limiting requests or the account is out of quota. Wait a moment and retry, or use another model.${details}`, actions: ['openSettings'], retry: true };
    case 'badRequest':
      return { message: `The model server rejected the request. Check the model and its settings.${details}`, actions: ['openSettings'], retry: true };
    case 'server':
      return { message: `The model server failed. Retry in a moment.${details}`, actions: [], retry: true };
    default:
      return { message: detail || 'The turn failed.', actions: [], retry: true };
  }
}

/** Whether `baseUrl` is on this machine. */
export function isLoopback(baseUrl: string): boolean {
  try {
    const host = new URL(baseUrl).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}
