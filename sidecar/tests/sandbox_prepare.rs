//! `sandbox/prepare`: the first workspace-write command's `.git` scan made ahead of it. It reports
//! what it found, refuses roots exec/start would refuse, and weakens nothing: a `.git` made after
//! it (outside the sandbox, or by the first command) is still protected or renamed. Through the
//! real sidecar binary.
mod common;
use common::*;
use serde_json::json;
use std::path::{Path, PathBuf};

fn run(s: &mut Sidecar, root: &Path, script: &str) -> String {
    let e = s.run(json!({
        "argv": ["bash", "-c", script], "cwd": root, "tty": false,
        "sandbox": {"mode": "workspace-write", "writableRoots": [root]},
    }));
    format!("{}{}", e.output, e.stderr)
}

/// A workspace with a nested repository two levels down and a bare-looking one, its temp dir
/// beside it, and a sidecar using that temp dir.
fn setup(name: &str) -> Option<(PathBuf, Sidecar)> {
    let base = scratch(name);
    let (ws, tmp) = (base.join("ws"), base.join("tmp"));
    for a in 0..3 {
        for b in 0..3 {
            std::fs::create_dir_all(ws.join(format!("a{a}/b{b}"))).unwrap();
        }
    }
    std::fs::create_dir_all(ws.join("a1/b2/.git/hooks")).unwrap();
    std::fs::create_dir_all(ws.join("a2/bare/objects")).unwrap();
    std::fs::create_dir_all(ws.join("a2/bare/refs")).unwrap();
    std::fs::write(ws.join("a2/bare/HEAD"), "ref: refs/heads/main\n").unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let (ws, tmp) = (ws.canonicalize().unwrap(), tmp.canonicalize().unwrap());
    let mut s = Sidecar::start_with(&[("TMPDIR", tmp.to_str().unwrap())], None);
    if !sandbox_or_skip(&mut s) {
        return None;
    }
    Some((ws, s))
}

/// What a scan finds that is not in the workspace (a repository the scratch folder lies in, the
/// temp dir): the count for an empty workspace beside it.
fn around(s: &mut Sidecar, ws: &Path) -> u64 {
    let empty = ws.with_file_name("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let r = s
        .request("sandbox/prepare", json!({"writableRoots": [&empty]}))
        .expect("sandbox/prepare answers");
    r["gitEntries"].as_u64().unwrap()
}

#[test]
fn prepare_reports_what_the_scan_found_and_the_first_command_still_finds_everything() {
    let Some((ws, mut s)) = setup("prepare-found") else {
        return;
    };
    let r = s
        .request("sandbox/prepare", json!({"writableRoots": [&ws]}))
        .expect("sandbox/prepare answers");
    assert_eq!(r["scanned"], true, "{r}");
    assert_eq!(r["complete"], true, "{r}");
    // a1/b2/.git and a2/bare (recorded by its HEAD), besides what lies above the workspace.
    assert_eq!(r["gitEntries"], around(&mut s, &ws) + 2, "{r}");

    // Made after the scan, outside any sandbox: the first command must find it read-only.
    std::fs::create_dir_all(ws.join("a0/b1/.git/hooks")).unwrap();
    for hooks in ["a1/b2/.git/hooks", "a0/b1/.git/hooks"] {
        let out = run(
            &mut s,
            &ws,
            &format!("echo x > {hooks}/pre-commit; echo rc=$?"),
        );
        assert!(out.contains("rc=1"), "{hooks} was writable: {out}");
        assert!(!ws.join(hooks).join("pre-commit").exists(), "{out}");
    }
    let out = run(&mut s, &ws, "echo x > a2/bare/HEAD; echo rc=$?");
    assert!(
        out.contains("rc=1"),
        "the bare repository's HEAD was writable: {out}"
    );

    // Made by the first command after a prepare: renamed, as without it.
    let Some((ws2, mut s2)) = setup("prepare-first") else {
        return;
    };
    s2.request("sandbox/prepare", json!({"writableRoots": [&ws2]}))
        .expect("sandbox/prepare answers");
    let out = run(&mut s2, &ws2, "mkdir a2/b0/.git");
    assert!(out.contains("[tack sandbox] blocked"), "{out}");
    assert!(ws2.join("a2/b0/.git.tack-blocked-1").is_dir(), "{out}");
    assert!(!ws2.join("a2/b0/.git").exists(), "{out}");
}

#[test]
fn prepare_refuses_the_roots_exec_would_refuse_and_changes_nothing() {
    let Some((ws, mut s)) = setup("prepare-refuse") else {
        return;
    };
    for bad in [json!(["relative/dir"]), json!([ws.join("missing")])] {
        let e = s
            .request("sandbox/prepare", json!({"writableRoots": bad}))
            .expect_err("a bad root is refused");
        assert_eq!(e["code"], -32602, "{e}");
        assert_eq!(e["data"]["reason"], "writable-root-missing", "{e}");
    }
    let e = s
        .request(
            "sandbox/prepare",
            json!({"writableRoots": [&ws], "extra": 1}),
        )
        .expect_err("unknown fields are refused");
    assert_eq!(e["code"], -32602, "{e}");
    // Nothing was renamed or created by the scans.
    assert!(ws.join("a1/b2/.git/hooks").is_dir());
    assert!(ws.join("a2/bare/HEAD").is_file());
    let names: Vec<String> = std::fs::read_dir(ws.join("a1/b2"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [".git"]);
    // The sidecar serves on.
    let r = s
        .request("sandbox/prepare", json!({"writableRoots": [&ws]}))
        .expect("a good request after bad ones");
    assert_eq!(r["gitEntries"], around(&mut s, &ws) + 2, "{r}");
}
