//! Tack's protocol types, defined once: the sidecar's JSON-RPC shapes ([`sidecar`]) and the enums
//! that the core (wasm-ui-core), the sidecar and the host all speak. `npm run build` exports each
//! type to `extension/src/generated/types/<Name>.ts` through ts-rs, so TypeScript never redeclares
//! them. This crate depends on serde and ts-rs only, and does no I/O (the core builds on it).
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub mod output;
pub mod sidecar;

/// How much a command (or a write made for the model) may touch: the session's setting, and what
/// the sidecar enforces for one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum SandboxMode {
    /// Reads anywhere, writes nowhere.
    ReadOnly,
    /// Writes beneath the writable roots (never inside `.git`).
    #[default]
    WorkspaceWrite,
    /// No sandbox at all.
    DangerFullAccess,
}

impl SandboxMode {
    pub const ALL: [SandboxMode; 3] = [
        SandboxMode::ReadOnly,
        SandboxMode::WorkspaceWrite,
        SandboxMode::DangerFullAccess,
    ];

    /// The wire name (`read-only`, `workspace-write`, `danger-full-access`).
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::DangerFullAccess => "danger-full-access",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// How hard a reasoning model thinks (the Responses API's `reasoning.effort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ReasoningEffort {
    Minimal,
    Low,
    Medium,
    High,
}

impl ReasoningEffort {
    pub const ALL: [ReasoningEffort; 4] = [
        ReasoningEffort::Minimal,
        ReasoningEffort::Low,
        ReasoningEffort::Medium,
        ReasoningEffort::High,
    ];

    /// The wire name, as the API takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasoningEffort::Minimal => "minimal",
            ReasoningEffort::Low => "low",
            ReasoningEffort::Medium => "medium",
            ReasoningEffort::High => "high",
        }
    }
}

/// How serious an editor diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum Severity {
    Error,
    Warning,
    /// VS Code calls it `Information`; the wire name is `info`.
    Info,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
            Severity::Hint => "hint",
        }
    }
}

/// The sidecar's JSON-RPC error codes. JSON-RPC's own sit in -32768..-32000; the application's sit
/// just above the implementation-defined server range so clients can switch on them. Exported to
/// TypeScript as an `enum` with these values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, TS)]
#[ts(export, repr(enum))]
#[repr(i32)]
pub enum SidecarErrorCode {
    ParseError = -32700,
    InvalidRequest = -32600,
    MethodNotFound = -32601,
    InvalidParams = -32602,
    /// `exec/write`, `exec/resize` or `exec/kill` named an execId that is not running.
    UnknownExec = -32001,
    /// The command could not be started: program not found, not executable, cwd missing.
    SpawnFailed = -32002,
    /// A sandboxed mode was asked for but this machine cannot enforce it.
    SandboxUnavailable = -32003,
    /// The sidecar is shutting down and takes no new commands.
    ShuttingDown = -32004,
    /// Writing to a command's input or resizing its terminal failed (it may be exiting).
    IoFailed = -32005,
    /// `fs/applyChanges` or `fs/checkWrite` refused a path by policy (read-only, `.git`, outside the
    /// writable roots, a symbolic link leading out, a bad path). Nothing was written.
    WriteRefused = -32006,
    /// `fs/applyChanges` failed on the file system (disk full, permissions, a race); everything was
    /// put back as it was.
    WriteFailed = -32007,
    /// A `checkpoint/*` method failed (no such checkpoint, the store cannot be written, ...).
    CheckpointFailed = -32008,
    /// `image/prepare` refused the bytes: not an image, corrupt, too many pixels, or too large
    /// even when shrunk. `error.data.reason` says which.
    ImageRefused = -32009,
}

impl SidecarErrorCode {
    /// The number on the wire (`error.code`).
    pub const fn code(self) -> i64 {
        self as i64
    }
}

/// The error codes as plain numbers, for building JSON-RPC errors.
pub mod codes {
    use super::SidecarErrorCode as C;
    pub const PARSE_ERROR: i64 = C::ParseError.code();
    pub const INVALID_REQUEST: i64 = C::InvalidRequest.code();
    pub const METHOD_NOT_FOUND: i64 = C::MethodNotFound.code();
    pub const INVALID_PARAMS: i64 = C::InvalidParams.code();
    pub const UNKNOWN_EXEC: i64 = C::UnknownExec.code();
    pub const SPAWN_FAILED: i64 = C::SpawnFailed.code();
    pub const SANDBOX_UNAVAILABLE: i64 = C::SandboxUnavailable.code();
    pub const SHUTTING_DOWN: i64 = C::ShuttingDown.code();
    pub const IO_FAILED: i64 = C::IoFailed.code();
    pub const WRITE_REFUSED: i64 = C::WriteRefused.code();
    pub const WRITE_FAILED: i64 = C::WriteFailed.code();
    pub const CHECKPOINT_FAILED: i64 = C::CheckpointFailed.code();
    pub const IMAGE_REFUSED: i64 = C::ImageRefused.code();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_mode_wire_names_round_trip() {
        for m in SandboxMode::ALL {
            let wire = serde_json::to_value(m).unwrap();
            assert_eq!(wire, serde_json::Value::from(m.as_str()));
            assert_eq!(SandboxMode::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::from_value::<SandboxMode>(wire).unwrap(), m);
        }
        assert_eq!(SandboxMode::parse("workspace"), None);
        assert_eq!(SandboxMode::default(), SandboxMode::WorkspaceWrite);
    }

    #[test]
    fn reasoning_effort_takes_the_four_documented_values_only() {
        for e in ReasoningEffort::ALL {
            assert_eq!(
                serde_json::to_value(e).unwrap(),
                serde_json::Value::from(e.as_str())
            );
        }
        assert!(serde_json::from_str::<ReasoningEffort>("\"extreme\"").is_err());
    }

    #[test]
    fn severity_wire_names() {
        for (s, name) in [
            (Severity::Error, "error"),
            (Severity::Warning, "warning"),
            (Severity::Info, "info"),
            (Severity::Hint, "hint"),
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), name);
            assert_eq!(s.as_str(), name);
        }
        assert!(serde_json::from_str::<Severity>("\"information\"").is_err());
    }

    #[test]
    fn error_codes_are_the_documented_numbers() {
        assert_eq!(codes::PARSE_ERROR, -32700);
        assert_eq!(codes::INVALID_PARAMS, -32602);
        assert_eq!(codes::UNKNOWN_EXEC, -32001);
        assert_eq!(codes::CHECKPOINT_FAILED, -32008);
    }
}
