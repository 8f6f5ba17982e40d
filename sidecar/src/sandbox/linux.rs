//! Linux sandbox. Every sandboxed command goes through these steps, in this order (see
//! linux_start.rs: the sidecar prepares them and runs them in the process it forks for the
//! command, with no exec in between; the launcher binary, `tack-sidecar sandbox ...`, runs the same
//! steps in its own process):
//!
//! 1. `PR_SET_PDEATHSIG` (dies with the sidecar) and `no_new_privs`.
//! 2. Enters a new user + mount + PID namespace (uid/gid mapped to themselves) and forks. The child
//!    is PID 1 of the new namespace: a tiny init that sets up the mounts, forks the command, reaps
//!    whatever it inherits and exits with the command's status; the kernel then kills everything
//!    left in the namespace (`setsid`/`nohup`/`&` leftovers included). The first process itself
//!    waits for that status and ends the same way (exit code or signal), so the sidecar sees the
//!    command's.
//! 3. Mounts (init): a fresh /proc (outside pids invisible), the whole tree read-only (chmod, chown,
//!    utimes and xattrs outside the roots fail with EROFS), the writable roots and the temp dir bound
//!    back read-write, and every `.git` (see git_guard) bound read-only again.
//! 4. In the command's process: every capability dropped for good (bounding, ambient, effective,
//!    permitted, inheritable, and securebits NOROOT|NO_SETUID_FIXUP|NO_CAP_AMBIENT_RAISE locked), so
//!    root inside has no more power than any user; Landlock (files, plus signal and abstract unix
//!    socket scoping where the kernel has ABI 6); seccomp (no TIOCSTI/TIOCLINUX; without network: no
//!    socket but AF_UNIX stream/seqpacket, no connect, no sendto with an address, no io_uring).
//! 5. exec.
//!
//! Without user namespaces the command still drops capabilities and applies Landlock and seccomp,
//! but has no PID namespace, no read-only tree and no `.git` mounts (the probe says so).
use super::linux_start::{Prepared, Program};
use super::{git_guard, LaunchError, LaunchSpec};
use crate::protocol::{SandboxInfo, SandboxMode};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
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
    let (uid_map, gid_map) = super::linux_start::id_maps();
    if super::linux_start::enter_namespaces(&uid_map, &gid_map).is_err() {
        return 1;
    }
    match unsafe { libc::fork() } {
        -1 => 1,
        0 => {
            let code = if super::linux_start::mount_proc().is_err() {
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

/// mount_setattr(2) on the mount at `path` (and every mount below it when `recursive`).
fn set_mount_attr(path: &Path, recursive: bool, set: u64, clear: u64) -> Result<(), i32> {
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| libc::EINVAL)?;
    super::linux_start::set_mount_attr(c.as_ptr(), recursive, set, clear)
}

/// What the launcher works out before it changes anything.
pub(super) struct Plan {
    /// Canonical writable roots and the temp dir (workspace-write only).
    pub(super) writable: Vec<PathBuf>,
    /// Every `.git` (and gitfile target) to keep read-only, and each protected directory (Tack's
    /// own) that lies inside a writable root or the temp dir.
    pub(super) gits: Vec<PathBuf>,
    /// The command's own terminal (`/dev/pts/N`), when it has one.
    pub(super) own_tty: Vec<PathBuf>,
}

pub(super) fn plan(spec: &LaunchSpec, own_tty: Vec<PathBuf>) -> Result<Plan, String> {
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
    let mut own_tty = Vec::new();
    for fd in 0..3 {
        if let Some(p) = std::fs::read_link(format!("/proc/self/fd/{fd}"))
            .ok()
            .and_then(super::linux_start::pts_path)
        {
            if !own_tty.contains(&p) {
                own_tty.push(p);
            }
        }
    }
    match Prepared::new(spec, Program::Search, None, own_tty, false) {
        // SAFETY: the launcher binary has one thread.
        Ok(prepared) => unsafe { prepared.start() },
        Err(e) => LaunchError::setup(e),
    }
}

/// Terminal ioctls that put bytes into a terminal's input (the generic numbers; x86 and arm agree).
const TIOCSTI: u64 = 0x5412;
const TIOCLINUX: u64 = 0x541C;

/// The seccomp program of a sandboxed command: one filter (on x86_64 the x32 refusal in front).
pub(super) fn seccomp_program(network: bool) -> Result<Vec<seccompiler::sock_filter>, String> {
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
    Ok(program)
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
