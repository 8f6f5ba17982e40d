//! macOS sandbox through Seatbelt (`sandbox-exec`). UNTESTED: this project's machines and CI are
//! Linux; the profile follows the same meaning as the Linux sandbox but nobody has run it yet.
use super::{exec_plain, LaunchError, LaunchSpec};
use crate::protocol::{SandboxInfo, SandboxMode};
use std::ffi::OsString;
use std::path::Path;

const SANDBOX_EXEC: &str = "/usr/bin/sandbox-exec";

pub fn probe() -> SandboxInfo {
    let seatbelt = Path::new(SANDBOX_EXEC).exists();
    let mut limitations = vec!["the macOS Seatbelt sandbox is untested".to_string()];
    if !seatbelt {
        limitations
            .push("sandbox-exec is missing: read-only and workspace-write cannot run".into());
    }
    SandboxInfo {
        landlock_abi: None,
        seccomp: false,
        seatbelt,
        user_namespaces: false,
        available: seatbelt,
        limitations,
    }
}

fn quote(p: &Path) -> String {
    let s = p.to_string_lossy();
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

pub fn profile(spec: &LaunchSpec) -> String {
    let mut p = String::from(
        "(version 1)\n(deny default)\n(allow process-exec)\n(allow process-fork)\n\
         (allow signal (target same-sandbox))\n(allow sysctl-read)\n(allow mach-lookup)\n\
         (allow ipc-posix-shm)\n(allow file-read*)\n\
         (allow file-write* (literal \"/dev/null\") (literal \"/dev/tty\") (regex #\"^/dev/ttys[0-9]+$\"))\n\
         (allow file-ioctl (literal \"/dev/tty\") (regex #\"^/dev/ttys[0-9]+$\"))\n",
    );
    if spec.mode == SandboxMode::WorkspaceWrite {
        let mut roots: Vec<std::path::PathBuf> = spec.writable_roots.clone();
        roots.extend(spec.temp_dir.clone());
        for r in roots {
            let r = r.canonicalize().unwrap_or(r);
            p.push_str(&format!(
                "(allow file-write* (require-all (subpath {}) (require-not (subpath {}))))\n",
                quote(&r),
                quote(&r.join(".git"))
            ));
        }
    }
    if spec.network {
        p.push_str("(allow network*)\n");
    } else {
        p.push_str("(allow network* (remote unix-socket))\n");
    }
    p
}

pub fn launch(spec: &LaunchSpec) -> LaunchError {
    let mut argv: Vec<OsString> = vec![SANDBOX_EXEC.into(), "-p".into(), profile(spec).into()];
    argv.extend(spec.argv.iter().cloned());
    exec_plain(&argv)
}
