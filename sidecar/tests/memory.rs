//! Memory stays bounded however much a command prints and however slowly the client reads.
mod common;
use common::*;
use serde_json::json;
use std::time::Duration;

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn two_hundred_megabytes_to_a_slow_client_keep_the_sidecar_under_64_mb() {
    const TOTAL: usize = 200_000_000;
    // The client pauses after every message, so the sidecar must hold the command back.
    let mut s = Sidecar::start_with(&[], Some(Duration::from_micros(300)));
    let id = s.start_exec(json!({
        "argv": ["sh", "-c", format!("head -c {TOTAL} /dev/zero | tr '\\0' x")],
        "cwd": "/",
    }));
    let mut received = 0usize;
    let mut messages = 0usize;
    let exited = s.wait_exit_with(&id, |_, text| {
        assert!(text.bytes().all(|b| b == b'x'));
        received += text.len();
        messages += 1;
    });
    assert_eq!(received, TOTAL);
    assert_eq!(exited["exitCode"], 0);
    assert_eq!(exited["output"]["totalBytes"], TOTAL);
    let kept = exited["output"]["head"].as_str().unwrap().len()
        + exited["output"]["tail"].as_str().unwrap().len();
    assert!(kept <= 1024 * 1024, "summary keeps {kept} bytes");
    let peak = peak_rss_kib(s.pid());
    eprintln!("200 MB in {messages} notifications; sidecar peak RSS {peak} KiB");
    assert!(peak < 64 * 1024, "sidecar peak RSS {peak} KiB");
}
