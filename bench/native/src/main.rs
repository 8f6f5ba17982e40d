//! Native floors for Tack's benchmarks, printed as one JSON object on stdout.
//!
//!   tack-bench-native spawn --n N [--pty]            spawn `true` N times, wait for each
//!   tack-bench-native stream [--pty] [--poll] -- ARGV...
//!                                                    run ARGV, read all its output, count bytes
//!                                                    (--poll: non-blocking reads driven by poll())
//!
//! `spawn` measures what it costs a native program to start a process and see it exit: the floor
//! for the sidecar's exec round trip. With `--pty` the child gets a fresh PTY as its controlling
//! terminal and the parent drains the master until the child is gone, as the sidecar does.
//! `stream` measures how fast a native reader drains a pipe or a PTY: the floor for streaming.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Instant;

fn open_pty() -> (OwnedFd, OwnedFd) {
    let mut master = -1;
    let mut slave = -1;
    // The same 80x24 the sidecar gives its commands by default.
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two fds into the out pointers; null name/termios are allowed.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    if rc != 0 {
        panic!("openpty failed: {}", std::io::Error::last_os_error());
    }
    // SAFETY: both fds were just opened by openpty and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) }
}

/// Builds the command with its output on a new PTY (slave as stdin/stdout/stderr, the child as the
/// session leader owning it). Returns the master to read from.
fn with_pty(cmd: &mut Command) -> OwnedFd {
    let (master, slave) = open_pty();
    cmd.stdin(Stdio::from(slave.try_clone().expect("dup slave")))
        .stdout(Stdio::from(slave.try_clone().expect("dup slave")))
        .stderr(Stdio::from(slave));
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    master
}

/// Like `drain`, but the way an event loop reads: non-blocking, wait in poll() until readable, then
/// read until EAGAIN. Some kernels hand a PTY's data over faster to this pattern than to a reader
/// blocked in read(), so the floor is the better of the two.
fn drain_polled(fd: OwnedFd) -> u64 {
    use std::os::fd::AsRawFd;
    let raw = fd.as_raw_fd();
    // SAFETY: plain fcntl/poll/read on an fd this function owns.
    unsafe {
        let flags = libc::fcntl(raw, libc::F_GETFL);
        libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let mut pfd = libc::pollfd {
            fd: raw,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        if unsafe { libc::poll(&mut pfd, 1, -1) } < 0 {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            panic!("poll: {e}");
        }
        loop {
            // SAFETY: buf is valid for buf.len() bytes.
            let n = unsafe { libc::read(raw, buf.as_mut_ptr().cast(), buf.len()) };
            if n > 0 {
                total += n as u64;
                continue;
            }
            if n == 0 {
                return total;
            }
            let e = std::io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EAGAIN) => break,
                Some(libc::EINTR) => continue,
                Some(libc::EIO) => return total,
                _ => panic!("read: {e}"),
            }
        }
    }
}

/// Reads until EOF, or EIO (what a PTY master returns once the last slave holder is gone).
fn drain(mut r: impl Read) -> u64 {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        match r.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n as u64,
            Err(e) if e.raw_os_error() == Some(libc::EIO) => return total,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => panic!("read: {e}"),
        }
    }
}

fn spawn_once(pty: bool) -> f64 {
    let start = Instant::now();
    let mut cmd = Command::new("true");
    if pty {
        let master = with_pty(&mut cmd);
        let mut child = cmd.spawn().expect("spawn true");
        drop(cmd); // closes the parent's copies of the slave, so the master sees EIO at the end
        drain(std::fs::File::from(master));
        child.wait().expect("wait");
    } else {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let status = cmd.status().expect("spawn true");
        assert!(status.success());
    }
    start.elapsed().as_secs_f64() * 1e3
}

fn stream(pty: bool, polled: bool, argv: &[String]) -> (u64, f64) {
    let start = Instant::now();
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    let read = |fd: OwnedFd| {
        if polled {
            drain_polled(fd)
        } else {
            drain(std::fs::File::from(fd))
        }
    };
    let (bytes, mut child) = if pty {
        let master = with_pty(&mut cmd);
        let child = cmd.spawn().expect("spawn");
        drop(cmd);
        (read(master), child)
    } else {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn");
        let out = child.stdout.take().expect("stdout");
        (read(OwnedFd::from(out)), child)
    };
    child.wait().expect("wait");
    (bytes, start.elapsed().as_secs_f64() * 1e3)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let pty = args.iter().any(|a| a == "--pty");
    match args.first().map(String::as_str) {
        Some("spawn") => {
            let n: usize = args
                .iter()
                .position(|a| a == "--n")
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(100);
            spawn_once(pty); // warm the page cache and the dynamic loader's paths
            let ms: Vec<String> = (0..n).map(|_| format!("{:.4}", spawn_once(pty))).collect();
            println!("{{\"ms\":[{}]}}", ms.join(","));
        }
        Some("stream") => {
            let Some(sep) = args.iter().position(|a| a == "--") else {
                eprintln!("stream: missing -- ARGV");
                std::process::exit(2);
            };
            let polled = args[..sep].iter().any(|a| a == "--poll");
            let (bytes, ms) = stream(pty, polled, &args[sep + 1..]);
            println!("{{\"bytes\":{bytes},\"ms\":{ms:.3}}}");
        }
        _ => {
            eprintln!(
                "usage: tack-bench-native spawn --n N [--pty] | stream [--pty] [--poll] -- ARGV..."
            );
            std::process::exit(2);
        }
    }
}
