// Tack's settings (`tack.*`), read fresh at each use so a change applies to the next turn.
import * as vscode from 'vscode';

export type WireApi = 'responses' | 'chat';
export type ApprovalPolicy = 'untrusted' | 'on-request' | 'on-failure' | 'never';
export type SandboxMode = 'read-only' | 'workspace-write' | 'danger-full-access';
export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';

export interface TackSettings {
  model: string;
  baseUrl: string;
  wireApi: WireApi;
  reasoningEffort: ReasoningEffort;
  approvalPolicy: ApprovalPolicy;
  sandboxMode: SandboxMode;
  contextWindow: number | null;
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export function readSettings(): TackSettings {
  const c = vscode.workspace.getConfiguration('tack');
  return {
    model: c.get<string>('model') || 'gpt-5.1-codex',
    baseUrl: (c.get<string>('baseUrl') || OPENAI_BASE_URL).replace(/\/+$/, ''),
    wireApi: c.get<WireApi>('wireApi') === 'chat' ? 'chat' : 'responses',
    reasoningEffort: c.get<ReasoningEffort>('reasoningEffort') ?? 'medium',
    approvalPolicy: c.get<ApprovalPolicy>('approvalPolicy') ?? 'on-request',
    sandboxMode: c.get<SandboxMode>('sandboxMode') ?? 'workspace-write',
    contextWindow: c.get<number | null>('contextWindow') ?? null,
  };
}

/** True when the base URL is OpenAI's own API, which cannot work without a key. */
export function isHostedOpenAi(baseUrl: string): boolean {
  return /^https:\/\/api\.openai\.com(\/|$)/.test(baseUrl);
}
