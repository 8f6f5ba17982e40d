// The API key lives only in VS Code's SecretStorage (or the environment the editor was started with).
// It never goes into settings, logs, the webview or a child process's environment.
import * as vscode from 'vscode';
import { isHostedOpenAi, readSettings } from './settings';

const SECRET_ID = 'tack.apiKey';

export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /**
   * SecretStorage first, then the provider's variable (e.g. OPENROUTER_API_KEY) and OPENAI_API_KEY
   * from the editor's environment. Any length: local servers take any key, often `ollama`.
   */
  async get(): Promise<string | undefined> {
    const stored = await this.secrets.get(SECRET_ID);
    if (stored) return stored;
    const { provider } = readSettings();
    for (const name of [provider.keyEnv, 'OPENAI_API_KEY']) {
      const env = process.env[name];
      if (env && env.trim()) return env.trim();
    }
    return undefined;
  }

  async set(key: string): Promise<void> {
    await this.secrets.store(SECRET_ID, key);
  }

  async clear(): Promise<void> {
    await this.secrets.delete(SECRET_ID);
  }

  /** Asks for the key (masked) and stores it. Returns false when the person cancelled. */
  async prompt(): Promise<boolean> {
    const key = await vscode.window.showInputBox({
      title: 'Tack: API key',
      prompt: 'Your API key for the model server. It is kept in VS Code\'s secret storage only. Leave empty to remove the stored key.',
      password: true,
      ignoreFocusOut: true,
      placeHolder: 'sk-...',
    });
    if (key === undefined) return false;
    if (key.trim() === '') {
      await this.clear();
      void vscode.window.showInformationMessage('Tack: the stored API key was removed.');
    } else {
      await this.set(key.trim());
      void vscode.window.showInformationMessage('Tack: API key saved in secret storage.');
    }
    return true;
  }

  /**
   * First run: without a key, OpenAI's API cannot be used. Leads the person to set a key or to point
   * Tack at a local OpenAI-compatible server. Returns the key (or '' for a keyless local server), or
   * undefined when Tack is still not usable.
   */
  async ensureUsable(): Promise<string | undefined> {
    const key = await this.get();
    if (key) return key;
    const { baseUrl, provider } = readSettings();
    // Local servers need no key; a hosted provider (OpenAI, Azure, OpenRouter) does.
    if (!isHostedOpenAi(baseUrl) && !provider.needsKey) return '';
    const setKey = 'Set API Key';
    const local = 'Use a Local Server';
    const pick = await vscode.window.showWarningMessage(
      `Tack needs an API key for ${provider.label} (${baseUrl}), or a local OpenAI-compatible server (tack.provider: Ollama, vLLM, LM Studio, llama.cpp).`,
      setKey,
      local,
    );
    if (pick === setKey) {
      await this.prompt();
      return this.get();
    }
    if (pick === local) {
      const url = await vscode.window.showInputBox({
        title: 'Tack: local server',
        prompt: 'Base URL of an OpenAI-compatible server (Chat Completions)',
        value: 'http://127.0.0.1:11434/v1',
        ignoreFocusOut: true,
        validateInput: (v) => (/^https?:\/\/\S+$/.test(v.trim()) ? undefined : 'An http:// or https:// URL'),
      });
      if (!url) return undefined;
      const cfg = vscode.workspace.getConfiguration('tack');
      await cfg.update('baseUrl', url.trim(), vscode.ConfigurationTarget.Global);
      await cfg.update('wireApi', 'chat', vscode.ConfigurationTarget.Global);
      const model = await vscode.window.showInputBox({ title: 'Tack: model', prompt: 'Model name on that server', value: readSettings().model, ignoreFocusOut: true });
      if (model) await cfg.update('model', model.trim(), vscode.ConfigurationTarget.Global);
      return '';
    }
    return undefined;
  }
}
