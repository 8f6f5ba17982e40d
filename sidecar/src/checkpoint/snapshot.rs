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

pub fn take(store: &Store, opts: &Options) -> Result<Snapshot, String> {
    let root = store.root.clone();
    let mut cache = store.load_cache();
    let mut fresh: HashMap<String, CacheEntry> = HashMap::with_capacity(cache.len());
    let mut snap = Snapshot {
        flat: Flat::new(),
        skipped: Vec::new(),
        new_bytes: 0,
        files: 0,
    };
    let started = now_ns();
    let mut dirty = false;
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
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            if is_git_name(&name) {
                return false;
            }
            !(e.file_type().is_some_and(|t| t.is_dir()) && looks_like_git_dir(e.path()))
        })
        .build();
    for item in walker {
        let ent = match item {
            Ok(e) => e,
            Err(err) => {
                let path = match &err {
                    ignore::Error::WithPath { path, .. } => path
                        .strip_prefix(&root)
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    _ => String::new(),
                };
                // An unreadable .gitignore is only a warning; an unreadable directory is skipped.
                if !path.is_empty() && !path.ends_with(".gitignore") {
                    snap.skipped.push(CheckpointSkipped {
                        path,
                        reason: "unreadable".into(),
                    });
                }
                continue;
            }
        };
        if ent.depth() == 0 {
            continue;
        }
        let Ok(rel) = ent.path().strip_prefix(&root) else {
            continue;
        };
        let Some(rel) = rel.to_str().map(str::to_string) else {
            snap.skipped.push(CheckpointSkipped {
                path: rel.to_string_lossy().into_owned(),
                reason: "not-utf8-name".into(),
            });
            continue;
        };
        if rel.contains('\n') {
            snap.skipped.push(CheckpointSkipped {
                path: rel,
                reason: "unsupported-name".into(),
            });
            continue;
        }
        let Some(ft) = ent.file_type() else { continue };
        if ft.is_dir() {
            snap.flat.insert(
                rel,
                Entry {
                    kind: Kind::Dir,
                    mode: 0,
                    hash: String::new(),
                },
            );
            continue;
        }
        if ft.is_symlink() {
            match fs::read_link(ent.path()) {
                Ok(target) => {
                    let bytes = target.as_os_str().as_encoded_bytes();
                    let hash = if opts.store_blobs {
                        let (h, n) = store
                            .put_bytes(bytes)
                            .map_err(|e| format!("cannot write the store: {e}"))?;
                        snap.new_bytes += n;
                        h
                    } else {
                        super::store::hash_bytes(bytes)
                    };
                    snap.flat.insert(
                        rel,
                        Entry {
                            kind: Kind::Symlink,
                            mode: 0,
                            hash,
                        },
                    );
                    snap.files += 1;
                }
                Err(_) => snap.skipped.push(CheckpointSkipped {
                    path: rel,
                    reason: "unreadable".into(),
                }),
            }
            continue;
        }
        if !ft.is_file() {
            snap.skipped.push(CheckpointSkipped {
                path: rel,
                reason: "special-file".into(),
            });
            continue;
        }
        let Ok(md) = ent.metadata() else {
            snap.skipped.push(CheckpointSkipped {
                path: rel,
                reason: "unreadable".into(),
            });
            continue;
        };
        if md.len() > opts.max_file_bytes {
            snap.skipped.push(CheckpointSkipped {
                path: rel,
                reason: "too-large".into(),
            });
            continue;
        }
        let mode = md.mode() & 0o7777;
        let mtime_ns = md.mtime() * 1_000_000_000 + md.mtime_nsec();
        let ctime_ns = md.ctime() * 1_000_000_000 + md.ctime_nsec();
        if let Some(c) = cache.remove(&rel) {
            if c.size == md.len()
                && c.mtime_ns == mtime_ns
                && c.ctime_ns == ctime_ns
                && c.ino == md.ino()
                && c.mode == mode
                && (c.stored || !opts.store_blobs)
            {
                snap.flat.insert(
                    rel.clone(),
                    Entry {
                        kind: Kind::File,
                        mode,
                        hash: c.hash.clone(),
                    },
                );
                snap.files += 1;
                fresh.insert(rel, c);
                continue;
            }
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
                snap.skipped.push(CheckpointSkipped {
                    path: rel,
                    reason: "too-large".into(),
                });
                continue;
            }
            Err(_) => {
                snap.skipped.push(CheckpointSkipped {
                    path: rel,
                    reason: "unreadable".into(),
                });
                continue;
            }
        };
        dirty = true;
        let hash = if opts.store_blobs {
            let (h, n) = store
                .put_bytes(&bytes)
                .map_err(|e| format!("cannot write the store: {e}"))?;
            snap.new_bytes += n;
            h
        } else {
            super::store::hash_bytes(&bytes)
        };
        snap.flat.insert(
            rel.clone(),
            Entry {
                kind: Kind::File,
                mode,
                hash: hash.clone(),
            },
        );
        snap.files += 1;
        if ctime_ns.max(mtime_ns) < started - RACY_NS {
            fresh.insert(
                rel,
                CacheEntry {
                    hash,
                    size: md.len(),
                    mtime_ns,
                    ctime_ns,
                    ino: md.ino(),
                    mode,
                    stored: opts.store_blobs,
                },
            );
        }
    }
    if std::env::var_os("TACK_CHECKPOINT_TIMING").is_some() {
        eprintln!(
            "checkpoint: walked and hashed {} files in {:?}",
            snap.files,
            std::time::Duration::from_nanos((now_ns() - started) as u64)
        );
    }
    // Rewritten only when it changed (a file re-read, added or gone).
    if dirty || !cache.is_empty() {
        let _ = store.save_cache(&fresh);
    }
    Ok(snap)
}
