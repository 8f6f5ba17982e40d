//! The one way out to stdout: every response and notification, in the order sent. A writer thread
//! does the writing and blocks in write() while the client reads slowly, which is the
//! back-pressure (its queue of a few lines fills, then the senders wait, then the commands' output
//! is not read). When nothing is queued or being written, a small line is written by its sender
//! at once (Unix, stdout a socket, as Node's spawn gives it: a send that cannot block), so an
//! answer or an `exec/exited` does not wait for the writer thread to be woken and scheduled; on a
//! busy machine that took as long as a short command runs.
use tokio::sync::mpsc;

/// Lines waiting for the writer. Small, so a slow client stops the commands' output at the source.
/// (An `exec/output` line carries up to 256 KiB of text.)
const QUEUED_LINES: usize = 8;
/// Lines up to this size (answers, exit reports, short output) may be written by their sender.
const DIRECT_MAX: usize = 16 * 1024;
/// Lines gathered into one write by the writer, at most.
const BATCH: usize = 32;

enum Item {
    /// A line; the writer adds its newline.
    Line(Vec<u8>),
    /// Bytes as they are: the rest of a line a direct write left unfinished.
    Rest(Vec<u8>),
    /// Write what came before, then end.
    Stop,
}

/// The sending side, cloned for every sender.
#[derive(Clone)]
pub struct Outbox {
    tx: mpsc::Sender<Item>,
    shared: std::sync::Arc<Shared>,
}

struct Shared {
    /// Items handed to the writer and not yet written. A sender writes directly only when this is
    /// 0 (checked and done under the lock), so no line ever overtakes one sent before it.
    queued: std::sync::Mutex<usize>,
    /// Whether stdout takes a send that cannot block (a socket).
    direct: bool,
}

/// The outbox was closed: the writer is gone.
#[derive(Debug)]
pub struct Closed;

/// The writer's end, run by `write_lines` on a thread of its own.
pub struct Writer {
    rx: mpsc::Receiver<Item>,
    shared: std::sync::Arc<Shared>,
}

impl Outbox {
    /// An outbox for the process's stdout and the writer that empties it.
    pub fn stdout() -> (Outbox, Writer) {
        Self::with_direct(stdout_is_socket())
    }

    /// `direct`: whether senders may write small lines themselves (stdout must be a socket).
    pub fn with_direct(direct: bool) -> (Outbox, Writer) {
        let (tx, rx) = mpsc::channel(QUEUED_LINES);
        let shared = std::sync::Arc::new(Shared {
            queued: std::sync::Mutex::new(0),
            direct,
        });
        (
            Outbox {
                tx,
                shared: shared.clone(),
            },
            Writer { rx, shared },
        )
    }

    /// Sends one line (UTF-8, without its newline); waits while the queue is full.
    pub async fn send(&self, line: Vec<u8>) -> Result<(), Closed> {
        match self.direct_or_queue(line) {
            None => Ok(()),
            Some(line) => self.tx.send(Item::Line(line)).await.map_err(|_| Closed),
        }
    }

    /// `send` for a thread outside the runtime.
    pub fn blocking_send(&self, line: Vec<u8>) -> Result<(), Closed> {
        match self.direct_or_queue(line) {
            None => Ok(()),
            Some(line) => self.tx.blocking_send(Item::Line(line)).map_err(|_| Closed),
        }
    }

    /// Asks the writer to end once everything sent before is written.
    pub async fn stop(&self) {
        *self.lock() += 1;
        let _ = self.tx.send(Item::Stop).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.shared.queued.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes the line itself when nothing is queued and the socket takes it at once (None);
    /// otherwise counts it as queued and gives it back for the queue. (A send that is cancelled
    /// after this leaves the count up: lines then all go through the writer, in order still.)
    fn direct_or_queue(&self, mut line: Vec<u8>) -> Option<Vec<u8>> {
        let mut queued = self.lock();
        if self.shared.direct && *queued == 0 && line.len() <= DIRECT_MAX {
            match send_now(&line) {
                Sent::All => {
                    drop(queued);
                    crate::pool::give(line);
                    return None;
                }
                Sent::Part(n) => {
                    // The rest goes next, through the writer: queued while the lock is held, so
                    // nothing can come between (the queue is empty, so there is room).
                    let rest = if n < line.len() {
                        line.drain(..n);
                        Item::Line(line)
                    } else {
                        Item::Rest(b"\n".to_vec())
                    };
                    *queued += 1;
                    let _ = self.tx.try_send(rest);
                    return None;
                }
                Sent::Nothing => {}
            }
        }
        *queued += 1;
        Some(line)
    }
}

#[cfg_attr(not(unix), allow(dead_code))]
enum Sent {
    All,
    /// This many bytes of the line (not all of it and its newline).
    Part(usize),
    Nothing,
}

/// A send to a closed socket fails with EPIPE instead of raising SIGPIPE (which the Rust runtime
/// ignores anyway; macOS has no such flag).
#[cfg(any(target_os = "linux", target_os = "android"))]
const NO_SIGPIPE: libc::c_int = libc::MSG_NOSIGNAL;
#[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
const NO_SIGPIPE: libc::c_int = 0;

/// One send of the line and its newline that never blocks (a full socket, an error: nothing or
/// part of it went; the writer deals with the rest, and with errors, as for any line).
#[cfg(unix)]
fn send_now(line: &[u8]) -> Sent {
    let iov = [
        libc::iovec {
            iov_base: line.as_ptr() as *mut libc::c_void,
            iov_len: line.len(),
        },
        libc::iovec {
            iov_base: b"\n".as_ptr() as *mut libc::c_void,
            iov_len: 1,
        },
    ];
    // SAFETY: a msghdr naming two buffers that live across the call; no address, no control data.
    let n = unsafe {
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_iov = iov.as_ptr() as *mut libc::iovec;
        msg.msg_iovlen = 2 as _;
        libc::sendmsg(libc::STDOUT_FILENO, &msg, libc::MSG_DONTWAIT | NO_SIGPIPE)
    };
    match n {
        n if n < 0 => Sent::Nothing,
        n if n as usize == line.len() + 1 => Sent::All,
        0 => Sent::Nothing,
        n => Sent::Part(n as usize),
    }
}

#[cfg(not(unix))]
fn send_now(_line: &[u8]) -> Sent {
    Sent::Nothing
}

/// Whether stdout is a socket (a send to it can be told not to block).
fn stdout_is_socket() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: fstat into a zeroed struct.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        (unsafe { libc::fstat(libc::STDOUT_FILENO, &mut st) }) == 0
            && st.st_mode & libc::S_IFMT == libc::S_IFSOCK
    }
    #[cfg(not(unix))]
    false
}

/// The writer, on a thread of its own: it blocks in write() while the client is slow, which is the
/// back-pressure (the queue fills, then the commands' runners wait, then their commands). Whatever
/// lines are already queued go out together, in one vectored write where the system allows.
pub fn write_lines(writer: Writer) {
    write_to(writer, &mut std::io::stdout().lock(), widen_stdout_pipe);
}

fn write_to(mut writer: Writer, out: &mut impl std::io::Write, before: fn()) {
    use std::io::IoSlice;
    before();
    let mut items: Vec<Item> = Vec::with_capacity(BATCH);
    let mut broken = false;
    let mut done = false;
    while !done {
        let Some(first) = writer.rx.blocking_recv() else {
            break;
        };
        items.clear();
        let mut next = Some(first);
        while let Some(item) = next.take() {
            if matches!(item, Item::Stop) {
                done = true;
            }
            items.push(item);
            if !done && items.len() < BATCH {
                next = writer.rx.try_recv().ok();
            }
        }
        if !broken {
            let mut slices: Vec<IoSlice<'_>> = Vec::with_capacity(2 * items.len());
            for item in &items {
                match item {
                    Item::Line(line) => {
                        slices.push(IoSlice::new(line));
                        slices.push(IoSlice::new(b"\n"));
                    }
                    Item::Rest(bytes) => slices.push(IoSlice::new(bytes)),
                    Item::Stop => {}
                }
            }
            if write_all_vectored(out, &mut slices)
                .and_then(|()| out.flush())
                .is_err()
            {
                eprintln!("tack-sidecar: stdout is closed; output is dropped");
                // The client is gone; keep draining so no command blocks on a full outbox.
                broken = true;
            }
        }
        // Written (or dropped): a sender may write directly again once nothing is left.
        {
            let mut queued = writer
                .shared
                .queued
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            *queued = queued.saturating_sub(items.len());
        }
        for item in items.drain(..) {
            if let Item::Line(line) | Item::Rest(line) = item {
                crate::pool::give(line);
            }
        }
    }
}

/// The kernel buffer of the pipe the client reads, when stdout is a pipe (64 KiB by default): 1 MiB,
/// so a batch of output lines goes in with one write instead of sixteen, each waiting for the client
/// to drain the last, and the client finds a whole batch waiting each time it wakes. Refused (above
/// /proc/sys/fs/pipe-max-size or the user's pipe quota) it stays as it was. Node's spawn gives its
/// child a Unix socket pair for each piped stdio stream, not a pipe: under the extension and the CLI
/// this does nothing, and the socket's default send buffer holds.
fn widen_stdout_pipe() {
    #[cfg(target_os = "linux")]
    {
        const STDOUT_PIPE: libc::c_int = 1024 * 1024;
        // SAFETY: fcntl on fd 1 with integer arguments; F_GETPIPE_SZ fails (harmlessly) on a
        // descriptor that is not a pipe.
        unsafe {
            let now = libc::fcntl(libc::STDOUT_FILENO, libc::F_GETPIPE_SZ);
            if now > 0 && now < STDOUT_PIPE {
                libc::fcntl(libc::STDOUT_FILENO, libc::F_SETPIPE_SZ, STDOUT_PIPE);
            }
        }
    }
}

/// `write_all` for a list of slices (Write::write_all_vectored is not stable yet).
fn write_all_vectored(
    w: &mut impl std::io::Write,
    mut slices: &mut [std::io::IoSlice<'_>],
) -> std::io::Result<()> {
    while !slices.is_empty() {
        match w.write_vectored(slices) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => std::io::IoSlice::advance_slices(&mut slices, n),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the writer wrote, from lines sent without direct writes (stdout is not touched).
    fn written(lines: &[&str]) -> Vec<u8> {
        let (out, writer) = Outbox::with_direct(false);
        let mut sink = Vec::new();
        std::thread::scope(|s| {
            let t = s.spawn(|| write_to(writer, &mut sink, || {}));
            for l in lines {
                out.blocking_send(l.as_bytes().to_vec()).unwrap();
            }
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(out.stop());
            t.join().unwrap();
        });
        sink
    }

    #[test]
    fn lines_go_out_in_order_each_with_its_newline_and_the_count_returns_to_zero() {
        let lines: Vec<String> = (0..100).map(|i| format!("{{\"n\":{i}}}")).collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        let got = written(&refs);
        let want: String = lines.iter().map(|l| format!("{l}\n")).collect();
        assert_eq!(String::from_utf8(got).unwrap(), want);
    }

    #[test]
    fn the_rest_of_a_part_written_line_is_written_as_it_is() {
        let (out, writer) = Outbox::with_direct(false);
        // As direct_or_queue leaves it after a send that took "ab" of "abcd" and then one that
        // took all of "xy" but its newline.
        *out.lock() += 2;
        out.tx.try_send(Item::Line(b"cd".to_vec())).unwrap();
        out.tx.try_send(Item::Rest(b"\n".to_vec())).unwrap();
        let mut sink = Vec::new();
        std::thread::scope(|s| {
            let t = s.spawn(|| write_to(writer, &mut sink, || {}));
            out.blocking_send(b"next".to_vec()).unwrap();
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            rt.block_on(out.stop());
            t.join().unwrap();
        });
        assert_eq!(sink, b"cd\n\nnext\n");
        assert_eq!(*out.lock(), 0, "everything queued was written");
    }
}
