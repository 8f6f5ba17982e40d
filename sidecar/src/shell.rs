//! Which shell the model is told about: one that exists here. Unix: `$SHELL` when it names an
//! existing file, else bash, else sh. Windows: PowerShell 7 (`pwsh.exe` on PATH), else Windows
//! PowerShell, else cmd (`%ComSpec%`); Git Bash's bash is listed among the others when installed.
//! A PowerShell counts only once it has run one expression and printed its value (Wine ships a
//! `powershell.exe` that runs nothing; a machine's policy can block it): found once, then kept.
use crate::protocol::ShellInfo;
use std::path::{Path, PathBuf};

fn info(kind: &str, path: &Path) -> ShellInfo {
    ShellInfo {
        kind: kind.to_string(),
        path: path.to_string_lossy().into_owned(),
        others: Vec::new(),
    }
}

/// The kind of a shell from its file name (`/usr/bin/zsh` -> `zsh`, `PWSH.EXE` -> `pwsh`).
#[cfg_attr(windows, allow(dead_code))]
pub fn kind_of(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match stem.as_str() {
        "bash" | "zsh" | "fish" | "pwsh" | "powershell" | "cmd" | "dash" | "ksh" => stem,
        _ => "sh".into(),
    }
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

#[cfg(unix)]
pub fn detect() -> ShellInfo {
    let from_env = std::env::var_os("SHELL")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_file());
    let path = from_env
        .or_else(|| on_path("bash"))
        .or_else(|| Some(PathBuf::from("/bin/sh")).filter(|p| p.exists()))
        .unwrap_or_else(|| PathBuf::from("/bin/sh"));
    info(&kind_of(&path), &path)
}

/// How long a PowerShell may take to answer the probe; one slower than this is taken as working
/// (it exists and started; a cold start on a busy machine can take seconds).
#[cfg(windows)]
const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Whether the PowerShell at `path` runs a command: `6*7` must come back as `42`.
#[cfg(windows)]
fn powershell_answers(path: &Path) -> bool {
    use std::io::Read;
    use std::os::windows::process::CommandExt;
    use std::process::{Command, Stdio};
    let child = Command::new(path)
        .args([
            "-NoLogo",
            "-NoProfile",
            "-NonInteractive",
            "-Command",
            "[Console]::Out.Write(6*7)",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .creation_flags(windows_sys::Win32::System::Threading::CREATE_NO_WINDOW)
        .spawn();
    let Ok(mut child) = child else {
        return false;
    };
    let mut out = child.stdout.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = out.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    match rx.recv_timeout(PROBE_TIMEOUT) {
        Ok(text) => {
            let _ = child.wait();
            let _ = reader.join();
            text.trim() == "42"
        }
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            true
        }
    }
}

#[cfg(windows)]
pub fn detect() -> ShellInfo {
    static FOUND: std::sync::OnceLock<ShellInfo> = std::sync::OnceLock::new();
    FOUND.get_or_init(find).clone()
}

#[cfg(windows)]
fn find() -> ShellInfo {
    let env_dir = |var: &str, rest: &[&str]| {
        std::env::var_os(var).map(|v| rest.iter().fold(PathBuf::from(v), |p, r| p.join(r)))
    };
    let windows_powershell = env_dir(
        "SystemRoot",
        &["System32", "WindowsPowerShell", "v1.0", "powershell.exe"],
    )
    .filter(|p| p.is_file());
    let cmd = std::env::var_os("ComSpec")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| env_dir("SystemRoot", &["System32", "cmd.exe"]).filter(|p| p.is_file()))
        .unwrap_or_else(|| PathBuf::from("cmd.exe"));
    let git_bash = ["ProgramFiles", "ProgramW6432", "LocalAppData"]
        .iter()
        .filter_map(|v| {
            let sub: &[&str] = if *v == "LocalAppData" {
                &["Programs", "Git", "bin", "bash.exe"]
            } else {
                &["Git", "bin", "bash.exe"]
            };
            env_dir(v, sub)
        })
        .find(|p| p.is_file());
    let mut found: Vec<ShellInfo> = Vec::new();
    if let Some(p) = on_path("pwsh.exe").filter(|p| powershell_answers(p)) {
        found.push(info("pwsh", &p));
    }
    if let Some(p) = windows_powershell.filter(|p| powershell_answers(p)) {
        found.push(info("powershell", &p));
    }
    found.push(info("cmd", &cmd));
    if let Some(p) = git_bash {
        found.push(info("bash", &p));
    }
    let mut first = found.remove(0);
    first.others = found;
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_come_from_the_file_name() {
        assert_eq!(kind_of(Path::new("/usr/bin/zsh")), "zsh");
        assert_eq!(kind_of(Path::new("/bin/bash")), "bash");
        assert_eq!(kind_of(Path::new("/opt/weird/myshell")), "sh");
        assert_eq!(kind_of(Path::new("PWSH.EXE")), "pwsh");
        assert_eq!(kind_of(Path::new("cmd.exe")), "cmd");
    }

    #[test]
    fn the_detected_shell_exists() {
        let s = detect();
        assert!(Path::new(&s.path).exists(), "{s:?}");
        assert_eq!(s.kind, kind_of(Path::new(&s.path)));
    }
}
