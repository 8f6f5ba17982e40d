//! Guarding git metadata in workspace-write. A `.git` runs code later (hooks, `core.fsmonitor`,
//! filters), so the sandbox keeps every `.git` that exists when a command starts read-only (the
//! launcher bind-mounts them), and the sidecar renames any `.git` a command created or replaced
//! (`git init`, `/tmp/.git` above a workspace, a nested `sub/.git`, a gitfile pointing elsewhere)
//! once the command has ended. This module finds the entries; it never follows a symlink while
//! walking.
use std::collections::BTreeMap;
use std::fs;
#[cfg(unix)]
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// How many directories one scan reads at most (a big `node_modules` has tens of thousands).
pub const DIR_LIMIT: usize = 100_000;
/// How deep below a root a scan goes at most.
pub const DEPTH_LIMIT: usize = 64;

/// What identifies a `.git` entry: replaced (deleted and re-created) means a new identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    dev: u64,
    ino: u64,
    mode: u32,
}

#[derive(Debug, Default, Clone)]
pub struct GitScan {
    pub entries: BTreeMap<PathBuf, Identity>,
    /// False when the walk stopped at `DIR_LIMIT` or `DEPTH_LIMIT` somewhere.
    pub complete: bool,
}

/// Windows (where no sandbox runs workspace-write yet): the type only; there is no inode to compare.
#[cfg(windows)]
fn identity(p: &Path) -> Option<Identity> {
    let t = p.symlink_metadata().ok()?.file_type();
    Some(Identity {
        dev: 0,
        ino: 0,
        mode: if t.is_symlink() {
            0o120000
        } else if t.is_dir() {
            0o040000
        } else {
            0o100000
        },
    })
}

#[cfg(unix)]
fn identity(p: &Path) -> Option<Identity> {
    let m = p.symlink_metadata().ok()?;
    Some(Identity {
        dev: m.dev(),
        ino: m.ino(),
        mode: m.mode() & 0o170000, // the file type bits (S_IFMT)
    })
}

/// Whether git would take `dir` itself for a repository directory (a bare one, or one whose config
/// names a `core.worktree`): a `HEAD` next to `objects/` and `refs/`. Returns its `HEAD`.
fn repository_head(dir: &Path) -> Option<(PathBuf, Identity)> {
    let head = dir.join("HEAD");
    let id = identity(&head)?;
    if id.mode == 0o040000 {
        return None; // a directory named HEAD
    }
    let is_dir = |n: &str| {
        dir.join(n)
            .symlink_metadata()
            .is_ok_and(|m| m.is_dir() || m.file_type().is_symlink())
    };
    (is_dir("objects") && is_dir("refs")).then_some((head, id))
}

/// Every repository in or above the given areas: `X/.git` and a repository-looking `X` itself
/// (see `repository_head`, recorded as `X/HEAD`) for each area and each of its ancestors, every
/// such entry below each area in `walk` (walking), and `X/*/.git` / `X/*` for each area in
/// `shallow` (the temp dir: a repository checked out in /tmp/foo is protected, /tmp itself is not
/// walked). Paths should be canonical.
pub fn scan(walk: &[PathBuf], shallow: &[PathBuf]) -> GitScan {
    let mut out = GitScan {
        entries: BTreeMap::new(),
        complete: true,
    };
    let look_at = |dir: &Path, out: &mut GitScan| -> bool {
        let g = dir.join(".git");
        if let Some(id) = identity(&g) {
            out.entries.insert(g, id);
        }
        match repository_head(dir) {
            Some((head, id)) => {
                out.entries.insert(head, id);
                true
            }
            None => false,
        }
    };
    for area in walk.iter().chain(shallow) {
        for dir in area.ancestors() {
            look_at(dir, &mut out);
        }
    }
    for area in shallow {
        let Ok(rd) = fs::read_dir(area) else { continue };
        for e in rd.flatten().take(DIR_LIMIT) {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                look_at(&e.path(), &mut out);
            }
        }
    }
    let mut budget = DIR_LIMIT;
    for root in walk {
        let mut stack = vec![(root.clone(), 0usize)];
        while let Some((dir, depth)) = stack.pop() {
            if budget == 0 {
                out.complete = false;
                break;
            }
            budget -= 1;
            // A repository directory is protected as a whole: no need to walk its objects.
            if depth > 0 && look_at(&dir, &mut out) {
                continue;
            }
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            for e in rd.flatten() {
                // .git was looked at with its directory; it is protected whole, not walked.
                if e.file_name() == ".git" {
                    continue;
                }
                // file_type() does not follow symlinks: a symlinked directory is not walked.
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    if depth + 1 > DEPTH_LIMIT {
                        out.complete = false;
                    } else {
                        stack.push((e.path(), depth + 1));
                    }
                }
            }
        }
    }
    out
}

/// What must be mounted read-only for the entries of a scan: each `.git` itself (a symlink's
/// target), the directory a gitfile (`gitdir: ...`) names, and a linked worktree's common dir.
// Used by the Linux sandbox only (it binds these read-only).
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
pub fn protect_targets(scan: &GitScan) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    let mut push = |p: PathBuf| {
        if let Ok(c) = p.canonicalize() {
            if !out.contains(&c) {
                out.push(c);
            }
        }
    };
    for g in scan.entries.keys() {
        if g.file_name().is_some_and(|n| n == "HEAD") {
            // A repository directory itself: all of it.
            if let Some(dir) = g.parent() {
                push(dir.to_path_buf());
            }
            continue;
        }
        push(g.clone());
        let Ok(meta) = g.metadata() else { continue };
        let gitdir = if meta.is_file() {
            let Some(target) = gitfile_target(g) else {
                continue;
            };
            push(target.clone());
            target
        } else {
            g.clone()
        };
        if let Ok(common) = fs::read_to_string(gitdir.join("commondir")) {
            let common = common.trim();
            if !common.is_empty() {
                push(gitdir.join(common));
            }
        }
    }
    out
}

/// The directory a gitfile points at, resolved against the gitfile's directory.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn gitfile_target(gitfile: &Path) -> Option<PathBuf> {
    let text = fs::read_to_string(gitfile).ok()?;
    let line = text.lines().next()?;
    let target = line.strip_prefix("gitdir:")?.trim();
    if target.is_empty() {
        return None;
    }
    Some(gitfile.parent()?.join(target))
}

/// Renames every `.git` that `after` has and `before` had not (or had with another identity),
/// when it lies inside one of `writable` (only a sandboxed command could have made it there).
/// Returns (old path, new path or error text).
pub fn neutralise(
    before: &GitScan,
    after: &GitScan,
    writable: &[PathBuf],
) -> Vec<(PathBuf, Result<PathBuf, String>)> {
    let mut out = Vec::new();
    for (path, id) in &after.entries {
        if before.entries.get(path) == Some(id) {
            continue;
        }
        if !writable.iter().any(|w| path.starts_with(w)) {
            continue;
        }
        // Still the entry we saw (not replaced again since the scan)?
        if identity(path) != Some(*id) {
            continue;
        }
        let parent = path.parent().unwrap_or(Path::new("/"));
        // `.git` -> `.git.tack-blocked-N`; a repository directory's `HEAD` -> `HEAD.tack-blocked-N`
        // (without a HEAD git no longer takes the directory for a repository).
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut n = 1;
        let target = loop {
            let t = parent.join(format!("{name}.tack-blocked-{n}"));
            if t.symlink_metadata().is_err() {
                break t;
            }
            n += 1;
        };
        let r = fs::rename(path, &target)
            .map(|()| target)
            .map_err(|e| e.to_string());
        out.push((path.clone(), r));
    }
    out
}

/// The text a command's output ends with when `neutralise` renamed something.
pub fn report(renamed: &[(PathBuf, Result<PathBuf, String>)], complete: bool) -> String {
    let mut s = String::new();
    for (from, r) in renamed {
        match r {
            Ok(to) => s.push_str(&format!(
                "\n[tack sandbox] blocked {}: a sandboxed command may not create or replace a git repository (.git, or a directory with HEAD, objects/ and refs/: it would run code later, e.g. hooks or core.fsmonitor); it was renamed to {}. Creating a repository needs danger-full-access or the user.\n",
                from.display(),
                to.display()
            )),
            Err(e) => s.push_str(&format!(
                "\n[tack sandbox] WARNING: this command created {} and it could not be renamed ({e}); do not run git there until it is removed.\n",
                from.display()
            )),
        }
    }
    if !complete {
        s.push_str(&format!(
            "\n[tack sandbox] note: the check for new .git entries stopped after {DIR_LIMIT} directories or {DEPTH_LIMIT} levels; deeper entries were not checked.\n"
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_and_ancestor_entries_and_renames_new_ones() {
        let base = std::env::temp_dir().join(format!("tack-git-guard-{}", std::process::id()));
        let _ = fs::remove_dir_all(&base);
        let ws = base.join("ws");
        fs::create_dir_all(ws.join("a/b/.git")).unwrap();
        fs::create_dir_all(base.join(".git")).unwrap();
        let ws = ws.canonicalize().unwrap();
        let before = scan(std::slice::from_ref(&ws), &[]);
        assert!(before.complete);
        assert!(before.entries.contains_key(&ws.join("a/b/.git")));
        assert!(before
            .entries
            .contains_key(&ws.parent().unwrap().join(".git")));
        fs::create_dir_all(ws.join("c/.git")).unwrap();
        fs::write(ws.join(".git"), "gitdir: a/b/.git\n").unwrap();
        let after = scan(std::slice::from_ref(&ws), &[]);
        assert_eq!(
            protect_targets(&after)
                .iter()
                .filter(|p| p.ends_with("a/b/.git"))
                .count(),
            1
        );
        let renamed = neutralise(&before, &after, std::slice::from_ref(&ws));
        assert_eq!(renamed.len(), 2, "{renamed:?}");
        assert!(ws.join("c/.git.tack-blocked-1").is_dir());
        assert!(ws.join(".git.tack-blocked-1").is_file());
        assert!(ws.join("a/b/.git").is_dir());
        assert!(report(&renamed, true).contains("blocked"));
        let _ = fs::remove_dir_all(&base);
    }
}
