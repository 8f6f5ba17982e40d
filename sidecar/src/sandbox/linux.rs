//! Linux sandbox. The launcher (`tack-sidecar sandbox ...`, started by the sidecar in front of every
//! sandboxed command) does, in this order:
//!
//! 1. `PR_SET_PDEATHSIG` (dies with the sidecar) and `no_new_privs`.
//! 2. Enters a new user + mount + PID namespace (uid/gid mapped to themselves) and forks. The child
//!    is PID 1 of the new namespace: a tiny init that sets up the mounts, forks the command, reaps
//!    whatever it inherits and exits with the command's status; the kernel then kills everything
//!    left in the namespace (`setsid`/`nohup`/`&` leftovers included). The launcher itself waits for
//!    that status and ends the same way (exit code or signal), so the sidecar sees the command's.
//! 3. Mounts (init): a fresh /proc (outside pids invisible), the whole tree read-only (chmod, chown,
//!    utimes and xattrs outside the roots fail with EROFS), the writable roots and the temp dir bound
//!    back read-write, and every `.git` (see git_guard) bound read-only again.
//! 4. In the command's process: every capability dropped for good (bounding, ambient, effective,
//!    permitted, inheritable, and securebits NOROOT|NO_SETUID_FIXUP|NO_CAP_AMBIENT_RAISE locked), so
//!    root inside has no more power than any user; Landlock (files, plus signal and abstract unix
//!    socket scoping where the kernel has ABI 6); seccomp (no TIOCSTI/TIOCLINUX; without network: no
//!    socket but AF_UNIX stream/seqpacket, no connect, no sendto with an address, no io_uring).
//! 5. execvp.
//!
//! Without user namespaces the launcher still drops capabilities and applies Landlock and seccomp,
//! but has no PID namespace, no read-only tree and no `.git` mounts (the probe says so).
use super::{exec_plain, git_guard, LaunchError, LaunchSpec};
use crate::protocol::{SandboxInfo, SandboxMode};
use landlock::{
    path_beneath_rules, Access, AccessFs, BitFlags, Ruleset, RulesetAttr, RulesetCreatedAttr,
    RulesetStatus, Scope, ABI,
};
use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub fn landlock_abi() -> Option<u32> {
    // LANDLOCK_CREATE_RULESET_VERSION (1) asks the kernel for its ABI version instead of a ruleset.
    let r = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<u8>(),
            0usize,
            1u32,
        )
    };
    (r > 0).then_some(r as u32)
}

pub fn seccomp_available() -> bool {
    // With filter mode compiled in, a NULL program is rejected with EFAULT; without it, EINVAL.
    let r = unsafe {
        libc::prctl(
            libc::PR_SET_SECCOMP,
            libc::SECCOMP_MODE_FILTER,
            std::ptr::null::<u8>(),
        )
    };
    r == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EFAULT)
}

/// Exit codes of `tack-sidecar probe-userns` (see `probe_namespaces`).
pub const PROBE_FULL: i32 = 0;
pub const PROBE_NO_READ_ONLY_TREE: i32 = 3;
pub const PROBE_NO_PROC: i32 = 4;

pub fn probe() -> SandboxInfo {
    let landlock_abi = landlock_abi();
    let seccomp = seccomp_available();
    // Namespaces are tried in a throw-away child: unshare(CLONE_NEWUSER) needs a single thread.
    let userns = {
        let mut registry = super::children();
        let child = Command::new(super::self_exe())
            .arg("probe-userns")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        match child {
            Ok(mut child) => {
                let pid = child.id() as i32;
                registry.push(pid);
                drop(registry);
                let status = child.wait();
                super::children().retain(|p| *p != pid);
                status.ok().and_then(|s| s.code())
            }
            Err(_) => None,
        }
    };
    let user_namespaces = matches!(
        userns,
        Some(PROBE_FULL | PROBE_NO_READ_ONLY_TREE | PROBE_NO_PROC)
    );
    let mut limitations = Vec::new();
    if landlock_abi.is_none() {
        limitations.push(
            "Landlock is not available in this kernel: read-only and workspace-write cannot run; only danger-full-access works".to_string(),
        );
    }
    if !seccomp {
        limitations.push(
            "seccomp filters are not available: read-only and workspace-write cannot run (network could not be denied)".to_string(),
        );
    }
    if landlock_abi.is_some_and(|v| v < 6) {
        limitations.push(
            "Landlock ABI < 6: signals to outside processes and abstract unix sockets are not scoped by Landlock (the PID namespace still hides outside processes; without network, connect() is denied)".to_string(),
        );
    }
    match userns {
        Some(PROBE_FULL) => {}
        Some(PROBE_NO_READ_ONLY_TREE) => limitations.push(
            "mount_setattr is not available: the tree outside the roots is not mounted read-only (chmod/chown/utimes/xattrs there are refused only by file permissions)".to_string(),
        ),
        Some(PROBE_NO_PROC) => limitations.push(
            "a fresh /proc cannot be mounted: commands see every process of the machine (they still cannot signal or trace them)".to_string(),
        ),
        _ => limitations.push(
            "unprivileged user namespaces are not available: commands are not in their own PID namespace (background processes can outlive them), the tree outside the roots is not mounted read-only (metadata changes there are refused only by file permissions) and in workspace-write .git stays writable".to_string(),
        ),
    }
    SandboxInfo {
        landlock_abi,
        seccomp,
        seatbelt: false,
        user_namespaces,
        available: landlock_abi.is_some() && seccomp,
        limitations,
    }
}

/// `tack-sidecar probe-userns`: can this machine give us the namespaces and mounts the sandbox
/// uses? Exit code PROBE_FULL, PROBE_NO_READ_ONLY_TREE, PROBE_NO_PROC, or 1 (no namespaces).
pub fn probe_namespaces() -> i32 {
    if enter_namespaces().is_err() {
        return 1;
    }
    match unsafe { libc::fork() } {
        -1 => 1,
        0 => {
            let code = if mount_proc().is_err() {
                PROBE_NO_PROC
            } else if set_mount_attr(Path::new("/"), true, libc::MOUNT_ATTR_RDONLY, 0).is_err() {
                PROBE_NO_READ_ONLY_TREE
            } else {
                PROBE_FULL
            };
            unsafe { libc::_exit(code) }
        }
        pid => {
            let mut status = 0;
            while unsafe { libc::waitpid(pid, &mut status, 0) } < 0 {
                if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
                    return 1;
                }
            }
            if libc::WIFEXITED(status) {
                libc::WEXITSTATUS(status)
            } else {
                1
            }
        }
    }
}

/// Enter a new user + mount + PID namespace, keeping our uid/gid mapped to themselves so files keep
/// their owners, with mounts private so nothing we do leaks to the host. Our next child is PID 1.
fn enter_namespaces() -> Result<(), String> {
    let uid = nix::unistd::getuid();
    let gid = nix::unistd::getgid();
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID)
        .map_err(|e| format!("cannot create user, mount and PID namespaces: {e}"))?;
    // Unprivileged gid_map writes require setgroups to be denied first.
    let _ = std::fs::write("/proc/self/setgroups", "deny");
    std::fs::write("/proc/self/uid_map", format!("{uid} {uid} 1\n"))
        .map_err(|e| format!("cannot write uid_map: {e}"))?;
    std::fs::write("/proc/self/gid_map", format!("{gid} {gid} 1\n"))
        .map_err(|e| format!("cannot write gid_map: {e}"))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_PRIVATE,
        None::<&str>,
    )
    .map_err(|e| format!("cannot make mounts private: {e}"))?;
    Ok(())
}

fn mount_proc() -> Result<(), String> {
    mount(
        Some("proc"),
        "/proc",
        Some("proc"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(|e| format!("cannot mount /proc: {e}"))
}

#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// mount_setattr(2) on the mount at `path` (and every mount below it when `recursive`).
fn set_mount_attr(path: &Path, recursive: bool, set: u64, clear: u64) -> Result<(), i32> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
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
            c.as_ptr(),
            flags as libc::c_uint,
            &attr as *const MountAttr,
            std::mem::size_of::<MountAttr>(),
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO))
    }
}

fn bind_self(path: &Path) -> Result<(), String> {
    mount(
        Some(path),
        path,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("cannot bind-mount {}: {e}", path.display()))
}

/// What the launcher works out before it changes anything.
struct Plan {
    /// Canonical writable roots and the temp dir (workspace-write only).
    writable: Vec<PathBuf>,
    /// Every `.git` (and gitfile target) to keep read-only, and each protected directory (Tack's
    /// own) that lies inside a writable root or the temp dir.
    gits: Vec<PathBuf>,
    /// The command's own terminal (`/dev/pts/N`), when it has one.
    own_tty: Vec<PathBuf>,
}

fn plan(spec: &LaunchSpec) -> Result<Plan, String> {
    let mut writable = Vec::new();
    let mut gits = Vec::new();
    if spec.mode == SandboxMode::WorkspaceWrite {
        let mut roots = Vec::new();
        for r in &spec.writable_roots {
            let c = r
                .canonicalize()
                .map_err(|e| format!("writable root {}: {e}", r.display()))?;
            if !c.is_dir() {
                return Err(format!("writable root {} is not a directory", r.display()));
            }
            roots.push(c);
        }
        let temp = match &spec.temp_dir {
            Some(t) => Some(
                t.canonicalize()
                    .map_err(|e| format!("temp dir {}: {e}", t.display()))?,
            ),
            None => None,
        };
        // The sidecar passes what its own scan found just before; a launcher started by hand
        // scans itself.
        gits = match &spec.git_entries {
            Some(entries) => git_guard::protect_targets(entries),
            None => {
                git_guard::protect_targets(git_guard::scan(&roots, temp.as_slice()).entries.keys())
            }
        };
        writable = roots;
        writable.extend(temp);
        for dir in &spec.protected_dirs {
            let Ok(c) = dir.canonicalize() else { continue };
            if writable.iter().any(|w| c.starts_with(w)) && !gits.contains(&c) {
                gits.push(c);
            }
        }
    }
    let mut own_tty = Vec::new();
    for fd in 0..3 {
        if let Ok(p) = std::fs::read_link(format!("/proc/self/fd/{fd}")) {
            let is_pts = p
                .strip_prefix("/dev/pts")
                .is_ok_and(|rest| rest.as_os_str().as_bytes().iter().all(u8::is_ascii_digit));
            if is_pts && !own_tty.contains(&p) {
                own_tty.push(p);
            }
        }
    }
    Ok(Plan {
        writable,
        gits,
        own_tty,
    })
}

pub fn launch(spec: &LaunchSpec) -> LaunchError {
    // Whatever happens to the sidecar, the command does not outlive it.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return LaunchError::setup(format!("no_new_privs: {}", std::io::Error::last_os_error()));
    }
    if landlock_abi().is_none() {
        return LaunchError::setup("Landlock is not available in this kernel".into());
    }
    let plan = match plan(spec) {
        Ok(p) => p,
        Err(e) => return LaunchError::setup(e),
    };
    match enter_namespaces() {
        Ok(()) => supervise(spec, &plan),
        Err(e) => {
            if spec.mode == SandboxMode::WorkspaceWrite && !plan.gits.is_empty() {
                // Said out loud (the command's output shows it) rather than failing the command.
                eprintln!("tack-sandbox: warning: {e}; .git directories (and Tack's own directory, if inside the workspace) stay writable");
            }
            match confine(spec, &plan, false) {
                Ok(()) => exec_plain(&spec.argv),
                Err(e) => LaunchError::setup(e),
            }
        }
    }
}

fn pipe() -> Result<[libc::c_int; 2], String> {
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("pipe: {}", std::io::Error::last_os_error()));
    }
    Ok(fds)
}

extern "C" fn ignore_signal(_: libc::c_int) {}

/// Signals the launcher outlives: they reach the command directly (same process group), and the
/// launcher must stay to report how the command ended.
const FORWARDED_BY_GROUP: [libc::c_int; 4] =
    [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// The launcher's side after entering the namespaces: fork the namespace's init, wait for the
/// command's status from it, and end the same way.
fn supervise(spec: &LaunchSpec, plan: &Plan) -> LaunchError {
    let (status_pipe, life_pipe) = match (pipe(), pipe()) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return LaunchError::setup(e),
    };
    let init = unsafe { libc::fork() };
    if init < 0 {
        return LaunchError::setup(format!("fork: {}", std::io::Error::last_os_error()));
    }
    if init == 0 {
        unsafe {
            libc::close(status_pipe[0]);
            libc::close(life_pipe[1]);
            // If the launcher dies, so does init, and with it the whole namespace.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            let mut p = libc::pollfd {
                fd: life_pipe[0],
                events: libc::POLLIN,
                revents: 0,
            };
            if libc::poll(&mut p, 1, 0) > 0 {
                // The launcher is already gone (the write end hung up).
                libc::_exit(1);
            }
        }
        let code = run_init(spec, plan, status_pipe[1]);
        unsafe { libc::_exit(code) }
    }
    unsafe {
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
        if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
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

/// Ends this process the way a process with wait status `status` ended.
fn end_like(status: i32) -> ! {
    if libc::WIFSIGNALED(status) {
        let sig = libc::WTERMSIG(status);
        unsafe {
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
        }
        std::process::exit(128 + sig);
    }
    std::process::exit(if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        1
    })
}

/// PID 1 of the command's namespace. Returns init's exit code; the command's status goes to
/// `status_fd`.
fn run_init(spec: &LaunchSpec, plan: &Plan, status_fd: libc::c_int) -> i32 {
    let send = |status: i32| unsafe {
        libc::write(status_fd, status.to_ne_bytes().as_ptr().cast(), 4);
    };
    let private_pts = match set_up_mounts(plan) {
        Ok(p) => p,
        Err(e) => {
            let err = LaunchError::setup(e);
            eprintln!("tack-sidecar sandbox: {}", err.message);
            send(err.exit_code << 8);
            return err.exit_code;
        }
    };
    let cmd = unsafe { libc::fork() };
    if cmd < 0 {
        eprintln!(
            "tack-sidecar sandbox: sandbox setup failed, not running the command: fork: {}",
            std::io::Error::last_os_error()
        );
        send(126 << 8);
        return 126;
    }
    if cmd == 0 {
        unsafe { libc::close(status_fd) };
        let err = match confine(spec, plan, private_pts) {
            Ok(()) => exec_plain(&spec.argv),
            Err(e) => LaunchError::setup(e),
        };
        eprintln!("tack-sidecar sandbox: {}", err.message);
        unsafe { libc::_exit(err.exit_code) }
    }
    // Reap everything handed to us until the command itself ends; returning ends the namespace.
    loop {
        let mut status = 0;
        let r = unsafe { libc::waitpid(-1, &mut status, 0) };
        if r == cmd {
            send(status);
            return 0;
        }
        if r < 0 && std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            send(libc::SIGKILL);
            return 1;
        }
    }
}

/// Ok(whether /dev/pts is the private instance).
fn set_up_mounts(plan: &Plan) -> Result<bool, String> {
    // The working directory still points into the mounts it was opened on: enter it again once
    // the new mounts are in place (a writable root is a new mount over the old, now read-only).
    let cwd = std::env::current_dir().ok();
    let r = mount_all(plan);
    if let Some(cwd) = cwd {
        let _ = std::env::set_current_dir(cwd);
    }
    r
}

fn mount_all(plan: &Plan) -> Result<bool, String> {
    // Without a fresh /proc the command sees the machine's processes; it still cannot signal or
    // trace them (Landlock), so this one is not fatal (the probe reports it).
    let _ = mount_proc();
    // No nested user namespace: in one, a capability-less uid 0 (mapped to 0 again) would hold
    // CAP_DAC_OVERRIDE and the like over root-owned files anew. The limit is this namespace's own
    // and holds for everything below it.
    let _ = std::fs::write("/proc/sys/user/max_user_namespaces", "0");
    // Everything read-only, then the writable areas back. Old kernels without mount_setattr keep
    // the tree as it is (the probe reports it); Landlock still refuses writes there.
    let tree_ro = set_mount_attr(Path::new("/"), true, libc::MOUNT_ATTR_RDONLY, 0).is_ok();
    if tree_ro {
        for w in &plan.writable {
            bind_self(w)?;
            match set_mount_attr(w, false, 0, libc::MOUNT_ATTR_RDONLY) {
                // A mount the host made read-only stays read-only (the kernel locks it).
                Ok(()) | Err(libc::EPERM) => {}
                Err(e) => {
                    return Err(format!(
                        "cannot make {} writable: {}",
                        w.display(),
                        std::io::Error::from_raw_os_error(e)
                    ))
                }
            }
        }
    }
    // Without a private instance, Landlock grants only the command's own terminal in /dev/pts
    // (nested PTYs then cannot open their other end); never the machine's other terminals.
    let private_pts = private_terminals(&plan.own_tty).is_ok();
    for g in &plan.gits {
        if g.symlink_metadata().is_err() {
            continue; // gone since the scan
        }
        bind_self(g)?;
        set_mount_attr(g, true, libc::MOUNT_ATTR_RDONLY, 0).map_err(|e| {
            format!(
                "cannot make {} read-only: {}",
                g.display(),
                std::io::Error::from_raw_os_error(e)
            )
        })?;
    }
    Ok(private_pts)
}

/// A fresh devpts instance on /dev/pts (with /dev/ptmx leading to it), so no other terminal of the
/// machine is there and nested PTYs still work; the command's own terminal is bound back under
/// its name (`tty`, ttyname() keep working). Binding needs a node of that name in the new instance:
/// a placeholder PTY of the same index, held open by init for the command's life.
fn private_terminals(own: &[PathBuf]) -> Result<(), String> {
    use std::os::fd::{AsRawFd, OwnedFd};
    let opened: Vec<(PathBuf, OwnedFd)> = own
        .iter()
        .filter_map(|p| {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_PATH | libc::O_CLOEXEC)
                .open(p)
                .ok()?;
            Some((p.clone(), OwnedFd::from(f)))
        })
        .collect();
    mount(
        Some("devpts"),
        "/dev/pts",
        Some("devpts"),
        MsFlags::MS_NOSUID | MsFlags::MS_NOEXEC,
        Some("newinstance,ptmxmode=0666,mode=0620"),
    )
    .map_err(|e| format!("cannot mount a private /dev/pts: {e}"))?;
    mount(
        Some("/dev/pts/ptmx"),
        "/dev/ptmx",
        None::<&str>,
        MsFlags::MS_BIND,
        None::<&str>,
    )
    .map_err(|e| format!("cannot bind /dev/ptmx: {e}"))?;
    for (path, fd) in opened {
        let Some(index) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|i| *i < 4096)
        else {
            continue;
        };
        let mut spare = Vec::new();
        let mut held = None;
        while held.is_none() && spare.len() <= index as usize {
            let Ok(m) = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
                .open("/dev/ptmx")
            else {
                break;
            };
            let mut n: libc::c_uint = 0;
            if unsafe { libc::ioctl(m.as_raw_fd(), libc::TIOCGPTN, &mut n) } != 0 {
                break;
            }
            if n == index {
                held = Some(m);
            } else {
                spare.push(m);
            }
        }
        drop(spare);
        let Some(held) = held else { continue };
        mount(
            Some(Path::new(&format!("/proc/self/fd/{}", fd.as_raw_fd()))),
            &path,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| format!("cannot bind the terminal {}: {e}", path.display()))?;
        // init never execs: the placeholder stays open until the command's namespace ends.
        std::mem::forget(held);
    }
    Ok(())
}

/// Everything that happens in the command's own process before exec.
fn confine(spec: &LaunchSpec, plan: &Plan, private_pts: bool) -> Result<(), String> {
    drop_capabilities()?;
    apply_landlock(spec, plan, private_pts)?;
    apply_seccomp(spec.network)
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

fn capget() -> Result<[CapData; 2], String> {
    let mut h = CapHeader {
        version: CAP_VERSION_3,
        pid: 0,
    };
    let mut d = [CapData::default(); 2];
    if unsafe { libc::syscall(libc::SYS_capget, &mut h, d.as_mut_ptr()) } != 0 {
        return Err(format!("capget: {}", std::io::Error::last_os_error()));
    }
    Ok(d)
}

/// Drops every capability with no way back, then checks that none is left.
fn drop_capabilities() -> Result<(), String> {
    let before = capget()?;
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
            return Err(format!(
                "cannot lock securebits: {}",
                std::io::Error::last_os_error()
            ));
        }
        for cap in 0..64 {
            if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0) } != 0 {
                // EINVAL: past the last capability this kernel knows.
                if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
                    break;
                }
                return Err(format!(
                    "cannot drop capability {cap} from the bounding set: {}",
                    std::io::Error::last_os_error()
                ));
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
        return Err(format!(
            "cannot drop capabilities: {}",
            std::io::Error::last_os_error()
        ));
    }
    let after = capget()?;
    if after
        .iter()
        .any(|d| d.effective | d.permitted | d.inheritable != 0)
    {
        return Err("capabilities are still held after dropping them".into());
    }
    Ok(())
}

/// Files in /dev a command may read; of those, the ones it may also write are `DEV_WRITABLE`.
/// (`/dev/fd`, `/dev/stdin` and the like are symlinks: Landlock checks what they lead to.)
const DEV_READABLE: [&str; 8] = [
    "null", "zero", "full", "random", "urandom", "tty", "ptmx", "shm",
];
const DEV_WRITABLE: [&str; 5] = ["null", "zero", "full", "tty", "ptmx"];

fn apply_landlock(spec: &LaunchSpec, plan: &Plan, private_pts: bool) -> Result<(), String> {
    let abi = ABI::V5;
    let err = |e: landlock::RulesetError| format!("Landlock: {e}");
    // Reading is allowed everywhere except in /dev, where only the listed entries and the
    // command's own terminal are reachable (not another terminal's /dev/pts/N, not consoles).
    let mut read: Vec<PathBuf> = Vec::new();
    if let Ok(rd) = std::fs::read_dir("/") {
        for e in rd.flatten() {
            if e.file_name() == "dev" {
                continue;
            }
            // A dangling symlink (say /lib64 on some systems) cannot take a rule; a top-level link
            // into /dev must not grant what the /dev list leaves out. Only links are resolved (the
            // entry's type comes with the listing): anything else directly below / is itself.
            let keep = match e.file_type() {
                Ok(t) if t.is_symlink() => e
                    .path()
                    .canonicalize()
                    .is_ok_and(|c| !c.starts_with("/dev")),
                Ok(_) => true,
                Err(_) => false,
            };
            if keep {
                read.push(e.path());
            }
        }
    }
    let existing = |names: &[&str]| -> Vec<PathBuf> {
        names
            .iter()
            .map(|n| Path::new("/dev").join(n))
            .filter(|p| p.exists())
            .collect()
    };
    let dev_read = existing(&DEV_READABLE);
    let mut dev_write = existing(&DEV_WRITABLE);
    dev_write.extend(plan.own_tty.iter().filter(|p| p.exists()).cloned());
    if private_pts {
        // The private instance: the command's own terminal and the PTYs it opens itself.
        dev_write.push(PathBuf::from("/dev/pts"));
    }
    let writable: &[PathBuf] = if spec.mode == SandboxMode::WorkspaceWrite {
        &plan.writable
    } else {
        &[]
    };
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .map_err(err)?
        // Best effort: kernels before ABI 6 have no scopes (the probe says so).
        .scope(Scope::from_all(ABI::V6))
        .map_err(err)?
        .create()
        .map_err(err)?
        // Listing any directory (names only) stays possible, "/" and "/dev" included.
        .add_rules(path_beneath_rules(["/"], BitFlags::from(AccessFs::ReadDir)))
        .map_err(err)?
        .add_rules(path_beneath_rules(&read, AccessFs::from_read(abi)))
        .map_err(err)?
        .add_rules(path_beneath_rules(&dev_read, AccessFs::from_read(abi)))
        .map_err(err)?
        // Only file rights here, so nobody can create files in /dev.
        .add_rules(path_beneath_rules(&dev_write, AccessFs::from_file(abi)))
        .map_err(err)?
        .add_rules(path_beneath_rules(writable, AccessFs::from_all(abi)))
        .map_err(err)?
        .restrict_self()
        .map_err(err)?;
    if status.ruleset == RulesetStatus::NotEnforced {
        return Err("Landlock is not enforced by this kernel".into());
    }
    Ok(())
}

/// Terminal ioctls that put bytes into a terminal's input (the generic numbers; x86 and arm agree).
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541C;

fn apply_seccomp(network: bool) -> Result<(), String> {
    let err = |e: seccompiler::Error| format!("seccomp: {e}");
    let backend = |e: seccompiler::BackendError| format!("seccomp: {e}");
    let cond = |arg, len, op, v| SeccompCondition::new(arg, len, op, v).map_err(backend);
    let rule = |c: Vec<SeccompCondition>| SeccompRule::new(c).map_err(backend);
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    // Typing into a terminal's input queue (another program reads it as if the user typed it).
    rules.insert(
        libc::SYS_ioctl,
        vec![
            rule(vec![cond(
                1,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Eq,
                TIOCSTI,
            )?])?,
            rule(vec![cond(
                1,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Eq,
                TIOCLINUX,
            )?])?,
        ],
    );
    if !network {
        // Only AF_UNIX stream/seqpacket sockets: they can reach nothing without connect(), and
        // sendmsg on them cannot name an address (a datagram socket could send to any path).
        let only_unix_streams = || -> Result<Vec<SeccompRule>, String> {
            let mut v = vec![rule(vec![cond(
                0,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::Ne,
                libc::AF_UNIX as u64,
            )?])?];
            for t in 0..16u64 {
                if t != libc::SOCK_STREAM as u64 && t != libc::SOCK_SEQPACKET as u64 {
                    v.push(rule(vec![cond(
                        1,
                        SeccompCmpArgLen::Dword,
                        SeccompCmpOp::MaskedEq(0xf),
                        t,
                    )?])?);
                }
            }
            Ok(v)
        };
        rules.insert(libc::SYS_socket, only_unix_streams()?);
        rules.insert(libc::SYS_socketpair, only_unix_streams()?);
        // No unix socket outside (a pathname one: an ssh agent, the docker socket) is reachable.
        rules.insert(libc::SYS_connect, vec![]);
        rules.insert(
            libc::SYS_sendto,
            vec![rule(vec![cond(
                4,
                SeccompCmpArgLen::Qword,
                SeccompCmpOp::Ne,
                0,
            )?])?],
        );
        // io_uring can open sockets and connect without the syscalls above.
        rules.insert(libc::SYS_io_uring_setup, vec![]);
    }
    let arch: TargetArch = std::env::consts::ARCH.try_into().map_err(backend)?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(backend)?;
    let rules: BpfProgram = filter.try_into().map_err(backend)?;
    // One program (one filter to attach and JIT, one to run on every syscall the command makes):
    // on x86_64 the x32 check first, then the rules.
    #[cfg(target_arch = "x86_64")]
    let program: BpfProgram = no_x32_syscalls().into_iter().chain(rules).collect();
    #[cfg(not(target_arch = "x86_64"))]
    let program = rules;
    seccompiler::apply_filter(&program).map_err(err)?;
    Ok(())
}

/// On kernels built with the x32 ABI, an x86_64 process can make any syscall with bit 30 set in its
/// number (`socket` as 0x40000029), which the rules, written for the x86_64 numbers, never match.
/// These instructions go in front of the rules' program: an x32 number is refused there, anything
/// else falls through to the rules (which check the architecture again themselves). The jumps are
/// relative, so the rules' own jumps are unchanged by the prefix.
#[cfg(target_arch = "x86_64")]
fn no_x32_syscalls() -> BpfProgram {
    use seccompiler::sock_filter;
    const AUDIT_ARCH_X86_64: u32 = 62 | 0x8000_0000 | 0x4000_0000;
    const X32_SYSCALL_BIT: u32 = 0x4000_0000;
    const SECCOMP_RET_ERRNO: u32 = 0x0005_0000;
    let op = |code: u32, jt: u8, jf: u8, k: u32| sock_filter {
        code: code as u16,
        jt,
        jf,
        k,
    };
    let ld_abs = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
    let jeq = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
    let jge = libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K;
    let ret = libc::BPF_RET | libc::BPF_K;
    vec![
        op(ld_abs, 0, 0, 4), // seccomp_data.arch
        op(jeq, 0, 3, AUDIT_ARCH_X86_64),
        op(ld_abs, 0, 0, 0), // seccomp_data.nr
        op(jge, 0, 1, X32_SYSCALL_BIT),
        op(ret, 0, 0, SECCOMP_RET_ERRNO | libc::EPERM as u32),
        // Not x32 (or another architecture): on to the rules that follow.
    ]
}
