//! What the sidecar keeps between sandboxed commands (Linux) and what it lets go of: the hold on
//! a command's mount namespace ends with the command's report, and nothing of one command's
//! sandbox reaches the next one. Through the real sidecar binary.
mod common;
use common::*;
use serde_json::json;

/// The mount namespaces (`mnt:[N]`) process `pid` holds descriptors to.
fn mount_namespaces_held(pid: u32) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|l| l.to_string_lossy().into_owned())
        .filter(|l| l.starts_with("mnt:["))
        .collect()
}

#[test]
fn the_hold_on_a_commands_mount_namespace_ends_with_its_report() {
    let mut s = Sidecar::start();
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let ws = scratch_workspace("reuse-ns");
    let sidecar = s.pid();
    for mode in ["read-only", "workspace-write"] {
        for tty in [true, false] {
            let id = s.start_exec(json!({
                "argv": ["sh", "-c", "echo \"ns=$(readlink /proc/self/ns/mnt)=\"; sleep 0.3"],
                "cwd": ws, "tty": tty,
                "sandbox": {"mode": mode, "writableRoots": [ws]},
            }));
            let out = s.wait_output(&id, |o| o.contains("]="));
            let ns = out
                .split("ns=")
                .nth(1)
                .and_then(|r| r.split('=').next())
                .unwrap_or_default()
                .to_string();
            assert!(ns.starts_with("mnt:["), "{mode} tty={tty}: {out}");
            // While it runs, the sidecar holds the command's own namespace and no other.
            assert_eq!(
                mount_namespaces_held(sidecar),
                vec![ns.clone()],
                "{mode} tty={tty}"
            );
            let e = s.wait_exit(&id);
            assert_eq!(e.exited["exitCode"], 0, "{mode} tty={tty}: {}", e.output);
            wait_until("the sidecar holds no mount namespace", || {
                mount_namespaces_held(sidecar).is_empty()
            });
        }
    }
}

/// The hex mask after `field:` in a /proc/PID/status text.
fn mask(status: &str, field: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .map(|v| v.trim().to_string())
        .unwrap_or_else(|| panic!("no {field} in {status}"))
}

#[test]
fn init_and_the_command_start_with_no_signal_handler_of_the_sidecars() {
    // The sidecar has handlers (std's for stack overflows, the runtime's): its clone must not
    // leave them to init (PID 1 of the namespace, which never execs) or the command.
    let mut s = Sidecar::start();
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let own = std::fs::read_to_string(format!("/proc/{}/status", s.pid())).unwrap();
    assert_ne!(mask(&own, "SigCgt:"), "0000000000000000", "{own}");
    let ws = scratch_workspace("reuse-signals");
    for mode in ["read-only", "workspace-write"] {
        for tty in [true, false] {
            let e = s.run(json!({
                "argv": ["sh", "-c", "cat /proc/1/status; echo ---; cat /proc/self/status"],
                "cwd": ws, "tty": tty,
                "sandbox": {"mode": mode, "writableRoots": [ws]},
            }));
            let (init, cmd) = e.output.split_once("---").expect("both status files");
            for (who, status) in [("init", init), ("command", cmd)] {
                for field in ["SigCgt:", "SigBlk:"] {
                    assert_eq!(
                        mask(status, field),
                        "0000000000000000",
                        "{who} {field} {mode} tty={tty}: {status}"
                    );
                }
            }
        }
    }
}
