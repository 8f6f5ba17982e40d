//! Path rules for patch targets: relative, inside the workspace root, written with `/`.

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
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err(format!(
                        "the path '{path}' leads outside the workspace root ('..')"
                    ));
                }
            }
            other => parts.push(other),
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
        ] {
            assert!(
                normalize_relative(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        let err = normalize_relative("../secret").unwrap_err();
        assert!(err.contains("outside the workspace"), "{err}");
        let err = normalize_relative("/etc/passwd").unwrap_err();
        assert!(err.contains("absolute"), "{err}");
    }
}
