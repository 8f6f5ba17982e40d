//! The git guard's inotify watches (sandbox/git_watch.rs): between sandboxed commands a remembered
//! directory listing is trusted without a stat while its watch reports nothing. Everything a
//! command does to the tree is seen through the events: a `.git` made deep inside watched
//! directories, a subtree with a `.git` moved in, a directory swapped for a symlink or deleted and
//! made again, more events than the queue holds, a watch budget used up, a `.git` made by a
//! process outside the sandbox, a mount over a watched directory. Through the real sidecar binary.
mod common;
use common::*;
use serde_json::json;
use std::path::Path;
use std::process::Command;

fn run(s: &mut Sidecar, root: &Path, script: &str) -> String {
    s.sh_ok(root, "workspace-write", script)
}

/// A workspace `ws` with a tree of directories (three levels of four), its temp dir `tmp` beside
/// it, and a sidecar using that temp dir. The tree is scanned twice, so every directory of it is
/// watched and its listing clean before the test's commands.
fn setup(
    name: &str,
    env: &[(&str, &str)],
) -> Option<(std::path::PathBuf, std::path::PathBuf, Sidecar)> {
    let base = scratch(name);
    let (ws, tmp) = (base.join("ws"), base.join("tmp"));
    dir_tree(&ws, [4, 4, 4]);
    std::fs::create_dir_all(&tmp).unwrap();
    let (ws, tmp) = (ws.canonicalize().unwrap(), tmp.canonicalize().unwrap());
    let mut all = vec![("TMPDIR", tmp.to_str().unwrap())];
    all.extend_from_slice(env);
    let mut s = Sidecar::start_with(&all, None);
    if !sandbox_or_skip(&mut s) {
        return None;
    }
    for _ in 0..2 {
        assert!(!run(&mut s, &ws, "true").contains("[tack sandbox]"));
    }
    Some((ws, tmp, s))
}

fn blocked(out: &str) -> usize {
    out.matches("[tack sandbox] blocked").count()
}

#[test]
fn a_git_made_deep_inside_watched_directories_by_the_next_command_is_found() {
    let Some((ws, _tmp, mut s)) = setup("watch-deep", &[]) else {
        return;
    };
    for i in 0..4 {
        // Nothing else changes: only the event of the very directory tells.
        let d = ws.join(format!("a{i}/b{}/c{}", (i + 1) % 4, (i + 2) % 4));
        let out = run(&mut s, &ws, &format!("mkdir {}/.git", d.display()));
        assert_eq!(blocked(&out), 1, "round {i}: {out}");
        assert!(d.join(".git.tack-blocked-1").is_dir(), "{out}");
        assert!(!d.join(".git").exists(), "{out}");
        // A bare-looking repository made inside one, in two commands.
        let r = ws.join(format!("a{i}/b0/c3/repo{i}"));
        run(
            &mut s,
            &ws,
            &format!("mkdir -p {0}/objects {0}/refs", r.display()),
        );
        let out = run(
            &mut s,
            &ws,
            &format!("echo 'ref: refs/heads/x' > {}/HEAD", r.display()),
        );
        assert_eq!(blocked(&out), 1, "round {i}: {out}");
        assert!(r.join("HEAD.tack-blocked-1").is_file(), "{out}");
    }
    // A gitfile too (a `.git` that is a file).
    let out = run(&mut s, &ws, "echo 'gitdir: /nowhere' > a3/b3/c3/.git");
    assert_eq!(blocked(&out), 1, "{out}");
    // In a terminal, and by a background process the command leaves behind (the PID namespace
    // ends it with the command, so it either made its `.git` before the check or never does).
    let e = s.run(json!({
        "argv": ["bash", "-c", "mkdir a2/b2/c2/.git; (sleep 0.05; mkdir a2/b2/c1/.git) & sleep 0.2"],
        "cwd": ws, "tty": true,
        "sandbox": {"mode": "workspace-write", "writableRoots": [&ws]},
    }));
    let out = format!("{}{}", e.output, e.stderr);
    assert_eq!(blocked(&out), 2, "{out}");
    assert!(ws.join("a2/b2/c2/.git.tack-blocked-1").is_dir(), "{out}");
    assert!(ws.join("a2/b2/c1/.git.tack-blocked-1").is_dir(), "{out}");
}

#[test]
fn a_subtree_holding_a_git_moved_into_the_workspace_is_found() {
    let Some((ws, tmp, mut s)) = setup("watch-move", &[]) else {
        return;
    };
    // By the command: a subtree made in the temp dir, moved deep into watched directories by the
    // next command.
    let t = tmp.display();
    run(&mut s, &ws, &format!("mkdir -p {t}/sub/x/y/.git"));
    let out = run(
        &mut s,
        &ws,
        &format!("mv {t}/sub a3/b2/c1/moved && echo moved"),
    );
    assert!(out.contains("moved"), "{out}");
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(
        ws.join("a3/b2/c1/moved/x/y/.git.tack-blocked-1").is_dir(),
        "{out}"
    );
    // Made outside the sandbox in the temp dir (an existing repository for the next command),
    // then moved into the workspace by a command, where it is new.
    std::fs::create_dir_all(tmp.join("sub2/x/y/.git")).unwrap();
    let out = run(
        &mut s,
        &ws,
        &format!("mv {t}/sub2 a1/b2/c3/moved && echo moved"),
    );
    assert!(out.contains("moved"), "{out}");
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(
        ws.join("a1/b2/c3/moved/x/y/.git.tack-blocked-1").is_dir(),
        "{out}"
    );
    // A watched subtree moved elsewhere in the workspace and a `.git` made in its new place, and
    // in a directory made where it was.
    let out = run(
        &mut s,
        &ws,
        "mv a2/b1 a0/b0/c0/moved && mkdir a0/b0/c0/moved/c2/.git && mkdir -p a2/b1/c2/.git",
    );
    assert_eq!(blocked(&out), 2, "{out}");
    assert!(
        ws.join("a0/b0/c0/moved/c2/.git.tack-blocked-1").is_dir(),
        "{out}"
    );
    assert!(ws.join("a2/b1/c2/.git.tack-blocked-1").is_dir(), "{out}");
    // Moved back, each then gets a `.git` in a directory that was watched under the other name.
    let out = run(
        &mut s,
        &ws,
        "rm -rf a2/b1 && mv a0/b0/c0/moved a2/b1 && mkdir a2/b1/c3/.git",
    );
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(ws.join("a2/b1/c3/.git.tack-blocked-1").is_dir(), "{out}");
}

#[test]
fn a_watched_directory_replaced_by_a_symlink_or_made_again_is_seen_as_such() {
    let Some((ws, tmp, mut s)) = setup("watch-swap", &[]) else {
        return;
    };
    let elsewhere = tmp.parent().unwrap().join("elsewhere");
    std::fs::create_dir_all(elsewhere.join("inner/.git")).unwrap();
    std::fs::create_dir_all(ws.join("a0/b0/c0/repo/.git")).unwrap();
    run(&mut s, &ws, "true");
    // A watched directory swapped for a symlink to a repository: not followed, nothing of the
    // repository renamed, its `.git` not taken for one in the workspace.
    let out = run(
        &mut s,
        &ws,
        &format!(
            "rm -rf a1/b1 && ln -s {} a1/b1 && ln -s ../../a0/b0/c0/repo a1/b2/c0/link",
            elsewhere.display()
        ),
    );
    assert!(!out.contains("[tack sandbox]"), "{out}");
    assert!(elsewhere.join("inner/.git").is_dir());
    assert!(ws.join("a0/b0/c0/repo/.git").is_dir());
    // Then a directory again, made with a `.git` inside at once.
    let out = run(&mut s, &ws, "rm a1/b1 && mkdir -p a1/b1/c1/.git");
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(ws.join("a1/b1/c1/.git.tack-blocked-1").is_dir(), "{out}");
    // A watched directory deleted and made again with a `.git` inside, in one command.
    let out = run(&mut s, &ws, "rm -rf a3/b2/c1 && mkdir -p a3/b2/c1/.git");
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(ws.join("a3/b2/c1/.git.tack-blocked-1").is_dir(), "{out}");
    // Its parent deleted and made again, the `.git` in the next command.
    run(&mut s, &ws, "rm -rf a3/b3 && mkdir -p a3/b3/c0");
    let out = run(&mut s, &ws, "mkdir a3/b3/c0/.git");
    assert_eq!(blocked(&out), 1, "{out}");
}

#[test]
fn more_events_than_the_queue_holds_still_find_a_planted_git() {
    let Some((ws, _tmp, mut s)) = setup("watch-overflow", &[]) else {
        return;
    };
    let queue: usize = std::fs::read_to_string("/proc/sys/fs/inotify/max_queued_events")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(16_384);
    if queue > 1_000_000 {
        eprintln!("skipped: the inotify queue holds {queue} events");
        return;
    }
    // First more events than the queue holds (the rest are lost), then the `.git`: its event is
    // one of the lost ones.
    let n = queue + 1_000;
    for round in 0..2 {
        // A watched directory to make them in (one made by the same command is not watched yet).
        run(&mut s, &ws, &format!("mkdir many{round}"));
        let out = run(
            &mut s,
            &ws,
            &format!(
                "cd many{round} && seq 1 {n} | xargs touch && cd .. && mkdir a2/b3/c{round}/.git && echo done"
            ),
        );
        assert!(out.contains("done"), "{out}");
        assert_eq!(blocked(&out), 1, "round {round}: {out}");
        assert!(ws
            .join(format!("a2/b3/c{round}/.git.tack-blocked-1"))
            .is_dir());
        std::fs::remove_dir_all(ws.join(format!("many{round}"))).unwrap();
    }
    // And the watches work again afterwards.
    run(&mut s, &ws, "true");
    let out = run(&mut s, &ws, "mkdir a1/b3/c3/.git");
    assert_eq!(blocked(&out), 1, "{out}");
}

#[test]
fn with_the_watch_budget_used_up_an_unwatched_directory_is_checked_by_stat() {
    // Three watches only: most of the tree keeps the stat rule.
    let Some((ws, _tmp, mut s)) = setup("watch-budget", &[("TACK_SIDECAR_GIT_WATCH_LIMIT", "3")])
    else {
        return;
    };
    for (i, d) in ["a0/b0/c0", "a3/b3/c3", "a2/b1/c0", "a1"]
        .iter()
        .enumerate()
    {
        let out = run(&mut s, &ws, &format!("mkdir {d}/.git"));
        assert_eq!(blocked(&out), 1, "{i}: {out}");
        assert!(ws.join(d).join(".git.tack-blocked-1").is_dir(), "{out}");
        // Made right after the scan, before a tick of the coarse clock, and later.
        if i % 2 == 1 {
            std::thread::sleep(std::time::Duration::from_millis(30));
        }
    }
}

/// Whether git metadata at `dir/.git` is read-only for a sandboxed command (it existed when the
/// command started). Needs user namespaces (the `.git` bind mounts).
fn git_is_read_only(s: &mut Sidecar, ws: &Path, dir: &str) -> String {
    run(
        s,
        ws,
        &format!("touch {dir}/.git/config-probe 2>/dev/null && echo writable || echo refused"),
    )
}

/// The temp dir and its subdirectories are watched too, so a scan of an unchanged temp dir stats
/// only the temp dir itself: a `.git` made in one of its subdirectories, by a command or by a
/// process outside the sandbox, is still found while nothing else in the temp dir changes.
#[test]
fn a_git_made_in_a_subdirectory_of_the_temp_dir_is_found() {
    let Some((ws, tmp, mut s)) = setup("watch-tmp", &[]) else {
        return;
    };
    for i in 0..4 {
        std::fs::create_dir_all(tmp.join(format!("t{i}/inner"))).unwrap();
    }
    // Read with their watches in place, then kept by the watch rule.
    for _ in 0..2 {
        run(&mut s, &ws, "true");
    }
    let t1 = tmp.join("t1");
    let out = run(&mut s, &ws, &format!("mkdir {}/.git", t1.display()));
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(t1.join(".git.tack-blocked-1").is_dir(), "{out}");
    assert!(!t1.join(".git").exists(), "{out}");
    // A repository-looking directory made in one (HEAD, objects/, refs/), in two commands.
    let t3 = tmp.join("t3");
    run(
        &mut s,
        &ws,
        &format!("mkdir {0}/objects {0}/refs", t3.display()),
    );
    let out = run(
        &mut s,
        &ws,
        &format!("echo 'ref: refs/heads/main' > {}/HEAD", t3.display()),
    );
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(!t3.join("HEAD").exists(), "{out}");
    let user_ns = s.request("initialize", json!({})).unwrap()["sandbox"]["userNamespaces"] == true;
    if user_ns {
        // Plain std::fs from this process: read-only for the next command.
        std::fs::create_dir_all(tmp.join("t2/.git")).unwrap();
        let out = git_is_read_only(&mut s, &ws, tmp.join("t2").to_str().unwrap());
        assert!(out.contains("refused"), "{out}");
        assert_eq!(blocked(&out), 0, "{out}");
        assert!(!tmp.join("t2/.git/config-probe").exists());
    }
}

#[test]
fn a_git_made_outside_the_sandbox_between_commands_is_read_only_for_the_next() {
    let Some((ws, _tmp, mut s)) = setup("watch-outside", &[]) else {
        return;
    };
    let user_ns = s.request("initialize", json!({})).unwrap()["sandbox"]["userNamespaces"] == true;
    if !user_ns {
        eprintln!("skipped: no user namespaces (no .git mounts)");
        return;
    }
    for (i, d) in ["a0/b1/c2", "a3/b0/c1", "a2/b2"].iter().enumerate() {
        // Plain std::fs from this process: not a sandboxed command's doing.
        std::fs::create_dir_all(ws.join(d).join(".git")).unwrap();
        let out = git_is_read_only(&mut s, &ws, d);
        assert!(out.contains("refused"), "{i} {d}: {out}");
        assert_eq!(blocked(&out), 0, "{out}");
        assert!(ws.join(d).join(".git").is_dir());
        assert!(!ws.join(d).join(".git/config-probe").exists());
    }
}

/// A mount over a watched directory gives no inotify event on it; the sidecar watches the mount
/// table and checks every directory by stat after a change. The sidecar runs in a mount namespace
/// of its own (root only: on CI), where the test binds a directory of the temp dir over a watched
/// one of the workspace; a command then makes a `.git` deep in it through the temp dir (below what
/// the temp dir's shallow scan sees): it is found in the workspace.
#[test]
fn a_mount_over_a_watched_directory_is_seen() {
    let probe = Command::new("unshare")
        .args(["--mount", "--propagation", "private", "true"])
        .status();
    let nsenter = Command::new("nsenter").arg("--version").output();
    if !probe.is_ok_and(|s| s.success()) || !nsenter.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: cannot make a mount namespace here (not root, or no unshare/nsenter)");
        return;
    }
    let base = scratch("watch-mount");
    let (ws, tmp) = (base.join("ws"), base.join("tmp"));
    for d in [ws.join("a/b/c"), tmp.join("m")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let (ws, tmp) = (ws.canonicalize().unwrap(), tmp.canonicalize().unwrap());
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private"])
        .arg(BIN)
        .env("TMPDIR", &tmp);
    let mut s = Sidecar::spawn(cmd, None);
    if !sandbox_or_skip(&mut s) {
        return;
    }
    for _ in 0..2 {
        run(&mut s, &ws, "true");
    }
    let mounted = Command::new("nsenter")
        .args(["-t", &s.pid().to_string(), "-m", "mount", "--bind"])
        .arg(tmp.join("m"))
        .arg(ws.join("a/b"))
        .status()
        .unwrap();
    assert!(mounted.success());
    let out = run(
        &mut s,
        &ws,
        &format!("mkdir -p {}/m/x/y/.git && echo made", tmp.display()),
    );
    assert!(out.contains("made"), "{out}");
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(out.contains("a/b/x/y/.git"), "{out}");
    assert!(tmp.join("m/x/y/.git.tack-blocked-1").is_dir(), "{out}");
}

/// A workspace whose parent directory is renamed away and made again (outside the sandbox) with a
/// repository at the workspace's path: no watch of the workspace reports anything (its own
/// directory was not moved), so only the workspace's own stat before each scan tells it is another
/// directory now. The next command finds the repository existing (read-only for it).
#[test]
fn a_workspace_replaced_through_its_parent_is_walked_again() {
    let base = scratch("watch-parent");
    let (ws, tmp) = (base.join("p/ws"), base.join("tmp"));
    for d in [ws.join("a/b"), tmp.clone()] {
        std::fs::create_dir_all(d).unwrap();
    }
    let (ws, tmp) = (ws.canonicalize().unwrap(), tmp.canonicalize().unwrap());
    let mut s = Sidecar::start_with(&[("TMPDIR", tmp.to_str().unwrap())], None);
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let user_ns = s.request("initialize", json!({})).unwrap()["sandbox"]["userNamespaces"] == true;
    for _ in 0..3 {
        run(&mut s, &ws, "true");
    }
    std::fs::rename(base.join("p"), base.join("p-old")).unwrap();
    std::fs::create_dir_all(ws.join("a/b/repo/.git")).unwrap();
    let out = run(
        &mut s,
        &ws,
        "touch a/b/repo/.git/probe 2>/dev/null && echo writable || echo refused; mkdir a/b/.git",
    );
    assert_eq!(blocked(&out), 1, "{out}");
    assert!(ws.join("a/b/.git.tack-blocked-1").is_dir(), "{out}");
    assert!(ws.join("a/b/repo/.git").is_dir(), "{out}");
    if user_ns {
        assert!(out.contains("refused"), "{out}");
        assert!(!ws.join("a/b/repo/.git/probe").exists(), "{out}");
    }
}
