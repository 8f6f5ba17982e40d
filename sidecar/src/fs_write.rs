//! The writes the host makes on the model's behalf (apply_patch), under the sandbox's rules and
//! without path races. Node has no `openat`, so the host hands the whole change set here.
//!
//! Every parent directory is opened relative to a writable root's directory handle: with `openat2`
//! and `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS` on Linux (a symbolic link may be followed only while
//! it stays beneath the root), or else component by component with `O_NOFOLLOW` (no symbolic links
//! followed at all). The directory actually opened is then checked, by its real path, for `.git`
//! components and for being (or sitting inside) a git directory. Each new file is written to a
//! temporary file inside that same directory handle, fsynced, and renamed into place with
//! `renameat` on the handle; files being replaced or removed are first renamed aside so a failure
//! puts everything back. Every temporary is removed on every failure, disk full included.
use crate::exec::RpcError;
use crate::protocol::{
    codes, FsApplyChangesParams, FsApplyChangesResult, FsChange, FsCheckWriteParams, SandboxMode,
    WritePolicy,
};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
#[cfg(target_os = "linux")]
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// More changes than this in one request is refused (a patch that size is not an edit).
pub const MAX_CHANGES: usize = 10_000;
const MAX_PATH_BYTES: usize = 4096;
const MAX_ROOTS: usize = 64;

fn refused(reason: &'static str, message: String) -> RpcError {
    RpcError::with_reason(
        codes::WRITE_REFUSED,
        reason,
        format!("nothing was written: {message}"),
    )
}

fn failed(message: String) -> RpcError {
    RpcError::with_reason(
        codes::WRITE_FAILED,
        "io",
        format!("nothing was changed: {message}"),
    )
}

fn invalid(message: String) -> RpcError {
    RpcError::new(codes::INVALID_PARAMS, message)
}

// ---------------------------------------------------------------------------------------------
// Names

pub use crate::names::is_git_name;

/// Checks one relative path from the request: non-empty, relative, normalised, no NUL.
fn check_rel(path: &str) -> Result<(), RpcError> {
    let bad = |why: &str| refused("bad-path", format!("{path:?}: {why}"));
    if path.is_empty() {
        return Err(bad("the path is empty"));
    }
    if path.len() > MAX_PATH_BYTES {
        return Err(bad("the path is too long"));
    }
    if path.contains('\0') {
        return Err(bad("the path contains a NUL character"));
    }
    if path.starts_with('/') {
        return Err(bad(
            "absolute paths are not allowed; paths are relative to the workspace root",
        ));
    }
    for part in path.split('/') {
        match part {
            "" | "." => return Err(bad("the path is not normalised (empty or '.' component)")),
            ".." => return Err(bad("'..' is not allowed in a path")),
            _ => {}
        }
    }
    Ok(())
}

fn git_refusal(display: &str) -> RpcError {
    refused(
        "git-dir",
        format!(
            "{display}: writing inside a git directory is not allowed (git runs hooks and configuration from there). Ask the user to make this change themselves"
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Thin wrappers over the *at calls (the checkpoint restore's confined writes use them too)

pub(crate) fn cstr(name: &str) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

pub(crate) fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

pub(crate) fn open_at(
    dir: RawFd,
    name: &str,
    flags: libc::c_int,
    mode: libc::c_uint,
) -> io::Result<OwnedFd> {
    let c = cstr(name)?;
    let fd = cvt(unsafe { libc::openat(dir, c.as_ptr(), flags | libc::O_CLOEXEC, mode) })?;
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub(crate) fn stat_at(dir: RawFd, name: &str) -> io::Result<libc::stat> {
    let c = cstr(name)?;
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    cvt(unsafe { libc::fstatat(dir, c.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) })?;
    Ok(st)
}

fn kind(st: &libc::stat) -> libc::mode_t {
    st.st_mode & libc::S_IFMT
}

fn mkdir_at(dir: RawFd, name: &str) -> io::Result<()> {
    let c = cstr(name)?;
    cvt(unsafe { libc::mkdirat(dir, c.as_ptr(), 0o777) }).map(|_| ())
}

fn rename_at(dir: RawFd, from: &str, to: &str) -> io::Result<()> {
    let (f, t) = (cstr(from)?, cstr(to)?);
    cvt(unsafe { libc::renameat(dir, f.as_ptr(), dir, t.as_ptr()) }).map(|_| ())
}

fn unlink_at(dir: RawFd, name: &str, flags: libc::c_int) -> io::Result<()> {
    let c = cstr(name)?;
    cvt(unsafe { libc::unlinkat(dir, c.as_ptr(), flags) }).map(|_| ())
}

fn dup(fd: &OwnedFd) -> io::Result<OwnedFd> {
    fd.try_clone()
}

/// `struct open_how` of linux/openat2.h (libc's is non-exhaustive).
#[cfg(target_os = "linux")]
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// Whether `openat2` is used (Linux 5.6+); `TACK_SIDECAR_NO_OPENAT2=1` forces the portable walk.
fn have_openat2() -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::sync::OnceLock;
        static HAVE: OnceLock<bool> = OnceLock::new();
        *HAVE.get_or_init(|| {
            if std::env::var_os("TACK_SIDECAR_NO_OPENAT2").is_some_and(|v| v == "1") {
                return false;
            }
            let how = OpenHow {
                flags: (libc::O_PATH | libc::O_CLOEXEC) as u64,
                mode: 0,
                resolve: libc::RESOLVE_BENEATH,
            };
            let c = CString::new(".").expect("no NUL");
            let r = unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    libc::AT_FDCWD,
                    c.as_ptr(),
                    &how as *const OpenHow,
                    std::mem::size_of::<OpenHow>(),
                )
            };
            if r >= 0 {
                unsafe { libc::close(r as libc::c_int) };
                true
            } else {
                false
            }
        })
    }
    #[cfg(not(target_os = "linux"))]
    false
}

#[cfg(target_os = "linux")]
fn openat2_beneath(root: RawFd, rel: &str, flags: libc::c_int) -> io::Result<OwnedFd> {
    let c = cstr(rel)?;
    let how = OpenHow {
        flags: (flags | libc::O_CLOEXEC) as u64,
        mode: 0,
        resolve: libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS,
    };
    for _ in 0..16 {
        let r = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                root,
                c.as_ptr(),
                &how as *const OpenHow,
                std::mem::size_of::<OpenHow>(),
            )
        };
        if r >= 0 {
            return Ok(unsafe { OwnedFd::from_raw_fd(r as RawFd) });
        }
        let e = io::Error::last_os_error();
        // EAGAIN: a concurrent rename disturbed the lookup; the kernel asks to retry.
        if e.raw_os_error() != Some(libc::EAGAIN) {
            return Err(e);
        }
    }
    Err(io::Error::from_raw_os_error(libc::EAGAIN))
}

/// The path the kernel has for an open directory (Linux: /proc/self/fd).
#[cfg(target_os = "linux")]
fn fd_path(fd: &OwnedFd) -> io::Result<PathBuf> {
    let p = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd()))?;
    if p.as_os_str().as_bytes().ends_with(b" (deleted)") || !p.is_absolute() {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    Ok(p)
}

// ---------------------------------------------------------------------------------------------
// Resolution

struct Root {
    fd: OwnedFd,
    /// The root's real path (what the kernel reports for its handle).
    real: PathBuf,
}

/// Where one path resolved to: the deepest existing directory (opened), the directories still
/// missing below it, and the final name.
struct Resolved {
    root: usize,
    /// Components from the root to `dir`, real (after any symlink the kernel followed).
    dir_rel: Vec<String>,
    dir: OwnedFd,
    missing: Vec<String>,
    name: String,
    /// The path as the request named it.
    display: String,
}

impl Resolved {
    fn key(&self) -> (usize, Vec<String>, String) {
        let mut dirs = self.dir_rel.clone();
        dirs.extend(self.missing.iter().cloned());
        (self.root, dirs, self.name.clone())
    }
    fn real_rel(&self) -> Vec<String> {
        let mut all = self.dir_rel.clone();
        all.extend(self.missing.iter().cloned());
        all.push(self.name.clone());
        all
    }
}

struct Roots {
    cwd_real: PathBuf,
    roots: Vec<Root>,
    beneath: bool,
    /// Tack's own directory (real path), never written for the model even inside a root.
    tack_home: Option<PathBuf>,
}

fn components(p: &Path) -> Vec<String> {
    p.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

/// Whether `path` is `dir` or beneath it, both real paths. On macOS names compare case-blind, as
/// its usual file systems do (`.TACK` would create or open `.tack`).
fn is_within(path: &Path, dir: &Path) -> bool {
    if cfg!(target_os = "macos") {
        let fold = |p: &Path| -> Vec<String> {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().to_lowercase())
                .collect()
        };
        fold(path).starts_with(&fold(dir))
    } else {
        path.starts_with(dir)
    }
}

fn real_dir_path(fd: &OwnedFd, lexical: &Path) -> io::Result<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        let _ = lexical;
        fd_path(fd)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = fd;
        std::fs::canonicalize(lexical)
    }
}

impl Roots {
    fn open(cwd: &str, policy: &WritePolicy) -> Result<Roots, RpcError> {
        if !Path::new(cwd).is_absolute() {
            return Err(invalid(format!(
                "cwd must be an absolute path, not {cwd:?}"
            )));
        }
        if policy.writable_roots.len() > MAX_ROOTS {
            return Err(invalid(format!(
                "at most {MAX_ROOTS} writable roots, got {}",
                policy.writable_roots.len()
            )));
        }
        let open_dir = |p: &str| -> Result<(OwnedFd, PathBuf), RpcError> {
            if !Path::new(p).is_absolute() {
                return Err(invalid(format!(
                    "writable roots must be absolute paths, not {p:?}"
                )));
            }
            let fd = open_at(libc::AT_FDCWD, p, libc::O_RDONLY | libc::O_DIRECTORY, 0)
                .map_err(|e| failed(format!("cannot open the directory {p}: {e}")))?;
            let real = real_dir_path(&fd, Path::new(p))
                .map_err(|e| failed(format!("cannot tell where {p} is: {e}")))?;
            Ok((fd, real))
        };
        let (_, cwd_real) = open_dir(cwd)?;
        let mut roots = Vec::new();
        for r in &policy.writable_roots {
            let (fd, real) = open_dir(r)?;
            roots.push(Root { fd, real });
        }
        Ok(Roots {
            cwd_real,
            roots,
            beneath: have_openat2(),
            tack_home: crate::sandbox::tack_home_real(),
        })
    }

    fn describe_roots(&self) -> String {
        if self.roots.is_empty() {
            return "there are none".into();
        }
        self.roots
            .iter()
            .map(|r| r.real.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Opens `rel` (a directory, relative to root `i`) race-free; ENOENT when it does not exist.
    fn open_dir_beneath(&self, i: usize, rel: &[String]) -> io::Result<OwnedFd> {
        let root = &self.roots[i];
        if rel.is_empty() {
            return dup(&root.fd);
        }
        #[cfg(target_os = "linux")]
        if self.beneath {
            return openat2_beneath(
                root.fd.as_raw_fd(),
                &rel.join("/"),
                libc::O_RDONLY | libc::O_DIRECTORY,
            );
        }
        let mut cur = dup(&root.fd)?;
        for c in rel {
            cur = open_at(
                cur.as_raw_fd(),
                c,
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                0,
            )?;
        }
        Ok(cur)
    }

    /// The components (from root `i`) of the directory `fd` really is.
    fn real_components(
        &self,
        i: usize,
        fd: &OwnedFd,
        lexical: &[String],
    ) -> Result<Vec<String>, String> {
        let root = &self.roots[i];
        if !self.beneath {
            // Without openat2 no symbolic link was followed: the real path is the lexical one.
            return Ok(lexical.to_vec());
        }
        let real = real_dir_path(fd, &root.real.join(lexical.join("/")))
            .map_err(|e| format!("cannot tell where the directory is: {e}"))?;
        let rest = real
            .strip_prefix(&root.real)
            .map_err(|_| "the directory is not beneath its writable root".to_string())?;
        Ok(components(rest))
    }

    fn resolve(&self, display: &str, follow_final: bool) -> Result<Resolved, RpcError> {
        check_rel(display)?;
        if display.split('/').any(is_git_name) {
            return Err(git_refusal(display));
        }
        let abs = self.cwd_real.join(display);
        let (i, root) = self
            .roots
            .iter()
            .enumerate()
            .filter(|(_, r)| abs.starts_with(&r.real))
            .max_by_key(|(_, r)| r.real.as_os_str().len())
            .ok_or_else(|| {
                refused(
                    "outside-roots",
                    format!(
                        "{display}: it is outside the writable roots ({})",
                        self.describe_roots()
                    ),
                )
            })?;
        let mut rel = components(abs.strip_prefix(&root.real).expect("checked prefix"));
        let Some(name) = rel.pop() else {
            return Err(refused(
                "bad-path",
                format!("{display}: names a writable root itself, not a file"),
            ));
        };
        let mut r = self.resolve_in(i, display, rel, name)?;
        if follow_final {
            if let Ok(st) = stat_at(r.dir.as_raw_fd(), &r.name) {
                if kind(&st) == libc::S_IFLNK && r.missing.is_empty() {
                    r = self.follow_link(r)?;
                }
            }
        }
        if let Some(home) = &self.tack_home {
            // The real path (no link is followed past this point): a write inside Tack's own
            // directory would be a file that later runs, or is trusted, outside the sandbox.
            if is_within(&self.roots[r.root].real.join(r.real_rel().join("/")), home) {
                return Err(refused(
                    "tack-home",
                    format!(
                        "{display}: it is inside Tack's own directory ({}), which holds Tack's configuration and state; Tack does not write there for the model. Ask the user to make this change themselves",
                        home.display()
                    ),
                ));
            }
        }
        Ok(r)
    }

    fn resolve_in(
        &self,
        i: usize,
        display: &str,
        rel: Vec<String>,
        name: String,
    ) -> Result<Resolved, RpcError> {
        // The deepest existing directory of `rel`.
        let mut depth = rel.len();
        let dir = loop {
            match self.open_dir_beneath(i, &rel[..depth]) {
                Ok(fd) => break fd,
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) && depth > 0 => depth -= 1,
                Err(e) => return Err(open_error(display, &rel[..depth], e, self.beneath)),
            }
        };
        let dir_rel = self
            .real_components(i, &dir, &rel[..depth])
            .map_err(|m| failed(format!("{display}: {m}")))?;
        let missing = rel[depth..].to_vec();
        let r = Resolved {
            root: i,
            dir_rel,
            dir,
            missing,
            name,
            display: display.to_string(),
        };
        if r.real_rel().iter().any(|c| is_git_name(c)) {
            return Err(git_refusal(display));
        }
        Ok(r)
    }

    /// A final component that is a symbolic link: writes go to the file it leads to, which must be
    /// an existing regular file beneath the same root.
    fn follow_link(&self, r: Resolved) -> Result<Resolved, RpcError> {
        let display = r.display.clone();
        if !self.beneath {
            return Err(refused(
                "symlink",
                format!("{display}: it is a symbolic link, and this system cannot follow one safely (no openat2); edit the file it points to instead"),
            ));
        }
        #[cfg(target_os = "linux")]
        {
            let mut rel = r.dir_rel.clone();
            rel.push(r.name.clone());
            let fd = openat2_beneath(self.roots[r.root].fd.as_raw_fd(), &rel.join("/"), libc::O_PATH)
                .map_err(|e| match e.raw_os_error() {
                    Some(libc::ENOENT) => refused("symlink", format!("{display}: it is a symbolic link to a file that does not exist; Tack does not create files through symbolic links")),
                    _ => open_error(&display, &rel, e, true),
                })?;
            let real = fd_path(&fd)
                .map_err(|e| failed(format!("{display}: cannot tell where the link leads: {e}")))?;
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            cvt(unsafe { libc::fstat(fd.as_raw_fd(), &mut st) })
                .map_err(|e| failed(format!("{display}: {e}")))?;
            if kind(&st) != libc::S_IFREG {
                return Err(refused(
                    "not-a-file",
                    format!(
                        "{display}: it is a symbolic link to something that is not a regular file"
                    ),
                ));
            }
            let root = &self.roots[r.root];
            let rest = real.strip_prefix(&root.real).map_err(|_| {
                refused(
                    "symlink-escape",
                    format!("{display}: it is a symbolic link leading outside the writable root"),
                )
            })?;
            let mut comps = components(rest);
            let name = comps.pop().ok_or_else(|| {
                refused(
                    "bad-path",
                    format!("{display}: the link leads to the root itself"),
                )
            })?;
            let again = self.resolve_in(r.root, &display, comps, name)?;
            if !again.missing.is_empty()
                || stat_at(again.dir.as_raw_fd(), &again.name)
                    .map(|s| kind(&s))
                    .ok()
                    != Some(libc::S_IFREG)
            {
                return Err(failed(format!(
                    "{display}: the file changed while it was being resolved"
                )));
            }
            Ok(again)
        }
        #[cfg(not(target_os = "linux"))]
        unreachable!("beneath is only true on Linux")
    }

    /// Whether a directory (components from root `i`) is a git directory, on disk or once `adding`
    /// (every path this request creates, as real components) has landed.
    fn is_git_dir(&self, i: usize, dir: &[String], adding: &[Vec<String>]) -> bool {
        let fd = self.open_dir_beneath(i, dir).ok();
        let on_disk = |name: &str, want: libc::mode_t| -> bool {
            fd.as_ref()
                .and_then(|fd| stat_at(fd.as_raw_fd(), name).ok())
                .is_some_and(|st| {
                    kind(&st) == want || (want == libc::S_IFREG && kind(&st) == libc::S_IFLNK)
                })
        };
        let added = |name: &str, as_dir: bool| -> bool {
            adding.iter().any(|p| {
                p.len() > dir.len()
                    && p[..dir.len()] == *dir
                    && p[dir.len()] == name
                    && (p.len() > dir.len() + 1) == as_dir
            })
        };
        // As git recognises one: HEAD, and objects/ + refs/ or a `commondir` file naming them elsewhere.
        (on_disk("HEAD", libc::S_IFREG) || added("HEAD", false))
            && ((on_disk("objects", libc::S_IFDIR) || added("objects", true))
                && (on_disk("refs", libc::S_IFDIR) || added("refs", true))
                || on_disk("commondir", libc::S_IFREG)
                || added("commondir", false))
    }

    /// Refuses any target inside a git directory of any name (the target of a `gitdir:` file, a bare
    /// repository), including one this request would complete.
    fn check_git_dirs(
        &self,
        targets: &[&Resolved],
        adding: &[(usize, Vec<String>)],
    ) -> Result<(), RpcError> {
        let mut seen = std::collections::HashSet::new();
        for t in targets {
            let adding_here: Vec<Vec<String>> = adding
                .iter()
                .filter(|(r, _)| *r == t.root)
                .map(|(_, p)| p.clone())
                .collect();
            let all = t.real_rel();
            for depth in 0..all.len() {
                let dir = &all[..depth];
                if !seen.insert((t.root, dir.to_vec())) {
                    continue;
                }
                if self.is_git_dir(t.root, dir, &adding_here) {
                    return Err(git_refusal(&t.display));
                }
            }
        }
        Ok(())
    }
}

fn open_error(display: &str, rel: &[String], e: io::Error, beneath: bool) -> RpcError {
    let at = if rel.is_empty() {
        String::from("the root")
    } else {
        rel.join("/")
    };
    match e.raw_os_error() {
        Some(libc::EXDEV) => refused(
            "symlink-escape",
            format!("{display}: a symbolic link in the path ({at}) leads outside the writable root"),
        ),
        Some(libc::ELOOP) if beneath => refused(
            "symlink-escape",
            format!("{display}: the path ({at}) has a symbolic link loop or a magic link"),
        ),
        Some(libc::ELOOP) | Some(libc::ENOTDIR) if !beneath => refused(
            "symlink",
            format!("{display}: {at} is a symbolic link or not a directory (without openat2 Tack follows no symbolic links in paths it writes)"),
        ),
        Some(libc::ENOTDIR) => refused(
            "not-a-directory",
            format!("{display}: a parent of the path ({at}) is not a directory"),
        ),
        _ => failed(format!("{display}: cannot open {at}: {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// The two methods

fn policy_gate(policy: &WritePolicy, first: Option<&str>) -> Result<(), RpcError> {
    if policy.mode == SandboxMode::ReadOnly {
        let what = first.map(|p| format!(" ({p})")).unwrap_or_default();
        return Err(refused(
            "read-only",
            format!("the sandbox is read-only, so no file may be written or removed{what}. Ask the user to change the sandbox mode or make the change themselves"),
        ));
    }
    Ok(())
}

/// `fs/checkWrite`: would these writes and removals be allowed right now? Writes nothing.
pub fn check_write(p: &FsCheckWriteParams) -> Result<(), RpcError> {
    let deletes = p.deletes.clone().unwrap_or_default();
    if p.writes.len() + deletes.len() > MAX_CHANGES {
        return Err(invalid(format!("at most {MAX_CHANGES} paths per request")));
    }
    for path in p.writes.iter().chain(&deletes) {
        check_rel(path)?;
    }
    policy_gate(
        &p.policy,
        p.writes.first().or(deletes.first()).map(String::as_str),
    )?;
    let roots = Roots::open(&p.cwd, &p.policy)?;
    let mut targets = Vec::new();
    for w in &p.writes {
        targets.push(roots.resolve(w, true)?);
    }
    for d in &deletes {
        targets.push(roots.resolve(d, false)?);
    }
    let adding: Vec<(usize, Vec<String>)> = targets[..p.writes.len()]
        .iter()
        .map(|t| (t.root, t.real_rel()))
        .collect();
    roots.check_git_dirs(&targets.iter().collect::<Vec<_>>(), &adding)
}

enum Op {
    Write { contents: String },
    Remove,
}

struct Step {
    at: Resolved,
    op: Op,
    /// Existing file's permission bits (kept on replace).
    mode: Option<libc::mode_t>,
    /// The directory the file lands in, once its missing parents exist.
    dir: Option<OwnedFd>,
    temp: Option<String>,
}

static NONCE: AtomicU64 = AtomicU64::new(0);

fn side_name(tag: &str) -> String {
    let n = NONCE.fetch_add(1, Ordering::Relaxed);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(".tack-{tag}-{}-{n}-{t:x}", std::process::id())
}

/// Undo log entries, applied in reverse on failure.
enum Undo {
    /// A directory we created: (its parent, its name).
    Mkdir(OwnedFd, String),
    /// A file moved aside: put it back.
    Aside {
        dir: OwnedFd,
        backup: String,
        name: String,
    },
    /// A file we renamed into place: remove it.
    Placed { dir: OwnedFd, name: String },
}

fn write_temp(dir: &OwnedFd, contents: &[u8], mode: Option<libc::mode_t>) -> io::Result<String> {
    let name = side_name("new");
    let fd = open_at(
        dir.as_raw_fd(),
        &name,
        libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
        0o666,
    )?;
    let result = (|| -> io::Result<()> {
        let mut file = std::fs::File::from(fd);
        use std::io::Write;
        file.write_all(contents)?;
        if let Some(m) = mode {
            cvt(unsafe { libc::fchmod(file.as_raw_fd(), m & 0o7777) })?;
        }
        file.sync_all()?;
        Ok(())
    })();
    match result {
        Ok(()) => Ok(name),
        Err(e) => {
            let _ = unlink_at(dir.as_raw_fd(), &name, 0);
            Err(e)
        }
    }
}

/// Puts everything back; returns what could not be undone.
fn roll_back(undo: Vec<Undo>, temps: &[(RawFd, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for (dir, t) in temps {
        let _ = unlink_at(*dir, t, 0);
    }
    for u in undo.into_iter().rev() {
        let r = match &u {
            Undo::Placed { dir, name } => unlink_at(dir.as_raw_fd(), name, 0),
            Undo::Aside { dir, backup, name } => rename_at(dir.as_raw_fd(), backup, name),
            Undo::Mkdir(parent, name) => unlink_at(parent.as_raw_fd(), name, libc::AT_REMOVEDIR),
        };
        if let Err(e) = r {
            let what = match &u {
                Undo::Placed { name, .. } => format!("removing {name}"),
                Undo::Aside { name, .. } => format!("restoring {name}"),
                Undo::Mkdir(_, name) => format!("removing the new directory {name}"),
            };
            problems.push(format!("{what}: {e}"));
        }
    }
    problems
}

/// `fs/applyChanges`: every change lands, or none does.
pub fn apply_changes(p: &FsApplyChangesParams) -> Result<FsApplyChangesResult, RpcError> {
    if p.changes.len() > MAX_CHANGES {
        return Err(invalid(format!(
            "at most {MAX_CHANGES} changes per request, got {}",
            p.changes.len()
        )));
    }
    // Validate every path before anything else, so the error names the first bad one.
    let mut plan: Vec<(String, Option<String>)> = Vec::new(); // (path, Some(contents) = write)
    for c in &p.changes {
        match c {
            FsChange::Write { path, contents } => plan.push((path.clone(), Some(contents.clone()))),
            FsChange::Delete { path } => plan.push((path.clone(), None)),
            FsChange::Move { from, to, contents } => {
                plan.push((to.clone(), Some(contents.clone())));
                if from != to {
                    plan.push((from.clone(), None));
                }
            }
        }
    }
    for (path, _) in &plan {
        check_rel(path)?;
    }
    policy_gate(&p.policy, plan.first().map(|(p, _)| p.as_str()))?;
    let roots = Roots::open(&p.cwd, &p.policy)?;

    // 1. Resolve and check everything; nothing is touched yet.
    let mut steps: Vec<Step> = Vec::new();
    let mut keys = std::collections::HashMap::new();
    for (path, contents) in plan {
        let is_write = contents.is_some();
        let at = roots.resolve(&path, is_write)?;
        if let Some(earlier) = keys.insert(at.key(), path.clone()) {
            return Err(refused(
                "changed-twice",
                format!("{path}: changed twice in one patch (also as {earlier})"),
            ));
        }
        let st = if at.missing.is_empty() {
            match stat_at(at.dir.as_raw_fd(), &at.name) {
                Ok(st) => Some(st),
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => None,
                Err(e) => return Err(failed(format!("{path}: {e}"))),
            }
        } else {
            None
        };
        if let Some(st) = &st {
            match kind(st) {
                libc::S_IFDIR => {
                    let verb = if is_write { "write" } else { "delete" };
                    return Err(refused(
                        "directory",
                        format!("cannot {verb} {path}: it is a directory"),
                    ));
                }
                libc::S_IFREG => {}
                libc::S_IFLNK if !is_write => {}
                _ => {
                    return Err(refused(
                        "not-a-file",
                        format!("{path}: it is not a regular file"),
                    ))
                }
            }
        } else if !is_write {
            return Err(refused(
                "missing",
                format!("cannot delete {path}: it does not exist"),
            ));
        }
        let mode = st
            .as_ref()
            .filter(|s| kind(s) == libc::S_IFREG)
            .map(|s| s.st_mode);
        steps.push(Step {
            at,
            op: match contents {
                Some(c) => Op::Write { contents: c },
                None => Op::Remove,
            },
            mode,
            dir: None,
            temp: None,
        });
    }
    let adding: Vec<(usize, Vec<String>)> = steps
        .iter()
        .filter(|s| matches!(s.op, Op::Write { .. }))
        .map(|s| (s.at.root, s.at.real_rel()))
        .collect();
    roots.check_git_dirs(&steps.iter().map(|s| &s.at).collect::<Vec<_>>(), &adding)?;

    // 2. Missing directories and temporaries.
    let mut undo: Vec<Undo> = Vec::new();
    let mut temps: Vec<(RawFd, String)> = Vec::new();
    let prepared = (|| -> Result<(), String> {
        for s in steps.iter_mut() {
            let mut dir = dup(&s.at.dir).map_err(|e| format!("{}: {e}", s.at.display))?;
            for comp in &s.at.missing {
                match mkdir_at(dir.as_raw_fd(), comp) {
                    Ok(()) => {
                        let parent = dup(&dir).map_err(|e| e.to_string())?;
                        undo.push(Undo::Mkdir(parent, comp.clone()));
                    }
                    Err(e) if e.raw_os_error() == Some(libc::EEXIST) => {}
                    Err(e) => {
                        return Err(format!(
                            "{}: creating the directory {comp}: {e}",
                            s.at.display
                        ))
                    }
                }
                dir = open_at(
                    dir.as_raw_fd(),
                    comp,
                    libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                    0,
                )
                .map_err(|e| format!("{}: opening the new directory {comp}: {e}", s.at.display))?;
            }
            if let Op::Write { contents } = &s.op {
                let t = write_temp(&dir, contents.as_bytes(), s.mode)
                    .map_err(|e| format!("writing {}: {e}", s.at.display))?;
                temps.push((dir.as_raw_fd(), t.clone()));
                s.temp = Some(t);
            }
            s.dir = Some(dir);
        }
        Ok(())
    })();
    if let Err(m) = prepared {
        let problems = roll_back(undo, &temps);
        return Err(failed(with_problems(m, &problems)));
    }

    // 3. Commit: renames only, each one recorded so it can be undone.
    let mut backups: Vec<(RawFd, String)> = Vec::new();
    let committed = (|| -> Result<(), String> {
        for s in steps.iter() {
            let dir = s.dir.as_ref().expect("prepared");
            let now = match stat_at(dir.as_raw_fd(), &s.at.name) {
                Ok(st) => Some(kind(&st)),
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => None,
                Err(e) => return Err(format!("{}: {e}", s.at.display)),
            };
            match (&s.op, now) {
                (_, Some(libc::S_IFDIR)) => {
                    return Err(format!(
                        "{}: a directory appeared at this path",
                        s.at.display
                    ))
                }
                (Op::Remove, None) => {
                    return Err(format!(
                        "{}: the file disappeared while the patch was applied",
                        s.at.display
                    ))
                }
                _ => {}
            }
            if now.is_some() {
                let backup = side_name("old");
                rename_at(dir.as_raw_fd(), &s.at.name, &backup)
                    .map_err(|e| format!("{}: moving the old file aside: {e}", s.at.display))?;
                backups.push((dir.as_raw_fd(), backup.clone()));
                undo.push(Undo::Aside {
                    dir: dup(dir).map_err(|e| e.to_string())?,
                    backup,
                    name: s.at.name.clone(),
                });
            }
            if let Some(t) = &s.temp {
                rename_at(dir.as_raw_fd(), t, &s.at.name)
                    .map_err(|e| format!("{}: renaming into place: {e}", s.at.display))?;
                undo.push(Undo::Placed {
                    dir: dup(dir).map_err(|e| e.to_string())?,
                    name: s.at.name.clone(),
                });
            }
        }
        Ok(())
    })();
    if let Err(m) = committed {
        let problems = roll_back(undo, &temps);
        return Err(failed(with_problems(m, &problems)));
    }
    // Every change landed; a backup that cannot be removed stays rather than failing what happened.
    for (dir, b) in &backups {
        let _ = unlink_at(*dir, b, 0);
    }
    for s in &steps {
        if let Some(d) = &s.dir {
            let _ = unsafe { libc::fsync(d.as_raw_fd()) };
        }
    }
    let mut result = FsApplyChangesResult {
        written: Vec::new(),
        deleted: Vec::new(),
    };
    for s in steps {
        match s.op {
            Op::Write { .. } => result.written.push(s.at.display),
            Op::Remove => result.deleted.push(s.at.display),
        }
    }
    Ok(result)
}

fn with_problems(m: String, problems: &[String]) -> String {
    if problems.is_empty() {
        m
    } else {
        format!("{m}; restoring also failed: {}", problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_paths() {
        for p in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "a//b",
            "./a",
            "a/.",
            "a\0b",
            "a/",
        ] {
            assert!(check_rel(p).is_err(), "{p:?}");
        }
        assert!(check_rel(&"a/".repeat(3000)).is_err());
        for p in ["a", "a/b.txt", "naïve/ü.txt", "..a", "a..b"] {
            assert!(check_rel(p).is_ok(), "{p:?}");
        }
    }
}
