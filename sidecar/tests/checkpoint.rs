//! checkpoint/* through the real binary: record, change the workspace every way a turn can, restore
//! byte for byte with modes; `.git` byte-identical throughout; person-edited files kept; ignored and
//! too-large files left alone; two workspaces and two sidecars sharing one store; a symbolic-link
//! swap racing a restore; pruning; clear errors.
mod common;

use common::Sidecar;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

fn scratch(tag: &str) -> PathBuf {
    let p = common::scratch(&format!("ckpt-{tag}"));
    p.canonicalize().unwrap()
}

/// Everything under `dir` (not descending into `skip`): path -> (kind, mode, content or link target).
fn state(dir: &Path, skip: &[&str]) -> BTreeMap<String, (char, u32, Vec<u8>)> {
    fn walk(
        base: &Path,
        dir: &Path,
        skip: &[&str],
        out: &mut BTreeMap<String, (char, u32, Vec<u8>)>,
    ) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
            if skip.contains(&rel.as_str()) {
                continue;
            }
            let md = fs::symlink_metadata(&p).unwrap();
            if md.file_type().is_symlink() {
                let t = fs::read_link(&p).unwrap();
                out.insert(rel, ('l', 0, t.as_os_str().as_encoded_bytes().to_vec()));
            } else if md.is_dir() {
                out.insert(rel.clone(), ('d', 0, vec![]));
                walk(base, &p, skip, out);
            } else {
                out.insert(rel, ('f', md.mode() & 0o7777, fs::read(&p).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, skip, &mut out);
    out
}

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .status()
        .unwrap();
    assert!(st.success(), "git {args:?}");
}

fn pseudo_random(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2654435761) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn params(store: &Path, root: &Path, extra: Value) -> Value {
    let mut p = json!({"storeDir": store, "root": root});
    for (k, v) in extra.as_object().unwrap() {
        p[k] = v.clone();
    }
    p
}

fn changes(r: &Value) -> BTreeMap<String, (String, bool)> {
    r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap().to_string(),
                (
                    c["action"].as_str().unwrap().to_string(),
                    c["personEdited"].as_bool().unwrap(),
                ),
            )
        })
        .collect()
}

fn set_mode(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn restore_undoes_every_kind_of_change_and_never_touches_git() {
    let base = scratch("all");
    let (ws, store) = (base.join("ws"), base.join("store"));
    fs::create_dir_all(ws.join("src/deep/er")).unwrap();
    git(&ws, &["init", "-q"]);
    fs::write(ws.join(".gitignore"), "build/\n*.log\n").unwrap();
    fs::write(ws.join("src/a.txt"), "alpha\n").unwrap();
    fs::write(ws.join("src/b.txt"), "bravo\n").unwrap();
    fs::write(ws.join("src/deep/er/c.txt"), "charlie\n").unwrap();
    fs::write(ws.join("run.sh"), "#!/bin/sh\necho hi\n").unwrap();
    set_mode(&ws.join("run.sh"), 0o755);
    fs::write(ws.join("plain.sh"), "echo plain\n").unwrap();
    set_mode(&ws.join("plain.sh"), 0o644);
    fs::write(ws.join("blob.bin"), pseudo_random(200_000, 7)).unwrap();
    fs::write(ws.join("large.bin"), pseudo_random(9 << 20, 9)).unwrap();
    symlink("src/a.txt", ws.join("link")).unwrap();
    fs::create_dir_all(ws.join("empty-dir")).unwrap();
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "-qm", "one"]);
    fs::create_dir_all(ws.join("build")).unwrap();
    fs::write(ws.join("build/out.o"), "object v1").unwrap();
    fs::write(ws.join("trace.log"), "log v1").unwrap();

    let git_before = state(&ws.join(".git"), &[]);
    let before = state(&ws, &[".git", "build", "trace.log"]);

    let mut sc = Sidecar::start();
    let created = sc
        .request(
            "checkpoint/create",
            params(
                &store,
                &ws,
                json!({"session": "s1", "turn": 1, "prompt": "do it\nmore"}),
            ),
        )
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["skipped"], json!([]), "{created}");
    // .gitignore, a, b, c, run.sh, plain.sh, blob.bin, large.bin, link (ignored files left out).
    assert_eq!(created["files"], 9, "{created}");
    assert!(created["newBytes"].as_u64().unwrap() > 9 << 20);

    // What a turn does: edit, delete, rename, chmod both ways, binary edit, new nested files,
    // a symlink retargeted, a file replaced by a directory, an ignored file changed.
    fs::write(ws.join("src/a.txt"), "alpha edited by the agent\n").unwrap();
    fs::remove_file(ws.join("src/b.txt")).unwrap();
    fs::rename(ws.join("src/deep/er/c.txt"), ws.join("c-moved.txt")).unwrap();
    set_mode(&ws.join("run.sh"), 0o644);
    set_mode(&ws.join("plain.sh"), 0o755);
    let mut blob = fs::read(ws.join("blob.bin")).unwrap();
    blob[1000] ^= 0xff;
    fs::write(ws.join("blob.bin"), &blob).unwrap();
    fs::create_dir_all(ws.join("new/x")).unwrap();
    fs::write(ws.join("new/x/y.txt"), "new").unwrap();
    fs::remove_file(ws.join("link")).unwrap();
    symlink("/etc/passwd", ws.join("link")).unwrap();
    fs::remove_file(ws.join("large.bin")).unwrap();
    fs::create_dir_all(ws.join("large.bin")).unwrap();
    fs::write(ws.join("large.bin/inner"), "inner").unwrap();
    fs::remove_dir(ws.join("empty-dir")).unwrap();
    fs::write(ws.join("build/out.o"), "object v2").unwrap();
    let after_turn = state(&ws, &[".git"]);

    let diff = sc
        .request("checkpoint/diff", params(&store, &ws, json!({"id": id})))
        .unwrap();
    let want: BTreeMap<String, (String, bool)> = [
        ("blob.bin", "modify"),
        ("c-moved.txt", "remove"),
        ("large.bin", "restore"),
        ("large.bin/inner", "remove"),
        ("link", "modify"),
        ("new/x/y.txt", "remove"),
        ("plain.sh", "mode"),
        ("run.sh", "mode"),
        ("src/a.txt", "modify"),
        ("src/b.txt", "restore"),
        ("src/deep/er/c.txt", "restore"),
    ]
    .iter()
    .map(|(p, a)| (p.to_string(), (a.to_string(), false)))
    .collect();
    assert_eq!(changes(&diff), want, "{diff}");
    // A diff changes nothing.
    assert_eq!(state(&ws, &[".git"]), after_turn);

    let restored = sc
        .request("checkpoint/restore", params(&store, &ws, json!({"id": id})))
        .unwrap();
    assert_eq!(restored["failed"], json!([]), "{restored}");
    assert_eq!(restored["kept"], json!([]), "{restored}");
    assert_eq!(
        state(&ws, &[".git", "build", "trace.log"]),
        before,
        "byte for byte, with modes"
    );
    assert_eq!(
        fs::read(ws.join("build/out.o")).unwrap(),
        b"object v2",
        "ignored files are left alone"
    );
    assert_eq!(
        state(&ws.join(".git"), &[]),
        git_before,
        ".git is byte-identical"
    );

    // The restore is itself undoable.
    let undo = restored["undoId"].as_str().unwrap();
    let back = sc
        .request(
            "checkpoint/restore",
            params(&store, &ws, json!({"id": undo})),
        )
        .unwrap();
    assert_eq!(back["failed"], json!([]), "{back}");
    assert_eq!(state(&ws, &[".git"]), after_turn);
    assert_eq!(
        state(&ws.join(".git"), &[]),
        git_before,
        ".git is byte-identical"
    );

    let list = sc
        .request(
            "checkpoint/list",
            params(&store, &ws, json!({"withChanges": true})),
        )
        .unwrap();
    let cps = list["checkpoints"].as_array().unwrap();
    assert_eq!(cps.len(), 3, "{list}");
    assert_eq!(cps[0]["id"], json!(id));
    assert_eq!(cps[0]["session"], "s1");
    assert_eq!(cps[0]["prompt"], "do it\nmore");
    assert_eq!(cps[0]["changed"], 11);
    assert_eq!(cps[1]["kind"], "restore");
    // The first restore's undo point is the workspace as the turn left it: where it is now.
    assert_eq!(cps[1]["changed"], 0);
    assert_eq!(cps[2]["changed"], 11);

    // The store is Tack's own: 0700 directories, 0600 files, nothing in the workspace.
    let sdir = PathBuf::from(list["store"].as_str().unwrap());
    assert!(sdir.starts_with(&store));
    for (p, (k, mode, _)) in state(&sdir, &[]) {
        let m = fs::symlink_metadata(sdir.join(&p)).unwrap().mode() & 0o777;
        match k {
            'd' => assert_eq!(m, 0o700, "{p}"),
            'f' => assert_eq!(m, 0o600, "{p} {mode:o}"),
            _ => {}
        }
    }
}

#[test]
fn a_file_the_person_changed_after_the_turn_is_reported_and_its_content_kept() {
    let base = scratch("person");
    let (ws, store) = (base.join("ws"), base.join("store"));
    fs::create_dir_all(&ws).unwrap();
    fs::write(ws.join("agent.txt"), "v0").unwrap();
    fs::write(ws.join("mine.txt"), "v0").unwrap();
    let mut sc = Sidecar::start();
    let c1 = sc
        .request(
            "checkpoint/create",
            params(&store, &ws, json!({"session": "s"})),
        )
        .unwrap();
    let id1 = c1["id"].as_str().unwrap().to_string();
    fs::write(ws.join("agent.txt"), "agent turn 1").unwrap();
    fs::write(ws.join("mine.txt"), "agent turn 1").unwrap();
    // Turn 2 starts: this closes turn 1 (its end state recorded).
    let c2 = sc
        .request(
            "checkpoint/create",
            params(&store, &ws, json!({"session": "s"})),
        )
        .unwrap();
    assert_eq!(c2["finished"], json!(id1));
    let id2 = c2["id"].as_str().unwrap().to_string();
    fs::write(ws.join("agent.txt"), "agent turn 2").unwrap();
    sc.request("checkpoint/finish", params(&store, &ws, json!({"id": id2})))
        .unwrap();
    // The person edits after the agent is done.
    fs::write(ws.join("mine.txt"), "the person's work").unwrap();

    let diff = sc
        .request("checkpoint/diff", params(&store, &ws, json!({"id": id1})))
        .unwrap();
    let c = changes(&diff);
    assert_eq!(c["agent.txt"], ("modify".to_string(), false), "{diff}");
    assert_eq!(c["mine.txt"], ("modify".to_string(), true), "{diff}");

    let r = sc
        .request(
            "checkpoint/restore",
            params(&store, &ws, json!({"id": id1})),
        )
        .unwrap();
    assert_eq!(fs::read_to_string(ws.join("mine.txt")).unwrap(), "v0");
    assert_eq!(fs::read_to_string(ws.join("agent.txt")).unwrap(), "v0");
    let kept = r["kept"].as_array().unwrap();
    assert_eq!(kept.len(), 1, "{r}");
    assert_eq!(kept[0]["path"], "mine.txt");
    let copy = kept[0]["copy"].as_str().unwrap();
    assert_eq!(fs::read_to_string(copy).unwrap(), "the person's work");
    assert!(Path::new(copy).starts_with(&store));
}

#[test]
fn too_large_files_are_skipped_reported_and_left_alone() {
    let base = scratch("large");
    let (ws, store) = (base.join("ws"), base.join("store"));
    fs::create_dir_all(&ws).unwrap();
    fs::write(ws.join("small.txt"), "s").unwrap();
    fs::write(ws.join("huge.bin"), vec![1u8; 4096]).unwrap();
    let mut sc = Sidecar::start();
    let c = sc
        .request(
            "checkpoint/create",
            params(&store, &ws, json!({"maxFileBytes": 1024})),
        )
        .unwrap();
    assert_eq!(
        c["skipped"],
        json!([{"path": "huge.bin", "reason": "too-large"}])
    );
    fs::write(ws.join("huge.bin"), vec![2u8; 4096]).unwrap();
    fs::write(ws.join("small.txt"), "changed").unwrap();
    let r = sc
        .request(
            "checkpoint/restore",
            params(&store, &ws, json!({"id": c["id"], "maxFileBytes": 1024})),
        )
        .unwrap();
    assert_eq!(
        changes(&r).keys().collect::<Vec<_>>(),
        vec!["small.txt"],
        "{r}"
    );
    assert_eq!(fs::read(ws.join("huge.bin")).unwrap(), vec![2u8; 4096]);
    assert_eq!(fs::read_to_string(ws.join("small.txt")).unwrap(), "s");
}

#[test]
fn two_workspaces_and_two_sidecars_share_one_store() {
    let base = scratch("shared");
    let store = base.join("store");
    let (w1, w2) = (base.join("w1"), base.join("w2"));
    for w in [&w1, &w2] {
        fs::create_dir_all(w).unwrap();
        fs::write(w.join("f.txt"), "same content").unwrap();
    }
    // Two sidecars (two sessions) checkpointing the same workspace at once: the store's lock
    // keeps every checkpoint whole and every id distinct.
    let threads: Vec<_> = (0..2)
        .map(|i| {
            let (store, w1) = (store.clone(), w1.clone());
            std::thread::spawn(move || {
                let mut sc = Sidecar::start();
                (0..5)
                    .map(|_| {
                        sc.request(
                            "checkpoint/create",
                            params(&store, &w1, json!({"session": format!("s{i}")})),
                        )
                        .unwrap()["id"]
                            .as_str()
                            .unwrap()
                            .to_string()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut ids: Vec<String> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 10);
    let mut sc = Sidecar::start();
    let c2 = sc
        .request("checkpoint/create", params(&store, &w2, json!({})))
        .unwrap();
    let l1 = sc
        .request("checkpoint/list", params(&store, &w1, json!({})))
        .unwrap();
    let l2 = sc
        .request("checkpoint/list", params(&store, &w2, json!({})))
        .unwrap();
    assert_eq!(l1["checkpoints"].as_array().unwrap().len(), 10);
    assert_eq!(l2["checkpoints"].as_array().unwrap().len(), 1);
    assert_ne!(l1["store"], l2["store"]);
    fs::write(w1.join("f.txt"), "changed in w1").unwrap();
    fs::write(w2.join("f.txt"), "changed in w2").unwrap();
    sc.request(
        "checkpoint/restore",
        params(&store, &w2, json!({"id": c2["id"]})),
    )
    .unwrap();
    assert_eq!(
        fs::read_to_string(w2.join("f.txt")).unwrap(),
        "same content"
    );
    assert_eq!(
        fs::read_to_string(w1.join("f.txt")).unwrap(),
        "changed in w1"
    );
    // A checkpoint of one workspace cannot be restored into the other.
    let e = sc
        .request(
            "checkpoint/restore",
            params(&store, &w1, json!({"id": c2["id"]})),
        )
        .unwrap_err();
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("there is no checkpoint"),
        "{e}"
    );
}

#[test]
fn a_symlink_swapped_in_during_a_restore_is_never_followed() {
    let base = scratch("race");
    let (ws, store, outside) = (base.join("ws"), base.join("store"), base.join("outside"));
    fs::create_dir_all(ws.join("sub")).unwrap();
    fs::create_dir_all(&outside).unwrap();
    for i in 0..300 {
        fs::write(ws.join(format!("sub/f{i}.txt")), format!("{i}")).unwrap();
    }
    let mut sc = Sidecar::start();
    let c = sc
        .request("checkpoint/create", params(&store, &ws, json!({})))
        .unwrap();
    for round in 0..5 {
        for i in 0..300 {
            let _ = fs::remove_file(ws.join(format!("sub/f{i}.txt")));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (ws, outside, stop) = (ws.clone(), outside.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    if fs::rename(ws.join("sub"), ws.join("sub.real")).is_ok() {
                        let _ = symlink(&outside, ws.join("sub"));
                        std::thread::yield_now();
                        let _ = fs::remove_file(ws.join("sub"));
                        let _ = fs::rename(ws.join("sub.real"), ws.join("sub"));
                    }
                }
            })
        };
        let r = sc.request(
            "checkpoint/restore",
            params(&store, &ws, json!({"id": c["id"]})),
        );
        stop.store(true, Ordering::SeqCst);
        swapper.join().unwrap();
        let r = r.unwrap();
        assert!(
            fs::read_dir(&outside).unwrap().next().is_none(),
            "round {round}: a restore wrote through a symbolic link: {r}"
        );
    }
}

#[test]
fn a_workspace_without_git_and_pruning_oldest_first() {
    let base = scratch("prune");
    let (ws, store) = (base.join("ws"), base.join("store"));
    fs::create_dir_all(&ws).unwrap();
    let mut sc = Sidecar::start();
    let mut ids = Vec::new();
    for i in 0..4u32 {
        fs::write(ws.join("data.bin"), pseudo_random(100_000, i + 1)).unwrap();
        let c = sc
            .request(
                "checkpoint/create",
                params(&store, &ws, json!({"maxStoreBytes": 250_000})),
            )
            .unwrap();
        ids.push(c["id"].as_str().unwrap().to_string());
    }
    let list = sc
        .request("checkpoint/list", params(&store, &ws, json!({})))
        .unwrap();
    let left: Vec<&str> = list["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(left, vec![ids[2].as_str(), ids[3].as_str()], "{list}");
    assert!(list["storeBytes"].as_u64().unwrap() <= 250_000, "{list}");
    // The oldest left still restores in full.
    sc.request(
        "checkpoint/restore",
        params(&store, &ws, json!({"id": ids[2]})),
    )
    .unwrap();
    assert_eq!(
        fs::read(ws.join("data.bin")).unwrap(),
        pseudo_random(100_000, 3)
    );
}

#[test]
fn bad_requests_get_clear_errors() {
    let base = scratch("bad");
    let (ws, store) = (base.join("ws"), base.join("store"));
    fs::create_dir_all(&ws).unwrap();
    let mut sc = Sidecar::start();
    let msg = |r: Result<Value, Value>| -> String {
        let e = r.unwrap_err();
        e["message"].as_str().unwrap().to_string()
    };
    let m = msg(sc.request(
        "checkpoint/restore",
        params(&store, &ws, json!({"id": "../../etc"})),
    ));
    assert!(m.contains("is not a checkpoint id"), "{m}");
    let m = msg(sc.request(
        "checkpoint/restore",
        params(&store, &ws, json!({"id": "99-abcdef"})),
    ));
    assert!(m.contains("there is no checkpoint 99-abcdef"), "{m}");
    let m = msg(sc.request("checkpoint/create", json!({"storeDir": "rel", "root": ws})));
    assert!(m.contains("absolute"), "{m}");
    let m = msg(sc.request(
        "checkpoint/create",
        params(&ws.join(".tack"), &ws, json!({})),
    ));
    assert!(m.contains("may not be inside the workspace"), "{m}");
    let m = msg(sc.request(
        "checkpoint/create",
        params(&store, &base.join("missing"), json!({})),
    ));
    assert!(m.contains("cannot open the workspace"), "{m}");
    let m = msg(sc.request("checkpoint/list", json!({"storeDir": store})));
    assert!(m.contains("root"), "{m}");
}
