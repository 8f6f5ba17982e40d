//! tack-sidecar: Tack's native half. With no arguments it serves the sidecar protocol (JSON-RPC
//! over stdio, see docs/sidecar-protocol.md); `sandbox ...` runs one command inside the sandbox.
#[cfg(unix)]
mod checkpoint;
mod child_env;
mod exec;
#[cfg(unix)]
mod fs_write;
#[cfg(windows)]
#[path = "fs_write_windows.rs"]
mod fs_write;
mod image_prep;
mod names;
mod outbox;
mod output;
mod pool;
mod protocol;
mod sandbox;
mod server;
mod shell;
#[cfg(target_os = "linux")]
mod spawn;
mod spawner;
mod tree;

use std::ffi::OsString;

const HELP: &str = "tack-sidecar: runs commands for Tack, streamed over stdio as JSON-RPC.

usage:
  tack-sidecar                 serve the protocol on stdin/stdout (logs on stderr)
  tack-sidecar sandbox --mode read-only|workspace-write|danger-full-access \\
      [--writable-root DIR]... [--temp-dir DIR] [--network] -- PROGRAM [ARG]...
                               run one command inside the sandbox
  tack-sidecar --version";

fn main() {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    match args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .as_deref()
    {
        None => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(server::serve());
            // stdin's reader thread may still be blocked in read(); don't wait for it.
            std::process::exit(0);
        }
        Some("sandbox") => match sandbox::LaunchSpec::parse(&args[1..]) {
            Ok(spec) => {
                let err = sandbox::launch(&spec);
                eprintln!("tack-sidecar sandbox: {}", err.message);
                std::process::exit(err.exit_code);
            }
            Err(e) => {
                eprintln!("tack-sidecar sandbox: {e}\n{}", sandbox::USAGE);
                std::process::exit(2);
            }
        },
        // The sidecar's own re-exec: the spec as one JSON argument (LaunchSpec::to_args).
        Some(sandbox::EXEC_SUBCOMMAND) => match sandbox::LaunchSpec::from_exec_args(&args[1..]) {
            Ok(spec) => {
                let err = sandbox::launch(&spec);
                eprintln!("tack-sidecar sandbox: {}", err.message);
                std::process::exit(err.exit_code);
            }
            Err(e) => {
                eprintln!("tack-sidecar {}: {e}", sandbox::EXEC_SUBCOMMAND);
                std::process::exit(2);
            }
        },
        #[cfg(target_os = "linux")]
        Some("probe-userns") => {
            // Used by the sandbox probe: can this machine give us a user + mount namespace?
            std::process::exit(sandbox::probe_namespaces());
        }
        Some("--version") => println!("tack-sidecar {}", env!("CARGO_PKG_VERSION")),
        Some("--help" | "-h") => println!("{HELP}"),
        Some(other) => {
            eprintln!("tack-sidecar: unknown argument {other:?}\n\n{HELP}");
            std::process::exit(2);
        }
    }
}
