// What every real-VS-Code test file starts with: a scripted model server, a temporary workspace with
// its files, code-server with the built .vsix and the given user settings, and the workbench open in
// Chromium. close() stops all of it and removes the workspace.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostVsix } from '../lib/paths';
import { startModelServer, type ModelScript, type ModelServer, type ScriptedResponse } from '../model-server/server';
import { startCodeServer, type CodeServer } from './code-server';
import { openWorkbenchOf, TackChat, type Workbench } from './workbench';

export interface E2ESetup {
  /** Names the temporary workspace (`tack-e2e-<name>-`). */
  name: string;
  script: ModelScript | ScriptedResponse[];
  /** The workspace's files: relative path to text. */
  files?: Record<string, string>;
  /** More set-up of the workspace, after the files and before code-server opens it (git, .vscode/). */
  prepare?: (workspace: string, model: ModelServer) => void | Promise<void>;
  /** User settings (`tack.baseUrl` is the model server unless given). */
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  workspaceTrust?: boolean;
  /** Opens Tack's chat in the sidebar before the tests run. */
  openChat?: boolean;
}

export interface TackE2E {
  model: ModelServer;
  cs: CodeServer;
  wb: Workbench;
  workspace: string;
  chat: TackChat;
  /** A workspace file's text. */
  read(file: string): string;
  close(): Promise<void>;
}

export async function startTackE2E(setup: E2ESetup): Promise<TackE2E> {
  assert.ok(fs.existsSync(hostVsix), `the .vsix is not built (${hostVsix}); run npm run build`);
  const model = await startModelServer(setup.script);
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), `tack-e2e-${setup.name}-`));
  let cs: CodeServer | undefined;
  let wb: Workbench | undefined;
  const close = async () => {
    await wb?.close().catch(() => undefined);
    await cs?.stop();
    await model.close();
    fs.rmSync(workspace, { recursive: true, force: true });
  };
  try {
    for (const [file, text] of Object.entries(setup.files ?? {})) {
      fs.mkdirSync(path.dirname(path.join(workspace, file)), { recursive: true });
      fs.writeFileSync(path.join(workspace, file), text);
    }
    await setup.prepare?.(workspace, model);
    cs = await startCodeServer({
      vsix: hostVsix,
      workspace,
      workspaceTrust: setup.workspaceTrust,
      settings: { 'tack.baseUrl': model.url, 'git.enabled': false, ...setup.settings },
      env: setup.env,
    });
    wb = await openWorkbenchOf(cs);
    const chat = new TackChat(wb.page);
    if (setup.openChat) await chat.open();
    return { model, cs, wb, workspace, chat, read: (f) => fs.readFileSync(path.join(workspace, f), 'utf8'), close };
  } catch (e) {
    await close();
    throw e;
  }
}
