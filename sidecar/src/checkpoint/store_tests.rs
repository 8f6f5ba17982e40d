//! The store's stat cache and tree listings, and the parallel walk, on a real directory.
use super::snapshot::{self, Options};
use super::store::{Entry, Flat, Kind, Store};
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::PathBuf;

fn scratch(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!(
        "tack-ckpt-unit-{tag}-{}-{}",
        std::process::id(),
        store_nonce()
    ));
    let _ = fs::remove_dir_all(&p);
    fs::create_dir_all(&p).unwrap();
    p.canonicalize().unwrap()
}

fn store_nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn open(tag: &str) -> (PathBuf, PathBuf, Store) {
    let base = scratch(tag);
    let ws = base.join("ws");
    fs::create_dir(&ws).unwrap();
    let st = Store::open(base.join("store").to_str().unwrap(), ws.to_str().unwrap()).unwrap();
    (base, ws, st)
}

fn opts() -> Options {
    Options {
        include_ignored: false,
        max_file_bytes: 1 << 20,
        store_blobs: true,
    }
}

#[test]
fn tree_listings_keep_their_format_and_round_trip() {
    let (base, _ws, st) = open("tree");
    let h = |s: &str| super::store::hash_bytes(s.as_bytes());
    let mut flat = Flat::new();
    let file = |mode, s: &str| Entry {
        kind: Kind::File,
        mode,
        hash: h(s),
    };
    let dir = Entry {
        kind: Kind::Dir,
        mode: 0,
        hash: String::new(),
    };
    flat.insert("a".into(), dir.clone());
    flat.insert("a/x".into(), file(0o644, "x"));
    flat.insert("a.txt".into(), file(0o755, "t"));
    flat.insert(
        "link".into(),
        Entry {
            kind: Kind::Symlink,
            mode: 0,
            hash: h("a/x"),
        },
    );
    flat.insert("a/b".into(), dir.clone());
    flat.insert("a/b/c d".into(), file(0o600, "c"));
    flat.insert("empty".into(), dir);
    let (root, _) = st.write_tree(&flat).unwrap();
    assert_eq!(st.read_tree(&root).unwrap(), flat);
    // The listing format read by older stores: `<kind> <octal mode> <hash> <name>`, sorted by name.
    let a = format!(
        "d 0 {} b\nf 644 {} x\n",
        h(&format!("f 600 {} c d\n", h("c"))),
        h("x")
    );
    let want = format!(
        "d 0 {} a\nf 755 {} a.txt\nd 0 {} empty\nl 0 {} link\n",
        h(&a),
        h("t"),
        h(""),
        h("a/x")
    );
    assert_eq!(
        String::from_utf8(st.read_object(&root).unwrap()).unwrap(),
        want
    );
    assert_eq!(root, h(&want));
    fs::remove_dir_all(base).unwrap();
}

#[test]
fn the_stat_cache_is_reused_and_a_damaged_one_only_costs_reads() {
    let (base, ws, st) = open("cache");
    fs::create_dir_all(ws.join("d/e")).unwrap();
    fs::create_dir_all(ws.join(".git/objects")).unwrap();
    fs::write(ws.join(".git/config"), "x").unwrap();
    fs::write(ws.join(".gitignore"), "out/\n").unwrap();
    fs::create_dir(ws.join("out")).unwrap();
    fs::write(ws.join("out/big"), "ignored").unwrap();
    let mut files = vec![ws.join(".gitignore")];
    for i in 0..300 {
        let p = ws
            .join(if i % 2 == 0 { "d" } else { "d/e" })
            .join(format!("f{i}"));
        fs::write(&p, format!("content {i}")).unwrap();
        files.push(p);
    }
    symlink("d/f0", ws.join("ln")).unwrap();
    // Files changed within 2 s of being read are never trusted from the cache (ctime cannot be
    // set back), so let the tree settle.
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let first = snapshot::take(&st, &opts()).unwrap();
    let cache = base
        .join("store")
        .read_dir()
        .unwrap()
        .flatten()
        .map(|e| e.path().join("statcache"))
        .find(|p| p.exists())
        .unwrap();
    // A rewrite is a new file renamed over the old one: a new inode and change time.
    let ino = |p: &std::path::Path| {
        let m = fs::metadata(p).unwrap();
        (m.ino(), m.ctime(), m.ctime_nsec())
    };
    let written = ino(&cache);
    assert_eq!(first.read, 301);
    assert_eq!(first.files, 302);
    assert!(first.flat.contains_key("d/e/f1") && first.flat.contains_key("ln"));
    assert!(!first
        .flat
        .keys()
        .any(|k| k.starts_with(".git/") || k.starts_with("out")));
    // Warm: nothing read, same tree.
    let warm = snapshot::take(&st, &opts()).unwrap();
    assert_eq!(warm.read, 0);
    assert_eq!(warm.flat, first.flat);
    assert_eq!(ino(&cache), written, "an unchanged cache is not rewritten");
    // A changed file (size kept) is read again; its new hash is recorded.
    fs::write(&files[5], "CONTENT 4").unwrap();
    let third = snapshot::take(&st, &opts()).unwrap();
    assert_eq!(third.read, 1);
    assert_eq!(
        third.flat["d/f4"].hash,
        super::store::hash_bytes(b"CONTENT 4")
    );
    // A file changed within 2 s of being read is not trusted from the cache: read again next time.
    let written = ino(&cache);
    let fourth = snapshot::take(&st, &opts()).unwrap();
    assert_eq!(fourth.read, 1);
    assert_eq!(
        ino(&cache),
        written,
        "a read that adds nothing leaves the cache alone"
    );
    // A damaged cache (truncated, or the old text format) is an empty one: everything is read.
    let bytes = fs::read(&cache).unwrap();
    fs::write(&cache, &bytes[..bytes.len() - 3]).unwrap();
    let fifth = snapshot::take(&st, &opts()).unwrap();
    assert_eq!(fifth.read, 301);
    assert_eq!(fifth.flat, third.flat);
    fs::write(&cache, "0123\t1\t2\t3\t4\t5\t1\td/f4\n").unwrap();
    let sixth = snapshot::take(&st, &opts()).unwrap();
    assert_eq!(sixth.read, 301);
    assert_eq!(sixth.flat, third.flat);
    fs::remove_dir_all(base).unwrap();
}

#[test]
fn the_stat_cache_stays_in_memory_until_another_writer_replaces_its_file() {
    use super::store::{CacheEntry, CACHE_FILE_READS};
    let (base, ws, st) = open("kept");
    for i in 0..20 {
        fs::write(ws.join(format!("f{i}")), format!("content {i}")).unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(2200));
    let reads = || CACHE_FILE_READS.with(|n| n.get());
    let first = snapshot::take(&st, &opts()).unwrap();
    assert_eq!(first.read, 20);
    // The next checkpoints use the map kept in memory: the file is not read again, and nothing
    // in the workspace is either.
    let before = reads();
    let warm = snapshot::take(&st, &opts()).unwrap();
    let warmer = snapshot::take(&st, &opts()).unwrap();
    assert_eq!((warm.read, warmer.read), (0, 0));
    assert_eq!(reads(), before, "the kept cache was used");
    assert_eq!(warmer.flat, first.flat);
    // A file changed in between is still noticed (its stat no longer matches the kept entry).
    fs::write(ws.join("f3"), "CONTENT 3").unwrap();
    let changed = snapshot::take(&st, &opts()).unwrap();
    assert_eq!(changed.read, 1);
    assert_eq!(
        changed.flat["f3"].hash,
        super::store::hash_bytes(b"CONTENT 3")
    );
    // Another writer replaces the file (a new file renamed over it, as every writer does): the
    // file wins over the kept map. Here it claims another hash for f5 with f5's true stat, so
    // the only way to get that hash is to have read the file.
    let m = fs::symlink_metadata(ws.join("f5")).unwrap();
    let claimed = [7u8; 32];
    let mut other = std::collections::HashMap::new();
    other.insert(
        "f5".to_string(),
        CacheEntry {
            hash: claimed,
            size: m.len(),
            mtime_ns: m.mtime() * 1_000_000_000 + m.mtime_nsec(),
            ctime_ns: m.ctime() * 1_000_000_000 + m.ctime_nsec(),
            ino: m.ino(),
            mode: m.mode() & 0o7777,
            stored: true,
        },
    );
    st.save_cache(&other).unwrap();
    let before = reads();
    let after = snapshot::take(&st, &opts()).unwrap();
    assert_eq!(reads(), before + 1, "the replaced file was read");
    assert_eq!(after.flat["f5"].hash, super::store::hex_of(&claimed));
    assert_eq!(
        after.read, 19,
        "every file the other writer's cache did not hold was read"
    );
    fs::remove_dir_all(base).unwrap();
}
