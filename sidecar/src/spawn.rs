//! Linux: starting an unsandboxed command (pipes or a PTY) the way posix_spawn does: a clone that
//! shares the sidecar's memory and suspends the calling thread until the child has exec'd or
//! failed (CLONE_VM | CLONE_VFORK), on a stack of its own. std's Command falls back to a full
//! fork() as soon as a pre-exec hook is set (setsid, the parent-death signal), and a fork copies
//! the page tables of the whole sidecar only for the child to throw them away at exec: about a
//! quarter of a millisecond per command here, the largest single cost of an unsandboxed command's
//! round trip. (The sandboxed commands have their own clone, sandbox/linux_start.rs.)
//!
//! Between the clone and the exec the child runs on the sidecar's memory: it only makes system
//! calls through libc's thin wrappers, allocates nothing, takes no lock and touches nothing the
//! parent owns except the `Start` it was handed (read) and its `error` field (written).
use std::ffi::{CString, OsStr, OsString};
use std::os::fd::RawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::Mutex;

/// The child's stack: only system call wrappers run on it before the exec, but glibc's execvpe
/// copies the whole argument list onto it to run a script without `#!` through /bin/sh, so it is
/// as big as a main thread's default stack (reserved once, only the pages touched are backed).
const STACK_SIZE: usize = 8 << 20;

/// The stack, mapped once and shared by every spawn: a spawn holds the lock from the clone until
/// the child has exec'd (the clone returns only then), so two children never run on it at once.
static STACK: Mutex<usize> = Mutex::new(0);

/// What a command is started with.
pub struct Plain<'a> {
    pub program: &'a Path,
    pub argv: &'a [OsString],
    pub env: &'a std::collections::BTreeMap<OsString, OsString>,
    pub cwd: &'a Path,
    /// The command's stdin, stdout and stderr (the parent's copies stay open; close them after).
    pub stdio: [RawFd; 3],
    /// The command's stdin is a terminal that becomes its controlling one (TIOCSCTTY).
    pub controlling_tty: bool,
    /// Signals set back to their default disposition (an ignored one stays ignored across exec).
    pub default_signals: &'a [libc::c_int],
}

/// Everything the child needs, made before the clone (the child allocates nothing).
struct Start {
    program: CString,
    /// Owns what `argv_ptrs` points to.
    _argv: Vec<CString>,
    argv_ptrs: Vec<*const libc::c_char>,
    /// Owns what `envp_ptrs` points to.
    _envp: Vec<CString>,
    envp_ptrs: Vec<*const libc::c_char>,
    cwd: CString,
    stdio: [RawFd; 3],
    controlling_tty: bool,
    default_signals: Vec<libc::c_int>,
    parent: libc::pid_t,
    /// Set by the child when a step failed: the errno (the parent reads it after the clone).
    error: std::sync::atomic::AtomicI32,
}

fn cstring(s: &OsStr) -> std::io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{s:?} contains a NUL byte"),
        )
    })
}

/// Starts the command; returns its pid once it has exec'd. The child is the caller's to reap.
/// Forked on the spawner thread (spawner.rs), which outlives the command: its parent-death signal
/// is tied to the thread that forks it.
pub fn spawn(p: &Plain<'_>) -> std::io::Result<libc::pid_t> {
    crate::spawner::run(|| spawn_here(p))
}

fn spawn_here(p: &Plain<'_>) -> std::io::Result<libc::pid_t> {
    let argv: Vec<CString> = p
        .argv
        .iter()
        .map(|a| cstring(a))
        .collect::<Result<_, _>>()?;
    let envp: Vec<CString> = p
        .env
        .iter()
        .map(|(k, v)| {
            let mut kv = k.clone();
            kv.push("=");
            kv.push(v);
            cstring(&kv)
        })
        .collect::<Result<_, _>>()?;
    let mut start = Start {
        program: cstring(p.program.as_os_str())?,
        argv_ptrs: argv
            .iter()
            .map(|a| a.as_ptr())
            .chain([std::ptr::null()])
            .collect(),
        _argv: argv,
        envp_ptrs: envp
            .iter()
            .map(|a| a.as_ptr())
            .chain([std::ptr::null()])
            .collect(),
        _envp: envp,
        cwd: cstring(p.cwd.as_os_str())?,
        stdio: p.stdio,
        controlling_tty: p.controlling_tty,
        default_signals: p.default_signals.to_vec(),
        parent: std::process::id() as libc::pid_t,
        error: std::sync::atomic::AtomicI32::new(0),
    };
    let mut stack = STACK.lock().unwrap_or_else(|e| e.into_inner());
    if *stack == 0 {
        *stack = map_stack()?;
    }
    // Every signal blocked across the clone: a handler of the sidecar must never run in the
    // child (it would run on the child's stack, in the sidecar's memory). The child unblocks
    // them once their handlers are back to the default.
    let mut all: libc::sigset_t = unsafe { std::mem::zeroed() };
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    unsafe {
        libc::sigfillset(&mut all);
        libc::pthread_sigmask(libc::SIG_SETMASK, &all, &mut old);
    }
    // SAFETY: the stack is ours alone while the lock is held, and this thread is suspended
    // (CLONE_VFORK) until the child has exec'd or exited, so `start` outlives its use there.
    let pid = unsafe {
        libc::clone(
            child_main,
            *stack as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            &mut start as *mut Start as *mut libc::c_void,
        )
    };
    let clone_error = std::io::Error::last_os_error();
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    drop(stack);
    if pid < 0 {
        return Err(clone_error);
    }
    let failed = start.error.load(std::sync::atomic::Ordering::SeqCst);
    if failed != 0 {
        // It exited without exec'ing: reap it here, nobody else knows of it.
        loop {
            let r = unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
            if !(r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR)) {
                break;
            }
        }
        return Err(std::io::Error::from_raw_os_error(failed));
    }
    Ok(pid)
}

/// Maps a child stack of STACK_SIZE (reserved, not committed) with a guard page below it, so an
/// overflow faults instead of writing into other memory; returns its top. Also the stack of a
/// sandboxed command between init's clone and its exec (sandbox/linux_start.rs).
pub fn map_stack() -> std::io::Result<usize> {
    let page = 4096usize.max(unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as usize);
    let len = STACK_SIZE + page;
    let base = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if base == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    if unsafe { libc::mprotect(base, page, libc::PROT_NONE) } != 0 {
        let e = std::io::Error::last_os_error();
        unsafe { libc::munmap(base, len) };
        return Err(e);
    }
    Ok(base as usize + len)
}

/// Puts `stdio` in place as descriptors 0, 1 and 2 of a child between its clone and its exec (raw
/// system calls only); one already in place only loses close-on-exec. -1 (errno set) on failure.
/// Also the sandboxed command's (sandbox/linux_start.rs).
pub fn place_stdio(stdio: [libc::c_int; 3]) -> libc::c_int {
    for (target, fd) in stdio.into_iter().enumerate() {
        let target = target as libc::c_int;
        let r = if fd == target {
            unsafe { libc::fcntl(fd, libc::F_SETFD, 0) }
        } else {
            unsafe { libc::dup2(fd, target) }
        };
        if r < 0 {
            return -1;
        }
    }
    0
}

fn errno() -> libc::c_int {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// The child, between the clone and the exec. Only system call wrappers; never returns.
extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `spawn` passes its Start, alive (the parent suspended) until we exec or exit.
    let s = unsafe { &*(arg as *const Start) };
    let fail = |e: libc::c_int| -> libc::c_int {
        s.error.store(e.max(1), std::sync::atomic::Ordering::SeqCst);
        unsafe { libc::_exit(127) }
    };
    unsafe {
        // What an exec would do for handled signals, done before any is unblocked: the
        // sidecar's handlers (std's, the runtime's) go back to the default.
        for sig in 1..=64 {
            if sig == libc::SIGKILL || sig == libc::SIGSTOP {
                continue;
            }
            let mut now: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, std::ptr::null(), &mut now) != 0 {
                continue; // a number libc keeps for itself
            }
            let reset = s.default_signals.contains(&sig)
                || (now.sa_sigaction != libc::SIG_DFL && now.sa_sigaction != libc::SIG_IGN);
            if reset {
                let mut dfl: libc::sigaction = std::mem::zeroed();
                dfl.sa_sigaction = libc::SIG_DFL;
                libc::sigaction(sig, &dfl, std::ptr::null_mut());
            }
        }
        if place_stdio(s.stdio) < 0 {
            return fail(errno());
        }
        if libc::chdir(s.cwd.as_ptr()) != 0 {
            return fail(errno());
        }
        // Own session (so own process group: a kill reaches grandchildren).
        if libc::setsid() < 0 {
            return fail(errno());
        }
        // The terminal becomes the controlling one (job control, SIGWINCH, SIGHUP on close).
        if s.controlling_tty && libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
            return fail(errno());
        }
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() != s.parent {
            // The sidecar died before the line above: end as its death would have ended us.
            libc::_exit(137);
        }
        // Whatever the sidecar holds open stays out of the command (EINVAL/ENOSYS before Linux
        // 5.11: the sidecar opens everything close-on-exec anyway).
        libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        // execvpe, as std's spawn used execvp: a file the kernel refuses as ENOEXEC (a script
        // without #!) runs with /bin/sh where the C library does that.
        libc::execvpe(
            s.program.as_ptr(),
            s.argv_ptrs.as_ptr(),
            s.envp_ptrs.as_ptr(),
        );
        fail(errno())
    }
}
