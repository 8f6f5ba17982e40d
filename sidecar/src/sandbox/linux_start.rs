//! Linux: the sandbox set up by a process that was just forked, with no exec in front of the
//! command's own.
//!
//! Everything that needs memory, locks or the file system's answers happens BEFORE the fork, in
//! `Prepared::new` (the sidecar, or the launcher binary for `tack-sidecar sandbox`): every path
//! as a C string, the uid/gid map lines, the Landlock ruleset (a descriptor, with the rules of the
//! paths that are the same inodes inside the namespace already added), the seccomp program, the
//! text of every error message up to its errno. After the fork, `Prepared::start` makes only raw
//! system calls (async-signal-safe: the sidecar that forked is multi-threaded, so a lock another
//! thread held at the fork stays held forever here): no allocation, no locks, no std I/O, no
//! panics. Nested forks are raw `clone` calls (libc's fork runs its at-fork handlers and takes the
//! allocator's locks). A failing step writes its message to the command's stderr and exits 126,
//! the way the launcher always reported it; nothing is left behind (each process that exits takes
//! the ones below it: PDEATHSIG, and the PID namespace ends with its init).
//!
//! The processes, when the sidecar starts a command (`Prepared::spawn`): the sidecar's own raw
//! clone with CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID makes the child the new PID namespace's
//! init directly (the command's session and process group leader); it maps its ids, mounts,
//! forks the command, reaps, writes the command's wait status to a pipe the sidecar reads (as PID
//! 1 it cannot end by the command's signal itself) and exits with the command (the kernel then
//! kills everything left in the namespace); the command drops capabilities, applies Landlock and
//! seccomp and execs. Without the namespaces the clone is a plain fork that confines itself in
//! place and execs. The launcher binary (`start`, in its own process) still unshares, forks
//! init and reports the command's status as its own, as before.
use super::{LaunchSpec, SandboxMode};
use landlock::{Access, AccessFs, ABI};
use seccompiler::sock_filter;
use std::collections::BTreeMap;
use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where the ruleset descriptor is kept in a process that closed everything it inherited.
const RULESET_FD: libc::c_int = 3;

/// How an errno is written in a message (the launcher formatted std's and nix's errors).
#[derive(Clone, Copy)]
enum Style {
    /// `std::io::Error`: "Operation not permitted (os error 1)".
    Io,
    /// `nix::errno::Errno`: "EPERM: Operation not permitted".
    Nix,
}

/// The text of every errno in both styles, made before any fork (reading it after is an atomic
/// load and a slice index).
static ERRNO_TEXT: OnceLock<Vec<[String; 2]>> = OnceLock::new();

fn errno_text() -> &'static [[String; 2]] {
    ERRNO_TEXT.get_or_init(|| {
        (0..=160)
            .map(|e| {
                [
                    std::io::Error::from_raw_os_error(e).to_string(),
                    nix::errno::Errno::from_raw(e).to_string(),
                ]
            })
            .collect()
    })
}

const SETUP: &[u8] = b"tack-sidecar sandbox: sandbox setup failed, not running the command: ";

/// One piece of a message written after the fork.
enum Part<'a> {
    B(&'a [u8]),
    N(u64),
    E(i32, Style),
}

/// The whole buffer to `fd`, retried on EINTR and short writes (raw calls only, so it may run
/// after the fork). Err(errno) when a write fails, EIO when it writes nothing.
fn write_all(fd: libc::c_int, mut b: &[u8]) -> Result<(), i32> {
    while !b.is_empty() {
        let n = unsafe { libc::write(fd, b.as_ptr().cast(), b.len()) };
        if n > 0 {
            b = &b[n as usize..];
        } else if n < 0 && errno() == libc::EINTR {
            continue;
        } else {
            return Err(if n < 0 { errno() } else { libc::EIO });
        }
    }
    Ok(())
}

/// A message piece to `fd`; a failure to say it has nowhere to be reported.
fn put(fd: libc::c_int, b: &[u8]) {
    let _ = write_all(fd, b);
}

fn put_num(fd: libc::c_int, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    put(fd, &buf[i..]);
}

fn say(parts: &[Part]) {
    for p in parts {
        match p {
            Part::B(b) => put(2, b),
            Part::N(n) => put_num(2, *n),
            Part::E(e, style) => {
                let text = ERRNO_TEXT
                    .get()
                    .and_then(|t| t.get(usize::try_from(*e).ok()?));
                match text {
                    Some(t) => put(2, t[*style as usize].as_bytes()),
                    None => {
                        put(2, b"os error ");
                        put_num(2, *e as u64);
                    }
                }
            }
        }
    }
    put(2, b"\n");
}

/// Writes the message and exits with `code`.
fn die(parts: &[Part], code: i32) -> ! {
    say(parts);
    unsafe { libc::_exit(code) }
}

/// A step before the command failed: `what` and the errno's text on its output, exit 126.
fn setup_failed(what: &[u8]) -> ! {
    die(
        &[Part::B(SETUP), Part::B(what), Part::E(errno(), Style::Io)],
        126,
    )
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A failed step: what it was (the message up to the errno) and how.
pub(super) struct Failure<'a> {
    what: &'a [u8],
    path: Option<&'a CString>,
    after: &'a [u8],
    errno: i32,
    style: Style,
}

impl Failure<'_> {
    fn say(&self, before: &[u8], suffix: &[u8]) {
        let path = self.path.map(|p| p.as_bytes()).unwrap_or(b"");
        say(&[
            Part::B(before),
            Part::B(self.what),
            Part::B(path),
            Part::B(self.after),
            Part::E(self.errno, self.style),
            Part::B(suffix),
        ]);
    }
}

/// How the command is found at exec.
pub enum Program {
    /// This path, as the sidecar resolved it from the command's PATH (execv).
    Path(PathBuf),
    /// argv[0] looked up in PATH at exec (execvp), as the launcher binary always did.
    Search,
}

/// Everything the processes after the fork need, ready to use without allocating.
pub struct Prepared {
    /// Started by the sidecar's own fork: every inherited descriptor above stderr is closed (the
    /// sidecar's other commands' pipes and terminals, its own stdio), not only close-on-exec.
    close_inherited: bool,
    program: CString,
    /// Owns what `argv_ptrs` points to.
    #[allow(dead_code)]
    argv: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    /// The command's environment ("NAME=value"), when given (the sidecar's fork still has the
    /// sidecar's own `environ`: std sets the command's only after its pre-exec hooks); None: this
    /// process's environment (the launcher binary).
    #[allow(dead_code)]
    envp: Vec<CString>,
    envp_ptrs: Option<Vec<*const libc::c_char>>,
    /// "tack-sidecar sandbox: cannot run ARGV0: "
    cannot_run: Vec<u8>,
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
    /// Writable roots and the temp dir, canonical.
    writable: Vec<CString>,
    /// Every `.git` (and protected directory) to keep read-only.
    gits: Vec<CString>,
    /// The command's own terminal(s): path and index in /dev/pts.
    ttys: Vec<(CString, u32)>,
    ruleset: OwnedFd,
    /// "/proc" is among the entries of /: its read rule is added after the fresh /proc is mounted.
    proc_rule: bool,
    read_access: u64,
    file_access: u64,
    /// The seccomp program for the policy's `network` (built once per value, see `seccomp`).
    filter: &'static [sock_filter],
    /// workspace-write with `.git` entries: say so when the namespaces cannot be had.
    warn_without_namespaces: bool,
    /// The highest descriptor to close by hand where close_range(2) is missing (before 5.9).
    max_fd: libc::c_int,
}

// SAFETY: the raw pointers point into `argv`, owned by the same value and never changed.
unsafe impl Send for Prepared {}
unsafe impl Sync for Prepared {}

fn cstring(p: &Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| format!("{} contains a NUL byte", p.display()))
}

/// Files in /dev a command may read; of those, the ones it may also write are `DEV_WRITABLE`.
/// (`/dev/fd`, `/dev/stdin` and the like are symlinks: Landlock checks what they lead to.)
/// `ptmx` is in both, but its rule is added after the fork: in the namespace it is the private
/// devpts instance's.
const DEV_READABLE: [&str; 7] = ["null", "zero", "full", "random", "urandom", "tty", "shm"];
const DEV_WRITABLE: [&str; 4] = ["null", "zero", "full", "tty"];

impl Prepared {
    /// `own_tty`: the command's terminal (`/dev/pts/N`) when it has one.
    pub fn new(
        spec: &LaunchSpec,
        program: Program,
        env: Option<&BTreeMap<OsString, OsString>>,
        own_tty: Vec<PathBuf>,
        close_inherited: bool,
    ) -> Result<Prepared, String> {
        let Some(kernel_abi) = super::linux::landlock_abi() else {
            return Err("Landlock is not available in this kernel".into());
        };
        errno_text();
        // Mapped here, before any fork: after it only raw calls.
        map_command_stack();
        let plan = super::linux::plan(spec, own_tty)?;
        let program = match program {
            Program::Path(p) => cstring(&p)?,
            Program::Search => CString::new(spec.argv[0].as_bytes())
                .map_err(|_| "the program name contains a NUL byte".to_string())?,
        };
        let argv = spec
            .argv
            .iter()
            .map(|a| CString::new(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| "an argument contains a NUL byte".to_string())?;
        let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        argv_ptrs.push(std::ptr::null());
        let envp: Vec<CString> = env
            .into_iter()
            .flatten()
            .map(|(k, v)| {
                let mut kv = k.as_bytes().to_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                CString::new(kv)
            })
            .collect::<Result<_, _>>()
            .map_err(|_| "an environment variable contains a NUL byte".to_string())?;
        let envp_ptrs = env.map(|_| {
            let mut v: Vec<*const libc::c_char> = envp.iter().map(|e| e.as_ptr()).collect();
            v.push(std::ptr::null());
            v
        });
        let mut cannot_run = b"tack-sidecar sandbox: cannot run ".to_vec();
        cannot_run.extend_from_slice(spec.argv[0].to_string_lossy().as_bytes());
        cannot_run.extend_from_slice(b": ");
        let (uid_map, gid_map) = id_maps();
        let ttys = plan
            .own_tty
            .iter()
            .filter_map(|p| {
                let index = p
                    .file_name()
                    .and_then(|n| n.to_str())
                    .and_then(|n| n.parse::<u32>().ok())
                    .filter(|i| *i < MAX_PTY_INDEX)?;
                Some((cstring(p).ok()?, index))
            })
            .collect();
        let (ruleset, proc_rule) = ruleset(spec, &plan, kernel_abi)?;
        let eff = ABI::from(kernel_abi.min(5) as i32);
        let max_fd = {
            let mut r = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } == 0 {
                r.rlim_cur.min(65536) as libc::c_int
            } else {
                1024
            }
        };
        Ok(Prepared {
            close_inherited,
            program,
            argv,
            argv_ptrs,
            envp,
            envp_ptrs,
            cannot_run,
            uid_map,
            gid_map,
            writable: plan
                .writable
                .iter()
                .map(|p| cstring(p))
                .collect::<Result<_, _>>()?,
            gits: plan
                .gits
                .iter()
                .map(|p| cstring(p))
                .collect::<Result<_, _>>()?,
            ttys,
            ruleset,
            proc_rule,
            read_access: AccessFs::from_read(eff).bits(),
            file_access: AccessFs::from_file(eff).bits(),
            filter: seccomp(spec.network)?,
            warn_without_namespaces: spec.mode == SandboxMode::WorkspaceWrite
                && !plan.gits.is_empty(),
            max_fd,
        })
    }
}

/// The seccomp program for `network`, built once per value for the sidecar's life: its only
/// inputs are `network` and the architecture this binary was built for (no path, no file, no
/// environment), so every command with the same `network` gets the same program either way. A
/// build that fails is not kept (the next command tries again and reports the same error).
fn seccomp(network: bool) -> Result<&'static [sock_filter], String> {
    static PROGRAMS: [OnceLock<Vec<sock_filter>>; 2] = [OnceLock::new(), OnceLock::new()];
    let slot = &PROGRAMS[usize::from(network)];
    if let Some(p) = slot.get() {
        return Ok(p);
    }
    let built = super::linux::seccomp_program(network)?;
    Ok(slot.get_or_init(|| built))
}

/// The PTY index past which the command's own terminal is not re-created in the private devpts.
const MAX_PTY_INDEX: u32 = 4096;

/// The Landlock ruleset with every rule whose path is the same inode inside the namespace.
/// Reading is allowed everywhere except in /dev, where only the listed entries and the command's
/// own terminal are reachable (not another terminal's /dev/pts/N, not consoles). Returns whether
/// /proc still needs its rule (added after the fresh /proc is mounted, on that one).
///
/// Built with the raw calls (one open, fstat and landlock_add_rule per path), as the landlock
/// crate's best-effort mode would build it: all filesystem rights up to ABI 5 that this kernel
/// knows handled, signal and abstract-socket scoping where it has ABI 6, and a rule on a file
/// without the directory-only rights. The crate's way cost ~0.2 ms more per command here.
fn ruleset(
    spec: &LaunchSpec,
    plan: &super::linux::Plan,
    kernel_abi: u32,
) -> Result<(OwnedFd, bool), String> {
    use std::os::fd::FromRawFd;
    let eff = ABI::from(kernel_abi.min(5) as i32);
    let all = AccessFs::from_all(eff).bits();
    let read = AccessFs::from_read(eff).bits();
    let file = AccessFs::from_file(eff).bits();
    // struct landlock_ruleset_attr: handled_access_fs, handled_access_net, scoped (ABI 6).
    let scoped = if kernel_abi >= 6 {
        LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL
    } else {
        0
    };
    let attr: [u64; 3] = [all, 0, scoped];
    let size = if kernel_abi >= 6 { 24usize } else { 16 };
    let fd = unsafe { libc::syscall(libc::SYS_landlock_create_ruleset, attr.as_ptr(), size, 0u32) };
    if fd < 0 {
        return Err(format!(
            "Landlock: failed to create a ruleset: {}",
            std::io::Error::last_os_error()
        ));
    }
    // SAFETY: the descriptor the call just returned; nothing else owns it.
    let ruleset = unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) };
    // `required`: a path that cannot be opened is an error (else it gets no rule). `dir`: whether
    // it is a directory, when the caller knows (the type the listing of / gave); else fstat says.
    let add = |path: &Path, access: u64, required: bool, dir: Option<bool>| -> Result<(), String> {
        let c = cstring(path)?;
        // open_raw: no fcntl after it. What the listing
        // said is not a symlink is opened without following one (should it have become one
        // since, the rule lands on the link itself, which grants nothing).
        let nofollow = if dir.is_some() { libc::O_NOFOLLOW } else { 0 };
        let pfd = unsafe { open_raw(c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC | nofollow, 0) };
        if pfd < 0 {
            if !required {
                return Ok(());
            }
            return Err(format!(
                "Landlock: failed to open \"{}\": {}",
                path.display(),
                std::io::Error::last_os_error()
            ));
        }
        // SAFETY: just opened.
        let pfd = unsafe { OwnedFd::from_raw_fd(pfd) };
        let fstat_dir = || {
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            let ok = unsafe { libc::fstat(pfd.as_raw_fd(), &mut st) } == 0;
            ok && st.st_mode & libc::S_IFMT == libc::S_IFDIR
        };
        let add_rule = |is_dir: bool| {
            let allowed = if is_dir { access } else { access & file };
            if allowed == 0 {
                return 0;
            }
            let rule = PathBeneathAttr {
                allowed_access: allowed,
                parent_fd: pfd.as_raw_fd(),
            };
            unsafe {
                libc::syscall(
                    libc::SYS_landlock_add_rule,
                    ruleset.as_raw_fd(),
                    LANDLOCK_RULE_PATH_BENEATH,
                    &rule as *const PathBeneathAttr,
                    0u32,
                )
            }
        };
        let mut r = add_rule(dir.unwrap_or_else(fstat_dir));
        if r != 0 && dir == Some(true) && errno() == libc::EINVAL && !fstat_dir() {
            // Replaced by a non-directory since the listing (Landlock refuses directory rights
            // on a file): the rule for what the descriptor is. A directory the listing called
            // something else only gets the narrower file rights.
            r = add_rule(false);
        }
        if r != 0 {
            return Err(format!(
                "Landlock: failed to add a rule: {}",
                std::io::Error::last_os_error()
            ));
        }
        Ok(())
    };
    // Listing any directory (names only) stays possible, "/" and "/dev" included.
    add(
        Path::new("/"),
        AccessFs::ReadDir as u64 & all,
        true,
        Some(true),
    )?;
    let mut proc_rule = false;
    if let Ok(rd) = std::fs::read_dir("/") {
        for e in rd.flatten() {
            if e.file_name() == "dev" {
                continue;
            }
            // A dangling symlink (say /lib64 on some systems) cannot take a rule; a top-level link
            // into /dev must not grant what the /dev list leaves out. Only links are resolved (the
            // entry's type comes with the listing): anything else directly below / is itself.
            // Ok(None): a symlink (its target's type is fstat's to tell).
            let kind = match e.file_type() {
                Ok(t) if t.is_symlink() => e
                    .path()
                    .canonicalize()
                    .is_ok_and(|c| !c.starts_with("/dev"))
                    .then_some(None),
                Ok(t) => Some(Some(t.is_dir())),
                Err(_) => None,
            };
            let Some(dir) = kind else { continue };
            if e.file_name() == "proc" {
                proc_rule = true;
            } else {
                add(&e.path(), read, true, dir)?;
            }
        }
    }
    let dev = Path::new("/dev");
    for n in DEV_READABLE {
        let writable = DEV_WRITABLE.contains(&n);
        // Only file rights for the writable ones, so nobody can create files in /dev.
        add(
            &dev.join(n),
            if writable { read | file } else { read },
            false,
            None,
        )?;
    }
    for tty in &plan.own_tty {
        add(tty, file, false, None)?;
    }
    if spec.mode == SandboxMode::WorkspaceWrite {
        for w in &plan.writable {
            add(w, all, true, None)?;
        }
    }
    Ok((ruleset, proc_rule))
}

const LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1;
const LANDLOCK_SCOPE_SIGNAL: u64 = 2;

/// The namespaces every sandboxed command gets (when the kernel lets us have them).
const NAMESPACES: libc::c_int = libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID;
const NO_NAMESPACES: &[u8] = b"cannot create user, mount and PID namespaces: ";

/// Signals the leader outlives: they reach the command directly (same process group), and the
/// leader must stay to report how the command ended.
const FORWARDED_BY_GROUP: [libc::c_int; 4] =
    [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

extern "C" fn ignore_signal(_: libc::c_int) {}

fn reset_signal_handlers() {
    for sig in 1..=64 {
        if sig == libc::SIGKILL || sig == libc::SIGSTOP {
            continue;
        }
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            // EINVAL for the numbers libc keeps for itself: nothing to reset there.
            if libc::sigaction(sig, std::ptr::null(), &mut old) != 0 {
                continue;
            }
            if old.sa_sigaction != libc::SIG_DFL && old.sa_sigaction != libc::SIG_IGN {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &dfl, std::ptr::null_mut());
            }
        }
    }
}

/// What the command's process gets from init's clone (`Prepared::fork_command`).
struct CommandStart<'a> {
    prepared: &'a Prepared,
    status_fd: libc::c_int,
    ruleset: libc::c_int,
    private_pts: bool,
}

extern "C" fn command_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `fork_command` passes a CommandStart that lives (init suspended) until this
    // process has exec'd or exited.
    let start = unsafe { &*(arg as *const CommandStart) };
    start
        .prepared
        .become_command(start.status_fd, start.ruleset, start.private_pts)
}

/// The top of the command's stack (`fork_command`; `spawn::map_stack`: the default main-thread
/// stack limit, since exec* may put a copy of a long argv on it for a script, and a guard page
/// below), or None if it could not be mapped. One
/// mapping for the process's life, made before any fork (`Prepared::new`) and never touched by
/// the process that made it: every init has its own copy of it (its memory is a copy of the
/// sidecar's), so commands started at the same time never share one. Reserved, not committed
/// (only the pages a command's process touches are ever backed); a guard page below it, so an
/// overflow faults instead of writing into other memory.
fn command_stack() -> Option<*mut libc::c_void> {
    // After the fork only read (an atomic load): `map_command_stack` made it before.
    let top = COMMAND_STACK.get().copied().unwrap_or(0);
    (top != 0).then_some(top as *mut libc::c_void)
}

static COMMAND_STACK: OnceLock<usize> = OnceLock::new();

/// Maps the command's stack once (before any fork; see `command_stack`).
fn map_command_stack() {
    COMMAND_STACK.get_or_init(|| crate::spawn::map_stack().unwrap_or(0));
}

/// fork(2) as a raw system call: no at-fork handlers, no allocator locks.
fn raw_fork() -> libc::pid_t {
    unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::SIGCHLD as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        ) as libc::pid_t
    }
}

/// open(2) as the openat system call itself: musl's open() follows every O_CLOEXEC open with an
/// fcntl (for kernels before 2.6.23). Raw: usable after the fork.
///
/// # Safety
/// `path` must point to a NUL-terminated string.
unsafe fn open_raw(
    path: *const libc::c_char,
    flags: libc::c_int,
    mode: libc::mode_t,
) -> libc::c_int {
    libc::syscall(
        libc::SYS_openat,
        libc::AT_FDCWD,
        path,
        flags,
        mode as libc::c_uint,
    ) as libc::c_int
}

/// std::fs::write's calls: open (create, truncate), then the whole buffer.
fn write_file(path: &[u8], data: &[u8]) -> Result<(), i32> {
    debug_assert_eq!(path.last(), Some(&0));
    let fd = unsafe {
        open_raw(
            path.as_ptr().cast(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
            0o666,
        )
    };
    if fd < 0 {
        return Err(errno());
    }
    let r = write_all(fd, data);
    unsafe { libc::close(fd) };
    r
}

fn raw_mount(
    source: *const libc::c_char,
    target: *const libc::c_char,
    fstype: *const libc::c_char,
    flags: libc::c_ulong,
    data: *const libc::c_char,
) -> Result<(), i32> {
    if unsafe { libc::mount(source, target, fstype, flags, data.cast()) } == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

fn c(b: &'static [u8]) -> *const libc::c_char {
    debug_assert_eq!(b.last(), Some(&0));
    b.as_ptr().cast()
}

/// The uid_map and gid_map lines that map this process's uid and gid to themselves.
pub(super) fn id_maps() -> (Vec<u8>, Vec<u8>) {
    let uid = unsafe { libc::getuid() };
    let gid = unsafe { libc::getgid() };
    (
        format!("{uid} {uid} 1\n").into_bytes(),
        format!("{gid} {gid} 1\n").into_bytes(),
    )
}

fn step_failed(what: &'static [u8], errno: i32, style: Style) -> Failure<'static> {
    Failure {
        what,
        path: None,
        after: b"",
        errno,
        style,
    }
}

/// A new user + mount + PID namespace, our uid/gid mapped to themselves (`id_maps`) so files
/// keep their owners, mounts private so nothing done here leaks to the host. The next child is
/// PID 1. Raw calls only (it runs after the fork; the probe runs it too).
pub(super) fn enter_namespaces(uid_map: &[u8], gid_map: &[u8]) -> Result<(), Failure<'static>> {
    if unsafe { libc::unshare(NAMESPACES) } != 0 {
        return Err(step_failed(NO_NAMESPACES, errno(), Style::Nix));
    }
    map_ids(uid_map, gid_map)
}

/// In the new namespaces: our uid/gid mapped to themselves, mounts private.
fn map_ids(uid_map: &[u8], gid_map: &[u8]) -> Result<(), Failure<'static>> {
    // Unprivileged gid_map writes require setgroups to be denied first.
    let _ = write_file(b"/proc/self/setgroups\0", b"deny");
    write_file(b"/proc/self/uid_map\0", uid_map)
        .map_err(|e| step_failed(b"cannot write uid_map: ", e, Style::Io))?;
    write_file(b"/proc/self/gid_map\0", gid_map)
        .map_err(|e| step_failed(b"cannot write gid_map: ", e, Style::Io))?;
    raw_mount(
        std::ptr::null(),
        c(b"/\0"),
        std::ptr::null(),
        libc::MS_REC | libc::MS_PRIVATE,
        std::ptr::null(),
    )
    .map_err(|e| step_failed(b"cannot make mounts private: ", e, Style::Nix))
}

/// A fresh /proc (of the PID namespace this process is in) over /proc.
pub(super) fn mount_proc() -> Result<(), i32> {
    raw_mount(
        c(b"proc\0"),
        c(b"/proc\0"),
        c(b"proc\0"),
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        std::ptr::null(),
    )
}

impl Prepared {
    /// In the process just forked (single-threaded): lock down and become the command. Never
    /// returns. Only raw system calls from here on (see the module's comment).
    ///
    /// # Safety
    /// Call only in a process with one thread (a fresh fork's child, or the launcher binary).
    pub unsafe fn start(&self) -> ! {
        // What an exec would do: handlers the sidecar installed (std's stack-overflow handlers,
        // any a runtime adds) go back to the default (ignored signals stay ignored), so none of
        // its code runs here on a signal.
        reset_signal_handlers();
        let mut ruleset = self.ruleset.as_raw_fd();
        if self.close_inherited {
            if ruleset != RULESET_FD {
                if libc::dup2(ruleset, RULESET_FD) < 0 {
                    setup_failed(b"dup2: ");
                }
                ruleset = RULESET_FD;
            }
            libc::fcntl(ruleset, libc::F_SETFD, libc::FD_CLOEXEC);
            self.close_from(RULESET_FD + 1);
        }
        // Whatever happens to the sidecar, the command does not outlive it.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            setup_failed(b"no_new_privs: ");
        }
        match self.enter_namespaces() {
            Ok(()) => self.supervise(ruleset),
            Err(f) => {
                if self.warn_without_namespaces {
                    // Said out loud (the command's output shows it) rather than failing it.
                    f.say(b"tack-sandbox: warning: ", b"; .git directories (and Tack's own directory, if inside the workspace) stay writable");
                }
                self.confine(ruleset, false);
                self.exec()
            }
        }
    }

    fn close_from(&self, first: libc::c_int) {
        let r = unsafe { libc::syscall(libc::SYS_close_range, first as u32, u32::MAX, 0u32) };
        if r != 0 {
            for fd in first..self.max_fd {
                unsafe { libc::close(fd) };
            }
        }
    }

    fn enter_namespaces(&self) -> Result<(), Failure<'static>> {
        enter_namespaces(&self.uid_map, &self.gid_map)
    }

    fn map_ids(&self) -> Result<(), Failure<'static>> {
        map_ids(&self.uid_map, &self.gid_map)
    }

    /// The leader after entering the namespaces: fork the namespace's init, wait for the
    /// command's status from it, and end the same way.
    fn supervise(&self, ruleset: libc::c_int) -> ! {
        let pipe = || {
            let mut fds = [0; 2];
            if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
                setup_failed(b"pipe: ");
            }
            fds
        };
        let status_pipe = pipe();
        let life_pipe = pipe();
        let init = raw_fork();
        if init < 0 {
            setup_failed(b"fork: ");
        }
        if init == 0 {
            unsafe {
                libc::close(status_pipe[0]);
                libc::close(life_pipe[1]);
                // If the leader dies, so does init, and with it the whole namespace.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                let mut p = libc::pollfd {
                    fd: life_pipe[0],
                    events: libc::POLLIN,
                    revents: 0,
                };
                if libc::poll(&mut p, 1, 0) > 0 {
                    // The leader is already gone (the write end hung up).
                    libc::_exit(1);
                }
                let code = self.run_init(status_pipe[1], ruleset, true);
                libc::_exit(code)
            }
        }
        unsafe {
            libc::close(ruleset);
            libc::close(status_pipe[1]);
            libc::close(life_pipe[0]);
            for sig in FORWARDED_BY_GROUP {
                libc::signal(sig, ignore_signal as *const () as libc::sighandler_t);
            }
        }
        let mut init_status = 0;
        loop {
            let r = unsafe { libc::waitpid(init, &mut init_status, 0) };
            if r == init {
                break;
            }
            if r < 0 && errno() != libc::EINTR {
                init_status = libc::SIGKILL; // lost: report as killed
                break;
            }
        }
        let mut buf = [0u8; 4];
        let n = unsafe { libc::read(status_pipe[0], buf.as_mut_ptr().cast(), 4) };
        let status = if n == 4 {
            i32::from_ne_bytes(buf)
        } else {
            init_status
        };
        end_like(status)
    }

    /// PID 1 of the command's namespace. Returns init's exit code; the command's status goes to
    /// `status_fd`.
    fn run_init(&self, status_fd: libc::c_int, ruleset: libc::c_int, mount: bool) -> i32 {
        let send = |status: i32| unsafe {
            libc::write(status_fd, status.to_ne_bytes().as_ptr().cast(), 4);
        };
        // The working directory still points into the mounts it was opened on: enter it again
        // once the new mounts are in place (a writable root is a new mount over the old, now
        // read-only).
        let mut cwd = [0u8; libc::PATH_MAX as usize + 1];
        let have_cwd = unsafe { libc::syscall(libc::SYS_getcwd, cwd.as_mut_ptr(), cwd.len()) } > 0;
        // Without `mount` (the namespaces' ids or private mounts could not be set up, said
        // already): nothing mounted, the command confined in place.
        let mounted = if mount { self.mount_all() } else { Ok(false) };
        if have_cwd {
            unsafe { libc::chdir(cwd.as_ptr().cast()) };
        }
        let private_pts = match mounted {
            Ok(p) => p,
            Err(f) => {
                f.say(SETUP, b"");
                send(126 << 8);
                return 126;
            }
        };
        let cmd = self.fork_command(status_fd, ruleset, private_pts);
        if cmd < 0 {
            say(&[
                Part::B(SETUP),
                Part::B(b"fork: "),
                Part::E(errno(), Style::Io),
            ]);
            send(126 << 8);
            return 126;
        }
        // Reap everything handed to us until the command itself ends; returning ends the
        // namespace.
        loop {
            let mut status = 0;
            let r = unsafe { libc::waitpid(-1, &mut status, 0) };
            if r == cmd {
                send(status);
                return 0;
            }
            if r < 0 && errno() != libc::EINTR {
                send(libc::SIGKILL);
                return 1;
            }
        }
    }

    /// Init starts the command's process: a clone that shares init's memory and suspends init
    /// until the command has exec'd or exited (as posix_spawn does), so nothing of init's address
    /// space (a copy of the sidecar's) is copied for a process that is about to replace it; it
    /// runs on its own stack (`command_stack`). Where that stack could not be had, or the clone
    /// fails, a plain fork. Returns the command's pid (-1: failed, errno set).
    fn fork_command(&self, status_fd: libc::c_int, ruleset: libc::c_int, private_pts: bool) -> i32 {
        if let Some(top) = command_stack() {
            let start = CommandStart {
                prepared: self,
                status_fd,
                ruleset,
                private_pts,
            };
            // SAFETY: `top` is the top of a mapping used by nothing else in this process (init),
            // which stays suspended (CLONE_VFORK) while the child runs on it; `start` outlives
            // the child's use of it for the same reason. The child only makes raw system calls.
            let pid = unsafe {
                libc::clone(
                    command_main,
                    top,
                    libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
                    &start as *const CommandStart as *mut libc::c_void,
                )
            };
            if pid >= 0 {
                return pid;
            }
        }
        let pid = raw_fork();
        if pid == 0 {
            self.become_command(status_fd, ruleset, private_pts)
        }
        pid
    }

    /// The command's process, forked by init: confine, then exec.
    fn become_command(&self, status_fd: libc::c_int, ruleset: libc::c_int, private_pts: bool) -> ! {
        unsafe { libc::close(status_fd) };
        self.confine(ruleset, private_pts);
        self.exec()
    }

    /// Ok(whether /dev/pts is the private instance).
    fn mount_all(&self) -> Result<bool, Failure<'_>> {
        // Without a fresh /proc the command sees the machine's processes; it still cannot signal
        // or trace them (Landlock), so this one is not fatal (the probe reports it).
        let _ = mount_proc();
        // No nested user namespace: in one, a capability-less uid 0 (mapped to 0 again) would
        // hold CAP_DAC_OVERRIDE and the like over root-owned files anew. The limit is this
        // namespace's own and holds for everything below it.
        let _ = write_file(b"/proc/sys/user/max_user_namespaces\0", b"0");
        // Everything read-only, then the writable areas back. Old kernels without mount_setattr
        // keep the tree as it is (the probe reports it); Landlock still refuses writes there.
        let tree_ro = set_mount_attr(c(b"/\0"), true, libc::MOUNT_ATTR_RDONLY, 0).is_ok();
        if tree_ro {
            for w in &self.writable {
                bind_self(w)?;
                match set_mount_attr(w.as_ptr(), false, 0, libc::MOUNT_ATTR_RDONLY) {
                    // A mount the host made read-only stays read-only (the kernel locks it).
                    Ok(()) | Err(libc::EPERM) => {}
                    Err(e) => {
                        return Err(Failure {
                            what: b"cannot make ",
                            path: Some(w),
                            after: b" writable: ",
                            errno: e,
                            style: Style::Io,
                        })
                    }
                }
            }
        }
        // Without a private instance, Landlock grants only the command's own terminal in
        // /dev/pts (nested PTYs then cannot open their other end); never the machine's other
        // terminals.
        let private_pts = self.private_terminals();
        for g in &self.gits {
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            if unsafe { libc::lstat(g.as_ptr(), &mut st) } != 0 {
                continue; // gone since the scan
            }
            bind_self(g)?;
            set_mount_attr(g.as_ptr(), true, libc::MOUNT_ATTR_RDONLY, 0).map_err(|e| Failure {
                what: b"cannot make ",
                path: Some(g),
                after: b" read-only: ",
                errno: e,
                style: Style::Io,
            })?;
        }
        Ok(private_pts)
    }

    /// A fresh devpts instance on /dev/pts (with /dev/ptmx leading to it), so no other terminal
    /// of the machine is there and nested PTYs still work; the command's own terminal is bound
    /// back under its name (`tty`, ttyname() keep working). Binding needs a node of that name in
    /// the new instance: a placeholder PTY of the same index, held open by init for the command's
    /// life. Whether it all worked.
    fn private_terminals(&self) -> bool {
        let mut opened = [-1 as libc::c_int; 3];
        for (slot, (path, _)) in opened.iter_mut().zip(&self.ttys) {
            *slot = unsafe { open_raw(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC, 0) };
        }
        let close_opened = |opened: &[libc::c_int]| {
            for fd in opened.iter().filter(|fd| **fd >= 0) {
                unsafe { libc::close(*fd) };
            }
        };
        let ok = raw_mount(
            c(b"devpts\0"),
            c(b"/dev/pts\0"),
            c(b"devpts\0"),
            libc::MS_NOSUID | libc::MS_NOEXEC,
            c(b"newinstance,ptmxmode=0666,mode=0620\0"),
        )
        .and_then(|()| {
            raw_mount(
                c(b"/dev/pts/ptmx\0"),
                c(b"/dev/ptmx\0"),
                std::ptr::null(),
                libc::MS_BIND,
                std::ptr::null(),
            )
        });
        if ok.is_err() {
            close_opened(&opened);
            return false;
        }
        for (i, (path, index)) in self.ttys.iter().enumerate().take(opened.len()) {
            let fd = opened[i];
            if fd < 0 {
                continue;
            }
            // The new instance hands out indices from 0: open until ours comes.
            let mut spare = [0 as libc::c_int; MAX_PTY_INDEX as usize];
            let mut spares = 0;
            let mut held = -1;
            while held < 0 && spares <= *index as usize && spares < spare.len() {
                let m = unsafe {
                    open_raw(
                        c(b"/dev/ptmx\0"),
                        libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
                        0,
                    )
                };
                if m < 0 {
                    break;
                }
                let mut n: libc::c_uint = 0;
                if unsafe { libc::ioctl(m, libc::TIOCGPTN, &mut n) } != 0 {
                    unsafe { libc::close(m) };
                    break;
                }
                if n == *index {
                    held = m;
                } else {
                    spare[spares] = m;
                    spares += 1;
                }
            }
            for m in &spare[..spares] {
                unsafe { libc::close(*m) };
            }
            if held < 0 {
                continue;
            }
            // "/proc/self/fd/N"
            let mut source = [0u8; 32];
            let prefix = b"/proc/self/fd/";
            source[..prefix.len()].copy_from_slice(prefix);
            let mut digits = [0u8; 10];
            let mut d = digits.len();
            let mut v = fd as u32;
            loop {
                d -= 1;
                digits[d] = b'0' + (v % 10) as u8;
                v /= 10;
                if v == 0 {
                    break;
                }
            }
            let len = digits.len() - d;
            source[prefix.len()..prefix.len() + len].copy_from_slice(&digits[d..]);
            if raw_mount(
                source.as_ptr().cast(),
                path.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND,
                std::ptr::null(),
            )
            .is_err()
            {
                close_opened(&opened);
                return false;
            }
            // init never execs: the placeholder stays open until the command's namespace ends.
        }
        close_opened(&opened);
        true
    }

    /// Everything that happens in the command's own process before exec; exits 126 on failure.
    fn confine(&self, ruleset: libc::c_int, private_pts: bool) {
        drop_capabilities();
        self.apply_landlock(ruleset, private_pts);
        let prog = libc::sock_fprog {
            len: self.filter.len() as u16,
            filter: self.filter.as_ptr() as *mut libc::sock_filter,
        };
        let r = unsafe {
            libc::syscall(
                libc::SYS_seccomp,
                libc::SECCOMP_SET_MODE_FILTER,
                0 as libc::c_ulong,
                &prog as *const libc::sock_fprog,
            )
        };
        if r != 0 {
            setup_failed(b"seccomp: Error calling `seccomp`: ");
        }
    }

    /// The rules on paths that are new in the namespace, then the ruleset on this process.
    fn apply_landlock(&self, ruleset: libc::c_int, private_pts: bool) {
        let landlock_fail = |what: &[u8], e| -> ! {
            die(
                &[
                    Part::B(SETUP),
                    Part::B(b"Landlock: "),
                    Part::B(what),
                    Part::E(e, Style::Io),
                ],
                126,
            )
        };
        let add = |path: &'static [u8], access: u64, required: bool| {
            let fd = unsafe { open_raw(c(path), libc::O_PATH | libc::O_CLOEXEC, 0) };
            if fd < 0 {
                if required {
                    let shown = &path[..path.len() - 1];
                    die(
                        &[
                            Part::B(SETUP),
                            Part::B(b"Landlock: failed to open \""),
                            Part::B(shown),
                            Part::B(b"\": "),
                            Part::E(errno(), Style::Io),
                        ],
                        126,
                    );
                }
                return;
            }
            let attr = PathBeneathAttr {
                allowed_access: access,
                parent_fd: fd,
            };
            let r = unsafe {
                libc::syscall(
                    libc::SYS_landlock_add_rule,
                    ruleset,
                    LANDLOCK_RULE_PATH_BENEATH,
                    &attr as *const PathBeneathAttr,
                    0u32,
                )
            };
            let e = errno();
            unsafe { libc::close(fd) };
            if r != 0 {
                landlock_fail(b"failed to add a rule: ", e);
            }
        };
        if self.proc_rule {
            add(b"/proc\0", self.read_access, true);
        }
        // The private instance's multiplexer (or the machine's, without one).
        add(b"/dev/ptmx\0", self.file_access, false);
        if private_pts {
            // The private instance: the command's own terminal and the PTYs it opens itself.
            add(b"/dev/pts\0", self.file_access, false);
        }
        if unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0u32) } != 0 {
            landlock_fail(b"failed to restrict the calling thread: ", errno());
        }
        unsafe { libc::close(ruleset) };
    }

    fn exec(&self) -> ! {
        unsafe {
            // The exec* calls that search PATH (with a name) and, like a shell, run a file the
            // kernel refuses as ENOEXEC (a script without #!) with /bin/sh: what the launcher's
            // execvp and the unsandboxed spawn do.
            match &self.envp_ptrs {
                Some(envp) => {
                    libc::execvpe(
                        self.program.as_ptr(),
                        self.argv_ptrs.as_ptr(),
                        envp.as_ptr(),
                    );
                }
                None => {
                    libc::execvp(self.program.as_ptr(), self.argv_ptrs.as_ptr());
                }
            }
        }
        let e = errno();
        die(
            &[Part::B(&self.cannot_run), Part::E(e, Style::Io)],
            if e == libc::ENOENT { 127 } else { 126 },
        )
    }
}

const LANDLOCK_RULE_PATH_BENEATH: libc::c_int = 1;

#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// mount_setattr(2) on the mount at `path` (and every mount below it when `recursive`): one
/// system call, no allocation (so it may run after the clone).
pub(super) fn set_mount_attr(
    path: *const libc::c_char,
    recursive: bool,
    set: u64,
    clear: u64,
) -> Result<(), i32> {
    let attr = MountAttr {
        attr_set: set,
        attr_clr: clear,
        propagation: 0,
        userns_fd: 0,
    };
    let flags = if recursive { libc::AT_RECURSIVE } else { 0 };
    let r = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path,
            flags as libc::c_uint,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

fn bind_self(path: &CString) -> Result<(), Failure<'_>> {
    raw_mount(
        path.as_ptr(),
        path.as_ptr(),
        std::ptr::null(),
        libc::MS_BIND | libc::MS_REC,
        std::ptr::null(),
    )
    .map_err(|e| Failure {
        what: b"cannot bind-mount ",
        path: Some(path),
        after: b": ",
        errno: e,
        style: Style::Nix,
    })
}

/// Ends this process the way a process with wait status `status` ended.
fn end_like(status: i32) -> ! {
    unsafe {
        if libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            // Mirror the signal without a core dump of our own.
            let no_core = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &no_core);
            libc::signal(sig, libc::SIG_DFL);
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, sig);
            libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
            libc::kill(libc::getpid(), sig);
            libc::_exit(128 + sig);
        }
        libc::_exit(if libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            1
        })
    }
}

const SECBIT_NOROOT: libc::c_ulong = 1 << 0;
const SECBIT_NOROOT_LOCKED: libc::c_ulong = 1 << 1;
const SECBIT_NO_SETUID_FIXUP: libc::c_ulong = 1 << 2;
const SECBIT_NO_SETUID_FIXUP_LOCKED: libc::c_ulong = 1 << 3;
const SECBIT_KEEP_CAPS_LOCKED: libc::c_ulong = 1 << 5;
const SECBIT_NO_CAP_AMBIENT_RAISE: libc::c_ulong = 1 << 6;
const SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED: libc::c_ulong = 1 << 7;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Default, Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;
const CAP_SETPCAP: u32 = 8;

fn capget() -> [CapData; 2] {
    let mut h = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut d = [CapData::default(); 2];
    if unsafe { libc::syscall(libc::SYS_capget, &mut h, d.as_mut_ptr()) } != 0 {
        setup_failed(b"capget: ");
    }
    d
}

/// Drops every capability with no way back, then checks that none is left (exits 126 if not).
fn drop_capabilities() {
    let before = capget();
    let has_setpcap = before[0].effective & (1 << CAP_SETPCAP) != 0;
    if has_setpcap {
        // Exec of a uid-0 or setuid program grants nothing, uid changes keep nothing, and none of
        // this can be switched back.
        let bits = SECBIT_NOROOT
            | SECBIT_NOROOT_LOCKED
            | SECBIT_NO_SETUID_FIXUP
            | SECBIT_NO_SETUID_FIXUP_LOCKED
            | SECBIT_KEEP_CAPS_LOCKED
            | SECBIT_NO_CAP_AMBIENT_RAISE
            | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED;
        if unsafe { libc::prctl(libc::PR_SET_SECUREBITS, bits, 0, 0, 0) } != 0 {
            setup_failed(b"cannot lock securebits: ");
        }
        for cap in 0..64 {
            if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) } != 0 {
                // EINVAL: past the last capability this kernel knows.
                let e = errno();
                if e == libc::EINVAL {
                    break;
                }
                die(
                    &[
                        Part::B(SETUP),
                        Part::B(b"cannot drop capability "),
                        Part::N(cap as u64),
                        Part::B(b" from the bounding set: "),
                        Part::E(e, Style::Io),
                    ],
                    126,
                );
            }
        }
    }
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL as libc::c_ulong,
            0,
            0,
            0,
        )
    };
    let mut h = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let empty = [CapData::default(); 2];
    if unsafe { libc::syscall(libc::SYS_capset, &mut h, empty.as_ptr()) } != 0 {
        setup_failed(b"cannot drop capabilities: ");
    }
    let after = capget();
    if after
        .iter()
        .any(|d| d.effective | d.permitted | d.inheritable != 0)
    {
        die(
            &[
                Part::B(SETUP),
                Part::B(b"capabilities are still held after dropping them"),
            ],
            126,
        );
    }
}

/// A sandboxed command the sidecar started with `Prepared::spawn`.
pub struct Spawned {
    /// The sidecar's child: the PID namespace's init (or, without namespaces, the command).
    pub pid: libc::pid_t,
    /// Read end (non-blocking) of the pipe init writes the command's wait status to.
    status: OwnedFd,
    /// A reference to init's mount namespace (None without namespaces, or where this /proc does
    /// not count pids as this process does). Held so that the namespace's teardown (unmounting
    /// its tree, an RCU grace period) does not happen in init's exit, before the sidecar hears
    /// of it, but when the sidecar lets go of this after reporting the command's end
    /// (`take_mount_namespace`). It is close-on-exec and never entered.
    mount_ns: Option<OwnedFd>,
    /// A pidfd for `pid` when the clone made one (clone3).
    pidfd: Option<OwnedFd>,
}

impl Spawned {
    /// The hold on init's mount namespace (see `mount_ns`), for the caller to drop when the
    /// command's end has been reported.
    pub fn take_mount_namespace(&mut self) -> Option<OwnedFd> {
        self.mount_ns.take()
    }

    /// The pidfd the clone made for `pid`, if it made one.
    pub fn take_pidfd(&mut self) -> Option<OwnedFd> {
        self.pidfd.take()
    }

    /// How the command ended, once `pid` was reaped with wait status `raw`: what init reported,
    /// or `raw` itself when it reported nothing (the command ran without namespaces, init was
    /// killed, or the setup failed before the command).
    pub fn command_status(&self, raw: i32) -> i32 {
        let mut buf = [0u8; 4];
        let n = unsafe { libc::read(self.status.as_raw_fd(), buf.as_mut_ptr().cast(), 4) };
        if n == 4 {
            i32::from_ne_bytes(buf)
        } else {
            raw
        }
    }
}

/// Where init keeps the write end of the status pipe (next to the ruleset at 3).
const STATUS_FD: libc::c_int = 4;

/// clone(2) as a raw system call with `flags` (fork-like: no new stack, SIGCHLD to the parent).
fn raw_clone(flags: libc::c_int) -> libc::pid_t {
    unsafe {
        libc::syscall(
            libc::SYS_clone,
            (flags | libc::SIGCHLD) as libc::c_ulong,
            0usize,
            0usize,
            0usize,
            0usize,
        ) as libc::pid_t
    }
}

/// How `spawn`'s clone went, for its child.
struct Cloned {
    /// The errno of the clone with the namespaces, when it failed (0: in the namespaces).
    no_namespaces: i32,
    /// clone3 reset the signal handlers already.
    handlers_cleared: bool,
}

/// struct clone_args up to `tls` (CLONE_ARGS_SIZE_VER0, Linux 5.3).
#[repr(C)]
struct CloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
}

/// Reset every handled signal to its default in the child (ignored ones stay ignored), Linux 5.5.
const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;

/// clone3(2), fork-like (no new stack, SIGCHLD to the parent), with `flags` plus CLONE_PIDFD
/// and CLONE_CLEAR_SIGHAND: the child starts with default signal handlers, and the parent gets
/// a pidfd for it (close-on-exec) at `pidfd`. Fails (ENOSYS, EINVAL) where the kernel or a
/// filter does not offer this; the caller then clones the old way.
fn raw_clone3(flags: libc::c_int, pidfd: &mut libc::c_int) -> libc::pid_t {
    let args = CloneArgs {
        flags: flags as u64 | libc::CLONE_PIDFD as u64 | CLONE_CLEAR_SIGHAND,
        pidfd: pidfd as *mut libc::c_int as u64,
        child_tid: 0,
        parent_tid: 0,
        exit_signal: libc::SIGCHLD as u64,
        stack: 0,
        stack_size: 0,
        tls: 0,
    };
    unsafe {
        libc::syscall(
            libc::SYS_clone3,
            &args as *const CloneArgs,
            std::mem::size_of::<CloneArgs>(),
        ) as libc::pid_t
    }
}

/// This process's pid as the mounted /proc sees it (read once; None if it cannot be read). The
/// child of `spawn` compares its parent in /proc with it: its getppid(2) says 0 (the parent is
/// outside its PID namespace), and /proc may count in another namespace than getpid(2) does.
fn pid_in_proc() -> Option<libc::pid_t> {
    static PID: OnceLock<Option<libc::pid_t>> = OnceLock::new();
    *PID.get_or_init(|| {
        std::fs::read_link("/proc/self")
            .ok()?
            .to_str()?
            .parse()
            .ok()
    })
}

/// This process's parent as the mounted /proc sees it; None if it cannot be read.
fn parent_outside() -> Option<libc::pid_t> {
    let fd = unsafe { open_raw(c(b"/proc/self/stat\0"), libc::O_RDONLY | libc::O_CLOEXEC, 0) };
    if fd < 0 {
        return None;
    }
    let mut buf = [0u8; 1024];
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    unsafe { libc::close(fd) };
    let text = buf.get(..usize::try_from(n).ok()?)?;
    // "pid (comm) S ppid ...": the name may hold anything, so from its last ')'.
    let close = text.iter().rposition(|b| *b == b')')?;
    let rest = text.get(close + 4..)?;
    let mut ppid: libc::pid_t = 0;
    let mut digits = 0;
    for b in rest.iter().take_while(|b| b.is_ascii_digit()) {
        ppid = ppid
            .checked_mul(10)?
            .checked_add((b - b'0') as libc::pid_t)?;
        digits += 1;
    }
    (digits > 0).then_some(ppid)
}

impl Prepared {
    /// In the sidecar: starts the command with `stdio` as its descriptors 0, 1 and 2, in `cwd`,
    /// its own session (and, with `terminal`, descriptor 0 its controlling terminal). The child
    /// is cloned straight into new user, mount and PID namespaces, so it is the namespace's init
    /// itself: it maps its ids, mounts, forks the command and writes the command's wait status to
    /// a pipe the sidecar reads (`Spawned::command_status`; init, as PID 1, cannot end by the
    /// command's signal). Where the namespaces cannot be had, the child is a plain fork that
    /// says so (workspace-write with `.git` entries) and runs the command confined in place.
    /// Cloned on the spawner thread (spawner.rs), which outlives the command: the child's
    /// parent-death signal is tied to the thread that clones it.
    pub fn spawn(
        &self,
        stdio: [libc::c_int; 3],
        cwd: &CString,
        terminal: bool,
    ) -> std::io::Result<Spawned> {
        crate::spawner::run(|| self.spawn_here(stdio, cwd, terminal))
    }

    fn spawn_here(
        &self,
        stdio: [libc::c_int; 3],
        cwd: &CString,
        terminal: bool,
    ) -> std::io::Result<Spawned> {
        let mut fds = [0; 2];
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: both just made by pipe2 and owned nowhere else.
        let (status_r, status_w) = unsafe {
            use std::os::fd::FromRawFd;
            (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1]))
        };
        unsafe { libc::fcntl(status_r.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
        let parent = pid_in_proc();
        // clone3 where it can: the child's handlers cleared by the kernel (no 64 sigaction calls
        // in it) and a pidfd with no pidfd_open. Else (a failure of clone3 itself or of the
        // namespaces: told apart by trying again) the old way, which clears them by hand.
        let mut pidfd: libc::c_int = -1;
        let mut cleared = true;
        let mut pid = raw_clone3(NAMESPACES, &mut pidfd);
        let mut no_namespaces = 0;
        if pid < 0 {
            cleared = false;
            pidfd = -1;
            pid = raw_clone(NAMESPACES);
            if pid < 0 {
                no_namespaces = errno();
                pid = raw_clone(0);
            }
        }
        if pid < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if pid == 0 {
            // SAFETY: the fresh child of a raw clone: one thread, raw system calls only from here.
            unsafe {
                self.child(
                    stdio,
                    cwd,
                    terminal,
                    parent,
                    status_w.as_raw_fd(),
                    Cloned {
                        no_namespaces,
                        handlers_cleared: cleared,
                    },
                )
            }
        }
        drop(status_w);
        // SAFETY: the kernel just installed it for us (clone3's CLONE_PIDFD).
        let pidfd = (pidfd >= 0).then(|| unsafe {
            use std::os::fd::FromRawFd;
            OwnedFd::from_raw_fd(pidfd)
        });
        // Our child, not yet reaped, so the pid is still its own; only where /proc counts pids
        // as getpid does (`parent` is our pid as /proc sees it).
        let mount_ns = if no_namespaces == 0 && parent == Some(unsafe { libc::getpid() }) {
            let path = format!("/proc/{pid}/ns/mnt\0");
            let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
            // SAFETY: just opened; owned by nothing else.
            (fd >= 0).then(|| unsafe {
                use std::os::fd::FromRawFd;
                OwnedFd::from_raw_fd(fd)
            })
        } else {
            None
        };
        Ok(Spawned {
            pid,
            status: status_r,
            mount_ns,
            pidfd,
        })
    }

    /// The child of `spawn`. Never returns.
    unsafe fn child(
        &self,
        stdio: [libc::c_int; 3],
        cwd: &CString,
        terminal: bool,
        parent: Option<libc::pid_t>,
        status_w: libc::c_int,
        cloned: Cloned,
    ) -> ! {
        let Cloned {
            no_namespaces,
            handlers_cleared,
        } = cloned;
        let fail = |what: &[u8]| -> ! { setup_failed(what) };
        // What std's spawn does in its child, then the pre-exec steps of the forked start. The
        // handlers are the default ones already when clone3 cleared them.
        if !handlers_cleared {
            reset_signal_handlers();
        }
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        if crate::spawn::place_stdio(stdio) < 0 {
            libc::_exit(126);
        }
        if libc::chdir(cwd.as_ptr()) != 0 {
            fail(b"cannot enter the working directory: ");
        }
        // Own session (so own process group: kill reaches everything), and with a terminal that
        // terminal as its controlling one.
        if libc::setsid() < 0 {
            fail(b"setsid: ");
        }
        if terminal && libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
            fail(b"cannot take the terminal: ");
        }
        // Whatever happens to the sidecar, the command does not outlive it; if it is gone
        // already, end as its death would have ended us.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if parent.is_some() && parent_outside().is_some_and(|p| Some(p) != parent) {
            libc::_exit(137);
        }
        if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
            fail(b"no_new_privs: ");
        }
        // Only the ruleset (3) and the status pipe (4) stay open above stderr.
        // Both copied above 4 first, so neither can be where the other goes.
        let ruleset = libc::fcntl(
            self.ruleset.as_raw_fd(),
            libc::F_DUPFD_CLOEXEC,
            STATUS_FD + 1,
        );
        let status = libc::fcntl(status_w, libc::F_DUPFD_CLOEXEC, STATUS_FD + 1);
        if ruleset < 0
            || status < 0
            || libc::dup2(ruleset, RULESET_FD) < 0
            || libc::dup2(status, STATUS_FD) < 0
        {
            fail(b"dup2: ");
        }
        libc::fcntl(RULESET_FD, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(STATUS_FD, libc::F_SETFD, libc::FD_CLOEXEC);
        self.close_from(STATUS_FD + 1);
        let warn = |f: Failure<'_>| {
            if self.warn_without_namespaces {
                // Said out loud (the command's output shows it) rather than failing it.
                f.say(b"tack-sandbox: warning: ", b"; .git directories (and Tack's own directory, if inside the workspace) stay writable");
            }
        };
        if no_namespaces != 0 {
            warn(Failure {
                what: NO_NAMESPACES,
                path: None,
                after: b"",
                errno: no_namespaces,
                style: Style::Nix,
            });
            libc::close(STATUS_FD);
            self.confine(RULESET_FD, false);
            self.exec()
        }
        // PID 1 of the new namespace. Without its ids mapped or private mounts, nothing is
        // mounted and the command runs confined in place (still forked: as init it would be
        // deaf to the signals a kill sends).
        let mapped = match self.map_ids() {
            Ok(()) => true,
            Err(f) => {
                warn(f);
                false
            }
        };
        let code = self.run_init(STATUS_FD, RULESET_FD, mapped);
        libc::_exit(code)
    }
}

/// For the sidecar: a sandboxed command's steps, ready for `spawn` (or `start` in a forked child).
pub fn prepare_direct(
    spec: &LaunchSpec,
    program: &Path,
    env: &BTreeMap<OsString, OsString>,
    own_tty: Vec<PathBuf>,
) -> Result<Prepared, String> {
    Prepared::new(
        spec,
        Program::Path(program.to_path_buf()),
        Some(env),
        own_tty,
        true,
    )
}

/// `/dev/pts/N` if `link` (a descriptor's target) is a terminal in /dev/pts.
pub fn pts_path(link: PathBuf) -> Option<PathBuf> {
    let is_pts = link
        .strip_prefix("/dev/pts")
        .is_ok_and(|rest| rest.as_os_str().as_bytes().iter().all(u8::is_ascii_digit));
    is_pts.then_some(link)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_check_reads_the_same_pids_getpid_and_getppid_give_here() {
        // The child of `spawn` exits 137 when its parent in /proc is not the sidecar: both reads
        // must agree with the system calls where they count in the same namespace (the test's),
        // or every sandboxed command would end at once (or the check would never fire).
        assert_eq!(pid_in_proc(), Some(unsafe { libc::getpid() }));
        assert_eq!(parent_outside(), Some(unsafe { libc::getppid() }));
    }

    #[test]
    fn the_cached_seccomp_program_is_the_one_its_policy_builds_and_no_other() {
        let words = |p: &[sock_filter]| -> Vec<(u16, u8, u8, u32)> {
            p.iter().map(|f| (f.code, f.jt, f.jf, f.k)).collect()
        };
        for network in [false, true] {
            let fresh = super::super::linux::seccomp_program(network).unwrap();
            let first = seccomp(network).unwrap();
            let again = seccomp(network).unwrap();
            assert_eq!(words(first), words(&fresh), "network {network}");
            assert!(std::ptr::eq(first, again), "built once per value");
        }
        // A policy change (network on/off) never gets the other's program: the one without the
        // network refuses sockets the other allows, so they differ.
        assert_ne!(
            words(seccomp(false).unwrap()),
            words(seccomp(true).unwrap())
        );
    }

    #[test]
    fn errno_texts_are_the_launchers() {
        let t = errno_text();
        assert_eq!(
            t[1][Style::Io as usize],
            "Operation not permitted (os error 1)"
        );
        assert_eq!(t[1][Style::Nix as usize], "EPERM: Operation not permitted");
        assert_eq!(
            t[2][Style::Io as usize],
            "No such file or directory (os error 2)"
        );
    }

    #[test]
    fn a_prepared_command_keeps_its_arguments_as_given() {
        let spec = LaunchSpec {
            mode: SandboxMode::ReadOnly,
            writable_roots: Vec::new(),
            temp_dir: None,
            network: false,
            git_entries: None,
            protected_dirs: Vec::new(),
            argv: vec!["sh".into(), "-c".into(), "echo hi".into()],
        };
        let Ok(p) = Prepared::new(&spec, Program::Search, None, Vec::new(), false) else {
            return; // no Landlock here
        };
        assert_eq!(p.argv.len(), 3);
        assert_eq!(p.argv_ptrs.len(), 4);
        assert!(p.argv_ptrs[3].is_null());
        assert!(!p.filter.is_empty());
    }
}
