// The palette commands (category "Tack"), the context-menu tasks and the inline-diff actions.
import * as vscode from 'vscode';
import type { TackServices } from './services';
import { readSettings } from './settings';

export function registerCommands(context: vscode.ExtensionContext, s: TackServices): void {
  const reg = (id: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(
      vscode.commands.registerCommand(id, async (...args: never[]) => {
        try {
          return await fn(...args);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          s.log.error(`${id}: ${msg}`);
          void vscode.window.showErrorMessage(`Tack: ${msg}`);
        }
      }),
    );

  reg('tack.showLog', () => s.log.show(true));
  reg('tack.setApiKey', () => s.keys.prompt());
  reg('tack.selectModel', async () => {
    const current = readSettings().model;
    const picked = await vscode.window.showInputBox({ title: 'Tack: model', value: current, prompt: 'The model name on your server' });
    if (picked && picked.trim() !== current) {
      await vscode.workspace.getConfiguration('tack').update('model', picked.trim(), vscode.ConfigurationTarget.Global);
      void vscode.window.showInformationMessage(`Tack: model set to ${picked.trim()}`);
    }
  });
}
