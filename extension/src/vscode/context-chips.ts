// The editor context a message carries, as the chips above the chat's input show it, and the same
// context without the parts whose chip the person removed. Pure.
import type { EditorContext } from '../generated/types/EditorContext';
import type { ContextPart, ContextPreview } from '../shared/chat-protocol';

/** What the chips show for `ctx` (what `send` would attach now). */
export function contextPreview(ctx: EditorContext | undefined, approvalPolicy: string, sandboxMode: string): ContextPreview {
  const openFiles = (ctx?.openFiles ?? []).filter((f) => f !== ctx?.activeFile).length;
  return {
    ...(ctx?.activeFile ? { file: ctx.activeFile } : {}),
    openFiles,
    ...(ctx?.selection ? { selection: { path: ctx.selection.path, startLine: ctx.selection.startLine, endLine: ctx.selection.endLine } } : {}),
    approvalPolicy,
    sandboxMode,
  };
}

/** `ctx` without the removed parts: "file" drops the active and open files, "selection" the selection. */
export function withoutParts(ctx: EditorContext | undefined, exclude: ContextPart[]): EditorContext | undefined {
  if (!ctx || exclude.length === 0) return ctx;
  const out: EditorContext = { ...ctx };
  if (exclude.includes('file')) {
    delete out.activeFile;
    out.openFiles = [];
  }
  if (exclude.includes('selection')) delete out.selection;
  return out.activeFile || out.selection || out.openFiles.length || out.diagnostics.length ? out : undefined;
}
