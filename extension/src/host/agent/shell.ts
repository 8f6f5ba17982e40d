// Which shell the model's commands run with when the caller configured none. On Windows the sidecar
// knows what exists there (PowerShell 7, else Windows PowerShell, else cmd; its `initialize` reports
// the first it finds), and the core builds each kind's argv (wasm-ui-core tools/shell_kind.rs). On
// Unix the host's own default (session.ts defaultShell: $SHELL, else bash on PATH) is the same one
// the sidecar would report, without starting it early.
import type { InitializeResult } from '../../generated/types/InitializeResult';

export async function sidecarShell(
  sidecar: { initialize(): Promise<InitializeResult> },
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  if (platform !== 'win32') return undefined;
  try {
    const path = (await sidecar.initialize()).shell?.path;
    return path || undefined;
  } catch {
    return undefined; // the sidecar failing to start is reported when a command runs
  }
}
