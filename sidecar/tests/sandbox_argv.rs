//! A sandboxed command's process runs on a stack of its own between init's clone and its exec
//! (sandbox/linux_start.rs, `fork_command`): exec with a long argument list, also through the
//! script fallback that copies the whole list onto that stack, works as it does unsandboxed.
mod common;
use common::*;
use serde_json::json;

#[test]
fn a_long_argument_list_reaches_the_command_as_it_does_unsandboxed() {
    let mut s = Sidecar::start();
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let ws = scratch_workspace("argv");
    use std::os::unix::fs::PermissionsExt;
    // No #! line: with glibc, exec*p runs it with /bin/sh, copying the argument list (one
    // pointer per argument) onto the stack first.
    let script = ws.join("count-args");
    std::fs::write(&script, "echo \"args=$#\"\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    const N: usize = 60_000;
    let many = || std::iter::repeat_n("an-argument", N);
    let direct: Vec<&str> = ["sh", "-c", "echo \"args=$#\"", "sh"]
        .into_iter()
        .chain(many())
        .collect();
    let via_script: Vec<&str> = ["./count-args"].into_iter().chain(many()).collect();
    for tty in [false, true] {
        for argv in [&direct, &via_script] {
            let run = |s: &mut Sidecar, mode: &str| {
                let e = s.run(json!({
                    "argv": argv, "cwd": ws, "tty": tty,
                    "sandbox": {"mode": mode, "writableRoots": [ws]},
                }));
                (e.exited["exitCode"].clone(), e.output.trim().to_string())
            };
            let plain = run(&mut s, "danger-full-access");
            for mode in ["read-only", "workspace-write"] {
                assert_eq!(run(&mut s, mode), plain, "{mode} tty={tty} {}", argv[0]);
            }
            if argv[0] == "sh" || cfg!(target_env = "gnu") {
                assert_eq!(plain.1, format!("args={N}"), "tty={tty} {}", argv[0]);
            }
        }
    }
}
