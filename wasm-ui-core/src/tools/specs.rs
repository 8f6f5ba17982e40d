//! The tool declarations offered to the model, per model family and wire, and the arguments each
//! tool takes (with their defaults and limits).

use crate::session::json_read::{self, opt, or_default, req, Fields, FromJson};
use crate::session::protocol::{ToolFamily, Wire};
use serde::de::Error as _;
use serde_json::{Error, Value};

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
        Wire::Responses => crate::json_value!({
            "type": "function",
            "name": name,
            "description": description,
            "strict": false,
            "parameters": parameters,
        }),
        Wire::Chat => crate::json_value!({
            "type": "function",
            "function": {"name": name, "description": description, "parameters": parameters},
        }),
    }
}

/// `SPECS_JSON` parsed, once per instance: every model request offers the tools, and parsing the
/// 7 KB text again for each one cost more than copying the parsed values.
fn parsed_specs() -> &'static serde_json::Map<String, Value> {
    static PARSED: std::sync::OnceLock<serde_json::Map<String, Value>> = std::sync::OnceLock::new();
    // The text is a constant the tests parse: it cannot fail here. Read as a `Value` (the
    // boundary's one parser instance), not straight into a `Map`.
    PARSED.get_or_init(|| match serde_json::from_str(SPECS_JSON) {
        Ok(Value::Object(all)) => all,
        _ => serde_json::Map::new(),
    })
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

// The derived readers are kept for the tests only (specs_tests.rs reads every sample both ways):
// in the module they were one instance of serde_json's text deserialiser per type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[cfg_attr(test, serde(rename_all = "snake_case"))]
pub enum SandboxPermissions {
    UseDefault,
    RequireEscalated,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct ExecCommandArgs {
    pub cmd: String,
    #[cfg_attr(test, serde(default))]
    pub workdir: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub shell: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub tty: Option<bool>,
    #[cfg_attr(test, serde(default))]
    pub yield_time_ms: Option<f64>,
    #[cfg_attr(test, serde(default))]
    pub max_output_tokens: Option<f64>,
    #[cfg_attr(test, serde(default))]
    pub login: Option<bool>,
    #[cfg_attr(test, serde(default))]
    pub sandbox_permissions: Option<SandboxPermissions>,
    #[cfg_attr(test, serde(default))]
    pub justification: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub prefix_rule: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct WriteStdinArgs {
    pub session_id: f64,
    #[cfg_attr(test, serde(default))]
    pub chars: String,
    #[cfg_attr(test, serde(default))]
    pub yield_time_ms: Option<f64>,
    #[cfg_attr(test, serde(default))]
    pub max_output_tokens: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct ShellArgs {
    pub command: Vec<String>,
    #[cfg_attr(test, serde(default))]
    pub workdir: Option<String>,
    #[cfg_attr(test, serde(default))]
    pub timeout_ms: Option<f64>,
    // Some models send these with `shell` too; accepted so the call is not wasted.
    #[cfg_attr(test, serde(default))]
    pub sandbox_permissions: Option<SandboxPermissions>,
    #[cfg_attr(test, serde(default))]
    pub justification: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct ViewImageArgs {
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(test, derive(serde::Deserialize), serde(deny_unknown_fields))]
pub struct ApplyPatchArgs {
    pub input: String,
}

/// Reads a tool call's arguments (JSON text) as `T`. The text goes through serde_json's one text
/// parser into a `Value`, so a syntax error carries its line and column as before; the fields are
/// then read by hand (session/json_read.rs, `tool_args!` below) rather than by a derived reader,
/// which was an instance of the text deserialiser per type (about 16 KB of the wasm module). The
/// messages are serde's (`missing field`, `unknown field ..., expected one of ...`, `invalid type:
/// ..., expected ...`, `unknown variant`), a fault in a field's value naming the field
/// (`` at `cmd` ``, `` at `plan[1].status` ``) where the derived reader gave the line and column.
/// Differences (specs_tests.rs checks the rest against the derived readers): a key sent twice is
/// read as its last value (the derived reader refused it as `duplicate field`); an enum's value
/// that is neither a name nor `{name: ...}` says what it is (`invalid type: boolean `true`,
/// expected string or map`) where the text reader said `expected value`; and the arguments as a
/// JSON array (serde's nameless sequence form of a struct) are refused (`invalid type: sequence,
/// expected struct ExecCommandArgs`), as the tools' schemas ask for an object.
pub(crate) fn parse_args<T: FromJson>(text: &str) -> Result<T, Error> {
    T::from_json(serde_json::from_str(text)?)
}

/// The fields of a tool's arguments object, refused (`unknown field`) when it holds a key the tool
/// does not take, as `#[serde(deny_unknown_fields)]` did.
pub(crate) fn args_object(
    value: Value,
    expected: &'static str,
    known: &'static [&'static str],
) -> Result<Fields, Error> {
    let f = json_read::object(value, expected)?;
    match f.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(Error::unknown_field(key, known)),
        None => Ok(f),
    }
}

/// One field read with `read` (`req`, `opt`, `or_default`); a fault in a value that is there names
/// its place (`at`), a missing field names itself already.
pub(crate) fn arg<T>(
    f: &mut Fields,
    key: &'static str,
    read: fn(&mut Fields, &'static str) -> Result<T, Error>,
    place: &dyn Fn() -> String,
) -> Result<T, Error> {
    let present = f.contains_key(key);
    read(f, key).map_err(|e| if present { at(e, &place()) } else { e })
}

/// `e` with the place of the faulty value appended: `` invalid type: ..., expected a string at `cmd` ``.
pub(crate) fn at(e: Error, place: &str) -> Error {
    Error::custom(format_args!("{e} at `{place}`"))
}

/// The arguments' structs: `Type = "struct Type" { field: reader("key"), ... }`, in field order.
macro_rules! tool_args {
    ($($ty:ident = $expected:literal { $($field:ident: $read:ident($key:literal)),* $(,)? })*) => {$(
        impl FromJson for $ty {
            fn from_json(value: Value) -> Result<Self, Error> {
                let f = &mut args_object(value, $expected, &[$($key),*])?;
                Ok($ty { $($field: arg(f, $key, $read, &|| $key.to_string())?),* })
            }
        }
    )*};
}

tool_args! {
    ExecCommandArgs = "struct ExecCommandArgs" {
        cmd: req("cmd"),
        workdir: opt("workdir"),
        shell: opt("shell"),
        tty: opt("tty"),
        yield_time_ms: opt("yield_time_ms"),
        max_output_tokens: opt("max_output_tokens"),
        login: opt("login"),
        sandbox_permissions: opt("sandbox_permissions"),
        justification: opt("justification"),
        prefix_rule: opt("prefix_rule"),
    }
    WriteStdinArgs = "struct WriteStdinArgs" {
        session_id: req("session_id"),
        chars: or_default("chars"),
        yield_time_ms: opt("yield_time_ms"),
        max_output_tokens: opt("max_output_tokens"),
    }
    ShellArgs = "struct ShellArgs" {
        command: req("command"),
        workdir: opt("workdir"),
        timeout_ms: opt("timeout_ms"),
        sandbox_permissions: opt("sandbox_permissions"),
        justification: opt("justification"),
    }
    ViewImageArgs = "struct ViewImageArgs" { path: req("path") }
    ApplyPatchArgs = "struct ApplyPatchArgs" { input: req("input") }
}

impl FromJson for SandboxPermissions {
    fn from_json(value: Value) -> Result<Self, Error> {
        const NAMES: &[&str] = &["use_default", "require_escalated"];
        Ok(match json_read::unit_variant(value, NAMES)? {
            0 => SandboxPermissions::UseDefault,
            _ => SandboxPermissions::RequireEscalated,
        })
    }
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
