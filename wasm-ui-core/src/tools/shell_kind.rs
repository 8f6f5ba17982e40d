//! Which kind of shell the configured one is, and the argv that runs a script with it: POSIX shells
//! take `-lc script` (`-c` without a login shell), PowerShell `-NoProfile -Command script`, cmd
//! `/d /s /c script`. The configured shell is a path on the machine the sidecar runs on (a Unix path,
//! or a Windows one such as `C:\Windows\System32\cmd.exe`), so names are read with both separators.

/// How a shell takes a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    /// bash, zsh, sh, dash, ksh, fish and anything unknown: `-c`, `-lc` for a login shell.
    Posix,
    /// PowerShell 7 (`pwsh`) or Windows PowerShell (`powershell`).
    PowerShell,
    /// Windows' cmd.exe.
    Cmd,
}

/// The file name of a shell path, either separator, without a `.exe` (any case).
fn base_name(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.len().checked_sub(4) {
        Some(i) if name.is_char_boundary(i) && name[i..].eq_ignore_ascii_case(".exe") => &name[..i],
        _ => name,
    }
}

/// The shell's name as the model is told it (`bash`, `zsh`, `pwsh`, `powershell`, `cmd`).
pub fn shell_name(path: &str) -> String {
    let base = base_name(path);
    if base.is_empty() {
        return path.to_string();
    }
    base.to_ascii_lowercase()
}

pub fn shell_kind(path: &str) -> ShellKind {
    match shell_name(path).as_str() {
        "pwsh" | "powershell" => ShellKind::PowerShell,
        "cmd" => ShellKind::Cmd,
        _ => ShellKind::Posix,
    }
}

/// The argv that runs `script` with `shell` (`login`: a POSIX login shell, `-lc`).
pub fn shell_argv(shell: &str, script: &str, login: bool) -> Vec<String> {
    let mut argv = vec![shell.to_string()];
    match shell_kind(shell) {
        ShellKind::Posix => argv.push(if login { "-lc" } else { "-c" }.into()),
        // No profile: a person's profile can print, prompt or change what commands mean.
        ShellKind::PowerShell => argv.extend(["-NoProfile".into(), "-Command".into()]),
        // /d: no AutoRun commands from the registry; /s /c: the rest of the line is the command,
        // run as written (only the outer quotes are removed).
        ShellKind::Cmd => argv.extend(["/d".into(), "/s".into(), "/c".into()]),
    }
    argv.push(script.to_string());
    argv
}

fn is_windows_path(p: &str) -> bool {
    let b = p.as_bytes();
    p.contains('\\') || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// Whether `program` (a shell the model named) is the configured shell: exactly its path (any case
/// for a Windows path), or a bare word naming it (`bash`; `powershell` or `powershell.exe` for
/// `C:\...\powershell.exe`). `./scripts/bash`, `/tmp/bash` and `C:\tmp\cmd.exe` are not the shell.
pub fn is_configured_shell(program: &str, configured: &str) -> bool {
    if program == configured {
        return true;
    }
    let windows = is_windows_path(configured);
    if windows && program.eq_ignore_ascii_case(configured) {
        return true;
    }
    if program.contains(['/', '\\']) || program.contains(':') {
        return false;
    }
    let own = configured.rsplit(['/', '\\']).next().unwrap_or(configured);
    if windows {
        program.eq_ignore_ascii_case(own) || program.eq_ignore_ascii_case(base_name(configured))
    } else {
        program == own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn kinds_and_names() {
        assert_eq!(shell_kind("/bin/bash"), ShellKind::Posix);
        assert_eq!(shell_kind("zsh"), ShellKind::Posix);
        assert_eq!(shell_kind("/opt/odd shell"), ShellKind::Posix);
        assert_eq!(
            shell_kind("C:\\Program Files\\PowerShell\\7\\pwsh.exe"),
            ShellKind::PowerShell
        );
        assert_eq!(
            shell_kind("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\POWERSHELL.EXE"),
            ShellKind::PowerShell
        );
        assert_eq!(shell_kind("C:\\Windows\\system32\\cmd.exe"), ShellKind::Cmd);
        assert_eq!(shell_kind("cmd"), ShellKind::Cmd);
        assert_eq!(
            shell_kind("C:\\Program Files\\Git\\bin\\bash.exe"),
            ShellKind::Posix
        );
        assert_eq!(shell_name("/usr/bin/zsh"), "zsh");
        assert_eq!(shell_name("C:\\Windows\\system32\\CMD.EXE"), "cmd");
        assert_eq!(
            shell_name("C:\\Program Files\\PowerShell\\7\\pwsh.exe"),
            "pwsh"
        );
        assert_eq!(shell_name("bash"), "bash");
        // A name that is all extension, or multi-byte, does not panic.
        assert_eq!(shell_name(".exe"), ".exe");
        assert_eq!(shell_name("/bin/é"), "é");
    }

    #[test]
    fn argv_for_each_kind() {
        assert_eq!(
            shell_argv("/bin/bash", "ls -la", true),
            v(&["/bin/bash", "-lc", "ls -la"])
        );
        assert_eq!(
            shell_argv("/bin/zsh", "ls", false),
            v(&["/bin/zsh", "-c", "ls"])
        );
        let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
        assert_eq!(
            shell_argv(ps, "Get-ChildItem | Select-Object Name", true),
            v(&[
                ps,
                "-NoProfile",
                "-Command",
                "Get-ChildItem | Select-Object Name"
            ])
        );
        let pwsh = "C:\\Program Files\\PowerShell\\7\\pwsh.exe";
        assert_eq!(
            shell_argv(pwsh, "echo hi", false),
            v(&[pwsh, "-NoProfile", "-Command", "echo hi"])
        );
        let cmd = "C:\\Windows\\system32\\cmd.exe";
        assert_eq!(
            shell_argv(cmd, "dir /b & echo \"done\"", true),
            v(&[cmd, "/d", "/s", "/c", "dir /b & echo \"done\""])
        );
        let git_bash = "C:\\Program Files\\Git\\bin\\bash.exe";
        assert_eq!(
            shell_argv(git_bash, "ls", true),
            v(&[git_bash, "-lc", "ls"])
        );
        // The script stays one argument, whatever it holds.
        let tricky = "a\nb; rm -rf / \"'";
        assert_eq!(shell_argv("bash", tricky, true).last().unwrap(), tricky);
    }

    #[test]
    fn the_model_may_name_only_the_configured_shell() {
        assert!(is_configured_shell("/bin/bash", "/bin/bash"));
        assert!(is_configured_shell("bash", "/bin/bash"));
        assert!(!is_configured_shell("./bash", "/bin/bash"));
        assert!(!is_configured_shell("/tmp/bash", "/bin/bash"));
        assert!(!is_configured_shell("BASH", "/bin/bash"));
        let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
        assert!(is_configured_shell("powershell", ps));
        assert!(is_configured_shell("PowerShell.exe", ps));
        assert!(is_configured_shell(&ps.to_lowercase(), ps));
        assert!(!is_configured_shell("pwsh", ps));
        assert!(!is_configured_shell(".\\powershell.exe", ps));
        assert!(!is_configured_shell("C:\\tmp\\powershell.exe", ps));
        assert!(!is_configured_shell("C:powershell.exe", ps));
        assert!(!is_configured_shell("cmd", ps));
        assert!(is_configured_shell("cmd", "C:\\Windows\\system32\\cmd.exe"));
    }
}
