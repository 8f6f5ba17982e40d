//! macOS sandbox through Seatbelt (`sandbox-exec`). UNTESTED: this project's machines and CI are
//! Linux; the profile follows the same meaning as the Linux sandbox but nobody has run it yet.
use super::seatbelt::profile;
use super::{exec_plain, LaunchError, LaunchSpec};
use crate::protocol::SandboxInfo;
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

pub fn launch(spec: &LaunchSpec) -> LaunchError {
    let mut argv: Vec<OsString> = vec![SANDBOX_EXEC.into(), "-p".into(), profile(spec).into()];
    argv.extend(spec.argv.iter().cloned());
    exec_plain(&argv)
}
