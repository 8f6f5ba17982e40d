// Which of Tack's settings a repository may set, without `vscode` (unit-tested under node).
//
// A cloned repository's `.vscode/settings.json` (or a `.code-workspace` file) is content the person did
// not write. Settings that decide where the API key is sent or how much Tack may do without asking are
// therefore read from the person's user (or remote machine) settings and the defaults only; a
// workspace or folder value is ignored, and the log says so. package.json declares the same settings
// with `"scope": "machine"` so the Settings editor does not offer them per workspace either.

/** The `tack.*` keys (without the prefix) read from user settings only. */
// webSearch: a search the provider runs (and a page it opens) carries what the model puts in it to
// third parties, so a repository may not switch it on.
export const USER_ONLY_SETTINGS = ['baseUrl', 'wireApi', 'approvalPolicy', 'sandboxMode', 'provider', 'checkpoints.enabled', 'checkpoints.maxStoreMB', 'webSearch'] as const;
export type UserOnlySetting = (typeof USER_ONLY_SETTINGS)[number];

/** The parts of WorkspaceConfiguration.inspect() this looks at. */
export interface Inspected<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
  defaultLanguageValue?: T;
  globalLanguageValue?: T;
  workspaceLanguageValue?: T;
  workspaceFolderLanguageValue?: T;
}

/**
 * The value from the user's settings, else the default. `ignored` is told about a workspace or folder
 * value that differs from it (it had no effect).
 */
export function userValue<T>(key: string, inspected: Inspected<T> | undefined, ignored: (message: string) => void): T | undefined {
  if (!inspected) return undefined;
  const value = inspected.globalValue ?? inspected.defaultValue;
  const fromWorkspace: Array<[string, T | undefined]> = [
    ['workspace', inspected.workspaceValue],
    ['folder', inspected.workspaceFolderValue],
    ['workspace language', inspected.workspaceLanguageValue],
    ['folder language', inspected.workspaceFolderLanguageValue],
  ];
  for (const [where, v] of fromWorkspace) {
    if (v !== undefined && JSON.stringify(v) !== JSON.stringify(value)) {
      ignored(
        `ignored the ${where} setting tack.${key} = ${JSON.stringify(v)}: a repository cannot change this; ` +
          `Tack uses ${JSON.stringify(value)} from your user settings (set it there to change it)`,
      );
    }
  }
  return value;
}

/**
 * The user-only settings a workspace settings file (`.vscode/settings.json`, `*.code-workspace`)
 * tries to set. VS Code already drops machine-scoped values from workspace files before Tack sees
 * them; this finds them in the file's text so the log can say they were ignored.
 */
export function userOnlyKeysIn(settingsText: string): UserOnlySetting[] {
  return USER_ONLY_SETTINGS.filter((k) => new RegExp(`"tack\\.${k.replace('.', '\\.')}"\\s*:`).test(settingsText));
}
