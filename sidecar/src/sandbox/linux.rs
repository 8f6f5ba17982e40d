//! Linux sandbox: no_new_privs, Landlock for the filesystem, seccomp for network sockets, and a
//! private user + mount namespace in which each writable root's `.git` is re-mounted read-only.
use super::{exec_plain, temp_dir, LaunchError, LaunchSpec};
use crate::protocol::{SandboxInfo, SandboxMode};
use landlock::{
    path_beneath_rules, Access, AccessFs, Ruleset, RulesetAttr, RulesetCreatedAttr, RulesetStatus,
    ABI,
};
use nix::mount::{mount, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::statvfs::{statvfs, FsFlags};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
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

pub fn probe() -> SandboxInfo {
    let landlock_abi = landlock_abi();
    let seccomp = seccomp_available();
    // Namespaces are tried in a throw-away child: unshare(CLONE_NEWUSER) needs a single thread.
    let user_namespaces = Command::new(super::self_exe())
        .arg("probe-userns")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
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
    if !user_namespaces {
        limitations.push(
            "unprivileged user namespaces are not available: in workspace-write a root's .git stays writable".to_string(),
        );
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

/// Enter a new user + mount namespace, keeping our uid/gid mapped to themselves so files keep
/// their owners, with mounts private so nothing we do leaks to the host.
pub fn enter_user_and_mount_namespace() -> Result<(), String> {
    let uid = nix::unistd::getuid();
    let gid = nix::unistd::getgid();
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS)
        .map_err(|e| format!("cannot create a user namespace: {e}"))?;
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

fn bind_read_only(path: &Path) -> Result<(), String> {
    mount(
        Some(path),
        path,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("cannot bind-mount {}: {e}", path.display()))?;
    // A remount inside a user namespace must keep the flags the kernel locked on the original mount.
    let locked = statvfs(path).map(|s| s.flags()).unwrap_or(FsFlags::empty());
    let mut flags = MsFlags::MS_BIND | MsFlags::MS_REMOUNT | MsFlags::MS_RDONLY;
    for (st, ms) in [
        (FsFlags::ST_NOSUID, MsFlags::MS_NOSUID),
        (FsFlags::ST_NODEV, MsFlags::MS_NODEV),
        (FsFlags::ST_NOEXEC, MsFlags::MS_NOEXEC),
        (FsFlags::ST_NOATIME, MsFlags::MS_NOATIME),
        (FsFlags::ST_NODIRATIME, MsFlags::MS_NODIRATIME),
        (FsFlags::ST_RELATIME, MsFlags::MS_RELATIME),
    ] {
        if locked.contains(st) {
            flags |= ms;
        }
    }
    mount(None::<&str>, path, None::<&str>, flags, None::<&str>)
        .map_err(|e| format!("cannot make {} read-only: {e}", path.display()))
}

fn protect_git(roots: &[PathBuf]) -> Result<(), String> {
    let gits: Vec<PathBuf> = roots
        .iter()
        .map(|r| r.join(".git"))
        .filter(|g| g.symlink_metadata().is_ok())
        .collect();
    if gits.is_empty() {
        return Ok(());
    }
    enter_user_and_mount_namespace()?;
    for g in &gits {
        bind_read_only(g)?;
    }
    Ok(())
}

fn apply_landlock(spec: &LaunchSpec, roots: &[PathBuf]) -> Result<(), String> {
    let abi = ABI::V5;
    let err = |e: landlock::RulesetError| format!("Landlock: {e}");
    let mut writable: Vec<PathBuf> = Vec::new();
    if spec.mode == SandboxMode::WorkspaceWrite {
        writable.extend(roots.iter().cloned());
        writable.push(temp_dir());
    }
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .map_err(err)?
        .create()
        .map_err(err)?
        .add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi)))
        .map_err(err)?
        // Only file rights here, so nobody can create files in /dev or /dev/pts.
        .add_rules(path_beneath_rules(
            ["/dev/null", "/dev/tty", "/dev/pts", "/dev/ptmx"],
            AccessFs::from_file(abi),
        ))
        .map_err(err)?
        .add_rules(path_beneath_rules(&writable, AccessFs::from_all(abi)))
        .map_err(err)?
        .restrict_self()
        .map_err(err)?;
    if status.ruleset == RulesetStatus::NotEnforced {
        return Err("Landlock is not enforced by this kernel".into());
    }
    Ok(())
}

fn deny_network() -> Result<(), String> {
    let err = |e: seccompiler::Error| format!("seccomp: {e}");
    let only_unix = || -> Result<Vec<SeccompRule>, seccompiler::Error> {
        Ok(vec![SeccompRule::new(vec![SeccompCondition::new(
            0,
            SeccompCmpArgLen::Dword,
            SeccompCmpOp::Ne,
            libc::AF_UNIX as u64,
        )?])?])
    };
    let rules = [
        (libc::SYS_socket, only_unix().map_err(err)?),
        (libc::SYS_socketpair, only_unix().map_err(err)?),
        // io_uring can open sockets without the socket() syscall.
        (libc::SYS_io_uring_setup, vec![]),
    ]
    .into_iter()
    .collect();
    let arch: TargetArch = std::env::consts::ARCH
        .try_into()
        .map_err(|e: seccompiler::BackendError| format!("seccomp: {e}"))?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )
    .map_err(|e| format!("seccomp: {e}"))?;
    let program: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| format!("seccomp: {e}"))?;
    seccompiler::apply_filter(&program).map_err(err)
}

pub fn launch(spec: &LaunchSpec) -> LaunchError {
    match lock_down(spec) {
        Ok(()) => exec_plain(&spec.argv),
        Err(e) => LaunchError::setup(e),
    }
}

fn lock_down(spec: &LaunchSpec) -> Result<(), String> {
    // Whatever happens to the sidecar, the command does not outlive it.
    unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) };
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(format!("no_new_privs: {}", std::io::Error::last_os_error()));
    }
    if landlock_abi().is_none() {
        return Err("Landlock is not available in this kernel".into());
    }
    let mut roots = Vec::new();
    if spec.mode == SandboxMode::WorkspaceWrite {
        for r in &spec.writable_roots {
            let c = r
                .canonicalize()
                .map_err(|e| format!("writable root {}: {e}", r.display()))?;
            if !c.is_dir() {
                return Err(format!("writable root {} is not a directory", r.display()));
            }
            roots.push(c);
        }
        if let Err(e) = protect_git(&roots) {
            // Said out loud (the command's output shows it) rather than failing the command.
            eprintln!("tack-sandbox: warning: {e}; .git directories stay writable");
        }
    }
    apply_landlock(spec, &roots)?;
    if !spec.network {
        deny_network()?;
    }
    Ok(())
}
