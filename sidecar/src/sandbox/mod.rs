//! The OS sandbox. The sidecar never sandboxes itself: it starts `tack-sidecar sandbox ...` in front
//! of a command, and that launcher locks itself down and then becomes the command (execvp).
use crate::protocol::{SandboxInfo, SandboxMode};
use std::ffi::OsString;
use std::path::PathBuf;

pub mod git_guard;
#[cfg(target_os = "linux")]
mod linux;
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
    pub argv: Vec<OsString>,
}

pub const USAGE: &str =
    "usage: tack-sidecar sandbox --mode read-only|workspace-write|danger-full-access [--writable-root DIR]... [--temp-dir DIR] [--network] [--git-scanned [--git-entry PATH]...] -- PROGRAM [ARG]...";

impl LaunchSpec {
    pub fn parse(args: &[OsString]) -> Result<Self, String> {
        let mut mode = None;
        let mut writable_roots = Vec::new();
        let mut temp_dir = None;
        let mut network = false;
        let mut git_entries: Option<Vec<PathBuf>> = None;
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
                        argv,
                    });
                }
                other => return Err(format!("unexpected argument {other:?}")),
            }
        }
        Err("missing -- before the command".into())
    }

    /// The launcher's own arguments (after the program path), the inverse of `parse`.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut out: Vec<OsString> =
            vec!["sandbox".into(), "--mode".into(), self.mode.as_str().into()];
        for r in &self.writable_roots {
            out.push("--writable-root".into());
            out.push(r.clone().into_os_string());
        }
        if let Some(t) = &self.temp_dir {
            out.push("--temp-dir".into());
            out.push(t.clone().into_os_string());
        }
        if self.network {
            out.push("--network".into());
        }
        if let Some(entries) = &self.git_entries {
            out.push("--git-scanned".into());
            for e in entries {
                out.push("--git-entry".into());
                out.push(e.clone().into_os_string());
            }
        }
        out.push("--".into());
        out.extend(self.argv.iter().cloned());
        out
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
        // starts unsandboxed PTY commands through here for exactly this).
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
        assert_eq!(LaunchSpec::parse(&spec.to_args()[1..]).unwrap(), spec);
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
