//! The git guard between sandboxed commands (workspace-write): the sidecar remembers directory
//! listings from one scan to the next (sandbox/git_guard.rs) and trusts one only while its change
//! time says nothing changed. What the next command makes at once, in the same clock tick as the
//! last scan, is still found; a directory swapped for a symlink is not followed; a repository made
//! with full access between two sandboxed commands is an existing one (protected, not renamed).
//! Through the real sidecar binary.
mod common;
use common::*;
use serde_json::json;
use std::path::Path;

fn run(s: &mut Sidecar, root: &Path, mode: &str, script: &str) -> String {
    s.sh_ok(root, mode, script)
}

/// Long enough for the coarse clock to tick past a change (a tick is 1 to 10 ms).
fn past_a_tick() {
    std::thread::sleep(std::time::Duration::from_millis(30));
}

#[test]
fn a_git_made_by_the_very_next_command_is_found() {
    let base = scratch("guard-next");
    let tmp = base.join("tmp");
    // The workspace lives inside the sidecar's temp dir, like a workspace under /tmp.
    let ws = tmp.join("ws");
    let elsewhere = base.join("elsewhere");
    for d in [&ws, &elsewhere.join(".git")] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut s = Sidecar::start_with(&[("TMPDIR", tmp.to_str().unwrap())], None);
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let t = tmp.display();
    for i in 0..25 {
        // One command makes the directories, the next one (at once) a `.git` in each; every
        // other round the directories are older than a tick, so the last scan trusted them.
        let out = run(
            &mut s,
            &ws,
            "workspace-write",
            &format!("mkdir d{i} {t}/t{i}"),
        );
        assert!(!out.contains("[tack sandbox]"), "{out}");
        if i % 2 == 1 {
            past_a_tick();
            run(&mut s, &ws, "workspace-write", "true");
        }
        let out = run(
            &mut s,
            &ws,
            "workspace-write",
            &format!("mkdir d{i}/.git {t}/t{i}/.git && echo made"),
        );
        assert!(out.contains("made"), "{out}");
        assert_eq!(out.matches("[tack sandbox] blocked").count(), 2, "{out}");
        for d in [ws.join(format!("d{i}")), tmp.join(format!("t{i}"))] {
            assert!(!d.join(".git").exists(), "round {i}: {out}");
            assert!(d.join(".git.tack-blocked-1").is_dir(), "round {i}: {out}");
        }
    }

    // Trusted directories swapped for symlinks to a repository elsewhere: not followed, nothing
    // of the repository is touched; then replaced by directories holding a `.git`: found.
    let e = elsewhere.display();
    run(&mut s, &ws, "workspace-write", &format!("mkdir s {t}/s"));
    past_a_tick();
    run(&mut s, &ws, "workspace-write", "true");
    let out = run(
        &mut s,
        &ws,
        "workspace-write",
        &format!("mv s s-old && ln -s {e} s && mv {t}/s {t}/s-old && ln -s {e} {t}/s"),
    );
    assert!(!out.contains("[tack sandbox]"), "{out}");
    assert!(elsewhere.join(".git").is_dir());
    let out = run(
        &mut s,
        &ws,
        "workspace-write",
        &format!("rm s {t}/s && mkdir -p s/.git {t}/s/.git"),
    );
    assert_eq!(out.matches("[tack sandbox] blocked").count(), 2, "{out}");
    assert!(ws.join("s/.git.tack-blocked-1").is_dir(), "{out}");
    assert!(tmp.join("s/.git.tack-blocked-1").is_dir(), "{out}");
    assert!(elsewhere.join(".git").is_dir());
}

#[test]
fn a_repository_made_with_full_access_between_sandboxed_commands_is_protected() {
    let base = scratch("guard-policy");
    let tmp = base.join("tmp");
    let ws = base.join("ws");
    for d in [&ws.join("sub"), &ws.join("inner"), &tmp] {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut s = Sidecar::start_with(&[("TMPDIR", tmp.to_str().unwrap())], None);
    if !sandbox_or_skip(&mut s) {
        return;
    }
    let user_ns = s.request("initialize", json!({})).unwrap()["sandbox"]["userNamespaces"] == true;
    // The listings of ws and ws/sub are remembered and trusted.
    run(&mut s, &ws, "workspace-write", "true");
    past_a_tick();
    run(&mut s, &ws, "workspace-write", "true");
    // The person runs `git init` unsandboxed; then other policies in between.
    run(&mut s, &ws, "danger-full-access", "git init -q sub");
    run(&mut s, &ws, "read-only", "true");
    run(&mut s, &ws.join("inner"), "workspace-write", "true");
    let out = run(
        &mut s,
        &ws,
        "workspace-write",
        "git -C sub config core.fsmonitor /bin/true && echo changed || echo refused",
    );
    assert!(!out.contains("[tack sandbox] blocked"), "{out}");
    assert!(ws.join("sub/.git").is_dir(), "{out}");
    if user_ns {
        // Existing repositories are mounted read-only for the command.
        assert!(out.contains("refused"), "{out}");
        let config = std::fs::read_to_string(ws.join("sub/.git/config")).unwrap();
        assert!(!config.contains("fsmonitor"), "{config}");
    }
}
