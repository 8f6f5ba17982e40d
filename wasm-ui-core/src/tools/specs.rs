//! The tool declarations offered to the model, per model family and wire, and the arguments each
//! tool takes (with their defaults and limits).

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
