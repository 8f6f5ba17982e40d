//! Commands: starting one (through the approval decision), asking for and answering approvals,
//! and what its output, exit, yield or failure make of the call and its card.

use super::*;

impl Session {
    /// The sandbox a command runs with: the session's, or none (with network) when it escapes.
    pub(super) fn exec_sandbox(&self, unsandboxed: bool) -> ExecSandbox {
        let mode = if unsandboxed {
            SandboxMode::DangerFullAccess
        } else {
            self.cfg.sandbox_mode
        };
        let mut writable_roots = vec![self.cfg.cwd.clone()];
        writable_roots.extend(self.cfg.writable_roots.iter().cloned());
        ExecSandbox {
            mode,
            writable_roots,
            network: self.cfg.network || unsandboxed,
        }
    }

    /// Whether an approval given for the session covers this command, run in `cwd` with (or
    /// without, when `unsandboxed`) the sandbox. An approval to leave the sandbox never covers a
    /// sandboxed ask and the other way round: each is for exactly what its card showed.
    pub(super) fn remembered_covers(&self, argv: &[String], cwd: &str, unsandboxed: bool) -> bool {
        let sandbox = self.exec_sandbox(unsandboxed);
        self.remembered.iter().any(|r| {
            r.cwd == cwd
                && r.sandbox == sandbox
                && tools::plan_covers(&r.plan, argv, &self.cfg.shell)
        })
    }

    pub(super) fn start_exec(&mut self, idx: usize, out: &mut Vec<Effect>) {
        let Action::Exec {
            argv,
            command,
            cwd,
            escalate,
            ..
        } = self.turn.as_ref().unwrap().calls[idx].action.clone()
        else {
            return;
        };
        let id = self.new_item_id();
        self.call(idx).item_id = Some(id.clone());
        started(
            out,
            &id,
            items::command(command.clone(), String::new(), CommandState::Running),
        );
        let sandbox = approval::SandboxFacts::of(&self.cfg);
        // No OS sandbox here (session/no_sandbox.rs): the person is told once, before the first command.
        if sandbox.unenforceable() && !self.no_sandbox_noticed {
            self.no_sandbox_noticed = true;
            self.show_error(no_sandbox::NOTICE.to_string(), out);
        }
        let facts = approval::CallFacts::Command {
            known_safe: tools::is_known_safe(&argv, &self.cfg.shell),
            escalation: escalate,
        };
        let grants = self.grants_for(&argv, &cwd);
        match approval::decide(self.cfg.approval_policy, sandbox, &facts, grants) {
            Decision::Run { unsandboxed } => self.run_exec(idx, unsandboxed, out),
            Decision::Ask { kind, reason } => {
                self.ask_approval(idx, kind, argv, command, cwd, reason, out)
            }
            Decision::Refuse(_) => {
                let item_id = self.call(idx).item_id.clone().unwrap_or_default();
                completed(
                    out,
                    &item_id,
                    items::command(command, String::new(), CommandState::Declined),
                );
                self.show_error(no_sandbox::DECLINED.to_string(), out);
                self.finish_call(idx, no_sandbox::DECLINED.to_string());
            }
            Decision::Apply | Decision::Review | Decision::Keep => {}
        }
    }

    /// The session grants covering a command run in `cwd`, inside and outside the sandbox.
    pub(super) fn grants_for(&self, argv: &[String], cwd: &str) -> approval::Grants {
        approval::Grants {
            inside: self.remembered_covers(argv, cwd, false),
            outside: self.remembered_covers(argv, cwd, true),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn ask_approval(
        &mut self,
        idx: usize,
        kind: ApprovalKind,
        argv: Vec<String>,
        command: String,
        cwd: String,
        reason: Option<String>,
        out: &mut Vec<Effect>,
    ) {
        let request_id = format!("approval_{}", self.next_request);
        self.next_request += 1;
        let unsandboxed = kind != ApprovalKind::Exec;
        let proposed = match &self.turn.as_ref().unwrap().calls[idx].action {
            Action::Exec { prefix, .. } => prefix.clone(),
            _ => None,
        };
        let (plan, remember_note) =
            tools::remember_plan(&argv, &self.cfg.shell, proposed.as_deref());
        let sandbox = self.exec_sandbox(unsandboxed);
        let call = self.call(idx);
        call.waiting = Some(Waiting::Approval {
            request_id: request_id.clone(),
            unsandboxed,
            remember: plan.clone(),
        });
        let call_id = call.raw.call_id.clone();
        let item_id = call.item_id.clone().unwrap_or_default();
        let request = ApprovalRequest {
            request_id,
            call_id,
            item_id,
            kind,
            argv,
            command,
            cwd,
            reason,
            sandbox,
            remember: scope_of(&plan),
            remember_note,
            mcp: None,
        };
        out.push(Effect::Persist {
            record: SessionRecord::ApprovalAsked {
                request: request.clone(),
            },
        });
        out.push(Effect::RequestApproval { request });
    }

    pub(super) fn run_exec(&mut self, idx: usize, unsandboxed: bool, out: &mut Vec<Effect>) {
        let Action::Exec {
            argv,
            cwd,
            tty,
            yield_ms,
            timeout_ms,
            ..
        } = self.turn.as_ref().unwrap().calls[idx].action.clone()
        else {
            return;
        };
        let sandbox = self.exec_sandbox(unsandboxed);
        let call = self.call(idx);
        call.waiting = Some(Waiting::Exec { unsandboxed });
        let call_id = call.raw.call_id.clone();
        out.push(Effect::Exec {
            call_id,
            params: ExecStartParams {
                argv,
                cwd,
                tty: Some(tty),
                timeout_ms,
                env: None,
                cols: None,
                rows: None,
                output_limit_bytes: None,
                sandbox: sandbox.to_policy(),
            },
            yield_time_ms: yield_ms,
        });
    }

    pub(super) fn on_approval(
        &mut self,
        request_id: &str,
        decision: ApprovalDecision,
        message: Option<String>,
        out: &mut Vec<Effect>,
    ) {
        if self.on_mcp_approval(request_id, decision, &message, out) {
            return;
        }
        let Some(turn) = self.turn.as_ref() else {
            return;
        };
        let Some(idx) = turn.calls.iter().position(|c| {
            c.output.is_none() && matches!(&c.waiting, Some(Waiting::Approval { request_id: r, .. }) if r == request_id)
        }) else {
            return;
        };
        let Some(Waiting::Approval {
            unsandboxed,
            remember,
            ..
        }) = turn.calls[idx].waiting.clone()
        else {
            return;
        };
        let Action::Exec { command, cwd, .. } = turn.calls[idx].action.clone() else {
            return;
        };
        out.push(Effect::Persist {
            record: SessionRecord::ApprovalAnswered {
                request_id: request_id.to_string(),
                decision,
                message: message.clone().filter(|m| !m.trim().is_empty()),
            },
        });
        match decision {
            ApprovalDecision::Approved => self.run_exec(idx, unsandboxed, out),
            ApprovalDecision::ApprovedForSession | ApprovalDecision::ApprovedServerForSession => {
                if remember != tools::RememberPlan::Once {
                    let id = format!("remembered_{}", self.next_approval);
                    self.next_approval += 1;
                    let sandbox = self.exec_sandbox(unsandboxed);
                    self.remembered.push(Remembered {
                        id,
                        plan: remember,
                        cwd,
                        sandbox,
                    });
                }
                self.run_exec(idx, unsandboxed, out);
            }
            ApprovalDecision::Denied | ApprovalDecision::Abort => {
                let item_id = self.call(idx).item_id.clone().unwrap_or_default();
                let shown = self.call(idx).shown_output.clone();
                completed(
                    out,
                    &item_id,
                    items::command(command, shown, CommandState::Declined),
                );
                let mut text = "The user declined to run this command.".to_string();
                if let Some(m) = message.filter(|m| !m.trim().is_empty()) {
                    text += &format!(" {}", m.trim());
                }
                if decision == ApprovalDecision::Abort {
                    self.call(idx).output = Some(text);
                    self.interrupt(out);
                } else {
                    self.finish_call(idx, text);
                }
            }
        }
    }

    /// The item showing a call's command: its own, or for write_stdin the original command's.
    pub(super) fn command_item_for(&self, call_id: &str) -> Option<String> {
        let turn = self.turn.as_ref()?;
        let call = turn.calls.iter().find(|c| c.raw.call_id == call_id)?;
        match &call.action {
            Action::WriteStdin { session, .. } => self.live.get(session).map(|l| l.item_id.clone()),
            _ => call.item_id.clone(),
        }
    }

    pub(super) fn on_exec_output(&mut self, call_id: &str, chunk: &str, out: &mut Vec<Effect>) {
        let target = self.command_item_for(call_id).or_else(|| {
            self.live
                .values()
                .find(|l| l.exec_call_id == call_id)
                .map(|l| l.item_id.clone())
        });
        if let Some(item_id) = target {
            emit(
                out,
                ThreadEvent::ItemDelta {
                    item_id,
                    delta: chunk.to_string(),
                },
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_exec_exited(
        &mut self,
        call_id: &str,
        exit_code: i32,
        duration_ms: u64,
        output: String,
        truncated_bytes: u64,
        timed_out: bool,
        out: &mut Vec<Effect>,
    ) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let mut raw = output;
        if truncated_bytes > 0 {
            raw = format!("{raw}\n[{truncated_bytes} bytes of output were dropped]");
        }
        match call.action {
            Action::Exec {
                ref command,
                max_tokens,
                shell_tool,
                ..
            } => {
                let command = command.clone();
                let unsandboxed = matches!(call.waiting, Some(Waiting::Exec { unsandboxed: true }));
                let clean = tools::strip_ansi(&raw);
                let Action::Exec { argv, cwd, .. } = call.action.clone() else {
                    return;
                };
                let facts = approval::CallFacts::CommandExited {
                    unsandboxed,
                    denied: tools::looks_like_sandbox_denial(exit_code, &clean),
                    exit_code,
                };
                let sandbox = approval::SandboxFacts::of(&self.cfg);
                let grants = self.grants_for(&argv, &cwd);
                match approval::decide(self.cfg.approval_policy, sandbox, &facts, grants) {
                    Decision::Run { unsandboxed } => return self.run_exec(idx, unsandboxed, out),
                    Decision::Ask { kind, reason } => {
                        return self.ask_approval(idx, kind, argv, command, cwd, reason, out)
                    }
                    _ => {}
                }
                let text = if shell_tool {
                    tools::format_shell_output(exit_code, duration_ms, &raw, timed_out)
                } else {
                    tools::format_exec_output(
                        call_id,
                        duration_ms,
                        ExecState::Exited(exit_code),
                        &raw,
                        max_tokens,
                    )
                };
                let shown = format!(
                    "{}{}",
                    call.shown_output,
                    tools::bound_output(&clean, (max_tokens as usize).saturating_mul(4))
                );
                let item_id = call.item_id.clone().unwrap_or_default();
                completed(
                    out,
                    &item_id,
                    items::command(
                        command,
                        shown,
                        CommandState::Exited {
                            code: exit_code,
                            duration_ms,
                        },
                    ),
                );
                self.finish_call(idx, text);
            }
            Action::WriteStdin {
                session,
                max_tokens,
                ..
            } => {
                let text = tools::format_exec_output(
                    call_id,
                    duration_ms,
                    ExecState::Exited(exit_code),
                    &raw,
                    max_tokens,
                );
                if let Some(live) = self.live.remove(&session) {
                    let clean = tools::strip_ansi(&raw);
                    completed(
                        out,
                        &live.item_id,
                        items::command(
                            live.command,
                            format!("{}{}", live.shown_output, clean),
                            CommandState::Exited {
                                code: exit_code,
                                duration_ms: live.started_ms + duration_ms,
                            },
                        ),
                    );
                }
                self.finish_call(idx, text);
            }
            _ => {}
        }
    }

    pub(super) fn on_exec_yielded(&mut self, call_id: &str, duration_ms: u64, output: String) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let clean = tools::strip_ansi(&output);
        match call.action {
            Action::Exec {
                command,
                max_tokens,
                ..
            } => {
                let session = self.next_exec_session;
                self.next_exec_session += 1;
                self.live.insert(
                    session,
                    LiveExec {
                        exec_call_id: call_id.to_string(),
                        item_id: call.item_id.clone().unwrap_or_default(),
                        command,
                        shown_output: clean,
                        started_ms: duration_ms,
                    },
                );
                let text = tools::format_exec_output(
                    call_id,
                    duration_ms,
                    ExecState::Running(session),
                    &output,
                    max_tokens,
                );
                self.finish_call(idx, text);
            }
            Action::WriteStdin {
                session,
                max_tokens,
                ..
            } => {
                if let Some(live) = self.live.get_mut(&session) {
                    live.shown_output.push_str(&clean);
                }
                let text = tools::format_exec_output(
                    call_id,
                    duration_ms,
                    ExecState::Running(session),
                    &output,
                    max_tokens,
                );
                self.finish_call(idx, text);
            }
            _ => {}
        }
    }

    pub(super) fn on_exec_failed(&mut self, call_id: &str, message: String, out: &mut Vec<Effect>) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let call = self.turn.as_ref().unwrap().calls[idx].clone();
        let (item_id, command) = match &call.action {
            Action::Exec { command, .. } => (call.item_id.clone(), command.clone()),
            Action::WriteStdin { session, .. } => match self.live.remove(session) {
                Some(l) => (Some(l.item_id), l.command),
                None => (None, String::new()),
            },
            _ => (None, String::new()),
        };
        if let Some(item_id) = item_id {
            completed(
                out,
                &item_id,
                items::command(command, message.clone(), CommandState::Failed),
            );
        }
        self.finish_call(idx, format!("Failed to run the command: {message}"));
    }
}
