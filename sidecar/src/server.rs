//! The JSON-RPC 2.0 server on stdio: reads one message per line, answers each request (many at
//! once), and funnels every response and notification through one bounded writer.
use crate::exec::{self, notification_line, ExecControl, RpcError};
use crate::outbox::Outbox;
use crate::protocol::{
    codes, ExecExitedNotification, ExecKillParams, ExecResizeParams, ExecStartParams,
    ExecStartResult, ExecWriteParams, FsApplyChangesParams, FsCheckWriteParams, InitializeParams,
    InitializeResult, SandboxInfo, SandboxPrepareParams, SandboxPrepareResult, SidecarErrorData,
};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, Notify, OnceCell};

/// Longest accepted message line; longer ones are answered with an error and skipped.
/// (64 MiB: an fs/applyChanges request carries whole files, each up to 16 MiB.)
const MAX_LINE: usize = 64 * 1024 * 1024;

pub struct Server {
    out: Outbox,
    execs: Mutex<HashMap<String, Arc<ExecControl>>>,
    next_id: AtomicU64,
    sandbox: OnceCell<SandboxInfo>,
    shutting_down: AtomicBool,
    stop: Notify,
}

fn error_line(id: &Value, err: &RpcError) -> String {
    let mut e = json!({"code": err.code, "message": err.message});
    if let Some(reason) = err.reason {
        e["data"] = serde_json::to_value(SidecarErrorData {
            reason: reason.to_string(),
        })
        .unwrap_or(Value::Null);
    }
    json!({"jsonrpc": "2.0", "id": id, "error": e}).to_string()
}

fn result_line(id: &Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

fn parse_params<T: DeserializeOwned>(method: &str, params: Value) -> Result<T, RpcError> {
    let params = if params.is_null() { json!({}) } else { params };
    serde_path_to_error::deserialize(params).map_err(|e| {
        let path = e.path().to_string();
        let where_ = if path == "." {
            String::new()
        } else {
            format!("{path}: ")
        };
        RpcError::new(
            codes::INVALID_PARAMS,
            format!("invalid params for {method}: {where_}{}", e.into_inner()),
        )
    })
}

impl Server {
    async fn send(&self, line: String) {
        let _ = self.out.send(line.into_bytes()).await;
    }

    async fn sandbox_info(&self) -> SandboxInfo {
        self.sandbox
            .get_or_init(|| async {
                tokio::task::spawn_blocking(crate::sandbox::probe)
                    .await
                    .expect("probe does not panic")
            })
            .await
            .clone()
    }

    fn control(&self, exec_id: &str) -> Result<Arc<ExecControl>, RpcError> {
        self.execs
            .lock()
            .expect("registry lock")
            .get(exec_id)
            .cloned()
            .ok_or_else(|| {
                RpcError::with_reason(
                    codes::UNKNOWN_EXEC,
                    "unknown-exec",
                    format!(
                        "no running command has execId {exec_id:?} (it may have exited already)"
                    ),
                )
            })
    }

    async fn handle(self: Arc<Self>, id: Value, method: String, params: Value) {
        let result = match method.as_str() {
            "initialize" => self.initialize(params).await,
            "exec/start" => return self.exec_start(id, params).await,
            "exec/write" => self.exec_write(params).await,
            "exec/resize" => self.exec_resize(params).await,
            "exec/kill" => self.exec_kill(params),
            "fs/applyChanges" => fs_apply_changes(params).await,
            "fs/checkWrite" => fs_check_write(params).await,
            "image/prepare" => image_prepare(params).await,
            "sandbox/prepare" => self.sandbox_prepare(params).await,
            m if m.starts_with("checkpoint/") => checkpoint_method(m, params).await,
            "shutdown" => {
                self.shutdown().await;
                self.send(result_line(&id, Value::Null)).await;
                self.stop.notify_one();
                return;
            }
            other => Err(RpcError::new(
                codes::METHOD_NOT_FOUND,
                format!("unknown method {other:?}; the sidecar knows initialize, exec/start, exec/write, exec/resize, exec/kill, fs/applyChanges, fs/checkWrite, image/prepare, sandbox/prepare, checkpoint/create, checkpoint/finish, checkpoint/list, checkpoint/diff, checkpoint/restore, shutdown"),
            )),
        };
        let line = match result {
            Ok(v) => result_line(&id, v),
            Err(e) => error_line(&id, &e),
        };
        self.send(line).await;
    }

    /// `sandbox/prepare`: the first workspace-write command's `.git` scan, made ahead of it (on a
    /// blocking thread; a command arriving meanwhile waits for the scan's lock, as it would for its
    /// own scan).
    async fn sandbox_prepare(&self, params: Value) -> Result<Value, RpcError> {
        let p: SandboxPrepareParams = parse_params("sandbox/prepare", params)?;
        let roots = exec::writable_roots(&p.writable_roots, codes::INVALID_PARAMS)?;
        let result = if self.sandbox_info().await.available {
            let scan = tokio::task::spawn_blocking(move || exec::prepare_git_scan(&roots))
                .await
                .map_err(|e| RpcError::new(codes::IO_FAILED, format!("the scan failed: {e}")))?;
            SandboxPrepareResult {
                scanned: true,
                git_entries: u32::try_from(scan.entries.len()).unwrap_or(u32::MAX),
                complete: scan.complete,
            }
        } else {
            SandboxPrepareResult {
                scanned: false,
                git_entries: 0,
                complete: true,
            }
        };
        Ok(serde_json::to_value(result).expect("serializable"))
    }

    async fn initialize(&self, params: Value) -> Result<Value, RpcError> {
        let p: InitializeParams = parse_params("initialize", params)?;
        let raw_output = crate::output::choose_raw_frames(p.raw_output.unwrap_or(false));
        let result = InitializeResult {
            version: env!("CARGO_PKG_VERSION").to_string(),
            platform: std::env::consts::OS.to_string(),
            sandbox: self.sandbox_info().await,
            os_sandbox: cfg!(any(target_os = "linux", target_os = "macos")),
            // Windows probes PowerShell by running it once: off the async threads.
            shell: tokio::task::spawn_blocking(crate::shell::detect)
                .await
                .map_err(|e| RpcError::new(codes::IO_FAILED, format!("finding the shell: {e}")))?,
            raw_output,
        };
        Ok(serde_json::to_value(result).expect("serializable"))
    }

    async fn exec_start(self: Arc<Self>, id: Value, params: Value) {
        let started = async {
            let p: ExecStartParams = parse_params("exec/start", params)?;
            if self.shutting_down.load(Ordering::SeqCst) {
                return Err(RpcError::new(
                    codes::SHUTTING_DOWN,
                    "the sidecar is shutting down",
                ));
            }
            let info = self.sandbox_info().await;
            exec::start(&p, &info)
        }
        .await;
        let started = match started {
            Ok(s) => s,
            Err(e) => return self.send(error_line(&id, &e)).await,
        };
        let exec_id = format!("e{}", self.next_id.fetch_add(1, Ordering::SeqCst) + 1);
        self.execs
            .lock()
            .expect("registry lock")
            .insert(exec_id.clone(), started.control.clone());
        let result = ExecStartResult {
            exec_id: exec_id.clone(),
            pid: started.pid,
        };
        // The answer goes out before the first exec/output, so the client knows the execId.
        self.send(result_line(
            &id,
            serde_json::to_value(result).expect("serializable"),
        ))
        .await;
        let exited: ExecExitedNotification = started.run(exec_id.clone(), self.out.clone()).await;
        let control = self.execs.lock().expect("registry lock").remove(&exec_id);
        self.send(notification_line("exec/exited", &exited)).await;
        // Dropped after the notification: a PTY command's writer is closed on a thread of its own
        // (ExecControl's Drop), which need not hold up exec/exited.
        drop(control);
    }

    async fn exec_write(&self, params: Value) -> Result<Value, RpcError> {
        let p: ExecWriteParams = parse_params("exec/write", params)?;
        let ctl = self.control(&p.exec_id)?;
        ctl.write(p.data.as_bytes(), p.eof.unwrap_or(false))
            .await
            .map_err(|e| {
                RpcError::new(
                    codes::IO_FAILED,
                    format!("cannot write to {}: {e}", p.exec_id),
                )
            })?;
        Ok(Value::Null)
    }

    async fn exec_resize(&self, params: Value) -> Result<Value, RpcError> {
        let p: ExecResizeParams = parse_params("exec/resize", params)?;
        if p.cols == 0 || p.rows == 0 {
            return Err(RpcError::new(
                codes::INVALID_PARAMS,
                "cols and rows must be at least 1",
            ));
        }
        self.control(&p.exec_id)?.resize(p.cols, p.rows)?;
        Ok(Value::Null)
    }

    fn exec_kill(&self, params: Value) -> Result<Value, RpcError> {
        let p: ExecKillParams = parse_params("exec/kill", params)?;
        self.control(&p.exec_id)?.request_kill();
        Ok(Value::Null)
    }

    /// Ends every command's process group: TERM, then KILL for whatever is left after the grace.
    async fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let groups = |s: &Self| -> Vec<Arc<ExecControl>> {
            s.execs
                .lock()
                .expect("registry lock")
                .values()
                .cloned()
                .collect()
        };
        for c in groups(self) {
            c.end_tree(crate::tree::End::Term);
        }
        let give_up = tokio::time::Instant::now() + exec::KILL_GRACE;
        while !groups(self).is_empty() && tokio::time::Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        for c in groups(self) {
            c.end_tree(crate::tree::End::Kill);
        }
        // Let the runners report exec/exited for what was killed, briefly.
        let give_up = tokio::time::Instant::now() + Duration::from_millis(1000);
        while !groups(self).is_empty() && tokio::time::Instant::now() < give_up {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // What the commands left behind (danger-full-access: setsid/double-fork leftovers).
        let _ = tokio::task::spawn_blocking(exec::end_orphans).await;
    }
}

/// `fs/applyChanges`: blocking file system work, off the async workers.
async fn fs_apply_changes(params: Value) -> Result<Value, RpcError> {
    let p: FsApplyChangesParams = parse_params("fs/applyChanges", params)?;
    let done = tokio::task::spawn_blocking(move || crate::fs_write::apply_changes(&p))
        .await
        .map_err(|e| RpcError::new(codes::WRITE_FAILED, format!("the writer failed: {e}")))??;
    Ok(serde_json::to_value(done).expect("serializable"))
}

/// `fs/checkWrite`: the same policy and resolution as fs/applyChanges, writing nothing.
async fn fs_check_write(params: Value) -> Result<Value, RpcError> {
    let p: FsCheckWriteParams = parse_params("fs/checkWrite", params)?;
    tokio::task::spawn_blocking(move || crate::fs_write::check_write(&p))
        .await
        .map_err(|e| RpcError::new(codes::WRITE_FAILED, format!("the check failed: {e}")))??;
    Ok(Value::Null)
}

/// `image/prepare`: decoding and encoding are CPU work, off the async workers.
async fn image_prepare(params: Value) -> Result<Value, RpcError> {
    let p: crate::image_prep::ImagePrepareParams = parse_params("image/prepare", params)?;
    let done = tokio::task::spawn_blocking(move || crate::image_prep::prepare(&p))
        .await
        .map_err(|e| {
            RpcError::new(codes::IMAGE_REFUSED, format!("the image step failed: {e}"))
        })??;
    Ok(serde_json::to_value(done).expect("serializable"))
}

/// `checkpoint/*` where the store is not built yet (it writes through Unix directory handles).
#[cfg(not(unix))]
async fn checkpoint_method(method: &str, _params: Value) -> Result<Value, RpcError> {
    Err(RpcError::new(
        codes::CHECKPOINT_FAILED,
        format!("{method}: checkpoints are not available on this platform yet"),
    ))
}

/// `checkpoint/*`: blocking file system work, off the async workers (see src/checkpoint).
#[cfg(unix)]
async fn checkpoint_method(method: &str, params: Value) -> Result<Value, RpcError> {
    use crate::checkpoint as cp;
    fn to<T: serde::Serialize>(v: T) -> Value {
        serde_json::to_value(v).expect("serializable")
    }
    let work: Box<dyn FnOnce() -> Result<Value, RpcError> + Send> = match method {
        "checkpoint/create" => {
            let p: cp::wire::CheckpointCreateParams = parse_params(method, params)?;
            Box::new(move || cp::create(&p).map(to))
        }
        "checkpoint/finish" => {
            let p: cp::wire::CheckpointFinishParams = parse_params(method, params)?;
            Box::new(move || cp::finish(&p).map(to))
        }
        "checkpoint/list" => {
            let p: cp::wire::CheckpointListParams = parse_params(method, params)?;
            Box::new(move || cp::list(&p).map(to))
        }
        "checkpoint/diff" => {
            let p: cp::wire::CheckpointRestoreParams = parse_params(method, params)?;
            Box::new(move || cp::diff(&p).map(to))
        }
        "checkpoint/restore" => {
            let p: cp::wire::CheckpointRestoreParams = parse_params(method, params)?;
            Box::new(move || cp::restore(&p).map(to))
        }
        "checkpoint/read" => {
            let p: cp::wire::CheckpointReadParams = parse_params(method, params)?;
            Box::new(move || cp::read(&p).map(to))
        }
        other => {
            return Err(RpcError::new(
                codes::METHOD_NOT_FOUND,
                format!("unknown method {other:?}; the checkpoint methods are checkpoint/create, checkpoint/finish, checkpoint/list, checkpoint/diff, checkpoint/restore, checkpoint/read"),
            ))
        }
    };
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        RpcError::new(
            codes::CHECKPOINT_FAILED,
            format!("the checkpoint failed: {e}"),
        )
    })?
}

enum Line {
    Message(Vec<u8>),
    TooLong,
    Eof,
}

/// One message line from `r` (blocking): the reader thread's loop (`read_requests`).
fn read_line<R: std::io::BufRead>(r: &mut R, buf: &mut Vec<u8>) -> std::io::Result<Line> {
    buf.clear();
    let mut too_long = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(if too_long {
                Line::TooLong
            } else if buf.is_empty() {
                Line::Eof
            } else {
                Line::Message(std::mem::take(buf))
            });
        }
        let (take, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (avail.len(), false),
        };
        if !too_long {
            buf.extend_from_slice(&avail[..take]);
            if buf.len() > MAX_LINE {
                too_long = true;
                buf.clear();
            }
        }
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok(if too_long {
                Line::TooLong
            } else {
                Line::Message(std::mem::take(buf))
            });
        }
    }
}

/// What a line asks for.
enum Envelope {
    /// A request: id, method, params.
    Request(Value, String, Value),
    /// A well-formed notification: no answer (the sidecar defines none it acts on).
    Notification,
    /// Not a valid request: the error line that answers it.
    Rejected(String),
}

/// Checks the envelope of one message line. Pure: the caller sends what it answers.
fn envelope(bytes: &[u8]) -> Envelope {
    let reject = |id: Value, code: i64, msg: String| error_line(&id, &RpcError::new(code, msg));
    let v: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return Envelope::Rejected(reject(
                Value::Null,
                codes::PARSE_ERROR,
                format!("parse error: the line is not valid JSON ({e})"),
            ));
        }
    };
    let mut obj = match v {
        Value::Object(o) => o,
        Value::Array(_) => {
            return Envelope::Rejected(reject(
                Value::Null,
                codes::INVALID_REQUEST,
                "invalid request: batches are not supported; send one request per line".into(),
            ));
        }
        _ => {
            return Envelope::Rejected(reject(
                Value::Null,
                codes::INVALID_REQUEST,
                "invalid request: a message must be a JSON object".into(),
            ));
        }
    };
    let id = obj.remove("id");
    let reply_id = match &id {
        Some(v @ (Value::String(_) | Value::Number(_) | Value::Null)) => v.clone(),
        Some(_) => {
            return Envelope::Rejected(reject(
                Value::Null,
                codes::INVALID_REQUEST,
                "invalid request: id must be a string, a number or null".into(),
            ));
        }
        None => Value::Null,
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Envelope::Rejected(reject(
            reply_id,
            codes::INVALID_REQUEST,
            "invalid request: \"jsonrpc\" must be \"2.0\"".into(),
        ));
    }
    let method = match obj.remove("method") {
        Some(Value::String(m)) => m,
        _ => {
            return Envelope::Rejected(reject(
                reply_id,
                codes::INVALID_REQUEST,
                "invalid request: \"method\" must be a string".into(),
            ));
        }
    };
    let params = obj.remove("params").unwrap_or(Value::Null);
    if !matches!(params, Value::Object(_) | Value::Null) {
        return Envelope::Rejected(reject(
            reply_id,
            codes::INVALID_PARAMS,
            format!("invalid params for {method}: params must be an object"),
        ));
    }
    // Notifications (no id) get no answer; the sidecar defines none it acts on.
    match id {
        Some(_) => Envelope::Request(reply_id, method, params),
        None => Envelope::Notification,
    }
}

/// The stdin reader, on a thread of its own: blocking reads of whole message lines, each checked
/// (`envelope`) and its handler spawned onto the runtime from here. A request reaches a worker in
/// one hand-off; through tokio's stdin it took three (a blocking-pool thread's read woke the task
/// that parsed it, which spawned the handler and woke the pool thread again for the next read),
/// and parsing a big request (fs/applyChanges) no longer occupies the runtime. Returns at the end
/// of stdin (or a read error).
fn read_requests(server: &Arc<Server>, rt: &tokio::runtime::Handle) {
    let mut stdin = std::io::BufReader::with_capacity(64 * 1024, std::io::stdin());
    let mut buf = Vec::new();
    let answer = |line: String| server.out.blocking_send(line.into_bytes()).is_ok();
    loop {
        match read_line(&mut stdin, &mut buf) {
            Ok(Line::Message(bytes)) => {
                if bytes.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                match envelope(&bytes) {
                    Envelope::Request(id, method, params) => {
                        drop(rt.spawn(server.clone().handle(id, method, params)));
                    }
                    Envelope::Notification => {}
                    Envelope::Rejected(line) => {
                        if !answer(line) {
                            return;
                        }
                    }
                }
            }
            Ok(Line::TooLong) => {
                let line = error_line(
                    &Value::Null,
                    &RpcError::new(
                        codes::INVALID_REQUEST,
                        format!("invalid request: message longer than {MAX_LINE} bytes"),
                    ),
                );
                if !answer(line) {
                    return;
                }
            }
            Ok(Line::Eof) | Err(_) => return,
        }
    }
}

/// Serves until `shutdown` or the end of stdin, then ends every command and returns.
pub async fn serve() {
    let (tx, writer) = Outbox::stdout();
    let writer = tokio::task::spawn_blocking(move || crate::outbox::write_lines(writer));
    let server = Arc::new(Server {
        out: tx.clone(),
        execs: Mutex::new(HashMap::new()),
        next_id: AtomicU64::new(0),
        sandbox: OnceCell::new(),
        shutting_down: AtomicBool::new(false),
        stop: Notify::new(),
    });
    // Requests are read, parsed and handed to the runtime on a thread of their own (see
    // `read_requests`); this task only waits for the end of stdin or a `shutdown` request.
    let (eof_tx, eof_rx) = oneshot::channel::<()>();
    let reader = {
        let server = server.clone();
        let rt = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name("stdin-reader".into())
            .spawn(move || {
                read_requests(&server, &rt);
                let _ = eof_tx.send(());
            })
    };
    let stopped_by_request = match reader {
        Ok(_) => tokio::select! {
            _ = eof_rx => false,
            _ = server.stop.notified() => true,
        },
        Err(e) => {
            eprintln!("tack-sidecar: cannot start the stdin reader: {e}");
            false
        }
    };
    if !stopped_by_request {
        server.shutdown().await;
    }
    // Flush what is queued; a client that stopped reading but keeps stdout open cannot hold us.
    let flushed = async {
        tx.stop().await;
        let _ = writer.await;
    };
    let _ = tokio::time::timeout(Duration::from_secs(2), flushed).await;
}

#[cfg(test)]
mod fuzz {
    //! The reader and the envelope check under arbitrary input: never a panic, one JSON-RPC answer
    //! per rejected line (a parse error for non-JSON), lines reassembled whatever the read sizes.
    use super::*;
    use proptest::prelude::*;

    /// Runs one line through `envelope`; returns what it accepted and every line it answered.
    fn check(bytes: &[u8]) -> (Option<(Value, String, Value)>, Vec<Value>) {
        match envelope(bytes) {
            Envelope::Request(id, method, params) => (Some((id, method, params)), vec![]),
            Envelope::Notification => (None, vec![]),
            Envelope::Rejected(line) => (
                None,
                vec![serde_json::from_str::<Value>(&line).expect("answers are JSON")],
            ),
        }
    }

    fn assert_rpc_error(answer: &Value) {
        assert_eq!(answer["jsonrpc"], "2.0", "{answer}");
        let code = answer["error"]["code"].as_i64().expect("an error code");
        assert!(
            [
                codes::PARSE_ERROR,
                codes::INVALID_REQUEST,
                codes::INVALID_PARAMS
            ]
            .contains(&code),
            "{answer}"
        );
        assert!(answer["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        assert!(matches!(
            answer["id"],
            Value::Null | Value::String(_) | Value::Number(_)
        ));
    }

    /// JSON values of any shape, including deep ones.
    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map("[a-z]{0,8}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Envelopes near the real ones: right and wrong ids, versions, methods and params.
    fn envelope_like() -> impl Strategy<Value = Value> {
        (
            prop::option::of(json_value()),
            prop::option::of(prop_oneof![Just(json!("2.0")), json_value()]),
            prop::option::of(prop_oneof![
                Just(json!("initialize")),
                Just(json!("exec/kill")),
                json_value()
            ]),
            prop::option::of(json_value()),
        )
            .prop_map(|(id, version, method, params)| {
                let mut o = serde_json::Map::new();
                if let Some(v) = id {
                    o.insert("id".into(), v);
                }
                if let Some(v) = version {
                    o.insert("jsonrpc".into(), v);
                }
                if let Some(v) = method {
                    o.insert("method".into(), v);
                }
                if let Some(v) = params {
                    o.insert("params".into(), v);
                }
                Value::Object(o)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_bytes_get_at_most_one_answer_and_non_json_a_parse_error(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let (accepted, answers) = check(&bytes);
            prop_assert!(answers.len() <= 1);
            if serde_json::from_slice::<Value>(&bytes).is_err() {
                prop_assert!(accepted.is_none());
                prop_assert_eq!(answers.len(), 1);
                prop_assert_eq!(answers[0]["error"]["code"].as_i64(), Some(codes::PARSE_ERROR));
                prop_assert_eq!(&answers[0]["id"], &Value::Null);
            }
            for a in &answers {
                assert_rpc_error(a);
            }
        }

        #[test]
        fn envelope_shaped_messages_are_accepted_or_answered_never_both(msg in envelope_like()) {
            let line = msg.to_string();
            let (accepted, answers) = check(line.as_bytes());
            match accepted {
                Some((id, method, params)) => {
                    prop_assert!(answers.is_empty());
                    prop_assert_eq!(&msg["jsonrpc"], &json!("2.0"));
                    prop_assert_eq!(msg["method"].as_str(), Some(method.as_str()));
                    prop_assert!(matches!(id, Value::Null | Value::String(_) | Value::Number(_)));
                    prop_assert!(matches!(params, Value::Null | Value::Object(_)));
                }
                None => {
                    // A well-formed notification (no id) gets no answer; anything else exactly one.
                    let notification = msg.get("id").is_none()
                        && msg["jsonrpc"] == "2.0"
                        && msg["method"].is_string()
                        && matches!(msg.get("params"), None | Some(Value::Null | Value::Object(_)));
                    prop_assert_eq!(answers.len(), usize::from(!notification), "{}", line);
                    for a in &answers {
                        assert_rpc_error(a);
                    }
                }
            }
        }

        #[test]
        fn deep_nesting_is_a_parse_error_not_a_stack_overflow(depth in 100usize..20_000, open in prop_oneof![Just(b'['), Just(b'{')]) {
            let mut line = Vec::with_capacity(depth * 6);
            for _ in 0..depth {
                if open == b'[' { line.push(b'['); } else { line.extend_from_slice(b"{\"a\":"); }
            }
            line.push(b'1');
            for _ in 0..depth {
                line.push(if open == b'[' { b']' } else { b'}' });
            }
            let (accepted, answers) = check(&line);
            prop_assert!(accepted.is_none());
            prop_assert_eq!(answers.len(), 1);
            // Shallow enough to parse: a well-formed non-object (or object) is rejected as a request.
            let code = answers[0]["error"]["code"].as_i64();
            prop_assert!(code == Some(codes::PARSE_ERROR) || code == Some(codes::INVALID_REQUEST));
            if depth > 200 {
                prop_assert_eq!(code, Some(codes::PARSE_ERROR));
            }
        }

        #[test]
        fn lines_are_reassembled_whatever_the_read_sizes(
            lines in prop::collection::vec(prop::collection::vec(any::<u8>().prop_filter("no newline", |b| *b != b'\n'), 0..300), 0..12),
            capacity in 1usize..64,
            trailing_newline in any::<bool>(),
        ) {
            let mut input = lines.join(&b'\n');
            if trailing_newline && !lines.is_empty() {
                input.push(b'\n');
            }
            let got = {
                let mut r = std::io::BufReader::with_capacity(capacity, &input[..]);
                let mut buf = Vec::new();
                let mut out = vec![];
                loop {
                    match read_line(&mut r, &mut buf).expect("reads from memory") {
                        Line::Message(m) => out.push(m),
                        Line::TooLong => panic!("no line here is too long"),
                        Line::Eof => break,
                    }
                }
                out
            };
            let mut want = lines.clone();
            // An empty last piece without a newline is the end of input, not a line.
            if !trailing_newline && want.last().is_some_and(Vec::is_empty) {
                want.pop();
            }
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_line_past_the_limit_is_reported_and_the_next_one_read() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.extend_from_slice(b"\n{\"next\":1}\n");
        let got = {
            let mut r = std::io::BufReader::with_capacity(64 * 1024, &input[..]);
            let mut buf = Vec::new();
            let first = read_line(&mut r, &mut buf).expect("read");
            let second = read_line(&mut r, &mut buf).expect("read");
            (matches!(first, Line::TooLong), second)
        };
        assert!(got.0);
        assert!(matches!(got.1, Line::Message(m) if m == b"{\"next\":1}"));
    }
}
