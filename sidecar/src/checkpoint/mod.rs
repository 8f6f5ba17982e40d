//! Checkpoints: the workspace recorded before an agent's turn changes it, so the turn can be undone
//! whichever tool changed what, without touching the repository's git. See docs/checkpoints.md.
//!
//! `checkpoint/create` records the workspace (content-addressed in Tack's own store, see store.rs)
//! and closes the same session's previous checkpoint by recording the state its turn left;
//! `checkpoint/finish` records that state explicitly at a turn's end. `checkpoint/diff` tells what a
//! restore would change, `checkpoint/restore` does it. A path the person changed after the agent's
//! turn (its content differs from what the turn left) is reported, and a copy of what the restore
//! replaces is kept. Every restore first records the workspace as a checkpoint of its own, so a
//! restore can itself be undone.
mod confined;
mod snapshot;
mod store;
#[cfg(test)]
mod store_tests;
pub mod wire;

use crate::exec::RpcError;
use crate::protocol::codes;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::os::unix::ffi::OsStrExt;
use store::{Entry, Flat, Kind, Record, Store};
use wire::*;

fn failed(message: String) -> RpcError {
    RpcError::with_reason(codes::CHECKPOINT_FAILED, "checkpoint", message)
}

fn opts(
    include_ignored: Option<bool>,
    max_file_bytes: Option<u64>,
    store_blobs: bool,
) -> snapshot::Options {
    snapshot::Options {
        include_ignored: include_ignored.unwrap_or(false),
        max_file_bytes: max_file_bytes.unwrap_or(store::DEFAULT_MAX_FILE_BYTES),
        store_blobs,
    }
}

/// The snapshot of the workspace now, with its tree written.
fn record_now(
    st: &Store,
    o: &snapshot::Options,
) -> Result<(snapshot::Snapshot, String, u64), RpcError> {
    let t = std::time::Instant::now();
    let snap = snapshot::take(st, o).map_err(failed)?;
    timing("walk + cache", t);
    let (tree, n) = st
        .write_tree(&snap.flat)
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;
    timing("walk + cache + listings", t);
    Ok((snap, tree, n))
}

fn timing(what: &str, since: std::time::Instant) {
    if std::env::var_os("TACK_CHECKPOINT_TIMING").is_some() {
        eprintln!("checkpoint: {what}: {:?}", since.elapsed());
    }
}

pub fn create(p: &CheckpointCreateParams) -> Result<CheckpointCreateResult, RpcError> {
    let t = std::time::Instant::now();
    let st = Store::open(&p.store_dir, &p.root).map_err(failed)?;
    timing("open", t);
    let (snap, tree, n) = record_now(&st, &opts(p.include_ignored, p.max_file_bytes, true))?;
    timing("snapshot", t);
    let mut finished = None;
    if let Some(session) = &p.session {
        for mut r in st.records() {
            if r.kind == "turn" && r.end.is_none() && r.session.as_deref() == Some(session) {
                r.end = Some(tree.clone());
                st.save_record(&r)
                    .map_err(|e| failed(format!("cannot write the store: {e}")))?;
                finished = Some(r.id);
            }
        }
    }
    timing("previous checkpoint closed", t);
    let (id, seq) = st
        .next_id()
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;
    let created_at = store::now_ms();
    let rec = Record {
        id: id.clone(),
        seq,
        created_at,
        kind: "turn".into(),
        session: p.session.clone(),
        turn: p.turn,
        prompt: p.prompt.as_ref().map(|s| s.chars().take(2000).collect()),
        tree,
        end: None,
        files: snap.files,
        skipped: store::skipped_paths(&snap.skipped),
    };
    st.save_record(&rec)
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;
    st.add_bytes(snap.new_bytes + n)
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;
    timing("records", t);
    let pruned = st
        .prune(
            p.max_store_bytes.unwrap_or(store::DEFAULT_MAX_STORE_BYTES),
            &id,
        )
        .map_err(failed)?;
    Ok(CheckpointCreateResult {
        id,
        created_at,
        files: snap.files,
        new_bytes: snap.new_bytes + n,
        skipped: snap.skipped,
        pruned,
        finished,
    })
}

pub fn finish(p: &CheckpointFinishParams) -> Result<(), RpcError> {
    let st = Store::open(&p.store_dir, &p.root).map_err(failed)?;
    let mut rec = st.record(&p.id).map_err(failed)?;
    let (snap, tree, n) = record_now(&st, &opts(p.include_ignored, p.max_file_bytes, true))?;
    rec.end = Some(tree);
    st.save_record(&rec)
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;
    st.add_bytes(snap.new_bytes + n)
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;
    Ok(())
}

pub fn list(p: &CheckpointListParams) -> Result<CheckpointListResult, RpcError> {
    let st = Store::open(&p.store_dir, &p.root).map_err(failed)?;
    let records = st.records();
    let now = if p.with_changes.unwrap_or(false) && !records.is_empty() {
        Some(snapshot::take(&st, &opts(None, None, false)).map_err(failed)?)
    } else {
        None
    };
    let mut out = Vec::new();
    for r in records {
        let changed = match &now {
            Some(snap) => {
                let then = st.read_tree(&r.tree).map_err(failed)?;
                Some(plan(&then, &r, &snap.flat, &snap.skipped).changes.len() as u32)
            }
            None => None,
        };
        out.push(CheckpointInfo {
            id: r.id,
            created_at: r.created_at,
            kind: r.kind,
            session: r.session,
            turn: r.turn,
            prompt: r.prompt,
            finished: r.end.is_some(),
            files: r.files,
            changed,
        });
    }
    Ok(CheckpointListResult {
        checkpoints: out,
        store: st.dir.to_string_lossy().into_owned(),
        store_bytes: st.bytes(),
    })
}

/// What a restore does, in order: remove files and links, remove directories (deepest first),
/// create directories (shallowest first), write files and links, set modes.
struct Plan {
    changes: Vec<CheckpointChange>,
    remove: Vec<String>,
    rmdir: Vec<String>,
    mkdir: Vec<String>,
    write: Vec<(String, Entry)>,
    chmod: Vec<(String, u32)>,
}

fn leaves(f: &Flat) -> BTreeMap<&str, &Entry> {
    f.iter()
        .filter(|(_, e)| e.kind != Kind::Dir)
        .map(|(p, e)| (p.as_str(), e))
        .collect()
}

fn under(path: &str, set: &HashSet<&str>) -> bool {
    // Whether `path` or one of its parents is in `set` (skipped paths are left alone, with all below).
    let mut p = path;
    loop {
        if set.contains(p) {
            return true;
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => return false,
        }
    }
}

fn plan(then: &Flat, rec: &Record, now: &Flat, now_skipped: &[CheckpointSkipped]) -> Plan {
    let (t, n) = (leaves(then), leaves(now));
    // Left alone: what the checkpoint could not record, and what cannot be read now.
    let hold: HashSet<&str> = rec
        .skipped
        .iter()
        .map(String::as_str)
        .chain(now_skipped.iter().map(|s| s.path.as_str()))
        .collect();
    let mut changes = Vec::new();
    let mut p = Plan {
        changes: vec![],
        remove: vec![],
        rmdir: vec![],
        mkdir: vec![],
        write: vec![],
        chmod: vec![],
    };
    let paths: BTreeSet<&str> = t.keys().chain(n.keys()).copied().collect();
    for path in paths {
        if under(path, &hold) {
            continue;
        }
        let action = match (t.get(path), n.get(path)) {
            (Some(te), None) => {
                p.write.push((path.to_string(), (*te).clone()));
                "restore"
            }
            (None, Some(_)) => {
                p.remove.push(path.to_string());
                "remove"
            }
            (Some(te), Some(ne)) if te.kind != ne.kind || te.hash != ne.hash => {
                p.write.push((path.to_string(), (*te).clone()));
                "modify"
            }
            (Some(te), Some(ne)) if te.mode != ne.mode => {
                p.chmod.push((path.to_string(), te.mode));
                "mode"
            }
            _ => continue,
        };
        changes.push(CheckpointChange {
            path: path.to_string(),
            action: action.into(),
            person_edited: false,
        });
    }
    let is_dir = |f: &Flat, path: &str| f.get(path).is_some_and(|e| e.kind == Kind::Dir);
    for (path, e) in now {
        if e.kind == Kind::Dir && !is_dir(then, path) && !under(path, &hold) {
            p.rmdir.push(path.clone());
        }
    }
    p.rmdir
        .sort_by_key(|s| std::cmp::Reverse(s.matches('/').count()));
    for (path, e) in then {
        if e.kind == Kind::Dir && !is_dir(now, path) && !under(path, &hold) {
            p.mkdir.push(path.clone());
        }
    }
    p.mkdir.sort_by_key(|s| s.matches('/').count());
    p.changes = changes;
    p
}

/// Paths the person (or anyone but the agent) changed since checkpoint `rec`: for each of its turn
/// and the later ones whose end state is known, where the next turn's start (or the workspace now)
/// differs from what that turn left.
fn person_edited(st: &Store, rec: &Record, now_tree: &str) -> Result<HashSet<String>, RpcError> {
    let chain: Vec<Record> = st
        .records()
        .into_iter()
        .filter(|r| r.kind == "turn" && r.seq >= rec.seq)
        .collect();
    let mut out = HashSet::new();
    for (i, r) in chain.iter().enumerate() {
        let Some(end) = &r.end else { continue };
        let next = chain
            .get(i + 1)
            .map(|n| n.tree.as_str())
            .unwrap_or(now_tree);
        tree_changes(st, Some(end), Some(next), "", &mut out, 0).map_err(failed)?;
    }
    Ok(out)
}

fn listing(st: &Store, hash: &str) -> Result<BTreeMap<String, (String, String)>, String> {
    let bytes = st
        .read_object(hash)
        .map_err(|e| format!("cannot read the stored tree {hash}: {e}"))?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("the stored tree {hash} is damaged"))?;
    let mut m = BTreeMap::new();
    for line in text.lines() {
        let mut it = line.splitn(4, ' ');
        let (Some(k), Some(mode), Some(h), Some(name)) =
            (it.next(), it.next(), it.next(), it.next())
        else {
            return Err(format!("the stored tree {hash} is damaged"));
        };
        m.insert(name.to_string(), (format!("{k} {mode}"), h.to_string()));
    }
    Ok(m)
}

fn subtree(e: Option<&(String, String)>) -> Option<&str> {
    e.filter(|(k, _)| k.starts_with("d "))
        .map(|(_, h)| h.as_str())
}

fn is_leaf(e: Option<&(String, String)>) -> bool {
    e.is_some_and(|(k, _)| !k.starts_with("d "))
}

/// Every leaf path where two stored trees differ, skipping identical subtrees.
fn tree_changes(
    st: &Store,
    a: Option<&str>,
    b: Option<&str>,
    prefix: &str,
    out: &mut HashSet<String>,
    depth: u32,
) -> Result<(), String> {
    if a == b || depth > 4096 {
        return Ok(());
    }
    let la = a.map(|h| listing(st, h)).transpose()?.unwrap_or_default();
    let lb = b.map(|h| listing(st, h)).transpose()?.unwrap_or_default();
    let names: BTreeSet<&String> = la.keys().chain(lb.keys()).collect();
    for name in names {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let (ea, eb) = (la.get(name), lb.get(name));
        if ea == eb {
            continue;
        }
        let (da, db) = (subtree(ea), subtree(eb));
        if is_leaf(ea) || is_leaf(eb) {
            out.insert(path.clone());
        }
        if da.is_some() || db.is_some() {
            tree_changes(st, da, db, &path, out, depth + 1)?;
        }
    }
    Ok(())
}

fn load(st: &Store, id: &str) -> Result<(Record, Flat), RpcError> {
    let rec = st.record(id).map_err(failed)?;
    let then = st.read_tree(&rec.tree).map_err(failed)?;
    Ok((rec, then))
}

/// Narrows a plan to `paths` (files): their writes, removals and modes, the directories a write
/// needs, and no directory removed.
fn only(pl: &mut Plan, paths: &Option<Vec<String>>) {
    let Some(paths) = paths else {
        return;
    };
    let keep: HashSet<&str> = paths.iter().map(String::as_str).collect();
    pl.changes.retain(|c| keep.contains(c.path.as_str()));
    pl.remove.retain(|p| keep.contains(p.as_str()));
    pl.write.retain(|(p, _)| keep.contains(p.as_str()));
    pl.chmod.retain(|(p, _)| keep.contains(p.as_str()));
    pl.rmdir.clear();
    let written: Vec<&str> = pl.write.iter().map(|(p, _)| p.as_str()).collect();
    pl.mkdir
        .retain(|d| written.iter().any(|w| w.starts_with(&format!("{d}/"))));
}

/// One file as checkpoint `id` recorded it.
pub fn read(p: &CheckpointReadParams) -> Result<CheckpointReadResult, RpcError> {
    let st = Store::open(&p.store_dir, &p.root).map_err(failed)?;
    let (_, then) = load(&st, &p.id)?;
    let Some(e) = then.get(&p.path).filter(|e| e.kind != Kind::Dir) else {
        return Ok(CheckpointReadResult {
            kind: "absent".into(),
            text: None,
            binary: false,
        });
    };
    let bytes = st
        .read_object(&e.hash)
        .map_err(|err| failed(format!("cannot read {} from the store: {err}", p.path)))?;
    let kind = if e.kind == Kind::Symlink {
        "symlink"
    } else {
        "file"
    };
    let text = String::from_utf8(bytes).ok();
    Ok(CheckpointReadResult {
        kind: kind.into(),
        binary: text.is_none(),
        text,
    })
}

pub fn diff(p: &CheckpointRestoreParams) -> Result<CheckpointDiffResult, RpcError> {
    let st = Store::open(&p.store_dir, &p.root).map_err(failed)?;
    let (rec, then) = load(&st, &p.id)?;
    let (snap, now_tree, _) = record_now(&st, &opts(p.include_ignored, p.max_file_bytes, false))?;
    let mut pl = plan(&then, &rec, &snap.flat, &snap.skipped);
    only(&mut pl, &p.paths);
    let edited = person_edited(&st, &rec, &now_tree)?;
    for c in &mut pl.changes {
        c.person_edited = edited.contains(&c.path);
    }
    Ok(CheckpointDiffResult {
        id: rec.id,
        changes: pl.changes,
        skipped: snap.skipped,
    })
}

pub fn restore(p: &CheckpointRestoreParams) -> Result<CheckpointRestoreResult, RpcError> {
    let st = Store::open(&p.store_dir, &p.root).map_err(failed)?;
    let (rec, then) = load(&st, &p.id)?;
    // The workspace as it is, stored in full: the undo checkpoint, and the source of kept copies.
    let (snap, now_tree, n) = record_now(&st, &opts(p.include_ignored, p.max_file_bytes, true))?;
    let mut pl = plan(&then, &rec, &snap.flat, &snap.skipped);
    only(&mut pl, &p.paths);
    let edited = person_edited(&st, &rec, &now_tree)?;
    let (undo_id, seq) = st
        .next_id()
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;
    let undo = Record {
        id: undo_id.clone(),
        seq,
        created_at: store::now_ms(),
        kind: "restore".into(),
        session: None,
        turn: None,
        prompt: Some(format!("before restoring checkpoint {}", rec.id)),
        tree: now_tree.clone(),
        end: Some(now_tree),
        files: snap.files,
        skipped: store::skipped_paths(&snap.skipped),
    };
    st.save_record(&undo)
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;
    st.add_bytes(snap.new_bytes + n)
        .map_err(|e| failed(format!("cannot write the store: {e}")))?;

    // Copies of what the person changed, where they can open them.
    let mut kept = Vec::new();
    for c in &mut pl.changes {
        c.person_edited = edited.contains(&c.path);
        if !c.person_edited {
            continue;
        }
        let Some(e) = snap.flat.get(&c.path) else {
            continue;
        };
        let copy = st.dir.join("kept").join(&undo_id).join(&c.path);
        let res = (|| -> std::io::Result<()> {
            store::mkdir_private(copy.parent().expect("has parent"))?;
            let bytes = st.read_object(&e.hash)?;
            if e.kind == Kind::Symlink {
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&bytes), &copy)
            } else {
                store::write_private(&copy, &bytes)
            }
        })();
        match res {
            Ok(()) => kept.push(CheckpointKept { path: c.path.clone(), copy: copy.to_string_lossy().into_owned() }),
            Err(e) => {
                return Err(failed(format!(
                    "nothing was restored: cannot keep a copy of {} (which you changed after the agent's turn): {e}",
                    c.path
                )))
            }
        }
    }

    let ws = confined::Workspace::open(&st.root)
        .map_err(|e| failed(format!("cannot open the workspace: {e}")))?;
    let mut failures = Vec::new();
    let mut fail = |path: &str, e: std::io::Error| {
        failures.push(CheckpointFailure {
            path: path.to_string(),
            message: e.to_string(),
        })
    };
    for path in &pl.remove {
        if let Err(e) = ws.remove_file(path) {
            fail(path, e);
        }
    }
    for path in &pl.rmdir {
        if let Err(e) = ws.remove_dir(path) {
            fail(path, e);
        }
    }
    for path in &pl.mkdir {
        if let Err(e) = ws.mkdir(path) {
            fail(path, e);
        }
    }
    for (path, e) in &pl.write {
        let res = match e.kind {
            Kind::Symlink => st
                .read_object(&e.hash)
                .and_then(|t| ws.write_symlink(path, &t)),
            _ => st
                .read_object(&e.hash)
                .and_then(|b| ws.write_file(path, &mut b.as_slice(), e.mode)),
        };
        if let Err(err) = res {
            fail(path, err);
        }
    }
    for (path, mode) in &pl.chmod {
        if let Err(e) = ws.chmod(path, *mode) {
            fail(path, e);
        }
    }
    Ok(CheckpointRestoreResult {
        id: rec.id,
        changes: pl.changes,
        kept,
        undo_id,
        failed: failures,
        skipped: snap.skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> std::path::PathBuf {
        let p = std::env::temp_dir().join(format!("tack-ckpt-unit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join("ws")).unwrap();
        p
    }

    fn leaf(hash: &str, mode: u32) -> Entry {
        Entry {
            kind: Kind::File,
            mode,
            hash: hash.into(),
        }
    }

    #[test]
    fn trees_round_trip_and_share_unchanged_directories() {
        let base = scratch("tree");
        let st = Store::open(
            base.join("store").to_str().unwrap(),
            base.join("ws").to_str().unwrap(),
        )
        .unwrap();
        let h = |s: &str| store::hash_bytes(s.as_bytes());
        let mut flat = Flat::new();
        flat.insert(
            "a".into(),
            Entry {
                kind: Kind::Dir,
                mode: 0,
                hash: String::new(),
            },
        );
        flat.insert("a/x name.txt".into(), leaf(&h("x"), 0o644));
        flat.insert("a/run".into(), leaf(&h("r"), 0o755));
        flat.insert(
            "b".into(),
            Entry {
                kind: Kind::Dir,
                mode: 0,
                hash: String::new(),
            },
        );
        flat.insert(
            "b/empty".into(),
            Entry {
                kind: Kind::Dir,
                mode: 0,
                hash: String::new(),
            },
        );
        flat.insert(
            "l".into(),
            Entry {
                kind: Kind::Symlink,
                mode: 0,
                hash: h("a/run"),
            },
        );
        let (t1, new1) = st.write_tree(&flat).unwrap();
        assert_eq!(st.read_tree(&t1).unwrap(), flat);
        assert!(new1 > 0);
        // Changing one file under b/ stores only b's listing and the root's.
        flat.insert("b/new".into(), leaf(&h("n"), 0o600));
        let (t2, _) = st.write_tree(&flat).unwrap();
        let mut changed = HashSet::new();
        tree_changes(&st, Some(&t1), Some(&t2), "", &mut changed, 0).unwrap();
        assert_eq!(changed, HashSet::from(["b/new".to_string()]));
        let (again, new) = st.write_tree(&flat).unwrap();
        assert_eq!((again, new), (t2, 0));
        std::fs::remove_dir_all(base).unwrap();
    }

    #[test]
    fn the_plan_leaves_skipped_paths_alone_and_orders_directories() {
        let h = |s: &str| store::hash_bytes(s.as_bytes());
        let dir = || Entry {
            kind: Kind::Dir,
            mode: 0,
            hash: String::new(),
        };
        let then: Flat = [
            ("d".to_string(), dir()),
            ("d/e".to_string(), dir()),
            ("d/e/f".to_string(), leaf(&h("f"), 0o644)),
            ("big".to_string(), leaf(&h("b"), 0o644)),
        ]
        .into();
        let now: Flat = [
            ("n".to_string(), dir()),
            ("n/m".to_string(), dir()),
            ("n/m/k".to_string(), leaf(&h("k"), 0o644)),
            ("held".to_string(), leaf(&h("h"), 0o644)),
        ]
        .into();
        let rec = Record {
            id: "1-abcdef".into(),
            seq: 1,
            created_at: 0,
            kind: "turn".into(),
            session: None,
            turn: None,
            prompt: None,
            tree: String::new(),
            end: None,
            files: 2,
            skipped: vec!["held".into()],
        };
        let skipped_now = [CheckpointSkipped {
            path: "big".into(),
            reason: "too-large".into(),
        }];
        let p = plan(&then, &rec, &now, &skipped_now);
        let paths: Vec<&str> = p.changes.iter().map(|c| c.path.as_str()).collect();
        assert_eq!(paths, vec!["d/e/f", "n/m/k"]);
        assert_eq!(p.rmdir, vec!["n/m".to_string(), "n".to_string()]);
        assert_eq!(p.mkdir, vec!["d".to_string(), "d/e".to_string()]);
    }

    #[test]
    fn ids_are_checked_before_they_name_a_file() {
        assert!(store::valid_id("12-3fa9c1"));
        for bad in [
            "",
            "12",
            "../x-abcdef",
            "12-3fa9c",
            "12-3fa9c1/..",
            "a-abcdef",
            "1-abcdeg",
        ] {
            assert!(!store::valid_id(bad), "{bad}");
        }
    }
}
