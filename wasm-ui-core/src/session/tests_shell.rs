//! The configured shell's kind decides the argv exec_command runs (tools/shell_kind.rs), and the
//! environment context names that shell.
use super::tests::*;
use super::*;
use serde_json::json;

fn run_with(shell: &str, args: serde_json::Value) -> Vec<String> {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.shell = shell.into();
    let mut s = Session::new(cfg);
    start(&mut s, "go");
    let out = respond(&mut s, &[fcall("c1", "exec_command", args)], 100);
    let ran = execs(&out);
    assert_eq!(ran.len(), 1, "{out:?}");
    ran[0].1.argv.clone()
}

#[test]
fn exec_command_runs_the_script_the_way_the_configured_shell_takes_it() {
    let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    assert_eq!(
        run_with(ps, json!({"cmd": "Get-ChildItem -Name"})),
        [ps, "-NoProfile", "-Command", "Get-ChildItem -Name"]
    );
    // The model may name the configured shell by its bare name, as Windows does (any case, .exe).
    assert_eq!(
        run_with(
            ps,
            json!({"cmd": "dir", "shell": "PowerShell.exe", "login": false})
        ),
        [ps, "-NoProfile", "-Command", "dir"]
    );
    let cmd = "C:\\Windows\\system32\\cmd.exe";
    assert_eq!(
        run_with(cmd, json!({"cmd": "dir /b & ver", "shell": "cmd"})),
        [cmd, "/d", "/s", "/c", "dir /b & ver"]
    );
    let git_bash = "C:\\Program Files\\Git\\bin\\bash.exe";
    assert_eq!(
        run_with(git_bash, json!({"cmd": "ls"})),
        [git_bash, "-lc", "ls"]
    );
    assert_eq!(
        run_with("/bin/zsh", json!({"cmd": "ls", "login": false})),
        ["/bin/zsh", "-c", "ls"]
    );
}

#[test]
fn a_shell_named_by_another_path_is_refused_on_windows_too() {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.shell = "C:\\Windows\\system32\\cmd.exe".into();
    let mut s = Session::new(cfg);
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall(
            "c1",
            "exec_command",
            json!({"cmd": "dir", "shell": "C:\\Users\\me\\work\\cmd.exe"}),
        )],
        100,
    );
    assert!(execs(&out).is_empty());
}

#[test]
fn the_environment_context_names_the_shell() {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.shell = "C:\\Program Files\\PowerShell\\7\\pwsh.exe".into();
    assert!(crate::prompt::environment_context(&cfg).contains("<shell>pwsh</shell>"));
    cfg.shell = "C:\\Windows\\system32\\cmd.exe".into();
    assert!(crate::prompt::environment_context(&cfg).contains("<shell>cmd</shell>"));
    cfg.shell = "/usr/bin/zsh".into();
    assert!(crate::prompt::environment_context(&cfg).contains("<shell>zsh</shell>"));
}
