// The sidecar client and the protocol types it speaks (generated from sidecar/src/protocol.rs).
export * from './client';
export * from './platform';
export type { ExecExitedNotification } from '../../generated/types/ExecExitedNotification';
export type { ExecOutputNotification } from '../../generated/types/ExecOutputNotification';
export type { ExecOutputSummary } from '../../generated/types/ExecOutputSummary';
export type { ExecStartParams } from '../../generated/types/ExecStartParams';
export type { ExecStartResult } from '../../generated/types/ExecStartResult';
export type { InitializeResult } from '../../generated/types/InitializeResult';
export type { OutputStream } from '../../generated/types/OutputStream';
export type { SandboxInfo } from '../../generated/types/SandboxInfo';
export type { SandboxMode } from '../../generated/types/SandboxMode';
export type { SandboxPolicy } from '../../generated/types/SandboxPolicy';
export type { FsApplyChangesParams } from '../../generated/types/FsApplyChangesParams';
export type { FsApplyChangesResult } from '../../generated/types/FsApplyChangesResult';
export type { FsChange } from '../../generated/types/FsChange';
export type { FsCheckWriteParams } from '../../generated/types/FsCheckWriteParams';
export type { WritePolicy } from '../../generated/types/WritePolicy';
