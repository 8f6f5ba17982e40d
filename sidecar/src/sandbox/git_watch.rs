//! Linux: inotify tells the git guard's cache (git_guard.rs) which remembered directory listings
//! may have changed, so a scan of an unchanged workspace needs no stat per directory.
//!
//! A watch is added on a directory (through `/proc/self/fd/N` of the directory opened without
//! following a link, so it lands on exactly the inode being read) before its listing is read; from
//! then on every entry created, removed or renamed in it, and its own removal, move or unmount,
//! queues an event before the syscall that did it returns. A scan first drains the queue (`begin`):
//! each event marks its directory's listing as no longer clean. A lost event (IN_Q_OVERFLOW, a read
//! error) drops every listing and every watch; a change of the mount table (which no inotify event
//! reports: a mount over a directory) makes that scan check every directory by stat.
//!
//! Watches count against a per-user limit that VS Code's own file watcher shares, and every VS Code
//! window has a sidecar of its own: the budget (a quarter of the limit at most) is divided among the
//! user's serving sidecars, counted in /proc by a thread every few seconds (`Peers`). A sidecar
//! holding more than its share when another one starts drops every watch (as after a lost event)
//! and takes its share again at the next scan.
use std::collections::HashMap;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// A watch descriptor.
pub(super) type Wd = i32;

/// Entry changes in the directory, and the directory itself going away or moving. IN_UNMOUNT,
/// IN_IGNORED and IN_Q_OVERFLOW come without asking. IN_ONLYDIR: never a watch on anything else.
/// Nothing about a child's contents or metadata: a listing keeps only names, types and the
/// identities of `.git` and `HEAD`, which change only with an entry change.
const MASK: u32 = libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF
    | libc::IN_ONLYDIR;

/// The most watches one sidecar takes (a workspace of 32k directories; beyond it the rest keep the
/// stat rule).
const MAX_WATCHES: usize = 32_768;

/// How often the user's sidecars are counted again (`Peers`).
const PEER_COUNT_INTERVAL: Duration = Duration::from_secs(5);

/// Test hook: a smaller budget for all the user's sidecars together (it can only lower it).
const LIMIT_ENV: &str = "TACK_SIDECAR_GIT_WATCH_LIMIT";

pub(super) struct Watcher {
    /// None when inotify or the mount table is not available: every directory keeps the stat rule.
    fds: Option<(OwnedFd, OwnedFd)>,
    /// Which path each live watch was added for (the cache's key).
    paths: HashMap<Wd, PathBuf>,
    /// The budget of all the user's sidecars together. Watches count against a per-user limit
    /// (/proc/sys/fs/inotify/max_user_watches) that VS Code's own file watcher and every other
    /// program of the user share, and each one pins an inode in kernel memory: a quarter of it.
    limit: usize,
    /// This sidecar's share of `limit` (divided among the serving sidecars counted last, at most
    /// `MAX_WATCHES`), as of the last drain.
    share: usize,
    /// An add failed in this scan (ENOSPC/ENOMEM, or any other error): none until the next one.
    full: bool,
    buf: Vec<u8>,
}

/// What a drain found.
pub(super) enum Drained {
    /// Every event was read; the mount table changed since the last drain when true; `quiet`:
    /// there was no event at all and the mount table is unchanged.
    Events { mounts_changed: bool, quiet: bool },
    /// Events were lost: nothing remembered may be trusted (the watches are gone too).
    Lost,
}

impl Watcher {
    pub(super) fn new() -> Self {
        let user_limit = std::fs::read_to_string("/proc/sys/fs/inotify/max_user_watches")
            .ok()
            .and_then(|s| s.trim().parse::<usize>().ok())
            .unwrap_or(8_192);
        let mut limit = user_limit / 4;
        if let Some(n) = std::env::var(LIMIT_ENV)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        {
            limit = limit.min(n);
        }
        let fds = open_fds();
        let mut w = Watcher {
            fds,
            paths: HashMap::new(),
            limit,
            share: 0,
            full: false,
            buf: Vec::new(),
        };
        if w.enabled() {
            w.share = w.share_now();
        }
        w
    }

    fn share_now(&self) -> usize {
        MAX_WATCHES.min(self.limit / Peers::count())
    }

    pub(super) fn enabled(&self) -> bool {
        self.fds.is_some() && self.limit > 0
    }

    /// Reads every queued event (non-blocking, until EAGAIN); `dirty(path, gone)` for each event's
    /// directory (`gone`: its watch no longer exists).
    pub(super) fn drain(&mut self, mut dirty: impl FnMut(&Path, Wd, bool)) -> Drained {
        self.full = false;
        let Some((ino, mounts)) = &self.fds else {
            return Drained::Events {
                mounts_changed: false,
                quiet: false,
            };
        };
        let (ino, mounts) = (ino.as_raw_fd(), mounts.as_raw_fd());
        if self.buf.len() < 64 * 1024 {
            self.buf.resize(64 * 1024, 0);
        }
        let mut lost = false;
        let mut any = false;
        loop {
            let n = unsafe { libc::read(ino, self.buf.as_mut_ptr().cast(), self.buf.len()) };
            if n < 0 {
                let e = std::io::Error::last_os_error().raw_os_error();
                if e == Some(libc::EINTR) {
                    continue;
                }
                lost |= e != Some(libc::EAGAIN);
                break;
            }
            if n == 0 {
                lost = true;
                break;
            }
            let n = n as usize;
            any = true;
            let mut at = 0usize;
            // struct inotify_event: wd i32, mask u32, cookie u32, len u32, name[len].
            while at + 16 <= n {
                let word = |i: usize| {
                    let b = &self.buf[at + i..at + i + 4];
                    u32::from_ne_bytes([b[0], b[1], b[2], b[3]])
                };
                let wd = word(0) as Wd;
                let mask = word(4);
                let len = word(12) as usize;
                at += 16 + len;
                if mask & libc::IN_Q_OVERFLOW != 0 {
                    lost = true;
                    continue;
                }
                let gone = mask & libc::IN_IGNORED != 0;
                let path = if gone {
                    self.paths.remove(&wd)
                } else {
                    self.paths.get(&wd).cloned()
                };
                // An unknown wd: one removed already (its IN_IGNORED, or events queued before).
                if let Some(p) = path {
                    dirty(&p, wd, gone);
                }
            }
            if at != n {
                lost = true;
                break;
            }
        }
        // Another sidecar of the user started: holding more than this one's share now, all of
        // them are dropped and the share taken again from the next walk on.
        self.share = self.share_now();
        if lost || self.paths.len() > self.share {
            self.reset();
            return Drained::Lost;
        }
        let mut p = libc::pollfd {
            fd: mounts,
            events: libc::POLLPRI,
            revents: 0,
        };
        let r = unsafe { libc::poll(&mut p, 1, 0) };
        let mounts_changed = r != 0 && (r < 0 || p.revents & (libc::POLLPRI | libc::POLLERR) != 0);
        Drained::Events {
            mounts_changed,
            quiet: !any && !mounts_changed,
        }
    }

    /// Adds (or finds) the watch of the directory open as `fd`, read next for `path`. Returns the
    /// watch and the path it was held for before when that was another one (the same inode seen
    /// under another name: that one no longer owns it).
    pub(super) fn add(
        &mut self,
        fd: std::os::fd::RawFd,
        path: &Path,
    ) -> Option<(Wd, Option<PathBuf>)> {
        let (ino, _) = self.fds.as_ref()?;
        if self.full || self.paths.len() >= self.share {
            return None;
        }
        let proc = std::ffi::CString::new(format!("/proc/self/fd/{fd}")).ok()?;
        // The magic link resolves to the open file itself, not to its path again.
        let wd = unsafe { libc::inotify_add_watch(ino.as_raw_fd(), proc.as_ptr(), MASK) };
        if wd < 0 {
            // ENOSPC/ENOMEM (the user's limit, kernel memory) or anything else (no /proc): no
            // more tries in this scan, the rest keep the stat rule.
            self.full = true;
            return None;
        }
        let prev = self.paths.insert(wd, path.to_path_buf());
        Some((wd, prev.filter(|p| p != path)))
    }

    /// Whether a watch may be added now (within the budget).
    pub(super) fn can_add(&self) -> bool {
        self.fds.is_some() && !self.full && self.paths.len() < self.share
    }

    /// Whether a directory of the temp dir's shallow scan may be watched: only while this sidecar
    /// holds under a quarter of its share, so that a temp dir that other programs fill with
    /// directories cannot leave the workspace's walk (which comes after it in every scan) without
    /// watches. Past that, the temp dir's directories keep the stat rule.
    pub(super) fn shallow_room(&self) -> bool {
        self.can_add() && self.paths.len() < self.share / 4
    }

    /// Removes the watch held for `path` (not when another path owns it now).
    pub(super) fn remove(&mut self, wd: Wd, path: &Path) {
        if self.paths.get(&wd).map(PathBuf::as_path) != Some(path) {
            return;
        }
        self.paths.remove(&wd);
        if let Some((ino, _)) = &self.fds {
            unsafe { libc::inotify_rm_watch(ino.as_raw_fd(), wd) };
        }
    }

    /// Every watch gone (a new inotify instance; closing the old one removes its watches at once).
    pub(super) fn reset(&mut self) {
        self.paths.clear();
        if self.fds.is_some() {
            self.fds = open_fds();
        }
    }
}

#[cfg(test)]
impl Watcher {
    /// How many watches are held for paths below `dir`.
    pub(super) fn watched_below(&self, dir: &Path) -> usize {
        self.paths.values().filter(|p| p.starts_with(dir)).count()
    }
}

/// How many sidecars of this user serve the protocol (this one included), as last counted. The
/// first call counts at once and starts a thread that counts again every `PEER_COUNT_INTERVAL`.
struct Peers;

impl Peers {
    fn count() -> usize {
        static COUNT: OnceLock<&'static AtomicUsize> = OnceLock::new();
        let n = COUNT.get_or_init(|| {
            let n: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(count_sidecars())));
            let _ = std::thread::Builder::new()
                .name("watch-peers".into())
                .spawn(move || loop {
                    std::thread::sleep(PEER_COUNT_INTERVAL);
                    n.store(count_sidecars(), Ordering::Relaxed);
                });
            n
        });
        n.load(Ordering::Relaxed).max(1)
    }
}

/// The processes of this user in /proc that are serving sidecars: named `tack-sidecar`, started
/// with no argument (not `sandbox ...`), and not a child of another one (a sandboxed command's
/// namespace init is a clone of the sidecar that does not exec: it carries the name of the thread
/// that made it, a runtime worker's, but would count if the main thread made one). Processes /proc
/// does not show (another PID namespace, hidepid) are not counted.
fn count_sidecars() -> usize {
    let me = unsafe { libc::getuid() };
    let Ok(proc) = std::fs::read_dir("/proc") else {
        return 1;
    };
    let name = |pid: &[u8]| -> Option<(Vec<u8>, Vec<u8>)> {
        // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
        let mut p = b"/proc/".to_vec();
        p.extend_from_slice(pid);
        p.extend_from_slice(b"/stat");
        let stat = std::fs::read(std::ffi::OsStr::from_bytes(&p)).ok()?;
        let open = stat.iter().position(|&b| b == b'(')?;
        let close = stat.iter().rposition(|&b| b == b')')?;
        let comm = stat.get(open + 1..close)?.to_vec();
        let ppid = stat
            .get(close + 2..)?
            .split(|&b| b == b' ')
            .nth(1)?
            .to_vec();
        Some((comm, ppid))
    };
    use std::os::unix::ffi::OsStrExt as _;
    use std::os::unix::fs::MetadataExt as _;
    let mut n = 0;
    for entry in proc.flatten() {
        let pid = entry.file_name();
        let pid = pid.as_bytes();
        if pid.is_empty() || !pid.iter().all(u8::is_ascii_digit) {
            continue;
        }
        if entry.metadata().map_or(true, |m| m.uid() != me) {
            continue;
        }
        let Some((comm, ppid)) = name(pid) else {
            continue;
        };
        if comm != b"tack-sidecar" {
            continue;
        }
        let mut p = b"/proc/".to_vec();
        p.extend_from_slice(pid);
        p.extend_from_slice(b"/cmdline");
        let serving = std::fs::read(std::ffi::OsStr::from_bytes(&p))
            .is_ok_and(|c| c.iter().filter(|&&b| b == 0).count() == 1);
        let forked = name(&ppid).is_some_and(|(parent, _)| parent == b"tack-sidecar");
        if serving && !forked {
            n += 1;
        }
    }
    n.max(1)
}

fn open_fds() -> Option<(OwnedFd, OwnedFd)> {
    let ino = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
    if ino < 0 {
        return None;
    }
    // SAFETY: just created for us.
    let ino = unsafe { OwnedFd::from_raw_fd(ino) };
    let path = c"/proc/self/mountinfo";
    let m = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if m < 0 {
        return None;
    }
    // SAFETY: just opened for us. A poll reports POLLPRI|POLLERR once per change of this mount
    // namespace's table after the open (the kernel compares the table's event count with the one
    // it last reported on this file).
    let mounts = unsafe { OwnedFd::from_raw_fd(m) };
    Some((ino, mounts))
}
