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

/// The built-in tools, by name, in the Responses shape: checked-in JSON (data in the module, not code
/// that builds it; `specs_tests.rs` validates it). `apply_patch_custom` is the free-form tool with
/// the apply_patch format as a Lark grammar; `apply_patch` the same as a function taking `{input}`.
pub(crate) const SPECS_JSON: &str = include_str!("specs.json");

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

/// `SPECS_JSON` parsed, once per instance: every model request offers the tools, and parsing the
/// 7 KB text again for each one cost more than copying the parsed values.
fn parsed_specs() -> &'static serde_json::Map<String, Value> {
    static PARSED: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    // The text is a constant the tests parse: it cannot fail here.
    PARSED.get_or_init(|| serde_json::from_str(SPECS_JSON).unwrap_or_default())
}

/// The tool declarations for a request, in the wire's shape.
pub fn tool_specs(family: ToolFamily, wire: Wire) -> Vec<Value> {
    let names: &[&str] = match (family, wire) {
        (ToolFamily::Codex, Wire::Responses) => &[
            "exec_command",
            "write_stdin",
            "apply_patch_custom",
            "update_plan",
            "view_image",
        ],
        (ToolFamily::Codex, Wire::Chat) => &[
            "exec_command",
            "write_stdin",
            "apply_patch",
            "update_plan",
            "view_image",
        ],
        (ToolFamily::Generic, _) => &["shell", "apply_patch", "update_plan"],
    };
    let all = parsed_specs();
    names
        .iter()
        .filter_map(|name| all.get(*name).cloned())
        .map(|tool| match wire {
            Wire::Responses => tool,
            Wire::Chat => {
                let text = |key: &str| tool[key].as_str().unwrap_or_default().to_string();
                let (name, description) = (text("name"), text("description"));
                function_tool(wire, &name, &description, tool["parameters"].clone())
            }
        })
        .collect()
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
