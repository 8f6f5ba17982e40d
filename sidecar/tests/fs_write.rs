//! fs/applyChanges and fs/checkWrite through the real binary: the policy (read-only, `.git`, git
//! directories of any name, writable roots, symbolic links), all-or-nothing, races and a full disk.
mod common;

use common::{Sidecar, BIN};
use serde_json::{json, Value};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "tack-fsw-{tag}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        fs::create_dir_all(&p).unwrap();
        TempDir(p.canonicalize().unwrap())
    }
    fn path(&self) -> &Path {
        &self.0
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Every file and symlink under `dir` (relative paths, sorted), with contents for files.
fn tree(dir: &Path) -> Vec<(String, String)> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(rd) = fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                out.push((rel, format!("-> {}", fs::read_link(&p).unwrap().display())));
            } else if ft.is_dir() {
                out.push((format!("{rel}/"), String::new()));
                walk(base, &p, out);
            } else {
                out.push((rel, fs::read_to_string(&p).unwrap_or_default()));
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

fn apply(
    sc: &mut Sidecar,
    cwd: &Path,
    roots: &[&Path],
    mode: &str,
    changes: Value,
) -> Result<Value, Value> {
    sc.request(
        "fs/applyChanges",
        json!({
            "cwd": cwd,
            "policy": {"mode": mode, "writableRoots": roots},
            "changes": changes,
        }),
    )
}

fn ws_apply(sc: &mut Sidecar, ws: &Path, changes: Value) -> Result<Value, Value> {
    apply(sc, ws, &[ws], "workspace-write", changes)
}

fn reason(err: &Value) -> &str {
    err["data"]["reason"].as_str().unwrap_or("")
}

#[test]
fn writes_updates_moves_and_deletes_all_at_once() {
    let t = TempDir::new("basic");
    let ws = t.path();
    fs::write(ws.join("a.txt"), "a\n").unwrap();
    fs::write(ws.join("run.sh"), "echo 1\n").unwrap();
    fs::set_permissions(ws.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(ws.join("old.txt"), "old\n").unwrap();
    fs::write(ws.join("gone.txt"), "gone\n").unwrap();
    let mut sc = Sidecar::start();
    let r = ws_apply(
        &mut sc,
        ws,
        json!([
            {"kind": "write", "path": "a.txt", "contents": "A\n"},
            {"kind": "write", "path": "run.sh", "contents": "echo 2\n"},
            {"kind": "write", "path": "deep/er/new.txt", "contents": "new\n"},
            {"kind": "move", "from": "old.txt", "to": "moved/old.txt", "contents": "old2\n"},
            {"kind": "delete", "path": "gone.txt"},
        ]),
    )
    .expect("applied");
    assert_eq!(
        r["written"],
        json!(["a.txt", "run.sh", "deep/er/new.txt", "moved/old.txt"])
    );
    assert_eq!(r["deleted"], json!(["old.txt", "gone.txt"]));
    assert_eq!(
        tree(ws),
        vec![
            ("a.txt".into(), "A\n".into()),
            ("deep/".into(), String::new()),
            ("deep/er/".into(), String::new()),
            ("deep/er/new.txt".into(), "new\n".into()),
            ("moved/".into(), String::new()),
            ("moved/old.txt".into(), "old2\n".into()),
            ("run.sh".into(), "echo 2\n".into()),
        ]
    );
    let mode = fs::metadata(ws.join("run.sh"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o755,
        "an existing file keeps its permission bits"
    );
}

#[test]
fn a_refused_change_means_nothing_is_written() {
    let t = TempDir::new("allornothing");
    let ws = t.path();
    fs::write(ws.join("a.txt"), "a\n").unwrap();
    fs::create_dir(ws.join("dir")).unwrap();
    let before = tree(ws);
    let mut sc = Sidecar::start();
    for (bad, want) in [
        (json!({"kind": "delete", "path": "missing.txt"}), "missing"),
        (
            json!({"kind": "write", "path": "dir", "contents": "x"}),
            "directory",
        ),
        (
            json!({"kind": "write", "path": "a.txt/child", "contents": "x"}),
            "not-a-directory",
        ),
        (
            json!({"kind": "write", "path": "a.txt", "contents": "again"}),
            "changed-twice",
        ),
    ] {
        let err = ws_apply(
            &mut sc,
            ws,
            json!([
                {"kind": "write", "path": "a.txt", "contents": "A\n"},
                {"kind": "write", "path": "new/file.txt", "contents": "n\n"},
                bad,
            ]),
        )
        .expect_err("refused");
        assert_eq!(reason(&err), want, "{err}");
        assert!(
            err["message"]
                .as_str()
                .unwrap()
                .starts_with("nothing was written: "),
            "{err}"
        );
        assert_eq!(tree(ws), before, "nothing changed after {err}");
    }
}

/// A repository whose `git status` would run a canary command if its config gained an fsmonitor.
fn git(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs")
}

#[test]
fn nothing_is_ever_written_into_a_git_directory() {
    let t = TempDir::new("git");
    let ws = t.path();
    assert!(git(ws, &["init", "-q"]).status.success());
    fs::create_dir_all(ws.join("sub")).unwrap();
    assert!(git(&ws.join("sub"), &["init", "-q"]).status.success());
    // A gitfile pointing at a git directory with an ordinary name, inside the workspace.
    fs::create_dir_all(ws.join("wt")).unwrap();
    assert!(Command::new("git")
        .args(["init", "-q", "--separate-git-dir"])
        .arg(ws.join("store"))
        .arg(ws.join("wt"))
        .status()
        .unwrap()
        .success());
    symlink(".git", ws.join("link-to-git")).unwrap();
    symlink(".git/config", ws.join("config-link")).unwrap();
    let before = tree(ws);
    let mut sc = Sidecar::start();
    let canary = "[core]\n\tfsmonitor = \"touch canary\"\n";
    for path in [
        ".git/config",
        ".git/hooks/pre-commit",
        "sub/.git/config",
        ".GIT/config",
        "sub/.Git/hooks/post-checkout",
        "link-to-git/config",
        "config-link",
        "store/config",
        "store/hooks/pre-commit",
        "wt/.git",
        ".gitmodules/../.git/x",
    ] {
        let err = ws_apply(
            &mut sc,
            ws,
            json!([{"kind": "write", "path": path, "contents": canary}]),
        )
        .expect_err(path);
        let r = reason(&err);
        assert!(r == "git-dir" || r == "bad-path", "{path}: {err}");
        if r == "git-dir" {
            let m = err["message"].as_str().unwrap();
            assert!(m.contains(path) && m.contains("git directory"), "{m}");
        }
        let err = sc
            .request(
                "fs/checkWrite",
                json!({"cwd": ws, "policy": {"mode": "workspace-write", "writableRoots": [ws]}, "writes": [path]}),
            )
            .expect_err(path);
        assert!(
            matches!(reason(&err), "git-dir" | "bad-path"),
            "{path}: {err}"
        );
    }
    // Deleting from .git is refused as well.
    let err = ws_apply(
        &mut sc,
        ws,
        json!([{"kind": "delete", "path": ".git/HEAD"}]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "git-dir");
    // Completing a bare repository in one patch is refused too.
    let err = ws_apply(
        &mut sc,
        ws,
        json!([
            {"kind": "write", "path": "bare/HEAD", "contents": "ref: refs/heads/main\n"},
            {"kind": "write", "path": "bare/objects/.keep", "contents": ""},
            {"kind": "write", "path": "bare/refs/.keep", "contents": ""},
            {"kind": "write", "path": "bare/config", "contents": canary},
        ]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "git-dir", "{err}");
    // So is one borrowing another's objects and refs through `commondir`.
    let err = ws_apply(
        &mut sc,
        ws,
        json!([
            {"kind": "write", "path": "wd/HEAD", "contents": "ref: refs/heads/main\n"},
            {"kind": "write", "path": "wd/commondir", "contents": "../.git\n"},
        ]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "git-dir", "{err}");
    assert_eq!(tree(ws), before);
    for dir in [ws.to_path_buf(), ws.join("sub"), ws.join("wt")] {
        assert!(git(&dir, &["status", "--short"]).status.success());
    }
    assert!(!ws.join("canary").exists() && !ws.join("sub/canary").exists());
    // Ordinary names that merely look alike are fine.
    ws_apply(
        &mut sc,
        ws,
        json!([
            {"kind": "write", "path": ".github/workflows/ci.yml", "contents": "on: push\n"},
            {"kind": "write", "path": ".gitignore", "contents": "target\n"},
        ]),
    )
    .expect("ordinary dotfiles are written");
}

#[test]
fn read_only_allows_nothing_and_roots_bound_everything() {
    let t = TempDir::new("policy");
    let ws = t.path().join("ws");
    let outside = t.path().join("outside");
    fs::create_dir_all(&ws).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("keep.txt"), "keep\n").unwrap();
    symlink(&outside, ws.join("out")).unwrap();
    symlink(outside.join("keep.txt"), ws.join("keep-link")).unwrap();
    let mut sc = Sidecar::start();
    let err = apply(
        &mut sc,
        &ws,
        &[&ws],
        "read-only",
        json!([{"kind": "write", "path": "a.txt", "contents": "x"}]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "read-only");
    assert!(
        err["message"].as_str().unwrap().contains("read-only"),
        "{err}"
    );
    let err = sc
        .request("fs/checkWrite", json!({"cwd": ws, "policy": {"mode": "read-only", "writableRoots": [ws]}, "writes": ["a.txt"]}))
        .unwrap_err();
    assert_eq!(reason(&err), "read-only");
    // The workspace is not among the writable roots.
    let err = apply(
        &mut sc,
        &ws,
        &[&outside],
        "workspace-write",
        json!([{"kind": "write", "path": "a.txt", "contents": "x"}]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "outside-roots", "{err}");
    let err = apply(
        &mut sc,
        &ws,
        &[],
        "workspace-write",
        json!([{"kind": "write", "path": "a.txt", "contents": "x"}]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "outside-roots", "{err}");
    // Symbolic links leading out.
    for path in ["out/new.txt", "keep-link"] {
        let err = ws_apply(
            &mut sc,
            &ws,
            json!([{"kind": "write", "path": path, "contents": "x"}]),
        )
        .unwrap_err();
        assert!(
            matches!(reason(&err), "symlink-escape" | "symlink"),
            "{path}: {err}"
        );
    }
    let err = ws_apply(
        &mut sc,
        &ws,
        json!([{"kind": "delete", "path": "out/keep.txt"}]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "symlink-escape", "{err}");
    assert_eq!(tree(&outside), vec![("keep.txt".into(), "keep\n".into())]);
    assert!(!ws.join("a.txt").exists());
    // Deleting the link itself is fine: the link goes, its target stays.
    ws_apply(
        &mut sc,
        &ws,
        json!([{"kind": "delete", "path": "keep-link"}]),
    )
    .expect("link removed");
    assert!(fs::symlink_metadata(ws.join("keep-link")).is_err());
    assert_eq!(tree(&outside), vec![("keep.txt".into(), "keep\n".into())]);
    // A symbolic link inside the workspace is written through.
    fs::write(ws.join("real.txt"), "r\n").unwrap();
    symlink("real.txt", ws.join("alias.txt")).unwrap();
    ws_apply(
        &mut sc,
        &ws,
        json!([{"kind": "write", "path": "alias.txt", "contents": "R\n"}]),
    )
    .expect("written through");
    assert_eq!(fs::read_to_string(ws.join("real.txt")).unwrap(), "R\n");
    assert!(fs::symlink_metadata(ws.join("alias.txt"))
        .unwrap()
        .file_type()
        .is_symlink());
}

#[test]
fn the_portable_walk_refuses_symlinked_directories() {
    let t = TempDir::new("noopenat2");
    let ws = t.path();
    fs::create_dir(ws.join("real")).unwrap();
    symlink("real", ws.join("alias")).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.env("TACK_SIDECAR_NO_OPENAT2", "1");
    let mut sc = Sidecar::spawn(cmd, None);
    let err = ws_apply(
        &mut sc,
        ws,
        json!([{"kind": "write", "path": "alias/x.txt", "contents": "x"}]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "symlink", "{err}");
    ws_apply(
        &mut sc,
        ws,
        json!([{"kind": "write", "path": "real/x.txt", "contents": "x"}]),
    )
    .expect("plain dirs work");
    let err = ws_apply(
        &mut sc,
        ws,
        json!([{"kind": "write", "path": ".git/config", "contents": "x"}]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "git-dir");
}

#[test]
fn bad_requests_are_refused_clearly() {
    let t = TempDir::new("validate");
    let ws = t.path();
    let mut sc = Sidecar::start();
    for path in [
        "/etc/passwd",
        "../x",
        "a/../../x",
        "a//b",
        "./a",
        "a\u{0}b",
        "",
    ] {
        let err = ws_apply(
            &mut sc,
            ws,
            json!([{"kind": "write", "path": path, "contents": "x"}]),
        )
        .unwrap_err();
        assert_eq!(err["code"], -32006, "{path:?}: {err}");
        assert_eq!(reason(&err), "bad-path", "{path:?}: {err}");
    }
    let many: Vec<Value> = (0..10_001)
        .map(|i| json!({"kind": "delete", "path": format!("f{i}")}))
        .collect();
    let err = ws_apply(&mut sc, ws, Value::Array(many)).unwrap_err();
    assert_eq!(err["code"], -32602, "{err}");
    let err = apply(
        &mut sc,
        Path::new("relative"),
        &[ws],
        "workspace-write",
        json!([]),
    )
    .unwrap_err();
    assert_eq!(err["code"], -32602, "{err}");
    let err = apply(
        &mut sc,
        ws,
        &[Path::new("rel")],
        "workspace-write",
        json!([]),
    )
    .unwrap_err();
    assert_eq!(err["code"], -32602, "{err}");
    let err = sc
        .request("fs/applyChanges", json!({"cwd": ws, "policy": {"mode": "workspace-write", "writableRoots": [ws]}, "changes": [{"kind": "chmod", "path": "a"}]}))
        .unwrap_err();
    assert_eq!(err["code"], -32602, "{err}");
    assert!(tree(ws).is_empty());
}

#[test]
fn a_directory_swapped_for_a_symlink_never_lets_a_write_out() {
    let t = TempDir::new("race");
    let ws = t.path().join("ws");
    let outside = t.path().join("outside");
    fs::create_dir_all(ws.join("d")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    for i in 0..20 {
        fs::write(outside.join(format!("f{i}")), "outside\n").unwrap();
    }
    let outside_before = tree(&outside);
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (ws, outside, stop) = (ws.clone(), outside.clone(), stop.clone());
        std::thread::spawn(move || {
            let (d, real, link) = (ws.join("d"), ws.join("d.real"), ws.join("d.link"));
            let _ = symlink(&outside, &link);
            let mut n = 0u64;
            while !stop.load(Ordering::SeqCst) {
                // d: real directory -> symlink to outside -> real directory, over and over.
                let _ = fs::rename(&d, &real);
                let _ = fs::rename(&link, &d);
                let _ = fs::rename(&d, &link);
                let _ = fs::rename(&real, &d);
                n += 1;
            }
            n
        })
    };
    let mut sc = Sidecar::start();
    let (mut landed, mut refused) = (0, 0);
    for round in 0..300 {
        let mut changes = Vec::new();
        for i in 0..20 {
            changes.push(json!({"kind": "write", "path": format!("d/f{i}"), "contents": format!("round {round}\n")}));
        }
        match ws_apply(&mut sc, &ws, Value::Array(changes)) {
            Ok(_) => landed += 1,
            Err(_) => refused += 1,
        }
        let deletes: Vec<Value> = (0..20)
            .map(|i| json!({"kind": "delete", "path": format!("d/f{i}")}))
            .collect();
        let _ = ws_apply(&mut sc, &ws, Value::Array(deletes));
    }
    stop.store(true, Ordering::SeqCst);
    let swaps = swapper.join().unwrap();
    eprintln!("race: {swaps} swaps, {landed} change sets landed, {refused} refused");
    assert!(swaps > 0);
    assert_eq!(
        tree(&outside),
        outside_before,
        "nothing landed outside, nothing outside was removed ({landed} landed, {refused} refused)"
    );
    // No temporaries anywhere in the workspace.
    for (p, _) in tree(&ws) {
        assert!(!p.contains(".tack-"), "left behind: {p}");
    }
}

#[test]
fn a_full_disk_leaves_no_temporaries_and_nothing_changed() {
    let t = TempDir::new("enospc");
    let mnt = t.path().join("small");
    fs::create_dir_all(&mnt).unwrap();
    // The sidecar runs in its own user + mount namespace with a 64 KiB tmpfs; as root on CI this
    // works directly, elsewhere unprivileged user namespaces do it.
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: no user + mount namespaces here");
        return;
    }
    let mut cmd = Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(r#"mount -t tmpfs -o size=64k tmpfs "$1" && printf 'a\n' > "$1/a.txt" && exec "$2""#)
        .arg("sh")
        .arg(&mnt)
        .arg(BIN);
    let mut sc = Sidecar::spawn(cmd, None);
    let big = "x".repeat(200 * 1024);
    let err = ws_apply(
        &mut sc,
        &mnt,
        json!([
            {"kind": "write", "path": "a.txt", "contents": "A\n"},
            {"kind": "write", "path": "new/small.txt", "contents": "s\n"},
            {"kind": "write", "path": "big.txt", "contents": big},
        ]),
    )
    .unwrap_err();
    assert_eq!(err["code"], -32007, "{err}");
    let m = err["message"].as_str().unwrap();
    assert!(
        m.starts_with("nothing was changed: writing big.txt: ")
            && m.contains("No space left on device"),
        "{m}"
    );
    // Look inside the namespace through the sidecar itself.
    let out = sc.run(
        json!({"argv": ["sh", "-c", "cd \"$0\" && find . | sort && cat a.txt", mnt], "cwd": "/", "tty": false}),
    );
    assert_eq!(out.output, ".\n./a.txt\na\n", "stderr: {}", out.stderr);
}

#[test]
fn a_failed_rename_midway_puts_back_every_file_already_changed() {
    let t = TempDir::new("rollback");
    let ws = t.path().join("ws");
    fs::create_dir_all(&ws).unwrap();
    let probe = Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "true"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        eprintln!("skipped: no user + mount namespaces here");
        return;
    }
    for (name, text) in [
        ("a.txt", "a\n"),
        ("b.txt", "b\n"),
        ("c.txt", "c\n"),
        ("pinned", "pinned\n"),
    ] {
        fs::write(ws.join(name), text).unwrap();
    }
    // In the sidecar's namespace c.txt is a bind mount: renaming it (aside, the third step) fails with
    // EBUSY after a.txt was replaced and b.txt removed, so both must be put back.
    let mut cmd = Command::new("unshare");
    cmd.args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(r#"mount --bind "$1/pinned" "$1/c.txt" && exec "$2""#)
        .arg("sh")
        .arg(&ws)
        .arg(BIN);
    let mut sc = Sidecar::spawn(cmd, None);
    let err = ws_apply(
        &mut sc,
        &ws,
        json!([
            {"kind": "write", "path": "a.txt", "contents": "A\n"},
            {"kind": "delete", "path": "b.txt"},
            {"kind": "write", "path": "new/d.txt", "contents": "d\n"},
            {"kind": "write", "path": "c.txt", "contents": "C\n"},
        ]),
    )
    .unwrap_err();
    assert_eq!(err["code"], -32007, "{err}");
    let m = err["message"].as_str().unwrap();
    assert!(
        m.starts_with("nothing was changed: c.txt: moving the old file aside: ")
            && !m.contains("restoring also failed"),
        "{m}"
    );
    let out = sc.run(json!({"argv": ["sh", "-c", "cd \"$0\" && find . | sort && cat a.txt b.txt c.txt", ws], "cwd": "/", "tty": false}));
    assert_eq!(
        out.output, ".\n./a.txt\n./b.txt\n./c.txt\n./pinned\na\nb\npinned\n",
        "stderr: {}",
        out.stderr
    );
}

#[test]
fn nothing_is_written_into_tacks_own_directory_inside_a_root() {
    let t = TempDir::new("tackhome");
    let ws = t.path();
    let home = ws.join("dot-tack");
    fs::create_dir_all(home.join("cache")).unwrap();
    fs::write(ws.join("keep.txt"), "keep\n").unwrap();
    let mut sc = Sidecar::start_with(&[("TACK_HOME", home.to_str().unwrap())], None);
    for path in [
        "dot-tack/mcp.json",
        "dot-tack/cache/v8/x",
        "./dot-tack/../dot-tack/sessions/s.jsonl",
    ] {
        let err = ws_apply(
            &mut sc,
            ws,
            json!([{"kind": "write", "path": path, "contents": "planted\n"}]),
        )
        .unwrap_err();
        assert!(
            reason(&err) == "tack-home" || reason(&err) == "bad-path",
            "{path}: {err}"
        );
        if reason(&err) == "tack-home" {
            assert!(
                err["message"]
                    .as_str()
                    .unwrap()
                    .contains("Tack's own directory"),
                "{err}"
            );
        }
    }
    // Moving a file in is refused too, and all or nothing: the earlier change is not written.
    let err = ws_apply(
        &mut sc,
        ws,
        json!([
            {"kind": "write", "path": "fine.txt", "contents": "fine\n"},
            {"kind": "move", "from": "keep.txt", "to": "dot-tack/mcp.json", "contents": "planted\n"},
        ]),
    )
    .unwrap_err();
    assert_eq!(reason(&err), "tack-home", "{err}");
    assert!(!ws.join("fine.txt").exists());
    assert!(!home.join("mcp.json").exists());
    // fs/checkWrite (VS Code's check before its own write) says the same.
    let err = sc
        .request(
            "fs/checkWrite",
            json!({"cwd": ws, "policy": {"mode": "workspace-write", "writableRoots": [ws]}, "writes": ["dot-tack/mcp.json"]}),
        )
        .unwrap_err();
    assert_eq!(reason(&err), "tack-home", "{err}");
    // The rest of the workspace is written as ever.
    ws_apply(
        &mut sc,
        ws,
        json!([{"kind": "write", "path": "fine.txt", "contents": "fine\n"}]),
    )
    .unwrap();
    assert_eq!(fs::read_to_string(ws.join("fine.txt")).unwrap(), "fine\n");
    // Before it exists (a fresh machine, nothing has run yet) it is refused all the same, and the
    // refusal creates nothing.
    fs::remove_dir_all(&home).unwrap();
    for path in ["dot-tack/mcp.json", "dot-tack/cache/v8/x"] {
        let err = ws_apply(
            &mut sc,
            ws,
            json!([{"kind": "write", "path": path, "contents": "planted\n"}]),
        )
        .unwrap_err();
        assert_eq!(reason(&err), "tack-home", "{path}: {err}");
    }
    assert!(!home.exists());
}
