use super::*;
use proptest::prelude::*;

fn text(s: &str) -> FileState {
    FileState::Text {
        contents: s.to_string(),
    }
}

fn files(entries: &[(&str, FileState)]) -> FileMap {
    entries
        .iter()
        .map(|(p, s)| (p.to_string(), s.clone()))
        .collect()
}

/// Parses, fills in Missing for every path the test did not mention, applies.
fn run(patch: &str, given: &[(&str, FileState)]) -> Result<Vec<FileChange>, PatchError> {
    let parsed = parse(patch)?;
    let mut map = files(given);
    for p in parsed.paths_to_read() {
        map.get_or_insert_with(p, || FileState::Missing);
    }
    apply(&parsed, &map)
}

fn new_contents(patch: &str, path: &str, original: &str) -> String {
    let changes = run(patch, &[(path, text(original))]).unwrap();
    assert_eq!(changes.len(), 1);
    changes[0].new_contents.clone().unwrap()
}

fn update(path: &str, body: &str) -> String {
    format!("*** Begin Patch\n*** Update File: {path}\n{body}*** End Patch\n")
}

#[test]
fn add_file_uses_lf_and_final_newline() {
    let changes = run(
        "*** Begin Patch\n*** Add File: a/b.txt\n+one\n+\n+three\n*** End Patch",
        &[],
    )
    .unwrap();
    assert_eq!(
        changes,
        vec![FileChange {
            kind: ChangeKind::Add,
            path: "a/b.txt".into(),
            move_path: None,
            original: None,
            new_contents: Some("one\n\nthree\n".into()),
        }]
    );
}

#[test]
fn add_file_with_no_lines_is_empty() {
    let changes = run("*** Begin Patch\n*** Add File: e.txt\n*** End Patch", &[]).unwrap();
    assert_eq!(changes[0].new_contents.as_deref(), Some(""));
}

#[test]
fn add_over_existing_file_is_a_modify_with_the_original() {
    let changes = run(
        "*** Begin Patch\n*** Add File: x\n+new\n*** End Patch",
        &[("x", text("old\n"))],
    )
    .unwrap();
    assert_eq!(changes[0].kind, ChangeKind::Modify);
    assert_eq!(changes[0].original.as_deref(), Some("old\n"));
}

#[test]
fn simple_update_replaces_lines() {
    let out = new_contents(&update("f", "@@\n a\n-b\n+B\n c\n"), "f", "a\nb\nc\n");
    assert_eq!(out, "a\nB\nc\n");
}

#[test]
fn first_hunk_may_omit_the_at_at_line() {
    let out = new_contents(&update("f", " a\n-b\n+B\n"), "f", "a\nb\n");
    assert_eq!(out, "a\nB\n");
}

#[test]
fn crlf_file_keeps_crlf_on_new_and_old_lines() {
    let out = new_contents(
        &update("f", "@@\n a\n-b\n+B\n+B2\n c\n"),
        "f",
        "a\r\nb\r\nc\r\n",
    );
    assert_eq!(out, "a\r\nB\r\nB2\r\nc\r\n");
}

#[test]
fn crlf_patch_text_applies_to_lf_file() {
    let patch = update("f", "@@\n a\n-b\n+B\n").replace('\n', "\r\n");
    assert_eq!(new_contents(&patch, "f", "a\nb\n"), "a\nB\n");
}

#[test]
fn missing_final_newline_is_kept_when_the_last_line_is_untouched() {
    let out = new_contents(&update("f", "@@\n-a\n+A\n b\n"), "f", "a\nb");
    assert_eq!(out, "A\nb");
}

#[test]
fn lines_written_by_the_patch_end_with_a_newline() {
    // Like the reference implementation: replacing the last line of a file without a final newline
    // writes the patch's lines, which end with one.
    let out = new_contents(&update("f", "@@\n-b\n+B\n"), "f", "a\nb");
    assert_eq!(out, "a\nB\n");
    let out = new_contents(&update("f", "@@\n+c\n"), "f", "a\nb");
    assert_eq!(out, "a\nb\nc\n");
}

#[test]
fn final_newline_presence_is_kept_for_files_with_one() {
    let out = new_contents(&update("f", "@@\n-a\n+A\n"), "f", "a\nb\n");
    assert_eq!(out, "A\nb\n");
}

#[test]
fn pure_addition_without_context_appends_at_the_end() {
    let out = new_contents(&update("f", "@@\n+z\n"), "f", "a\nb\n");
    assert_eq!(out, "a\nb\nz\n");
}

#[test]
fn pure_addition_after_context_line_inserts_there() {
    let out = new_contents(
        &update("f", "@@ fn main() {\n+    init();\n"),
        "f",
        "use x;\nfn main() {\n    run();\n}\n",
    );
    assert_eq!(out, "use x;\nfn main() {\n    init();\n    run();\n}\n");
}

#[test]
fn context_header_moves_to_the_matching_line() {
    let original = "fn a() {\n    x = 1;\n}\nfn b() {\n    x = 1;\n}\n";
    let out = new_contents(
        &update("f", "@@ fn b() {\n-    x = 1;\n+    x = 2;\n"),
        "f",
        original,
    );
    assert_eq!(out, "fn a() {\n    x = 1;\n}\nfn b() {\n    x = 2;\n}\n");
}

#[test]
fn consecutive_context_headers_narrow_down() {
    let original = "class A:\n    def run(self):\n        return 1\nclass B:\n    def stop(self):\n        return 1\n    def run(self):\n        return 1\n";
    let out = new_contents(
        &update(
            "f",
            "@@ class B:\n@@     def run(self):\n-        return 1\n+        return 2\n",
        ),
        "f",
        original,
    );
    assert_eq!(
        out,
        "class A:\n    def run(self):\n        return 1\nclass B:\n    def stop(self):\n        return 1\n    def run(self):\n        return 2\n"
    );
}

#[test]
fn unified_diff_style_hunk_header_is_accepted() {
    let out = new_contents(&update("f", "@@ -1,2 +1,2 @@\n a\n-b\n+B\n"), "f", "a\nb\n");
    assert_eq!(out, "a\nB\n");
}

#[test]
fn matching_levels_trailing_whitespace_then_trim_then_typographic() {
    // The file's own text is kept for context lines, even when matched loosely.
    let out = new_contents(&update("f", "@@\n a\n-b\n+B\n"), "f", "a   \nb\t\n");
    assert_eq!(out, "a   \nB\n");
    let out = new_contents(&update("f", "@@\n a\n-b\n+B\n"), "f", "  a\n  b\n");
    assert_eq!(out, "  a\nB\n");
    let out = new_contents(
        &update("f", "@@\n-say(\"it's - ok\")\n+say(\"fine\")\n"),
        "f",
        "say(\u{201C}it\u{2019}s \u{2014} ok\u{201D})\n",
    );
    assert_eq!(out, "say(\"fine\")\n");
    let out = new_contents(
        &update("f", "@@\n-a = 1\n+a = 2\n"),
        "f",
        "a\u{00A0}=\u{202F}1\n",
    );
    assert_eq!(out, "a = 2\n");
}

#[test]
fn byte_order_mark_stays_first_and_does_not_hide_the_first_line() {
    let out = new_contents(
        &update("f", "@@\n-head\n+HEAD\n body\n"),
        "f",
        "\u{feff}head\r\nbody\r\n",
    );
    assert_eq!(out, "\u{feff}HEAD\r\nbody\r\n");
}

#[test]
fn exact_match_wins_over_earlier_loose_match() {
    let out = new_contents(&update("f", "@@\n-x\n+y\n"), "f", "x \nx\n");
    assert_eq!(out, "x \ny\n");
}

#[test]
fn end_of_file_anchors_at_the_end() {
    let out = new_contents(
        &update("f", "@@\n-x\n+y\n*** End of File\n"),
        "f",
        "x\nmid\nx\n",
    );
    assert_eq!(out, "x\nmid\ny\n");
}

#[test]
fn trailing_empty_context_line_is_forgiven() {
    let out = new_contents(&update("f", "@@\n-a\n+A\n \n"), "f", "a\n");
    assert_eq!(out, "A\n");
}

#[test]
fn multiple_hunks_apply_in_order() {
    let out = new_contents(
        &update("f", "@@\n-a\n+A\n@@\n-c\n+C\n"),
        "f",
        "a\nb\nc\nd\n",
    );
    assert_eq!(out, "A\nb\nC\nd\n");
}

#[test]
fn blank_lines_between_hunks_are_ignored() {
    let out = new_contents(&update("f", "@@\n-a\n+A\n\n@@\n-c\n+C\n"), "f", "a\nb\nc\n");
    assert_eq!(out, "A\nb\nC\n");
}

#[test]
fn heredoc_wrappers_are_accepted() {
    for (open, close) in [
        ("apply_patch <<'EOF'", "EOF"),
        ("apply_patch <<EOF", "EOF"),
        ("apply_patch <<\"PATCH\"", "PATCH"),
        ("<<'EOF'", "EOF"),
    ] {
        let patch =
            format!("{open}\n*** Begin Patch\n*** Add File: h.txt\n+hi\n*** End Patch\n{close}\n");
        let changes = run(&patch, &[]).unwrap();
        assert_eq!(changes[0].new_contents.as_deref(), Some("hi\n"), "{open}");
    }
}

#[test]
fn unclosed_heredoc_is_an_error_naming_the_line() {
    let e = run(
        "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: h\n+x\n*** End Patch\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(e.line, Some(5));
    assert!(e.message.contains("heredoc"), "{e}");
}

#[test]
fn move_with_changes_and_pure_rename() {
    let changes = run(
        "*** Begin Patch\n*** Update File: a.txt\n*** Move to: dir/b.txt\n@@\n-x\n+y\n*** End Patch",
        &[("a.txt", text("x\n"))],
    )
    .unwrap();
    assert_eq!(changes[0].kind, ChangeKind::Modify);
    assert_eq!(changes[0].move_path.as_deref(), Some("dir/b.txt"));
    assert_eq!(changes[0].new_contents.as_deref(), Some("y\n"));

    let changes = run(
        "*** Begin Patch\n*** Update File: a.txt\n*** Move to: b.txt\n*** End Patch",
        &[("a.txt", text("keep\r\n"))],
    )
    .unwrap();
    assert_eq!(changes[0].move_path.as_deref(), Some("b.txt"));
    assert_eq!(changes[0].new_contents.as_deref(), Some("keep\r\n"));
}

#[test]
fn second_update_section_builds_on_the_first() {
    let changes = run(
        &update("f", "@@\n-a\n+A\n*** Update File: f\n@@\n-b\n+B\n"),
        &[("f", text("a\nb\n"))],
    )
    .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].new_contents.as_deref(), Some("A\nB\n"));
}

#[test]
fn deleting_twice_is_an_error() {
    let e = run(
        "*** Begin Patch\n*** Delete File: f\n*** Delete File: f\n*** End Patch",
        &[("f", text("x"))],
    )
    .unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("already changed"), "{e}");
}

#[test]
fn paths_to_read_lists_each_path_once() {
    let p = parse("*** Begin Patch\n*** Add File: ./n.txt\n+x\n*** Update File: a\n*** Move to: b\n@@\n-x\n+y\n*** Delete File: a\n*** End Patch").unwrap();
    assert_eq!(p.paths_to_read(), vec!["n.txt", "a", "b"]);
}

// ---- errors: each names the patch line and the reason ----

#[test]
fn error_missing_begin() {
    let e = parse("*** Add File: x\n+y\n*** End Patch").unwrap_err();
    assert_eq!(e.line, Some(1));
    assert!(e.message.contains("*** Begin Patch"), "{e}");
}

#[test]
fn error_missing_end() {
    let e = parse("*** Begin Patch\n*** Add File: x\n+y\n").unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("*** End Patch"), "{e}");
}

#[test]
fn error_empty_text() {
    let e = parse("  \n\n").unwrap_err();
    assert!(e.message.contains("empty"), "{e}");
}

#[test]
fn error_no_operations() {
    let e = parse("*** Begin Patch\n*** End Patch").unwrap_err();
    assert!(e.message.contains("no file operations"), "{e}");
}

#[test]
fn error_invalid_operation_header() {
    let e = parse("*** Begin Patch\n*** Frobnicate File: foo\n*** End Patch").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("not a valid file operation"), "{e}");
    assert_eq!(
        e.to_string(),
        format!("patch line 2: {}", e.message),
        "Display prefixes the line"
    );
}

#[test]
fn error_update_without_hunks() {
    let e = parse("*** Begin Patch\n*** Update File: foo\n*** End Patch").unwrap_err();
    assert_eq!(e.line, Some(2));
    assert!(e.message.contains("no hunks"), "{e}");
}

#[test]
fn error_unexpected_line_in_hunk() {
    let e = parse(&update("f", "@@\n-a\noops\n")).unwrap_err();
    assert_eq!(e.line, Some(5));
    assert!(e.message.contains("unexpected line 'oops'"), "{e}");
}

#[test]
fn error_hunk_without_lines() {
    let e = parse(&update("f", "@@ ctx\n")).unwrap_err();
    assert_eq!(e.line, Some(3));
}

#[test]
fn error_lines_not_found_names_line_file_and_lines() {
    let e = run(
        &update("src/a.rs", "@@\n-missing\n+x\n"),
        &[("src/a.rs", text("a\n"))],
    )
    .unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(
        e.to_string()
            .starts_with("patch line 3: could not find the lines to replace in src/a.rs"),
        "{e}"
    );
    assert!(e.message.contains("missing"), "{e}");
}

#[test]
fn error_lines_not_found_points_at_the_near_miss() {
    let e = run(
        &update("f.py", "@@\n def f():\n-    return 1\n+    return 2\n"),
        &[("f.py", text("import x\ndef f():\n    return 0\n"))],
    )
    .unwrap_err();
    assert!(
        e.message.ends_with("(the line 'def f():' is at line 2 of f.py, but the lines around it differ from the hunk)"),
        "{e}"
    );
}

#[test]
fn error_context_not_found() {
    let e = run(
        &update("f", "@@ class Nope\n-a\n+b\n"),
        &[("f", text("a\n"))],
    )
    .unwrap_err();
    assert_eq!(e.line, Some(3));
    assert!(e.message.contains("context line 'class Nope'"), "{e}");
}

#[test]
fn error_file_states() {
    let cases: Vec<(String, FileState, &str)> = vec![
        (
            update("f", "@@\n-a\n+b\n"),
            FileState::Missing,
            "does not exist",
        ),
        (
            update("f", "@@\n-a\n+b\n"),
            FileState::Directory,
            "is a directory",
        ),
        (
            update("f", "@@\n-a\n+b\n"),
            FileState::OutsideWorkspace,
            "outside the workspace",
        ),
        (
            update("f", "@@\n-a\n+b\n"),
            FileState::Unreadable {
                reason: "it is binary".into(),
            },
            "it is binary",
        ),
        (
            "*** Begin Patch\n*** Delete File: f\n*** End Patch".into(),
            FileState::Missing,
            "does not exist",
        ),
        (
            "*** Begin Patch\n*** Delete File: f\n*** End Patch".into(),
            FileState::Directory,
            "is a directory",
        ),
        (
            "*** Begin Patch\n*** Add File: f\n+x\n*** End Patch".into(),
            FileState::Directory,
            "is a directory",
        ),
        (
            "*** Begin Patch\n*** Add File: f\n+x\n*** End Patch".into(),
            FileState::OutsideWorkspace,
            "outside the workspace",
        ),
    ];
    for (patch, state, expected) in cases {
        let e = run(&patch, &[("f", state.clone())]).unwrap_err();
        assert_eq!(e.line, Some(2), "{patch}");
        assert!(e.message.contains(expected), "{state:?}: {e}");
        assert!(e.message.contains('f'));
    }
}

#[test]
fn error_bad_paths() {
    for p in ["../x", "/etc/passwd", "a/../../b", "C:\\x"] {
        let e = parse(&format!(
            "*** Begin Patch\n*** Add File: {p}\n+x\n*** End Patch"
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(2), "{p}");
        assert!(e.message.contains("bad path"), "{e}");
    }
    let e =
        parse("*** Begin Patch\n*** Update File: a\n*** Move to: ../b\n@@\n-x\n+y\n*** End Patch")
            .unwrap_err();
    assert_eq!(e.line, Some(3));
}

#[test]
fn error_state_not_provided() {
    let p = parse(&update("f", "@@\n-a\n+b\n")).unwrap();
    let e = apply(&p, &FileMap::new()).unwrap_err();
    assert!(e.message.contains("did not provide"), "{e}");
}

#[test]
fn atomic_failure_after_a_good_operation_returns_only_the_error() {
    let r = run(
        "*** Begin Patch\n*** Add File: created.txt\n+hello\n*** Update File: missing.txt\n@@\n-old\n+new\n*** End Patch",
        &[],
    );
    let e = r.unwrap_err();
    assert_eq!(e.line, Some(4));
}

#[test]
fn whitespace_padded_markers() {
    let changes = run(
        " *** Begin Patch \n  *** Update File: f\n@@\n-one\n+two\n *** End Patch",
        &[("f", text("one\n"))],
    )
    .unwrap();
    assert_eq!(changes[0].new_contents.as_deref(), Some("two\n"));
}

fn line_strategy() -> impl Strategy<Value = String> {
    prop::string::string_regex("[a-c é\u{2014}]{0,6}").unwrap()
}

proptest! {
    // Replacing one line of any file changes exactly that line and keeps every ending and the
    // final-newline state (when the replaced line is not the last).
    #[test]
    fn replacing_one_inner_line_keeps_everything_else(
        lines in prop::collection::vec(line_strategy(), 2..12),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        pick in any::<prop::sample::Index>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut original = lines.join(eol);
        if final_newline { original.push_str(eol); }
        let target = pick.index(lines.len() - 1);
        // Anchor with every line before the target so the first match is the intended one.
        let mut body = String::from("@@\n");
        for l in &lines[..target] { body.push_str(&format!(" {l}\n")); }
        body.push_str(&format!("-{}\n+REPLACED\n", lines[target]));
        let out = new_contents(&update("f", &body), "f", &original);
        let mut expected_lines = lines.clone();
        expected_lines[target] = "REPLACED".into();
        let mut expected = expected_lines.join(eol);
        if final_newline { expected.push_str(eol); }
        prop_assert_eq!(out, expected);
    }

    // The parser never panics, whatever the text.
    #[test]
    fn parse_never_panics(s in "(\\*\\*\\* [A-Za-z ]{0,12}:? ?[a-z./]{0,6}|@@ ?[a-z]{0,3}|[ +-][a-z]{0,3}|EOF|<<'EOF'|)(\n(\\*\\*\\* [A-Za-z ]{0,12}:? ?[a-z./]{0,6}|@@ ?[a-z]{0,3}|[ +-][a-z]{0,3}|))*") {
        let _ = parse(&s);
        let _ = run(&s, &[]);
    }
}

proptest! {
    // Update hunks built from (mostly) the file's own lines: applying never panics, and a successful
    // result only ever uses the file's lines and the patch's lines.
    #[test]
    fn apply_never_panics_on_plausible_hunks(
        file_lines in prop::collection::vec("[ab ]{0,3}", 0..10),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        hunk in prop::collection::vec((0..4u8, any::<prop::sample::Index>(), "[ab]{0,2}"), 1..8),
        headers in prop::collection::vec(any::<prop::sample::Index>(), 0..3),
        eof in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut original = file_lines.join(eol);
        if final_newline && !file_lines.is_empty() { original.push_str(eol); }
        let pick = |i: &prop::sample::Index| if file_lines.is_empty() { String::new() } else { file_lines[i.index(file_lines.len())].clone() };
        let mut body = String::new();
        for h in &headers { body.push_str(&format!("@@ {}\n", pick(h))); }
        if headers.is_empty() { body.push_str("@@\n"); }
        for (kind, idx, fresh) in &hunk {
            match kind {
                0 => body.push_str(&format!(" {}\n", pick(idx))),
                1 => body.push_str(&format!("-{}\n", pick(idx))),
                2 => body.push_str(&format!("+{fresh}\n")),
                _ => body.push('\n'),
            }
        }
        if eof { body.push_str("*** End of File\n"); }
        if let Ok(changes) = run(&update("a", &body), &[("a", text(&original))]) {
            let new = changes[0].new_contents.clone().unwrap();
            for line in new.split('\n') {
                let line = line.trim_end_matches(['\r', '\n']);
                prop_assert!(file_lines.iter().any(|l| l == line) || hunk.iter().any(|(_, _, f)| f == line) || line.is_empty());
            }
        }
    }
}

/// Lines a patch is made of, plus noise: the parser's fuzzing alphabet.
fn patch_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*** Begin Patch".to_string()),
        Just("*** End Patch".to_string()),
        Just("*** End of File".to_string()),
        Just("@@".to_string()),
        Just("<<'EOF'".to_string()),
        Just("EOF".to_string()),
        "[ +\\-@]{0,3}[a-z .]{0,8}",
        prop::sample::select(vec![
            "a.txt",
            "src/x.rs",
            "../up",
            "/abs",
            ".git/config",
            "sub/.GIT/hooks/x",
            "",
            " ",
            "a\u{0}b",
            "C:\\x",
            "~/x",
            "é/ü",
        ])
        .prop_flat_map(|path| {
            prop::sample::select(vec![
                "*** Add File: ",
                "*** Delete File: ",
                "*** Update File: ",
                "*** Move to: ",
            ])
            .prop_map(move |m| format!("{m}{path}"))
        }),
        "(?s).{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any text parses to a patch or an error, never a panic; a parsed patch only names normalised
    /// relative paths outside `.git`, and applying it to missing files never panics either.
    #[test]
    fn the_parser_takes_any_text(lines in prop::collection::vec(patch_line(), 0..16), crlf in any::<bool>()) {
        let text = lines.join(if crlf { "\r\n" } else { "\n" });
        if let Ok(p) = parse(&text) {
            for path in p.paths_to_read() {
                prop_assert!(paths::normalize_relative(&path).as_deref() == Ok(path.as_str()), "{path}");
                prop_assert!(!path.to_ascii_lowercase().split('/').any(|c| c == ".git"), "{path}");
            }
            let map: FileMap = p.paths_to_read().into_iter().map(|k| (k, FileState::Missing)).collect();
            let _ = apply(&p, &map);
        }
    }

    /// A valid patch with one byte changed anywhere still parses or fails cleanly.
    #[test]
    fn mutated_patches_fail_cleanly(pos in 0usize..200, byte in any::<u8>()) {
        let valid = "*** Begin Patch\n*** Update File: a.txt\n@@ fn main\n-old\n+new\n context\n*** Add File: b/c.txt\n+x\n*** Delete File: d\n*** End Patch\n";
        let mut bytes = valid.as_bytes().to_vec();
        let at = pos % bytes.len();
        bytes[at] = byte;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        if let Ok(p) = parse(&text) {
            let map: FileMap = p.paths_to_read().into_iter().map(|k| (k, text_state())).collect();
            let _ = apply(&p, &map);
        }
    }
}

fn text_state() -> FileState {
    text("old\n context\n")
}

// ---- Windows: backslash and drive-letter paths, CRLF files (issue 15) ----

#[test]
fn windows_backslash_paths_name_the_same_file_as_slashes() {
    let patch = update("src\\lib.rs", "@@\n-a\n+b\n");
    let parsed = parse(&patch).unwrap();
    assert_eq!(parsed.paths_to_read(), vec!["src/lib.rs".to_string()]);
    let changes = run(&patch, &[("src/lib.rs", text("a\r\n"))]).unwrap();
    assert_eq!(changes[0].path, "src/lib.rs");
    assert_eq!(changes[0].new_contents.as_deref(), Some("b\r\n"));
    let add =
        parse("*** Begin Patch\n*** Add File: docs\\.\\notes\\x.md\n+hi\n*** End Patch").unwrap();
    assert_eq!(add.paths_to_read(), vec!["docs/notes/x.md".to_string()]);
}

#[test]
fn windows_paths_that_escape_or_reach_git_are_refused() {
    for p in [
        "C:\\Users\\me\\x.txt",
        "c:/x.txt",
        "C:x.txt",
        "\\\\server\\share\\x.txt",
        "\\x.txt",
        "a\\..\\..\\x.txt",
        "..\\x.txt",
        ".git\\hooks\\pre-commit",
        "sub\\.GIT\\config",
        "sub\\git~1\\config",
        "sub\\.git. \\config",
    ] {
        let e = parse(&format!(
            "*** Begin Patch\n*** Add File: {p}\n+x\n*** End Patch"
        ))
        .unwrap_err();
        assert_eq!(e.line, Some(2), "{p}");
        assert!(e.message.contains("bad path"), "{p}: {e}");
    }
    let e = parse("*** Begin Patch\n*** Update File: a.txt\n*** Move to: b\\..\\..\\c.txt\n@@\n-x\n+y\n*** End Patch")
        .unwrap_err();
    assert_eq!(e.line, Some(3));
}

#[test]
fn crlf_patch_text_on_a_crlf_file_keeps_every_crlf() {
    let patch = update(
        "f.txt",
        "@@ fn main() {\n-    old();\n+    new();\n+    more();\n }\n",
    )
    .replace('\n', "\r\n");
    let out = new_contents(&patch, "f.txt", "fn main() {\r\n    old();\r\n}\r\n");
    assert_eq!(out, "fn main() {\r\n    new();\r\n    more();\r\n}\r\n");
}

#[test]
fn crlf_file_without_final_newline_keeps_its_ending_when_the_end_changes() {
    let out = new_contents(&update("f", "@@\n a\n-b\n+B\n"), "f", "a\r\nb");
    assert_eq!(out, "a\r\nB\r\n");
    let out = new_contents(&update("f", "@@\n-a\n+A\n"), "f", "a\r\nb");
    assert_eq!(out, "A\r\nb");
}

#[test]
fn a_moved_crlf_file_stays_crlf_under_a_backslash_path() {
    let patch = "*** Begin Patch\n*** Update File: old\\a.txt\n*** Move to: new\\a.txt\n@@\n-x\n+y\n*** End Patch\n";
    let changes = run(patch, &[("old/a.txt", text("x\r\nz\r\n"))]).unwrap();
    let moved = changes.iter().find(|c| c.new_contents.is_some()).unwrap();
    assert_eq!(moved.new_contents.as_deref(), Some("y\r\nz\r\n"));
    assert!(changes
        .iter()
        .any(|c| c.path == "old/a.txt" || c.path == "new/a.txt"));
}
