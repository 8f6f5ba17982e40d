//! The checkpoint store of one workspace, in Tack's own state directory:
//!
//! ```text
//! <storeDir>/<workspace-key>/          0700; workspace-key = blake3 of the root's real path
//!   workspace.json                     which root this is (for people)
//!   lock                               flock: one writer per workspace, across sidecars
//!   state.json                         {seq, bytes}
//!   statcache                          path -> size, mtime, ctime, inode, mode, hash
//!   objects/ab/cdef...                 file contents and directory listings, by blake3 hash
//!   records/<id>.json                  one per checkpoint: its tree, the tree its turn left, ...
//!   kept/<undo-id>/<path>              person-edited files a restore replaced
//! ```
//! Every directory is 0700 and every file 0600. Nothing here ever touches the workspace.
use super::wire::CheckpointSkipped;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
pub const DEFAULT_MAX_STORE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Symlink,
    Dir,
}

/// One recorded path. `hash` names the content (a file's bytes, a link's target text, a
/// directory's listing); `mode` is a file's permission bits (0 otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: Kind,
    pub mode: u32,
    pub hash: String,
}

/// A whole tree, flat: `a/b/c.txt` -> entry. Directories are entries too (their hash is empty).
pub type Flat = BTreeMap<String, Entry>;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub id: String,
    pub seq: u64,
    pub created_at: u64,
    /// "turn" or "restore".
    pub kind: String,
    #[serde(default)]
    pub session: Option<String>,
    #[serde(default)]
    pub turn: Option<u32>,
    #[serde(default)]
    pub prompt: Option<String>,
    /// The workspace when the checkpoint was made.
    pub tree: String,
    /// The workspace as the turn left it, once known.
    #[serde(default)]
    pub end: Option<String>,
    pub files: u32,
    /// What was present but not recorded: a restore leaves those paths alone.
    #[serde(default)]
    pub skipped: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct State {
    seq: u64,
    bytes: u64,
}

#[derive(Debug, Clone)]
pub struct CacheEntry {
    /// The content's blake3 hash, raw.
    pub hash: [u8; 32],
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
    pub ino: u64,
    pub mode: u32,
    /// Whether the content is in the store (a diff hashes without storing).
    pub stored: bool,
}

pub struct Store {
    pub dir: PathBuf,
    /// The workspace root's real path.
    pub root: PathBuf,
    _lock: File,
}

static NONCE: AtomicU64 = AtomicU64::new(0);

pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub fn mkdir_private(p: &Path) -> io::Result<()> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(p)
}

/// Writes a file of the store: temporary, then rename, so a reader never sees half of it.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_file(path, bytes, true)
}

/// `write_private` without the fsync: for objects, which are named by their hash and checked
/// against it on every read (a crash leaves a damaged object that is reported, never used).
fn write_object(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_file(path, bytes, false)
}

fn write_file(path: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    let dir = path.parent().expect("store paths have a parent");
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        NONCE.fetch_add(1, Ordering::Relaxed)
    ));
    let res = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        f.write_all(bytes)?;
        if sync {
            f.sync_data()?;
        }
        fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    res
}

pub fn hash_bytes(b: &[u8]) -> String {
    blake3::hash(b).to_hex().to_string()
}

fn valid_hash(h: &str) -> bool {
    h.len() == 64
        && h.bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

/// Checkpoint ids as the store writes them: `<seq>-<6 hex>`.
pub fn valid_id(id: &str) -> bool {
    match id.split_once('-') {
        Some((seq, tail)) => {
            !seq.is_empty()
                && seq.len() <= 12
                && seq.bytes().all(|c| c.is_ascii_digit())
                && tail.len() == 6
                && tail.bytes().all(|c| c.is_ascii_hexdigit())
        }
        None => false,
    }
}

impl Store {
    /// Opens (creating it) the store of the workspace `root` under `store_dir`, and takes its lock.
    pub fn open(store_dir: &str, root: &str) -> Result<Store, String> {
        let sd = Path::new(store_dir);
        if !sd.is_absolute() {
            return Err(format!(
                "storeDir must be an absolute path, not {store_dir:?}"
            ));
        }
        if !Path::new(root).is_absolute() {
            return Err(format!("root must be an absolute path, not {root:?}"));
        }
        let real_root =
            fs::canonicalize(root).map_err(|e| format!("cannot open the workspace {root}: {e}"))?;
        if !real_root.is_dir() {
            return Err(format!("the workspace {root} is not a directory"));
        }
        mkdir_private(sd).map_err(|e| format!("cannot create {store_dir}: {e}"))?;
        let real_sd = fs::canonicalize(sd).map_err(|e| format!("cannot open {store_dir}: {e}"))?;
        if real_sd.starts_with(&real_root) {
            // Recording the store in itself would grow it with every checkpoint.
            return Err(format!(
                "the checkpoint store ({}) may not be inside the workspace ({})",
                real_sd.display(),
                real_root.display()
            ));
        }
        let key = &hash_bytes(real_root.as_os_str().as_encoded_bytes())[..24];
        let dir = real_sd.join(key);
        for sub in ["", "objects", "records", "kept"] {
            mkdir_private(&dir.join(sub))
                .map_err(|e| format!("cannot create the store {}: {e}", dir.display()))?;
        }
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(dir.join("lock"))
            .map_err(|e| format!("cannot open the store's lock: {e}"))?;
        loop {
            let r = unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
            if r == 0 {
                break;
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() != Some(libc::EINTR) {
                return Err(format!("cannot lock the store: {e}"));
            }
        }
        let ws = dir.join("workspace.json");
        if !ws.exists() {
            let text = serde_json::json!({ "root": real_root.to_string_lossy() }).to_string();
            write_private(&ws, text.as_bytes())
                .map_err(|e| format!("cannot write the store: {e}"))?;
        }
        Ok(Store {
            dir,
            root: real_root,
            _lock: lock,
        })
    }

    fn object_path(&self, hash: &str) -> PathBuf {
        self.dir.join("objects").join(&hash[..2]).join(&hash[2..])
    }

    /// Stores bytes under their hash; returns (hash, bytes newly stored).
    pub fn put_bytes(&self, bytes: &[u8]) -> io::Result<(String, u64)> {
        let hash = hash_bytes(bytes);
        let path = self.object_path(&hash);
        if path.exists() {
            return Ok((hash, 0));
        }
        mkdir_private(path.parent().expect("has parent"))?;
        write_object(&path, bytes)?;
        Ok((hash, bytes.len() as u64))
    }

    pub fn open_object(&self, hash: &str) -> io::Result<File> {
        if !valid_hash(hash) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "bad object name",
            ));
        }
        File::open(self.object_path(hash))
    }

    pub fn read_object(&self, hash: &str) -> io::Result<Vec<u8>> {
        let mut v = Vec::new();
        self.open_object(hash)?.read_to_end(&mut v)?;
        if hash_bytes(&v) != hash {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the stored object {hash} is damaged"),
            ));
        }
        Ok(v)
    }

    // -- Trees -----------------------------------------------------------------------------------

    /// Writes a flat tree as directory listings (unchanged directories share objects, so a
    /// checkpoint costs what changed); returns the root listing's hash and the bytes stored.
    pub fn write_tree(&self, flat: &Flat) -> io::Result<(String, u64)> {
        // Names and entries are borrowed from `flat`; each listing is built once, hashed, and
        // written only when no object of that hash exists yet (an unchanged directory costs its
        // hash and one stat).
        #[derive(Default)]
        struct Node<'a> {
            kids: BTreeMap<&'a str, Kid<'a>>,
        }
        enum Kid<'a> {
            Leaf(&'a Entry),
            Dir(Node<'a>),
        }
        let mut top = Node::default();
        for (path, e) in flat {
            let mut node = &mut top;
            let mut parts = path.split('/').peekable();
            while let Some(part) = parts.next() {
                let last = parts.peek().is_none();
                if last && e.kind != Kind::Dir {
                    node.kids.insert(part, Kid::Leaf(e));
                    break;
                }
                let kid = node
                    .kids
                    .entry(part)
                    .or_insert_with(|| Kid::Dir(Node::default()));
                if let Kid::Leaf(_) = kid {
                    *kid = Kid::Dir(Node::default());
                }
                let Kid::Dir(n) = kid else { unreachable!() };
                node = n;
            }
        }
        fn write(store: &Store, node: &Node, new: &mut u64) -> io::Result<String> {
            let mut text = String::with_capacity(node.kids.len() * 96);
            for (name, kid) in &node.kids {
                match kid {
                    Kid::Leaf(e) => {
                        text.push_str(if e.kind == Kind::Symlink { "l " } else { "f " });
                        let _ = std::fmt::Write::write_fmt(&mut text, format_args!("{:o}", e.mode));
                        text.push(' ');
                        text.push_str(&e.hash);
                    }
                    Kid::Dir(n) => {
                        let h = write(store, n, new)?;
                        text.push_str("d 0 ");
                        text.push_str(&h);
                    }
                }
                text.push(' ');
                text.push_str(name);
                text.push('\n');
            }
            let (h, n) = store.put_bytes(text.as_bytes())?;
            *new += n;
            Ok(h)
        }
        let mut new = 0;
        let h = write(self, &top, &mut new)?;
        Ok((h, new))
    }

    pub fn read_tree(&self, hash: &str) -> Result<Flat, String> {
        let mut flat = Flat::new();
        self.read_tree_into(hash, "", &mut flat, 0)?;
        Ok(flat)
    }

    fn read_tree_into(
        &self,
        hash: &str,
        prefix: &str,
        out: &mut Flat,
        depth: u32,
    ) -> Result<(), String> {
        if depth > 4096 {
            return Err("a stored tree is nested too deeply".into());
        }
        let bytes = self
            .read_object(hash)
            .map_err(|e| format!("cannot read the stored tree {hash}: {e}"))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("the stored tree {hash} is damaged"))?;
        for line in text.lines() {
            let mut it = line.splitn(4, ' ');
            let (Some(k), Some(mode), Some(h), Some(name)) =
                (it.next(), it.next(), it.next(), it.next())
            else {
                return Err(format!("the stored tree {hash} is damaged"));
            };
            let mode = u32::from_str_radix(mode, 8)
                .map_err(|_| format!("the stored tree {hash} is damaged"))?;
            if name.is_empty()
                || name == "."
                || name == ".."
                || name.contains('/')
                || !valid_hash(h)
            {
                return Err(format!("the stored tree {hash} is damaged"));
            }
            let path = if prefix.is_empty() {
                name.to_string()
            } else {
                format!("{prefix}/{name}")
            };
            match k {
                "f" => {
                    out.insert(
                        path,
                        Entry {
                            kind: Kind::File,
                            mode,
                            hash: h.into(),
                        },
                    );
                }
                "l" => {
                    out.insert(
                        path,
                        Entry {
                            kind: Kind::Symlink,
                            mode: 0,
                            hash: h.into(),
                        },
                    );
                }
                "d" => {
                    out.insert(
                        path.clone(),
                        Entry {
                            kind: Kind::Dir,
                            mode: 0,
                            hash: String::new(),
                        },
                    );
                    self.read_tree_into(h, &path, out, depth + 1)?;
                }
                _ => return Err(format!("the stored tree {hash} is damaged")),
            }
        }
        Ok(())
    }

    // -- State, records, cache -------------------------------------------------------------------

    fn state(&self) -> State {
        fs::read(self.dir.join("state.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    fn save_state(&self, s: &State) -> io::Result<()> {
        write_private(
            &self.dir.join("state.json"),
            serde_json::to_string(s).expect("json").as_bytes(),
        )
    }

    pub fn bytes(&self) -> u64 {
        self.state().bytes
    }

    pub fn add_bytes(&self, n: u64) -> io::Result<()> {
        let mut s = self.state();
        s.bytes += n;
        self.save_state(&s)
    }

    /// A new id, `<seq>-<6 hex>`: seq orders checkpoints across sessions sharing the workspace.
    pub fn next_id(&self) -> io::Result<(String, u64)> {
        let mut s = self.state();
        s.seq += 1;
        self.save_state(&s)?;
        let salt = hash_bytes(
            format!(
                "{}-{}-{:?}",
                std::process::id(),
                now_ms(),
                std::time::Instant::now()
            )
            .as_bytes(),
        );
        Ok((format!("{}-{}", s.seq, &salt[..6]), s.seq))
    }

    pub fn save_record(&self, r: &Record) -> io::Result<()> {
        write_private(
            &self.dir.join("records").join(format!("{}.json", r.id)),
            serde_json::to_string_pretty(r).expect("json").as_bytes(),
        )
    }

    pub fn record(&self, id: &str) -> Result<Record, String> {
        if !valid_id(id) {
            return Err(format!(
                "{id:?} is not a checkpoint id (they look like 12-3fa9c1)"
            ));
        }
        let p = self.dir.join("records").join(format!("{id}.json"));
        let bytes = fs::read(&p).map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => format!("there is no checkpoint {id} for {} (it may have been pruned); `tack checkpoints` lists them", self.root.display()),
            _ => format!("cannot read checkpoint {id}: {e}"),
        })?;
        serde_json::from_slice(&bytes).map_err(|e| format!("checkpoint {id} is damaged: {e}"))
    }

    /// Every checkpoint, oldest first.
    pub fn records(&self) -> Vec<Record> {
        let mut out: Vec<Record> = fs::read_dir(self.dir.join("records"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let id = name.strip_suffix(".json")?;
                valid_id(id).then(|| self.record(id).ok()).flatten()
            })
            .collect();
        out.sort_by_key(|r| r.seq);
        out
    }

    /// The stat cache, binary: a magic line, then per entry the raw 32-byte hash, size, mtime,
    /// ctime, inode (8 bytes each, little-endian), mode (4), stored (1), the path's length (4) and
    /// the path. Anything damaged or of another format counts as an empty cache (every file is
    /// read again), never as a wrong hash.
    ///
    /// The map this process last read or wrote for this store is kept in memory (`keep_cache`)
    /// and handed back instead of reading the file again while the file is the very one it was
    /// kept with (same device, inode, size, modification and change times): a checkpoint per turn
    /// then skips reading and parsing an entry per file. Any other writer (another sidecar, a
    /// garbage collection) replaces the file, and the file wins.
    pub fn load_cache(&self) -> HashMap<String, CacheEntry> {
        let path = self.dir.join("statcache");
        if let Some(id) = file_id(&path) {
            let mut kept = KEPT_CACHES.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(i) = kept.iter().position(|k| k.dir == self.dir && k.id == id) {
                return kept.swap_remove(i).map;
            }
        }
        let Ok(bytes) = fs::read(&path) else {
            return HashMap::new();
        };
        #[cfg(test)]
        CACHE_FILE_READS.with(|n| n.set(n.get() + 1));
        parse_cache(&bytes).unwrap_or_default()
    }

    /// Keeps `map`, which must be what the store's stat cache file holds now (just loaded, or just
    /// saved), for the next `load_cache` of this store in this process.
    pub fn keep_cache(&self, map: HashMap<String, CacheEntry>) {
        let Some(id) = file_id(&self.dir.join("statcache")) else {
            return;
        };
        let mut kept = KEPT_CACHES.lock().unwrap_or_else(|e| e.into_inner());
        kept.retain(|k| k.dir != self.dir);
        if kept.len() >= KEPT_CACHES_MAX {
            kept.remove(0);
        }
        kept.push(KeptCache {
            dir: self.dir.clone(),
            id,
            map,
        });
    }

    pub fn save_cache<'a>(
        &self,
        cache: impl IntoIterator<Item = (&'a String, &'a CacheEntry)>,
    ) -> io::Result<()> {
        let mut out = Vec::with_capacity(1 << 20);
        out.extend_from_slice(CACHE_MAGIC);
        for (p, e) in cache {
            let Ok(len) = u32::try_from(p.len()) else {
                continue;
            };
            out.extend_from_slice(&e.hash);
            out.extend_from_slice(&e.size.to_le_bytes());
            out.extend_from_slice(&e.mtime_ns.to_le_bytes());
            out.extend_from_slice(&e.ctime_ns.to_le_bytes());
            out.extend_from_slice(&e.ino.to_le_bytes());
            out.extend_from_slice(&e.mode.to_le_bytes());
            out.push(u8::from(e.stored));
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(p.as_bytes());
        }
        // No fsync: a cache; an entry only counts when size, times and inode all match.
        write_file(&self.dir.join("statcache"), &out, false)
    }

    // -- Pruning ---------------------------------------------------------------------------------

    /// Removes the oldest checkpoints (never `keep`) until the store is under `cap`; returns their ids.
    pub fn prune(&self, cap: u64, keep: &str) -> Result<Vec<String>, String> {
        let mut pruned = Vec::new();
        if self.bytes() <= cap {
            return Ok(pruned);
        }
        let mut records = self.records();
        loop {
            self.collect_garbage(&records)?;
            if self.bytes() <= cap {
                break;
            }
            let Some(i) = records.iter().position(|r| r.id != keep) else {
                break;
            };
            let r = records.remove(i);
            let _ = fs::remove_file(self.dir.join("records").join(format!("{}.json", r.id)));
            let _ = fs::remove_dir_all(self.dir.join("kept").join(&r.id));
            pruned.push(r.id);
        }
        Ok(pruned)
    }

    /// Deletes every object no checkpoint reaches, and recounts the store's size.
    fn collect_garbage(&self, records: &[Record]) -> Result<(), String> {
        let mut live: HashSet<String> = HashSet::new();
        fn mark(store: &Store, tree: &str, live: &mut HashSet<String>) -> Result<(), String> {
            if !live.insert(tree.to_string()) {
                return Ok(());
            }
            let text = String::from_utf8(store.read_object(tree).map_err(|e| e.to_string())?)
                .map_err(|_| "damaged tree".to_string())?;
            for line in text.lines() {
                let mut it = line.splitn(4, ' ');
                let (Some(k), _, Some(h)) = (it.next(), it.next(), it.next()) else {
                    continue;
                };
                if k == "d" {
                    mark(store, h, live)?;
                } else {
                    live.insert(h.to_string());
                }
            }
            Ok(())
        }
        for r in records {
            mark(self, &r.tree, &mut live)?;
            if let Some(e) = &r.end {
                mark(self, e, &mut live)?;
            }
        }
        let mut bytes = 0u64;
        for sub in fs::read_dir(self.dir.join("objects"))
            .map_err(|e| e.to_string())?
            .flatten()
        {
            let prefix = sub.file_name().to_string_lossy().into_owned();
            for obj in fs::read_dir(sub.path()).into_iter().flatten().flatten() {
                let name = format!("{prefix}{}", obj.file_name().to_string_lossy());
                if live.contains(&name) {
                    bytes += obj.metadata().map(|m| m.len()).unwrap_or(0);
                } else {
                    let _ = fs::remove_file(obj.path());
                }
            }
        }
        let mut cache = self.load_cache();
        cache.retain(|_, e| !e.stored || live.contains(&hex_of(&e.hash)));
        let _ = self.save_cache(&cache);
        let mut s = self.state();
        s.bytes = bytes;
        self.save_state(&s).map_err(|e| e.to_string())
    }
}

const CACHE_MAGIC: &[u8] = b"tack-statcache 2\n";

/// What identifies one version of a file: device, inode, size, modification and change times.
type FileId = (u64, u64, u64, i64, i64, i64, i64);

fn file_id(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    let m = fs::symlink_metadata(path).ok()?;
    m.is_file().then(|| {
        (
            m.dev(),
            m.ino(),
            m.size(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec(),
        )
    })
}

/// Stat caches kept in memory between checkpoints (`Store::keep_cache`), the most recent last.
struct KeptCache {
    dir: PathBuf,
    id: FileId,
    map: HashMap<String, CacheEntry>,
}

/// Workspaces whose stat cache stays in memory (about 100 bytes per file each).
const KEPT_CACHES_MAX: usize = 4;

static KEPT_CACHES: std::sync::Mutex<Vec<KeptCache>> = std::sync::Mutex::new(Vec::new());

#[cfg(test)]
thread_local! {
    /// Stat cache files read and parsed by this thread (the tests' view of `load_cache`).
    pub static CACHE_FILE_READS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn parse_cache(bytes: &[u8]) -> Option<HashMap<String, CacheEntry>> {
    let mut rest = bytes.strip_prefix(CACHE_MAGIC)?;
    let mut map = HashMap::with_capacity(rest.len() / 90);
    fn take<'a>(rest: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if rest.len() < n {
            return None;
        }
        let (a, b) = rest.split_at(n);
        *rest = b;
        Some(a)
    }
    fn u64_of(b: &[u8]) -> u64 {
        u64::from_le_bytes(b.try_into().expect("8 bytes"))
    }
    while !rest.is_empty() {
        let hash: [u8; 32] = take(&mut rest, 32)?.try_into().ok()?;
        let size = u64_of(take(&mut rest, 8)?);
        let mtime_ns = u64_of(take(&mut rest, 8)?) as i64;
        let ctime_ns = u64_of(take(&mut rest, 8)?) as i64;
        let ino = u64_of(take(&mut rest, 8)?);
        let mode = u32::from_le_bytes(take(&mut rest, 4)?.try_into().ok()?);
        let stored = match take(&mut rest, 1)?[0] {
            0 => false,
            1 => true,
            _ => return None,
        };
        let len = u32::from_le_bytes(take(&mut rest, 4)?.try_into().ok()?) as usize;
        let path = std::str::from_utf8(take(&mut rest, len)?).ok()?;
        map.insert(
            path.to_string(),
            CacheEntry {
                hash,
                size,
                mtime_ns,
                ctime_ns,
                ino,
                mode,
                stored,
            },
        );
    }
    Some(map)
}

/// A hash as the store names it (lower-case hex) from its 32 raw bytes, and back.
pub fn hex_of(raw: &[u8; 32]) -> String {
    blake3::Hash::from_bytes(*raw).to_hex().to_string()
}

pub fn raw_of(hex: &str) -> Option<[u8; 32]> {
    valid_hash(hex)
        .then(|| blake3::Hash::from_hex(hex).ok())
        .flatten()
        .map(|h| *h.as_bytes())
}

pub fn skipped_paths(s: &[CheckpointSkipped]) -> Vec<String> {
    s.iter().map(|s| s.path.clone()).collect()
}
