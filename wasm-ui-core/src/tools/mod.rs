//! The tools offered to the model, per model family, and what the model sees of their results:
//! declarations (JSON the API takes), argument parsing, command-output formatting and bounding,
//! the known-safe command set, and apply_patch-through-a-heredoc recognition.

mod safe;

pub use safe::*;

use crate::session::protocol::{ToolFamily, Wire};
use serde::Deserialize;
use serde_json::{json, Value};

/// Codex-family models were trained on the PTY tools and the grammar apply_patch; others get `shell`.
pub fn family_for(model: &str, wire: Wire) -> ToolFamily {
    let m = model.to_ascii_lowercase();
    let m = m.rsplit('/').next().unwrap_or(&m);
    if m.contains("codex") || (wire == Wire::Responses && m.starts_with("gpt-5")) {
        ToolFamily::Codex
    } else {
        ToolFamily::Generic
    }
}

/// The apply_patch format as a Lark grammar, for the free-form (custom) tool.
pub const APPLY_PATCH_GRAMMAR: &str = r#"start: begin_patch hunk+ end_patch
begin_patch: "*** Begin Patch" LF
end_patch: "*** End Patch" LF?

hunk: add_hunk | delete_hunk | update_hunk
add_hunk: "*** Add File: " filename LF add_line+
delete_hunk: "*** Delete File: " filename LF
update_hunk: "*** Update File: " filename LF move_to? change?

filename: /(.+)/
add_line: "+" /(.*)/ LF -> line

move_to: "*** Move to: " filename LF
change: (change_context | change_line)+ eof_line?
change_context: ("@@" | "@@ " /(.+)/) LF
change_line: ("+" | "-" | " ") /(.*)/ LF
eof_line: "*** End of File" LF

%import common.LF
"#;

const APPLY_PATCH_DESCRIPTION: &str = "Edit files with a patch. Send the whole patch as the input: \
it starts with `*** Begin Patch` and ends with `*** End Patch`. Inside, each file is one section: \
`*** Add File: <path>` followed by its lines each prefixed with `+`; `*** Delete File: <path>`; or \
`*** Update File: <path>` (optionally followed by `*** Move to: <new path>`) with change blocks. A \
change block starts with `@@` (optionally followed by a line such as a function or class header that \
locates it), then the lines: ` ` for context, `-` to remove, `+` to add. Give about three lines of \
context around each change. Paths are relative to the working directory, never absolute.";

fn schema(properties: Value, required: &[&str]) -> Value {
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

pub(crate) fn function_tool(wire: Wire, name: &str, description: &str, parameters: Value) -> Value {
    match wire {
        Wire::Responses => json!({
            "type": "function",
            "name": name,
            "description": description,
            "strict": false,
            "parameters": parameters,
        }),
        Wire::Chat => json!({
            "type": "function",
            "function": {"name": name, "description": description, "parameters": parameters},
        }),
    }
}

fn update_plan_tool(wire: Wire) -> Value {
    function_tool(
        wire,
        "update_plan",
        "Record the task plan and each step's progress. Keep steps short; at most one step may be \
         in_progress. Call it again whenever a step is done or the plan changes.",
        schema(
            json!({
                "explanation": {"type": "string"},
                "plan": {
                    "type": "array",
                    "description": "The steps, in order.",
                    "items": {
                        "type": "object",
                        "properties": {
                            "step": {"type": "string"},
                            "status": {"type": "string", "enum": ["pending", "in_progress", "completed"]},
                        },
                        "required": ["step", "status"],
                        "additionalProperties": false,
                    },
                },
            }),
            &["plan"],
        ),
    )
}

fn apply_patch_function(wire: Wire) -> Value {
    function_tool(
        wire,
        "apply_patch",
        APPLY_PATCH_DESCRIPTION,
        schema(
            json!({"input": {"type": "string", "description": "The entire patch text."}}),
            &["input"],
        ),
    )
}

/// The tool declarations for a request, in the wire's shape.
pub fn tool_specs(family: ToolFamily, wire: Wire) -> Vec<Value> {
    let mut tools = Vec::new();
    match family {
        ToolFamily::Codex => {
            tools.push(function_tool(
                wire,
                "exec_command",
                "Run a command in a PTY (or pipes) and return its output. A command still running \
                 after yield_time_ms keeps running; its session ID is returned so you can feed it \
                 input or poll it with write_stdin.",
                schema(
                    json!({
                        "cmd": {"type": "string", "description": "The shell command to run."},
                        "workdir": {"type": "string", "description": "Working directory; defaults to the turn's cwd."},
                        "shell": {"type": "string", "description": "Shell binary to run the command with."},
                        "tty": {"type": "boolean", "description": "Allocate a PTY (true) or use pipes (false, the default)."},
                        "yield_time_ms": {"type": "number", "description": "How long to wait for output before returning (default 10000)."},
                        "max_output_tokens": {"type": "number", "description": "Output budget in tokens (default 10000)."},
                        "login": {"type": "boolean", "description": "Run as a login shell (-l); default true."},
                        "sandbox_permissions": {"type": "string", "enum": ["use_default", "require_escalated"], "description": "require_escalated asks the user to run this command outside the sandbox."},
                        "justification": {"type": "string", "description": "With require_escalated: the question shown to the user."},
                        "prefix_rule": {"type": "array", "items": {"type": "string"}, "description": "With require_escalated: a command prefix the user may approve for the rest of the session."},
                    }),
                    &["cmd"],
                ),
            ));
            tools.push(function_tool(
                wire,
                "write_stdin",
                "Write characters to a running exec_command session and return its new output. \
                 Empty chars polls without writing.",
                schema(
                    json!({
                        "session_id": {"type": "number", "description": "The session ID exec_command returned."},
                        "chars": {"type": "string", "description": "Bytes to write (may be empty)."},
                        "yield_time_ms": {"type": "number", "description": "How long to wait for output before returning."},
                        "max_output_tokens": {"type": "number", "description": "Output budget in tokens."},
                    }),
                    &["session_id"],
                ),
            ));
        }
        ToolFamily::Generic => {
            tools.push(function_tool(
                wire,
                "shell",
                "Run a command and return its output and exit code. Most commands should be run as \
                 [\"bash\", \"-lc\", \"<script>\"].",
                schema(
                    json!({
                        "command": {"type": "array", "items": {"type": "string"}, "description": "The command and its arguments (execvp)."},
                        "workdir": {"type": "string", "description": "Working directory."},
                        "timeout_ms": {"type": "number", "description": "Kill the command after this long."},
                    }),
                    &["command"],
                ),
            ));
        }
    }
    match (family, wire) {
        (ToolFamily::Codex, Wire::Responses) => tools.push(json!({
            "type": "custom",
            "name": "apply_patch",
            "description": APPLY_PATCH_DESCRIPTION,
            "format": {"type": "grammar", "syntax": "lark", "definition": APPLY_PATCH_GRAMMAR},
        })),
        _ => tools.push(apply_patch_function(wire)),
    }
    tools.push(update_plan_tool(wire));
    if family == ToolFamily::Codex {
        tools.push(function_tool(
            wire,
            "view_image",
            "Look at an image file from the workspace (a screenshot, a diagram, a rendered chart). \
             It is attached to the conversation after this call.",
            schema(
                json!({"path": {"type": "string", "description": "Path of the image, relative to the working directory or absolute."}}),
                &["path"],
            ),
        ));
    }
    tools
}

#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SandboxPermissions {
    UseDefault,
    RequireEscalated,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ExecCommandArgs {
    pub cmd: String,
    #[serde(default)]
    pub workdir: Option<String>,
    #[serde(default)]
    pub shell: Option<String>,
    #[serde(default)]
    pub tty: Option<bool>,
    #[serde(default)]
    pub yield_time_ms: Option<f64>,
    #[serde(default)]
    pub max_output_tokens: Option<f64>,
    #[serde(default)]
    pub login: Option<bool>,
    #[serde(default)]
    pub sandbox_permissions: Option<SandboxPermissions>,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub prefix_rule: Option<Vec<String>>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WriteStdinArgs {
    pub session_id: f64,
    #[serde(default)]
    pub chars: String,
    #[serde(default)]
    pub yield_time_ms: Option<f64>,
    #[serde(default)]
    pub max_output_tokens: Option<f64>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ShellArgs {
    pub command: Vec<String>,
    #[serde(default)]
    pub workdir: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<f64>,
    // Some models send these with `shell` too; accepted so the call is not wasted.
    #[serde(default)]
    pub sandbox_permissions: Option<SandboxPermissions>,
    #[serde(default)]
    pub justification: Option<String>,
}

#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ViewImageArgs {
    pub path: String,
}

#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ApplyPatchArgs {
    pub input: String,
}

pub const DEFAULT_YIELD_MS: u64 = 10_000;
pub const DEFAULT_MAX_OUTPUT_TOKENS: u64 = 10_000;

/// exec_command's yield time: 250..=30000 ms.
pub fn exec_yield_ms(requested: Option<f64>) -> u64 {
    clamp_ms(requested, DEFAULT_YIELD_MS, 250, 30_000)
}

/// write_stdin's yield time: a write waits briefly; an empty poll waits longer (5 s .. 300 s).
pub fn write_stdin_yield_ms(requested: Option<f64>, chars: &str) -> u64 {
    if chars.is_empty() {
        clamp_ms(requested, 5_000, 5_000, 300_000)
    } else {
        clamp_ms(requested, 250, 250, 30_000)
    }
}

fn clamp_ms(requested: Option<f64>, default: u64, min: u64, max: u64) -> u64 {
    match requested {
        Some(v) if v.is_finite() && v >= 0.0 => (v as u64).clamp(min, max),
        _ => default,
    }
}

pub fn max_output_tokens(requested: Option<f64>) -> u64 {
    // Capped so a wild number cannot overflow byte budgets.
    match requested {
        Some(v) if v.is_finite() && v >= 1.0 => (v as u64).min(1 << 30),
        _ => DEFAULT_MAX_OUTPUT_TOKENS,
    }
}

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
        "Chunk ID: {}\nWall time: {:.4} seconds\n{}\nOriginal token count: {}\nOutput:\n{}",
        chunk_id(seed),
        wall_ms as f64 / 1000.0,
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
    json!({
        "output": bounded,
        "metadata": {"exit_code": exit_code, "duration_seconds": ((wall_ms as f64) / 100.0).round() / 10.0},
    })
    .to_string()
}

/// Recognises `apply_patch <<'EOF' ... EOF` (optionally after `cd DIR &&`) sent as a command, and
/// `["apply_patch", PATCH]`. Returns (the patch text, a directory to apply it in, if any).
pub fn extract_heredoc_patch(argv: &[String]) -> Option<(String, Option<String>)> {
    if argv.len() == 2 && matches!(argv[0].as_str(), "apply_patch" | "applypatch") {
        return Some((argv[1].clone(), None));
    }
    // Recognised whatever shell is named: the patch is applied by the core, the shell never runs.
    if argv.len() != 3 || !matches!(argv[1].as_str(), "-c" | "-lc" | "-cl") {
        return None;
    }
    extract_from_script(&argv[2])
}

pub fn extract_from_script(script: &str) -> Option<(String, Option<String>)> {
    let script = script.trim();
    let (first_line, rest) = script.split_once('\n')?;
    let mut head = first_line.trim();
    let mut dir = None;
    if let Some(after_cd) = head.strip_prefix("cd ") {
        let (d, tail) = after_cd.split_once("&&")?;
        dir = Some(unquote(d.trim()).to_string());
        head = tail.trim();
    }
    let after_cmd = head
        .strip_prefix("apply_patch")
        .or_else(|| head.strip_prefix("applypatch"))?
        .trim_start();
    let marker = after_cmd.strip_prefix("<<")?.trim_start_matches('-').trim();
    let marker = unquote(marker);
    if marker.is_empty() || marker.contains(char::is_whitespace) {
        return None;
    }
    let mut body = Vec::new();
    let mut closed = false;
    for line in rest.lines() {
        if line.trim() == marker {
            closed = true;
            break;
        }
        body.push(line);
    }
    if !closed {
        return None;
    }
    // Nothing may follow the terminator but whitespace: otherwise it is a real script.
    let after = rest
        .lines()
        .skip(body.len() + 1)
        .collect::<Vec<_>>()
        .join("\n");
    if !after.trim().is_empty() {
        return None;
    }
    let mut text = body.join("\n");
    text.push('\n');
    Some((text, dir))
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['\'', '"'] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
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

#[cfg(test)]
mod tests;
