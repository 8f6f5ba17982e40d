//! What the model and the person see of a command's result: ANSI stripping, head-and-tail
//! bounding, the exec_command/write_stdin and `shell` output formats, and recognising output that
//! says the sandbox refused something.

use super::specs::DEFAULT_MAX_OUTPUT_TOKENS;

/// Rough token count: the peer's budget unit is about four bytes.
pub fn approx_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4)
}

/// Removes terminal escape sequences (CSI, OSC, two-byte ESC codes) and carriage returns that only
/// redraw a line, so the model sees plain text.
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                Some('[') => {
                    // CSI: parameters and intermediates, then one final byte in @..~.
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') | Some('P') | Some('X') | Some('^') | Some('_') => {
                    // String sequences end with BEL or ESC \.
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' && chars.peek() == Some(&'\\') {
                            chars.next();
                            break;
                        }
                    }
                }
                Some('(') | Some(')') | Some('*') | Some('+') => {
                    chars.next();
                }
                _ => {}
            },
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    // A bare CR rewrites the current line (progress bars): keep the line break.
                    if chars.peek().is_some() {
                        out.push('\n');
                    }
                }
            }
            '\u{7}' | '\u{8}' => {}
            c => out.push(c),
        }
    }
    out
}

/// Keeps the head and tail of `text` within `max_bytes`, replacing the middle with a count of what
/// was left out. Cuts on character boundaries.
/// (The cut is the protocol crate's, the one the sidecar uses.)
pub fn bound_output(text: &str, max_bytes: usize) -> String {
    match tack_protocol::output::head_and_tail(text, max_bytes) {
        None => text.to_string(),
        Some(cut) => format!(
            "{}\n…{} tokens truncated…\n{}",
            cut.head,
            // approx_tokens of the part left out (4 bytes a token)
            cut.truncated_bytes.div_ceil(4),
            cut.tail
        ),
    }
}

/// How an exec_command result ends: exited, or still running with a session number for write_stdin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecState {
    Exited(i32),
    Running(u32),
}

/// A deterministic six-hex-digit chunk id derived from the call id (the core has no randomness).
pub fn chunk_id(seed: &str) -> String {
    // FNV-1a, folded to 24 bits.
    let mut h: u32 = 0x811c_9dc5;
    for b in seed.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{:06x}", (h ^ (h >> 24)) & 0xff_ffff)
}

/// Milliseconds as seconds with four decimals (`1234` -> `1.2340`), the text of
/// `format!("{:.4}", wall_ms as f64 / 1000.0)` written from the integer: formatting an f64 would
/// bring core's float formatter (about 17 KB of the wasm module) for this one line.
pub(crate) fn wall_seconds(wall_ms: u64) -> String {
    format!("{}.{:03}0", wall_ms / 1000, wall_ms % 1000)
}

/// The text the model gets for an exec_command / write_stdin call.
pub fn format_exec_output(
    seed: &str,
    wall_ms: u64,
    state: ExecState,
    raw_output: &str,
    max_tokens: u64,
) -> String {
    let clean = strip_ansi(raw_output);
    let bounded = bound_output(&clean, (max_tokens as usize).saturating_mul(4));
    let status = match state {
        ExecState::Exited(code) => format!("Process exited with code {code}"),
        ExecState::Running(id) => format!("Process running with session ID {id}"),
    };
    format!(
        "Chunk ID: {}\nWall time: {} seconds\n{}\nOriginal token count: {}\nOutput:\n{}",
        chunk_id(seed),
        wall_seconds(wall_ms),
        status,
        approx_tokens(&clean),
        bounded
    )
}

/// The text the model gets for a `shell` call: JSON with the output and metadata.
pub fn format_shell_output(
    exit_code: i32,
    wall_ms: u64,
    raw_output: &str,
    timed_out: bool,
) -> String {
    let clean = strip_ansi(raw_output);
    let mut bounded = bound_output(&clean, (DEFAULT_MAX_OUTPUT_TOKENS as usize) * 4);
    if timed_out {
        bounded = format!("command timed out\n{bounded}");
    }
    crate::json_text(&crate::json_value!({
        "output": bounded,
        "metadata": {"exit_code": exit_code, "duration_seconds": ((wall_ms as f64) / 100.0).round() / 10.0},
    }))
}

/// Output that says the sandbox refused something, for the `on-failure` policy.
pub fn looks_like_sandbox_denial(exit_code: i32, output: &str) -> bool {
    if exit_code == 0 {
        return false;
    }
    const SIGNS: [&str; 4] = [
        "Permission denied",
        "Operation not permitted",
        "Read-only file system",
        "sandbox",
    ];
    SIGNS.iter().any(|s| output.contains(s))
}
