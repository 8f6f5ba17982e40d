//! One running command: how it is started (a portable-pty PTY or pipes, own session and process
//! group, filtered environment, optional sandbox launcher in front), how its output is pumped out, and
//! how it ends.
use crate::child_env;
use crate::output::{HeadTail, Utf8Stream};
use crate::protocol::{
    codes, ExecExitedNotification, ExecStartParams, OutputStream, SandboxInfo, SandboxMode,
};
use crate::sandbox::{self, git_guard, LaunchSpec};
use crate::tree::{End, Tree};
use portable_pty::{native_pty_system, CommandBuilder, MasterPty, PtySize};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
#[cfg(unix)]
use std::os::fd::RawFd;
#[cfg(unix)]
use std::os::unix::process::ExitStatusExt;
#[cfg(windows)]
use std::os::windows::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot, Mutex as AsyncMutex, Notify};
use tokio::time::{sleep_until, Instant};

pub const DEFAULT_OUTPUT_LIMIT: u64 = 1024 * 1024;
/// A notification is sent once this much text is waiting...
const FLUSH_BYTES: usize = 128 * 1024;
/// ...or this long after the first byte of it arrived.
const FLUSH_DELAY: Duration = Duration::from_millis(4);
const READ_CHUNK: usize = 128 * 1024;
/// The kernel buffer asked for a pipe command's stdout and stderr (Linux; best effort): a producer
/// that writes faster than it is read runs longer between waits, so both sides switch less.
#[cfg(target_os = "linux")]
const PIPE_BUFFER: i32 = 1024 * 1024;
/// Chunks in flight between the PTY pump thread and the runner: when full, the pump stops reading.
const CHUNK_QUEUE: usize = 4;
/// Between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_millis(1000);
/// After the command exits, how long its leftovers may keep the output open.
const LINGER: Duration = Duration::from_millis(200);
/// After the final SIGKILL, how long we wait for output to close before giving up on it.
const ABANDON_AFTER: Duration = Duration::from_millis(500);

/// A JSON-RPC error as the handlers produce it.
#[derive(Debug)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
    pub reason: Option<&'static str>,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            reason: None,
        }
    }
    pub fn with_reason(code: i64, reason: &'static str, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
            reason: Some(reason),
        }
    }
}

type PtyWriter = Arc<std::sync::Mutex<Box<dyn Write + Send>>>;
type PtyMaster = Arc<std::sync::Mutex<Box<dyn MasterPty + Send>>>;

enum Input {
    Pty(PtyWriter),
    Pipe(Option<tokio::process::ChildStdin>),
}

/// The handle the request handlers use while the command runs.
pub struct ExecControl {
    /// The command's pid (on Unix also its process group id): its key in the children registry.
    pub pgid: i32,
    /// Everything the command started, to end it all at once.
    tree: Tree,
    input: AsyncMutex<Input>,
    /// The PTY master again, so a resize never waits behind a write the command is not reading.
    terminal: Option<PtyMaster>,
    kill: Notify,
    /// What is let go of only after exec/exited went out: a sandboxed command's hold on its
    /// mount namespace (sandbox::DirectChild::take_mount_namespace), so the namespace's teardown
    /// is not on the way to the notification.
    #[cfg(target_os = "linux")]
    leftover: std::sync::Mutex<Option<std::os::fd::OwnedFd>>,
}

impl ExecControl {
    pub async fn write(&self, data: &[u8], eof: bool) -> Result<(), String> {
        let mut input = self.input.lock().await;
        match &mut *input {
            Input::Pty(writer) => {
                // The PTY writer blocks while the command is not reading: keep that off the runtime.
                let writer = writer.clone();
                let mut data = data.to_vec();
                if eof {
                    // Ctrl-D at the start of a line is end-of-file for the terminal's reader.
                    data.push(0x04);
                }
                tokio::task::spawn_blocking(move || {
                    let mut w = writer.lock().unwrap_or_else(|e| e.into_inner());
                    w.write_all(&data).and_then(|()| w.flush())
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| format!("cannot write to the terminal: {e}"))
            }
            Input::Pipe(stdin) => {
                let pipe = stdin
                    .as_mut()
                    .ok_or("stdin of this command was already closed")?;
                pipe.write_all(data).await.map_err(|e| e.to_string())?;
                pipe.flush().await.map_err(|e| e.to_string())?;
                if eof {
                    *stdin = None;
                }
                Ok(())
            }
        }
    }

    pub fn resize(&self, cols: u16, rows: u16) -> Result<(), RpcError> {
        match &self.terminal {
            Some(master) => master
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .resize(pty_size(cols, rows))
                .map_err(|e| {
                    RpcError::new(codes::IO_FAILED, format!("cannot resize the terminal: {e}"))
                }),
            None => Err(RpcError::new(
                codes::INVALID_PARAMS,
                "this command runs with pipes (tty: false); there is no terminal to resize",
            )),
        }
    }

    pub fn request_kill(&self) {
        self.kill.notify_one();
    }

    /// Ends the command's whole process tree (used at shutdown).
    pub fn end_tree(&self, how: End) {
        self.tree.end(how);
    }
}

impl Drop for ExecControl {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(held) = self.leftover.get_mut().ok().and_then(|l| l.take()) {
            // Closing the last reference unmounts the namespace's tree: off the async threads.
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => drop(rt.spawn_blocking(move || drop(held))),
                Err(_) => drop(held),
            }
        }
        // portable-pty's writer sends "\n" + EOF when dropped, a write that can block if something
        // still holds the terminal without reading it: let that happen off the runtime.
        if let Input::Pty(writer) = std::mem::replace(self.input.get_mut(), Input::Pipe(None)) {
            let _ = std::thread::Builder::new()
                .name("pty-writer-close".into())
                .spawn(move || drop(writer));
        }
    }
}

/// Tack's own directory, made to exist (private) so that a command cannot create it first: the
/// launcher keeps it read-only when it lies inside a writable root.
fn tack_home_to_protect() -> Vec<PathBuf> {
    let Some(home) = sandbox::tack_home() else {
        return Vec::new();
    };
    if !home.exists() {
        let _ = std::fs::create_dir_all(&home);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700));
        }
    }
    vec![home]
}

fn pty_size(cols: u16, rows: u16) -> PtySize {
    PtySize {
        rows,
        cols,
        pixel_width: 0,
        pixel_height: 0,
    }
}

/// Held while a PTY is opened (portable-pty marks its descriptors close-on-exec only after opening
/// them) and while a pipe command is spawned, so a pipe command never inherits another's terminal.
/// PTY commands close every inherited descriptor themselves (portable-pty's spawn for the launcher;
/// close-on-exec for all above 2 in `spawn_in_pty`).
static SPAWN_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn spawn_lock() -> std::sync::MutexGuard<'static, ()> {
    SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

use sandbox::children as commands;

/// Makes the sidecar the child sub-reaper: whatever a command leaves behind by detaching
/// (`setsid cmd &`, double forks) becomes the sidecar's child instead of the system's, so it can be
/// ended. Sandboxed commands do not need it (their PID namespace ends with them); this is for
/// danger-full-access.
fn become_subreaper() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    #[cfg(target_os = "linux")]
    ONCE.call_once(|| unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    });
    #[cfg(not(target_os = "linux"))]
    ONCE.call_once(|| {});
}

/// Children of the sidecar that are not commands: the orphaned descendants of ended commands.
/// Read from the sidecar's own children lists (`/proc/self/task/TID/children`, one per thread: a
/// child is listed under the thread that forked it, an orphan under the thread it was handed to),
/// so the cost is the sidecar's own thread count, not the machine's process count; kernels built
/// without those files get the scan of every process in /proc.
#[cfg(target_os = "linux")]
fn orphans(known: &[i32]) -> Vec<i32> {
    match own_children() {
        Some(children) => children
            .into_iter()
            .filter(|pid| !known.contains(pid))
            .collect(),
        None => orphans_by_scan(known),
    }
}

/// Every child of every thread of this process, or None when the kernel has no `children` files.
/// A thread that ends hands its children to another thread: when the set of threads changed while
/// the lists were read, they are read again.
#[cfg(target_os = "linux")]
fn own_children() -> Option<Vec<i32>> {
    let threads = || -> Option<Vec<PathBuf>> {
        let mut v: Vec<PathBuf> = std::fs::read_dir("/proc/self/task")
            .ok()?
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        Some(v)
    };
    let mut text = String::new();
    for _ in 0..5 {
        let before = threads()?;
        let mut out = Vec::new();
        for t in &before {
            text.clear();
            match std::fs::File::open(t.join("children"))
                .and_then(|mut f| f.read_to_string(&mut text))
            {
                Ok(_) => out.extend(
                    text.split_whitespace()
                        .filter_map(|p| p.parse::<i32>().ok()),
                ),
                // The thread is there but the file is not: this kernel has no such files.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound && t.exists() => return None,
                Err(_) => {} // the thread ended since the listing
            }
        }
        if threads()? == before {
            return Some(out);
        }
    }
    None
}

/// The fallback: every process in /proc whose parent is this one.
#[cfg(target_os = "linux")]
fn orphans_by_scan(known: &[i32]) -> Vec<i32> {
    let me = std::process::id() as i32;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| !known.contains(pid))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|st| {
                // Field 4 (ppid), after the parenthesised command name.
                st.rsplit_once(')')
                    .and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse::<i32>().ok())
                    == Some(me)
            })
        })
        .collect()
}

/// Whether `end_orphans` could find anything now: not while a command runs (it would not look),
/// nor when the sidecar has no child at all, zombie or not (one waitid that reaps nothing). That
/// is the common case after a command, so the scan of the sidecar's children lists, and the hop
/// to a blocking thread for it, are off the way to `exec/exited` unless something was left.
pub fn orphans_possible() -> bool {
    #[cfg(target_os = "linux")]
    {
        let known = commands();
        if !known.is_empty() {
            return false;
        }
        // SAFETY: waitid with WNOWAIT fills `info` and reaps nothing.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let r = unsafe {
            libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT | libc::__WALL,
            )
        };
        !(r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD))
    }
    #[cfg(not(target_os = "linux"))]
    false
}

/// Ends (SIGKILL) and reaps every orphan the commands left behind, once no command is running: a
/// detached process of a command that still runs may still be in use by it. Also called at
/// shutdown (after every command was ended).
pub fn end_orphans() {
    #[cfg(target_os = "linux")]
    for _ in 0..50 {
        let found = {
            // Held while spawning too, so a command just forked is never taken for an orphan.
            // (The sandbox probe's child is in the list too while it runs: never taken for an orphan.)
            let known = commands();
            if !known.is_empty() {
                return;
            }
            orphans(&known)
        };
        if found.is_empty() {
            return;
        }
        for pid in found {
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                // Our child: reap it (its own children come to us next round).
                libc::waitpid(pid, std::ptr::null_mut(), 0);
            }
        }
    }
}

/// Finds the program the way execvp would, so a missing one is a clear error instead of exit 127.
#[cfg(unix)]
fn resolve_program(program: &str, cwd: &Path, path_var: Option<&OsString>) -> Option<PathBuf> {
    let is_exec = |p: &Path| {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    };
    if program.contains('/') {
        let p = cwd.join(program);
        return is_exec(&p).then_some(p);
    }
    let path_var = path_var
        .cloned()
        .unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path_var)
        .map(|dir| cwd.join(dir).join(program))
        .find(|p| is_exec(p))
}

/// Finds the program the way CreateProcess and cmd would: a path as given (relative to `cwd`), else
/// each PATH directory, trying the name as it is and with each PATHEXT extension (.COM, .EXE, ...).
#[cfg(windows)]
fn resolve_program(
    program: &str,
    cwd: &Path,
    env: &BTreeMap<OsString, OsString>,
) -> Option<PathBuf> {
    let var = |name: &str| {
        env.iter()
            .find(|(k, _)| k.to_string_lossy().eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let exts: Vec<String> = var("PATHEXT")
        .map(|v| v.to_string_lossy().into_owned())
        .unwrap_or_else(|| ".COM;.EXE;.BAT;.CMD".into())
        .split(';')
        .filter(|e| !e.is_empty())
        .map(str::to_string)
        .collect();
    let has_ext = Path::new(program).extension().is_some();
    let candidates = |base: PathBuf| {
        let mut out = Vec::new();
        if has_ext {
            out.push(base.clone());
        }
        for e in &exts {
            let mut s = base.clone().into_os_string();
            s.push(e);
            out.push(PathBuf::from(s));
        }
        out
    };
    let is_file = |p: &PathBuf| p.is_file();
    if program.contains(['/', '\\']) || Path::new(program).is_absolute() {
        return candidates(cwd.join(program)).into_iter().find(is_file);
    }
    let mut dirs = vec![cwd.to_path_buf()];
    if let Some(path) = var("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.into_iter()
        .flat_map(|d| candidates(cwd.join(d).join(program)))
        .find(is_file)
}

pub struct Started {
    pub pid: u32,
    pub control: Arc<ExecControl>,
    runner: Runner,
}

struct Runner {
    exit: Exit,
    git_watch: Option<GitWatch>,
    output: Output,
    timeout: Option<Duration>,
    limit: usize,
    started_at: Instant,
}

/// Validates the request and starts the command. Output is not read until `run` is awaited, so the
/// caller can answer the request before the first `exec/output` goes out.
pub fn start(params: &ExecStartParams, sandbox_info: &SandboxInfo) -> Result<Started, RpcError> {
    if params.argv.is_empty() || params.argv[0].is_empty() {
        return Err(RpcError::new(
            codes::INVALID_PARAMS,
            "argv must name a program (it was empty)",
        ));
    }
    let cwd = PathBuf::from(&params.cwd);
    if !cwd.is_absolute() {
        return Err(RpcError::new(
            codes::INVALID_PARAMS,
            format!("cwd must be an absolute path (got {:?})", params.cwd),
        ));
    }
    if !cwd.is_dir() {
        return Err(RpcError::with_reason(
            codes::SPAWN_FAILED,
            "cwd-missing",
            format!(
                "cannot start {:?}: the working directory {} does not exist",
                params.argv[0],
                cwd.display()
            ),
        ));
    }
    become_subreaper();
    let tty = params.tty.unwrap_or(true);
    let env = child_env::build_own(tty, params.env.as_ref());
    #[cfg(unix)]
    let program = resolve_program(&params.argv[0], &cwd, env.get(&OsString::from("PATH")));
    #[cfg(windows)]
    let program = resolve_program(&params.argv[0], &cwd, &env);
    let program = program.ok_or_else(|| {
        RpcError::with_reason(
            codes::SPAWN_FAILED,
            "program-not-found",
            format!(
                "cannot start {:?}: no such executable program (looked in the command's PATH)",
                params.argv[0]
            ),
        )
    })?;

    let policy = &params.sandbox;
    let mode = policy.mode;
    let spec = if mode == SandboxMode::DangerFullAccess {
        None
    } else {
        if !sandbox_info.available {
            return Err(RpcError::with_reason(
                codes::SANDBOX_UNAVAILABLE,
                "sandbox-unavailable",
                format!(
                    "the {} sandbox cannot be enforced on this machine ({}); the command was not run",
                    mode.as_str(),
                    sandbox_info.limitations.join("; ")
                ),
            ));
        }
        let roots = if mode == SandboxMode::WorkspaceWrite {
            writable_roots(policy.writable_roots.iter().flatten(), codes::SPAWN_FAILED)?
        } else {
            Vec::new()
        };
        Some(LaunchSpec {
            mode,
            writable_roots: roots,
            // The sidecar's own temp dir, never one a request's environment names.
            temp_dir: (mode == SandboxMode::WorkspaceWrite).then(sandbox::temp_dir),
            network: policy.network.unwrap_or(false),
            git_entries: None,
            protected_dirs: if mode == SandboxMode::WorkspaceWrite {
                tack_home_to_protect()
            } else {
                Vec::new()
            },
            argv: params.argv.iter().map(OsString::from).collect(),
        })
    };

    let mut spec = spec;
    let git_watch = spec
        .as_mut()
        .filter(|s| s.mode == SandboxMode::WorkspaceWrite)
        .map(|s| {
            let w = GitWatch::new(s, tty);
            // The sandbox protects what this scan found instead of walking the workspace again
            // (the launcher's spec argument leaves the list out when it would be too long for one
            // exec argument, and the launcher then scans itself).
            s.git_entries = Some(w.before.entries.keys().cloned().collect());
            w
        });
    let spawned = if tty {
        // On Linux a PTY command starts directly, sandboxed or not (spawn_in_pty: the sandbox is
        // set up between fork and exec); elsewhere through the launcher (portable-pty's spawn
        // takes no pre-exec hook).
        let spec = spec.unwrap_or_else(|| LaunchSpec {
            mode,
            writable_roots: Vec::new(),
            temp_dir: None,
            network: false,
            git_entries: None,
            protected_dirs: Vec::new(),
            argv: params.argv.iter().map(OsString::from).collect(),
        });
        let cols = params.cols.unwrap_or(80).max(1);
        let rows = params.rows.unwrap_or(24).max(1);
        spawn_pty(&spec, &program, &cwd, &env, cols, rows)?
    } else {
        spawn_pipes(params, &program, spec.as_ref(), &cwd, &env)?
    };
    let Spawned {
        pid,
        exit,
        input,
        output,
        tree,
    } = spawned;
    let terminal = match &input {
        Input::Pty(_) => exit.terminal(),
        Input::Pipe(_) => None,
    };
    let control = Arc::new(ExecControl {
        pgid: pid as i32,
        tree,
        input: AsyncMutex::new(input),
        terminal,
        kill: Notify::new(),
        #[cfg(target_os = "linux")]
        leftover: std::sync::Mutex::new(None),
    });
    Ok(Started {
        pid,
        control,
        runner: Runner {
            exit,
            git_watch,
            output,
            timeout: params.timeout_ms.map(Duration::from_millis),
            limit: params.output_limit_bytes.unwrap_or(DEFAULT_OUTPUT_LIMIT) as usize,
            started_at: Instant::now(),
        },
    })
}

type Chunks = mpsc::Sender<(OutputStream, Vec<u8>)>;

/// A request's writable roots, each an existing absolute directory, else an error with `code`.
pub fn writable_roots<'a>(
    given: impl IntoIterator<Item = &'a String>,
    code: i64,
) -> Result<Vec<PathBuf>, RpcError> {
    let mut roots = Vec::new();
    for r in given {
        let p = PathBuf::from(r);
        if !p.is_absolute() || !p.is_dir() {
            return Err(RpcError::with_reason(
                code,
                "writable-root-missing",
                format!("writable root {r:?} is not an existing absolute directory"),
            ));
        }
        roots.push(p);
    }
    Ok(roots)
}

/// What the `.git` scans of a workspace-write command cover: the writable roots (walked) and
/// those plus the temp dir (each one's top level looked at), canonical. A root that cannot be
/// resolved is left out (the sandbox then refuses it, or it is gone).
fn guard_areas(
    writable_roots: &[PathBuf],
    temp_dir: Option<&Path>,
) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let roots: Vec<PathBuf> = writable_roots
        .iter()
        .filter_map(|r| r.canonicalize().ok())
        .collect();
    let mut writable = roots.clone();
    writable.extend(temp_dir.and_then(|t| t.canonicalize().ok()));
    (roots, writable)
}

/// `sandbox/prepare`: the scan a workspace-write command with these writable roots starts with,
/// made ahead of it, so that its listings (and on Linux its watches) are remembered when the first
/// command comes. Blocking. The roots were checked by the caller as exec/start checks them.
pub fn prepare_git_scan(writable_roots: &[PathBuf]) -> git_guard::GitScan {
    let temp = sandbox::temp_dir();
    let (roots, writable) = guard_areas(writable_roots, Some(&temp));
    git_guard::scan(&roots, &writable)
}

/// workspace-write: the `.git` entries seen before the command, to find the ones it created.
struct GitWatch {
    roots: Vec<PathBuf>,
    writable: Vec<PathBuf>,
    before: git_guard::GitScan,
    stream: OutputStream,
}

impl GitWatch {
    fn new(spec: &LaunchSpec, tty: bool) -> Self {
        let (roots, writable) = guard_areas(&spec.writable_roots, spec.temp_dir.as_deref());
        let before = tokio::task::block_in_place(|| git_guard::scan(&roots, &writable));
        GitWatch {
            roots,
            writable,
            before,
            stream: if tty {
                OutputStream::Stdout
            } else {
                OutputStream::Stderr
            },
        }
    }

    /// Renames what the command created; the text for its output, if anything happened.
    async fn check(self) -> Option<(OutputStream, String)> {
        let stream = self.stream;
        tokio::task::spawn_blocking(move || {
            let after = git_guard::scan(&self.roots, &self.writable);
            let renamed = git_guard::neutralise(&self.before, &after, &self.writable);
            let text = git_guard::report(&renamed, after.complete);
            (!text.is_empty()).then_some((stream, text))
        })
        .await
        .ok()
        .flatten()
    }
}

struct Spawned {
    pid: u32,
    exit: Exit,
    input: Input,
    output: Output,
    tree: Tree,
}

/// The status reported for a command whose status was lost: killed.
fn killed_status() -> ExitStatus {
    #[cfg(unix)]
    return ExitStatus::from_raw(libc::SIGKILL);
    #[cfg(windows)]
    return ExitStatus::from_raw(crate::tree::KILLED_EXIT_CODE);
}

/// How the command's exit status arrives.
enum Exit {
    /// Pipe commands: tokio reaps the child.
    Pipe(Box<tokio::process::Child>),
    /// PTY commands: our own waiter thread reaps the pid (see `reap`); the master is kept for resizes.
    Pty(oneshot::Receiver<ExitStatus>, PtyMaster),
    /// Sandboxed pipe commands started by the sidecar's own clone (Linux): reaped when the pidfd
    /// says the child ended; the status is the command's, as its init reported it.
    #[cfg(target_os = "linux")]
    Direct(Box<DirectExit>),
    /// PTY commands started directly (Linux), sandboxed or not: reaped like `Direct`, without a
    /// waiter thread; the master is kept for resizes.
    #[cfg(target_os = "linux")]
    DirectPty(Box<DirectExit>, PtyMaster),
}

#[cfg(target_os = "linux")]
struct DirectExit {
    pid: i32,
    pidfd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
    /// A sandboxed command's init, which reports the command's status; None: `pid` is the
    /// command itself.
    child: Option<sandbox::DirectChild>,
}

#[cfg(target_os = "linux")]
impl DirectExit {
    async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        loop {
            let mut guard = self.pidfd.readable().await?;
            let mut raw = 0;
            let r = unsafe { libc::waitpid(self.pid, &mut raw, libc::WNOHANG) };
            if r == self.pid {
                return Ok(ExitStatus::from_raw(match &self.child {
                    Some(child) => child.command_status(raw),
                    None => raw,
                }));
            }
            if r == 0 {
                guard.clear_ready();
                continue;
            }
            let e = std::io::Error::last_os_error();
            if e.kind() != std::io::ErrorKind::Interrupted {
                return Ok(killed_status());
            }
        }
    }
}

impl Exit {
    fn terminal(&self) -> Option<PtyMaster> {
        match self {
            Exit::Pty(_, master) => Some(master.clone()),
            #[cfg(target_os = "linux")]
            Exit::DirectPty(_, master) => Some(master.clone()),
            Exit::Pipe(_) => None,
            #[cfg(target_os = "linux")]
            Exit::Direct(_) => None,
        }
    }

    /// What to let go of after exec/exited (see ExecControl::leftover).
    #[cfg(target_os = "linux")]
    fn leftover(&mut self) -> Option<std::os::fd::OwnedFd> {
        match self {
            Exit::Direct(d) | Exit::DirectPty(d, _) => {
                d.child.as_mut().and_then(|c| c.take_mount_namespace())
            }
            Exit::Pipe(_) | Exit::Pty(..) => None,
        }
    }

    async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        match self {
            Exit::Pipe(child) => child.wait().await,
            #[cfg(target_os = "linux")]
            Exit::Direct(d) | Exit::DirectPty(d, _) => d.wait().await,
            Exit::Pty(status, _) => (&mut *status)
                .await
                .map_err(|_| std::io::Error::other("the waiter thread ended without a status")),
        }
    }
}

fn pty_error(what: &str, e: impl std::fmt::Display) -> RpcError {
    RpcError::with_reason(codes::SPAWN_FAILED, "pty-failed", format!("{what}: {e}"))
}

/// How a PTY command's end will be learned.
#[cfg(unix)]
enum PtyEnd {
    /// Linux, started directly: its pidfd becomes readable when it ends (no thread of its own).
    #[cfg(target_os = "linux")]
    Pidfd(Box<DirectExit>),
    /// A waiter thread blocks in waitpid (see `reap`); on Linux a sandboxed command's init, if
    /// any, turns its own status into the command's.
    Waiter(Relay),
}

#[cfg(target_os = "linux")]
type Relay = Option<sandbox::DirectChild>;
#[cfg(target_os = "linux")]
const NO_RELAY: Relay = None;
/// Elsewhere the waiter thread reaps the command itself.
#[cfg(all(unix, not(target_os = "linux")))]
struct Relay;
#[cfg(all(unix, not(target_os = "linux")))]
const NO_RELAY: Relay = Relay;

/// The command's status from what waitpid reported for `pid` (the command, or its init).
#[cfg(target_os = "linux")]
fn relayed(status: ExitStatus, relay: &Relay) -> ExitStatus {
    match relay {
        Some(child) => ExitStatus::from_raw(child.command_status(status.into_raw())),
        None => status,
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn relayed(status: ExitStatus, _relay: &Relay) -> ExitStatus {
    status
}

/// Linux: starts the command directly in the terminal whose master is `master`, sandboxed or not
/// (see `spawn_in_pty`), and says how its end will be learned: through a pidfd (the one the
/// sandbox's clone made, else pidfd_open), else by a waiter thread. `Ok(None)`: no TIOCGPTPEER;
/// the caller starts it through portable-pty and the launcher.
#[cfg(target_os = "linux")]
fn start_direct_pty(
    master: RawFd,
    spec: &LaunchSpec,
    program: &Path,
    cwd: &Path,
    env: &BTreeMap<OsString, OsString>,
) -> Result<Option<(u32, PtyEnd)>, RpcError> {
    let sandbox = (spec.mode != SandboxMode::DangerFullAccess).then_some(spec);
    let Some((pid, mut relay)) = spawn_in_pty(master, program, &spec.argv, cwd, env, sandbox)?
    else {
        return Ok(None);
    };
    let made = relay.as_mut().and_then(|c| c.take_pidfd());
    let end = match watch_pid(pid as i32, made) {
        Ok(pidfd) => PtyEnd::Pidfd(Box::new(DirectExit {
            pid: pid as i32,
            pidfd,
            child: relay,
        })),
        Err(_) => PtyEnd::Waiter(relay),
    };
    Ok(Some((pid, end)))
}

/// Unix: the command in a new PTY. On Linux it is started directly (`start_direct_pty`); where
/// that cannot be (macOS, Linux before 4.13) portable-pty starts the launcher binary in it, which
/// sets up the sandbox and execs the command (execvp).
#[cfg(unix)]
fn spawn_pty(
    spec: &LaunchSpec,
    program: &Path,
    cwd: &Path,
    env: &BTreeMap<OsString, OsString>,
    cols: u16,
    rows: u16,
) -> Result<Spawned, RpcError> {
    let (tx, chunks) = mpsc::channel(CHUNK_QUEUE);
    let pair = {
        let _guard = spawn_lock();
        native_pty_system().openpty(pty_size(cols, rows))
    }
    .map_err(|e| pty_error("cannot open a pseudo-terminal", e))?;
    let reader = pair
        .master
        .try_clone_reader()
        .map_err(|e| pty_error("cannot set up the terminal", e))?;
    let writer = pair
        .master
        .take_writer()
        .map_err(|e| pty_error("cannot set up the terminal", e))?;
    let fd = pair
        .master
        .as_raw_fd()
        .ok_or_else(|| pty_error("cannot set up the terminal", "no descriptor"))?;

    // The terminal's other end: the launcher's (below) or nobody's (a direct start opens its own).
    let mut slave = Some(pair.slave);
    let mut registry = commands();
    #[cfg(target_os = "linux")]
    let direct = start_direct_pty(fd, spec, program, cwd, env)?;
    #[cfg(not(target_os = "linux"))]
    let direct: Option<(u32, PtyEnd)> = {
        let _ = program; // the launcher resolves the program itself (execvp)
        None
    };
    let (pid, end) = match direct {
        Some(started) => started,
        None => {
            let mut cmd = CommandBuilder::new(sandbox::self_exe());
            cmd.args(spec.to_args());
            cmd.cwd(cwd);
            cmd.env_clear();
            for (k, v) in env {
                cmd.env(k, v);
            }
            // portable-pty makes the child a session leader with this terminal as its controlling
            // one, so its process group id is its pid. The launcher's parent-death signal (Linux)
            // is tied to the thread that forks it (spawner.rs).
            let Some(s) = slave.take() else {
                unreachable!("the terminal's other end is taken only here")
            };
            let child = crate::spawner::run(move || s.spawn_command(cmd)).map_err(|e| {
                RpcError::with_reason(
                    codes::SPAWN_FAILED,
                    "spawn-failed",
                    format!("cannot start {:?}: {e:#}", spec.argv[0]),
                )
            })?;
            let pid = child.process_id().unwrap_or(0);
            // One owner of the wait: portable-pty's Child names a signal only in words ("Killed"),
            // so the pid is reaped by `reap` and the Child is never waited on.
            drop(child);
            (pid, PtyEnd::Waiter(NO_RELAY))
        }
    };
    // Our copy of the terminal's other end must go, or reading would never see the output end.
    drop(slave);
    registry.push(pid as i32);
    drop(registry);
    let master: PtyMaster = Arc::new(std::sync::Mutex::new(pair.master));

    let exit = match end {
        #[cfg(target_os = "linux")]
        PtyEnd::Pidfd(d) => Exit::DirectPty(d, master.clone()),
        PtyEnd::Waiter(relay) => {
            let (status_tx, status_rx) = oneshot::channel();
            let waiter = std::thread::Builder::new()
                .name(format!("pty-wait-{pid}"))
                .spawn(move || {
                    let status = relayed(reap(pid as i32), &relay);
                    let _ = status_tx.send(status);
                });
            if let Err(e) = waiter {
                Tree::group(pid as i32).end(End::Kill);
                reap(pid as i32);
                commands().retain(|p| *p != pid as i32);
                return Err(pty_error("cannot watch the command", e));
            }
            Exit::Pty(status_rx, master.clone())
        }
    };
    let pump = std::thread::Builder::new()
        .name(format!("pty-read-{pid}"))
        .spawn(move || read_pty(master, fd, reader, tx));
    if let Err(e) = pump {
        Tree::group(pid as i32).end(End::Kill);
        if !matches!(exit, Exit::Pty(..)) {
            // No waiter thread to reap it.
            reap(pid as i32);
        }
        commands().retain(|p| *p != pid as i32);
        return Err(pty_error("cannot read the terminal", e));
    }
    Ok(Spawned {
        pid,
        exit,
        input: Input::Pty(Arc::new(std::sync::Mutex::new(writer))),
        output: Output::Chunks(chunks),
        tree: Tree::group(pid as i32),
    })
}

/// Windows: the command runs in a ConPTY (portable-pty), directly (there is no sandbox launcher to
/// put in front), in its own Job Object.
#[cfg(windows)]
fn spawn_pty(
    spec: &LaunchSpec,
    program: &Path,
    cwd: &Path,
    env: &BTreeMap<OsString, OsString>,
    cols: u16,
    rows: u16,
) -> Result<Spawned, RpcError> {
    let (tx, chunks) = mpsc::channel(CHUNK_QUEUE);
    let pair = {
        let _guard = spawn_lock();
        native_pty_system().openpty(pty_size(cols, rows))
    }
    .map_err(|e| pty_error("cannot open a pseudo-console (ConPTY)", e))?;
    let reader = pair
        .master
        .try_clone_reader()
        .map_err(|e| pty_error("cannot set up the console", e))?;
    let writer = pair
        .master
        .take_writer()
        .map_err(|e| pty_error("cannot set up the console", e))?;
    let mut cmd = CommandBuilder::new(program);
    cmd.args(&spec.argv[1..]);
    cmd.cwd(cwd);
    cmd.env_clear();
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut registry = commands();
    let mut child = pair.slave.spawn_command(cmd).map_err(|e| {
        RpcError::with_reason(
            codes::SPAWN_FAILED,
            "spawn-failed",
            format!("cannot start {:?}: {e:#}", spec.argv[0]),
        )
    })?;
    drop(pair.slave);
    let pid = child.process_id().unwrap_or(0);
    let tree = match child.as_raw_handle().map(Tree::adopt) {
        Some(Ok(tree)) => tree,
        other => {
            let _ = child.kill();
            let why = match other {
                Some(Err(e)) => e.to_string(),
                _ => "no process handle".into(),
            };
            return Err(pty_error("cannot put the command in a job object", why));
        }
    };
    registry.push(pid as i32);
    drop(registry);
    let master: PtyMaster = Arc::new(std::sync::Mutex::new(pair.master));
    let (status_tx, status_rx) = oneshot::channel();
    let waiter = std::thread::Builder::new()
        .name(format!("pty-wait-{pid}"))
        .spawn(move || {
            let status = match child.wait() {
                Ok(s) => ExitStatus::from_raw(s.exit_code()),
                Err(_) => killed_status(),
            };
            let _ = status_tx.send(status);
        });
    if let Err(e) = waiter {
        tree.end(End::Kill);
        commands().retain(|p| *p != pid as i32);
        return Err(pty_error("cannot watch the command", e));
    }
    let reader_master = master.clone();
    let pump = std::thread::Builder::new()
        .name(format!("pty-read-{pid}"))
        .spawn(move || read_pty(reader_master, reader, tx));
    if let Err(e) = pump {
        tree.end(End::Kill);
        commands().retain(|p| *p != pid as i32);
        return Err(pty_error("cannot read the console", e));
    }
    Ok(Spawned {
        pid,
        exit: Exit::Pty(status_rx, master),
        input: Input::Pty(Arc::new(std::sync::Mutex::new(writer))),
        output: Output::Chunks(chunks),
        tree,
    })
}

/// `SHELL` for a PTY command whose environment has none, as portable-pty sets it for the ones it
/// starts: the user's login shell from the password database, else /bin/sh.
#[cfg(target_os = "linux")]
fn login_shell() -> OsString {
    use nix::unistd::{access, AccessFlags, Uid, User};
    match User::from_uid(Uid::current()) {
        Ok(Some(user)) if access(&user.shell, AccessFlags::X_OK).is_ok() => {
            user.shell.into_os_string()
        }
        _ => "/bin/sh".into(),
    }
}

/// Starts a command directly in the terminal whose master is `master`, with no launcher and no
/// second exec. The terminal's other end (TIOCGPTPEER, no path lookup) as stdin, stdout and
/// stderr, and between fork and exec only async-signal-safe calls: default signal dispositions and
/// an empty mask, a new session with this terminal as its controlling one, the parent-death
/// signal, every other descriptor closed at exec. `sandbox`: the command's sandbox is prepared
/// here and set up in the forked process (sandbox/linux_start.rs); should preparing fail, the
/// launcher binary is started instead, which reports the same failure as the command's output.
/// `Ok(None)`: the kernel has no TIOCGPTPEER (before 4.13); the caller starts it through
/// portable-pty (and the launcher) instead.
#[cfg(target_os = "linux")]
fn spawn_in_pty(
    master: RawFd,
    program: &Path,
    argv: &[OsString],
    cwd: &Path,
    env: &BTreeMap<OsString, OsString>,
    sandbox: Option<&LaunchSpec>,
) -> Result<Option<(u32, Option<sandbox::DirectChild>)>, RpcError> {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    let peer = unsafe {
        libc::ioctl(
            master,
            libc::TIOCGPTPEER,
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        )
    };
    if peer < 0 {
        return Ok(None);
    }
    // SAFETY: a descriptor the ioctl just opened for us; nothing else owns it.
    let slave = unsafe { OwnedFd::from_raw_fd(peer) };
    let shown = argv[0].clone();
    let failed = |e: std::io::Error| {
        RpcError::with_reason(
            codes::SPAWN_FAILED,
            "spawn-failed",
            format!("cannot start {shown:?}: {e}"),
        )
    };
    let (out, err) = (
        slave.try_clone().map_err(failed)?,
        slave.try_clone().map_err(failed)?,
    );
    let mut env = env.clone();
    env.entry("SHELL".into()).or_insert_with(login_shell);
    let (program, argv) = match sandbox {
        None => (program.to_path_buf(), argv.to_vec()),
        Some(spec) => {
            let own_tty = std::fs::read_link(format!("/proc/self/fd/{peer}"))
                .ok()
                .and_then(sandbox::pts_path);
            match sandbox::prepare_direct(spec, program, &env, own_tty.into_iter().collect()) {
                Ok(prepared) => {
                    // Started by the sidecar's own clone, which is the command's init.
                    use std::os::unix::ffi::OsStrExt;
                    let cwd_c =
                        std::ffi::CString::new(cwd.as_os_str().as_bytes()).map_err(|_| {
                            failed(std::io::Error::new(
                                std::io::ErrorKind::InvalidInput,
                                "the working directory contains a NUL byte",
                            ))
                        })?;
                    let child = prepared
                        .spawn(
                            [slave.as_raw_fd(), out.as_raw_fd(), err.as_raw_fd()],
                            &cwd_c,
                            true,
                        )
                        .map_err(failed)?;
                    return Ok(Some((child.pid as u32, Some(child))));
                }
                Err(_) => {
                    let launcher = sandbox::self_exe();
                    let mut a = vec![launcher.clone().into_os_string()];
                    a.extend(spec.to_args());
                    (launcher, a)
                }
            }
        }
    };
    // Own session with this terminal as its controlling one (job control, SIGWINCH on resize,
    // SIGHUP when it closes), default dispositions, the parent-death signal, nothing inherited:
    // see spawn.rs. Reaped through its pidfd (or by `reap`), never through a Child.
    let pid = crate::spawn::spawn(&crate::spawn::Plain {
        program: &program,
        argv: &argv,
        env: &env,
        cwd,
        stdio: [slave.as_raw_fd(), out.as_raw_fd(), err.as_raw_fd()],
        controlling_tty: true,
        default_signals: &[
            libc::SIGCHLD,
            libc::SIGHUP,
            libc::SIGINT,
            libc::SIGQUIT,
            libc::SIGTERM,
            libc::SIGALRM,
            libc::SIGPIPE,
        ],
    })
    .map_err(failed)?;
    drop((slave, out, err));
    Ok(Some((pid as u32, None)))
}

/// Blocks until `pid` exits and returns its status (a lost child counts as killed, rather than hang).
#[cfg(unix)]
fn reap(pid: i32) -> ExitStatus {
    loop {
        let mut raw = 0;
        let r = unsafe { libc::waitpid(pid, &mut raw, 0) };
        if r == pid {
            return ExitStatus::from_raw(raw);
        }
        if r < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        return killed_status();
    }
}

fn spawn_pipes(
    params: &ExecStartParams,
    program: &Path,
    spec: Option<&LaunchSpec>,
    cwd: &Path,
    env: &BTreeMap<OsString, OsString>,
) -> Result<Spawned, RpcError> {
    let mut cmd = match spec {
        // Linux: started by the sidecar's own vfork-like clone (spawn.rs), reaped through a pidfd.
        #[cfg(target_os = "linux")]
        None => return spawn_pipes_plain(&params.argv, program, cwd, env),
        #[cfg(not(target_os = "linux"))]
        None => {
            let mut c = tokio::process::Command::new(program);
            #[cfg(unix)]
            c.arg0(&params.argv[0]);
            c.args(&params.argv[1..]);
            c
        }
        Some(spec) => {
            // Through the launcher binary: macOS, or preparing failed on Linux (the launcher
            // then reports it as the command's output, as it always did).
            let through_launcher = || {
                let mut c = tokio::process::Command::new(sandbox::self_exe());
                c.args(spec.to_args());
                c
            };
            // Started directly by the sidecar's own clone, which is the command's init
            // (linux_start.rs).
            #[cfg(target_os = "linux")]
            let c = match sandbox::prepare_direct(spec, program, env, Vec::new()) {
                Ok(prepared) => return spawn_pipes_direct(&params.argv[0], &prepared, cwd),
                Err(_) => through_launcher(),
            };
            #[cfg(not(target_os = "linux"))]
            let c = through_launcher();
            c
        }
    };
    cmd.current_dir(cwd)
        .env_clear()
        .envs(env)
        .kill_on_drop(false)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    unsafe {
        cmd.pre_exec(|| {
            // Own session (and so own process group): kill reaches grandchildren.
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    // No console window pops up for a command of a sidecar that has none; suspended until it is in
    // its job (tree.rs), so nothing it starts escapes the job.
    #[cfg(windows)]
    cmd.creation_flags(
        windows_sys::Win32::System::Threading::CREATE_NO_WINDOW
            | windows_sys::Win32::System::Threading::CREATE_SUSPENDED,
    );
    let mut registry = commands();
    let mut child = {
        let _guard = spawn_lock();
        // The launcher's parent-death signal (Linux) is tied to the thread that forks it
        // (spawner.rs); tokio registers the child with the runtime the spawn runs in.
        let runtime = tokio::runtime::Handle::current();
        crate::spawner::run(|| {
            let _entered = runtime.enter();
            cmd.spawn()
        })
    }
    .map_err(|e| {
        RpcError::with_reason(
            codes::SPAWN_FAILED,
            "spawn-failed",
            format!("cannot start {:?}: {e}", params.argv[0]),
        )
    })?;
    let pid = child.id().unwrap_or(0);
    #[cfg(unix)]
    let tree = Tree::group(pid as i32);
    #[cfg(windows)]
    let tree = match child.raw_handle().map(Tree::adopt) {
        Some(Ok(tree)) => match crate::tree::resume_suspended(pid) {
            Ok(()) => tree,
            Err(e) => {
                tree.end(End::Kill);
                return Err(RpcError::with_reason(
                    codes::SPAWN_FAILED,
                    "spawn-failed",
                    format!("cannot start {:?}: {e}", params.argv[0]),
                ));
            }
        },
        other => {
            let _ = child.start_kill();
            let why = match other {
                Some(Err(e)) => e.to_string(),
                _ => "it exited at once".into(),
            };
            return Err(RpcError::with_reason(
                codes::SPAWN_FAILED,
                "spawn-failed",
                format!("cannot put {:?} in a job object: {why}", params.argv[0]),
            ));
        }
    };
    registry.push(pid as i32);
    drop(registry);
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        for fd in [stdout.as_raw_fd(), stderr.as_raw_fd()] {
            // Refused above /proc/sys/fs/pipe-max-size or the user's pipe quota: keep the default.
            unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_BUFFER) };
        }
    }
    let input = Input::Pipe(child.stdin.take());
    Ok(Spawned {
        pid,
        exit: Exit::Pipe(Box::new(child)),
        input,
        output: Output::Pipes(PipeReader {
            pipes: [Some(Box::new(stdout)), Some(Box::new(stderr))],
            bufs: [Vec::new(), Vec::new()],
            turn: 0,
        }),
        tree,
    })
}

/// Our ends of a new pipe, close-on-exec: (read, write).
#[cfg(target_os = "linux")]
fn cloexec_pipe() -> std::io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let mut fds = [0; 2];
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both just made by pipe2 and owned nowhere else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// An unsandboxed pipe command (Linux): its pipes made here, the command started by the
/// vfork-like clone of spawn.rs (own session, parent-death signal, SIGPIPE back to the default,
/// nothing else inherited), its end learned through a pidfd, as for the sandboxed ones.
#[cfg(target_os = "linux")]
fn spawn_pipes_plain(
    argv: &[String],
    program: &Path,
    cwd: &Path,
    env: &BTreeMap<OsString, OsString>,
) -> Result<Spawned, RpcError> {
    let failed = |e: std::io::Error| {
        RpcError::with_reason(
            codes::SPAWN_FAILED,
            "spawn-failed",
            format!("cannot start {:?}: {e}", argv[0]),
        )
    };
    let pipes = CommandPipes::new().map_err(failed)?;
    let argv: Vec<OsString> = argv.iter().map(OsString::from).collect();
    let registry = commands();
    let pid = {
        let _guard = spawn_lock();
        crate::spawn::spawn(&crate::spawn::Plain {
            program,
            argv: &argv,
            env,
            cwd,
            stdio: pipes.child_fds(),
            controlling_tty: false,
            default_signals: &[libc::SIGPIPE],
        })
    }
    .map_err(failed)?;
    pipes.started(pid, None, None, registry, failed)
}

/// A sandboxed pipe command started by the sidecar's own clone (Linux): the child is the PID
/// namespace's init (linux_start.rs `Prepared::spawn`), so no process stands between the sidecar
/// and init. Its pipes are made here (close-on-exec on our side), the pid reaped through a pidfd.
#[cfg(target_os = "linux")]
fn spawn_pipes_direct(
    argv0: &str,
    prepared: &sandbox::Prepared,
    cwd: &Path,
) -> Result<Spawned, RpcError> {
    use std::os::unix::ffi::OsStrExt;
    let failed = |e: std::io::Error| {
        RpcError::with_reason(
            codes::SPAWN_FAILED,
            "spawn-failed",
            format!("cannot start {argv0:?}: {e}"),
        )
    };
    let cwd_c = std::ffi::CString::new(cwd.as_os_str().as_bytes()).map_err(|_| {
        failed(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the working directory contains a NUL byte",
        ))
    })?;
    let pipes = CommandPipes::new().map_err(failed)?;
    let registry = commands();
    let mut child = {
        let _guard = spawn_lock();
        prepared.spawn(pipes.child_fds(), &cwd_c, false)
    }
    .map_err(failed)?;
    let (pid, pidfd) = (child.pid, child.take_pidfd());
    pipes.started(pid, pidfd, Some(child), registry, failed)
}

/// A pipe command's three pipes (Linux), made before its spawn: the child's ends (stdin's read
/// end, stdout's and stderr's write ends) to hand to it, and ours, close-on-exec and registered with
/// the runtime before there is a child to lose.
#[cfg(target_os = "linux")]
struct CommandPipes {
    child: [std::os::fd::OwnedFd; 3],
    stdin: tokio::process::ChildStdin,
    stdout: tokio::process::ChildStdout,
    stderr: tokio::process::ChildStderr,
}

#[cfg(target_os = "linux")]
impl CommandPipes {
    fn new() -> std::io::Result<Self> {
        use std::os::fd::AsRawFd;
        let (in_r, in_w) = cloexec_pipe()?;
        let (out_r, out_w) = cloexec_pipe()?;
        let (err_r, err_w) = cloexec_pipe()?;
        for fd in [out_r.as_raw_fd(), err_r.as_raw_fd()] {
            // Refused above /proc/sys/fs/pipe-max-size or the user's pipe quota: keep the default.
            unsafe { libc::fcntl(fd, libc::F_SETPIPE_SZ, PIPE_BUFFER) };
        }
        Ok(CommandPipes {
            child: [in_r, out_w, err_w],
            stdin: tokio::process::ChildStdin::from_std(std::process::ChildStdin::from(in_w))?,
            stdout: tokio::process::ChildStdout::from_std(std::process::ChildStdout::from(out_r))?,
            stderr: tokio::process::ChildStderr::from_std(std::process::ChildStderr::from(err_r))?,
        })
    }

    /// The child's ends, as the spawn takes them (0, 1, 2).
    fn child_fds(&self) -> [libc::c_int; 3] {
        use std::os::fd::AsRawFd;
        self.child.each_ref().map(|fd| fd.as_raw_fd())
    }

    /// After the spawn of `pid` (a sandboxed command's init when `init` is given): the child's ends
    /// closed here, the pid added to the commands `registry` (held since before the spawn) and
    /// watched through a pidfd (the one the clone made, else a new one); a command whose end
    /// cannot be watched is killed and reaped, and the error is `failed`'s.
    fn started(
        self,
        pid: i32,
        made_pidfd: Option<std::os::fd::OwnedFd>,
        init: Option<sandbox::DirectChild>,
        mut registry: std::sync::MutexGuard<'static, Vec<i32>>,
        failed: impl Fn(std::io::Error) -> RpcError,
    ) -> Result<Spawned, RpcError> {
        let CommandPipes {
            child,
            stdin,
            stdout,
            stderr,
        } = self;
        drop(child);
        registry.push(pid);
        drop(registry);
        let pidfd = match watch_pid(pid, made_pidfd) {
            Ok(p) => p,
            Err(e) => {
                Tree::group(pid).end(End::Kill);
                reap(pid);
                commands().retain(|p| *p != pid);
                return Err(failed(e));
            }
        };
        Ok(Spawned {
            pid: pid as u32,
            exit: Exit::Direct(Box::new(DirectExit {
                pid,
                pidfd,
                child: init,
            })),
            input: Input::Pipe(Some(stdin)),
            output: Output::Pipes(PipeReader {
                pipes: [Some(Box::new(stdout)), Some(Box::new(stderr))],
                bufs: [Vec::new(), Vec::new()],
                turn: 0,
            }),
            tree: Tree::group(pid),
        })
    }
}

/// A pidfd for `pid` (our child), registered with the runtime: readable once it has ended.
/// Err before Linux 5.3 (or where a filter refuses pidfd_open).
/// `made`: one the clone made already (clone3), else pidfd_open.
#[cfg(target_os = "linux")]
fn watch_pid(
    pid: i32,
    made: Option<std::os::fd::OwnedFd>,
) -> std::io::Result<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let pidfd = match made {
        Some(fd) => fd,
        None => {
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as libc::c_int;
            if fd < 0 {
                return Err(std::io::Error::last_os_error());
            }
            // SAFETY: just opened for us.
            unsafe { OwnedFd::from_raw_fd(fd) }
        }
    };
    // SAFETY: the OwnedFd keeps it open (and the same) while the AsyncFd owns it.
    unsafe {
        tokio::io::unix::AsyncFd::register_with_interest(pidfd, tokio::io::Interest::READABLE)
    }
    .map_err(|e| e.into_parts().1)
}

/// How long the PTY reader waits for output before checking whether anyone still wants it.
#[cfg(unix)]
const POLL_TICK_MS: i32 = 100;

/// Whether `fd` has something to read (or has hung up) within `timeout_ms`.
#[cfg(unix)]
fn readable(fd: RawFd, timeout_ms: i32) -> std::io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    if r < 0 {
        let e = std::io::Error::last_os_error();
        return if e.kind() == std::io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(r > 0)
}

/// The PTY pump, on its own thread: portable-pty's reader blocks. `fd` is the master's own
/// descriptor (`master` keeps it open), polled so the pump notices when the runner is gone.
#[cfg(unix)]
fn read_pty(master: PtyMaster, fd: RawFd, mut reader: Box<dyn Read + Send>, tx: Chunks) {
    let _keep_open = master;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match readable(fd, POLL_TICK_MS) {
            Ok(true) => {}
            Ok(false) if tx.is_closed() => return,
            Ok(false) => continue,
            Err(_) => return,
        }
        // portable-pty reports EIO (every holder of the terminal's other end closed it) as 0.
        let mut filled = match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        // A terminal hands out small reads; gather what is already there into one chunk.
        let mut end = false;
        while filled < buf.len() && readable(fd, 0).unwrap_or(false) {
            match reader.read(&mut buf[filled..]) {
                Ok(0) => {
                    end = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => {
                    end = true;
                    break;
                }
            }
        }
        // Waiting here (queue full) is the back-pressure: the PTY is not read meanwhile.
        let mut chunk = crate::pool::take(filled);
        chunk.extend_from_slice(&buf[..filled]);
        if tx.blocking_send((OutputStream::Stdout, chunk)).is_err() || end {
            return;
        }
    }
}

/// The ConPTY pump, on its own thread: reads block (a ConPTY pipe cannot be polled). It ends when
/// the console closes (the command and everything attached to it are gone) or the runner is.
#[cfg(windows)]
fn read_pty(master: PtyMaster, mut reader: Box<dyn Read + Send>, tx: Chunks) {
    let _keep_open = master;
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        let mut chunk = crate::pool::take(n);
        chunk.extend_from_slice(&buf[..n]);
        if tx.blocking_send((OutputStream::Stdout, chunk)).is_err() {
            return;
        }
    }
}

/// A pipe command's stdout and stderr, read by the runner itself (no task and no channel hop per
/// chunk): whatever is already in a pipe is gathered into one chunk, up to `READ_CHUNK`.
struct PipeReader {
    pipes: [Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>; 2],
    bufs: [Vec<u8>; 2],
    /// Which stream is tried first next time, so a busy one cannot starve the other.
    turn: usize,
}

impl PipeReader {
    /// Ready with data, or once the pipe closed; pending only after a read said so.
    fn poll_fill(&mut self, i: usize, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        use std::future::Future;
        use std::task::Poll;
        let buf = &mut self.bufs[i];
        loop {
            let Some(pipe) = self.pipes[i].as_mut() else {
                return Poll::Ready(());
            };
            if buf.len() >= READ_CHUNK {
                return Poll::Ready(());
            }
            if buf.capacity() - buf.len() < READ_CHUNK / 2 {
                buf.reserve(READ_CHUNK - buf.len());
            }
            // read_buf reads into the spare capacity; dropping it unfinished reads nothing.
            let read = std::pin::pin!(pipe.read_buf(buf)).poll(cx);
            match read {
                Poll::Ready(Ok(n)) if n > 0 => continue,
                Poll::Ready(_) => self.pipes[i] = None,
                Poll::Pending if buf.is_empty() => return Poll::Pending,
                Poll::Pending => return Poll::Ready(()),
            }
        }
    }

    fn poll_next(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<(OutputStream, Vec<u8>)>> {
        use std::task::Poll;
        let first = self.turn;
        self.turn ^= 1;
        for i in [first, first ^ 1] {
            if self.bufs[i].capacity() == 0 && self.pipes[i].is_some() {
                let buf = crate::pool::take(READ_CHUNK);
                // A read fills the whole spare capacity: keep one chunk (and so one line) bounded
                // even when the pool hands out a bigger buffer.
                self.bufs[i] = if buf.capacity() > 2 * READ_CHUNK {
                    crate::pool::give(buf);
                    Vec::with_capacity(READ_CHUNK)
                } else {
                    buf
                };
            }
            if self.poll_fill(i, cx).is_ready() && !self.bufs[i].is_empty() {
                let chunk = std::mem::take(&mut self.bufs[i]);
                let stream = [OutputStream::Stdout, OutputStream::Stderr][i];
                return Poll::Ready(Some((stream, chunk)));
            }
        }
        if self.pipes.iter().all(Option::is_none) {
            for b in &mut self.bufs {
                crate::pool::give(std::mem::take(b));
            }
            return Poll::Ready(None);
        }
        Poll::Pending
    }
}

/// Where a command's output comes from.
enum Output {
    /// PTY commands: the pump thread's chunks (its reads block).
    Chunks(mpsc::Receiver<(OutputStream, Vec<u8>)>),
    /// Pipe commands: the pipes themselves.
    Pipes(PipeReader),
}

impl Output {
    /// The next chunk; `None` once every source is closed. Cancel-safe (used in `select!`).
    async fn next(&mut self) -> Option<(OutputStream, Vec<u8>)> {
        match self {
            Output::Chunks(rx) => rx.recv().await,
            Output::Pipes(p) => std::future::poll_fn(|cx| p.poll_next(cx)).await,
        }
    }
}

#[cfg(unix)]
fn signal_name(sig: i32) -> String {
    nix::sys::signal::Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {sig}"))
}

/// Where output notifications go (outbox.rs); `send` waits when the client reads slowly.
/// (Lines are UTF-8, without the newline; bytes so an `exec/output` line, escaped straight into a
/// byte buffer, needs no second pass to become a String.)
pub use crate::outbox::Outbox;

pub fn notification_line<T: serde::Serialize>(method: &str, params: &T) -> String {
    serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string()
}

/// The `exec/output` line being gathered: its text is escaped into it as the output arrives (one
/// copy of each byte between the read buffer and the line that goes out).
struct Pending {
    exec_id: String,
    stream: OutputStream,
    /// The line so far (start, escaped text), or empty when nothing is waiting.
    line: Vec<u8>,
    /// Bytes of text in `line`, unescaped.
    text_len: usize,
    flush_at: Option<Instant>,
}

impl Pending {
    async fn flush(&mut self, out: &Outbox) {
        self.flush_at = None;
        if self.text_len == 0 {
            return;
        }
        crate::output::end_exec_output_line(&mut self.line);
        self.text_len = 0;
        let _ = out.send(std::mem::take(&mut self.line)).await;
    }

    /// Appends text of the current stream.
    fn add(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        if self.line.is_empty() {
            let room = FLUSH_BYTES + READ_CHUNK + READ_CHUNK / 8 + self.exec_id.len() + 96;
            self.line = crate::pool::take(room);
            crate::output::begin_exec_output_line(&mut self.line, &self.exec_id, self.stream);
        }
        crate::output::push_text(&mut self.line, text);
        self.text_len += text.len();
    }

    async fn push(&mut self, stream: OutputStream, text: &str, out: &Outbox) {
        if text.is_empty() {
            return;
        }
        self.switch(stream, out).await;
        self.add(text);
        self.pushed(out).await;
    }

    /// Output of `stream` comes next: what is waiting of the other stream goes out first.
    async fn switch(&mut self, stream: OutputStream, out: &Outbox) {
        if stream != self.stream {
            self.flush(out).await;
            self.stream = stream;
        }
    }

    /// After text was added: send it once there is enough, else start the flush timer.
    async fn pushed(&mut self, out: &Outbox) {
        if self.text_len >= FLUSH_BYTES {
            self.flush(out).await;
        } else if self.flush_at.is_none() && self.text_len > 0 {
            self.flush_at = Some(Instant::now() + FLUSH_DELAY);
        }
    }
}

fn earliest(times: &[Option<Instant>]) -> Option<Instant> {
    times.iter().flatten().min().copied()
}

impl Started {
    /// Pumps output until the command and everything holding its output are gone, then returns the
    /// `exec/exited` notification (output notifications were sent on the way).
    pub async fn run(self, exec_id: String, out: Outbox) -> ExecExitedNotification {
        let Started {
            control, runner, ..
        } = self;
        let Runner {
            mut exit,
            git_watch,
            mut output,
            timeout,
            limit,
            started_at,
        } = runner;
        let pgid = control.pgid;
        let tree = &control.tree;
        let mut decoders = [Utf8Stream::default(), Utf8Stream::default()];
        let mut summary = HeadTail::new(limit);
        let mut pending = Pending {
            exec_id: exec_id.clone(),
            stream: OutputStream::Stdout,
            line: Vec::new(),
            text_len: 0,
            flush_at: None,
        };
        let mut status: Option<ExitStatus> = None;
        let mut readers_done = false;
        let mut timed_out = false;
        let mut deadline = timeout.map(|t| started_at + t);
        let mut term_sent = false;
        let mut kill_at: Option<Instant> = None;
        let mut linger_until: Option<Instant> = None;
        let mut abandon_at: Option<Instant> = None;

        while !(readers_done && status.is_some()) {
            let timer = earliest(&[
                pending.flush_at,
                deadline,
                kill_at,
                linger_until,
                abandon_at,
            ]);
            let mut begin_kill = false;
            tokio::select! {
                c = output.next(), if !readers_done => match c {
                    Some((stream, bytes)) => {
                        // Decoded in place and escaped straight into the line waiting to go out.
                        pending.switch(stream, &out).await;
                        decoders[stream as usize].decode_each(&bytes, |text| {
                            summary.push(text);
                            pending.add(text);
                        });
                        crate::pool::give(bytes);
                        pending.pushed(&out).await;
                    }
                    None => {
                        readers_done = true;
                        for (i, stream) in [OutputStream::Stdout, OutputStream::Stderr].into_iter().enumerate() {
                            let rest = decoders[i].finish();
                            summary.push(&rest);
                            pending.push(stream, &rest, &out).await;
                        }
                    }
                },
                s = exit.wait(), if status.is_none() => {
                    // A wait error means the child is gone; report it as killed rather than hang.
                    status = Some(s.unwrap_or_else(|_| killed_status()));
                    deadline = None;
                    if !readers_done {
                        linger_until = Some(Instant::now() + LINGER);
                    }
                }
                _ = control.kill.notified() => begin_kill = true,
                _ = sleep_until(timer.unwrap_or_else(Instant::now)), if timer.is_some() => {
                    let now = Instant::now();
                    if pending.flush_at.is_some_and(|t| t <= now) {
                        pending.flush(&out).await;
                    }
                    if deadline.is_some_and(|t| t <= now) {
                        deadline = None;
                        timed_out = true;
                        begin_kill = true;
                    }
                    if kill_at.is_some_and(|t| t <= now) {
                        kill_at = None;
                        tree.end(End::Kill);
                    }
                    if linger_until.is_some_and(|t| t <= now) {
                        // The command is done; what is left of its group only holds the output open.
                        linger_until = None;
                        tree.end(End::Kill);
                        abandon_at = Some(now + ABANDON_AFTER);
                    }
                    if abandon_at.is_some_and(|t| t <= now) {
                        // Something outside the group (it called setsid) holds the output: stop waiting.
                        abandon_at = None;
                        if let Output::Pipes(p) = &mut output {
                            p.pipes = [None, None];
                        }
                        readers_done = true;
                    }
                }
            }
            if begin_kill && !term_sent && status.is_none() {
                term_sent = true;
                tree.end(End::Term);
                kill_at = Some(Instant::now() + KILL_GRACE);
            }
        }
        // Background leftovers that closed their output still belong to the command: end them too
        // (before the .git check, so none of them creates one after it).
        tree.end(End::Kill);
        #[cfg(target_os = "linux")]
        if let Some(held) = exit.leftover() {
            if let Ok(mut slot) = control.leftover.lock() {
                *slot = Some(held);
            }
        }
        if let Some(watch) = git_watch {
            if let Some((stream, text)) = watch.check().await {
                summary.push(&text);
                pending.push(stream, &text, &out).await;
            }
        }
        pending.flush(&out).await;
        commands().retain(|p| *p != pgid);
        if orphans_possible() {
            let _ = tokio::task::spawn_blocking(end_orphans).await;
        }
        let status = status.expect("loop ends after exit");
        ExecExitedNotification {
            exec_id,
            exit_code: status.code(),
            #[cfg(unix)]
            signal: status.signal().map(signal_name),
            #[cfg(windows)]
            signal: None,
            timed_out,
            duration_ms: started_at.elapsed().as_millis() as u64,
            output: summary.finish(),
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod orphan_tests {
    use super::*;

    #[test]
    fn own_children_lists_children_of_every_thread_including_ended_ones() {
        // One child forked by this thread, one by a thread that has ended since (the kernel hands
        // that thread's children to another thread of the process).
        let mut here = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let mut there = std::thread::spawn(|| {
            std::process::Command::new("sleep")
                .arg("30")
                .spawn()
                .unwrap()
        })
        .join()
        .unwrap();
        let listed = own_children().expect("this kernel has /proc/self/task/TID/children");
        let scanned = orphans_by_scan(&[]);
        for child in [&here, &there] {
            let pid = child.id() as i32;
            assert!(listed.contains(&pid), "{pid} missing from {listed:?}");
            assert!(
                scanned.contains(&pid),
                "{pid} missing from the /proc scan {scanned:?}"
            );
        }
        // What a command registered is not an orphan; the other one is.
        let known = [here.id() as i32];
        let found = orphans(&known);
        assert!(!found.contains(&(here.id() as i32)));
        assert!(found.contains(&(there.id() as i32)));
        for c in [&mut here, &mut there] {
            c.kill().unwrap();
            c.wait().unwrap();
        }
        let after = own_children().unwrap();
        assert!(!after.contains(&(here.id() as i32)) && !after.contains(&(there.id() as i32)));
    }
}
