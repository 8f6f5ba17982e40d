//! Commands through the real sidecar: exit status, terminals, input, kill, timeout, concurrency,
//! encoding and environment.
mod common;
use common::*;
use serde_json::json;

#[test]
fn initialize_reports_version_platform_and_probed_sandbox() {
    let mut s = Sidecar::start();
    let r = s
        .request(
            "initialize",
            json!({"clientName": "test", "clientVersion": "0"}),
        )
        .unwrap();
    assert_eq!(r["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(r["platform"], std::env::consts::OS);
    let sb = &r["sandbox"];
    assert!(sb["seccomp"].is_boolean() && sb["userNamespaces"].is_boolean());
    // available must agree with what was probed, never claimed blindly.
    assert_eq!(
        sb["available"].as_bool().unwrap(),
        sb["landlockAbi"].is_u64() && sb["seccomp"].as_bool().unwrap()
    );
}

#[test]
fn exit_codes_and_signals_are_reported() {
    let mut s = Sidecar::start();
    for (code, tty) in [(0, true), (3, true), (42, false)] {
        let e =
            s.run(json!({"argv": ["sh", "-c", format!("exit {code}")], "cwd": "/", "tty": tty}));
        assert_eq!(e.exited["exitCode"], code);
        assert!(e.exited["signal"].is_null());
        assert_eq!(e.exited["timedOut"], false);
    }
    let e = s.run(json!({"argv": ["sh", "-c", "kill -9 $$"], "cwd": "/"}));
    assert!(e.exited["exitCode"].is_null());
    assert_eq!(e.exited["signal"], "SIGKILL");
}

#[test]
fn a_pty_is_a_terminal_and_pipes_are_not() {
    let mut s = Sidecar::start();
    let script = "[ -t 0 ] && echo in-tty; [ -t 1 ] && echo out-tty; echo TERM=$TERM; stty size";
    let e = s.run(json!({"argv": ["bash", "-c", script], "cwd": "/", "cols": 100, "rows": 30}));
    assert!(
        e.output.contains("in-tty") && e.output.contains("out-tty"),
        "{}",
        e.output
    );
    assert!(e.output.contains("TERM=xterm-256color"));
    assert!(e.output.contains("30 100"), "{}", e.output);

    let e = s.run(json!({"argv": ["bash", "-c", "[ -t 1 ] || echo out-pipe; echo err >&2; echo TERM=$TERM"], "cwd": "/", "tty": false}));
    assert!(
        e.output.contains("out-pipe") && e.output.contains("TERM=dumb"),
        "{}",
        e.output
    );
    assert_eq!(e.stderr, "err\n");
}

/// An unsandboxed PTY command starts directly (no launcher): it still leads its own session with
/// the terminal as its controlling one, and holds nothing of the sidecar's but the terminal.
#[test]
fn a_pty_command_leads_its_session_on_its_terminal_and_inherits_no_descriptor() {
    let mut s = Sidecar::start();
    // /proc/PID/stat fields 5-7: process group, session, controlling terminal (0: none).
    // (The shell's own descriptors listed by a plain child: no pipeline, whose pipe the shell holds.)
    let script = "cut -d' ' -f5-7 /proc/$$/stat; echo pid=$$; ls -C /proc/$$/fd";
    let e = s.run(json!({
        "argv": ["sh", "-c", script], "cwd": "/",
        "sandbox": {"mode": "danger-full-access"},
    }));
    let out = e.output.replace('\r', "");
    let pid = out
        .lines()
        .find_map(|l| l.strip_prefix("pid="))
        .unwrap_or_else(|| panic!("no pid in {out:?}"));
    let ids = out.lines().next().unwrap_or_default();
    let fields: Vec<&str> = ids.split_whitespace().collect();
    assert_eq!(fields.first(), Some(&pid), "process group: {out:?}");
    assert_eq!(fields.get(1), Some(&pid), "session: {out:?}");
    assert!(
        fields.get(2).is_some_and(|t| *t != "0"),
        "controlling terminal: {out:?}"
    );
    let fds = out.lines().skip_while(|l| !l.starts_with("pid="));
    let fds: Vec<&str> = fds.skip(1).flat_map(str::split_whitespace).collect();
    assert_eq!(fds, ["0", "1", "2"], "descriptors: {out:?}");
    // Like any PTY command, it gets a SHELL when its environment has none.
    let e = s.run(json!({
        "argv": ["sh", "-c", "echo shell=$SHELL"], "cwd": "/",
        "sandbox": {"mode": "danger-full-access"},
    }));
    assert!(e.output.contains("shell=/"), "{}", e.output);
}

#[test]
fn an_interactive_program_is_answered_through_exec_write() {
    let mut s = Sidecar::start();
    let id = s.start_exec(
        json!({"argv": ["bash", "-c", "read -p 'name? ' n; echo \"hello, $n!\""], "cwd": "/"}),
    );
    s.wait_output(&id, |o| o.contains("name? "));
    s.request("exec/write", json!({"execId": id, "data": "world\n"}))
        .unwrap();
    let e = s.wait_exit(&id);
    assert!(e.output.contains("hello, world!"), "{}", e.output);
    assert_eq!(e.exited["exitCode"], 0);

    // Pipes: write, then close stdin so `cat` ends.
    let id = s.start_exec(json!({"argv": ["cat"], "cwd": "/", "tty": false}));
    s.request(
        "exec/write",
        json!({"execId": id, "data": "piped text", "eof": true}),
    )
    .unwrap();
    let e = s.wait_exit(&id);
    assert_eq!(e.output, "piped text");
    assert_eq!(e.exited["exitCode"], 0);

    // Writing after closing stdin is a clear error, and the command is unaffected.
    let id =
        s.start_exec(json!({"argv": ["sh", "-c", "cat; echo after"], "cwd": "/", "tty": false}));
    s.request("exec/write", json!({"execId": id, "data": "", "eof": true}))
        .unwrap();
    let err = s
        .request("exec/write", json!({"execId": id, "data": "late"}))
        .unwrap_err();
    assert_eq!(s.wait_exit(&id).output, "after\n");
    assert!(err["code"] == -32005 || err["code"] == -32001, "{err}");
}

#[test]
fn resize_changes_the_terminal_size() {
    let mut s = Sidecar::start();
    let id = s.start_exec(json!({"argv": ["bash", "-c", "read x; stty size"], "cwd": "/"}));
    s.request(
        "exec/resize",
        json!({"execId": id, "cols": 123, "rows": 45}),
    )
    .unwrap();
    s.request("exec/write", json!({"execId": id, "data": "\n"}))
        .unwrap();
    assert!(s.wait_exit(&id).output.contains("45 123"));

    let id = s.start_exec(json!({"argv": ["cat"], "cwd": "/", "tty": false}));
    let err = s
        .request("exec/resize", json!({"execId": id, "cols": 10, "rows": 10}))
        .unwrap_err();
    assert_eq!(err["code"], -32602);
    s.request("exec/kill", json!({"execId": id})).unwrap();
    s.wait_exit(&id);
}

#[test]
fn a_timeout_kills_the_whole_group_including_a_background_grandchild() {
    let dir = scratch("timeout");
    let pidfile = dir.join("grandchild.pid");
    let mut s = Sidecar::start();
    let script = format!("sleep 600 & echo $! > {}; wait", pidfile.display());
    let e = s.run(json!({"argv": ["bash", "-c", script], "cwd": "/", "timeoutMs": 1000}));
    assert_eq!(e.exited["timedOut"], true);
    assert_eq!(e.exited["signal"], "SIGTERM");
    let grandchild: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_until("the grandchild is gone", || !process_alive(grandchild));
}

#[test]
fn kill_ends_the_group_and_escalates_to_sigkill() {
    let mut s = Sidecar::start();
    let id = s.start_exec(json!({"argv": ["sleep", "600"], "cwd": "/"}));
    s.request("exec/kill", json!({"execId": id})).unwrap();
    let e = s.wait_exit(&id);
    assert_eq!(e.exited["signal"], "SIGTERM");
    assert_eq!(e.exited["timedOut"], false);

    // A command that ignores SIGTERM is killed after the grace period.
    let id = s.start_exec(
        json!({"argv": ["bash", "-c", "trap '' TERM; echo ready; sleep 600"], "cwd": "/"}),
    );
    s.wait_output(&id, |o| o.contains("ready"));
    s.request("exec/kill", json!({"execId": id})).unwrap();
    assert_eq!(s.wait_exit(&id).exited["signal"], "SIGKILL");

    // Once exited, the execId is unknown.
    let err = s.request("exec/kill", json!({"execId": id})).unwrap_err();
    assert_eq!(err["code"], -32001);
}

#[test]
fn fifty_commands_run_at_once() {
    let mut s = Sidecar::start();
    let ids: Vec<String> = (0..50)
        .map(|i| {
            s.start_exec(json!({
                "argv": ["sh", "-c", format!("echo start {i}; sleep 0.3; echo done {i}; exit {}", i % 7)],
                "cwd": "/",
                "tty": i % 2 == 0,
            }))
        })
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let e = s.wait_exit(id);
        assert_eq!(e.exited["exitCode"], i % 7, "command {i}");
        assert!(
            e.output.contains(&format!("start {i}")) && e.output.contains(&format!("done {i}")),
            "{i}: {}",
            e.output
        );
    }
}

#[test]
fn invalid_utf8_is_replaced_and_characters_are_never_split() {
    let mut s = Sidecar::start();
    let e = s.run(json!({"argv": ["printf", "a\\377b\\303\\251c"], "cwd": "/", "tty": false}));
    assert_eq!(e.output, "a\u{FFFD}béc");
    // Many multibyte characters written a byte at a time still arrive whole.
    let e = s.run(json!({
        "argv": ["python3", "-c", "import os,sys\nfor b in ('é€😀'*200).encode(): os.write(1, bytes([b]))"],
        "cwd": "/", "tty": false,
    }));
    assert_eq!(e.output, "é€😀".repeat(200));
}

/// Megabytes of both streams at once, in odd-sized writes: every byte JSON must escape, multibyte
/// characters cut across writes and reads, bytes that are never UTF-8; each stream arrives exactly
/// as a lossy UTF-8 decoding of what was written, and the summary counts all of it.
#[test]
fn megabytes_of_escapes_and_split_characters_on_both_streams_arrive_exact() {
    let mut s = Sidecar::start();
    let script = r#"
import os
unit = bytes(range(0, 32)) + b'"\\ plain text \x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \xff\xc3(' + bytes(range(32, 127)) + b'\n'
out = unit * 20000
err = b'err \xe2\x82\xac "quoted"\n' * 30000
i = j = 0
while i < len(out) or j < len(err):
    if i < len(out):
        i += os.write(1, out[i:i + 7777])
    if j < len(err):
        j += os.write(2, err[j:j + 1001])
"#;
    let e = s.run(json!({"argv": ["python3", "-c", script], "cwd": "/", "tty": false}));
    let unit: Vec<u8> = (0u8..32)
        .chain(*b"\"\\ plain text \x7f")
        .chain([
            0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, b' ', 0xff, 0xc3, b'(',
        ])
        .chain(32u8..127)
        .chain([b'\n'])
        .collect();
    let want_out = String::from_utf8_lossy(&unit.repeat(20000)).into_owned();
    let want_err = "err € \"quoted\"\n".repeat(30000);
    assert_eq!(e.exited["exitCode"], 0);
    assert!(
        e.output == want_out,
        "stdout differs ({} vs {} bytes)",
        e.output.len(),
        want_out.len()
    );
    assert!(
        e.stderr == want_err,
        "stderr differs ({} vs {} bytes)",
        e.stderr.len(),
        want_err.len()
    );
}

#[test]
fn output_is_coalesced_and_the_summary_is_bounded() {
    let mut s = Sidecar::start();
    let id = s.start_exec(json!({
        // 20000 separate tiny writes.
        "argv": ["python3", "-c", "import os\nfor i in range(20000): os.write(1, b'line %d\\n' % i)"],
        "cwd": "/", "tty": false, "outputLimitBytes": 1000,
    }));
    let mut notifications = 0;
    let mut all = String::new();
    let exited = s.wait_exit_with(&id, |_, t| {
        notifications += 1;
        all.push_str(t);
    });
    assert!(all.starts_with("line 0\nline 1\n") && all.ends_with("line 19999\n"));
    assert!(
        notifications < 2000,
        "{notifications} notifications for 20000 lines"
    );
    let out = &exited["output"];
    assert_eq!(out["totalBytes"], all.len());
    assert!(out["head"].as_str().unwrap().starts_with("line 0\n"));
    assert!(out["tail"].as_str().unwrap().ends_with("line 19999\n"));
    let kept = out["head"].as_str().unwrap().len() + out["tail"].as_str().unwrap().len();
    assert!(kept <= 1000);
    assert_eq!(
        out["truncatedBytes"].as_u64().unwrap() as usize,
        all.len() - kept
    );
}

#[test]
fn secret_looking_variables_are_removed_unless_passed_explicitly() {
    let mut s = Sidecar::start_with(
        &[
            ("OPENAI_API_KEY", "sk-should-not-leak"),
            ("GH_TOKEN", "ghp-no"),
            ("DB_PASSWORD", "pw"),
            ("PLAIN_VAR", "kept"),
        ],
        None,
    );
    let e = s.run(json!({
        "argv": ["env"], "cwd": "/", "tty": false,
        "env": {"EXPLICIT_TOKEN": "given", "PLAIN_VAR": null},
    }));
    for leaked in [
        "sk-should-not-leak",
        "OPENAI_API_KEY",
        "GH_TOKEN",
        "DB_PASSWORD",
    ] {
        assert!(!e.output.contains(leaked), "{leaked} leaked:\n{}", e.output);
    }
    assert!(e.output.contains("EXPLICIT_TOKEN=given"));
    assert!(!e.output.contains("PLAIN_VAR"));
    assert!(e.output.contains("PAGER=cat") && e.output.contains("GIT_PAGER=cat"));
}

#[test]
fn every_bad_input_gets_a_clear_error_and_the_sidecar_keeps_serving() {
    let mut s = Sidecar::start();
    let good = json!({"argv": ["echo", "still serving"], "cwd": "/", "tty": false});
    let cases: Vec<(&str, String, i64, &str)> = vec![
        ("not JSON", "this is not json".into(), -32700, "not valid JSON"),
        ("truncated JSON", "{\"jsonrpc\":\"2.0\",\"id\":".into(), -32700, "not valid JSON"),
        ("not an object", "[1,2]".into(), -32600, "batches"),
        ("a bare number", "7".into(), -32600, "JSON object"),
        ("wrong version", json!({"jsonrpc": "1.0", "id": 90, "method": "initialize"}).to_string(), -32600, "jsonrpc"),
        ("method not a string", json!({"jsonrpc": "2.0", "id": 91, "method": 5}).to_string(), -32600, "method"),
        ("unknown method", json!({"jsonrpc": "2.0", "id": 92, "method": "exec/fly"}).to_string(), -32601, "unknown method"),
        ("params of the wrong type", json!({"jsonrpc": "2.0", "id": 93, "method": "exec/start", "params": {"argv": "ls", "cwd": "/", "sandbox": {"mode": "danger-full-access"}}}).to_string(), -32602, "argv"),
        ("missing cwd", json!({"jsonrpc": "2.0", "id": 94, "method": "exec/start", "params": {"argv": ["ls"], "sandbox": {"mode": "danger-full-access"}}}).to_string(), -32602, "cwd"),
        ("unknown field", json!({"jsonrpc": "2.0", "id": 95, "method": "exec/start", "params": {"argv": ["ls"], "cwd": "/", "ttty": true, "sandbox": {"mode": "danger-full-access"}}}).to_string(), -32602, "ttty"),
        ("no sandbox chosen", json!({"jsonrpc": "2.0", "id": 89, "method": "exec/start", "params": {"argv": ["ls"], "cwd": "/"}}).to_string(), -32602, "sandbox"),
        ("empty argv", json!({"jsonrpc": "2.0", "id": 96, "method": "exec/start", "params": {"argv": [], "cwd": "/", "sandbox": {"mode": "danger-full-access"}}}).to_string(), -32602, "argv"),
        ("unknown execId", json!({"jsonrpc": "2.0", "id": 97, "method": "exec/write", "params": {"execId": "e999", "data": "x"}}).to_string(), -32001, "e999"),
        ("program missing", json!({"jsonrpc": "2.0", "id": 98, "method": "exec/start", "params": {"argv": ["no-such-program-xyz"], "cwd": "/", "sandbox": {"mode": "danger-full-access"}}}).to_string(), -32002, "no-such-program-xyz"),
        ("cwd missing", json!({"jsonrpc": "2.0", "id": 99, "method": "exec/start", "params": {"argv": ["ls"], "cwd": "/no/such/dir", "sandbox": {"mode": "danger-full-access"}}}).to_string(), -32002, "/no/such/dir"),
    ];
    for (name, line, code, needle) in cases {
        s.send_raw(&line);
        let id = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v.get("id").cloned())
            .unwrap_or(serde_json::Value::Null);
        let r = s.response(&id);
        assert_eq!(r["error"]["code"], code, "{name}: {r}");
        let msg = r["error"]["message"].as_str().unwrap();
        assert!(
            msg.contains(needle),
            "{name}: message {msg:?} should mention {needle:?}"
        );
        let e = s.run(good.clone());
        assert_eq!(e.output, "still serving\n", "after {name}");
    }
}

#[test]
fn closing_stdin_ends_every_command_and_the_sidecar() {
    let dir = scratch("eof");
    let pidfile = dir.join("gc.pid");
    let mut s = Sidecar::start();
    let direct = s
        .request("exec/start", json!({"argv": ["sleep", "600"], "cwd": "/", "sandbox": {"mode": "danger-full-access"}}))
        .unwrap()["pid"]
        .as_i64()
        .unwrap() as i32;
    let id = s.start_exec(json!({"argv": ["bash", "-c", format!("sleep 600 & echo $! > {}; echo ok; wait", pidfile.display())], "cwd": "/", "tty": false}));
    s.wait_output(&id, |o| o.contains("ok"));
    let grandchild: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    s.close_stdin();
    let status = s.child.wait().unwrap();
    assert!(status.success());
    wait_until("the commands are gone", || {
        !process_alive(direct) && !process_alive(grandchild)
    });
}

#[test]
fn shutdown_ends_every_command_then_the_sidecar() {
    let mut s = Sidecar::start();
    let pid = s
        .request("exec/start", json!({"argv": ["sleep", "600"], "cwd": "/", "sandbox": {"mode": "danger-full-access"}}))
        .unwrap()["pid"]
        .as_i64()
        .unwrap() as i32;
    assert_eq!(
        s.request("shutdown", json!(null)).unwrap(),
        serde_json::Value::Null
    );
    assert!(!process_alive(pid));
    assert!(s.child.wait().unwrap().success());
}

#[test]
fn an_unsandboxed_pty_command_that_ignores_hangup_dies_with_a_killed_sidecar() {
    let mut s = Sidecar::start();
    // SIGHUP stays ignored across exec, so the terminal hanging up cannot end it: only
    // PR_SET_PDEATHSIG (set by the launcher PTY commands start through) can.
    let r = s
        .request(
            "exec/start",
            json!({
                "argv": ["sh", "-c", "trap '' HUP; echo ready; exec sleep 600"],
                "cwd": "/",
                "sandbox": {"mode": "danger-full-access"},
            }),
        )
        .unwrap();
    let pid = r["pid"].as_i64().unwrap() as i32;
    s.wait_output(r["execId"].as_str().unwrap(), |o| o.contains("ready"));
    wait_until("the command is sleep", || {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.starts_with(b"sleep\x00600"))
    });
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    wait_until("the orphaned command is gone", || !process_alive(pid));
}

/// Names of the sidecar's threads that pump or reap PTY commands.
fn pty_threads(sidecar: u32) -> Vec<String> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{sidecar}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("comm")).ok())
        .map(|c| c.trim().to_string())
        .filter(|c| c.starts_with("pty-"))
        .collect()
}

#[test]
fn pty_reader_and_waiter_threads_end_with_their_command() {
    let dir = scratch("pty-threads");
    let pidfile = dir.join("escaped.pid");
    let mut s = Sidecar::start();
    for i in 0..5 {
        let done = s.run(json!({"argv": ["echo", format!("run {i}")], "cwd": "/"}));
        assert!(done.output.contains(&format!("run {i}")));
    }
    // A process that left for its own session still has the terminal's descriptors when the command
    // exits (the terminal hangs up as its session leader goes); the threads must go all the same.
    // (Orphans are ended only once no command runs: this one keeps the escaped process alive.)
    let blocker = s.start_exec(json!({"argv": ["sleep", "600"], "cwd": "/", "tty": false}));
    let done = s.run(json!({
        "argv": ["sh", "-c", format!("setsid sh -c 'echo $$ > {0}; exec sleep 30' & until [ -s {0} ]; do sleep 0.01; done", pidfile.display())],
        "cwd": "/",
    }));
    assert_eq!(done.exited["exitCode"], 0);
    let mut escaped = 0;
    wait_until("the escaped process wrote its pid", || {
        escaped = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse().ok())
            .unwrap_or(0);
        escaped > 0
    });
    assert!(
        process_alive(escaped),
        "the escaped process should still hold the terminal"
    );
    let sidecar = s.pid();
    wait_until("no PTY thread is left", || pty_threads(sidecar).is_empty());
    // Once the last command has ended, the sidecar (the sub-reaper) ends the escaped process.
    assert!(process_alive(escaped));
    s.request("exec/kill", json!({"execId": blocker})).unwrap();
    s.wait_exit(&blocker);
    wait_until("the escaped process is ended", || !process_alive(escaped));
}
