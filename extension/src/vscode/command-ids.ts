// The commands activation registers (extension.ts) before their handlers exist: each handler lives in
// the heavy chunk (commands.ts) and loads it on the first call. commands.ts must give every id here a
// handler (its type says so). The Changes view's item commands (tack.changes.*) are registered by the
// view itself, which appears only once the chunk has loaded and a session changed files.
export const COMMAND_IDS = [
  'tack.showLog', 'tack.mcpServers', 'tack.setApiKey', 'tack.selectModel', 'tack.setApprovalPolicy',
  'tack.newTask', 'tack.stop', 'tack.restoreCheckpoint', 'tack.manageApprovals', 'tack.explainSelection',
  'tack.writeTests', 'tack.askAboutSelection', 'tack.fixProblems', 'tack.reviewUncommitted', 'tack.acceptAll',
  'tack.rejectAll', 'tack.acceptHunk', 'tack.rejectHunk', 'tack.acceptFile', 'tack.rejectFile', 'tack.showDiff',
  'tack.showProposedLines', 'tack.openReviewedFile', 'tack.selectChangeLines', 'tack.acceptLines',
  'tack.rejectLines', 'tack.nextChange', 'tack.previousChange', 'tack.rejectWithReason', 'tack.revealNextChange',
  'tack.reviewPatch',
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
