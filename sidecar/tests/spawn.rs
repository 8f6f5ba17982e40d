//! Unsandboxed commands are started by the sidecar's own vfork-like clone (src/spawn.rs, Linux)
//! instead of std's fork: what a command gets from that start must be what it got before. Its own
//! session and process group, the sidecar as its parent, the terminal as its controlling one
//! with a PTY (none with pipes), no signal blocked, SIGPIPE not ignored, no descriptor of the
//! sidecar's beyond 0-2, its working directory; and a command that cannot be exec'd is a clear
//! error with nothing left behind.
#![cfg(target_os = "linux")]
mod common;
use common::*;
use serde_json::json;

/// The fields of /proc/PID/stat after the command name.
fn stat_fields(stat: &str) -> Vec<String> {
    let rest = stat.rsplit_once(')').expect("a stat line").1;
    rest.split_whitespace().map(str::to_string).collect()
}

fn status_mask(status: &str, name: &str) -> u64 {
    let line = status
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in {status}"));
    u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
}

#[test]
fn an_unsandboxed_command_starts_in_its_own_session_with_a_clean_slate() {
    let mut s = Sidecar::start();
    let sidecar = s.pid();
    let ws = scratch("spawn-slate");
    for tty in [false, true] {
        // The shell reports on itself (it is the command's process: pid = execId's pid) with
        // builtins only: a shell may block every signal while it starts another process.
        let script = "echo \"PWD=$PWD\"; read -r st < /proc/$$/stat; echo \"STAT=$st\"; \
                      while read -r l; do case $l in Sig[BI]*) echo \"$l\";; esac; done < /proc/$$/status; \
                      for f in /proc/$$/fd/*; do echo \"FD=${f##*/}\"; done";
        let r = s
            .request(
                "exec/start",
                json!({"argv": ["sh", "-c", script], "cwd": ws, "tty": tty,
                       "sandbox": {"mode": "danger-full-access"}}),
            )
            .expect("exec/start succeeds");
        let pid = r["pid"].as_i64().unwrap();
        let id = r["execId"].as_str().unwrap().to_string();
        let e = s.wait_exit(&id);
        let out = e.output.replace('\r', "");
        assert_eq!(e.exited["exitCode"], 0, "tty={tty}: {out}{}", e.stderr);
        let line = |key: &str| -> String {
            out.lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("tty={tty}: no {key} in {out}"))
                .to_string()
        };
        assert_eq!(
            std::path::Path::new(&line("PWD=")).canonicalize().unwrap(),
            ws.canonicalize().unwrap()
        );
        let f = stat_fields(&line("STAT="));
        // state ppid pgrp session tty_nr
        assert_eq!(
            f[1],
            sidecar.to_string(),
            "tty={tty}: the sidecar is the parent"
        );
        assert_eq!(f[2], pid.to_string(), "tty={tty}: own process group");
        assert_eq!(f[3], pid.to_string(), "tty={tty}: own session");
        assert_eq!(f[4] != "0", tty, "tty={tty}: controlling terminal {}", f[4]);
        assert_eq!(
            status_mask(&out, "SigBlk:"),
            0,
            "tty={tty}: nothing blocked"
        );
        assert_eq!(
            status_mask(&out, "SigIgn:") & (1 << (libc::SIGPIPE - 1)),
            0,
            "tty={tty}: SIGPIPE is not ignored"
        );
        let mut fds: Vec<u32> = out
            .lines()
            .filter_map(|l| l.strip_prefix("FD=")?.parse().ok())
            .collect();
        fds.sort();
        // The glob itself may hold the directory open while it is read (one more, above 2).
        assert!(
            fds.starts_with(&[0, 1, 2]) && fds.len() <= 4,
            "tty={tty}: only stdio is inherited: {fds:?}"
        );
    }
}

#[test]
fn a_command_that_cannot_be_executed_is_a_clear_error_and_leaves_nothing_behind() {
    let mut s = Sidecar::start();
    let ws = scratch("spawn-fail");
    use std::os::unix::fs::PermissionsExt;
    let script = ws.join("no-interpreter");
    std::fs::write(&script, "#!/nonexistent/interpreter\necho never\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    for tty in [false, true] {
        let err = s
            .request(
                "exec/start",
                json!({"argv": ["./no-interpreter"], "cwd": ws, "tty": tty,
                       "sandbox": {"mode": "danger-full-access"}}),
            )
            .expect_err("the exec fails");
        let message = err["message"].as_str().unwrap();
        assert!(
            message.contains("cannot start \"./no-interpreter\""),
            "tty={tty}: {err}"
        );
        assert_eq!(err["data"]["reason"], "spawn-failed", "tty={tty}: {err}");
    }
    // The failed children were reaped: the sidecar has no child left, zombie or not.
    let children = || -> Vec<String> {
        std::fs::read_dir(format!("/proc/{}/task", s.pid()))
            .unwrap()
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|c| c.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    wait_until("the failed children are gone", || children().is_empty());
    let e = s.run(json!({"argv": ["echo", "still serving"], "cwd": ws, "tty": false}));
    assert_eq!(e.output, "still serving\n");
}

#[test]
fn what_a_command_left_behind_is_ended_before_its_exit_is_reported_and_nothing_else_is() {
    let mut s = Sidecar::start();
    let ws = scratch("spawn-orphans");
    for tty in [false, true] {
        // A plain command first: nothing left behind, nothing to end.
        let plain = s.run(json!({"argv": ["true"], "cwd": ws, "tty": tty}));
        assert_eq!(plain.exited["exitCode"], 0);
        // One that leaves a process in a session of its own (an orphan of the sidecar's).
        let e = s.run(json!({
            "argv": ["sh", "-c", "setsid sleep 600 >/dev/null 2>&1 </dev/null & echo \"left=$!\""],
            "cwd": ws, "tty": tty,
        }));
        assert_eq!(e.exited["exitCode"], 0);
        let left: i32 = e
            .output
            .trim()
            .strip_prefix("left=")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("tty={tty}: {:?}", e.output));
        // Ended and reaped before exec/exited went out: no waiting here.
        assert!(
            !process_alive(left),
            "tty={tty}: the orphan {left} outlived the exit report"
        );
    }
}
