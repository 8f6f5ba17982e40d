use super::*;
use proptest::prelude::*;

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

/// The wall time is written from the integer, with the text the f64 formatter gave.
#[test]
fn wall_seconds_is_the_float_formatting() {
    let samples = (0..20_000u64).chain([59_999, 86_400_000, u32::MAX as u64, 1 << 40]);
    for ms in samples {
        assert_eq!(
            output::wall_seconds(ms),
            format!("{:.4}", ms as f64 / 1000.0),
            "{ms}"
        );
    }
}
