//! The OS sandbox. The sidecar never sandboxes itself. On Linux it prepares a command's sandbox and
//! clones the command's PID namespace's init itself, which sets it up and forks the command
//! (linux_start.rs);
//! elsewhere (and where preparing fails) it starts `tack-sidecar sandbox ...` in front of the
//! command, and that launcher locks itself down and then becomes the command (execvp).
use crate::protocol::{SandboxInfo, SandboxMode};
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::path::PathBuf;

pub mod git_guard;
#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
mod linux_start;
#[cfg(target_os = "linux")]
pub use linux_start::{prepare_direct, pts_path, Prepared, Spawned as DirectChild};
#[cfg(target_os = "macos")]
mod macos;
mod seatbelt;

/// Parsed `tack-sidecar sandbox --mode MODE [--writable-root DIR]... [--temp-dir DIR] [--network]
/// [--git-scanned [--git-entry PATH]...] -- ARGV...`.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchSpec {
    pub mode: SandboxMode,
    pub writable_roots: Vec<PathBuf>,
    /// The temp dir writable in workspace-write. Given explicitly (the sidecar passes the one of its
    /// own environment): the launcher never reads TMPDIR, which is the command's, from a request.
    pub temp_dir: Option<PathBuf>,
    pub network: bool,
    /// workspace-write: the `.git` entries the sidecar's own scan found just before the command
    /// (`git_guard::scan` keys), so the launcher does not walk the workspace again. None: the
    /// launcher scans itself.
    pub git_entries: Option<Vec<PathBuf>>,
    /// workspace-write: directories kept read-only when they lie inside a writable root or the temp
    /// dir: Tack's own (`tack_home`), whose files later run or are trusted outside the sandbox (the
    /// user-level mcp.json, the CLI's code cache). Given by the sidecar from its own environment.
    pub protected_dirs: Vec<PathBuf>,
    pub argv: Vec<OsString>,
}

pub const USAGE: &str =
    "usage: tack-sidecar sandbox --mode read-only|workspace-write|danger-full-access [--writable-root DIR]... [--temp-dir DIR] [--network] [--git-scanned [--git-entry PATH]...] [--protect DIR]... -- PROGRAM [ARG]...";

impl LaunchSpec {
    pub fn parse(args: &[OsString]) -> Result<Self, String> {
        let mut mode = None;
        let mut writable_roots = Vec::new();
        let mut temp_dir = None;
        let mut network = false;
        let mut git_entries: Option<Vec<PathBuf>> = None;
        let mut protected_dirs = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let a = args[i].to_string_lossy();
            match a.as_ref() {
                "--mode" => {
                    let v = args.get(i + 1).ok_or("--mode needs a value")?;
                    let v = v.to_string_lossy();
                    mode = Some(
                        SandboxMode::parse(&v)
                            .ok_or_else(|| format!("unknown sandbox mode {v:?}"))?,
                    );
                    i += 2;
                }
                "--writable-root" => {
                    let v = args.get(i + 1).ok_or("--writable-root needs a directory")?;
                    writable_roots.push(PathBuf::from(v));
                    i += 2;
                }
                "--temp-dir" => {
                    let v = args.get(i + 1).ok_or("--temp-dir needs a directory")?;
                    temp_dir = Some(PathBuf::from(v));
                    i += 2;
                }
                "--network" => {
                    network = true;
                    i += 1;
                }
                "--git-scanned" => {
                    git_entries.get_or_insert_with(Vec::new);
                    i += 1;
                }
                "--protect" => {
                    let v = args.get(i + 1).ok_or("--protect needs a directory")?;
                    protected_dirs.push(PathBuf::from(v));
                    i += 2;
                }
                "--git-entry" => {
                    let v = args.get(i + 1).ok_or("--git-entry needs a path")?;
                    git_entries
                        .as_mut()
                        .ok_or("--git-entry comes after --git-scanned")?
                        .push(PathBuf::from(v));
                    i += 2;
                }
                "--" => {
                    let argv: Vec<OsString> = args[i + 1..].to_vec();
                    if argv.is_empty() {
                        return Err("no command after --".into());
                    }
                    let mode = mode.ok_or("--mode is required")?;
                    return Ok(LaunchSpec {
                        mode,
                        writable_roots,
                        temp_dir,
                        network,
                        git_entries,
                        protected_dirs,
                        argv,
                    });
                }
                other => return Err(format!("unexpected argument {other:?}")),
            }
        }
        Err("missing -- before the command".into())
    }

    /// The sidecar's re-exec of itself (after the program path): `sandbox-launch SPEC -- ARGV...`,
    /// the spec as one JSON argument (`from_exec_args` reads it back). When the `.git` entry list
    /// would make that argument too long for one exec argument, it is left out and the launcher
    /// scans itself.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut spec = WireSpec::of(self, true);
        let mut json = serde_json::to_string(&spec).expect("a spec serializes");
        if json.len() > SPEC_ARG_MAX {
            spec = WireSpec::of(self, false);
            json = serde_json::to_string(&spec).expect("a spec serializes");
        }
        let mut out: Vec<OsString> = vec![EXEC_SUBCOMMAND.into(), json.into(), "--".into()];
        out.extend(self.argv.iter().cloned());
        out
    }

    /// Reads `SPEC -- ARGV...` as `to_args` wrote it (after `sandbox-launch`).
    pub fn from_exec_args(args: &[OsString]) -> Result<Self, String> {
        let (Some(json), Some(sep)) = (args.first(), args.get(1)) else {
            return Err("expected SPEC -- PROGRAM [ARG]...".into());
        };
        if sep != "--" {
            return Err("missing -- after the spec".into());
        }
        let argv: Vec<OsString> = args[2..].to_vec();
        if argv.is_empty() {
            return Err("no command after --".into());
        }
        let json = json.to_str().ok_or("the spec is not UTF-8")?;
        let w: WireSpec =
            serde_json::from_str(json).map_err(|e| format!("bad sandbox spec: {e}"))?;
        let paths = |v: Vec<WireOs>| -> Result<Vec<PathBuf>, String> {
            v.into_iter()
                .map(|p| p.into_os().map(PathBuf::from))
                .collect()
        };
        Ok(LaunchSpec {
            mode: SandboxMode::parse(&w.mode)
                .ok_or_else(|| format!("unknown sandbox mode {:?}", w.mode))?,
            writable_roots: paths(w.writable_roots)?,
            temp_dir: w
                .temp_dir
                .map(|t| t.into_os().map(PathBuf::from))
                .transpose()?,
            network: w.network,
            git_entries: w.git_entries.map(paths).transpose()?,
            protected_dirs: paths(w.protected_dirs)?,
            argv,
        })
    }
}

/// The subcommand of the sidecar's internal re-exec (not for people: see `sandbox`).
pub const EXEC_SUBCOMMAND: &str = "sandbox-launch";

/// The longest spec argument written: Linux refuses any one exec argument over 128 KiB.
const SPEC_ARG_MAX: usize = 96 * 1024;

/// A launch spec as the one JSON argument of `sandbox-launch` (the command's argv follows `--`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireSpec {
    mode: String,
    writable_roots: Vec<WireOs>,
    temp_dir: Option<WireOs>,
    network: bool,
    git_entries: Option<Vec<WireOs>>,
    #[serde(default)]
    protected_dirs: Vec<WireOs>,
}

impl WireSpec {
    fn of(spec: &LaunchSpec, with_git_entries: bool) -> WireSpec {
        let wire = |p: &PathBuf| WireOs::of(p.as_os_str());
        WireSpec {
            mode: spec.mode.as_str().to_string(),
            writable_roots: spec.writable_roots.iter().map(wire).collect(),
            temp_dir: spec.temp_dir.as_ref().map(wire),
            network: spec.network,
            git_entries: spec
                .git_entries
                .as_ref()
                .filter(|_| with_git_entries)
                .map(|e| e.iter().map(wire).collect()),
            protected_dirs: spec.protected_dirs.iter().map(wire).collect(),
        }
    }
}

/// A path in the spec: text when it is Unicode, else its raw bytes (Unix) or UTF-16 units
/// (Windows), so no file name is changed on the way.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
enum WireOs {
    Text(String),
    Raw { raw: Vec<u16> },
    Bytes { bytes: Vec<u8> },
}

impl WireOs {
    fn of(s: &std::ffi::OsStr) -> WireOs {
        if let Some(t) = s.to_str() {
            return WireOs::Text(t.to_string());
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            WireOs::Bytes {
                bytes: s.as_bytes().to_vec(),
            }
        }
        #[cfg(windows)]
        {
            use std::os::windows::ffi::OsStrExt;
            WireOs::Raw {
                raw: s.encode_wide().collect(),
            }
        }
    }

    fn into_os(self) -> Result<OsString, String> {
        match self {
            WireOs::Text(t) => Ok(t.into()),
            #[cfg(unix)]
            WireOs::Bytes { bytes } => {
                use std::os::unix::ffi::OsStringExt;
                Ok(OsString::from_vec(bytes))
            }
            #[cfg(windows)]
            WireOs::Raw { raw } => {
                use std::os::windows::ffi::OsStringExt;
                Ok(OsString::from_wide(&raw))
            }
            #[allow(unreachable_patterns)]
            _ => Err("a path in the spec is in another platform's form".into()),
        }
    }
}

/// The program that re-executes this binary. On Linux `/proc/self/exe` still names the right file in
/// the forked child even if the binary on disk was replaced since the sidecar started.
pub fn self_exe() -> PathBuf {
    if cfg!(target_os = "linux") {
        PathBuf::from("/proc/self/exe")
    } else {
        std::env::current_exe().unwrap_or_else(|_| PathBuf::from("tack-sidecar"))
    }
}

/// Pids of the sidecar's own children it has not reaped yet: running commands and a running probe.
/// Any other child is an orphan a command left behind (the sidecar is the sub-reaper); see
/// `exec::end_orphans`. Held while spawning, so a child just forked is never taken for an orphan.
static CHILDREN: std::sync::Mutex<Vec<i32>> = std::sync::Mutex::new(Vec::new());

pub fn children() -> std::sync::MutexGuard<'static, Vec<i32>> {
    CHILDREN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Probe what this machine can enforce. Cheap enough to run once per sidecar.
pub fn probe() -> SandboxInfo {
    #[cfg(target_os = "linux")]
    {
        linux::probe()
    }
    #[cfg(target_os = "macos")]
    {
        macos::probe()
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        SandboxInfo {
            landlock_abi: None,
            seccomp: false,
            seatbelt: false,
            user_namespaces: false,
            available: false,
            limitations: vec![if cfg!(windows) {
                "Windows has no OS sandbox in Tack yet: read-only and workspace-write cannot be enforced, so commands run only unsandboxed (danger-full-access), which the host does only after the person approves each one that is not known-safe".into()
            } else {
                "no sandbox is implemented for this platform".into()
            }],
        }
    }
}

/// Why the launcher could not become the command, and the exit status it reports.
#[derive(Debug)]
pub struct LaunchError {
    pub message: String,
    pub exit_code: i32,
}

impl LaunchError {
    /// The sandbox could not be set up: the command was not run.
    #[cfg_attr(target_os = "macos", allow(dead_code))]
    pub fn setup(message: String) -> Self {
        LaunchError {
            message: format!("sandbox setup failed, not running the command: {message}"),
            exit_code: 126,
        }
    }
}

/// Run the launcher: lock this process down, then exec the command. Returns only on failure.
pub fn launch(spec: &LaunchSpec) -> LaunchError {
    if spec.mode == SandboxMode::DangerFullAccess {
        // No sandbox, but the command still does not outlive whoever started it (the sidecar
        // starts unsandboxed PTY commands through here for exactly this where it cannot start
        // them itself: not Linux, or a kernel without TIOCGPTPEER).
        #[cfg(target_os = "linux")]
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL)
        };
        return exec_plain(&spec.argv);
    }
    #[cfg(target_os = "linux")]
    {
        linux::launch(spec)
    }
    #[cfg(target_os = "macos")]
    {
        macos::launch(spec)
    }
    #[cfg(not(any(target_os = "linux", target_os = "macos")))]
    {
        LaunchError::setup("no sandbox is implemented for this platform".into())
    }
}

/// execvp; returns only if it fails (127 when the program is missing, like a shell).
#[cfg(unix)]
pub fn exec_plain(argv: &[OsString]) -> LaunchError {
    use std::os::unix::process::CommandExt;
    let err = std::process::Command::new(&argv[0]).args(&argv[1..]).exec();
    LaunchError {
        message: format!("cannot run {}: {err}", argv[0].to_string_lossy()),
        exit_code: if err.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        },
    }
}

/// Windows has no exec: run the command, wait, and exit with its code. Returns only if it cannot start.
#[cfg(windows)]
pub fn exec_plain(argv: &[OsString]) -> LaunchError {
    match std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .status()
    {
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(err) => LaunchError {
            message: format!("cannot run {}: {err}", argv[0].to_string_lossy()),
            exit_code: if err.kind() == std::io::ErrorKind::NotFound {
                127
            } else {
                126
            },
        },
    }
}

/// Tack's own directory (`$TACK_HOME`, else `~/.tack`), from the sidecar's environment (the host's),
/// never a request's. Sessions, checkpoints, the user-level mcp.json (trusted without asking) and the
/// CLI's code cache live there: a command must not write it even when it lies inside a writable root.
pub fn tack_home() -> Option<PathBuf> {
    if let Some(h) = std::env::var_os("TACK_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(h));
    }
    let home = std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
        .filter(|v| !v.is_empty())?;
    Some(PathBuf::from(home).join(".tack"))
}

/// Where Tack's own directory really is, for comparing the real paths of writes with it: its
/// canonical path, or, while it does not exist yet, its deepest existing ancestor's canonical path
/// with the missing components appended (a write there would create it).
pub fn tack_home_real() -> Option<PathBuf> {
    let home = tack_home()?;
    let mut missing = Vec::new();
    let mut at = home.as_path();
    loop {
        if let Ok(real) = at.canonicalize() {
            return Some(missing.iter().rev().fold(real, |p, c| p.join(c)));
        }
        missing.push(at.file_name()?.to_os_string());
        at = at.parent()?;
    }
}

/// The directory commands may use for temporary files in workspace-write: from the sidecar's own
/// environment (never from a request's), passed to the launcher with `--temp-dir`.
#[cfg(windows)]
pub fn temp_dir() -> PathBuf {
    std::env::temp_dir()
}

/// The directory commands may use for temporary files in workspace-write: from the sidecar's own
/// environment (never from a request's), passed to the launcher with `--temp-dir`.
#[cfg(unix)]
pub fn temp_dir() -> PathBuf {
    std::env::var_os("TMPDIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

/// `tack-sidecar probe-userns`: the exit code tells the probe which namespaces and mounts work.
#[cfg(target_os = "linux")]
pub fn probe_namespaces() -> i32 {
    linux::probe_namespaces()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(v: &[&str]) -> Vec<OsString> {
        v.iter().map(OsString::from).collect()
    }

    #[test]
    fn parse_round_trips() {
        let spec = LaunchSpec::parse(&os(&[
            "--mode",
            "workspace-write",
            "--writable-root",
            "/w",
            "--temp-dir",
            "/t",
            "--network",
            "--",
            "ls",
            "-l",
        ]))
        .unwrap();
        assert_eq!(spec.mode, SandboxMode::WorkspaceWrite);
        assert_eq!(spec.writable_roots, vec![PathBuf::from("/w")]);
        assert_eq!(spec.temp_dir, Some(PathBuf::from("/t")));
        assert!(spec.network);
        assert_eq!(spec.argv, os(&["ls", "-l"]));
        let args = spec.to_args();
        assert_eq!(args[0], EXEC_SUBCOMMAND);
        assert_eq!(LaunchSpec::from_exec_args(&args[1..]).unwrap(), spec);
    }

    #[test]
    fn the_re_exec_spec_is_one_json_argument_and_round_trips_every_path() {
        #[cfg(unix)]
        let odd = {
            use std::os::unix::ffi::OsStringExt;
            PathBuf::from(OsString::from_vec(b"/w/caf\xe9/.git".to_vec()))
        };
        #[cfg(not(unix))]
        let odd = PathBuf::from("C:\\w\\.git");
        let spec = LaunchSpec {
            mode: SandboxMode::WorkspaceWrite,
            writable_roots: vec![
                PathBuf::from("/w"),
                PathBuf::from("/with \"quotes\" and\nnewline"),
            ],
            temp_dir: Some(PathBuf::from("/tmp")),
            network: false,
            git_entries: Some(vec![PathBuf::from("/w/.git"), odd]),
            protected_dirs: vec![PathBuf::from("/w/.tack")],
            argv: os(&["bash", "-lc", "echo -- --mode danger-full-access"]),
        };
        let args = spec.to_args();
        // sandbox-launch, the spec, --, then the command's own arguments untouched.
        assert_eq!(args.len(), 3 + spec.argv.len());
        assert_eq!(args[2], "--");
        assert_eq!(&args[3..], &spec.argv[..]);
        let json: serde_json::Value = serde_json::from_str(args[1].to_str().unwrap()).unwrap();
        assert_eq!(json["mode"], "workspace-write");
        assert_eq!(LaunchSpec::from_exec_args(&args[1..]).unwrap(), spec);
    }

    #[test]
    fn a_spec_too_long_for_one_argument_leaves_the_git_scan_to_the_launcher() {
        let entries: Vec<PathBuf> = (0..5000)
            .map(|i| PathBuf::from(format!("/workspace/vendor/package-{i:05}/.git")))
            .collect();
        let spec = LaunchSpec {
            mode: SandboxMode::WorkspaceWrite,
            writable_roots: vec![PathBuf::from("/workspace")],
            temp_dir: None,
            network: false,
            git_entries: Some(entries),
            protected_dirs: Vec::new(),
            argv: os(&["true"]),
        };
        let args = spec.to_args();
        assert!(args[1].len() <= SPEC_ARG_MAX);
        let back = LaunchSpec::from_exec_args(&args[1..]).unwrap();
        assert_eq!(back.git_entries, None);
        assert_eq!(back.writable_roots, spec.writable_roots);
    }

    #[test]
    fn a_bad_re_exec_spec_is_refused() {
        for (args, why) in [
            (os(&[]), "expected SPEC"),
            (os(&["{}", "ls"]), "missing --"),
            (
                os(&[
                    r#"{"mode":"read-only","writable_roots":[],"temp_dir":null,"network":false,"git_entries":null}"#,
                    "--",
                ]),
                "no command",
            ),
            (os(&["not json", "--", "ls"]), "bad sandbox spec"),
            (
                os(&[
                    r#"{"mode":"open","writable_roots":[],"temp_dir":null,"network":false,"git_entries":null}"#,
                    "--",
                    "ls",
                ]),
                "unknown sandbox mode",
            ),
            (
                os(&[
                    r#"{"mode":"read-only","writable_roots":[],"temp_dir":null,"network":true,"git_entries":null,"extra":1}"#,
                    "--",
                    "ls",
                ]),
                "unknown field",
            ),
        ] {
            let err = LaunchSpec::from_exec_args(&args).unwrap_err();
            assert!(err.contains(why), "{args:?}: {err}");
        }
    }

    #[test]
    fn parse_rejects_bad_input_clearly() {
        assert!(LaunchSpec::parse(&os(&["--mode", "open", "--", "ls"]))
            .unwrap_err()
            .contains("unknown sandbox mode"));
        assert!(LaunchSpec::parse(&os(&["--", "ls"]))
            .unwrap_err()
            .contains("--mode is required"));
        assert!(LaunchSpec::parse(&os(&["--mode", "read-only", "--"]))
            .unwrap_err()
            .contains("no command"));
        assert!(LaunchSpec::parse(&os(&["--mode", "read-only", "ls"]))
            .unwrap_err()
            .contains("unexpected"));
    }
}
