//! Drives the real tack-sidecar binary over its stdio, as a client would.
#![allow(dead_code)]
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_tack-sidecar");
const WAIT: Duration = Duration::from_secs(60);

pub struct Sidecar {
    pub child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    backlog: Vec<Value>,
    next_id: u64,
}

pub struct Exited {
    pub output: String,
    pub stderr: String,
    pub exited: Value,
}

impl Sidecar {
    pub fn start() -> Self {
        Self::start_with(&[], None)
    }

    /// `env` is added to the sidecar's environment; `throttle` makes the client read slowly.
    pub fn start_with(env: &[(&str, &str)], throttle: Option<Duration>) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.envs(env.iter().copied());
        Self::spawn(cmd, throttle)
    }

    /// Starts the sidecar through `cmd` (e.g. a wrapper that sets up a namespace, then execs BIN).
    pub fn spawn(mut cmd: Command, throttle: Option<Duration>) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tack-sidecar");
        let stdout = child.stdout.take().unwrap();
        Self::reading(child, Box::new(stdout), throttle)
    }

    /// Starts the sidecar with a Unix socket as its stdout, as Node's spawn gives it one.
    #[cfg(unix)]
    pub fn start_on_socket(throttle: Option<Duration>) -> Self {
        let (ours, theirs) = std::os::unix::net::UnixStream::pair().expect("a socket pair");
        let child = Command::new(BIN)
            .stdin(Stdio::piped())
            .stdout(Stdio::from(std::os::fd::OwnedFd::from(theirs)))
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tack-sidecar");
        Self::reading(child, Box::new(ours), throttle)
    }

    /// Messages that arrived and were not taken yet (waits `quiet` for more).
    pub fn leftovers(&mut self, quiet: Duration) -> Vec<Value> {
        let mut out = std::mem::take(&mut self.backlog);
        while let Ok(m) = self.rx.recv_timeout(quiet) {
            out.push(m);
        }
        out
    }

    fn reading(
        child: Child,
        stdout: Box<dyn std::io::Read + Send>,
        throttle: Option<Duration>,
    ) -> Self {
        let mut child = child;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| {
                    panic!("sidecar wrote a line that is not JSON ({e}): {line}")
                });
                if tx.send(v).is_err() {
                    break;
                }
                if let Some(t) = throttle {
                    std::thread::sleep(t);
                }
            }
        });
        Sidecar {
            stdin: child.stdin.take(),
            child,
            rx,
            backlog: Vec::new(),
            next_id: 0,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn send_raw(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    fn next(&mut self) -> Value {
        self.rx
            .recv_timeout(WAIT)
            .expect("the sidecar answered nothing for 60 s (or exited)")
    }

    /// Waits for the response with this id; notifications meanwhile go to the backlog.
    pub fn response(&mut self, id: &Value) -> Value {
        if let Some(i) = self
            .backlog
            .iter()
            .position(|m| m.get("id") == Some(id) && m.get("method").is_none())
        {
            return self.backlog.remove(i);
        }
        loop {
            let m = self.next();
            if m.get("id") == Some(id) && m.get("method").is_none() {
                return m;
            }
            self.backlog.push(m);
        }
    }

    /// Sends a request; Ok(result) or Err(error object).
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = json!(self.next_id);
        self.send_raw(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string(),
        );
        let r = self.response(&id);
        match r.get("error") {
            Some(e) => Err(e.clone()),
            None => Ok(r["result"].clone()),
        }
    }

    /// Starts a command; without a `sandbox` in `params` it runs as danger-full-access.
    pub fn start_exec(&mut self, mut params: Value) -> String {
        if params.get("sandbox").is_none() {
            params["sandbox"] = json!({"mode": "danger-full-access"});
        }
        let r = self
            .request("exec/start", params)
            .expect("exec/start succeeds");
        r["execId"].as_str().unwrap().to_string()
    }

    /// Reads notifications for `exec_id` until `pred(output so far)` holds.
    pub fn wait_output(&mut self, exec_id: &str, pred: impl Fn(&str) -> bool) -> String {
        let mut seen = String::new();
        let deadline = Instant::now() + WAIT;
        let mut i = 0;
        loop {
            while i < self.backlog.len() {
                let m = &self.backlog[i];
                if m["method"] == "exec/output" && m["params"]["execId"] == exec_id {
                    seen.push_str(m["params"]["text"].as_str().unwrap());
                    self.backlog.remove(i);
                    if pred(&seen) {
                        return seen;
                    }
                } else {
                    i += 1;
                }
            }
            assert!(
                Instant::now() < deadline,
                "output never matched; got {seen:?}"
            );
            let m = self.next();
            self.backlog.push(m);
        }
    }

    /// Collects this command's output until exec/exited, calling `each` with every text chunk.
    pub fn wait_exit_with(&mut self, exec_id: &str, mut each: impl FnMut(&str, &str)) -> Value {
        let mut i = 0;
        loop {
            while i < self.backlog.len() {
                let m = &self.backlog[i];
                if m["params"]["execId"] == exec_id {
                    let m = self.backlog.remove(i);
                    match m["method"].as_str() {
                        Some("exec/output") => each(
                            m["params"]["stream"].as_str().unwrap(),
                            m["params"]["text"].as_str().unwrap(),
                        ),
                        Some("exec/exited") => return m["params"].clone(),
                        _ => panic!("unexpected message {m}"),
                    }
                } else {
                    i += 1;
                }
            }
            let m = self.next();
            self.backlog.push(m);
        }
    }

    pub fn wait_exit(&mut self, exec_id: &str) -> Exited {
        let mut output = String::new();
        let mut stderr = String::new();
        let exited = self.wait_exit_with(exec_id, |stream, text| {
            if stream == "stderr" {
                stderr.push_str(text)
            } else {
                output.push_str(text)
            }
        });
        Exited {
            output,
            stderr,
            exited,
        }
    }

    pub fn run(&mut self, params: Value) -> Exited {
        let id = self.start_exec(params);
        self.wait_exit(&id)
    }

    /// Runs `bash -c script` with pipes in `root`, sandboxed in `mode` with `root` writable, and
    /// asserts that it exits 0: the message has the whole exit event, so a command that ended
    /// with no code (a signal, a refused start) says why. Returns its stdout, then its stderr.
    pub fn sh_ok(&mut self, root: &std::path::Path, mode: &str, script: &str) -> String {
        let e = self.run(json!({
            "argv": ["bash", "-c", script], "cwd": root, "tty": false,
            "sandbox": {"mode": mode, "writableRoots": [root]},
        }));
        assert_eq!(
            e.exited["exitCode"], 0,
            "{script}: {}{} (exit event: {})",
            e.output, e.stderr, e.exited
        );
        format!("{}{}", e.output, e.stderr)
    }
}

/// Makes `root/aA/bB/cC` for every A, B, C below `widths`.
pub fn dir_tree(root: &std::path::Path, widths: [usize; 3]) {
    for a in 0..widths[0] {
        for b in 0..widths[1] {
            for c in 0..widths[2] {
                std::fs::create_dir_all(root.join(format!("a{a}/b{b}/c{c}"))).unwrap();
            }
        }
    }
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh directory under cargo's per-test-target temp dir.
pub fn scratch(name: &str) -> PathBuf {
    let d =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Initializes `s` and says whether this machine can sandbox; when it cannot, the caller's test is
/// skipped (said on stderr). `sandbox.rs` checks the refusal instead in that case.
pub fn sandbox_or_skip(s: &mut Sidecar) -> bool {
    let info = s.request("initialize", json!({})).unwrap();
    let ok = info["sandbox"]["available"].as_bool().unwrap();
    if !ok {
        eprintln!("skipped: no sandbox on this machine");
    }
    ok
}

/// A fresh, empty `ws` directory under `scratch(name)`.
pub fn scratch_workspace(name: &str) -> PathBuf {
    let ws = scratch(name).join("ws");
    std::fs::create_dir_all(&ws).unwrap();
    ws
}

/// Alive and not a zombie.
pub fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit(')')
                .next()
                .unwrap_or("")
                .trim_start()
                .chars()
                .next();
            state != Some('Z')
        }
        Err(_) => false,
    }
}

pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
