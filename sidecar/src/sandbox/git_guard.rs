//! Guarding git metadata in workspace-write. A `.git` runs code later (hooks, `core.fsmonitor`,
//! filters), so the sandbox keeps every `.git` that exists when a command starts read-only (the
//! launcher bind-mounts them), and the sidecar renames any `.git` a command created or replaced
//! (`git init`, `/tmp/.git` above a workspace, a nested `sub/.git`, a gitfile pointing elsewhere)
//! once the command has ended. This module finds the entries; it never follows a symlink while
//! walking.
use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::fs;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How many directories one scan reads at most (a big `node_modules` has tens of thousands).
pub const DIR_LIMIT: usize = 100_000;
/// How deep below a root a scan goes at most.
pub const DEPTH_LIMIT: usize = 64;

/// What identifies a `.git` entry: replaced (deleted and re-created) means a new identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    dev: u64,
    ino: u64,
    mode: u32,
}

#[derive(Debug, Default, Clone)]
pub struct GitScan {
    pub entries: BTreeMap<PathBuf, Identity>,
    /// False when the walk stopped at `DIR_LIMIT` or `DEPTH_LIMIT` somewhere.
    pub complete: bool,
}

/// Windows (where no sandbox runs workspace-write yet): the type only; there is no inode to compare.
#[cfg(windows)]
fn identity(p: &Path) -> Option<Identity> {
    let t = p.symlink_metadata().ok()?.file_type();
    Some(Identity {
        dev: 0,
        ino: 0,
        mode: if t.is_symlink() {
            0o120000
        } else if t.is_dir() {
            0o040000
        } else {
            0o100000
        },
    })
}

#[cfg(unix)]
fn identity(p: &Path) -> Option<Identity> {
    let m = p.symlink_metadata().ok()?;
    Some(Identity {
        dev: m.dev(),
        ino: m.ino(),
        mode: m.mode() & 0o170000, // the file type bits (S_IFMT)
    })
}

/// Whether git would take `dir` itself for a repository directory (a bare one, or one whose config
/// names a `core.worktree`): a `HEAD` next to `objects/` and `refs/`. Returns its `HEAD`.
fn repository_head(dir: &Path) -> Option<(PathBuf, Identity)> {
    let head = dir.join("HEAD");
    let id = identity(&head)?;
    if id.mode == 0o040000 {
        return None; // a directory named HEAD
    }
    let is_dir = |n: &str| {
        dir.join(n)
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir() || m.file_type().is_symlink())
    };
    (is_dir("objects") && is_dir("refs")).then_some((head, id))
}

/// Every repository in or above the given areas: `X/.git` and a repository-looking `X` itself
/// (see `repository_head`, recorded as `X/HEAD`) for each area and each of its ancestors, every
/// such entry below each area in `walk` (walking), and `X/*/.git` / `X/*` for each area in
/// `shallow` (the temp dir: a repository checked out in /tmp/foo is protected, /tmp itself is not
/// walked). Paths should be canonical.
///
/// Directories are read once each (readdir's file types, no lstat per directory) and remembered
/// for the next scan of this process (see `Dir`): a directory whose identity and change time are
/// the same as when it was read has the same entries, so a second scan re-reads only what changed.
pub fn scan(walk: &[PathBuf], shallow: &[PathBuf]) -> GitScan {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = &mut *cache;
    cache.generation += 1;
    let mut s = Scanner {
        cache,
        cutoff: trust_cutoff(),
        fs_ok: HashMap::new(),
    };
    let out = s.run(walk, shallow);
    // Keep what this scan saw, and what other areas' scans saw (another workspace), but not the
    // directories below these areas that are gone.
    let generation = s.cache.generation;
    let dirs = &mut s.cache.dirs;
    dirs.retain(|p, d| d.seen == generation || !walk.iter().any(|r| p.starts_with(r)));
    if dirs.len() > CACHE_LIMIT {
        dirs.clear();
    }
    out
}

/// How many directories the cache holds at most across workspaces (beyond it, it starts empty).
const CACHE_LIMIT: usize = 2 * DIR_LIMIT;
/// A directory changed this recently (or "in the future") is read again on every scan: a change
/// within the file system's timestamp granularity may leave its change time as it was.
const RACY: Duration = Duration::from_secs(2);

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Default::default);

#[derive(Default)]
struct Cache {
    dirs: HashMap<PathBuf, Dir>,
    /// Counts scans; `Dir::seen` says which scan last visited a directory.
    generation: u64,
}

/// One directory as a scan read it. `ctime` is what makes the cache safe: the kernel sets it to the
/// current time whenever an entry is created, removed or renamed in the directory, and no one can
/// set it back (utimensat sets mtime, and ctime with it, to now). A directory replaced by another
/// (rename, mount, symlink swap) has another device/inode, or its path no longer lstats as a
/// directory.
#[derive(Debug)]
struct Dir {
    key: DirKey,
    seen: u64,
    /// Read long enough after its last change (see `RACY`) on a file system known to keep ctime.
    trusted: bool,
    git: Option<Identity>,
    /// Its `HEAD` when the directory looks like a repository (HEAD, objects/, refs/).
    head: Option<Identity>,
    /// Subdirectories (not symlinks, not `.git`) to walk.
    subdirs: Vec<OsString>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DirKey {
    dev: u64,
    ino: u64,
    ctime: (i64, i64),
    mtime: (i64, i64),
}

fn trust_cutoff() -> (i64, i64) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_sub(RACY);
    (now.as_secs() as i64, i64::from(now.subsec_nanos()))
}

struct Scanner<'c> {
    cache: &'c mut Cache,
    cutoff: (i64, i64),
    /// Per device: whether its file system is one known to keep directory change times.
    fs_ok: HashMap<u64, bool>,
}

impl Scanner<'_> {
    fn run(&mut self, walk: &[PathBuf], shallow: &[PathBuf]) -> GitScan {
        let mut out = GitScan {
            entries: BTreeMap::new(),
            complete: true,
        };
        for area in walk.iter().chain(shallow) {
            for dir in area.ancestors() {
                look_at(dir, &mut out);
            }
        }
        for area in shallow {
            let Some(d) = self.visit(area) else { continue };
            let names: Vec<OsString> = d.subdirs.iter().take(DIR_LIMIT).cloned().collect();
            for n in names {
                let child = area.join(n);
                if let Some(d) = self.visit(&child) {
                    record(&child, d, &mut out);
                }
            }
        }
        let mut budget = DIR_LIMIT;
        for root in walk {
            let mut stack = vec![(root.clone(), 0usize)];
            while let Some((dir, depth)) = stack.pop() {
                if budget == 0 {
                    out.complete = false;
                    break;
                }
                budget -= 1;
                let Some(d) = self.visit(&dir) else { continue };
                // A repository directory is protected as a whole: no need to walk its objects.
                if record(&dir, d, &mut out) && depth > 0 {
                    continue;
                }
                if d.subdirs.is_empty() {
                    continue;
                }
                if depth + 1 > DEPTH_LIMIT {
                    out.complete = false;
                    continue;
                }
                for n in &d.subdirs {
                    stack.push((dir.join(n), depth + 1));
                }
            }
        }
        out
    }

    /// The directory at `path` as it is now: from the cache when unchanged, else read.
    fn visit(&mut self, path: &Path) -> Option<&Dir> {
        let generation = self.cache.generation;
        if self
            .cache
            .dirs
            .get(path)
            .is_some_and(|d| d.seen == generation)
        {
            return self.cache.dirs.get(path);
        }
        let m = path.symlink_metadata().ok()?;
        if !m.is_dir() {
            return None;
        }
        let (key, keyed) = dir_key(&m);
        if let Some(d) = self.cache.dirs.get_mut(path) {
            if d.trusted && d.key == key {
                d.seen = generation;
                return self.cache.dirs.get(path);
            }
        }
        let fs_ok = *self
            .fs_ok
            .entry(key.dev)
            .or_insert_with(|| keeps_ctime(path));
        let mut d = read(path, key);
        d.seen = generation;
        d.trusted =
            d.trusted && keyed && fs_ok && key.ctime < self.cutoff && key.mtime < self.cutoff;
        self.cache.dirs.insert(path.to_path_buf(), d);
        self.cache.dirs.get(path)
    }
}

/// A directory's cache key, and whether it can be trusted: on Unix the kernel's (device, inode,
/// ctime, mtime), which no entry change leaves alone; elsewhere nothing is remembered.
#[cfg(unix)]
fn dir_key(m: &fs::Metadata) -> (DirKey, bool) {
    let key = DirKey {
        dev: m.dev(),
        ino: m.ino(),
        ctime: (m.ctime(), m.ctime_nsec()),
        mtime: (m.mtime(), m.mtime_nsec()),
    };
    (key, true)
}

#[cfg(not(unix))]
fn dir_key(_m: &fs::Metadata) -> (DirKey, bool) {
    let key = DirKey {
        dev: 0,
        ino: 0,
        ctime: (0, 0),
        mtime: (0, 0),
    };
    (key, false)
}

/// Records a directory's `.git` and repository `HEAD`; true when it is a repository directory.
fn record(path: &Path, d: &Dir, out: &mut GitScan) -> bool {
    if let Some(id) = d.git {
        out.entries.insert(path.join(".git"), id);
    }
    if let Some(id) = d.head {
        out.entries.insert(path.join("HEAD"), id);
        return true;
    }
    false
}

/// Looks at one directory without the cache (the areas' ancestors).
fn look_at(dir: &Path, out: &mut GitScan) -> bool {
    let g = dir.join(".git");
    if let Some(id) = identity(&g) {
        out.entries.insert(g, id);
    }
    match repository_head(dir) {
        Some((head, id)) => {
            out.entries.insert(head, id);
            true
        }
        None => false,
    }
}

/// Reads a directory's entries: file types come from readdir (an lstat only where the file system
/// does not give them, and for a `.git` or `HEAD` found, whose identity is recorded).
fn read(path: &Path, key: DirKey) -> Dir {
    let mut d = Dir {
        key,
        seen: 0,
        trusted: true,
        git: None,
        head: None,
        subdirs: Vec::new(),
    };
    let Ok(rd) = fs::read_dir(path) else {
        // Not readable: what lstat alone can tell, and nothing to walk; never cached.
        d.trusted = false;
        d.git = identity(&path.join(".git"));
        d.head = repository_head(path).map(|(_, id)| id);
        return d;
    };
    let (mut head, mut objects, mut refs) = (false, false, false);
    for e in rd {
        let Ok(e) = e else {
            d.trusted = false; // a partial listing is not remembered
            continue;
        };
        let name = e.file_name();
        let Ok(t) = e.file_type() else {
            d.trusted = false;
            continue;
        };
        match name.as_encoded_bytes() {
            b".git" => {
                d.git = identity(&e.path());
                continue; // protected whole, never walked
            }
            b"HEAD" => head = !t.is_dir(),
            b"objects" => objects = t.is_dir() || t.is_symlink(),
            b"refs" => refs = t.is_dir() || t.is_symlink(),
            _ => {}
        }
        // file_type() does not follow symlinks: a symlinked directory is not walked.
        if t.is_dir() {
            d.subdirs.push(name);
        }
    }
    if head && objects && refs {
        d.head = identity(&path.join("HEAD")).filter(|id| id.mode != 0o040000);
    }
    d
}

/// Whether the file system under `path` is one where every change to a directory's entries sets
/// its ctime (local Linux file systems); on any other the cache is not used.
#[cfg(target_os = "linux")]
fn keeps_ctime(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt as _;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    const KNOWN: [i64; 5] = [
        0xEF53,      // ext2/3/4
        0x5846_5342, // xfs
        0x9123_683E, // btrfs
        0x0102_1994, // tmpfs
        0xF2F5_2010, // f2fs
    ];
    KNOWN.contains(&(st.f_type as i64))
}

#[cfg(not(target_os = "linux"))]
fn keeps_ctime(_path: &Path) -> bool {
    false
}

/// What must be mounted read-only for the entries of a scan: each `.git` itself (a symlink's
/// target), the directory a gitfile (`gitdir: ...`) names, and a linked worktree's common dir.
// Used by the Linux sandbox only (it binds these read-only).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn protect_targets<'a>(entries: impl IntoIterator<Item = &'a PathBuf>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut push = |p: PathBuf| {
        if let Ok(c) = p.canonicalize() {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    };
    for g in entries {
        if g.file_name().is_some_and(|n| n == "HEAD") {
            // A repository directory itself: all of it.
            if let Some(dir) = g.parent() {
                push(dir.to_path_buf());
            }
            continue;
        }
        push(g.clone());
        let Ok(meta) = g.metadata() else { continue };
        let gitdir = if meta.is_file() {
            let Some(target) = gitfile_target(g) else {
                continue;
            };
            push(target.clone());
            target
        } else {
            g.clone()
        };
        if let Ok(common) = fs::read_to_string(gitdir.join("commondir")) {
            let common = common.trim();
            if !common.is_empty() {
                push(gitdir.join(common));
            }
        }
    }
    out
}

/// The directory a gitfile points at, resolved against the gitfile's directory.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn gitfile_target(gitfile: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(gitfile).ok()?;
    let line = text.lines().next()?;
    let target = line.strip_prefix("gitdir:")?.trim();
    if target.is_empty() {
        return None;
    }
    Some(gitfile.parent()?.join(target))
}

/// Renames every `.git` that `after` has and `before` had not (or had with another identity),
/// when it lies inside one of `writable` (only a sandboxed command could have made it there).
/// Returns (old path, new path or error text).
pub fn neutralise(
    before: &GitScan,
    after: &GitScan,
    writable: &[PathBuf],
) -> Vec<(PathBuf, Result<PathBuf, String>)> {
    let mut out = Vec::new();
    for (path, id) in &after.entries {
        if before.entries.get(path) == Some(id) {
            continue;
        }
        if !writable.iter().any(|w| path.starts_with(w)) {
            continue;
        }
        // Still the entry we saw (not replaced again since the scan)?
        if identity(path) != Some(*id) {
            continue;
        }
        let parent = path.parent().unwrap_or(Path::new("/"));
        // `.git` -> `.git.tack-blocked-N`; a repository directory's `HEAD` -> `HEAD.tack-blocked-N`
        // (without a HEAD git no longer takes the directory for a repository).
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut n = 1;
        let target = loop {
            let t = parent.join(format!("{name}.tack-blocked-{n}"));
            if t.symlink_metadata().is_err() {
                break t;
            }
            n += 1;
        };
        let r = fs::rename(path, &target)
            .map(|()| target)
            .map_err(|e| e.to_string());
        out.push((path.clone(), r));
    }
    out
}

/// The text a command's output ends with when `neutralise` renamed something.
pub fn report(renamed: &[(PathBuf, Result<PathBuf, String>)], complete: bool) -> String {
    let mut s = String::new();
    for (from, r) in renamed {
        match r {
            Ok(to) => s.push_str(&format!(
                "\n[tack sandbox] blocked {}: a sandboxed command may not create or replace a git repository (.git, or a directory with HEAD, objects/ and refs/: it would run code later, e.g. hooks or core.fsmonitor); it was renamed to {}. Creating a repository needs danger-full-access or the user.\n",
                from.display(),
                to.display()
            )),
            Err(e) => s.push_str(&format!(
                "\n[tack sandbox] WARNING: this command created {} and it could not be renamed ({e}); do not run git there until it is removed.\n",
                from.display()
            )),
        }
    }
    if !complete {
        s.push_str(&format!(
            "\n[tack sandbox] note: the check for new .git entries stopped after {DIR_LIMIT} directories or {DEPTH_LIMIT} levels; deeper entries were not checked.\n"
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_and_ancestor_entries_and_renames_new_ones() {
        let base = std::env::temp_dir().join(format!("tack-git-guard-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let ws = base.join("ws");
        fs::create_dir_all(ws.join("a/b/.git")).unwrap();
        fs::create_dir_all(base.join(".git")).unwrap();
        let ws = ws.canonicalize().unwrap();
        let before = scan(std::slice::from_ref(&ws), &[]);
        assert!(before.complete);
        assert!(before.entries.contains_key(&ws.join("a/b/.git")));
        assert!(before
            .entries
            .contains_key(&ws.parent().unwrap().join(".git")));
        fs::create_dir_all(ws.join("c/.git")).unwrap();
        fs::write(ws.join(".git"), "gitdir: a/b/.git\n").unwrap();
        let after = scan(std::slice::from_ref(&ws), &[]);
        assert_eq!(
            protect_targets(after.entries.keys())
                .iter()
                .filter(|p| p.ends_with("a/b/.git"))
                .count(),
            1
        );
        let renamed = neutralise(&before, &after, std::slice::from_ref(&ws));
        assert_eq!(renamed.len(), 2, "{renamed:?}");
        assert!(ws.join("c/.git.tack-blocked-1").is_dir());
        assert!(ws.join(".git.tack-blocked-1").is_file());
        assert!(ws.join("a/b/.git").is_dir());
        assert!(report(&renamed, true).contains("blocked"));
        let _ = fs::remove_dir_all(&base);
    }

    /// The cache between scans: a directory read long enough after its last change is not read
    /// again, and any change to its entries (even with its mtime set back) is seen.
    #[test]
    fn a_cached_directory_is_read_again_when_its_entries_change() {
        let base = std::env::temp_dir().join(format!("tack-git-cache-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        for d in ["a/b/c", "a/d", "e"] {
            fs::create_dir_all(base.join(d)).unwrap();
        }
        let ws = base.canonicalize().unwrap();
        let roots = std::slice::from_ref(&ws);
        // Older than RACY: these directories are cached as trusted from now on.
        std::thread::sleep(RACY + Duration::from_millis(200));
        let first = scan(roots, &[]);
        assert!(
            first.entries.keys().all(|p| !p.starts_with(&ws)),
            "{first:?}"
        );
        assert!(scan(roots, &[]).entries.keys().all(|p| !p.starts_with(&ws)));

        // A new `.git` deep in a cached directory, with that directory's mtime set back.
        let c = ws.join("a/b/c");
        let old_mtime = c.symlink_metadata().unwrap().modified().unwrap();
        fs::create_dir(c.join(".git")).unwrap();
        fs::File::open(&c).unwrap().set_modified(old_mtime).unwrap();
        assert_eq!(c.symlink_metadata().unwrap().modified().unwrap(), old_mtime);
        assert!(scan(roots, &[]).entries.contains_key(&c.join(".git")));

        // A cached directory renamed away and another put in its place that holds a repository.
        fs::rename(ws.join("a/d"), ws.join("d-moved")).unwrap();
        fs::create_dir_all(ws.join("x/d/.git")).unwrap();
        fs::rename(ws.join("x/d"), ws.join("a/d")).unwrap();
        let s = scan(roots, &[]);
        assert!(s.entries.contains_key(&ws.join("a/d/.git")), "{s:?}");

        // A bare-looking repository directory made inside a cached one.
        for d in ["e/repo/objects", "e/repo/refs"] {
            fs::create_dir_all(ws.join(d)).unwrap();
        }
        fs::write(ws.join("e/repo/HEAD"), "ref: refs/heads/main\n").unwrap();
        let s = scan(roots, &[]);
        assert!(s.entries.contains_key(&ws.join("e/repo/HEAD")), "{s:?}");

        // A cached directory swapped for a symlink: not followed, its old entries are gone.
        fs::remove_dir_all(ws.join("a/b")).unwrap();
        std::os::unix::fs::symlink(ws.join("a/d"), ws.join("a/b")).unwrap();
        let s = scan(roots, &[]);
        assert!(!s.entries.contains_key(&c.join(".git")), "{s:?}");
        assert!(
            !s.entries.keys().any(|p| p.starts_with(ws.join("a/b"))),
            "{s:?}"
        );
        let _ = fs::remove_dir_all(&base);
    }
}
