use super::*;
use proptest::prelude::*;

fn v(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

#[test]
fn family_follows_model_and_wire() {
    assert_eq!(
        family_for("gpt-5.1-codex", Wire::Responses),
        ToolFamily::Codex
    );
    assert_eq!(family_for("gpt-5.1", Wire::Responses), ToolFamily::Codex);
    assert_eq!(
        family_for("openai/gpt-5-codex", Wire::Chat),
        ToolFamily::Codex
    );
    assert_eq!(family_for("qwen2.5-coder", Wire::Chat), ToolFamily::Generic);
    assert_eq!(family_for("gpt-5", Wire::Chat), ToolFamily::Generic);
}

#[test]
fn codex_tools_on_responses_have_the_peer_names_and_a_grammar_patch_tool() {
    let tools = tool_specs(ToolFamily::Codex, Wire::Responses);
    let names: Vec<_> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "exec_command",
            "write_stdin",
            "apply_patch",
            "update_plan",
            "view_image"
        ]
    );
    let exec = &tools[0];
    assert_eq!(exec["type"], "function");
    assert_eq!(exec["strict"], false);
    assert_eq!(exec["parameters"]["additionalProperties"], false);
    assert_eq!(exec["parameters"]["required"], json!(["cmd"]));
    for key in [
        "cmd",
        "workdir",
        "shell",
        "tty",
        "yield_time_ms",
        "max_output_tokens",
        "login",
        "sandbox_permissions",
        "justification",
        "prefix_rule",
    ] {
        assert!(exec["parameters"]["properties"].get(key).is_some(), "{key}");
    }
    let patch = &tools[2];
    assert_eq!(patch["type"], "custom");
    assert_eq!(patch["format"]["syntax"], "lark");
    assert!(patch["format"]["definition"]
        .as_str()
        .unwrap()
        .contains("*** Begin Patch"));
}

#[test]
fn generic_tools_on_chat_use_shell_and_a_function_patch_tool() {
    let tools = tool_specs(ToolFamily::Generic, Wire::Chat);
    let names: Vec<_> = tools
        .iter()
        .map(|t| t["function"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["shell", "apply_patch", "update_plan"]);
    assert_eq!(
        tools[1]["function"]["parameters"]["required"],
        json!(["input"])
    );
    assert_eq!(
        tools[0]["function"]["parameters"]["properties"]["command"]["type"],
        "array"
    );
}

#[test]
fn strips_colour_cursor_and_title_sequences() {
    let s = "\u{1b}[1;31mred\u{1b}[0m \u{1b}]0;title\u{7}ok\u{1b}[2K\r\nnext\u{1b}(B";
    assert_eq!(strip_ansi(s), "red ok\nnext");
    assert_eq!(strip_ansi("50%\r100%\n"), "50%\n100%\n");
}

#[test]
fn bounds_long_output_keeping_head_and_tail_with_a_count() {
    let text: String = (0..1000).map(|i| format!("line {i}\n")).collect();
    let b = bound_output(&text, 200);
    assert!(b.starts_with("line 0\n"));
    assert!(b.ends_with("line 999\n"));
    assert!(b.contains("tokens truncated"));
    assert!(b.len() < 260);
    assert_eq!(bound_output("short", 200), "short");
}

#[test]
fn exec_output_has_the_peer_header() {
    let out = format_exec_output("call_1", 1234, ExecState::Exited(0), "hi\n", 100);
    let lines: Vec<_> = out.lines().collect();
    assert!(lines[0].starts_with("Chunk ID: ") && lines[0].len() == "Chunk ID: ".len() + 6);
    assert_eq!(lines[1], "Wall time: 1.2340 seconds");
    assert_eq!(lines[2], "Process exited with code 0");
    assert_eq!(lines[3], "Original token count: 1");
    assert_eq!(lines[4], "Output:");
    assert_eq!(lines[5], "hi");
    let running = format_exec_output("c", 10, ExecState::Running(3), "", 100);
    assert!(running.contains("Process running with session ID 3\n"));
}

#[test]
fn known_safe_set() {
    assert!(is_known_safe(&v(&["bash", "-lc", "ls -la && git status"])));
    assert!(is_known_safe(&v(&[
        "bash",
        "-lc",
        "rg -n foo src | head -20"
    ])));
    assert!(is_known_safe(&v(&["cat", "README.md"])));
    assert!(is_known_safe(&v(&["bash", "-lc", "sed -n '1,20p' a.rs"])));
    assert!(!is_known_safe(&v(&["bash", "-lc", "rm -rf target"])));
    assert!(!is_known_safe(&v(&["bash", "-lc", "ls > out.txt"])));
    assert!(!is_known_safe(&v(&["bash", "-lc", "cat $(echo x)"])));
    assert!(!is_known_safe(&v(&["bash", "-lc", "find . -delete"])));
    assert!(!is_known_safe(&v(&["bash", "-lc", "git push"])));
    assert!(!is_known_safe(&v(&["bash", "-lc", "ls & rm x"])));
    assert!(!is_known_safe(&v(&["bash", "-lc", "rg --pre x foo"])));
    assert!(!is_known_safe(&v(&["python3", "x.py"])));
}

#[test]
fn recognises_apply_patch_heredocs() {
    let script =
        "apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\nEOF\n";
    let (patch, dir) = extract_heredoc_patch(&v(&["bash", "-lc", script])).unwrap();
    assert_eq!(
        patch,
        "*** Begin Patch\n*** Add File: a.txt\n+hi\n*** End Patch\n"
    );
    assert_eq!(dir, None);
    let in_dir = "cd sub && apply_patch <<\"PATCH\"\n*** Begin Patch\n*** End Patch\nPATCH";
    let (_, dir) = extract_from_script(in_dir).unwrap();
    assert_eq!(dir.as_deref(), Some("sub"));
    assert!(extract_from_script("apply_patch <<'EOF'\nx\nEOF\nrm -rf /").is_none());
    assert!(extract_from_script("cat <<'EOF'\nx\nEOF").is_none());
    assert!(extract_from_script("apply_patch <<'EOF'\nno end").is_none());
    assert_eq!(
        extract_heredoc_patch(&v(&["apply_patch", "*** Begin Patch\n*** End Patch"]))
            .unwrap()
            .0,
        "*** Begin Patch\n*** End Patch"
    );
}

#[test]
fn yield_times_are_clamped() {
    assert_eq!(exec_yield_ms(None), 10_000);
    assert_eq!(exec_yield_ms(Some(1.0)), 250);
    assert_eq!(exec_yield_ms(Some(1e9)), 30_000);
    assert_eq!(write_stdin_yield_ms(None, ""), 5_000);
    assert_eq!(write_stdin_yield_ms(None, "y\n"), 250);
    assert_eq!(write_stdin_yield_ms(Some(1e9), ""), 300_000);
}

#[test]
fn sandbox_denials_are_recognised() {
    assert!(looks_like_sandbox_denial(
        1,
        "touch: cannot touch '/etc/x': Permission denied"
    ));
    assert!(!looks_like_sandbox_denial(0, "Permission denied"));
    assert!(!looks_like_sandbox_denial(1, "test failed"));
}

proptest! {
    #[test]
    fn bounded_output_stays_within_budget(text in "(?s).{0,3000}", max in 16usize..2000) {
        let b = bound_output(&text, max);
        // head + tail never exceed the budget; the marker adds a short fixed line.
        prop_assert!(b.len() <= max + 40, "len {} max {}", b.len(), max);
        if text.len() <= max { prop_assert_eq!(&b, &text); }
    }

    #[test]
    fn stripped_output_has_no_escape_bytes(text in "(?s)[a-z\u{1b}\\[\\];0-9\r\n\u{7}m]{0,300}") {
        let s = strip_ansi(&text);
        let esc = '\u{1b}';
        prop_assert!(!s.contains(esc), "escape left in {:?}", s);
        prop_assert!(!s.contains('\r'), "CR left in {:?}", s);
    }
}
