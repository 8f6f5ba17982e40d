//! Tool-call classification: what a model's call asks for (a command, stdin for a running command,
//! an edit, a plan update, an image, an MCP tool) or why it cannot be done, before anything runs.

use super::*;

/// How much of invalid tool-call arguments is quoted back to the model.
pub(super) const RAW_ARGUMENTS_QUOTE: usize = 2_000;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Action {
    Exec {
        argv: Vec<String>,
        command: String,
        cwd: String,
        tty: bool,
        yield_ms: Option<u64>,
        timeout_ms: Option<u64>,
        max_tokens: u64,
        escalate: Option<String>,
        prefix: Option<Vec<String>>,
        shell_tool: bool,
    },
    WriteStdin {
        session: u32,
        chars: String,
        yield_ms: u64,
        max_tokens: u64,
    },
    Patch {
        text: String,
        /// Sent through a command: answer in the command format.
        via_exec: bool,
    },
    Plan(PlanUpdate),
    ViewImage {
        path: String,
    },
    Mcp(mcp_calls::McpPlan),
    Invalid(String),
}

impl Action {
    /// Edits run one at a time, after everything before them finished (they read current files).
    pub(super) fn sequential(&self) -> bool {
        matches!(self, Action::Patch { .. })
    }
}

impl Session {
    pub(super) fn classify(&self, raw: &RawCall) -> Action {
        let args = raw.arguments.as_deref().unwrap_or("");
        // Only JSON is measured: a raw patch sent as the arguments may hold any brackets.
        let json_like = args.trim_start().starts_with(['{', '[']);
        if json_like
            && crate::session::depth::text_exceeds(args, crate::session::depth::MAX_ARGUMENT_DEPTH)
        {
            return Action::Invalid(format!(
                "failed to parse function arguments: they nest deeper than {} levels",
                crate::session::depth::MAX_ARGUMENT_DEPTH
            ));
        }
        let bad = |e: serde_json::Error| {
            // The raw text goes back here only: the history sends a valid JSON form in its place.
            let quoted: String = args.chars().take(RAW_ARGUMENTS_QUOTE).collect();
            let more = if quoted.len() < args.len() {
                " [...]"
            } else {
                ""
            };
            Action::Invalid(format!(
                "failed to parse function arguments: {e}. The arguments must be one JSON object matching the tool's schema; you sent: {quoted}{more}"
            ))
        };
        match raw.name.as_str() {
            "exec_command" => {
                let a: tools::ExecCommandArgs = match tools::parse_args(args) {
                    Ok(a) => a,
                    Err(e) => return bad(e),
                };
                // The shell is the configured one; a model-named shell is only accepted when it names
                // that same shell (a file the model wrote could be called `bash`).
                let shell = match a.shell.as_deref().map(str::trim) {
                    None | Some("") => self.cfg.shell.clone(),
                    Some(s) if tools::is_configured_shell(s, &self.cfg.shell) => {
                        self.cfg.shell.clone()
                    }
                    Some(s) => {
                        return Action::Invalid(format!(
                            "exec_command refused: the shell `{s}` is not the configured shell `{}`. Leave out `shell` and the command runs with the configured shell.",
                            self.cfg.shell
                        ))
                    }
                };
                let argv = tools::shell_kind::shell_argv(&shell, &a.cmd, a.login.unwrap_or(true));
                if let Some((text, dir)) = tools::extract_from_script(&a.cmd) {
                    return patch_action(text, dir, true);
                }
                Action::Exec {
                    argv,
                    command: a.cmd.clone(),
                    cwd: resolve_dir(&self.cfg.cwd, a.workdir.as_deref()),
                    tty: a.tty.unwrap_or(false),
                    yield_ms: Some(tools::exec_yield_ms(a.yield_time_ms)),
                    timeout_ms: None,
                    max_tokens: tools::max_output_tokens(a.max_output_tokens),
                    escalate: (a.sandbox_permissions == Some(SandboxPermissions::RequireEscalated))
                        .then(|| a.justification.clone().unwrap_or_default()),
                    prefix: a.prefix_rule.clone(),
                    shell_tool: false,
                }
            }
            "shell" => {
                let a: tools::ShellArgs = match tools::parse_args(args) {
                    Ok(a) => a,
                    Err(e) => return bad(e),
                };
                if a.command.is_empty() {
                    return Action::Invalid("shell: command must not be empty".into());
                }
                if let Some((text, dir)) = tools::extract_heredoc_patch(&a.command) {
                    return patch_action(text, dir, true);
                }
                let command = tools::shell_script(&a.command, &self.cfg.shell)
                    .map(str::to_string)
                    .unwrap_or_else(|| a.command.join(" "));
                Action::Exec {
                    argv: a.command.clone(),
                    command,
                    cwd: resolve_dir(&self.cfg.cwd, a.workdir.as_deref()),
                    tty: false,
                    yield_ms: None,
                    timeout_ms: a.timeout_ms.filter(|t| *t > 0.0).map(|t| t as u64),
                    max_tokens: tools::DEFAULT_MAX_OUTPUT_TOKENS,
                    escalate: (a.sandbox_permissions == Some(SandboxPermissions::RequireEscalated))
                        .then(|| a.justification.clone().unwrap_or_default()),
                    prefix: None,
                    shell_tool: true,
                }
            }
            "write_stdin" => {
                let a: tools::WriteStdinArgs = match tools::parse_args(args) {
                    Ok(a) => a,
                    Err(e) => return bad(e),
                };
                Action::WriteStdin {
                    session: a.session_id as u32,
                    yield_ms: tools::write_stdin_yield_ms(a.yield_time_ms, &a.chars),
                    chars: a.chars,
                    max_tokens: tools::max_output_tokens(a.max_output_tokens),
                }
            }
            "apply_patch" => {
                let text = match &raw.input {
                    Some(input) => input.clone(),
                    None => match tools::parse_args::<tools::ApplyPatchArgs>(args) {
                        Ok(a) => a.input,
                        // Some models send the patch itself instead of `{"input": ...}`.
                        Err(_) if args.trim_start().starts_with("*** Begin Patch") => {
                            args.to_string()
                        }
                        Err(e) => return bad(e),
                    },
                };
                Action::Patch {
                    text,
                    via_exec: false,
                }
            }
            "view_image" if !self.takes_images() => Action::Invalid(NO_VISION_VIEW_IMAGE.into()),
            "view_image" => match tools::parse_args::<tools::ViewImageArgs>(args) {
                Ok(a) if !a.path.trim().is_empty() => Action::ViewImage {
                    path: resolve_dir(&self.cfg.cwd, Some(a.path.trim())),
                },
                Ok(_) => Action::Invalid("view_image: path must not be empty".into()),
                Err(e) => bad(e),
            },
            "update_plan" => match plan::parse_update(args) {
                Ok(u) => Action::Plan(u),
                Err(e) => Action::Invalid(e),
            },
            other => self
                .classify_mcp(other, args)
                .unwrap_or_else(|| Action::Invalid(format!("unsupported call: {other}"))),
        }
    }
}

pub(super) fn patch_action(text: String, dir: Option<String>, via_exec: bool) -> Action {
    match dir.as_deref() {
        None | Some(".") | Some("") => Action::Patch { text, via_exec },
        Some(d) => Action::Invalid(format!(
            "apply_patch: run it from the working directory (not `cd {d} &&`); patch paths are relative to the working directory"
        )),
    }
}

/// Joins `workdir` onto the cwd unless it is absolute.
pub(super) fn resolve_dir(cwd: &str, workdir: Option<&str>) -> String {
    match workdir {
        None | Some("") | Some(".") => cwd.to_string(),
        Some(w) if w.starts_with('/') => w.to_string(),
        Some(w) => format!(
            "{}/{}",
            cwd.trim_end_matches('/'),
            w.trim_start_matches("./")
        ),
    }
}
