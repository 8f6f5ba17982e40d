// How an approval is put into words, the same in the chat card, the VS Code notification and the
// "Manage Session Approvals" list. Pure: imported by the webview bundle and the extension host alike
// (no `vscode`, no Node imports).

import type { ApprovalRequest } from '../generated/types/ApprovalRequest';
import type { ExecSandbox } from '../generated/types/ExecSandbox';
import type { RememberedApproval } from '../generated/types/RememberedApproval';
import type { RememberScope } from '../generated/types/RememberScope';

/** One argv word written as a shell would need it, so what is shown is exactly what runs. */
export function shellQuote(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The whole argv, quoted. */
export function argvText(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

const SANDBOX_LABEL: Record<string, string> = {
  'read-only': 'read-only sandbox',
  'workspace-write': 'workspace-write sandbox (writes only in the workspace)',
  'danger-full-access': 'none: full access to the machine',
};

export function sandboxText(sandbox: ExecSandbox): string {
  return SANDBOX_LABEL[sandbox.mode] ?? sandbox.mode;
}

export function networkText(sandbox: ExecSandbox): string {
  return sandbox.network ? 'allowed' : 'blocked';
}

/** What "Approve for this session" will allow later. Tolerates requests saved by older versions. */
export function rememberText(scope: RememberScope | undefined): string {
  switch (scope?.kind) {
    case 'prefix':
      return `allows commands starting with ${argvText(scope.prefix)}, in this directory, with this sandbox and network`;
    case 'exact':
      return 'allows exactly this command again, in this directory, with this sandbox and network';
    case 'once':
      return 'nothing is remembered: this run only';
    case 'mcpTool':
      return `allows every call of the MCP tool ${scope.tool} of server ${scope.server}`;
    case 'mcpServer':
      return `allows every tool of the MCP server ${scope.server}`;
    default:
      return 'unknown (an older request)';
  }
}

/** Whether "Approve for this session" means more than "Approve". */
export function canRememberApproval(req: Pick<ApprovalRequest, 'remember'>): boolean {
  return req.remember?.kind !== 'once';
}

/** One line for a notification: the command, where, and how it runs. */
export function approvalSummary(req: ApprovalRequest): string {
  const how = req.sandbox ? `; sandbox: ${sandboxText(req.sandbox)}; network ${networkText(req.sandbox)}` : '';
  return `${argvText(req.argv)} (in ${req.cwd}${how})${req.reason ? ` — ${req.reason}` : ''}`;
}

/** A quick-pick row for a remembered approval. */
export interface ApprovalPickItem {
  id: string;
  label: string;
  description: string;
  detail: string;
}

export function approvalPickItems(list: readonly RememberedApproval[]): ApprovalPickItem[] {
  return list.map((a) => ({
    id: a.id,
    label: a.scope.kind === 'prefix' ? `${argvText(a.scope.prefix)} …` : a.scope.kind === 'exact' ? argvText(a.scope.argv) : a.id,
    description: a.sandbox.mode === 'danger-full-access' ? 'outside the sandbox' : sandboxText(a.sandbox),
    detail: a.description,
  }));
}
