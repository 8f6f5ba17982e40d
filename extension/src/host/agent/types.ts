// The session protocol's types (generated from wasm-ui-core/src/session/protocol.rs) and the host
// interface the runner needs from the CLI or VS Code.
import type { AgentConfig } from '../../generated/types/AgentConfig';
import type { ApprovalDecision } from '../../generated/types/ApprovalDecision';
import type { ApprovalRequest } from '../../generated/types/ApprovalRequest';
import type { ChangeProposal } from '../../generated/types/ChangeProposal';
import type { ChangeReview } from '../../generated/types/ChangeReview';
import type { FileChange } from '../../generated/types/FileChange';
import type { FileMap } from '../../generated/types/FileMap';
import type { ThreadEvent } from '../../generated/types/ThreadEvent';
import type { TurnStatus } from '../../generated/types/TurnStatus';
import type { Usage } from '../../generated/types/Usage';

export type { AgentConfig } from '../../generated/types/AgentConfig';
export type { AgentsMd } from '../../generated/types/AgentsMd';
export type { ApprovalDecision } from '../../generated/types/ApprovalDecision';
export type { ApprovalKind } from '../../generated/types/ApprovalKind';
export type { ApprovalPolicy } from '../../generated/types/ApprovalPolicy';
export type { ApprovalRequest } from '../../generated/types/ApprovalRequest';
export type { ChangeProposal } from '../../generated/types/ChangeProposal';
export type { ChangeReview } from '../../generated/types/ChangeReview';
export type { CommandStatus } from '../../generated/types/CommandStatus';
export type { Diagnostic } from '../../generated/types/Diagnostic';
export type { EditorContext } from '../../generated/types/EditorContext';
export type { Effect } from '../../generated/types/Effect';
export type { ExecSandbox } from '../../generated/types/ExecSandbox';
export type { ExecStartParams } from '../../generated/types/ExecStartParams';
export type { FileChange } from '../../generated/types/FileChange';
export type { FileChangeStatus } from '../../generated/types/FileChangeStatus';
export type { FileReview } from '../../generated/types/FileReview';
export type { FileMap } from '../../generated/types/FileMap';
export type { FileState } from '../../generated/types/FileState';
export type { ItemDetails } from '../../generated/types/ItemDetails';
export type { ReasoningEffort } from '../../generated/types/ReasoningEffort';
export type { ProposedFile } from '../../generated/types/ProposedFile';
export type { RememberedApproval } from '../../generated/types/RememberedApproval';
export type { RememberScope } from '../../generated/types/RememberScope';
export type { SandboxMode } from '../../generated/types/SandboxMode';
export type { Selection } from '../../generated/types/Selection';
export type { Severity } from '../../generated/types/Severity';
export type { SessionEvent } from '../../generated/types/SessionEvent';
export type { SessionRecord } from '../../generated/types/SessionRecord';
export type { ThreadEvent } from '../../generated/types/ThreadEvent';
export type { ThreadItem } from '../../generated/types/ThreadItem';
export type { TodoItem } from '../../generated/types/TodoItem';
export type { TurnStatus } from '../../generated/types/TurnStatus';
export type { Usage } from '../../generated/types/Usage';
export type { Wire } from '../../generated/types/Wire';

/** An approval answer with an optional note for the model (why it was denied). */
export interface ApprovalAnswer {
  decision: ApprovalDecision;
  message?: string;
}

/** What differs between the CLI (files on disk) and VS Code (editor buffers, inline review). */
export interface AgentHost {
  /** Current contents of these cwd-relative paths (editor buffers first). */
  readFiles(paths: string[]): Promise<FileMap>;
  /** Shows the proposal, writes what the person accepts, then resolves. `signal` aborts on interrupt. */
  reviewChanges(proposal: ChangeProposal, signal: AbortSignal): Promise<ChangeReview>;
  /** Writes every change at once (policy `never`); rejects, having written nothing, on failure. */
  applyChanges(changes: FileChange[]): Promise<void>;
  requestApproval(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalDecision | ApprovalAnswer>;
  emit(event: ThreadEvent): void;
}

/** How a turn ended. */
export interface TurnResult {
  status: TurnStatus;
  usage: Usage;
  error?: string;
  /** The last agent message of the turn, if any. */
  finalMessage?: string;
}

/** A config where the runner fills what it can find itself (id, date, shell, timezone). */
export type AgentConfigInput = Omit<AgentConfig, 'sessionId' | 'currentDate' | 'timezone' | 'shell' | 'writableRoots' | 'network' | 'agentsMd'> &
  Partial<Pick<AgentConfig, 'currentDate' | 'timezone' | 'shell' | 'writableRoots' | 'network' | 'agentsMd'>>;
