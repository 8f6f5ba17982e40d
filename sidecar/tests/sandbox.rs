//! The sandbox, through the sidecar's exec/start and through `tack-sidecar sandbox` directly.
mod common;
use common::*;
use serde_json::json;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// None when this machine has no sandbox: then the test checks the refusal instead.
fn sandbox_available(s: &mut Sidecar) -> bool {
    let info = s.request("initialize", json!({})).unwrap();
    let available = info["sandbox"]["available"].as_bool().unwrap();
    if !available {
        let err = s
            .request(
                "exec/start",
                json!({"argv": ["true"], "cwd": "/", "sandbox": {"mode": "read-only"}}),
            )
            .unwrap_err();
        assert_eq!(err["code"], -32003, "{err}");
        eprintln!(
            "sandbox unavailable here ({}); checked the refusal instead",
            info["sandbox"]["limitations"]
        );
    }
    available
}

struct Layout {
    ws: PathBuf,
    outside: PathBuf,
    tmp: PathBuf,
}

fn layout(name: &str) -> Layout {
    let base = scratch(name);
    let ws = base.join("ws");
    let outside = base.join("outside");
    let tmp = base.join("tmp");
    for d in [&ws, &outside, &tmp, &ws.join(".git")] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(ws.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::write(ws.join("file.txt"), "readable\n").unwrap();
    std::os::unix::fs::symlink(&outside, ws.join("link-out")).unwrap();
    Layout { ws, outside, tmp }
}

fn sandboxed(s: &mut Sidecar, l: &Layout, mode: &str, network: bool, script: &str) -> Exited {
    s.run(json!({
        "argv": ["bash", "-c", script],
        "cwd": l.ws,
        "tty": false,
        "env": {"TMPDIR": l.tmp},
        "sandbox": {"mode": mode, "writableRoots": [l.ws], "network": network},
    }))
}

/// A sidecar whose own TMPDIR is the layout's temp dir (the one workspace-write may write).
fn sidecar_for(l: &Layout) -> Sidecar {
    Sidecar::start_with(&[("TMPDIR", l.tmp.to_str().unwrap())], None)
}

#[test]
fn workspace_write_allows_the_roots_and_temp_and_nothing_else() {
    let l = layout("ww");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    let home = PathBuf::from(std::env::var("HOME").unwrap_or("/root".into()));
    let home_probe = home.join(format!(".tack-sandbox-probe-{}", std::process::id()));
    let script = format!(
        r#"
        echo in > inside.txt && echo inside-ok
        mkdir -p sub/dir && echo deep > sub/dir/f && echo nested-ok
        echo out > {outside}/x || echo outside-denied
        echo out > link-out/x || echo symlink-denied
        echo h > {home} || echo home-denied
        echo g > .git/HEAD || echo git-denied
        echo hook > .git/new-hook || echo git-create-denied
        echo t > "$TMPDIR/t" && echo tmp-ok
        cat file.txt
        "#,
        outside = l.outside.display(),
        home = home_probe.display(),
    );
    let e = sandboxed(&mut s, &l, "workspace-write", false, &script);
    let _ = std::fs::remove_file(&home_probe);
    for marker in [
        "inside-ok",
        "nested-ok",
        "outside-denied",
        "symlink-denied",
        "home-denied",
        "tmp-ok",
        "readable",
    ] {
        assert!(
            e.output.contains(marker),
            "missing {marker}:\n{}\n{}",
            e.output,
            e.stderr
        );
    }
    assert!(l.ws.join("inside.txt").exists());
    assert!(!l.outside.join("x").exists());
    assert!(l.tmp.join("t").exists());
    let user_ns = s.request("initialize", json!({})).unwrap()["sandbox"]["userNamespaces"] == true;
    if user_ns {
        assert!(
            e.output.contains("git-denied") && e.output.contains("git-create-denied"),
            "{}\n{}",
            e.output,
            e.stderr
        );
        assert_eq!(
            std::fs::read_to_string(l.ws.join(".git/HEAD")).unwrap(),
            "ref: refs/heads/main\n"
        );
        assert!(!l.ws.join(".git/new-hook").exists());
    } else {
        // The documented fallback: said out loud, .git writable.
        assert!(
            e.stderr.contains(".git directories stay writable"),
            "{}",
            e.stderr
        );
    }
}

#[test]
fn read_only_allows_reading_dev_null_and_the_terminal_only() {
    let mut s = Sidecar::start();
    if !sandbox_available(&mut s) {
        return;
    }
    let l = layout("ro");
    let script = "cat file.txt; echo x > inside.txt || echo inside-denied; echo t > \"$TMPDIR/t\" || echo tmp-denied; echo gone > /dev/null && echo devnull-ok; [ -t 1 ] && echo tty-ok; echo to-tty > /dev/tty && echo devtty-ok";
    let e = s.run(json!({
        "argv": ["bash", "-c", script], "cwd": l.ws, "env": {"TMPDIR": l.tmp},
        "sandbox": {"mode": "read-only"},
    }));
    for marker in [
        "readable",
        "inside-denied",
        "tmp-denied",
        "devnull-ok",
        "tty-ok",
        "devtty-ok",
    ] {
        assert!(e.output.contains(marker), "missing {marker}:\n{}", e.output);
    }
    assert!(!l.ws.join("inside.txt").exists());
    assert!(!l.tmp.join("t").exists());
    // /dev/null has file rights only: nothing can be created beside it.
    let e = s.run(json!({
        "argv": ["bash", "-c", "touch /dev/tack-probe || echo dev-denied"], "cwd": "/", "tty": false,
        "sandbox": {"mode": "read-only"},
    }));
    assert!(e.output.contains("dev-denied"));
}

fn connect_script(port: u16) -> String {
    format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected || echo refused")
}

#[test]
fn network_is_denied_unless_allowed() {
    let mut s = Sidecar::start();
    if !sandbox_available(&mut s) {
        return;
    }
    let l = layout("net");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for c in listener.incoming() {
            drop(c)
        }
    });

    // Unsandboxed, the listener is reachable: the denial below is the sandbox's doing.
    let e = s.run(json!({"argv": ["bash", "-c", connect_script(port)], "cwd": "/", "tty": false}));
    assert!(e.output.contains("connected"), "{}", e.output);
    for mode in ["read-only", "workspace-write"] {
        let e = sandboxed(&mut s, &l, mode, false, &connect_script(port));
        assert!(
            e.output.contains("refused") && !e.output.contains("connected"),
            "{mode}: {}",
            e.output
        );
        assert!(
            e.stderr.contains("Operation not permitted"),
            "{mode}: {}",
            e.stderr
        );
        let e = sandboxed(&mut s, &l, mode, true, &connect_script(port));
        assert!(
            e.output.contains("connected"),
            "{mode} with network: {}\n{}",
            e.output,
            e.stderr
        );
    }
    // AF_UNIX stays allowed without network.
    let e = sandboxed(
        &mut s,
        &l,
        "workspace-write",
        false,
        "python3 -c 'import socket; socket.socket(socket.AF_UNIX); print(\"unix-ok\")'",
    );
    assert!(e.output.contains("unix-ok"), "{}\n{}", e.output, e.stderr);
}

#[test]
fn sandboxed_exec_start_validates_its_roots() {
    let mut s = Sidecar::start();
    if !sandbox_available(&mut s) {
        return;
    }
    let err = s
        .request("exec/start", json!({"argv": ["true"], "cwd": "/", "sandbox": {"mode": "workspace-write", "writableRoots": ["/no/such/root"]}}))
        .unwrap_err();
    assert_eq!(err["code"], -32002);
    assert!(err["message"].as_str().unwrap().contains("/no/such/root"));
    let err = s
        .request(
            "exec/start",
            json!({"argv": ["true"], "cwd": "/", "sandbox": {"mode": "locked"}}),
        )
        .unwrap_err();
    assert_eq!(err["code"], -32602);
}

fn cli(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

#[test]
fn the_sandbox_subcommand_runs_one_command_under_the_same_rules() {
    let mut s = Sidecar::start();
    if !sandbox_available(&mut s) {
        return;
    }
    let l = layout("cli");
    let ws = l.ws.to_str().unwrap();
    let inside = l.ws.join("cli-inside");
    let outside = l.outside.join("cli-outside");
    let out = cli(&[
        "sandbox",
        "--mode",
        "workspace-write",
        "--writable-root",
        ws,
        "--",
        "touch",
        inside.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(inside.exists());
    let out = cli(&[
        "sandbox",
        "--mode",
        "workspace-write",
        "--writable-root",
        ws,
        "--",
        "touch",
        outside.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(!outside.exists());
    let out = cli(&[
        "sandbox",
        "--mode",
        "read-only",
        "--",
        "touch",
        inside.with_extension("ro").to_str().unwrap(),
    ]);
    assert!(!out.status.success());

    let out = cli(&[
        "sandbox",
        "--mode",
        "danger-full-access",
        "--",
        "touch",
        outside.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(outside.exists());
}

#[test]
fn the_sandbox_subcommand_rejects_bad_arguments_clearly() {
    for (args, needle) in [
        (
            vec!["sandbox", "--mode", "open", "--", "true"],
            "unknown sandbox mode",
        ),
        (vec!["sandbox", "--", "true"], "--mode is required"),
        (vec!["sandbox", "--mode", "read-only"], "missing --"),
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(needle) && err.contains("usage:"),
            "{args:?}: {err}"
        );
    }
    let out = cli(&["sandbox", "--mode", "read-only", "--", "/no/such/program"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot run /no/such/program"));
}

/// The sidecar's own re-exec takes the spec as one JSON argument; the same rules hold.
#[test]
fn the_internal_re_exec_takes_its_spec_as_one_json_argument() {
    let mut s = Sidecar::start();
    if !sandbox_available(&mut s) {
        return;
    }
    let l = layout("reexec");
    let inside = l.ws.join("reexec-inside");
    let outside = l.outside.join("reexec-outside");
    let spec = serde_json::json!({
        "mode": "workspace-write",
        "writable_roots": [l.ws.to_str().unwrap()],
        "temp_dir": null,
        "network": false,
        "git_entries": null,
    })
    .to_string();
    let out = cli(&[
        "sandbox-launch",
        &spec,
        "--",
        "touch",
        inside.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(inside.exists());
    let out = cli(&[
        "sandbox-launch",
        &spec,
        "--",
        "touch",
        outside.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(!outside.exists());
    // The human form's flags mean nothing here: the spec is the only way in.
    for (args, needle) in [
        (
            vec!["sandbox-launch", "--mode", "--", "true"],
            "bad sandbox spec",
        ),
        (vec!["sandbox-launch", &spec, "true"], "missing --"),
        (
            vec![
                "sandbox-launch",
                r#"{"mode":"danger-full-access"}"#,
                "--",
                "true",
            ],
            "bad sandbox spec",
        ),
    ] {
        let out = cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
    }
}

// ---- Issue #9: escapes an adversarial review found. Each runs through the real sidecar. ----

/// The modes under test: read-only, workspace-write without a .git, workspace-write with one.
fn modes(name: &str) -> Vec<(&'static str, Layout)> {
    let with_git = layout(&format!("{name}-git"));
    let without_git = layout(&format!("{name}-nogit"));
    std::fs::remove_dir_all(without_git.ws.join(".git")).unwrap();
    let ro = layout(&format!("{name}-ro"));
    vec![
        ("read-only", ro),
        ("workspace-write", without_git),
        ("workspace-write", with_git),
    ]
}

fn run_in(s: &mut Sidecar, l: &Layout, mode: &str, tty: bool, script: &str) -> Exited {
    s.run(json!({
        "argv": ["bash", "-c", script],
        "cwd": l.ws,
        "tty": tty,
        "sandbox": {"mode": mode, "writableRoots": [l.ws], "network": false},
    }))
}

fn all_output(e: &Exited) -> String {
    format!("{}{}", e.output, e.stderr)
}

#[test]
fn capabilities_are_gone_and_the_sidecar_environment_is_unreadable() {
    const SECRET: &str = "tack-test-secret-3141592653";
    let mut s = Sidecar::start_with(&[("TACK_CANARY_SECRET", SECRET)], None);
    if !sandbox_available(&mut s) {
        return;
    }
    let sidecar = s.pid();
    // The sidecar's environment does hold the secret: reading it is what must fail.
    assert!(std::fs::read_to_string(format!("/proc/{sidecar}/environ"))
        .unwrap()
        .contains(SECRET));
    for (mode, l) in modes("caps") {
        let victim = l.outside.join("victim");
        std::fs::write(&victim, "x").unwrap();
        let script = format!(
            r#"grep -E '^Cap(Eff|Prm|Bnd|Amb)' /proc/self/status
            cat /proc/{sidecar}/environ /proc/$PPID/environ /proc/1/environ 2>/dev/null | tr '\0' '\n' | grep -c tack-test-secret
            chown 1:1 {victim} && echo chown-done || echo chown-denied
            chattr +i {victim} 2>/dev/null && echo chattr-done || echo chattr-denied
            unshare -U true && echo nested-userns || echo nested-denied
            "#,
            victim = victim.display()
        );
        let e = run_in(&mut s, &l, mode, false, &script);
        let out = all_output(&e);
        for cap in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] {
            assert!(
                out.contains(&format!("{cap}:\t0000000000000000")),
                "{mode}: {cap} not empty:\n{out}"
            );
        }
        assert!(!out.contains(SECRET), "{mode}: {out}");
        assert!(
            out.contains("chown-denied") && out.contains("chattr-denied"),
            "{mode}: {out}"
        );
        // A nested user namespace would hand uid 0 its capabilities back over root-owned files.
        let user_ns =
            s.request("initialize", json!({})).unwrap()["sandbox"]["userNamespaces"] == true;
        if user_ns {
            assert!(
                out.contains("nested-denied") && !out.contains("nested-userns"),
                "{mode}: {out}"
            );
        }
        use std::os::unix::fs::MetadataExt;
        assert_eq!(victim.metadata().unwrap().uid(), unsafe { libc::geteuid() });
    }
}

/// Pids of processes whose command line contains `marker` (seen from outside any sandbox).
fn pids_with(marker: &str) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
                && process_alive(*pid)
        })
        .collect()
}

fn unique_sleep(tag: &str) -> String {
    // `sleep 1000.<pid><n>`: an argument nothing else on the machine has (digits only, or sleep
    // refuses it).
    assert!(tag.bytes().all(|b| b.is_ascii_digit()));
    format!("1000.{}{}", std::process::id(), tag)
}

#[test]
fn background_processes_end_with_their_command() {
    let l = layout("lifetime");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    for (i, (mode, tty)) in [
        ("read-only", true),
        ("read-only", false),
        ("workspace-write", true),
        ("workspace-write", false),
    ]
    .into_iter()
    .enumerate()
    {
        let a = unique_sleep(&format!("{i}1"));
        let b = unique_sleep(&format!("{i}2"));
        let c = unique_sleep(&format!("{i}3"));
        let script = format!(
            "setsid sleep {a} & nohup sleep {b} >/dev/null 2>&1 & (sleep {c} &) ; echo started; read -t 30 line; echo done"
        );
        let id = s.start_exec(json!({
            "argv": ["bash", "-c", script], "cwd": l.ws, "tty": tty,
            "sandbox": {"mode": mode, "writableRoots": [l.ws]},
        }));
        s.wait_output(&id, |o| o.contains("started"));
        for m in [&a, &b, &c] {
            wait_until("the background process runs", || !pids_with(m).is_empty());
        }
        s.request("exec/write", json!({"execId": id, "data": "go\n"}))
            .unwrap();
        let e = s.wait_exit(&id);
        assert_eq!(e.exited["exitCode"], 0, "{mode}: {}", e.output);
        for m in [&a, &b, &c] {
            wait_until("the background process is gone", || pids_with(m).is_empty());
        }
    }
}

#[test]
fn a_command_cannot_signal_or_see_processes_outside() {
    let l = layout("signals");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    let sidecar = s.pid();
    let outside = Command::new("sleep").arg("600").spawn().unwrap();
    for mode in ["read-only", "workspace-write"] {
        let script = format!(
            "kill -9 {sidecar} && echo killed-sidecar; kill -9 {o} && echo killed-outside; kill -9 $PPID && echo killed-parent; ls /proc | grep -c '^[0-9]'",
            o = outside.id()
        );
        let e = run_in(&mut s, &l, mode, false, &script);
        let out = all_output(&e);
        assert!(!out.contains("killed-"), "{mode}: {out}");
        // Only the launcher's init, bash and its pipeline are visible.
        let visible: usize = e.output.trim().lines().last().unwrap().parse().unwrap();
        assert!(visible < 10, "{mode}: {visible} processes visible: {out}");
        assert!(process_alive(outside.id() as i32));
        assert!(
            s.child.try_wait().unwrap().is_none(),
            "{mode}: sidecar died"
        );
    }
    let mut outside = outside;
    let _ = outside.kill();
    let _ = outside.wait();
}

#[test]
fn a_killed_sidecar_leaves_no_process_of_its_sandboxed_commands() {
    let l = layout("sigkill");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    let markers: Vec<String> = (0..4).map(|i| unique_sleep(&format!("9{i}"))).collect();
    for (i, (mode, tty)) in [("read-only", true), ("workspace-write", false)]
        .into_iter()
        .enumerate()
    {
        let (a, b) = (&markers[2 * i], &markers[2 * i + 1]);
        let id = s.start_exec(json!({
            "argv": ["bash", "-c", format!("setsid sleep {a} & trap '' HUP TERM; echo started; sleep {b}")],
            "cwd": l.ws, "tty": tty,
            "sandbox": {"mode": mode, "writableRoots": [l.ws]},
        }));
        s.wait_output(&id, |o| o.contains("started"));
    }
    for m in &markers {
        wait_until("the command runs", || !pids_with(m).is_empty());
    }
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    for m in &markers {
        wait_until("every process of the commands is gone", || {
            pids_with(m).is_empty()
        });
    }
}

#[test]
fn a_sandboxed_command_runs_past_the_sidecar_threads_idle_time() {
    // A command's parent-death signal is tied to the thread that forked it. The sidecar's async
    // threads come and go (one that blocks in the git guard's scan gives its place away and is
    // ended after 10 idle seconds), and a command forked from one was killed ten seconds in:
    // every sandboxed build or test run longer than that ended with SIGKILL and no exit code.
    let l = layout("long-run");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    let ids: Vec<(String, bool)> = [false, true]
        .into_iter()
        .map(|tty| {
            let id = s.start_exec(json!({
                "argv": ["bash", "-c", "echo started; sleep 12; echo finished"],
                "cwd": l.ws, "tty": tty,
                "sandbox": {"mode": "workspace-write", "writableRoots": [l.ws]},
            }));
            (id, tty)
        })
        .collect();
    for (id, tty) in ids {
        let e = s.wait_exit(&id);
        assert_eq!(
            e.exited["exitCode"],
            0,
            "tty {tty}: {} (exit event: {})",
            all_output(&e),
            e.exited
        );
        assert!(
            e.output.contains("finished"),
            "tty {tty}: {}",
            all_output(&e)
        );
    }
}

/// Opens a pseudo-terminal in the test process; returns (master fd, /dev/pts/N).
fn open_other_pty() -> (i32, String) {
    unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(m >= 0);
        assert_eq!(libc::grantpt(m), 0);
        assert_eq!(libc::unlockpt(m), 0);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(m))
            .to_string_lossy()
            .into_owned();
        (m, name)
    }
}

#[test]
fn another_terminal_is_out_of_reach_and_tiocsti_is_refused() {
    let l = layout("pts");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    let (master, other) = open_other_pty();
    // Unsandboxed, the other terminal opens: the refusal below is the sandbox's doing.
    let e = s.run(json!({"argv": ["bash", "-c", format!("exec 3<>{other} && echo opened")], "cwd": "/", "tty": false}));
    assert!(e.output.contains("opened"), "{}", all_output(&e));
    let sti = "python3 -c 'import fcntl,termios; fcntl.ioctl(0, termios.TIOCSTI, b\"x\"); print(\"sti-done\")' || echo sti-denied";
    // Where the kernel still allows TIOCSTI, it works unsandboxed: the refusal below is seccomp's.
    if std::fs::read_to_string("/proc/sys/dev/tty/legacy_tiocsti").map_or(true, |v| v.trim() == "1")
    {
        let e = s.run(json!({"argv": ["bash", "-c", sti], "cwd": "/"}));
        assert!(e.output.contains("sti-done"), "{}", all_output(&e));
    }
    for mode in ["read-only", "workspace-write"] {
        let script = format!(
            r#"exec 3<>{other} && echo other-opened || echo other-denied
            cat {other} >/dev/null 2>&1 && echo other-read || echo other-read-denied
            tty && echo own-tty-ok
            echo hi > "$(tty)" && echo own-tty-write-ok
            {sti}
            python3 -c 'import os; m,s=os.openpty(); os.write(s,b"nested\n"); print(os.read(m,64))' 2>&1
            "#
        );
        let e = run_in(&mut s, &l, mode, true, &script);
        let out = all_output(&e);
        for m in [
            "other-denied",
            "other-read-denied",
            "own-tty-ok",
            "own-tty-write-ok",
            "sti-denied",
            "nested",
        ] {
            assert!(out.contains(m), "{mode}: missing {m}:\n{out}");
        }
        assert!(
            !out.contains("sti-done") && !out.contains("other-opened"),
            "{mode}: {out}"
        );
    }
    unsafe { libc::close(master) };
}

#[test]
fn unix_sockets_outside_are_unreachable_without_network() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::{SocketAddr, UnixListener};
    let l = layout("unix");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    let landlock_abi = s.request("initialize", json!({})).unwrap()["sandbox"]["landlockAbi"]
        .as_u64()
        .unwrap_or(0);
    let path = l.outside.join("agent.sock");
    let abstract_name = format!("tack-test-{}", std::process::id());
    let by_path = UnixListener::bind(&path).unwrap();
    let by_name =
        UnixListener::bind_addr(&SocketAddr::from_abstract_name(abstract_name.as_bytes()).unwrap())
            .unwrap();
    for l in [by_path, by_name] {
        std::thread::spawn(move || {
            for c in l.incoming() {
                drop(c)
            }
        });
    }
    let client = |target: &str| {
        format!(
            "python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); print(\"connected\")' {target} 2>&1 || echo refused"
        )
    };
    let path_client = client(path.to_str().unwrap());
    let name_client = format!(
        "python3 -c 'import socket; s=socket.socket(socket.AF_UNIX); s.connect(\"\\0{abstract_name}\"); print(\"connected\")' 2>&1 || echo refused"
    );
    // Unsandboxed, both answer.
    for c in [&path_client, &name_client] {
        let e = s.run(json!({"argv": ["bash", "-c", c], "cwd": "/", "tty": false}));
        assert!(e.output.contains("connected"), "{}", all_output(&e));
    }
    let dgram = format!(
        "python3 -c 'import socket; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b\"x\", \"{}\"); print(\"sent\")' 2>&1 || echo refused",
        path.display()
    );
    for mode in ["read-only", "workspace-write"] {
        for (what, c) in [
            ("path", &path_client),
            ("abstract", &name_client),
            ("datagram", &dgram),
        ] {
            let e = s.run(json!({
                "argv": ["bash", "-c", c], "cwd": l.ws, "tty": false,
                "sandbox": {"mode": mode, "writableRoots": [l.ws], "network": false},
            }));
            let out = all_output(&e);
            assert!(
                out.contains("refused") && !out.contains("connected") && !out.contains("sent"),
                "{mode} {what}: {out}"
            );
        }
        // A socketpair between its own processes still works.
        let e = s.run(json!({
            "argv": ["python3", "-c", "import socket; a,b=socket.socketpair(); a.send(b'pair-ok'); print(b.recv(9).decode())"],
            "cwd": l.ws, "tty": false,
            "sandbox": {"mode": mode, "writableRoots": [l.ws], "network": false},
        }));
        assert!(e.output.contains("pair-ok"), "{mode}: {}", all_output(&e));
        // With network, a pathname socket is reachable; an abstract one (created outside the
        // sandbox) is not, where Landlock can scope them (ABI 6).
        let e = s.run(json!({
            "argv": ["bash", "-c", &path_client], "cwd": l.ws, "tty": false,
            "sandbox": {"mode": mode, "writableRoots": [l.ws], "network": true},
        }));
        assert!(e.output.contains("connected"), "{mode}: {}", all_output(&e));
        if landlock_abi >= 6 {
            let e = s.run(json!({
                "argv": ["bash", "-c", &name_client], "cwd": l.ws, "tty": false,
                "sandbox": {"mode": mode, "writableRoots": [l.ws], "network": true},
            }));
            assert!(
                e.output.contains("refused") && !e.output.contains("connected"),
                "{mode}: {}",
                all_output(&e)
            );
        }
    }
}

#[test]
fn metadata_outside_the_roots_cannot_change() {
    let l = layout("meta");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    let victim = l.outside.join("victim");
    std::fs::write(&victim, "x").unwrap();
    let before = victim.metadata().unwrap();
    for mode in ["read-only", "workspace-write"] {
        let script = format!(
            r#"chmod 777 {v} && echo chmod-done || echo chmod-denied
            touch -d 2001-01-01 {v} && echo touch-done || echo touch-denied
            python3 -c 'import os; os.setxattr("{v}", "user.tack", b"1"); print("xattr-done")' 2>/dev/null || echo xattr-denied
            chmod 600 file.txt && echo inside-chmod-done
            "#,
            v = victim.display()
        );
        let e = run_in(&mut s, &l, mode, false, &script);
        let out = all_output(&e);
        for m in ["chmod-denied", "touch-denied", "xattr-denied"] {
            assert!(out.contains(m), "{mode}: missing {m}:\n{out}");
        }
        if mode == "workspace-write" {
            assert!(out.contains("inside-chmod-done"), "{out}");
        }
    }
    let after = victim.metadata().unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(before.mode(), after.mode());
    assert_eq!(before.mtime(), after.mtime());
}

#[test]
fn the_temp_dir_comes_from_the_sidecar_not_the_request() {
    let l = layout("tmpdir");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    let e = s.run(json!({
        "argv": ["bash", "-c", format!("echo t > \"$TMPDIR/widened\" && echo widened-ok || echo denied; echo t > {}/own && echo own-tmp-ok", l.tmp.display())],
        "cwd": l.ws, "tty": false,
        "env": {"TMPDIR": l.outside},
        "sandbox": {"mode": "workspace-write", "writableRoots": [l.ws]},
    }));
    let out = all_output(&e);
    assert!(
        out.contains("denied") && !out.contains("widened-ok"),
        "{out}"
    );
    assert!(out.contains("own-tmp-ok"), "{out}");
    assert!(!l.outside.join("widened").exists());
}

/// A `core.fsmonitor` that leaves a mark when git runs it.
struct Canary {
    script: PathBuf,
    hit: PathBuf,
}

fn canary(base: &std::path::Path) -> Canary {
    use std::os::unix::fs::PermissionsExt;
    let script = base.join("canary.sh");
    let hit = base.join("canary-hit");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ntouch '{}'\nexit 1\n", hit.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    Canary { script, hit }
}

fn git(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .unwrap()
}

/// Runs `git status` where a user (or the extension) would, outside any sandbox.
fn assert_canary_silent(c: &Canary, dir: &std::path::Path, what: &str) {
    let _ = git(dir, &["status", "--short"]);
    assert!(
        !c.hit.exists(),
        "{what}: git in {} ran the planted core.fsmonitor",
        dir.display()
    );
}

#[test]
fn no_git_metadata_can_be_planted_or_changed() {
    let base = scratch("gitrule");
    let tmp = base.join("tmp");
    // The workspace lives inside the sidecar's temp dir, like a workspace under /tmp.
    let ws = tmp.join("ws");
    let repo = base.join("repo");
    let inner = repo.join("inner");
    let elsewhere = base.join("elsewhere");
    for d in [&ws, &inner, &elsewhere] {
        std::fs::create_dir_all(d).unwrap();
    }
    let c = canary(&base);
    // The canary works: planted without a sandbox, git runs it.
    let control = base.join("control");
    git(&base, &["init", "-q", control.to_str().unwrap()]);
    git(
        &control,
        &["config", "core.fsmonitor", c.script.to_str().unwrap()],
    );
    let _ = git(&control, &["status", "--short"]);
    assert!(
        c.hit.exists(),
        "the fsmonitor canary did not fire in the control"
    );
    std::fs::remove_file(&c.hit).unwrap();
    let mut s = Sidecar::start_with(&[("TMPDIR", tmp.to_str().unwrap())], None);
    if !sandbox_available(&mut s) {
        return;
    }
    let user_ns = s.request("initialize", json!({})).unwrap()["sandbox"]["userNamespaces"] == true;
    let fsm = c.script.display().to_string();
    let plant = |dir: &str| {
        format!("git -C {dir} config core.fsmonitor {fsm} && echo planted-{dir} || echo refused")
    };
    let run = |s: &mut Sidecar, root: &std::path::Path, script: &str| -> String {
        let e = s.run(json!({
            "argv": ["bash", "-c", script], "cwd": root, "tty": false,
            "sandbox": {"mode": "workspace-write", "writableRoots": [root]},
        }));
        all_output(&e)
    };

    // 1. A new repository in a root (git init), a nested one, and one in the temp dir above it.
    let out = run(
        &mut s,
        &ws,
        &format!(
            "git init -q . && {} ; mkdir -p sub && git init -q sub && {} ; git init -q {t} && {} ; git init -q {t}/fresh && {}",
            plant("."),
            plant("sub"),
            plant(tmp.to_str().unwrap()),
            plant(tmp.join("fresh").to_str().unwrap()),
            t = tmp.display()
        ),
    );
    assert!(
        out.contains("planted-."),
        "the attack itself must work: {out}"
    );
    assert!(out.contains("[tack sandbox] blocked"), "{out}");
    for d in [&ws, &ws.join("sub"), &tmp, &tmp.join("fresh")] {
        assert!(
            !d.join(".git").exists(),
            "{} still has a .git: {out}",
            d.display()
        );
        assert!(d.join(".git.tack-blocked-1").exists(), "{out}");
        assert_canary_silent(&c, d, "new repository");
    }
    // 1b. A directory git takes for a repository without any .git: HEAD, objects/, refs/ and a
    // config naming a work tree.
    let out = run(
        &mut s,
        &ws,
        &format!(
            "git init -q --bare fake && git -C fake config core.bare false && git -C fake config core.worktree .. && {}",
            plant("fake")
        ),
    );
    assert!(
        out.contains("planted-fake"),
        "the attack itself must work: {out}"
    );
    assert!(out.contains("[tack sandbox] blocked"), "{out}");
    assert!(ws.join("fake/HEAD.tack-blocked-1").exists(), "{out}");
    assert_canary_silent(&c, &ws.join("fake"), "repository-looking directory");

    if user_ns {
        // 2. Existing repositories: the root's own, a nested one, one above the root, a .git that
        // is a symlink and one that is a gitfile pointing into the root: all stay read-only.
        git(&repo, &["init", "-q"]);
        // A repository checked out in the temp dir, beside the workspace.
        let other = tmp.join("other");
        git(&tmp, &["init", "-q", other.to_str().unwrap()]);
        git(&inner, &["init", "-q", "nested"]);
        git(&elsewhere, &["init", "-q", "--bare", "store.git"]);
        std::os::unix::fs::symlink(elsewhere.join("store.git"), inner.join("linked")).unwrap_or(());
        let gitfile_target = inner.join("real-gitdir");
        git(
            &inner,
            &[
                "init",
                "-q",
                "--separate-git-dir",
                gitfile_target.to_str().unwrap(),
                "viafile",
            ],
        );
        git(&inner, &["init", "-q", "--bare", "plain.git"]);
        std::fs::create_dir_all(inner.join("vialink")).unwrap();
        git(&inner, &["init", "-q", "--bare", "vialink-store"]);
        std::os::unix::fs::symlink(inner.join("vialink-store"), inner.join("vialink/.git"))
            .unwrap();
        let out = run(
            &mut s,
            &inner,
            &format!(
                "{}; git -C plain.git config core.worktree .. && echo planted-worktree; mv plain.git/HEAD plain.git/H && echo head-moved; {}; {}; {}; {}; {}; {}; rm -rf nested/.git && echo removed; mv viafile/.git viafile/old && echo moved; echo 'gitdir: /x' > viafile/.git && echo rewritten",
                plant("plain.git"),
                plant(other.to_str().unwrap()),
                plant(repo.to_str().unwrap()),
                plant("nested"),
                plant("viafile"),
                plant("vialink"),
                plant("real-gitdir"),
            ),
        );
        for marker in ["planted-", "removed", "moved", "rewritten"] {
            assert!(!out.contains(marker), "{marker}: {out}");
        }
        for d in [
            &other,
            &repo,
            &inner.join("nested"),
            &inner.join("viafile"),
            &inner.join("vialink"),
            &inner.join("plain.git"),
        ] {
            assert_canary_silent(&c, d, "existing repository");
        }
        // 3. A .git symlink replaced by the command counts as new.
        let out = run(
            &mut s,
            &ws,
            &format!(
                "mkdir -p again && ln -s {} again/.git && echo linked",
                elsewhere.join("store.git").display()
            ),
        );
        assert!(
            out.contains("linked") && out.contains("[tack sandbox] blocked"),
            "{out}"
        );
        assert!(!ws.join("again/.git").exists());
    }
}

#[test]
fn danger_full_access_leftovers_end_with_the_command_and_at_shutdown() {
    let mut s = Sidecar::start();
    for tty in [true, false] {
        let a = unique_sleep(&format!("8{}1", tty as u8));
        let b = unique_sleep(&format!("8{}2", tty as u8));
        let id = s.start_exec(json!({
            "argv": ["bash", "-c", format!("setsid sleep {a} & nohup sleep {b} >/dev/null 2>&1 & echo started; read -t 30 line")],
            "cwd": "/", "tty": tty, "sandbox": {"mode": "danger-full-access"},
        }));
        s.wait_output(&id, |o| o.contains("started"));
        for m in [&a, &b] {
            wait_until("the background process runs", || !pids_with(m).is_empty());
        }
        s.request("exec/write", json!({"execId": id, "data": "go\n"}))
            .unwrap();
        assert_eq!(s.wait_exit(&id).exited["exitCode"], 0);
        for m in [&a, &b] {
            wait_until("the leftover is ended", || pids_with(m).is_empty());
        }
    }
    // A leftover of a command that still runs is kept until shutdown.
    let c = unique_sleep("83");
    let id = s.start_exec(json!({
        "argv": ["bash", "-c", format!("setsid sleep {c} & echo started; sleep 600")],
        "cwd": "/", "tty": false, "sandbox": {"mode": "danger-full-access"},
    }));
    s.wait_output(&id, |o| o.contains("started"));
    wait_until("the detached process runs", || !pids_with(&c).is_empty());
    s.request("shutdown", json!(null)).unwrap();
    wait_until("shutdown ended the detached process", || {
        pids_with(&c).is_empty()
    });
}

#[test]
fn a_sandboxed_command_reports_its_own_exit_code_signal_and_timeout() {
    let l = layout("status");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    for tty in [true, false] {
        let run = |s: &mut Sidecar, script: &str, extra: serde_json::Value| {
            let mut p = json!({
                "argv": ["bash", "-c", script], "cwd": l.ws, "tty": tty,
                "sandbox": {"mode": "workspace-write", "writableRoots": [l.ws]},
            });
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            s.run(p).exited
        };
        let e = run(&mut s, "exit 7", json!({}));
        assert_eq!(e["exitCode"], 7, "tty {tty}: {e}");
        let e = run(&mut s, "kill -SEGV $$", json!({}));
        assert_eq!(e["signal"], "SIGSEGV", "tty {tty}: {e}");
        assert_eq!(e["exitCode"], serde_json::Value::Null);
        let e = run(&mut s, "sleep 600", json!({"timeoutMs": 300}));
        assert_eq!(e["timedOut"], true);
        assert_eq!(e["signal"], "SIGTERM", "tty {tty}: {e}");
        // A command that ignores SIGTERM is killed after the grace, namespace and all.
        let e = run(
            &mut s,
            "trap '' TERM; sleep 600 & wait",
            json!({"timeoutMs": 300}),
        );
        assert_eq!(e["signal"], "SIGKILL", "tty {tty}: {e}");
        // A command that handles SIGTERM itself ends the way it chooses.
        let e = run(
            &mut s,
            "trap 'exit 42' TERM; sleep 600 & wait",
            json!({"timeoutMs": 300}),
        );
        assert_eq!(e["exitCode"], 42, "tty {tty}: {e}");
    }
    // Ctrl-C typed into the terminal reaches the command (the launcher and init ignore it).
    let id = s.start_exec(json!({
        "argv": ["bash", "-c", "trap 'echo got-int; exit 5' INT; echo ready; sleep 600 & wait"],
        "cwd": l.ws,
        "sandbox": {"mode": "read-only"},
    }));
    s.wait_output(&id, |o| o.contains("ready"));
    s.request("exec/write", json!({"execId": id, "data": "\u{3}"}))
        .unwrap();
    let e = s.wait_exit(&id);
    assert_eq!(e.exited["exitCode"], 5, "{}", e.output);
    assert!(e.output.contains("got-int"));
}

#[cfg(target_arch = "x86_64")]
#[test]
fn x32_syscall_numbers_are_refused() {
    let l = layout("x32");
    let mut s = sidecar_for(&l);
    if !sandbox_available(&mut s) {
        return;
    }
    // getpid with the x32 bit: ENOSYS (38) on kernels without x32, a pid with it; inside, EPERM (1),
    // so the x86_64-numbered rules cannot be sidestepped through x32 numbers.
    let probe = "python3 -c 'import ctypes; l=ctypes.CDLL(None, use_errno=True); r=l.syscall(0x40000000 | 39); print(\"x32\", r, ctypes.get_errno())'";
    let outside = s.run(json!({"argv": ["bash", "-c", probe], "cwd": "/", "tty": false}));
    assert!(
        !outside.output.contains("x32 -1 1\n"),
        "{}",
        all_output(&outside)
    );
    for mode in ["read-only", "workspace-write"] {
        for network in [false, true] {
            let e = s.run(json!({
                "argv": ["bash", "-c", probe], "cwd": l.ws, "tty": false,
                "sandbox": {"mode": mode, "writableRoots": [l.ws], "network": network},
            }));
            assert!(
                e.output.contains("x32 -1 1\n"),
                "{mode}: {}",
                all_output(&e)
            );
        }
    }
}

#[test]
fn tacks_own_directory_inside_the_workspace_stays_read_only() {
    // A workspace that holds Tack's own directory (the home directory opened as a workspace): a
    // command may write the workspace but not `$TACK_HOME`, whose mcp.json is trusted without
    // asking and whose code cache the CLI runs. One that does not exist yet is made first (private),
    // so a command cannot create it either.
    let l = layout("tackhome");
    for (name, exists) in [("home-existing", true), ("home-missing", false)] {
        let home = l.ws.join(name);
        if exists {
            std::fs::create_dir_all(&home).unwrap();
            std::fs::write(home.join("mcp.json"), "{}\n").unwrap();
        }
        let mut s = Sidecar::start_with(
            &[
                ("TMPDIR", l.tmp.to_str().unwrap()),
                ("TACK_HOME", home.to_str().unwrap()),
            ],
            None,
        );
        if !sandbox_available(&mut s) {
            return;
        }
        let script = format!(
            r#"echo planted > "{h}/mcp.json" 2>/dev/null && echo WROTE-MCP; mkdir -p "{h}/cache/v8" 2>/dev/null && echo MADE-CACHE; echo fine > "{ws}/ok-{name}.txt" && echo WROTE-WS"#,
            h = home.display(),
            ws = l.ws.display(),
        );
        let e = sandboxed(&mut s, &l, "workspace-write", false, &script);
        let out = all_output(&e);
        assert!(
            out.contains("WROTE-WS"),
            "{name}: the workspace stays writable: {out}"
        );
        assert!(
            !out.contains("WROTE-MCP"),
            "{name}: mcp.json was written: {out}"
        );
        assert!(
            !out.contains("MADE-CACHE"),
            "{name}: a directory was made in Tack's: {out}"
        );
        assert!(home.is_dir(), "{name}: Tack's directory exists");
        if exists {
            assert_eq!(
                std::fs::read_to_string(home.join("mcp.json")).unwrap(),
                "{}\n"
            );
        } else {
            assert!(
                !home.join("mcp.json").exists(),
                "{name}: mcp.json was created"
            );
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&home).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{name}: made private");
        }
    }
}
