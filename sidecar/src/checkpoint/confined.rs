//! The writes a restore makes in the workspace, each confined to it: every directory is opened one
//! component at a time from the root's handle with `O_NOFOLLOW | O_DIRECTORY` (no symbolic link is
//! ever followed, so swapping a directory for a link mid-restore makes that path fail instead of
//! writing elsewhere), no component may be a `.git` name, no directory opened may be a git directory,
//! and files land by `renameat` from a temporary made in the same directory handle.
use crate::fs_write::{cstr, cvt, is_git_name, open_at, stat_at};
use std::ffi::CString;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

static NONCE: AtomicU64 = AtomicU64::new(0);

fn is_kind(st: &libc::stat, k: libc::mode_t) -> bool {
    st.st_mode & libc::S_IFMT == k
}

pub fn refusal(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, msg.to_string())
}

pub struct Workspace {
    root: OwnedFd,
}

fn split(rel: &str) -> io::Result<(Vec<&str>, &str)> {
    let mut parts: Vec<&str> = rel.split('/').collect();
    if rel.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(refusal("not a normalised relative path"));
    }
    if parts.iter().any(|p| is_git_name(p)) {
        return Err(refusal(
            "it is inside a .git directory, which Tack never writes",
        ));
    }
    let name = parts.pop().expect("non-empty");
    Ok((parts, name))
}

impl Workspace {
    pub fn open(root: &Path) -> io::Result<Workspace> {
        let root = open_at(
            libc::AT_FDCWD,
            root.to_str()
                .ok_or_else(|| refusal("the workspace path is not UTF-8"))?,
            libc::O_RDONLY | libc::O_DIRECTORY,
            0,
        )?;
        Ok(Workspace { root })
    }

    /// Opens the directory `dirs` (components from the root), creating missing ones when `create`.
    fn open_dir(&self, dirs: &[&str], create: bool) -> io::Result<OwnedFd> {
        let mut cur = self.root.try_clone()?;
        for d in dirs {
            let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW;
            let next = match open_at(cur.as_raw_fd(), d, flags, 0) {
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) && create => {
                    let c = cstr(d)?;
                    match cvt(unsafe { libc::mkdirat(cur.as_raw_fd(), c.as_ptr(), 0o777) }) {
                        Ok(_) => {}
                        Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
                        Err(e) => return Err(e),
                    }
                    open_at(cur.as_raw_fd(), d, flags, 0)?
                }
                Err(e) if matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::ENOTDIR)) => {
                    return Err(refusal(&format!(
                        "{d} is a symbolic link or not a directory; a restore follows no links"
                    )))
                }
                other => other?,
            };
            cur = next;
            if self.is_git_dir(&cur) {
                return Err(refusal(
                    "a directory on the path is a git directory, which Tack never writes",
                ));
            }
        }
        Ok(cur)
    }

    fn is_git_dir(&self, dir: &OwnedFd) -> bool {
        let fd = dir.as_raw_fd();
        stat_at(fd, "HEAD").is_ok_and(|s| is_kind(&s, libc::S_IFREG))
            && stat_at(fd, "objects").is_ok_and(|s| is_kind(&s, libc::S_IFDIR))
            && stat_at(fd, "refs").is_ok_and(|s| is_kind(&s, libc::S_IFDIR))
    }

    /// Makes sure a directory exists (and is one).
    pub fn mkdir(&self, rel: &str) -> io::Result<()> {
        let (mut dirs, name) = split(rel)?;
        dirs.push(name);
        self.open_dir(&dirs, true).map(|_| ())
    }

    /// Removes a file or symbolic link (never following it); a missing one is fine.
    pub fn remove_file(&self, rel: &str) -> io::Result<()> {
        let (dirs, name) = split(rel)?;
        let dir = match self.open_dir(&dirs, false) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(()),
            other => other?,
        };
        let c = cstr(name)?;
        match cvt(unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) }) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// Removes a directory if it is empty; Ok(false) when it still holds something.
    pub fn remove_dir(&self, rel: &str) -> io::Result<bool> {
        let (dirs, name) = split(rel)?;
        let dir = match self.open_dir(&dirs, false) {
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return Ok(true),
            other => other?,
        };
        let c = cstr(name)?;
        match cvt(unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), libc::AT_REMOVEDIR) }) {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(true),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::ENOTEMPTY) | Some(libc::EEXIST) | Some(libc::ENOTDIR)
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    fn temp_name() -> String {
        format!(
            ".tack-restore-{}-{}",
            std::process::id(),
            NONCE.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Replaces whatever is at `rel` (file or link; a directory is an error) with `content`.
    pub fn write_file(&self, rel: &str, content: &mut dyn Read, mode: u32) -> io::Result<()> {
        let (dirs, name) = split(rel)?;
        let dir = self.open_dir(&dirs, true)?;
        if let Ok(st) = stat_at(dir.as_raw_fd(), name) {
            if is_kind(&st, libc::S_IFDIR) {
                return Err(refusal(
                    "a directory is in the way (it holds files the checkpoint does not record)",
                ));
            }
        }
        let tmp = Self::temp_name();
        let f = open_at(
            dir.as_raw_fd(),
            &tmp,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
            0o600,
        )?;
        let res = (|| {
            let mut file = std::fs::File::from(f);
            io::copy(content, &mut file)?;
            cvt(unsafe { libc::fchmod(file.as_raw_fd(), (mode & 0o7777) as libc::mode_t) })?;
            file.flush()?;
            file.sync_data()?;
            let (t, n) = (cstr(&tmp)?, cstr(name)?);
            cvt(unsafe { libc::renameat(dir.as_raw_fd(), t.as_ptr(), dir.as_raw_fd(), n.as_ptr()) })
                .map(|_| ())
        })();
        if res.is_err() {
            if let Ok(t) = cstr(&tmp) {
                unsafe { libc::unlinkat(dir.as_raw_fd(), t.as_ptr(), 0) };
            }
        }
        res
    }

    /// Replaces whatever is at `rel` with a symbolic link to `target` (which is never followed).
    pub fn write_symlink(&self, rel: &str, target: &[u8]) -> io::Result<()> {
        let (dirs, name) = split(rel)?;
        let dir = self.open_dir(&dirs, true)?;
        if let Ok(st) = stat_at(dir.as_raw_fd(), name) {
            if is_kind(&st, libc::S_IFDIR) {
                return Err(refusal(
                    "a directory is in the way (it holds files the checkpoint does not record)",
                ));
            }
        }
        let tmp = Self::temp_name();
        let t = CString::new(target).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        let tc = cstr(&tmp)?;
        cvt(unsafe { libc::symlinkat(t.as_ptr(), dir.as_raw_fd(), tc.as_ptr()) })?;
        let n = cstr(name)?;
        cvt(unsafe { libc::renameat(dir.as_raw_fd(), tc.as_ptr(), dir.as_raw_fd(), n.as_ptr()) })
            .map(|_| ())
            .inspect_err(|_| unsafe {
                libc::unlinkat(dir.as_raw_fd(), tc.as_ptr(), 0);
            })
    }

    /// Sets a regular file's permission bits (a link or anything else there is an error).
    pub fn chmod(&self, rel: &str, mode: u32) -> io::Result<()> {
        let (dirs, name) = split(rel)?;
        let dir = self.open_dir(&dirs, false)?;
        let f = open_at(
            dir.as_raw_fd(),
            name,
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK,
            0,
        )?;
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        cvt(unsafe { libc::fstat(f.as_raw_fd(), &mut st) })?;
        if !is_kind(&st, libc::S_IFREG) {
            return Err(refusal("it is no longer a regular file"));
        }
        cvt(unsafe { libc::fchmod(f.as_raw_fd(), (mode & 0o7777) as libc::mode_t) }).map(|_| ())
    }
}
