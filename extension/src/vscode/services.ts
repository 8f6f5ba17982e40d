// The extension's long-lived parts, each created when first needed.
import * as vscode from 'vscode';
import { ApiKeyStore } from './secrets';

export class TackServices implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly keys: ApiKeyStore;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly context: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Tack', { log: true });
    this.keys = new ApiKeyStore(context.secrets);
    this.disposables.push(this.log);
  }

  async shutdown(): Promise<void> {
    this.dispose();
  }

  dispose(): void {
    this.disposables.forEach((d) => d.dispose());
    this.disposables.length = 0;
  }
}
