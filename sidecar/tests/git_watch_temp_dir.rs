//! The git guard watches the temp dir's directories too (sandbox/git_guard.rs, the shallow scan),
//! but only with a quarter of its watch budget: a temp dir that other programs fill with
//! directories must not leave the workspace's walk, which comes after it in every scan, without
//! watches. Through the real sidecar, counting the inotify watches it holds per directory (its
//! fdinfo).
//!
//! Its own test binary: the budget is divided among the user's serving sidecars, and the sidecars of
//! other tests running beside it in one binary would change this one's share.
#![cfg(target_os = "linux")]
mod common;
use common::*;
use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The inodes the inotify watches of process `pid` are on (`ino:` of each `inotify wd:` line, hex).
fn watched_inodes(pid: u32) -> HashSet<u64> {
    let mut out = HashSet::new();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return out;
    };
    for info in fds
        .flatten()
        .filter_map(|f| std::fs::read_to_string(f.path()).ok())
    {
        for line in info.lines().filter(|l| l.starts_with("inotify wd:")) {
            let ino = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("ino:"))
                .and_then(|h| u64::from_str_radix(h, 16).ok());
            out.extend(ino);
        }
    }
    out
}

/// The inodes of `root` and every directory below it.
fn dir_inodes(root: &Path) -> Vec<u64> {
    let mut out = vec![root.metadata().unwrap().ino()];
    for e in std::fs::read_dir(root).unwrap().flatten() {
        if e.file_type().unwrap().is_dir() {
            out.extend(dir_inodes(&e.path()));
        }
    }
    out
}

#[test]
fn a_crowded_temp_dir_leaves_the_workspace_its_watches() {
    // A budget of 60 for this sidecar: the temp dir's scan may hold 15 of them.
    const BUDGET: usize = 60;
    let base = scratch("watch-temp-dir");
    let (ws, tmp) = (base.join("ws"), base.join("tmp"));
    dir_tree(&ws, [4, 4, 1]); // 1 + 4 + 16 + 16 = 37 directories
    for i in 0..40 {
        std::fs::create_dir_all(tmp.join(format!("t{i}"))).unwrap();
    }
    let (ws, tmp) = (ws.canonicalize().unwrap(), tmp.canonicalize().unwrap());
    let budget = BUDGET.to_string();
    let mut s = Sidecar::start_with(
        &[
            ("TMPDIR", tmp.to_str().unwrap()),
            ("TACK_SIDECAR_GIT_WATCH_LIMIT", budget.as_str()),
        ],
        None,
    );
    if !sandbox_or_skip(&mut s) {
        return;
    }
    for _ in 0..3 {
        s.sh_ok(&ws, "workspace-write", "true");
    }
    let watched = watched_inodes(s.pid());
    if watched.is_empty() {
        eprintln!("skipped: no inotify watches here");
        return;
    }
    let ws_dirs = dir_inodes(&ws);
    let tmp_dirs: Vec<u64> = std::iter::once(tmp.metadata().unwrap().ino())
        .chain((0..40).map(|i| tmp.join(format!("t{i}")).metadata().unwrap().ino()))
        .collect();
    let ws_watched = ws_dirs.iter().filter(|i| watched.contains(i)).count();
    let tmp_watched = tmp_dirs.iter().filter(|i| watched.contains(i)).count();
    assert!(
        tmp_watched > 0,
        "the temp dir's directories get watches too"
    );
    assert!(
        tmp_watched <= BUDGET / 4,
        "{tmp_watched} watches in the temp dir"
    );
    // Alone, this sidecar has the whole budget, and the workspace every watch it needs. Another
    // serving sidecar of this user (an open Tack window) halves the share: the workspace then gets
    // what the temp dir's quarter leaves.
    let what = format!(
        "{tmp_watched} in the temp dir, {ws_watched} of {} in the workspace",
        ws_dirs.len()
    );
    assert!(
        ws_watched == ws_dirs.len() || ws_watched >= 3 * tmp_watched,
        "{what}"
    );
}
