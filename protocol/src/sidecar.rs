//! The sidecar's JSON-RPC shapes (params, results, notifications). The sidecar serves them; the core's
//! exec effect carries `ExecStartParams` as is, and the host forwards it.
use crate::SandboxMode;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct InitializeParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub client_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub client_version: Option<String>,
    /// Ask for `exec/output` as raw frames: a header line (`ExecOutputFrame`, whose `bytes` says how
    /// long the text is), then the text's UTF-8 bytes as they are, then a newline; no JSON escaping.
    /// Decided once per sidecar: by the first `initialize`, or as plain JSON lines by the first
    /// output when no `initialize` came before it. The result's `rawOutput` says what holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub raw_output: Option<bool>,
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
    /// Whether `exec/output` comes as raw frames (`InitializeParams.rawOutput`) rather than as
    /// `ExecOutputNotification` JSON lines.
    pub raw_output: bool,
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct SandboxPolicy {
    pub mode: SandboxMode,
    /// Directories (absolute) writable in `workspace-write`. Ignored by the other modes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub writable_roots: Option<Vec<String>>,
    /// Allow network sockets (anything but AF_UNIX). Default false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub network: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct ExecStartParams {
    /// Program and arguments; argv[0] is looked up in PATH.
    pub argv: Vec<String>,
    /// Working directory (absolute, must exist).
    pub cwd: String,
    /// Variables to set (a string) or remove (null) on top of the sidecar's filtered environment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub env: Option<BTreeMap<String, Option<String>>>,
    /// Run in a pseudo-terminal (default true). False: pipes, stdout and stderr apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub tty: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub cols: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub rows: Option<u16>,
    /// Kill the command's process group after this many milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional, type = "number")]
    pub timeout_ms: Option<u64>,
    /// Bound on `exec/exited`'s head + tail (bytes of UTF-8). Default 1 MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// The header line of a raw `exec/output` frame (`InitializeParams.rawOutput`): `bytes` bytes of
/// UTF-8 text follow it as they are, then a newline. The text is what `ExecOutputNotification.text`
/// would hold. The header may have spaces before its closing braces.
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ExecOutputFrame {
    pub exec_id: String,
    pub stream: OutputStream,
    #[ts(type = "number")]
    pub bytes: u64,
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub deletes: Option<Vec<String>>,
}

/// `sandbox/prepare`: look for the `.git` entries of a workspace-write sandbox ahead of its first
/// command, so that command's scan finds what it needs remembered (docs/sidecar-protocol.md).
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[ts(export)]
pub struct SandboxPrepareParams {
    /// The writable roots the session's commands will have (absolute, existing directories).
    pub writable_roots: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SandboxPrepareResult {
    /// False where no sandbox runs workspace-write (nothing was scanned).
    pub scanned: bool,
    /// How many `.git` entries (and repository-looking directories) the scan found in and above
    /// the roots and in the temp dir's top level.
    pub git_entries: u32,
    /// False when the walk stopped at its directory or depth limit somewhere.
    pub complete: bool,
}

/// `error.data` of a sidecar application error, when it has more to say.
#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SidecarErrorData {
    /// A stable machine-readable reason, e.g. "program-not-found", "cwd-missing".
    pub reason: String,
}
