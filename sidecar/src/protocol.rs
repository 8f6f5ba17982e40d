//! The sidecar protocol's shapes. These Rust types are the single source of truth: `npm run build`
//! exports each one to `extension/src/generated/types/<Name>.ts` through ts-rs.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

/// Application error codes (JSON-RPC reserves -32768..-32000 for itself; these sit just above the
/// implementation-defined server range so clients can switch on them).
pub mod codes {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    /// `exec/write`, `exec/resize` or `exec/kill` named an execId that is not running.
    pub const UNKNOWN_EXEC: i64 = -32001;
    /// The command could not be started: program not found, not executable, cwd missing.
    pub const SPAWN_FAILED: i64 = -32002;
    /// A sandboxed mode was asked for but this machine cannot enforce it.
    pub const SANDBOX_UNAVAILABLE: i64 = -32003;
    /// The sidecar is shutting down and takes no new commands.
    pub const SHUTTING_DOWN: i64 = -32004;
    /// Writing to a command's input or resizing its terminal failed (it may be exiting).
    pub const IO_FAILED: i64 = -32005;
    /// `fs/applyChanges` or `fs/checkWrite` refused a path by policy (read-only, `.git`, outside the
    /// writable roots, a symbolic link leading out, a bad path). Nothing was written.
    pub const WRITE_REFUSED: i64 = -32006;
    /// `fs/applyChanges` failed on the file system (disk full, permissions, a race); everything was
    /// put back as it was.
    pub const WRITE_FAILED: i64 = -32007;
    /// A `checkpoint/*` method failed (no such checkpoint, the store cannot be written, ...).
    pub const CHECKPOINT_FAILED: i64 = -32008;
    /// `image/prepare` refused the bytes: not an image, corrupt, too many pixels, or too large
    /// even when shrunk. `error.data.reason` says which.
    pub const IMAGE_REFUSED: i64 = -32009;
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct InitializeParams {
    #[serde(default)]
    #[ts(optional)]
    pub client_name: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub client_version: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct InitializeResult {
    /// The sidecar's version (the crate version).
    pub version: String,
    /// `linux`, `macos`, `windows`, ...
    pub platform: String,
    pub sandbox: SandboxInfo,
    /// Whether Tack has an OS sandbox for this platform at all: true on Linux and macOS (where
    /// `sandbox.available` says whether this machine can enforce it), false on Windows. Without one,
    /// a sandboxed policy must ask the person before every command that is not known-safe, run it
    /// unsandboxed (`danger-full-access`) only once approved, and decline it where nobody can be asked.
    pub os_sandbox: bool,
    /// The shell commands should be written for: one that exists on this machine.
    pub shell: ShellInfo,
}

/// A shell found on this machine.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ShellInfo {
    /// `bash`, `zsh`, `sh`, `fish`, `pwsh` (PowerShell 7), `powershell` (Windows PowerShell) or `cmd`.
    pub kind: String,
    /// Its absolute path.
    pub path: String,
    /// Other shells found (Windows: Git Bash's bash when it is installed), best first.
    pub others: Vec<ShellInfo>,
}

/// What this machine can really enforce, found by probing at start-up.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SandboxInfo {
    /// The kernel's Landlock ABI version, or null when Landlock is missing or disabled.
    pub landlock_abi: Option<u32>,
    /// Whether seccomp filters can be installed (used to deny network sockets).
    pub seccomp: bool,
    /// macOS only: whether /usr/bin/sandbox-exec exists.
    pub seatbelt: bool,
    /// Whether unprivileged user + mount namespaces work (needed to keep `.git` read-only).
    pub user_namespaces: bool,
    /// Whether `read-only` and `workspace-write` can run here at all.
    pub available: bool,
    /// Plain-language notes on anything weaker than the documented semantics.
    pub limitations: Vec<String>,
}

/// The session core (wasm-ui-core) has the same enum for its configuration; both export the one
/// TypeScript type `SandboxMode`, and a test below keeps their wire forms identical.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum SandboxMode {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

impl SandboxMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SandboxMode::ReadOnly => "read-only",
            SandboxMode::WorkspaceWrite => "workspace-write",
            SandboxMode::DangerFullAccess => "danger-full-access",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "read-only" => Some(SandboxMode::ReadOnly),
            "workspace-write" => Some(SandboxMode::WorkspaceWrite),
            "danger-full-access" => Some(SandboxMode::DangerFullAccess),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct SandboxPolicy {
    pub mode: SandboxMode,
    /// Directories (absolute) writable in `workspace-write`. Ignored by the other modes.
    #[serde(default)]
    #[ts(optional)]
    pub writable_roots: Option<Vec<String>>,
    /// Allow network sockets (anything but AF_UNIX). Default false.
    #[serde(default)]
    #[ts(optional)]
    pub network: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct ExecStartParams {
    /// Program and arguments; argv[0] is looked up in PATH.
    pub argv: Vec<String>,
    /// Working directory (absolute, must exist).
    pub cwd: String,
    /// Variables to set (a string) or remove (null) on top of the sidecar's filtered environment.
    #[serde(default)]
    #[ts(optional)]
    pub env: Option<BTreeMap<String, Option<String>>>,
    /// Run in a pseudo-terminal (default true). False: pipes, stdout and stderr apart.
    #[serde(default)]
    #[ts(optional)]
    pub tty: Option<bool>,
    #[serde(default)]
    #[ts(optional)]
    pub cols: Option<u16>,
    #[serde(default)]
    #[ts(optional)]
    pub rows: Option<u16>,
    /// Kill the command's process group after this many milliseconds.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub timeout_ms: Option<u64>,
    /// Bound on `exec/exited`'s head + tail (bytes of UTF-8). Default 1 MiB.
    #[serde(default)]
    #[ts(optional, type = "number")]
    pub output_limit_bytes: Option<u64>,
    /// Required: running without a sandbox has to be asked for (`danger-full-access`).
    pub sandbox: SandboxPolicy,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExecStartResult {
    pub exec_id: String,
    pub pid: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum OutputStream {
    /// Standard output, or everything a PTY command prints.
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExecOutputNotification {
    pub exec_id: String,
    pub stream: OutputStream,
    /// UTF-8 text, never split inside a character; invalid bytes became U+FFFD.
    pub text: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExecOutputSummary {
    /// The first part of the output (up to half of outputLimitBytes).
    pub head: String,
    /// The last part of the output; empty when head already holds everything.
    pub tail: String,
    /// Bytes of (decoded) output in all.
    #[ts(type = "number")]
    pub total_bytes: u64,
    /// Bytes between head and tail that were left out.
    #[ts(type = "number")]
    pub truncated_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExecExitedNotification {
    pub exec_id: String,
    /// Exit status when the program exited by itself; null when a signal ended it.
    pub exit_code: Option<i32>,
    /// Signal name (e.g. "SIGKILL") when a signal ended it.
    pub signal: Option<String>,
    pub timed_out: bool,
    #[ts(type = "number")]
    pub duration_ms: u64,
    pub output: ExecOutputSummary,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct ExecWriteParams {
    pub exec_id: String,
    /// Text to write to the command's stdin (the PTY, or the stdin pipe).
    pub data: String,
    /// After the data, signal end of input: close the stdin pipe, or send Ctrl-D to a PTY.
    #[serde(default)]
    #[ts(optional)]
    pub eof: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct ExecResizeParams {
    pub exec_id: String,
    pub cols: u16,
    pub rows: u16,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct ExecKillParams {
    pub exec_id: String,
}

/// The policy for the writes the host makes on the model's behalf (apply_patch): the same rules
/// the sandbox gives commands. `read-only` allows nothing; otherwise every path must resolve beneath
/// one of `writableRoots`, and nothing inside a git directory is ever written.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct WritePolicy {
    pub mode: SandboxMode,
    /// Absolute, existing directories writes may land in (the workspace root first).
    pub writable_roots: Vec<String>,
}

/// One file change with its final contents (computed by the patch engine).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum FsChange {
    /// Create or replace `path` with `contents` (an existing file keeps its permission bits).
    Write { path: String, contents: String },
    /// Remove `path` (a symbolic link is removed itself, not what it points to).
    Delete { path: String },
    /// Write `contents` to `to` and remove `from`.
    Move {
        from: String,
        to: String,
        contents: String,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct FsApplyChangesParams {
    /// Absolute directory the change paths are relative to (the workspace root).
    pub cwd: String,
    pub policy: WritePolicy,
    /// Applied all or nothing, in order. Paths are relative, `/`-separated, normalised (no empty,
    /// `.` or `..` components).
    pub changes: Vec<FsChange>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FsApplyChangesResult {
    /// Files written (created or replaced), as named in the request.
    pub written: Vec<String>,
    /// Files removed, as named in the request.
    pub deleted: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct FsCheckWriteParams {
    /// Absolute directory the paths are relative to.
    pub cwd: String,
    pub policy: WritePolicy,
    /// Paths about to be created or replaced.
    pub writes: Vec<String>,
    /// Paths about to be removed (a missing one is fine).
    #[serde(default)]
    #[ts(optional)]
    pub deletes: Option<Vec<String>>,
}

/// `error.data` of a sidecar application error, when it has more to say.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SidecarErrorData {
    /// A stable machine-readable reason, e.g. "program-not-found", "cwd-missing".
    pub reason: String,
}

#[cfg(test)]
mod same_shape_as_the_core {
    use super::SandboxMode;
    use wasm_ui_core::session::protocol::SandboxMode as CoreSandboxMode;

    #[test]
    fn sandbox_mode_serializes_like_the_cores() {
        for mode in [
            SandboxMode::ReadOnly,
            SandboxMode::WorkspaceWrite,
            SandboxMode::DangerFullAccess,
        ] {
            let wire = serde_json::to_value(mode).unwrap();
            let core: CoreSandboxMode = serde_json::from_value(wire.clone()).unwrap();
            assert_eq!(serde_json::to_value(core).unwrap(), wire);
            assert_eq!(wire, serde_json::Value::from(mode.as_str()));
        }
        // The core has no variant the sidecar lacks.
        for core in [
            CoreSandboxMode::ReadOnly,
            CoreSandboxMode::WorkspaceWrite,
            CoreSandboxMode::DangerFullAccess,
        ] {
            let _: SandboxMode =
                serde_json::from_value(serde_json::to_value(core).unwrap()).unwrap();
        }
    }
}
