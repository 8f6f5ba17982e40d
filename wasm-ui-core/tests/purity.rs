//! Architecture invariant: wasm-ui-core never does I/O. Time, ids, file contents and AGENTS.md come
//! in as events from the host. Clippy enforces it on every `npm test` run (`clippy -D warnings` with
//! wasm-ui-core/clippy.toml: disallowed macros, types and methods), and the build checks that the
//! .wasm imports nothing but the wasm-bindgen glue (scripts/wasm-imports.mjs).
//!
//! This test proves the clippy half bites: it lints a scratch crate with the same clippy.toml, one
//! holding one of each forbidden door and one holding none, and expects every door reported and the
//! clean crate to pass. (The test itself runs on the host and may touch files and processes.)
#![allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    clippy::disallowed_macros
)]

use std::path::{Path, PathBuf};
use std::process::Command;

const DOORS: &str = r#"
pub fn print_line() { println!("x"); }
pub fn print_text() { print!("x"); }
pub fn print_error() { eprintln!("x"); }
pub fn print_error_text() { eprint!("x"); }
pub fn debug() -> u32 { dbg!(1) }
pub fn read() -> String { std::fs::read_to_string("x").unwrap_or_default() }
pub fn write() { let _ = std::fs::write("x", "y"); }
pub fn list() { let _ = std::fs::read_dir("."); }
pub fn open(_: std::fs::File) {}
pub fn env() -> Option<String> { std::env::var("HOME").ok() }
pub fn args() -> usize { std::env::args().count() }
pub fn cwd() { let _ = std::env::current_dir(); }
pub fn clock() -> std::time::SystemTime { std::time::SystemTime::now() }
pub fn timer() { let _ = std::time::Instant::now(); }
pub fn run() { let _ = std::process::Command::new("sh"); }
pub fn quit() { std::process::exit(1) }
pub fn connect() { let _ = std::net::TcpStream::connect("127.0.0.1:9"); }
pub fn stdin() { let _ = std::io::stdin(); }
pub fn stdout(_: std::io::Stdout) {}
pub fn spawn() { std::thread::spawn(|| {}); }
"#;

/// What clippy must report for DOORS, each at least once.
const REPORTED: &[&str] = &[
    "disallowed macro `std::println`",
    "disallowed macro `std::print`",
    "disallowed macro `std::eprintln`",
    "disallowed macro `std::eprint`",
    "disallowed macro `std::dbg`",
    "disallowed method `std::fs::read_to_string`",
    "disallowed method `std::fs::write`",
    "disallowed method `std::fs::read_dir`",
    "disallowed type `std::fs::File`",
    "disallowed method `std::env::var`",
    "disallowed method `std::env::args`",
    "disallowed method `std::env::current_dir`",
    "disallowed type `std::time::SystemTime`",
    "disallowed method `std::time::Instant::now`",
    "disallowed type `std::process::Command`",
    "disallowed method `std::process::exit`",
    "disallowed method `std::net::TcpStream::connect`",
    "disallowed method `std::io::stdin`",
    "disallowed type `std::io::Stdout`",
    "disallowed method `std::thread::spawn`",
];

const CLEAN: &str = r#"
pub fn pure(text: &str) -> String { format!("{} bytes", text.len()) }
pub fn ids(n: u64) -> Vec<String> { (0..n).map(|i| format!("item_{i}")).collect() }
"#;

/// Lints `source` as the lib of a scratch crate that uses the core's clippy.toml; returns whether
/// clippy passed and what it said.
fn lint(name: &str, source: &str) -> (bool, String) {
    let dir = scratch_dir(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("clippy.toml"),
        dir.join("clippy.toml"),
    )
    .unwrap();
    std::fs::write(dir.join("src").join("lib.rs"), source).unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args([
            "clippy",
            "--quiet",
            "--offline",
            "--message-format=short",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo clippy runs");
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    let _ = std::fs::remove_dir_all(&dir);
    (out.status.success(), text)
}

fn scratch_dir(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("tack-purity-{name}-{}", std::process::id()))
}

#[test]
fn clippy_reports_every_door_to_the_outside_world() {
    let (ok, text) = lint("doors", DOORS);
    assert!(!ok, "clippy passed a crate full of I/O:\n{text}");
    let missing: Vec<&&str> = REPORTED.iter().filter(|r| !text.contains(**r)).collect();
    assert!(
        missing.is_empty(),
        "clippy did not report {missing:?}; it said:\n{text}"
    );
}

#[test]
fn clippy_passes_pure_code() {
    let (ok, text) = lint("clean", CLEAN);
    assert!(ok, "clippy refused pure code:\n{text}");
}
