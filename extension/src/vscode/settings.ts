// Tack's settings (`tack.*`), read fresh at each use so a change applies to the next turn.
import * as vscode from 'vscode';
import { storeCapBytes } from '../host/agent/checkpoints';
import { resolveProvider, type ProviderPreset } from '../host/model';
import { userOnlyKeysIn, userValue, type UserOnlySetting } from './settings-scope';

import type { ApprovalPolicy } from '../generated/types/ApprovalPolicy';
import type { ReasoningEffort } from '../generated/types/ReasoningEffort';
import type { SandboxMode } from '../generated/types/SandboxMode';
import type { Wire } from '../generated/types/Wire';

export interface TackSettings {
  model: string;
  /** The provider preset (`tack.provider`), which filled what the person did not set. */
  provider: ProviderPreset;
  baseUrl: string;
  wireApi: Wire;
  /** Why this provider cannot be used as configured (e.g. Azure without a base URL). */
  providerProblem?: string;
  reasoningEffort: ReasoningEffort;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  contextWindow: number | null;
  /** null: per model, or what a local server says; 0: no cap. */
  maxOutputTokens: number | null;
  /** `tack.checkpoints.*`: record a checkpoint before each turn's first change, in a store capped at this (bytes). */
  checkpoints: { enabled: boolean; maxStoreBytes?: number };
  /** Whether the model takes images: undefined for "auto" (the server, else the name, else yes). */
  modelVision?: boolean;
  /** Offer the provider's hosted web search (Responses only). */
  webSearch: boolean;
  /** How large images are sent: "high" (2048 px) or "low" (768 px). */
  imageDetail: 'high' | 'low';
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

let warn: (message: string) => void = () => {};
const warned = new Set<string>();

/** Where notes about ignored workspace settings go (the Output channel); each is logged once. */
export function setSettingsLog(log: (message: string) => void): void {
  warn = log;
}

function logOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  warn(message);
}

export function readSettings(): TackSettings {
  const c = vscode.workspace.getConfiguration('tack');
  // Where the key goes and how much is allowed: user settings only (see settings-scope.ts).
  const user = <T>(key: UserOnlySetting): T | undefined => userValue<T>(key, c.inspect<T>(key), logOnce);
  const policy = user<string>('approvalPolicy');
  const sandbox = user<string>('sandboxMode');
  // The provider fills the base URL and the wire the person did not set in their user settings.
  user<string>('baseUrl');
  user<string>('wireApi');
  const resolved = resolveProvider({
    provider: user<string>('provider'),
    baseUrl: stringOrUndefined(c.inspect<unknown>('baseUrl')?.globalValue),
    wire: stringOrUndefined(c.inspect<unknown>('wireApi')?.globalValue),
  });
  const maxOut = c.get<number | null>('maxOutputTokens');
  // Turning checkpoints off loses the undo, and the cap decides what is kept: user settings only.
  const checkpointsEnabled = user<boolean>('checkpoints.enabled') !== false;
  const maxStoreBytes = storeCapBytes(user<number>('checkpoints.maxStoreMB'));
  const vision = c.get<string>('modelVision');
  return {
    model: c.get<string>('model') || 'gpt-5.1-codex',
    provider: resolved.provider,
    baseUrl: resolved.baseUrl || OPENAI_BASE_URL,
    wireApi: resolved.wire,
    ...(resolved.problem ? { providerProblem: resolved.problem } : {}),
    reasoningEffort: c.get<ReasoningEffort>('reasoningEffort') ?? 'medium',
    approvalPolicy: (['untrusted', 'on-request', 'on-failure', 'never'] as const).find((p) => p === policy) ?? 'on-request',
    sandboxMode: (['read-only', 'workspace-write', 'danger-full-access'] as const).find((m) => m === sandbox) ?? 'workspace-write',
    contextWindow: c.get<number | null>('contextWindow') ?? null,
    maxOutputTokens: typeof maxOut === 'number' && Number.isInteger(maxOut) && maxOut >= 0 ? maxOut : null,
    checkpoints: { enabled: checkpointsEnabled, ...(maxStoreBytes ? { maxStoreBytes } : {}) },
    ...(vision === 'yes' || vision === 'no' ? { modelVision: vision === 'yes' } : {}),
    webSearch: user<boolean>('webSearch') === true,
    imageDetail: c.get<string>('imageDetail') === 'low' ? 'low' : 'high',
  };
}

/** True when the base URL is OpenAI's own API, which cannot work without a key. */
export function isHostedOpenAi(baseUrl: string): boolean {
  return /^https:\/\/api\.openai\.com(\/|$)/.test(baseUrl);
}

/**
 * Logs each user-only setting the workspace's settings files try to set (VS Code drops those values
 * before `inspect()` would show them; the files' text still names them).
 */
export async function noteIgnoredWorkspaceSettings(): Promise<void> {
  const files = (vscode.workspace.workspaceFolders ?? []).map((f) => vscode.Uri.joinPath(f.uri, '.vscode', 'settings.json'));
  if (vscode.workspace.workspaceFile?.scheme === 'file') files.push(vscode.workspace.workspaceFile);
  for (const file of files) {
    let text: string;
    try {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(file));
    } catch {
      continue; // no such file
    }
    for (const key of userOnlyKeysIn(text)) {
      logOnce(
        `ignored tack.${key} in ${file.fsPath}: a repository cannot change where your API key goes or what Tack may do; ` +
          `Tack reads tack.${key} from your user settings only`,
      );
    }
  }
}

/** A settings value typed by hand in settings.json may be anything; only a string counts. */
function stringOrUndefined(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}
