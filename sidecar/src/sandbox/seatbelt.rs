//! The Seatbelt profile the macOS sandbox hands to `sandbox-exec -p` (macos.rs). Plain text built
//! from the launch spec, so it is compiled and unit-tested on every platform.
#![cfg_attr(not(target_os = "macos"), allow(dead_code))]
use super::LaunchSpec;
use crate::protocol::SandboxMode;
use std::path::Path;

fn quote(p: &Path) -> String {
    let s = p.to_string_lossy();
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The profile: everything denied, then reads, process and terminal basics allowed; in
/// workspace-write, writes beneath each writable root except its `.git` and the protected
/// directories (Tack's own) beneath it; the network only with
/// `--network` (Unix sockets always, for local tooling).
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
        let protected: Vec<std::path::PathBuf> = spec
            .protected_dirs
            .iter()
            .map(|d| d.canonicalize().unwrap_or_else(|_| d.clone()))
            .collect();
        for r in roots {
            let r = r.canonicalize().unwrap_or(r);
            // Its `.git`, and Tack's own directory when it lies beneath this root, stay read-only.
            let mut except = format!("(require-not (subpath {}))", quote(&r.join(".git")));
            for d in protected.iter().filter(|d| d.starts_with(&r)) {
                except.push_str(&format!(" (require-not (subpath {}))", quote(d)));
            }
            p.push_str(&format!(
                "(allow file-write* (require-all (subpath {}) {except}))\n",
                quote(&r)
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn spec(mode: SandboxMode, roots: Vec<PathBuf>, network: bool) -> LaunchSpec {
        LaunchSpec {
            mode,
            writable_roots: roots,
            temp_dir: None,
            network,
            argv: vec!["true".into()],
            git_entries: None,
            protected_dirs: Vec::new(),
        }
    }

    #[test]
    fn read_only_denies_by_default_and_allows_no_writes_but_devices() {
        let p = profile(&spec(SandboxMode::ReadOnly, vec![], false));
        assert!(p.starts_with("(version 1)\n(deny default)\n"), "{p}");
        assert!(p.contains("(allow file-read*)"));
        assert!(p.contains("(allow process-exec)"));
        let writes: Vec<&str> = p.lines().filter(|l| l.contains("file-write")).collect();
        assert_eq!(writes.len(), 1, "{p}");
        assert!(writes[0].contains("/dev/null") && !writes[0].contains("subpath"));
        assert!(p.contains("(allow network* (remote unix-socket))"));
        assert!(!p.contains("(allow network*)"));
    }

    #[test]
    fn workspace_write_allows_each_root_but_its_git_directory() {
        let root = std::env::temp_dir().canonicalize().unwrap();
        let p = profile(&spec(
            SandboxMode::WorkspaceWrite,
            vec![root.clone()],
            false,
        ));
        let r = root.to_string_lossy();
        let want = format!(
            "(allow file-write* (require-all (subpath \"{r}\") (require-not (subpath \"{}\"))))",
            root.join(".git").to_string_lossy()
        );
        assert!(p.lines().any(|l| l == want), "{p}");
    }

    #[test]
    fn tacks_own_directory_beneath_a_root_stays_read_only() {
        let root = std::env::temp_dir().canonicalize().unwrap();
        let mut sp = spec(SandboxMode::WorkspaceWrite, vec![root.clone()], false);
        sp.protected_dirs = vec![root.join("dot-tack"), PathBuf::from("/elsewhere/.tack")];
        let p = profile(&sp);
        let want = format!(
            "(allow file-write* (require-all (subpath \"{r}\") (require-not (subpath \"{r}/.git\")) (require-not (subpath \"{r}/dot-tack\"))))",
            r = root.to_string_lossy()
        );
        assert!(p.lines().any(|l| l == want), "{p}");
        assert!(
            !p.contains("/elsewhere/.tack"),
            "a directory outside every root needs no rule: {p}"
        );
    }

    #[test]
    fn network_only_when_asked() {
        let p = profile(&spec(SandboxMode::ReadOnly, vec![], true));
        assert!(p.lines().any(|l| l == "(allow network*)"), "{p}");
    }

    #[test]
    fn paths_are_quoted_so_they_cannot_end_the_string() {
        assert_eq!(quote(Path::new("/tmp/a\"b\\c")), "\"/tmp/a\\\"b\\\\c\"");
        let odd = PathBuf::from("/no/such/dir\") (allow file-write* (subpath \"/\"))");
        let p = profile(&spec(SandboxMode::WorkspaceWrite, vec![odd], false));
        assert!(
            !p.lines()
                .any(|l| l == "(allow file-write* (subpath \"/\"))"),
            "{p}"
        );
        assert!(p.contains("dir\\\") (allow"), "{p}");
    }
}
