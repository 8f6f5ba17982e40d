//! Records the workspace as a flat tree: walks it with git's ignore rules (never into `.git` or any
//! git directory), reuses the hash of every file whose stat is unchanged, and reads and stores only
//! the rest.
use super::store::{CacheEntry, Entry, Flat, Kind, Store};
use super::wire::CheckpointSkipped;
use crate::fs_write::is_git_name;
use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Mutex;

pub struct Options {
    pub include_ignored: bool,
    pub max_file_bytes: u64,
    /// Put new content in the store (a checkpoint) or only hash it (a diff).
    pub store_blobs: bool,
}

pub struct Snapshot {
    pub flat: Flat,
    pub skipped: Vec<CheckpointSkipped>,
    pub new_bytes: u64,
    pub files: u32,
    /// Files read this time (not trusted from the stat cache).
    pub read: u64,
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0)
}

/// A directory git would take for a repository (HEAD plus objects/ and refs/): never recorded.
fn looks_like_git_dir(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

/// File timestamps move in coarse ticks: a file changed this recently could change again
/// without its stat changing, so its hash is not trusted from the cache next time.
const RACY_NS: i64 = 2_000_000_000;

/// What one walker thread found; merged when the walk is over.
#[derive(Default)]
struct Found {
    flat: Vec<(String, Entry)>,
    skipped: Vec<CheckpointSkipped>,
    /// Files read whose stat is old enough to trust next time: new cache entries.
    fresh: Vec<(String, CacheEntry)>,
    /// Paths whose cache entry did not match (the file was read again): entries to drop.
    stale: Vec<String>,
    new_bytes: u64,
    files: u32,
    /// Files read (their stat was not in the cache, or did not match it).
    read: u64,
    /// Cache entries that matched (carried over unchanged).
    hits: usize,
    error: Option<String>,
}

struct Walk<'a> {
    root: &'a Path,
    store: &'a Store,
    opts: &'a Options,
    cache: &'a HashMap<String, CacheEntry>,
    started: i64,
}

struct Visitor<'a> {
    walk: &'a Walk<'a>,
    found: Found,
    done: &'a Mutex<Vec<Found>>,
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let f = std::mem::take(&mut self.found);
        self.done.lock().unwrap_or_else(|e| e.into_inner()).push(f);
    }
}

impl ignore::ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, item: Result<ignore::DirEntry, ignore::Error>) -> ignore::WalkState {
        match self.walk.one(item, &mut self.found) {
            Ok(()) => ignore::WalkState::Continue,
            Err(e) => {
                self.found.error.get_or_insert(e);
                ignore::WalkState::Quit
            }
        }
    }
}

struct Builder<'a> {
    walk: &'a Walk<'a>,
    done: &'a Mutex<Vec<Found>>,
}

impl<'s> ignore::ParallelVisitorBuilder<'s> for Builder<'s> {
    fn build(&mut self) -> Box<dyn ignore::ParallelVisitor + 's> {
        Box::new(Visitor {
            walk: self.walk,
            found: Found::default(),
            done: self.done,
        })
    }
}

impl Walk<'_> {
    /// One entry of the walk: a directory, a link (its target stored), a file (its hash from the
    /// cache when its stat matches, else read, hashed and stored), or a reason it is skipped.
    fn one(
        &self,
        item: Result<ignore::DirEntry, ignore::Error>,
        out: &mut Found,
    ) -> Result<(), String> {
        let (root, store, opts) = (self.root, self.store, self.opts);
        let ent = match item {
            Ok(e) => e,
            Err(err) => {
                let path = match &err {
                    ignore::Error::WithPath { path, .. } => path
                        .strip_prefix(root)
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                // An unreadable .gitignore is only a warning; an unreadable directory is skipped.
                if !path.is_empty() && !path.ends_with(".gitignore") {
                    out.skipped.push(CheckpointSkipped {
                        path,
                        reason: "unreadable".into(),
                    });
                }
                return Ok(());
            }
        };
        if ent.depth() == 0 {
            return Ok(());
        }
        let Ok(rel) = ent.path().strip_prefix(root) else {
            return Ok(());
        };
        let Some(rel) = rel.to_str().map(str::to_string) else {
            out.skipped.push(CheckpointSkipped {
                path: rel.to_string_lossy().into_owned(),
                reason: "not-utf8-name".into(),
            });
            return Ok(());
        };
        if rel.contains('\n') {
            out.skipped.push(CheckpointSkipped {
                path: rel,
                reason: "unsupported-name".into(),
            });
            return Ok(());
        }
        let Some(ft) = ent.file_type() else {
            return Ok(());
        };
        if ft.is_dir() {
            out.flat.push((
                rel,
                Entry {
                    kind: Kind::Dir,
                    mode: 0,
                    hash: String::new(),
                },
            ));
            return Ok(());
        }
        if ft.is_symlink() {
            match fs::read_link(ent.path()) {
                Ok(target) => {
                    let bytes = target.as_os_str().as_encoded_bytes();
                    let hash = if opts.store_blobs {
                        let (h, n) = store
                            .put_bytes(bytes)
                            .map_err(|e| format!("cannot write the store: {e}"))?;
                        out.new_bytes += n;
                        h
                    } else {
                        super::store::hash_bytes(bytes)
                    };
                    out.flat.push((
                        rel,
                        Entry {
                            kind: Kind::Symlink,
                            mode: 0,
                            hash,
                        },
                    ));
                    out.files += 1;
                }
                Err(_) => out.skipped.push(CheckpointSkipped {
                    path: rel,
                    reason: "unreadable".into(),
                }),
            }
            return Ok(());
        }
        if !ft.is_file() {
            out.skipped.push(CheckpointSkipped {
                path: rel,
                reason: "special-file".into(),
            });
            return Ok(());
        }
        let Ok(md) = ent.metadata() else {
            out.skipped.push(CheckpointSkipped {
                path: rel,
                reason: "unreadable".into(),
            });
            return Ok(());
        };
        if md.len() > opts.max_file_bytes {
            out.skipped.push(CheckpointSkipped {
                path: rel,
                reason: "too-large".into(),
            });
            return Ok(());
        }
        let mode = md.mode() & 0o7777;
        let mtime_ns = md.mtime() * 1_000_000_000 + md.mtime_nsec();
        let ctime_ns = md.ctime() * 1_000_000_000 + md.ctime_nsec();
        if let Some(c) = self.cache.get(&rel) {
            if c.size == md.len()
                && c.mtime_ns == mtime_ns
                && c.ctime_ns == ctime_ns
                && c.ino == md.ino()
                && c.mode == mode
                && (c.stored || !opts.store_blobs)
            {
                out.flat.push((
                    rel,
                    Entry {
                        kind: Kind::File,
                        mode,
                        hash: super::store::hex_of(&c.hash),
                    },
                ));
                out.files += 1;
                out.hits += 1;
                return Ok(());
            }
            out.stale.push(rel.clone());
        }
        // Read it: O_NOFOLLOW and O_NONBLOCK, so a file swapped for a link or a FIFO is not followed
        // or waited on; then check that what was opened is still the regular file the walk saw.
        let read = (|| -> std::io::Result<Option<Vec<u8>>> {
            let mut f = fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
                .open(ent.path())?;
            let m = f.metadata()?;
            if !m.is_file() || m.len() > opts.max_file_bytes {
                return Ok(None);
            }
            let mut buf = Vec::with_capacity(m.len() as usize);
            f.by_ref()
                .take(opts.max_file_bytes + 1)
                .read_to_end(&mut buf)?;
            Ok((buf.len() as u64 <= opts.max_file_bytes).then_some(buf))
        })();
        let bytes = match read {
            Ok(Some(b)) => b,
            Ok(None) => {
                out.skipped.push(CheckpointSkipped {
                    path: rel,
                    reason: "too-large".into(),
                });
                return Ok(());
            }
            Err(_) => {
                out.skipped.push(CheckpointSkipped {
                    path: rel,
                    reason: "unreadable".into(),
                });
                return Ok(());
            }
        };
        out.read += 1;
        let hash = if opts.store_blobs {
            let (h, n) = store
                .put_bytes(&bytes)
                .map_err(|e| format!("cannot write the store: {e}"))?;
            out.new_bytes += n;
            h
        } else {
            super::store::hash_bytes(&bytes)
        };
        if ctime_ns.max(mtime_ns) < self.started - RACY_NS {
            if let Some(raw) = super::store::raw_of(&hash) {
                out.fresh.push((
                    rel.clone(),
                    CacheEntry {
                        hash: raw,
                        size: md.len(),
                        mtime_ns,
                        ctime_ns,
                        ino: md.ino(),
                        mode,
                        stored: opts.store_blobs,
                    },
                ));
            }
        }
        out.flat.push((
            rel,
            Entry {
                kind: Kind::File,
                mode,
                hash,
            },
        ));
        out.files += 1;
        Ok(())
    }
}

/// Walker threads: the walk is mostly system calls (readdir, lstat) and ignore-rule matching, so
/// two threads use a second core when there is one; more than four gains little.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
}

pub fn take(store: &Store, opts: &Options) -> Result<Snapshot, String> {
    let root = store.root.clone();
    let timing = std::env::var_os("TACK_CHECKPOINT_TIMING").is_some();
    let t0 = std::time::Instant::now();
    let cache = store.load_cache();
    if timing {
        eprintln!(
            "checkpoint: stat cache of {} entries loaded in {:?}",
            cache.len(),
            t0.elapsed()
        );
    }
    let started = now_ns();
    let inc = opts.include_ignored;
    let walker = ignore::WalkBuilder::new(&root)
        .hidden(false)
        .ignore(false)
        .parents(true)
        .git_ignore(!inc)
        .git_global(!inc)
        .git_exclude(!inc)
        .require_git(false)
        .follow_links(false)
        .same_file_system(false)
        .threads(threads())
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            if is_git_name(&name) {
                return false;
            }
            !(e.file_type().is_some_and(|t| t.is_dir()) && looks_like_git_dir(e.path()))
        })
        .build_parallel();
    let walk = Walk {
        root: &root,
        store,
        opts,
        cache: &cache,
        started,
    };
    let done = Mutex::new(Vec::new());
    walker.visit(&mut Builder {
        walk: &walk,
        done: &done,
    });
    let parts = done.into_inner().unwrap_or_else(|e| e.into_inner());
    let walked = std::time::Instant::now();
    let mut snap = Snapshot {
        flat: Flat::new(),
        skipped: Vec::new(),
        new_bytes: 0,
        files: 0,
        read: 0,
    };
    let mut flat = Vec::new();
    let mut fresh = Vec::new();
    let mut stale = Vec::new();
    let mut hits = 0;
    for part in parts {
        if let Some(e) = part.error {
            return Err(e);
        }
        flat.extend(part.flat);
        snap.skipped.extend(part.skipped);
        fresh.extend(part.fresh);
        stale.extend(part.stale);
        snap.new_bytes += part.new_bytes;
        snap.files += part.files;
        snap.read += part.read;
        hits += part.hits;
    }
    // Collected in one go (sorted, then built in bulk) rather than inserted one path at a time.
    snap.flat = flat.into_iter().collect();
    snap.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    if timing {
        eprintln!(
            "checkpoint: walked {} files ({} read) in {:?}, merged in {:?}",
            snap.files,
            snap.read,
            std::time::Duration::from_nanos((now_ns() - started) as u64),
            walked.elapsed()
        );
    }
    // The cache is updated in place and rewritten only when it changed: an entry added (a file
    // read and old enough to trust), one dropped because its file changed (read again; trusted
    // again only once old enough), or one whose path the walk did not meet (gone, ignored now).
    let mut cache = cache;
    let unvisited = hits + stale.len() != cache.len();
    if !fresh.is_empty() || !stale.is_empty() || unvisited {
        let t = std::time::Instant::now();
        for p in &stale {
            cache.remove(p);
        }
        if unvisited {
            cache.retain(|p, _| snap.flat.get(p).is_some_and(|e| e.kind == Kind::File));
        }
        cache.extend(fresh);
        let saved = store.save_cache(&cache).is_ok();
        if timing {
            eprintln!(
                "checkpoint: stat cache updated and written in {:?}",
                t.elapsed()
            );
        }
        if saved {
            store.keep_cache(cache);
        }
    } else {
        store.keep_cache(cache);
    }
    Ok(snap)
}
