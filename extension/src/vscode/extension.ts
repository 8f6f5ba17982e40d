// VS Code entry point. Activation only registers things; the wasm core, the sidecar and the model
// client are loaded on first use. Only extension/src/vscode imports `vscode`.
import * as vscode from 'vscode';
import { registerCommands } from './commands';
import { TackServices } from './services';

let services: TackServices | undefined;

export function activate(context: vscode.ExtensionContext): void {
  services = new TackServices(context);
  context.subscriptions.push(services);
  registerCommands(context, services);
  services.log.info(`Tack ${context.extension.packageJSON.version} activated`);
}

export function deactivate(): Promise<void> | undefined {
  const s = services;
  services = undefined;
  return s?.shutdown();
}
