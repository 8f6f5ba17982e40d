//! One running command: how it is started (PTY or pipes, own session and process group, filtered
//! environment, optional sandbox launcher in front), how its output is pumped out, and how it ends.
use crate::child_env;
use crate::output::{HeadTail, Utf8Stream};
use crate::protocol::{
    codes, ExecExitedNotification, ExecOutputNotification, ExecStartParams, OutputStream,
    SandboxInfo, SandboxMode,
};
use crate::sandbox::{self, LaunchSpec};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, Mutex as AsyncMutex, Notify};
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};

pub const DEFAULT_OUTPUT_LIMIT: u64 = 1024 * 1024;
/// A notification is sent once this much text is waiting...
const FLUSH_BYTES: usize = 32 * 1024;
/// ...or this long after the first byte of it arrived.
const FLUSH_DELAY: Duration = Duration::from_millis(4);
const READ_CHUNK: usize = 64 * 1024;
/// Chunks in flight between a reader and the pump: when full, the reader stops reading.
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

enum Input {
    Pty(Arc<AsyncFd<OwnedFd>>),
    Pipe(Option<tokio::process::ChildStdin>),
}

/// The handle the request handlers use while the command runs.
pub struct ExecControl {
    pub pgid: i32,
    input: AsyncMutex<Input>,
    kill: Notify,
}

impl ExecControl {
    pub async fn write(&self, data: &[u8], eof: bool) -> Result<(), String> {
        let mut input = self.input.lock().await;
        match &mut *input {
            Input::Pty(master) => {
                write_all_fd(master, data).await?;
                if eof {
                    // Ctrl-D at the start of a line is end-of-file for the terminal's reader.
                    write_all_fd(master, b"\x04").await?;
                }
                Ok(())
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

    pub async fn resize(&self, cols: u16, rows: u16) -> Result<(), RpcError> {
        let input = self.input.lock().await;
        match &*input {
            Input::Pty(master) => {
                set_winsize(master.get_ref().as_raw_fd(), cols, rows).map_err(|e| {
                    RpcError::new(codes::IO_FAILED, format!("cannot resize the terminal: {e}"))
                })
            }
            Input::Pipe(_) => Err(RpcError::new(
                codes::INVALID_PARAMS,
                "this command runs with pipes (tty: false); there is no terminal to resize",
            )),
        }
    }

    pub fn request_kill(&self) {
        self.kill.notify_one();
    }
}

async fn write_all_fd(fd: &AsyncFd<OwnedFd>, mut data: &[u8]) -> Result<(), String> {
    while !data.is_empty() {
        let mut guard = fd.writable().await.map_err(|e| e.to_string())?;
        match guard.try_io(|inner| {
            let n = unsafe {
                libc::write(
                    inner.get_ref().as_raw_fd(),
                    data.as_ptr().cast(),
                    data.len(),
                )
            };
            if n < 0 {
                Err(std::io::Error::last_os_error())
            } else {
                Ok(n as usize)
            }
        }) {
            Ok(Ok(n)) => data = &data[n..],
            Ok(Err(e)) => return Err(format!("cannot write to the terminal: {e}")),
            Err(_would_block) => continue,
        }
    }
    Ok(())
}

fn set_winsize(fd: i32, cols: u16, rows: u16) -> std::io::Result<()> {
    let ws = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    if unsafe { libc::ioctl(fd, libc::TIOCSWINSZ, &ws) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Opens a PTY pair with close-on-exec set from the start, so a command started at the same time
/// on another thread cannot inherit (and hold open) this one's terminal.
fn open_pty(cols: u16, rows: u16) -> std::io::Result<(OwnedFd, OwnedFd)> {
    use nix::fcntl::OFlag;
    #[cfg(target_os = "linux")]
    let (master, name) = {
        let master = nix::pty::posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)?;
        nix::pty::grantpt(&master)?;
        nix::pty::unlockpt(&master)?;
        let name = nix::pty::ptsname_r(&master)?;
        (master, name)
    };
    // Elsewhere (macOS, untested) posix_openpt takes no O_CLOEXEC and ptsname uses a static buffer:
    // serialise, and set close-on-exec right after.
    #[cfg(not(target_os = "linux"))]
    let (master, name) = {
        static PTY_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _guard = PTY_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let master = nix::pty::posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY)?;
        unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        nix::pty::grantpt(&master)?;
        nix::pty::unlockpt(&master)?;
        let name = unsafe { nix::pty::ptsname(&master) }?;
        (master, name)
    };
    let slave = nix::fcntl::open(
        Path::new(&name),
        OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
        nix::sys::stat::Mode::empty(),
    )?;
    let master_fd = unsafe { OwnedFd::from_raw_fd(master.as_raw_fd()) };
    std::mem::forget(master);
    set_winsize(master_fd.as_raw_fd(), cols, rows)?;
    let flags = unsafe { libc::fcntl(master_fd.as_raw_fd(), libc::F_GETFL) };
    if unsafe {
        libc::fcntl(
            master_fd.as_raw_fd(),
            libc::F_SETFL,
            flags | libc::O_NONBLOCK,
        )
    } != 0
    {
        return Err(std::io::Error::last_os_error());
    }
    Ok((master_fd, slave))
}

/// Finds the program the way execvp would, so a missing one is a clear error instead of exit 127.
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

pub struct Started {
    pub pid: u32,
    pub control: Arc<ExecControl>,
    runner: Runner,
}

struct Runner {
    child: tokio::process::Child,
    chunks: mpsc::Receiver<(OutputStream, Vec<u8>)>,
    readers: Vec<JoinHandle<()>>,
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
    let tty = params.tty.unwrap_or(true);
    let env = child_env::build(std::env::vars_os(), tty, params.env.as_ref());
    let program = resolve_program(&params.argv[0], &cwd, env.get(&OsString::from("PATH")))
        .ok_or_else(|| {
            RpcError::with_reason(
                codes::SPAWN_FAILED,
                "program-not-found",
                format!(
                    "cannot start {:?}: no such executable program (looked in the command's PATH)",
                    params.argv[0]
                ),
            )
        })?;

    let policy = params.sandbox.clone();
    let mode = policy
        .as_ref()
        .map_or(SandboxMode::DangerFullAccess, |p| p.mode);
    let mut cmd = if mode == SandboxMode::DangerFullAccess {
        let mut c = tokio::process::Command::new(&program);
        c.arg0(&params.argv[0]).args(&params.argv[1..]);
        c
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
        let policy = policy.as_ref().expect("mode came from the policy");
        let mut roots = Vec::new();
        if mode == SandboxMode::WorkspaceWrite {
            for r in policy.writable_roots.iter().flatten() {
                let p = PathBuf::from(r);
                if !p.is_absolute() || !p.is_dir() {
                    return Err(RpcError::with_reason(
                        codes::SPAWN_FAILED,
                        "writable-root-missing",
                        format!("writable root {r:?} is not an existing absolute directory"),
                    ));
                }
                roots.push(p);
            }
        }
        let spec = LaunchSpec {
            mode,
            writable_roots: roots,
            network: policy.network.unwrap_or(false),
            argv: params.argv.iter().map(OsString::from).collect(),
        };
        let mut c = tokio::process::Command::new(sandbox::self_exe());
        c.args(spec.to_args());
        c
    };
    cmd.current_dir(&cwd)
        .env_clear()
        .envs(&env)
        .kill_on_drop(false);

    let cols = params.cols.unwrap_or(80).max(1);
    let rows = params.rows.unwrap_or(24).max(1);
    let pty = if tty {
        let (master, slave) = open_pty(cols, rows).map_err(|e| {
            RpcError::with_reason(
                codes::SPAWN_FAILED,
                "pty-failed",
                format!("cannot open a pseudo-terminal: {e}"),
            )
        })?;
        let dup = |fd: &OwnedFd| -> Result<Stdio, RpcError> {
            fd.try_clone().map(Stdio::from).map_err(|e| {
                RpcError::with_reason(
                    codes::SPAWN_FAILED,
                    "pty-failed",
                    format!("cannot set up the terminal: {e}"),
                )
            })
        };
        cmd.stdin(dup(&slave)?)
            .stdout(dup(&slave)?)
            .stderr(dup(&slave)?);
        Some(master)
    } else {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        None
    };
    unsafe {
        cmd.pre_exec(move || {
            // Own session (and so own process group): kill reaches grandchildren, and the PTY
            // becomes this command's controlling terminal.
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if tty && libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            #[cfg(target_os = "linux")]
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| {
        RpcError::with_reason(
            codes::SPAWN_FAILED,
            "spawn-failed",
            format!("cannot start {:?}: {e}", params.argv[0]),
        )
    })?;
    let pid = child.id().unwrap_or(0);

    let (tx, chunks) = mpsc::channel(CHUNK_QUEUE);
    let mut readers = Vec::new();
    let input = match pty {
        Some(master) => {
            // SAFETY: the OwnedFd moves into the AsyncFd and lives exactly as long as it.
            let master = Arc::new(unsafe { AsyncFd::register(master) }.map_err(|e| {
                RpcError::new(
                    codes::SPAWN_FAILED,
                    format!("cannot watch the terminal: {e}"),
                )
            })?);
            readers.push(tokio::spawn(read_pty(master.clone(), tx)));
            Input::Pty(master)
        }
        None => {
            let stdout = child.stdout.take().expect("piped");
            let stderr = child.stderr.take().expect("piped");
            readers.push(tokio::spawn(read_pipe(
                stdout,
                OutputStream::Stdout,
                tx.clone(),
            )));
            readers.push(tokio::spawn(read_pipe(stderr, OutputStream::Stderr, tx)));
            Input::Pipe(child.stdin.take())
        }
    };
    let control = Arc::new(ExecControl {
        pgid: pid as i32,
        input: AsyncMutex::new(input),
        kill: Notify::new(),
    });
    Ok(Started {
        pid,
        control,
        runner: Runner {
            child,
            chunks,
            readers,
            timeout: params.timeout_ms.map(Duration::from_millis),
            limit: params.output_limit_bytes.unwrap_or(DEFAULT_OUTPUT_LIMIT) as usize,
            started_at: Instant::now(),
        },
    })
}

fn read_fd(fd: i32, buf: &mut [u8]) -> std::io::Result<usize> {
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

async fn read_pty(master: Arc<AsyncFd<OwnedFd>>, tx: mpsc::Sender<(OutputStream, Vec<u8>)>) {
    let fd = master.get_ref().as_raw_fd();
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        let Ok(mut guard) = master.readable().await else {
            return;
        };
        let mut filled = match guard.try_io(|_| read_fd(fd, &mut buf)) {
            Ok(Ok(0)) => return,
            Ok(Ok(n)) => n,
            // EIO: every holder of the terminal's other end has closed it.
            Ok(Err(_)) => return,
            Err(_would_block) => continue,
        };
        drop(guard);
        // A terminal hands out small reads; gather what is already there into one chunk.
        let mut end = false;
        while filled < buf.len() {
            match read_fd(fd, &mut buf[filled..]) {
                Ok(0) => {
                    end = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    end = true;
                    break;
                }
            }
        }
        // Waiting here (queue full) is the back-pressure: the PTY is not read meanwhile.
        if tx
            .send((OutputStream::Stdout, buf[..filled].to_vec()))
            .await
            .is_err()
            || end
        {
            return;
        }
    }
}

async fn read_pipe(
    mut pipe: impl tokio::io::AsyncRead + Unpin,
    stream: OutputStream,
    tx: mpsc::Sender<(OutputStream, Vec<u8>)>,
) {
    let mut buf = vec![0u8; READ_CHUNK];
    loop {
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                if tx.send((stream, buf[..n].to_vec())).await.is_err() {
                    return;
                }
            }
        }
    }
}

fn signal_group(pgid: i32, sig: Signal) {
    if pgid > 0 {
        let _ = killpg(Pid::from_raw(pgid), sig);
    }
}

fn signal_name(sig: i32) -> String {
    Signal::try_from(sig)
        .map(|s| s.as_str().to_string())
        .unwrap_or_else(|_| format!("signal {sig}"))
}

/// Where output notifications go; `send` waits when the client reads slowly.
pub type Outbox = mpsc::Sender<String>;

pub fn notification_line<T: serde::Serialize>(method: &str, params: &T) -> String {
    serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string()
}

struct Pending {
    exec_id: String,
    stream: OutputStream,
    text: String,
    flush_at: Option<Instant>,
}

impl Pending {
    async fn flush(&mut self, out: &Outbox) {
        self.flush_at = None;
        if self.text.is_empty() {
            return;
        }
        let n = ExecOutputNotification {
            exec_id: self.exec_id.clone(),
            stream: self.stream,
            text: std::mem::take(&mut self.text),
        };
        let _ = out.send(notification_line("exec/output", &n)).await;
    }

    async fn push(&mut self, stream: OutputStream, text: &str, out: &Outbox) {
        if text.is_empty() {
            return;
        }
        if stream != self.stream {
            self.flush(out).await;
            self.stream = stream;
        }
        self.text.push_str(text);
        if self.text.len() >= FLUSH_BYTES {
            self.flush(out).await;
        } else if self.flush_at.is_none() {
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
            mut child,
            mut chunks,
            readers,
            timeout,
            limit,
            started_at,
        } = runner;
        let pgid = control.pgid;
        let mut decoders = [Utf8Stream::default(), Utf8Stream::default()];
        let mut summary = HeadTail::new(limit);
        let mut pending = Pending {
            exec_id: exec_id.clone(),
            stream: OutputStream::Stdout,
            text: String::new(),
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
                c = chunks.recv(), if !readers_done => match c {
                    Some((stream, bytes)) => {
                        let text = decoders[stream as usize].decode(&bytes);
                        summary.push(&text);
                        pending.push(stream, &text, &out).await;
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
                s = child.wait(), if status.is_none() => {
                    // A wait error means the child is gone; report it as killed rather than hang.
                    status = Some(s.unwrap_or_else(|_| ExitStatus::from_raw(libc::SIGKILL)));
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
                        signal_group(pgid, Signal::SIGKILL);
                    }
                    if linger_until.is_some_and(|t| t <= now) {
                        // The command is done; what is left of its group only holds the output open.
                        linger_until = None;
                        signal_group(pgid, Signal::SIGKILL);
                        abandon_at = Some(now + ABANDON_AFTER);
                    }
                    if abandon_at.is_some_and(|t| t <= now) {
                        // Something outside the group (it called setsid) holds the output: stop waiting.
                        abandon_at = None;
                        for r in &readers {
                            r.abort();
                        }
                        readers_done = true;
                    }
                }
            }
            if begin_kill && !term_sent && status.is_none() {
                term_sent = true;
                signal_group(pgid, Signal::SIGTERM);
                kill_at = Some(Instant::now() + KILL_GRACE);
            }
        }
        pending.flush(&out).await;
        // Background leftovers that closed their output still belong to the command: end them too.
        signal_group(pgid, Signal::SIGKILL);
        let status = status.expect("loop ends after exit");
        ExecExitedNotification {
            exec_id,
            exit_code: status.code(),
            signal: status.signal().map(signal_name),
            timed_out,
            duration_ms: started_at.elapsed().as_millis() as u64,
            output: summary.finish(),
        }
    }
}
