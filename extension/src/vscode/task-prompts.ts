// What the palette and context-menu tasks ask the model. Pure (no `vscode`), so it is unit-tested.
import type { Severity } from '../generated/types/Severity';

/** The core's name for a `vscode.DiagnosticSeverity` (Error 0, Warning 1, Information 2, Hint 3). */
export function severityName(severity: number): Severity {
  const names: readonly Severity[] = ['error', 'warning', 'info', 'hint'];
  return names[severity] ?? 'error';
}

export interface SelectionInfo {
  path: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  text: string;
  languageId?: string;
}

export interface DiagnosticInfo {
  path: string;
  /** 1-based. */
  line: number;
  severity: Severity;
  message: string;
  source?: string;
}

const where = (s: SelectionInfo) => (s.startLine === s.endLine ? `${s.path}:${s.startLine}` : `${s.path}:${s.startLine}-${s.endLine}`);

/** The selection quoted in the message itself, fenced so backticks inside cannot end it. */
export function quoteSelection(s: SelectionInfo): string {
  const longest = Math.max(2, ...[...s.text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${s.languageId ?? ''}\n${s.text.replace(/\n$/, '')}\n${fence}`;
}

/**
 * What the chat shows as the person's message for a palette task: a short label, not the engineered
 * prompt the model gets (which carries the code and instructions).
 */
export function taskLabel(task: 'explain' | 'tests' | 'ask' | 'fix' | 'review', target?: SelectionInfo | string, question?: string): string {
  const at = typeof target === 'string' ? target : target ? where(target) : '';
  switch (task) {
    case 'explain':
      return `Explain ${at}`;
    case 'tests':
      return `Write tests for ${at}`;
    case 'ask':
      return `${(question ?? '').trim()} (about ${at})`;
    case 'fix':
      return `Fix the problems in ${at}`;
    case 'review':
      return 'Review the uncommitted changes';
  }
}

export function explainSelectionPrompt(s: SelectionInfo): string {
  return `Explain what this code in ${where(s)} does, how it works, and anything surprising about it. Do not change any files.\n\n${quoteSelection(s)}`;
}

export function askAboutSelectionPrompt(s: SelectionInfo, question: string): string {
  return `${question.trim()}\n\nAbout this code in ${where(s)}:\n\n${quoteSelection(s)}`;
}

export function writeTestsPrompt(s: SelectionInfo): string {
  return `Write tests for this code in ${where(s)}. Follow the project's existing test framework and layout, put the tests where the project keeps them, and run them.\n\n${quoteSelection(s)}`;
}

export function fixProblemsPrompt(path: string, diagnostics: DiagnosticInfo[]): string {
  if (diagnostics.length === 0) {
    return `Look over ${path} for bugs and problems and fix what you find.`;
  }
  const list = diagnostics
    .map((d) => `- ${d.path}:${d.line} ${d.severity}: ${d.message}${d.source ? ` (${d.source})` : ''}`)
    .join('\n');
  return `Fix these problems reported in ${path}:\n\n${list}\n\nKeep the fixes minimal and check them.`;
}

export function reviewChangesPrompt(diff: string, maxChars = 60_000): string {
  if (!diff.trim()) return '';
  const shown = diff.length > maxChars ? `${diff.slice(0, maxChars)}\n[... ${diff.length - maxChars} more characters of the diff not shown; run git diff to see them ...]` : diff;
  return `Review my uncommitted changes: point out bugs, risky changes and missing tests, most important first. Do not change any files.\n\n\`\`\`diff\n${shown}\n\`\`\``;
}
