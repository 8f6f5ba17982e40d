//! The outbox (src/outbox.rs) with stdout a Unix socket, as under Node: small lines are written by
//! their senders when nothing is queued, everything else by the writer thread. Whatever the mix,
//! every byte arrives once and in order: each command's output whole and before its exec/exited,
//! nothing of a command after its exit report, also when the client reads slowly (the socket
//! full, sends refused or taken in part) and when commands exit while their output still flows.
#![cfg(unix)]
mod common;
use common::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// (argv, tty, the output it must produce)
fn commands() -> Vec<(Vec<String>, bool, String)> {
    let seq = |n: usize| (1..=n).map(|i| format!("{i}\n")).collect::<String>();
    let mut v = Vec::new();
    for i in 0..4 {
        // Big: lines past the direct-write size, the socket filled.
        v.push((sv(&["seq", "1", "60000"]), false, seq(60000)));
        // Exits while its output still flows (a background writer holds the pipe).
        v.push((
            sv(&["sh", "-c", "(seq 1 20000; echo tail) & exit 0"]),
            false,
            format!("{}tail\n", seq(20000)),
        ));
        // Small ones: answers and exit reports written directly when they can be.
        for j in 0..6 {
            let word = format!("small-{i}-{j}");
            v.push((sv(&["echo", &word]), j % 3 == 0, format!("{word}\n")));
        }
    }
    v
}

fn sv(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

fn run_all(s: &mut Sidecar) {
    let cmds = commands();
    let mut started = Vec::new();
    for (argv, tty, want) in &cmds {
        let id = s.start_exec(json!({"argv": argv, "cwd": "/", "tty": tty}));
        started.push((id, *tty, want.clone()));
    }
    for (id, tty, want) in &started {
        let e = s.wait_exit(id);
        assert_eq!(e.exited["exitCode"], 0, "{id}: {}", e.exited);
        let got = if *tty {
            e.output.replace("\r\n", "\n")
        } else {
            e.output
        };
        assert!(
            got == *want,
            "{id}: {} bytes, wanted {}",
            got.len(),
            want.len()
        );
    }
    // Nothing of any command came after its exit report.
    let ids: HashMap<&str, ()> = started.iter().map(|(id, ..)| (id.as_str(), ())).collect();
    let late: Vec<Value> = s
        .leftovers(Duration::from_millis(200))
        .into_iter()
        .filter(|m| {
            m["params"]["execId"]
                .as_str()
                .is_some_and(|id| ids.contains_key(id))
        })
        .collect();
    assert!(late.is_empty(), "after exec/exited: {late:?}");
    // Still answering, in both directions.
    let e = s.run(json!({"argv": ["echo", "after"], "cwd": "/", "tty": false}));
    assert_eq!(e.output, "after\n");
}

#[test]
fn many_commands_at_once_through_a_socket_each_whole_and_before_its_exit() {
    let mut s = Sidecar::start_on_socket(None);
    run_all(&mut s);
}

#[test]
fn a_slow_reader_on_a_socket_still_gets_every_byte_in_order() {
    let mut s = Sidecar::start_on_socket(Some(Duration::from_micros(300)));
    run_all(&mut s);
}

#[test]
fn a_flood_of_small_lines_to_a_slow_reader_arrives_whole() {
    // Many commands printing a short line every few milliseconds: lines small enough to be sent
    // directly, more of them than the reader takes, so the socket fills while nothing is queued
    // and sends are refused or taken in part.
    let mut s = Sidecar::start_on_socket(Some(Duration::from_millis(1)));
    let pad = "x".repeat(900);
    let script =
        format!("i=0; while [ $i -lt 150 ]; do echo \"$i {pad}\"; i=$((i+1)); sleep 0.002; done");
    let want: String = (0..150).map(|i| format!("{i} {pad}\n")).collect();
    let ids: Vec<String> = (0..16)
        .map(|_| s.start_exec(json!({"argv": ["sh", "-c", script], "cwd": "/", "tty": false})))
        .collect();
    for id in &ids {
        let e = s.wait_exit(id);
        assert_eq!(e.exited["exitCode"], 0);
        assert!(
            e.output == want,
            "{id}: {} bytes, wanted {}",
            e.output.len(),
            want.len()
        );
    }
    let late: Vec<Value> = s
        .leftovers(Duration::from_millis(200))
        .into_iter()
        .filter(|m| {
            m["params"]["execId"]
                .as_str()
                .is_some_and(|id| ids.iter().any(|i| i == id))
        })
        .collect();
    assert!(late.is_empty(), "after exec/exited: {late:?}");
}
