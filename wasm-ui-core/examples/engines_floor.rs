//! The native build of Tack's engines, timed: the floor the wasm module is compared with in
//! `npm run bench`. Prints one JSON object on stdout.
//!
//!   engines_floor lines ORIGINAL PROPOSED REPS     the line-level diff (what the host's
//!                                                  `diffLines` computes: LineLevel::new and the
//!                                                  numbers wasm hands back), REPS times
//!   engines_floor diff ORIGINAL PROPOSED REPS      diff_texts(original, proposed), REPS times
//!   engines_floor patch PATH_IN_PATCH FILE PATCH REPS
//!                                                  parse + apply the patch to FILE's contents
//!                                                  (given as PATH_IN_PATCH), REPS times

// A benchmark harness run on the host: it reads files and times; the core it measures does neither.
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)]

use std::time::Instant;
use wasm_ui_core::diff::{diff_texts, LineLevel};
use wasm_ui_core::patch::{apply, parse, FileMap, FileState};
use wasm_ui_core::wasm_api::engines::lines_numbers;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("engines_floor: cannot read {path}: {e}");
        std::process::exit(2)
    })
}

fn reps(arg: Option<&String>) -> usize {
    arg.and_then(|s| s.parse().ok()).unwrap_or(10)
}

fn print_ms(ms: &[f64], extra: &str) {
    let list: Vec<String> = ms.iter().map(|m| format!("{m:.4}")).collect();
    println!("{{\"ms\":[{}]{extra}}}", list.join(","));
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("diff") if args.len() >= 3 => {
            let (a, b) = (read(&args[1]), read(&args[2]));
            let n = reps(args.get(3));
            let hunks = diff_texts(&a, &b).hunk_ids.len(); // warm-up, and a sanity figure
            let ms: Vec<f64> = (0..n)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(diff_texts(std::hint::black_box(&a), &b));
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            print_ms(&ms, &format!(",\"hunks\":{hunks}"));
        }
        Some("lines") if args.len() >= 3 => {
            let (a, b) = (read(&args[1]), read(&args[2]));
            let n = reps(args.get(3));
            let hunks = LineLevel::new(a.as_bytes(), b.as_bytes()).hunk_count(); // warm-up, and a sanity figure
            let ms: Vec<f64> = (0..n)
                .map(|_| {
                    let t = Instant::now();
                    let d = LineLevel::new(std::hint::black_box(a.as_bytes()), b.as_bytes());
                    std::hint::black_box(lines_numbers(&d));
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            print_ms(&ms, &format!(",\"hunks\":{hunks}"));
        }
        Some("patch") if args.len() >= 4 => {
            let (name, contents, text) = (&args[1], read(&args[2]), read(&args[3]));
            let n = reps(args.get(4));
            let run = || {
                let patch = parse(&text).unwrap_or_else(|e| panic!("patch does not parse: {e}"));
                let mut files = FileMap::new();
                files.insert(
                    name.clone(),
                    FileState::Text {
                        contents: contents.clone(),
                    },
                );
                apply(&patch, &files).unwrap_or_else(|e| panic!("patch does not apply: {e}"))
            };
            let changes = run().len();
            let ms: Vec<f64> = (0..n)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(run());
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            print_ms(&ms, &format!(",\"changes\":{changes}"));
        }
        _ => {
            eprintln!("usage: engines_floor lines|diff ORIGINAL PROPOSED [REPS] | patch PATH_IN_PATCH FILE PATCH [REPS]");
            std::process::exit(2);
        }
    }
}
