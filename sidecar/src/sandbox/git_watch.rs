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
use std::collections::HashMap;
use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
use std::path::{Path, PathBuf};

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

/// The most watches the sidecar takes. Watches count against a per-user limit
/// (/proc/sys/fs/inotify/max_user_watches) that VS Code's own file watcher and every other
/// program of the user share, and each one pins an inode in kernel memory: at most a quarter of
/// that limit, and never more than this (a workspace of 32k directories; beyond it the rest keep
/// the stat rule).
const MAX_WATCHES: usize = 32_768;

/// Test hook: a smaller budget (it can only lower the one above).
const LIMIT_ENV: &str = "TACK_SIDECAR_GIT_WATCH_LIMIT";

pub(super) struct Watcher {
    /// None when inotify or the mount table is not available: every directory keeps the stat rule.
    fds: Option<(OwnedFd, OwnedFd)>,
    /// Which path each live watch was added for (the cache's key).
    paths: HashMap<Wd, PathBuf>,
    limit: usize,
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
        let mut limit = MAX_WATCHES.min(user_limit / 4);
        if let Some(n) = std::env::var(LIMIT_ENV)
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        {
            limit = limit.min(n);
        }
        Watcher {
            fds: open_fds(),
            paths: HashMap::new(),
            limit,
            full: false,
            buf: Vec::new(),
        }
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
        if lost {
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
        if self.full || self.paths.len() >= self.limit {
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
        self.fds.is_some() && !self.full && self.paths.len() < self.limit
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
