//! How a sandboxed command is started on Linux: the sidecar prepares the sandbox and sets it up in
//! the process it forks, with no launcher exec in between (sandbox/linux_start.rs). What that
//! process inherits, sees and reports, through the real sidecar binary.
mod common;
use common::*;
use serde_json::json;
use std::process::Command;

fn all_output(e: &Exited) -> String {
    format!("{}{}", e.output, e.stderr)
}

#[test]
fn the_command_gets_the_requests_environment_not_the_sidecars() {
    // The forked process still has the sidecar's own environ: the command must get the one built
    // for it (filtered: no secret-looking names; the request's variables on top).
    const LEAK: &str = "tack-start-leak-2718281828";
    let mut s = Sidecar::start_with(&[("TACK_START_TEST_API_KEY", LEAK)], None);
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let ws = scratch_workspace("start-env");
    for mode in ["read-only", "workspace-write"] {
        for tty in [true, false] {
            let e = s.run(json!({
                "argv": ["sh", "-c", "env; echo end-of-env"],
                "cwd": ws, "tty": tty,
                "env": {"FROM_THE_REQUEST": "yes-it-is"},
                "sandbox": {"mode": mode, "writableRoots": [ws]},
            }));
            let out = all_output(&e);
            assert!(out.contains("end-of-env"), "{mode} tty={tty}: {out}");
            assert!(
                out.contains("FROM_THE_REQUEST=yes-it-is"),
                "{mode} tty={tty}: {out}"
            );
            assert!(!out.contains(LEAK), "{mode} tty={tty}: {out}");
            if tty {
                assert!(out.contains("SHELL="), "{mode}: {out}");
            }
        }
    }
}

#[test]
fn a_script_without_an_interpreter_line_runs_and_a_missing_interpreter_is_a_clear_error() {
    let mut s = Sidecar::start();
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let ws = scratch_workspace("start-exec");
    use std::os::unix::fs::PermissionsExt;
    let plain = ws.join("plain-script");
    std::fs::write(&plain, "echo plain-script-ran\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).unwrap();
    let broken = ws.join("broken");
    std::fs::write(&broken, "#!/no/such/interpreter\necho never\n").unwrap();
    std::fs::set_permissions(&broken, std::fs::Permissions::from_mode(0o755)).unwrap();
    for tty in [true, false] {
        // Started the way the unsandboxed start runs it: with glibc, exec*p runs a file the
        // kernel refuses (ENOEXEC: no #! line) with /bin/sh, as a shell does (musl has no such
        // fallback, in either start).
        let run = |s: &mut Sidecar, sandboxed: bool| {
            let mode = if sandboxed {
                "read-only"
            } else {
                "danger-full-access"
            };
            let e = s.run(json!({
                "argv": ["./plain-script"], "cwd": ws, "tty": tty,
                "sandbox": {"mode": mode},
            }));
            all_output(&e).contains("plain-script-ran")
        };
        let plain_ran = run(&mut s, false);
        assert_eq!(run(&mut s, true), plain_ran, "tty={tty}");
        if cfg!(target_env = "gnu") {
            assert!(plain_ran, "tty={tty}");
        }
        let e = s.run(json!({
            "argv": ["./broken"], "cwd": ws, "tty": tty,
            "sandbox": {"mode": "read-only"},
        }));
        assert!(
            all_output(&e).contains(
                "tack-sidecar sandbox: cannot run ./broken: No such file or directory (os error 2)"
            ),
            "tty={tty}: {}",
            all_output(&e)
        );
        assert_eq!(e.exited["exitCode"], 127);
        // The command's process failed its exec: init ended with it.
        let sidecar = s.pid() as i32;
        wait_until("no process of the failed command is left", || {
            children_of(sidecar).is_empty()
        });
    }
}

/// The pipe inodes (`pipe:[N]`) process `pid` holds open at descriptors `from` and above, but
/// not at `except`.
fn pipes_of(pid: i32, from: i32, except: Option<i32>) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return Vec::new();
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.parse::<i32>().ok())
                .is_some_and(|fd| fd >= from && Some(fd) != except)
        })
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.starts_with("pipe:"))
        .collect()
}

fn children_of(pid: i32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|c| {
            c.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

#[test]
fn no_process_of_a_sandboxed_command_holds_the_sidecars_descriptors() {
    // The processes between the sidecar and the command never exec, so close-on-exec does not
    // clean them: they close what they inherited themselves. Otherwise another command's stdin
    // would never see end-of-file while this one runs, and the sidecar's own pipes would stay open.
    let mut s = Sidecar::start();
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let ws = scratch_workspace("start-fds");
    let reader = s.start_exec(json!({
        "argv": ["sh", "-c", "cat; echo cat-saw-eof"], "cwd": ws, "tty": false,
    }));
    let mut held = Vec::new();
    for (i, tty) in [true, false].into_iter().enumerate() {
        let id = s.start_exec(json!({
            "argv": ["sh", "-c", "echo started; exec sleep 30"], "cwd": ws, "tty": tty,
            "sandbox": {"mode": "read-only"},
        }));
        s.wait_output(&id, |o| o.contains("started"));
        held.push((i, id));
    }
    // Every process of the sandboxed commands: the sidecar's children (each its command's PID
    // namespace's init) and theirs (the commands).
    let sidecar = s.pid() as i32;
    let sidecar_pipes = pipes_of(sidecar, 0, None);
    assert!(!sidecar_pipes.is_empty());
    let mut seen = 0;
    let mut inits = 0;
    let direct = children_of(sidecar);
    let mut queue: Vec<i32> = direct.clone();
    while let Some(pid) = queue.pop() {
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let is_reader = String::from_utf8_lossy(&cmdline).contains("cat-saw-eof");
        if is_reader {
            continue; // the unsandboxed reader and its cat
        }
        seen += 1;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        // No process between the sidecar and init: the sidecar's child is PID 1 of the
        // command's namespace ("NSpid: <pid here> 1"), its child the command.
        let ns_pid = status
            .lines()
            .find_map(|l| l.strip_prefix("NSpid:"))
            .and_then(|v| v.split_whitespace().last())
            .map(str::to_string);
        if direct.contains(&pid) {
            assert_eq!(
                ns_pid.as_deref(),
                Some("1"),
                "the sidecar's child {pid} ({}) is not its namespace's init",
                String::from_utf8_lossy(&cmdline)
            );
            inits += 1;
        } else {
            assert_ne!(ns_pid.as_deref(), Some("1"), "process {pid}");
        }
        // Handlers caught: none of the sidecar's (std's SIGSEGV/SIGBUS ones) survive the fork.
        // Signals 32 and 33 are the C library's own (glibc installs them in every process; they
        // cannot be changed), as in any freshly exec'd program; HUP INT QUIT TERM stay allowed
        // (what the launcher's first process caught).
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:").map(|v| v.trim().to_string()))
            .and_then(|v| u64::from_str_radix(&v, 16).ok());
        if let Some(caught) = caught {
            assert_eq!(
                caught & !(0x4007 | 1 << 31 | 1 << 32),
                0,
                "process {pid} ({}) catches {caught:#x}",
                String::from_utf8_lossy(&cmdline)
            );
        }
        {
            // Their own stdio aside (the other ends of the sidecar's pipes of this command), and
            // init's descriptor 4: the pipe it reports the command's status to the sidecar on.
            let status_pipe = direct.contains(&pid).then_some(4);
            for p in pipes_of(pid, 3, status_pipe) {
                assert!(
                    !sidecar_pipes.contains(&p),
                    "process {pid} ({}) holds the sidecar's {p}",
                    String::from_utf8_lossy(&cmdline)
                );
            }
        }
        queue.extend(children_of(pid));
    }
    // Init and the command of each (plus the reader's own process tree, not counted).
    assert!(seen >= 4, "only {seen} processes found");
    assert_eq!(inits, 2);
    s.request(
        "exec/write",
        json!({"execId": reader, "data": "", "eof": true}),
    )
    .unwrap();
    let e = s.wait_exit(&reader);
    assert!(e.output.contains("cat-saw-eof"), "{}", e.output);
    for (_, id) in held {
        s.request("exec/kill", json!({"execId": id})).unwrap();
        s.wait_exit(&id);
    }
}

#[test]
fn signals_reach_the_command_and_its_end_is_reported_as_its_own() {
    let mut s = Sidecar::start();
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let ws = scratch_workspace("start-signals");
    for tty in [true, false] {
        // A command that handles SIGTERM itself: the kill's SIGTERM reaches it (init's process
        // group; init, PID 1 of its namespace, ignores it), and it decides how it ends.
        let id = s.start_exec(json!({
            "argv": ["bash", "-c", "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done"],
            "cwd": ws, "tty": tty,
            "sandbox": {"mode": "read-only"},
        }));
        s.wait_output(&id, |o| o.contains("ready"));
        s.request("exec/kill", json!({"execId": id})).unwrap();
        let e = s.wait_exit(&id);
        assert!(
            all_output(&e).contains("got-term"),
            "tty={tty}: {}",
            all_output(&e)
        );
        assert_eq!(e.exited["exitCode"], 42, "tty={tty}: {}", e.exited);
        // A command killed by a signal is reported as killed by it, not as its init's exit.
        let e = s.run(json!({
            "argv": ["sh", "-c", "kill -USR1 $$"], "cwd": ws, "tty": tty,
            "sandbox": {"mode": "read-only"},
        }));
        assert_eq!(e.exited["signal"], "SIGUSR1", "tty={tty}: {}", e.exited);
    }
}

#[test]
fn without_user_namespaces_the_command_runs_confined_and_says_what_is_missing() {
    // The sidecar in a user namespace whose nested user namespaces are switched off: the forked
    // process cannot unshare, says so in the command's output (workspace-write with a .git), and
    // still confines the command (Landlock, seccomp, no capabilities).
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: no user namespaces here");
        return;
    }
    let ws = scratch_workspace("start-no-userns");
    std::fs::create_dir_all(ws.join(".git")).unwrap();
    std::fs::write(ws.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    let outside = ws.parent().unwrap().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let mut cmd = Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "sh", "-c"])
        .arg(r#"echo 0 > /proc/sys/user/max_user_namespaces && exec "$1""#)
        .arg("sh")
        .arg(BIN);
    let mut s = Sidecar::spawn(cmd, None);
    let info = s.request("initialize", json!({})).unwrap();
    if info["sandbox"]["available"] != true || info["sandbox"]["userNamespaces"] != false {
        eprintln!("skipped: could not switch user namespaces off ({info})");
        return;
    }
    for tty in [true, false] {
        let e = s.run(json!({
            "argv": ["sh", "-c", format!("echo x > {}/out 2>/dev/null && echo wrote-outside || echo outside-denied; echo x > in && echo wrote-inside; grep CapEff /proc/self/status", outside.display())],
            "cwd": ws, "tty": tty,
            "sandbox": {"mode": "workspace-write", "writableRoots": [ws]},
        }));
        let out = all_output(&e);
        assert!(
            out.contains("tack-sandbox: warning: cannot create user, mount and PID namespaces: ")
                && out.contains("; .git directories (and Tack's own directory, if inside the workspace) stay writable"),
            "tty={tty}: {out}"
        );
        assert!(
            out.contains("outside-denied") && !out.contains("wrote-outside"),
            "tty={tty}: {out}"
        );
        assert!(out.contains("wrote-inside"), "tty={tty}: {out}");
        assert!(
            out.contains("CapEff:\t0000000000000000"),
            "tty={tty}: {out}"
        );
        assert_eq!(e.exited["exitCode"], 0, "tty={tty}: {out}");
    }
}

#[test]
fn a_sandboxed_pipe_command_reads_its_stdin_to_the_end_and_writes_both_streams() {
    // The sidecar makes a sandboxed pipe command's pipes itself (its own clone starts the
    // command's init): what is written reaches the command, end-of-file too, and both output
    // streams come back apart.
    let mut s = Sidecar::start();
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let ws = scratch_workspace("start-stdin");
    for mode in ["read-only", "workspace-write"] {
        let id = s.start_exec(json!({
            "argv": ["sh", "-c", "n=$(wc -c); echo \"got $n bytes\"; echo to-stderr >&2; exit 3"],
            "cwd": ws, "tty": false,
            "sandbox": {"mode": mode, "writableRoots": [ws]},
        }));
        let data = "x".repeat(200_000);
        s.request(
            "exec/write",
            json!({"execId": id, "data": data, "eof": true}),
        )
        .unwrap();
        let e = s.wait_exit(&id);
        assert!(
            e.output.contains("got 200000 bytes"),
            "{mode}: {}",
            e.output
        );
        assert!(
            all_output(&e).contains("to-stderr"),
            "{mode}: {}",
            all_output(&e)
        );
        assert_eq!(e.exited["exitCode"], 3, "{mode}: {}", e.exited);
    }
}
