// The palette commands (category "Tack"), the context-menu tasks and the inline-diff actions: their
// handlers, in the heavy chunk (services.ts).
import * as vscode from 'vscode';
import { PROVIDERS } from '../host/model';
import { reveal } from '../shared/display';
import { currentEditorContext } from './controller';
import type { TackServices } from './services';
import { uncommittedDiff } from './git-diff';
import { approvalPickItems } from '../shared/approval-text';
import { reviewPatch } from './review-patch';
import { restoreCheckpoint } from './checkpoints';
import type { ApprovalPolicy } from '../generated/types/ApprovalPolicy';
import { readSettings } from './settings';
import { writeGuard } from './write-guard';
import { workspaceRoot } from './buffers';
import { COMMAND_IDS, type CommandId } from './command-ids';
import {
  askAboutSelectionPrompt, explainSelectionPrompt,
  taskLabel, fixProblemsPrompt, reviewChangesPrompt, writeTestsPrompt, severityName,
  type DiagnosticInfo, type SelectionInfo,
} from './task-prompts';

function activeSelection(): SelectionInfo {
  const editor = vscode.window.activeTextEditor;
  if (!editor) throw new Error('Open a file and select some code first.');
  let range: vscode.Range = editor.selection;
  // No selection: the line under the cursor stands for it.
  if (editor.selection.isEmpty) range = editor.document.lineAt(editor.selection.active.line).range;
  const text = editor.document.getText(range);
  if (!text.trim()) throw new Error('Select some code first.');
  return {
    path: vscode.workspace.asRelativePath(editor.document.uri, false),
    startLine: range.start.line + 1,
    endLine: range.end.line + 1 - (range.end.character === 0 && range.end.line > range.start.line ? 1 : 0),
    text,
    languageId: editor.document.languageId,
  };
}

/** The editor context without the selection text, for tasks that quote the selection themselves. */
function contextWithoutSelection() {
  const ctx = currentEditorContext();
  if (ctx) delete ctx.selection;
  return ctx;
}

export type CommandHandler = (...args: never[]) => unknown;

/**
 * The handlers of the ids in command-ids.ts. Activation (extension.ts) registered the commands
 * already; each call lands here once this chunk has loaded, and extension.ts reports what throws.
 */
export function commandHandlers(s: TackServices): Record<CommandId, CommandHandler> {
  const handlers = new Map<CommandId, CommandHandler>();
  const reg = (id: CommandId, fn: CommandHandler) => void handlers.set(id, fn);
  const c = s.controller;
  const uriArg = (u: unknown): vscode.Uri | undefined =>
    typeof u === 'string' ? vscode.Uri.parse(u) : u instanceof vscode.Uri ? u : vscode.window.activeTextEditor?.document.uri;

  reg('tack.showLog', () => s.log.show(true));
  reg('tack.mcpServers', () => s.mcp.showServers());
  reg('tack.setApiKey', () => s.keys.prompt());
  reg('tack.selectModel', async () => {
    const current = readSettings().model;
    const [models, local] = await Promise.all([c.listModels(), c.discoverLocalServers().catch(() => [])]);
    const other = '$(edit) Another model...';
    // Names from the server are shown with hidden characters escaped; the pick keeps the real name.
    type Item = vscode.QuickPickItem & { model?: string; server?: (typeof local)[number] };
    const items: Item[] = [...new Set([current, ...models])].map((m) => ({ label: reveal(m, { singleLine: true }), model: m, description: m === current ? 'current' : undefined }));
    // Models of local servers found on their default ports: picking one switches to that server.
    for (const server of local) {
      items.push({ label: PROVIDERS[server.provider].label, kind: vscode.QuickPickItemKind.Separator });
      for (const m of server.models) items.push({ label: reveal(m, { singleLine: true }), model: m, server, description: server.baseUrl });
    }
    const pick = await vscode.window.showQuickPick<Item>([...items, { label: other }], { title: 'Tack: model', placeHolder: reveal(current, { singleLine: true }) });
    if (!pick) return;
    if (pick.server && pick.model) {
      await c.useLocalServer(pick.server, pick.model);
      return;
    }
    const model = pick.model === undefined ? (await vscode.window.showInputBox({ title: 'Tack: model', value: current }))?.trim() : pick.model;
    if (model) c.setModel(model);
  });

  // The policy is a user setting only (a repository cannot set it): this is the quick way to change it.
  reg('tack.setApprovalPolicy', async () => {
    const current = readSettings().approvalPolicy;
    const choices: Array<{ label: ApprovalPolicy; detail: string }> = [
      { label: 'untrusted', detail: 'Ask before any command that is not known to be read-only' },
      { label: 'on-request', detail: 'The model asks when it needs to leave the sandbox' },
      { label: 'on-failure', detail: 'Ask only when a sandboxed command fails' },
      { label: 'never', detail: 'Never ask (edits apply at once and stay reviewable)' },
    ];
    const pick = await vscode.window.showQuickPick(
      choices.map((c) => ({ ...c, description: c.label === current ? 'current' : undefined })),
      { title: 'Tack: approval policy (your user settings)', placeHolder: current },
    );
    if (pick) await vscode.workspace.getConfiguration('tack').update('approvalPolicy', pick.label, vscode.ConfigurationTarget.Global);
  });

  reg('tack.newTask', async () => {
    c.newTask();
    await s.chat.focusInput();
  });
  reg('tack.stop', () => c.stop());
  reg('tack.restoreCheckpoint', async (id?: unknown) => {
    const root = workspaceRoot();
    if (!root) throw new Error('Open a folder first: checkpoints belong to a workspace.');
    await restoreCheckpoint(s.sidecar(), root.fsPath, typeof id === 'string' ? id : undefined, (paths) => {
      // The restored files' decisions and command changes no longer describe them.
      s.changes.restored(paths);
      void s.commandChanges.refresh();
    });
  });
  reg('tack.manageApprovals', async () => {
    const items = approvalPickItems(c.rememberedApprovals());
    if (items.length === 0) {
      void vscode.window.showInformationMessage('Tack: no approvals are remembered in this session. "Approve for this session" on an approval card adds one.');
      return;
    }
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Tack: session approvals',
      placeHolder: 'Select the approvals to revoke; those commands will ask again',
      canPickMany: true,
      matchOnDetail: true,
    });
    if (picked?.length) c.revokeApprovals(picked.map((p) => p.id));
  });
  reg('tack.explainSelection', () => {
    const sel = activeSelection();
    return c.startTask(explainSelectionPrompt(sel), contextWithoutSelection(), taskLabel('explain', sel));
  });
  reg('tack.writeTests', () => {
    const sel = activeSelection();
    return c.startTask(writeTestsPrompt(sel), contextWithoutSelection(), taskLabel('tests', sel));
  });
  reg('tack.askAboutSelection', async () => {
    const sel = activeSelection();
    const question = await vscode.window.showInputBox({ title: 'Tack: ask about the selection', prompt: `About ${reveal(sel.path, { singleLine: true })}:${sel.startLine}-${sel.endLine}`, ignoreFocusOut: true });
    if (question?.trim()) await c.startTask(askAboutSelectionPrompt(sel, question), contextWithoutSelection(), taskLabel('ask', sel, question));
  });
  reg('tack.fixProblems', async () => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) throw new Error('Open the file to fix first.');
    const file = vscode.workspace.asRelativePath(editor.document.uri, false);
    const diagnostics: DiagnosticInfo[] = vscode.languages.getDiagnostics(editor.document.uri).map((d) => ({
      path: file,
      line: d.range.start.line + 1,
      severity: severityName(d.severity),
      message: d.message,
      ...(d.source ? { source: d.source } : {}),
    }));
    await c.startTask(fixProblemsPrompt(file, diagnostics), currentEditorContext({ withDiagnostics: true }), taskLabel('fix', file));
  });
  reg('tack.reviewUncommitted', async () => {
    const diff = await gitDiff(s);
    const prompt = reviewChangesPrompt(diff);
    if (!prompt) {
      void vscode.window.showInformationMessage('Tack: there are no uncommitted changes to review.');
      return;
    }
    await c.startTask(prompt, currentEditorContext(), taskLabel('review'));
  });

  reg('tack.acceptAll', () => s.inlineDiff.acceptAll());
  reg('tack.rejectAll', () => s.inlineDiff.rejectAll());
  reg('tack.acceptHunk', (uri?: string, hunkId?: string) =>
    uri && hunkId ? s.inlineDiff.decide(uri, [hunkId], true) : s.inlineDiff.decideAtCursor(true));
  reg('tack.rejectHunk', (uri?: string, hunkId?: string) =>
    uri && hunkId ? s.inlineDiff.decide(uri, [hunkId], false) : s.inlineDiff.decideAtCursor(false));
  reg('tack.acceptFile', (u?: unknown) => { const uri = uriArg(u); return uri && s.inlineDiff.decide(uri, undefined, true); });
  reg('tack.rejectFile', (u?: unknown) => { const uri = uriArg(u); return uri && s.inlineDiff.decide(uri, undefined, false); });
  reg('tack.showDiff', (u?: unknown) => s.inlineDiff.showDiff(uriArg(u)));
  reg('tack.showProposedLines', (u?: unknown) => s.inlineDiff.showLines(uriArg(u)));
  reg('tack.openReviewedFile', () => s.inlineDiff.openReviewedFile());
  reg('tack.selectChangeLines', (uri?: string, hunkId?: string) => { if (uri && hunkId) s.inlineDiff.selectChangeLines(uri, hunkId); });
  reg('tack.acceptLines', () => s.inlineDiff.decideAtCursor(true, { linesOnly: true }));
  reg('tack.rejectLines', () => s.inlineDiff.decideAtCursor(false, { linesOnly: true }));
  reg('tack.nextChange', () => s.inlineDiff.goToChange(1));
  reg('tack.previousChange', () => s.inlineDiff.goToChange(-1));
  reg('tack.rejectWithReason', async (u?: unknown) => {
    // From the chat's edit card: the edit by its id.
    const reviewId = typeof u === 'object' && u !== null && typeof (u as { reviewId?: unknown }).reviewId === 'string' ? (u as { reviewId: string }).reviewId : undefined;
    const uri = typeof u === 'string' || u instanceof vscode.Uri ? u : undefined;
    const reason = await vscode.window.showInputBox({
      title: 'Tack: reject with a reason',
      prompt: 'Everything still pending in this edit is rejected; the model reads your reason.',
      placeHolder: 'e.g. keep the old name, it is used by the public API',
      ignoreFocusOut: true,
    });
    if (reason === undefined) return;
    if (reviewId !== undefined) s.inlineDiff.rejectReviewWithReason(reviewId, reason);
    else s.inlineDiff.rejectWithReason(reason, uri);
  });
  reg('tack.revealNextChange', () => s.inlineDiff.revealNext());
  reg('tack.reviewPatch', (text?: string) =>
    reviewPatch(s.inlineDiff, s.log, typeof text === 'string' ? text : undefined, writeGuard(() => s.sidecar(), workspaceRoot(), 'workspace-write')),
  );
  const missing = COMMAND_IDS.filter((id) => !handlers.has(id));
  if (missing.length) throw new Error(`no handler for ${missing.join(', ')}`);
  return Object.fromEntries(handlers) as Record<CommandId, CommandHandler>;
}

/** `git diff HEAD` of the workspace (git-diff.ts), run read-only through the sidecar like any other command. */
async function gitDiff(s: TackServices): Promise<string> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('Open a folder first.');
  const sidecar = s.sidecar();
  const run = async (argv: string[], cwd: string) => {
    let stdout = '';
    let stderr = '';
    const handle = await sidecar.exec(
      { argv, cwd, tty: false, timeoutMs: 30_000, sandbox: { mode: 'read-only', writableRoots: [], network: false } },
      (n) => {
        if (n.stream === 'stderr') stderr = (stderr + n.text).slice(-8_000);
        else if (stdout.length < 2_000_000) stdout += n.text;
      },
    );
    const exited = await handle.exited;
    return { code: exited.exitCode, stdout, stderr };
  };
  try {
    return await uncommittedDiff(folder.uri.fsPath, run);
  } catch (e) {
    throw new Error(`${e instanceof Error ? e.message : String(e)}. Is this folder a git repository?`, { cause: e });
  }
}
