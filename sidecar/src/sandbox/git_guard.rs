//! Guarding git metadata in workspace-write. A `.git` runs code later (hooks, `core.fsmonitor`,
//! filters), so the sandbox keeps every `.git` that exists when a command starts read-only (the
//! launcher bind-mounts them), and the sidecar renames any `.git` a command created or replaced
//! (`git init`, `/tmp/.git` above a workspace, a nested `sub/.git`, a gitfile pointing elsewhere)
//! once the command has ended. This module finds the entries; it never follows a symlink while
//! walking.
use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs;
#[cfg(target_os = "linux")]
use std::os::fd::AsRawFd as _;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A descriptor number (a parent directory opened for fstatat; Linux only).
type RawFd = std::ffi::c_int;

#[cfg(target_os = "linux")]
#[path = "git_watch.rs"]
mod git_watch;
#[cfg(target_os = "linux")]
use git_watch::{Drained, Watcher, Wd};

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
/// walked; for an area also in `walk`, that level is the walk's own, looked at again only when the
/// walk stopped at its directory limit). Paths should be canonical.
///
/// Directories are read once each (readdir's file types, no lstat per directory) and remembered
/// for the next scan of this process (see `Dir`): a directory whose identity and change time are
/// the same as when it was read has the same entries, so a second scan re-reads only what changed.
pub fn scan(walk: &[PathBuf], shallow: &[PathBuf]) -> GitScan {
    scan_with(walk, shallow, DIR_LIMIT)
}

/// `scan` with a walk that reads at most `dir_limit` directories (the tests cut a walk short).
fn scan_with(walk: &[PathBuf], shallow: &[PathBuf], dir_limit: usize) -> GitScan {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = &mut *cache;
    cache.generation += 1;
    let (watches_ok, quiet) = cache.drain();
    if !quiet {
        cache.memo = None;
    }
    let mut s = Scanner {
        cache,
        cutoff: Cutoff::now(),
        fs_ok: HashMap::new(),
        walk,
        shallow,
        dir_limit,
        watches_ok,
        orphans: Vec::new(),
        quiet,
        memo_used: false,
        gone: std::collections::HashSet::new(),
    };
    let out = s.run(walk, shallow);
    let orphans = std::mem::take(&mut s.orphans);
    if !orphans.is_empty() {
        s.cache.memo = None;
    }
    let memo_used = s.memo_used;
    // Keep what this scan saw, and what other areas' scans saw (another workspace), but not the
    // directories below these areas that are gone.
    let generation = s.cache.generation;
    let gone = std::mem::take(&mut s.gone);
    let Cache {
        dirs,
        watcher,
        memo,
        ..
    } = &mut *s.cache;
    // A watch found held for another path (the inode moved): that path's listing is no longer
    // watched.
    let mut done = std::collections::HashSet::new();
    for (path, wd) in orphans {
        if let Some(d) = dirs.get_mut(path.as_os_str()) {
            if d.wd == Some(wd) {
                d.wd = None;
                d.clean = false;
            }
        }
        unsettle(dirs, &path, &mut done);
    }
    if memo_used {
        // Nothing below the walked areas was visited, and nothing there changed.
        return out;
    }
    // Forget the directories below these areas that are gone: only a listing read again can have
    // lost a name (a directory deleted, moved away or replaced by something else); the rest was
    // visited, or is below a subtree that did not change.
    if !gone.is_empty() {
        dirs.retain(|p, d| {
            let p = Path::new(p);
            let Some(root) = walk.iter().find(|r| p.starts_with(r)) else {
                return true; // another area's
            };
            let lost = d.seen != generation
                && p.ancestors()
                    .take_while(|a| a.starts_with(root))
                    .any(|a| gone.contains(a.as_os_str()));
            if lost {
                forget(watcher, p, d);
            }
            !lost
        });
    }
    if dirs.len() > CACHE_LIMIT {
        dirs.clear();
        *memo = None;
        #[cfg(target_os = "linux")]
        if let Some(w) = watcher {
            w.reset();
        }
    }
    out
}

/// Drops the `Sub` of `path` and of each of its ancestors (`done`: the paths already dropped in
/// this pass, whose ancestors were too).
fn unsettle(
    dirs: &mut HashMap<OsString, Dir>,
    path: &Path,
    done: &mut std::collections::HashSet<PathBuf>,
) {
    for a in path.ancestors() {
        if !done.insert(a.to_path_buf()) {
            break;
        }
        if let Some(d) = dirs.get_mut(a.as_os_str()) {
            d.sub = None;
        }
    }
}

/// Removes the watch of a directory the cache forgets.
#[cfg(target_os = "linux")]
fn forget(watcher: &mut WatcherSlot, path: &Path, d: &Dir) {
    if let (Some(wd), Some(w)) = (d.wd, watcher.as_mut()) {
        w.remove(wd, path);
    }
}

#[cfg(not(target_os = "linux"))]
fn forget(_watcher: &mut WatcherSlot, _path: &Path, _d: &Dir) {}

impl Cache {
    /// Linux: reads the watches' queued events (see git_watch.rs), marking the listings they
    /// concern as not clean; drops everything when events were lost. Returns whether a clean
    /// listing may be trusted without a stat in this scan (not after a mount table change), and
    /// whether nothing at all was reported since the last scan (see `Memo`).
    #[cfg(target_os = "linux")]
    fn drain(&mut self) -> (bool, bool) {
        let watcher = self.watcher.get_or_insert_with(Watcher::new);
        if !watcher.enabled() {
            return (false, false);
        }
        let dirs = &mut self.dirs;
        let mut done = std::collections::HashSet::new();
        let drained = watcher.drain(|path, wd, gone| {
            if let Some(d) = dirs.get_mut(path.as_os_str()) {
                d.clean = false;
                if gone && d.wd == Some(wd) {
                    d.wd = None;
                }
            }
            unsettle(dirs, path, &mut done);
        });
        match drained {
            Drained::Events {
                mounts_changed,
                quiet,
            } => (!mounts_changed, quiet),
            Drained::Lost => {
                // Nothing remembered is trusted: the cache starts again (the watches are gone).
                self.dirs.clear();
                (false, false)
            }
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn drain(&mut self) -> (bool, bool) {
        (false, false)
    }
}

/// How many directories the cache holds at most across workspaces (beyond it, it starts empty).
const CACHE_LIMIT: usize = 2 * DIR_LIMIT;
/// A directory whose change time has no fraction of a second (a file system that may keep whole
/// seconds only) and that changed this recently (or "in the future") is read again on every scan: a
/// change within the same second may leave its change time as it was. See `Cutoff` for the others.
const RACY: Duration = Duration::from_secs(2);
/// How much a scan's reads of directory entries take at once (getdents64; musl's readdir takes 2 KiB).
#[cfg(target_os = "linux")]
const LISTING_BUFFER: usize = 64 * 1024;

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(Default::default);

#[derive(Default)]
struct Cache {
    /// Keyed by the path's bytes (all built the same way from canonical areas; hashing them whole
    /// is cheaper than hashing a Path's components).
    dirs: HashMap<OsString, Dir>,
    /// Counts scans; `Dir::seen` says which scan last visited a directory.
    generation: u64,
    /// Counts listings read and bindings checked (`Dir::listed`, `Dir::verified`): an order.
    tick: u64,
    /// The buffer directory listings are read into (Linux), kept for the next scan.
    buf: ListingBuffer,
    /// Linux: the inotify watches (made at the first scan).
    watcher: WatcherSlot,
    /// What the last walk found, while it may be used again.
    memo: Option<Memo>,
}

/// The result of a walk in which every directory visited was watched and its listing clean. While
/// no event at all arrives and the mount table does not change, none of those listings changes and
/// every name in them leads to the same directory, so a walk of the same areas, found at the same
/// inodes by stat, finds the same entries. Dropped at any event, mount table change, lost event,
/// watch taken over by another path, or cache clear.
#[derive(Debug)]
struct Memo {
    roots: Vec<PathBuf>,
    /// Each root's device and inode.
    ids: Vec<(u64, u64)>,
    entries: Vec<(PathBuf, Identity)>,
    complete: bool,
}

#[cfg(target_os = "linux")]
type WatcherSlot = Option<Watcher>;
#[cfg(not(target_os = "linux"))]
type WatcherSlot = ();

/// Elsewhere nothing is watched.
#[cfg(not(target_os = "linux"))]
type Wd = i32;

#[cfg(target_os = "linux")]
type ListingBuffer = Vec<u8>;
/// Elsewhere std's read_dir reads the listings.
#[cfg(not(target_os = "linux"))]
type ListingBuffer = ();

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
    /// Linux: the inotify watch on this directory's inode, added before the listing was read.
    wd: Option<Wd>,
    /// The listing is complete, was read with `wd` in place, and no event for `wd` has arrived
    /// since (see git_watch.rs): it is the directory's listing now, whatever its times say.
    clean: bool,
    /// The device and inode of this directory's parent (`..`), taken after the watch was added.
    parent: Option<(u64, u64)>,
    /// When (`Cache::tick`) this listing was read.
    listed: u64,
    /// When its path was last seen to lead to this inode (read, or checked by stat).
    verified: u64,
    /// The scan that found its path to lead to this inode (see `Scanner::visit`).
    anchored: u64,
    /// What a walk of everything below found, while nothing there changed (see `Sub`).
    sub: Option<Box<Sub>>,
}

/// A subtree walked whole (no limit cut it) in which every directory was watched and clean: the
/// entries found in it, how many directories it has and how deep it goes. Dropped (with every
/// ancestor's) at any event for a directory in it, or when a watch of one is taken over; a walk
/// that reaches its top, clean and found at its path, uses it instead of walking on (while no
/// mount table change was seen in this scan): no listing below changed, so every name below still
/// leads where it did.
#[derive(Debug)]
struct Sub {
    entries: Vec<(PathBuf, Identity)>,
    dirs: usize,
    depth: usize,
}

/// What a child's visit needs of its parent for the watch rule: the parent's path led to its inode
/// in this scan, and its listing is clean.
#[derive(Debug, Clone, Copy)]
struct Parent {
    dev: u64,
    ino: u64,
    listed: u64,
}

impl Dir {
    fn new(key: DirKey) -> Self {
        Dir {
            key,
            seen: 0,
            trusted: false,
            git: None,
            head: None,
            subdirs: Vec::new(),
            wd: None,
            clean: false,
            parent: None,
            listed: 0,
            verified: 0,
            anchored: 0,
            sub: None,
        }
    }

    /// This directory as the parent of the ones it lists, when the watch rule holds for it.
    fn as_parent(&self, generation: u64, watches_ok: bool) -> Option<Parent> {
        (watches_ok && self.clean && self.anchored == generation).then_some(Parent {
            dev: self.key.dev,
            ino: self.key.ino,
            listed: self.listed,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DirKey {
    dev: u64,
    ino: u64,
    ctime: (i64, i64),
    mtime: (i64, i64),
}

/// When a directory read by this scan may be remembered: its change time (and modification time)
/// must lie before the cutoff, so that any later change to its entries gives it another change time.
///
/// Linux file systems stamp a change with the kernel's coarse real-time clock (the time of its last
/// tick, CLOCK_REALTIME_COARSE; since 6.13 sometimes a finer one, never earlier), truncated to their
/// granularity. The file systems the cache is used on (`keeps_ctime`) keep either nanoseconds or
/// whole seconds. A change time with a fraction of a second therefore comes from a nanosecond file
/// system, and every change made after this scan began is stamped at least with the coarse clock's
/// time read when it began (`coarse`): a directory whose change time is earlier than that cannot be
/// changed again without its change time changing. A whole-second change time keeps the old rule:
/// older than `RACY` by the precise clock (`slow`).
#[derive(Debug, Clone, Copy)]
struct Cutoff {
    coarse: (i64, i64),
    slow: (i64, i64),
}

impl Cutoff {
    fn now() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .saturating_sub(RACY);
        let slow = (now.as_secs() as i64, i64::from(now.subsec_nanos()));
        Cutoff {
            coarse: coarse_clock().unwrap_or(slow),
            slow,
        }
    }

    /// Whether a directory with this key, read after the scan began, may be remembered.
    fn trusts(&self, key: &DirKey) -> bool {
        let limit = if key.ctime.1 != 0 {
            self.coarse
        } else {
            self.slow
        };
        key.ctime < limit && key.mtime < limit
    }
}

/// The coarse real-time clock (the one Linux file systems stamp changes with).
#[cfg(target_os = "linux")]
#[allow(clippy::useless_conversion)] // time_t and long are i64 on 64-bit targets only
fn coarse_clock() -> Option<(i64, i64)> {
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    (unsafe { libc::clock_gettime(libc::CLOCK_REALTIME_COARSE, &mut ts) } == 0)
        .then_some((i64::from(ts.tv_sec), i64::from(ts.tv_nsec)))
}

/// Elsewhere the cache is not used (`keeps_ctime`).
#[cfg(not(target_os = "linux"))]
fn coarse_clock() -> Option<(i64, i64)> {
    None
}

struct Scanner<'c> {
    cache: &'c mut Cache,
    cutoff: Cutoff,
    /// Per device: whether its file system is one known to keep directory change times.
    fs_ok: HashMap<u64, bool>,
    /// The walked areas: directories below them are watched.
    walk: &'c [PathBuf],
    /// The areas scanned one level deep (the temp dir): each of them and its subdirectories are
    /// watched too.
    shallow: &'c [PathBuf],
    /// How many directories the walk reads at most (`DIR_LIMIT`).
    dir_limit: usize,
    /// Whether clean listings may be trusted without a stat in this scan (see `Cache::drain`).
    watches_ok: bool,
    /// Watches found held for another path while reading (that path, the watch).
    orphans: Vec<(PathBuf, Wd)>,
    /// Nothing reported since the last scan (see `Memo`).
    quiet: bool,
    /// The walk was not done: the memo's entries were used.
    memo_used: bool,
    /// Paths that a listing read again no longer has (see `scan`).
    gone: std::collections::HashSet<OsString>,
}

impl Scanner<'_> {
    fn run(&mut self, walk: &[PathBuf], shallow: &[PathBuf]) -> GitScan {
        let mut out = GitScan {
            entries: BTreeMap::new(),
            complete: true,
        };
        // Each ancestor once: the areas share theirs (the workspace is often in the temp dir).
        let mut looked: Vec<&Path> = Vec::new();
        for area in walk.iter().chain(shallow) {
            for dir in area.ancestors() {
                if !looked.contains(&dir) {
                    looked.push(dir);
                    look_at(dir, &mut out);
                }
            }
        }
        // A walked area's top level is the walk's own first level: looked at here only if the walk
        // is cut short (DIR_LIMIT), below.
        for area in shallow.iter().filter(|a| !walk.contains(a)) {
            self.shallow_scan(area, &mut out);
        }
        if self.quiet {
            if let Some(m) = &self.cache.memo {
                let same = m.roots == walk
                    && walk.iter().zip(&m.ids).all(|(r, id)| {
                        dir_stat(r, None).is_some_and(|(k, _)| (k.dev, k.ino) == *id)
                    });
                if same {
                    out.entries.extend(m.entries.iter().cloned());
                    out.complete &= m.complete;
                    self.memo_used = true;
                    if !m.complete {
                        self.shallow_walked(walk, shallow, &mut out);
                    }
                    return out;
                }
            }
        }
        let mut budget = self.dir_limit;
        let (generation, watches_ok) = (self.cache.generation, self.watches_ok);
        // What the walk finds, kept apart for the memo.
        let mut w = GitScan {
            entries: BTreeMap::new(),
            complete: true,
        };
        let mut memo_ok = true;
        let mut ids = Vec::new();
        for root in walk {
            // A root is always checked by stat (its own parent is not watched).
            let mut stack = vec![Step::Enter(root.clone(), 0, None)];
            while let Some(step) = stack.pop() {
                let (dir, depth, parent) = match step {
                    Step::Enter(dir, depth, parent) => (dir, depth, parent),
                    Step::Exit(dir) => {
                        self.settle(&dir);
                        continue;
                    }
                };
                if budget == 0 {
                    w.complete = false;
                    break;
                }
                budget -= 1;
                let Some(d) = self.visit(&dir, None, parent) else {
                    memo_ok = false;
                    if depth == 0 {
                        // The area itself is gone (or no directory now): so is all below it.
                        self.gone.insert(dir.into_os_string());
                    }
                    continue;
                };
                memo_ok &= d.clean;
                if depth == 0 {
                    ids.push((d.key.dev, d.key.ino));
                }
                // Nothing below changed since it was walked whole: what it found then.
                if let Some(sub) = d.sub.as_ref().filter(|_| watches_ok && d.clean) {
                    if sub.dirs - 1 <= budget && depth + sub.depth <= DEPTH_LIMIT {
                        budget -= sub.dirs - 1;
                        w.entries.extend(sub.entries.iter().cloned());
                        continue;
                    }
                }
                // A repository directory is protected as a whole: no need to walk its objects.
                if record(d, &mut w, || dir.clone()) && depth > 0 {
                    continue;
                }
                if !d.subdirs.is_empty() && depth + 1 > DEPTH_LIMIT {
                    w.complete = false;
                    continue;
                }
                let me = d.as_parent(generation, watches_ok);
                stack.push(Step::Exit(dir.clone()));
                for n in &d.subdirs {
                    stack.push(Step::Enter(dir.join(n), depth + 1, me));
                }
            }
        }
        self.cache.memo = (memo_ok && ids.len() == walk.len()).then(|| Memo {
            roots: walk.to_vec(),
            ids,
            entries: w.entries.iter().map(|(p, id)| (p.clone(), *id)).collect(),
            complete: w.complete,
        });
        out.complete &= w.complete;
        out.entries.extend(w.entries);
        if !w.complete {
            self.shallow_walked(walk, shallow, &mut out);
        }
        out
    }

    /// The top level of the shallow areas that are also walked, after a walk cut short.
    fn shallow_walked(&mut self, walk: &[PathBuf], shallow: &[PathBuf], out: &mut GitScan) {
        for area in shallow.iter().filter(|a| walk.contains(a)) {
            self.shallow_scan(area, out);
        }
    }

    /// `area/*/.git` and a repository-looking `area/*`: the top level of a shallow area (the temp
    /// dir, or a walked area whose walk was cut short).
    fn shallow_scan(&mut self, area: &Path, out: &mut GitScan) {
        let (generation, watches_ok) = (self.cache.generation, self.watches_ok);
        let Some(d) = self.visit(area, None, None) else {
            return;
        };
        // Lent out while the children are visited (none of them is the area itself).
        let names = std::mem::take(&mut d.subdirs);
        let parent = open_area(area, &d.key);
        // The area, watched and checked by stat just now, as the parent of its subdirectories:
        // a watched one whose listing is clean is then used without a stat (the watch rule),
        // so a scan of an unchanged temp dir stats only the temp dir itself, however many
        // directories other programs keep in it.
        let me = d.as_parent(generation, watches_ok);
        for n in names.iter().take(DIR_LIMIT) {
            let at = parent.as_ref().map(|fd| (fd.as_raw_fd(), n.as_os_str()));
            if let Some(d) = self.visit(&area.join(n), at, me) {
                record(d, out, || area.join(n));
            }
        }
        if let Some(d) = self.cache.dirs.get_mut(area.as_os_str()) {
            d.subdirs = names;
        }
    }

    /// The directory at `path` as it is now: from the cache when unchanged, else read (one lookup
    /// in the cache). `at`: its parent, open, and its name there (Linux: one fstatat instead of
    /// resolving the whole path again).
    ///
    /// A remembered listing is used without a stat (the watch rule) when it is clean (its watch
    /// was added before it was read and no event for it has arrived since), its parent's path led
    /// to the parent's inode in this scan and the parent's listing is clean and was read before
    /// this directory's path was last seen to lead to this inode, and this inode's `..` was that
    /// parent when its watch was in place: then no entry of the parent changed since, so the name
    /// still leads here, and no entry of this directory changed. Otherwise a stat: the same
    /// device, inode and times as when read, and read long enough after its last change (see
    /// `Cutoff`) or clean, keeps the listing; anything else reads it again.
    fn visit(
        &mut self,
        path: &Path,
        at: Option<(RawFd, &OsStr)>,
        parent: Option<Parent>,
    ) -> Option<&mut Dir> {
        use std::collections::hash_map::Entry;
        let Cache {
            dirs,
            generation,
            tick,
            buf,
            watcher,
            ..
        } = &mut *self.cache;
        let generation = *generation;
        *tick += 1;
        let now = *tick;
        // Seen already, or kept by the watch rule: found without making a key.
        let kept = match dirs.get_mut(path.as_os_str()) {
            Some(d) if d.seen == generation => true,
            Some(d) => match parent {
                Some(p) if d.clean && d.parent == Some((p.dev, p.ino)) && p.listed < d.verified => {
                    d.seen = generation;
                    d.anchored = generation;
                    true
                }
                _ => false,
            },
            None => false,
        };
        if kept {
            return dirs.get_mut(path.as_os_str());
        }
        let mut o = match dirs.entry(path.as_os_str().to_os_string()) {
            Entry::Occupied(o) => o,
            Entry::Vacant(v) => {
                let (key, keyed) = dir_stat(path, at)?;
                let d = fresh(
                    path,
                    key,
                    keyed,
                    Read {
                        generation,
                        now,
                        fs_ok: &mut self.fs_ok,
                        cutoff: &self.cutoff,
                        buf,
                        watcher: watch_for(watcher, self.walk, self.shallow, path),
                        orphans: &mut self.orphans,
                    },
                );
                return Some(v.insert(d));
            }
        };
        let (key, keyed) = dir_stat(path, at)?;
        let d = o.get_mut();
        // Kept without a watch though one could be added now (first seen outside a walked area,
        // or the budget was used up): read again, watched.
        let unwatched = d.wd.is_none()
            && watch_for(watcher, self.walk, self.shallow, path).is_some_and(|w| w.can_add())
            && *self
                .fs_ok
                .entry(key.dev)
                .or_insert_with(|| keeps_ctime(path));
        if d.key == key && (d.trusted || d.clean) && !unwatched {
            d.seen = generation;
            d.anchored = generation;
            d.verified = now;
            return Some(o.into_mut());
        }
        let old = d.wd;
        let old_subdirs = std::mem::take(&mut d.subdirs);
        let new = fresh(
            path,
            key,
            keyed,
            Read {
                generation,
                now,
                fs_ok: &mut self.fs_ok,
                cutoff: &self.cutoff,
                buf,
                watcher: watch_for(watcher, self.walk, self.shallow, path),
                orphans: &mut self.orphans,
            },
        );
        #[cfg(target_os = "linux")]
        if let (Some(w), Some(watcher)) = (old, watcher.as_mut()) {
            if new.wd != Some(w) {
                watcher.remove(w, path);
            }
        }
        let _ = old;
        for n in old_subdirs {
            if !new.subdirs.contains(&n) {
                self.gone.insert(path.join(n).into_os_string());
            }
        }
        *d = new;
        Some(o.into_mut())
    }
}

/// A step of the walk: visit a directory (its path, depth and parent), or sum up its subtree once
/// everything below it was walked.
enum Step {
    Enter(PathBuf, usize, Option<Parent>),
    Exit(PathBuf),
}

impl Scanner<'_> {
    /// After everything below `dir` was walked in this scan: its `Sub`, when it and every
    /// directory below it were visited in this scan, watched and clean (a repository directory
    /// below counts as itself: it is not walked).
    fn settle(&mut self, dir: &Path) {
        let generation = self.cache.generation;
        let dirs = &self.cache.dirs;
        let Some(d) = dirs.get(dir.as_os_str()) else {
            return;
        };
        if d.seen != generation || !d.clean || d.head.is_some() {
            return;
        }
        let mut sub = Sub {
            entries: Vec::new(),
            dirs: 1,
            depth: 0,
        };
        if let Some(id) = d.git {
            sub.entries.push((dir.join(".git"), id));
        }
        for n in &d.subdirs {
            let path = dir.join(n);
            let Some(c) = dirs.get(path.as_os_str()) else {
                return;
            };
            if c.seen != generation || !c.clean {
                return;
            }
            if c.head.is_some() {
                if let Some(id) = c.git {
                    sub.entries.push((path.join(".git"), id));
                }
                if let Some(id) = c.head {
                    sub.entries.push((path.join("HEAD"), id));
                }
                sub.dirs += 1;
                sub.depth = sub.depth.max(1);
                continue;
            }
            let Some(cs) = &c.sub else {
                return;
            };
            sub.entries.extend(cs.entries.iter().cloned());
            sub.dirs += cs.dirs;
            sub.depth = sub.depth.max(cs.depth + 1);
        }
        if let Some(d) = self.cache.dirs.get_mut(dir.as_os_str()) {
            d.sub = Some(Box::new(sub));
        }
    }
}

/// The watcher when `path` is to be watched: below a walked area, or a shallow area (the temp
/// dir) or one of its subdirectories while the shallow scan's part of the budget allows
/// (`Watcher::shallow_room`).
#[cfg(target_os = "linux")]
fn watch_for<'w>(
    watcher: &'w mut WatcherSlot,
    walk: &[PathBuf],
    shallow: &[PathBuf],
    path: &Path,
) -> Option<&'w mut Watcher> {
    let shallow_dir = |a: &PathBuf| path == a || path.parent() == Some(a.as_path());
    watcher.as_mut().filter(|w| {
        w.enabled()
            && (walk.iter().any(|r| path.starts_with(r))
                || (shallow.iter().any(shallow_dir) && w.shallow_room()))
    })
}

#[cfg(not(target_os = "linux"))]
fn watch_for(
    _watcher: &mut WatcherSlot,
    _walk: &[PathBuf],
    _shallow: &[PathBuf],
    _path: &Path,
) -> Option<NoWatch> {
    None
}

/// Elsewhere nothing is watched.
#[cfg(not(target_os = "linux"))]
enum NoWatch {}

#[cfg(not(target_os = "linux"))]
impl NoWatch {
    fn can_add(&self) -> bool {
        match *self {}
    }
}

/// What reading a directory needs besides its path and key.
struct Read<'a> {
    generation: u64,
    now: u64,
    fs_ok: &'a mut HashMap<u64, bool>,
    cutoff: &'a Cutoff,
    buf: &'a mut ListingBuffer,
    #[cfg(target_os = "linux")]
    watcher: Option<&'a mut Watcher>,
    #[cfg(not(target_os = "linux"))]
    watcher: Option<NoWatch>,
    orphans: &'a mut Vec<(PathBuf, Wd)>,
}

/// The directory at `path` read now (its key taken just before), and whether it may be remembered:
/// by the stat rule (`trusted`) and by the watch rule (`clean`).
fn fresh(path: &Path, key: DirKey, keyed: bool, r: Read<'_>) -> Dir {
    let fs_ok = *r.fs_ok.entry(key.dev).or_insert_with(|| keeps_ctime(path));
    // Only where every local change to a directory is seen (the same file systems).
    let watcher = r.watcher.filter(|_| fs_ok && keyed);
    let mut d = read(path, key, r.buf, watcher, r.orphans);
    d.seen = r.generation;
    d.listed = r.now;
    d.verified = r.now;
    d.anchored = r.generation;
    d.clean = d.trusted && d.clean && keyed && fs_ok;
    d.trusted = d.trusted && keyed && fs_ok && r.cutoff.trusts(&key);
    d
}

/// A directory's key and whether it can be trusted (see `dir_key`); None when `path` is no
/// directory (a symlink is none). Linux with `at`: fstatat on the open parent.
fn dir_stat(path: &Path, at: Option<(RawFd, &OsStr)>) -> Option<(DirKey, bool)> {
    #[cfg(target_os = "linux")]
    if let Some((parent, name)) = at {
        use std::os::unix::ffi::OsStrExt as _;
        let name = std::ffi::CString::new(name.as_bytes()).ok()?;
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstatat(parent, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } != 0
            || st.st_mode & libc::S_IFMT != libc::S_IFDIR
        {
            return None;
        }
        let key = DirKey {
            dev: st.st_dev,
            ino: st.st_ino,
            ctime: (st.st_ctime, st.st_ctime_nsec),
            mtime: (st.st_mtime, st.st_mtime_nsec),
        };
        return Some((key, true));
    }
    let _ = at;
    let m = path.symlink_metadata().ok()?;
    m.is_dir().then(|| dir_key(&m))
}

/// Linux: an area opened to stat its children relative to it, if it is still the directory `key`
/// was taken from (else the children's paths are resolved whole).
#[cfg(target_os = "linux")]
fn open_area(path: &Path, key: &DirKey) -> Option<std::os::fd::OwnedFd> {
    let fd = open_dir(path)?;
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let same = unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } == 0
        && st.st_dev == key.dev
        && st.st_ino == key.ino;
    same.then_some(fd)
}

#[cfg(not(target_os = "linux"))]
fn open_area(_path: &Path, _key: &DirKey) -> Option<NoFd> {
    None
}

/// Where there is no open parent to stat relative to.
#[cfg(not(target_os = "linux"))]
struct NoFd;

#[cfg(not(target_os = "linux"))]
impl NoFd {
    fn as_raw_fd(&self) -> RawFd {
        -1
    }
}

/// Opens a directory without following a link: openat itself (musl's open() follows an
/// O_CLOEXEC open with an fcntl).
#[cfg(target_os = "linux")]
fn open_dir(path: &Path) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd as _;
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let fd = unsafe {
        libc::syscall(
            libc::SYS_openat,
            libc::AT_FDCWD,
            c.as_ptr(),
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0,
        )
    };
    // SAFETY: just opened for us.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
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

/// Records a directory's `.git` and repository `HEAD` (`path` makes its path, when there is one);
/// true when it is a repository directory.
fn record(d: &Dir, out: &mut GitScan, path: impl Fn() -> PathBuf) -> bool {
    if let Some(id) = d.git {
        out.entries.insert(path().join(".git"), id);
    }
    if let Some(id) = d.head {
        out.entries.insert(path().join("HEAD"), id);
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

/// Reads a directory's entries (Linux): the directory is opened without following a link and must
/// still be the one `key` was taken from, else the listing is not remembered; the entries come in
/// reads of up to `LISTING_BUFFER` bytes with their file types (an fstatat only where the file
/// system gives none, and for a `.git` or `HEAD` found, whose identity is recorded).
///
/// With `watcher`: the watch is added on the open directory before its entries are read, and its
/// `..` taken after; `clean` says both happened.
#[cfg(target_os = "linux")]
fn read(
    path: &Path,
    key: DirKey,
    buf: &mut ListingBuffer,
    watcher: Option<&mut Watcher>,
    orphans: &mut Vec<(PathBuf, Wd)>,
) -> Dir {
    use std::os::unix::ffi::OsStrExt as _;
    let mut d = Dir::new(key);
    let unreadable = |mut d: Dir| {
        // What lstat alone can tell, and nothing to walk; never cached.
        d.git = identity(&path.join(".git"));
        d.head = repository_head(path).map(|(_, id)| id);
        d
    };
    let Some(fd) = open_dir(path) else {
        return unreadable(d);
    };
    let dir = std::os::fd::AsRawFd::as_raw_fd(&fd);
    let stat_at = |name: &[u8]| -> Option<libc::stat> {
        let name = std::ffi::CString::new(name).ok()?;
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        (unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) } == 0)
            .then_some(st)
    };
    let id_of = |st: &libc::stat| Identity {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode & libc::S_IFMT,
    };
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // Replaced between the lstat and the open: listed, but not remembered under the old key.
    d.trusted =
        unsafe { libc::fstat(dir, &mut st) } == 0 && st.st_dev == key.dev && st.st_ino == key.ino;
    if let Some(w) = watcher.filter(|_| d.trusted) {
        if let Some((wd, before)) = w.add(dir, path) {
            d.wd = Some(wd);
            if let Some(p) = before {
                orphans.push((p, wd));
            }
            d.parent = stat_at(b"..").map(|st| (st.st_dev, st.st_ino));
            d.clean = d.parent.is_some();
        }
    }
    if buf.len() < LISTING_BUFFER {
        buf.resize(LISTING_BUFFER, 0);
    }
    let (mut head, mut objects, mut refs) = (false, false, false);
    loop {
        let n = unsafe { libc::syscall(libc::SYS_getdents64, dir, buf.as_mut_ptr(), buf.len()) };
        if n <= 0 {
            if n < 0 {
                d.trusted = false; // a partial listing is not remembered
            }
            break;
        }
        let mut at = 0usize;
        while at + 19 < n as usize {
            // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name.
            let reclen = usize::from(u16::from_ne_bytes([buf[at + 16], buf[at + 17]]));
            if reclen == 0 || at + reclen > n as usize {
                d.trusted = false;
                break;
            }
            let mut kind = buf[at + 18];
            let raw = &buf[at + 19..at + reclen];
            let name = &raw[..raw.iter().position(|&b| b == 0).unwrap_or(raw.len())];
            at += reclen;
            if name == b"." || name == b".." {
                continue;
            }
            if name == b".git" {
                d.git = stat_at(name).map(|st| id_of(&st));
                continue; // protected whole, never walked
            }
            if kind == libc::DT_UNKNOWN {
                match stat_at(name) {
                    Some(st) => {
                        kind = match st.st_mode & libc::S_IFMT {
                            libc::S_IFDIR => libc::DT_DIR,
                            libc::S_IFLNK => libc::DT_LNK,
                            _ => libc::DT_REG,
                        }
                    }
                    None => {
                        d.trusted = false;
                        continue;
                    }
                }
            }
            match name {
                b"HEAD" => head = kind != libc::DT_DIR,
                b"objects" => objects = kind == libc::DT_DIR || kind == libc::DT_LNK,
                b"refs" => refs = kind == libc::DT_DIR || kind == libc::DT_LNK,
                _ => {}
            }
            // A symlinked directory is not walked.
            if kind == libc::DT_DIR {
                d.subdirs
                    .push(std::ffi::OsStr::from_bytes(name).to_os_string());
            }
        }
    }
    if head && objects && refs {
        d.head = stat_at(b"HEAD")
            .map(|st| id_of(&st))
            .filter(|id| id.mode != 0o040000);
    }
    d
}

/// Reads a directory's entries: file types come from readdir (an lstat only where the file system
/// does not give them, and for a `.git` or `HEAD` found, whose identity is recorded).
#[cfg(not(target_os = "linux"))]
fn read(
    path: &Path,
    key: DirKey,
    _buf: &mut ListingBuffer,
    _watcher: Option<NoWatch>,
    _orphans: &mut Vec<(PathBuf, Wd)>,
) -> Dir {
    let mut d = Dir::new(key);
    d.trusted = true;
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

    /// The cutoff: a nanosecond change time must lie before the coarse clock read when the scan
    /// began; a whole-second one (a file system that may keep seconds only) older than `RACY`.
    #[test]
    fn the_cutoff_trusts_a_change_before_the_scan_began_by_the_coarse_clock() {
        let cut = Cutoff {
            coarse: (100, 500),
            slow: (98, 700),
        };
        let key = |ctime, mtime| DirKey {
            dev: 1,
            ino: 2,
            ctime,
            mtime,
        };
        assert!(cut.trusts(&key((100, 499), (100, 499))));
        assert!(cut.trusts(&key((99, 1), (50, 0))));
        // Changed in the tick the scan began in: a change now may get the same stamp.
        assert!(!cut.trusts(&key((100, 500), (50, 0))));
        assert!(!cut.trusts(&key((100, 501), (50, 0))));
        // A modification time in the future (set by a command) is never trusted.
        assert!(!cut.trusts(&key((100, 1), (100, 500))));
        // Whole seconds: the precise clock, 2 s back.
        assert!(!cut.trusts(&key((99, 0), (50, 0))));
        assert!(!cut.trusts(&key((98, 0), (98, 700))));
        assert!(cut.trusts(&key((98, 0), (50, 0))));
    }

    #[cfg(target_os = "linux")]
    fn cached(path: &Path) -> Option<bool> {
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache.dirs.get(path.as_os_str()).map(|d| d.trusted)
    }

    #[cfg(target_os = "linux")]
    fn watched_below(dir: &Path) -> usize {
        let cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
        cache.watcher.as_ref().map_or(0, |w| w.watched_below(dir))
    }

    /// Watches: one per directory walked and one on the temp dir and on each of its subdirectories
    /// (the shallow scan goes no deeper), none left for
    /// directories the cache forgets, none on a directory swapped for a symlink, and the listings
    /// they keep clean are used without a stat (a directory whose times say nothing changed but
    /// whose watch reported an event is read again).
    #[cfg(target_os = "linux")]
    #[test]
    fn watches_follow_the_walked_directories() {
        let base = std::env::temp_dir().join(format!("tack-git-watch-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        for i in 0..20 {
            fs::create_dir_all(base.join(format!("ws/d{i}/e"))).unwrap();
            fs::create_dir_all(base.join(format!("tmp/t{i}/u"))).unwrap();
        }
        let base = base.canonicalize().unwrap();
        let (ws, tmp) = (base.join("ws"), base.join("tmp"));
        if !keeps_ctime(&base) {
            eprintln!("skipped: {base:?} is not on a file system the watches are used on");
            return;
        }
        let walk = std::slice::from_ref(&ws);
        let shallow = [ws.clone(), tmp.clone()];
        scan(walk, &shallow);
        if watched_below(&base) == 0 {
            eprintln!("skipped: no inotify here");
            return;
        }
        assert_eq!(watched_below(&ws), 41);
        assert_eq!(watched_below(&tmp), 21);
        // A `.git` made in a subdirectory of the temp dir whose listing the watch rule keeps (the
        // temp dir itself unchanged): found.
        scan(walk, &shallow);
        fs::create_dir(tmp.join("t7/.git")).unwrap();
        let s = scan(walk, &shallow);
        assert!(s.entries.contains_key(&tmp.join("t7/.git")), "{s:?}");
        fs::remove_dir(tmp.join("t7/.git")).unwrap();
        // Gone, or a symlink now: their watches go with them.
        for i in 0..10 {
            fs::remove_dir_all(ws.join(format!("d{i}"))).unwrap();
        }
        fs::remove_dir_all(ws.join("d10")).unwrap();
        std::os::unix::fs::symlink(&tmp, ws.join("d10")).unwrap();
        // Moved out of the workspace (the kernel keeps these watches: the sidecar removes them).
        for i in [11, 12] {
            fs::rename(ws.join(format!("d{i}")), base.join(format!("out{i}"))).unwrap();
        }
        scan(walk, &shallow);
        assert_eq!(watched_below(&ws), 15);
        // Another workspace's scan keeps these.
        let other = tmp.join("t0");
        let others = std::slice::from_ref(&other);
        scan(others, others);
        assert_eq!(watched_below(&ws), 15);
        assert_eq!(watched_below(&other), 2);
        // A `.git` made in a watched directory whose times are then set back as they were (as far
        // as a process can: ctime moves, but the watch rule does not look at it): found.
        let e = ws.join("d15/e");
        fs::create_dir(e.join(".git")).unwrap();
        let s = scan(walk, &shallow);
        assert!(s.entries.contains_key(&e.join(".git")), "{s:?}");
        // The workspace itself moved away: its watches go too.
        fs::rename(&ws, base.join("ws-moved")).unwrap();
        scan(walk, &shallow);
        assert_eq!(watched_below(&ws), 0);
        let _ = fs::remove_dir_all(&base);
    }

    /// A walked area's top level is looked at by the walk alone, unless the walk is cut short at
    /// its directory limit: then every `.git` one level below the area is still found.
    #[test]
    fn a_walk_cut_short_still_looks_at_the_top_level() {
        let base = std::env::temp_dir().join(format!("tack-git-cut-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        for i in 0..30 {
            fs::create_dir_all(base.join(format!("ws/p{i:02}/deep/deeper"))).unwrap();
            fs::create_dir(base.join(format!("ws/p{i:02}/.git"))).unwrap();
        }
        let ws = base.join("ws").canonicalize().unwrap();
        let walk = std::slice::from_ref(&ws);
        // A file made before each scan: an event, so no scan reuses the last one's walk (whose
        // memo does not say the limit it was made with).
        let touch = |n: usize| fs::write(ws.join(format!("f{n}")), "").unwrap();
        for round in 0..2 {
            // A walk of 10 directories reaches a few of the 30; the rest come from the top level.
            touch(2 * round);
            let s = scan_with(walk, walk, 10);
            assert!(!s.complete);
            for i in 0..30 {
                let git = ws.join(format!("p{i:02}/.git"));
                assert!(s.entries.contains_key(&git), "{git:?} not found: {s:?}");
            }
            // Whole, the walk finds them itself.
            touch(2 * round + 1);
            let s = scan_with(walk, walk, DIR_LIMIT);
            assert!(s.complete);
            assert_eq!(s.entries.keys().filter(|p| p.starts_with(&ws)).count(), 30);
        }
        let _ = fs::remove_dir_all(&base);
    }

    /// A `.git` made right after a scan, in the same clock tick as the scan's reads and the
    /// directory's own last change, or in a directory the scan trusted: the next scan finds it,
    /// in a walked area and in the temp dir alike; a trusted directory replaced by a symlink or by
    /// another directory is seen as such.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_git_made_in_the_racy_window_right_after_a_scan_is_found() {
        let base = std::env::temp_dir().join(format!("tack-git-tick-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        fs::create_dir_all(base.join("ws")).unwrap();
        fs::create_dir_all(base.join("tmp")).unwrap();
        fs::create_dir_all(base.join("elsewhere/.git")).unwrap();
        let base = base.canonicalize().unwrap();
        let (ws, tmp) = (base.join("ws"), base.join("tmp"));
        let walk = std::slice::from_ref(&ws);
        let shallow = [ws.clone(), tmp.clone()];
        for i in 0..150usize {
            // Made in this iteration (its change time is the scan's tick) and in the last one
            // (some ticks ago, or the same one: the loop is faster than a tick).
            for area in [&ws, &tmp] {
                fs::create_dir(area.join(format!("d{i}"))).unwrap();
            }
            let before = scan(walk, &shallow);
            assert!(before.entries.keys().all(|p| !p.starts_with(&base)));
            let mut made = Vec::new();
            for area in [&ws, &tmp] {
                for n in [i, i.saturating_sub(1)] {
                    let g = area.join(format!("d{n}/.git"));
                    if fs::create_dir(&g).is_ok() {
                        made.push(g);
                    }
                }
            }
            let after = scan(walk, &shallow);
            for g in &made {
                assert!(after.entries.contains_key(g), "iteration {i}: {g:?} missed");
            }
            let renamed = neutralise(&before, &after, &shallow);
            assert_eq!(renamed.len(), made.len(), "{renamed:?}");
        }

        // Directories changed before the scan's tick are trusted, and a change in the scan's own
        // tick still shows.
        let old: Vec<PathBuf> = [&ws, &tmp].iter().map(|a| a.join("old")).collect();
        for d in &old {
            fs::create_dir(d).unwrap();
        }
        let changed = |d: &PathBuf| {
            let m = d.symlink_metadata().unwrap();
            (m.ctime(), m.ctime_nsec())
        };
        // The coarse-clock rule applies (and these are trusted) on a file system the cache is used
        // on that keeps nanoseconds; elsewhere (overlayfs, whole seconds) only the finding holds.
        let trusting = keeps_ctime(&base) && changed(&old[0]).1 != 0;
        while old.iter().any(|d| coarse_clock().unwrap() <= changed(d)) {
            std::thread::sleep(Duration::from_millis(2));
        }
        let before = scan(walk, &shallow);
        for d in &old {
            if trusting {
                assert_eq!(cached(d), Some(true), "{d:?} not trusted");
            }
            fs::create_dir(d.join(".git")).unwrap();
        }
        let after = scan(walk, &shallow);
        for d in &old {
            assert!(after.entries.contains_key(&d.join(".git")), "{d:?}");
        }
        assert_eq!(neutralise(&before, &after, &shallow).len(), 2);

        // Trusted directories swapped for a symlink to a repository (not followed) and for
        // another directory holding a `.git` (found), right after a scan.
        let swapped: Vec<PathBuf> = [&ws, &tmp].iter().map(|a| a.join("swapped")).collect();
        let replaced: Vec<PathBuf> = [&ws, &tmp].iter().map(|a| a.join("replaced")).collect();
        for d in swapped.iter().chain(&replaced) {
            fs::create_dir(d).unwrap();
        }
        while swapped
            .iter()
            .chain(&replaced)
            .any(|d| coarse_clock().unwrap() <= changed(d))
        {
            std::thread::sleep(Duration::from_millis(2));
        }
        // The areas themselves change with each swap: list them as they are now.
        let before = scan(walk, &shallow);
        for d in swapped.iter().chain(&replaced) {
            if trusting {
                assert_eq!(cached(d), Some(true), "{d:?} not trusted");
            }
        }
        for (i, d) in swapped.iter().enumerate() {
            fs::rename(d, base.join(format!("gone{i}"))).unwrap();
            std::os::unix::fs::symlink(base.join("elsewhere"), d).unwrap();
        }
        for (i, d) in replaced.iter().enumerate() {
            let other = base.join(format!("other{i}"));
            fs::create_dir_all(other.join(".git")).unwrap();
            fs::rename(d, base.join(format!("old-replaced{i}"))).unwrap();
            fs::rename(&other, d).unwrap();
        }
        let after = scan(walk, &shallow);
        for d in &swapped {
            assert!(!after.entries.keys().any(|p| p.starts_with(d)), "{after:?}");
        }
        for d in &replaced {
            assert!(after.entries.contains_key(&d.join(".git")), "{after:?}");
        }
        assert_eq!(neutralise(&before, &after, &shallow).len(), 2);
        let _ = fs::remove_dir_all(&base);
    }
}
