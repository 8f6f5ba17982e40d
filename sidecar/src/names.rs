//! File names the writers refuse, on every platform: `.git` in any spelling a file system maps to
//! it, and (for the Windows writer) names Windows itself treats specially. Platform-independent so
//! the rules are unit-tested on every build machine.
#![cfg_attr(not(windows), allow(dead_code))]

/// Whether a file name means `.git` to git on some file system: case-insensitively, ignoring the
/// code points HFS+ ignores, and the trailing dots and spaces and the 8.3 short name NTFS accepts.
pub fn is_git_name(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(|c| {
            !matches!(*c as u32,
                0x200C..=0x200F | 0x202A..=0x202E | 0x206A..=0x206F | 0xFEFF)
        })
        .collect::<String>()
        .to_lowercase();
    let trimmed = folded.trim_end_matches(['.', ' ']);
    trimmed == ".git" || trimmed == "git~1" || folded.starts_with(".git:")
}

/// DOS device names: Win32 opens the device for these in any directory, with any extension.
const DEVICES: [&str; 8] = [
    "con", "prn", "aux", "nul", "conin$", "conout$", "clock$", "config$",
];

/// Whether a name is a DOS device name (`CON`, `nul.txt`, `COM1`, `lpt¹ .log`).
pub fn is_device_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    // Win32 looks at what comes before the first dot, trailing spaces dropped.
    let stem = lower.split('.').next().unwrap_or("").trim_end_matches(' ');
    if DEVICES.contains(&stem) {
        return true;
    }
    for port in ["com", "lpt"] {
        if let Some(rest) = stem.strip_prefix(port) {
            if matches!(
                rest,
                "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
            ) {
                return true;
            }
        }
    }
    false
}

/// Whether a name has the shape of an NTFS 8.3 short name with a numeric tail (`GIT~1`,
/// `PROGRA~2.TXT`): such a name may open a different, long-named file (for example `.git`).
pub fn looks_like_short_name(name: &str) -> bool {
    let (base, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
        _ => (name, ""),
    };
    let Some(tilde) = base.rfind('~') else {
        return false;
    };
    let tail = &base[tilde + 1..];
    tilde > 0
        && base.chars().count() <= 8
        && ext.chars().count() <= 3
        && !tail.is_empty()
        && tail.chars().all(|c| c.is_ascii_digit())
}

/// Why one component of a path may not be written on Windows, or None when it may.
pub fn windows_name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name == "." {
        return Some("the path is not normalised (an empty or '.' component)".into());
    }
    if name == ".." {
        return Some("'..' is not allowed in a path".into());
    }
    if is_git_name(name) {
        return Some("git-dir".into());
    }
    if name.contains(':') {
        return Some(format!(
            "{name:?} contains ':' (an NTFS alternate data stream or a drive letter), which Tack does not write"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| (*c as u32) < 0x20 || matches!(c, '<' | '>' | '"' | '|' | '?' | '*'))
    {
        return Some(format!(
            "{name:?} contains {c:?}, which Windows does not allow in a file name"
        ));
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Some(format!(
            "{name:?} ends with a dot or a space, which Windows drops (it would name a different file)"
        ));
    }
    if is_device_name(name) {
        return Some(format!(
            "{name:?} is a Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9), not a file"
        ));
    }
    if looks_like_short_name(name) {
        return Some(format!(
            "{name:?} looks like an 8.3 short name, which may stand for another file; use the file's long name"
        ));
    }
    None
}

/// Splits a request path the way the Windows writer reads it (`/` and `\` both separate) and checks
/// every component; the error says what is wrong in words the model can act on. A component naming
/// `.git` comes back as `Err(None)` (the caller words that refusal).
pub fn split_windows_rel(path: &str) -> Result<Vec<String>, Option<String>> {
    if path.is_empty() {
        return Err(Some("the path is empty".into()));
    }
    if path.len() > 4096 {
        return Err(Some("the path is too long".into()));
    }
    if path.contains('\0') {
        return Err(Some("the path contains a NUL character".into()));
    }
    if path.starts_with(['/', '\\']) {
        return Err(Some(
            "absolute, UNC and \\\\?\\ device paths are not allowed; paths are relative to the workspace root"
                .into(),
        ));
    }
    let b = path.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err(Some(
            "drive letters are not allowed (C:foo is relative to that drive's own current directory); paths are relative to the workspace root"
                .into(),
        ));
    }
    let parts: Vec<String> = path.split(['/', '\\']).map(str::to_string).collect();
    for p in &parts {
        if let Some(why) = windows_name_problem(p) {
            return Err(if why == "git-dir" { None } else { Some(why) });
        }
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_names() {
        for n in [
            ".git",
            ".GIT",
            ".Git",
            ".git.",
            ".git ",
            "git~1",
            "GIT~1",
            ".git:$DATA",
            ".git::$INDEX_ALLOCATION",
            ".g\u{200c}it",
            "\u{feff}.git",
        ] {
            assert!(is_git_name(n), "{n:?}");
        }
        for n in ["git", ".github", ".gitignore", ".git2", "a.git", ".gi"] {
            assert!(!is_git_name(n), "{n:?}");
        }
    }

    #[test]
    fn device_names() {
        for n in [
            "CON",
            "con",
            "Con.txt",
            "nul",
            "NUL.tar.gz",
            "aux",
            "prn",
            "COM1",
            "com9",
            "LPT1",
            "lpt¹",
            "COM0",
            "CONIN$",
            "conout$",
            "con .txt",
        ] {
            assert!(is_device_name(n), "{n:?}");
        }
        for n in [
            "console",
            "null",
            "COM10",
            "lpt",
            "acon",
            "auxiliary.rs",
            "com",
            "my.con",
        ] {
            assert!(!is_device_name(n), "{n:?}");
        }
    }

    #[test]
    fn short_names() {
        for n in ["GIT~1", "git~12", "PROGRA~1", "README~1.TXT", "a~1.c"] {
            assert!(looks_like_short_name(n), "{n:?}");
        }
        for n in [
            "~1",
            "notes~",
            "a~b",
            "longername~1",
            "x~1.json5",
            "file.txt~",
            "a~1b",
        ] {
            assert!(!looks_like_short_name(n), "{n:?}");
        }
    }

    #[test]
    fn windows_paths() {
        for p in [
            "src/main.rs",
            "src\\main.rs",
            "a/b\\c.txt",
            "naïve/ü.txt",
            "..a",
            "a..b",
            ".github/workflows/ci.yml",
        ] {
            assert!(split_windows_rel(p).is_ok(), "{p:?}");
        }
        assert_eq!(
            split_windows_rel("a\\b/c").unwrap(),
            vec!["a".to_string(), "b".into(), "c".into()]
        );
        let refused = |p: &str, pat: &str| {
            let e = split_windows_rel(p).expect_err(p).expect(p);
            assert!(e.contains(pat), "{p:?}: {e}");
        };
        refused("", "empty");
        refused("/etc/passwd", "absolute");
        refused("\\Windows\\x", "absolute");
        refused("\\\\server\\share\\x", "UNC");
        refused("\\\\?\\C:\\x", "device paths");
        refused("C:foo", "drive letters");
        refused("c:\\foo", "drive letters");
        refused("a\\..\\..\\outside", "'..'");
        refused("a/./b", "normalised");
        refused("a//b", "normalised");
        refused("a/", "normalised");
        refused("file.txt:stream", "alternate data stream");
        refused("file.txt::$DATA", "alternate data stream");
        refused("dir/CON", "device name");
        refused("nul.txt", "device name");
        refused("com1.log", "device name");
        refused("a/b.", "dot or a space");
        refused("a /b", "dot or a space");
        refused("a?b", "'?'");
        refused("a*b", "'*'");
        refused("a\u{1}b", "not allow");
        refused("PROGRA~1/x", "short name");
        refused("a\0b", "NUL");
        refused(&"a/".repeat(3000), "too long");
        for p in [
            ".git/config",
            ".GIT\\hooks\\x",
            "sub/.git./HEAD",
            "GIT~1/config",
            ".git:stream",
            "x/.git ",
        ] {
            assert_eq!(split_windows_rel(p), Err(None), "{p:?}");
        }
    }
}
