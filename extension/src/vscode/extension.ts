// VS Code entry point. Only extension/src/vscode imports `vscode`.
import * as vscode from 'vscode';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Tack', { log: true });
  context.subscriptions.push(log);
  log.info('Tack activated');
}

export function deactivate(): void {}
