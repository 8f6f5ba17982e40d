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

#[test]
fn workspace_write_allows_the_roots_and_temp_and_nothing_else() {
    let mut s = Sidecar::start();
    if !sandbox_available(&mut s) {
        return;
    }
    let l = layout("ww");
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
