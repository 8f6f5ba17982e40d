//! Path rules for patch targets: relative, inside the workspace root, written with `/` (a `\\` in a
//! patch header separates components as well, as on Windows).

/// `.git` in any letter case, also as Windows would read it (trailing dots and spaces dropped, the
/// 8.3 short name `GIT~1`).
fn is_git_dir_name(part: &str) -> bool {
    let trimmed = part.trim_end_matches(['.', ' ']);
    trimmed.eq_ignore_ascii_case(".git") || trimmed.eq_ignore_ascii_case("git~1")
}

/// Normalises a path from a patch header lexically (`./` and empty components dropped, `a/../b` folded)
/// and rejects anything that could name a file outside the workspace root. The error text is the reason.
pub fn normalize_relative(raw: &str) -> Result<String, String> {
    let path = raw.trim();
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.contains('\0') {
        return Err(format!("the path '{path}' contains a NUL character"));
    }
    let bytes = path.as_bytes();
    let windows_drive = bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':';
    if path.starts_with('/') || path.starts_with('\\') || path.starts_with('~') || windows_drive {
        return Err(format!(
            "the path '{path}' is absolute; paths must be relative to the workspace root"
        ));
    }
    let mut parts: Vec<&str> = Vec::new();
    // A backslash separates components too: Windows reads `a\..\b` and `.git\hooks` as paths, so
    // they are checked (and written back with `/`) like the `/` forms.
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "the path '{path}' leads outside the workspace root ('..')"
                    ));
                }
            }
            other => {
                if is_git_dir_name(other) {
                    return Err(format!(
                        "the path '{path}' is inside a `.git` directory; patches may not change git's own files (hooks and config run code)"
                    ));
                }
                parts.push(other)
            }
        }
    }
    if parts.is_empty() {
        return Err(format!(
            "the path '{path}' names the workspace root itself, not a file"
        ));
    }
    Ok(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::normalize_relative;

    #[test]
    fn keeps_plain_relative_paths() {
        assert_eq!(normalize_relative("src/a.rs").unwrap(), "src/a.rs");
        assert_eq!(normalize_relative(" ./src//a.rs ").unwrap(), "src/a.rs");
        assert_eq!(normalize_relative("src/x/../a.rs").unwrap(), "src/a.rs");
        assert_eq!(
            normalize_relative("naïve/ünï.txt").unwrap(),
            "naïve/ünï.txt"
        );
    }

    #[test]
    fn rejects_escapes_and_absolute_paths() {
        for bad in [
            "../x",
            "a/../../x",
            "/etc/passwd",
            "\\\\server\\share",
            "C:\\x",
            "c:/x",
            "~/x",
            "",
            "  ",
            ".",
            "a/..",
            "a\0b",
            ".git/config",
            ".GIT/hooks/pre-commit",
            "sub/.Git/config",
            "x/.git",
            ".git./config",
            ".git /config",
            "GIT~1/config",
            "a/b/../.git/HEAD",
        ] {
            assert!(
                normalize_relative(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        let err = normalize_relative("../secret").unwrap_err();
        assert!(err.contains("outside the workspace"), "{err}");
        let err = normalize_relative("sub/.GIT/hooks/post-checkout").unwrap_err();
        assert!(err.contains("inside a `.git` directory"), "{err}");
        // Names that only contain `.git` are ordinary files.
        for ok in [
            ".gitignore",
            ".github/workflows/ci.yml",
            "a.git/x",
            "git/x",
            ".gitattributes",
        ] {
            assert!(normalize_relative(ok).is_ok(), "{ok:?} should be accepted");
        }
        let err = normalize_relative("/etc/passwd").unwrap_err();
        assert!(err.contains("absolute"), "{err}");
    }
}
