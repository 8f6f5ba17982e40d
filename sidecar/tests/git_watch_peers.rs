//! The git guard's watch budget is shared by the user's serving sidecars (sandbox/git_watch.rs,
//! `Peers`): every VS Code window has a sidecar of its own, and together they take no more of the
//! per-user inotify limit than one did. Through real sidecar processes: a sidecar holding its whole
//! budget gives most of it back when two more start, takes more again as they stop, and does not
//! count a sandboxed command's namespace init (a clone of a sidecar) as a sidecar.
//!
//! Its own test binary: the other tests' sidecars, started in parallel in one binary, would count
//! as peers. A serving tack-sidecar of this user outside the test (an open Tack window) lowers every
//! share alike; the assertions compare the shares with one another, so one or two of them are fine.
#![cfg(target_os = "linux")]
mod common;
use common::*;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, Instant};

/// The budget of all the user's sidecars together, given to each one started here.
const BUDGET: usize = 120;

fn run(s: &mut Sidecar, root: &Path, script: &str) -> String {
    s.sh_ok(root, "workspace-write", script)
}

/// The inotify watches process `pid` holds (each is one `inotify wd:` line in its fdinfo).
fn watches(pid: u32) -> usize {
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return 0;
    };
    fds.flatten()
        .filter_map(|f| std::fs::read_to_string(f.path()).ok())
        .map(|info| {
            info.lines()
                .filter(|l| l.starts_with("inotify wd:"))
                .count()
        })
        .sum()
}

/// Runs `true` in the sandbox (a scan before and after) until `holds(watches)`; the count of
/// sidecars is refreshed every few seconds, so this waits up to 30 s.
fn scan_until(s: &mut Sidecar, ws: &Path, what: &str, holds: impl Fn(usize) -> bool) -> usize {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        run(s, ws, "true");
        let n = watches(s.pid());
        if holds(n) {
            return n;
        }
        assert!(Instant::now() < deadline, "{what}: still {n} watches");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn the_watch_budget_is_shared_by_the_users_sidecars() {
    let base = scratch("watch-peers");
    let (ws, tmp) = (base.join("ws"), base.join("tmp"));
    // 4 + 24 + 144 directories: more than the budget.
    dir_tree(&ws, [4, 6, 6]);
    std::fs::create_dir_all(&tmp).unwrap();
    let (ws, tmp) = (ws.canonicalize().unwrap(), tmp.canonicalize().unwrap());
    let budget = BUDGET.to_string();
    let env = [
        ("TMPDIR", tmp.to_str().unwrap()),
        ("TACK_SIDECAR_GIT_WATCH_LIMIT", budget.as_str()),
    ];
    let mut a = Sidecar::start_with(&env, None);
    if !sandbox_or_skip(&mut a) {
        return;
    }
    let alone = scan_until(&mut a, &ws, "alone, the share is taken", |n| n > 0);
    assert!(alone <= BUDGET, "{alone} watches, over the budget");

    // Two more sidecars: the first one gives back what is over its third.
    let mut b = Sidecar::start_with(&env, None);
    b.request("initialize", json!({})).unwrap();
    let c = Sidecar::start_with(&env, None);
    let three = scan_until(&mut a, &ws, "with two more sidecars", |n| {
        n > 0 && n <= BUDGET / 3 && n < alone
    });
    // A `.git` made while the budget shrank is still found (by stat where nothing is watched).
    let out = run(&mut a, &ws, "mkdir a3/b5/c5/.git");
    assert_eq!(out.matches("[tack sandbox] blocked").count(), 1, "{out}");
    assert!(ws.join("a3/b5/c5/.git.tack-blocked-1").is_dir(), "{out}");

    // One stops and the other runs a sandboxed command: its namespace init, a clone of that
    // sidecar, is no sidecar of its own, so the share grows to a half.
    drop(c);
    let sleeping = b.start_exec(json!({
        "argv": ["sleep", "60"], "cwd": ws, "tty": false,
        "sandbox": {"mode": "workspace-write", "writableRoots": [ws]},
    }));
    let two = scan_until(
        &mut a,
        &ws,
        "with one more sidecar running a command",
        |n| n > three,
    );
    assert!(two <= BUDGET / 2, "{two} watches with two sidecars");
    let _ = b.request("exec/kill", json!({"execId": sleeping}));

    // Alone again: the whole share is taken back.
    drop(b);
    let again = scan_until(&mut a, &ws, "alone again", |n| n > two);
    assert_eq!(again, alone, "alone again");
}
