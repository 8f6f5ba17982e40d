//! MCP tool calls in the session: the tools the host announced, a call's approval (a tool annotated
//! read-only is safe; otherwise `untrusted` and `on-request` ask), the `mcpCall` effect and its
//! result. The pure parts (names, schemas, result text) are in `session::mcp`.

use super::*;
use crate::session::mcp::{self, McpApprovalInfo, McpCallStatus, McpToolSet, McpToolSpec};

/// The start of the answer to an MCP call refused in a read-only session under `never`.
pub const READ_ONLY_MCP: &str =
    "MCP call refused: the sandbox is read-only and the approval policy \
is `never`, so nothing may be changed in this session.";

/// A call of one MCP tool, as classified.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct McpPlan {
    pub server: String,
    pub tool: String,
    pub arguments: Value,
    pub read_only: bool,
}

/// What the session knows of MCP: the tools on offer and the approvals given for the session.
#[derive(Debug, Clone, Default)]
pub(super) struct McpState {
    set: McpToolSet,
    /// The refusals already shown to the person (shown once each).
    shown_refusals: Vec<String>,
    remembered: Vec<(String, RememberScope)>,
}

use super::items::mcp_call as details;

/// The item an interrupted MCP call ends with.
pub(super) fn interrupted_details(plan: &McpPlan) -> ItemDetails {
    details(
        plan,
        McpCallStatus::Failed,
        None,
        Some("interrupted".to_string()),
    )
}

fn describe_scope(scope: &RememberScope) -> String {
    match scope {
        RememberScope::McpTool { server, tool } => {
            format!("the MCP tool `{tool}` of server `{server}`")
        }
        RememberScope::McpServer { server } => format!("every tool of the MCP server `{server}`"),
        _ => String::new(),
    }
}

impl Session {
    /// `mcpTools`: the tools offered from the next request on. Tools whose schema cannot be
    /// offered are reported to the person once (at once during a turn, else when the next starts).
    pub(super) fn set_mcp_tools(&mut self, specs: Vec<McpToolSpec>, out: &mut Vec<Effect>) {
        self.mcp.set = mcp::build_tool_set(&specs);
        self.request_skeleton = Default::default();
        if self.turn.is_some() {
            self.show_mcp_refusals(out);
        }
    }

    /// Shows the refusals not shown yet.
    pub(super) fn show_mcp_refusals(&mut self, out: &mut Vec<Effect>) {
        let refused: Vec<String> = self
            .mcp
            .set
            .refused
            .iter()
            .map(|(_, why)| why.clone())
            .filter(|why| !self.mcp.shown_refusals.contains(why))
            .collect();
        for why in refused {
            self.mcp.shown_refusals.push(why.clone());
            self.show_error(why, out);
        }
    }

    /// The MCP tools' declarations for a request body.
    pub(super) fn add_mcp_tools(&self, body: &mut Value) {
        if self.mcp.set.offered.is_empty() {
            return;
        }
        let specs = mcp::tool_specs(&self.mcp.set, self.cfg.wire);
        if let Some(tools) = body.get_mut("tools").and_then(Value::as_array_mut) {
            tools.extend(specs);
        }
    }

    /// The action for a call of an MCP tool's function name; None when `name` is not one.
    pub(super) fn classify_mcp(&self, name: &str, args: &str) -> Option<Action> {
        if let Some(t) = self.mcp.set.offered.iter().find(|t| t.name == name) {
            let arguments = if args.trim().is_empty() {
                crate::json_value!({})
            } else {
                match serde_json::from_str::<Value>(args) {
                    Ok(v @ Value::Object(_)) => v,
                    Ok(_) => {
                        return Some(Action::Invalid(format!(
                        "{name}: the arguments must be one JSON object matching the tool's schema"
                    )))
                    }
                    Err(e) => {
                        let quoted: String = args.chars().take(RAW_ARGUMENTS_QUOTE).collect();
                        return Some(Action::Invalid(format!(
                            "failed to parse function arguments: {e}. The arguments must be one JSON object matching the tool's schema; you sent: {quoted}"
                        )));
                    }
                }
            };
            return Some(Action::Mcp(McpPlan {
                server: t.spec.server.clone(),
                tool: t.spec.tool.clone(),
                arguments,
                read_only: t.spec.read_only,
            }));
        }
        if let Some((_, why)) = self.mcp.set.refused.iter().find(|(n, _)| n == name) {
            return Some(Action::Invalid(why.clone()));
        }
        if name.starts_with("mcp__") {
            return Some(Action::Invalid(format!(
                "unsupported call: {name} is not an available MCP tool (its server may have stopped or no longer lists it)"
            )));
        }
        None
    }

    fn mcp_remembered_covers(&self, plan: &McpPlan) -> bool {
        self.mcp.remembered.iter().any(|(_, s)| match s {
            RememberScope::McpServer { server } => *server == plan.server,
            RememberScope::McpTool { server, tool } => *server == plan.server && *tool == plan.tool,
            _ => false,
        })
    }

    pub(super) fn start_mcp(&mut self, idx: usize, out: &mut Vec<Effect>) {
        let Action::Mcp(plan) = self.turn.as_ref().unwrap().calls[idx].action.clone() else {
            return;
        };
        let id = self.new_item_id();
        self.call(idx).item_id = Some(id.clone());
        started(
            out,
            &id,
            details(&plan, McpCallStatus::InProgress, None, None),
        );
        let grants = approval::Grants {
            inside: false,
            outside: self.mcp_remembered_covers(&plan),
        };
        let facts = approval::CallFacts::Mcp {
            read_only: plan.read_only,
        };
        let sandbox = approval::SandboxFacts::of(&self.cfg);
        match approval::decide(self.cfg.approval_policy, sandbox, &facts, grants) {
            Decision::Refuse(_) => {
                let msg = format!(
                    "{} The MCP tool `{}` of server `{}` is not annotated read-only, so it was not called.",
                    READ_ONLY_MCP, plan.tool, plan.server
                );
                completed(
                    out,
                    &id,
                    details(&plan, McpCallStatus::Declined, None, Some(msg.clone())),
                );
                self.finish_call(idx, msg);
                return;
            }
            Decision::Ask { .. } => {}
            _ => {
                self.run_mcp(idx, out);
                return;
            }
        }
        let request_id = format!("approval_{}", self.next_request);
        self.next_request += 1;
        let call = self.call(idx);
        call.waiting = Some(Waiting::McpApproval {
            request_id: request_id.clone(),
        });
        let call_id = call.raw.call_id.clone();
        out.push(Effect::RequestApproval {
            request: ApprovalRequest {
                request_id,
                call_id,
                item_id: id,
                kind: ApprovalKind::McpTool,
                argv: vec![],
                command: mcp::describe_call(&plan.server, &plan.tool, &plan.arguments),
                cwd: self.cfg.cwd.clone(),
                reason: None,
                sandbox: self.exec_sandbox(false),
                remember: RememberScope::McpTool {
                    server: plan.server.clone(),
                    tool: plan.tool.clone(),
                },
                remember_note: None,
                mcp: Some(McpApprovalInfo {
                    server: plan.server,
                    tool: plan.tool,
                    arguments: plan.arguments,
                }),
            },
        });
    }

    fn run_mcp(&mut self, idx: usize, out: &mut Vec<Effect>) {
        let Action::Mcp(plan) = self.turn.as_ref().unwrap().calls[idx].action.clone() else {
            return;
        };
        let call = self.call(idx);
        call.waiting = Some(Waiting::Mcp);
        let call_id = call.raw.call_id.clone();
        out.push(Effect::McpCall {
            call_id,
            server: plan.server,
            tool: plan.tool,
            arguments: plan.arguments,
        });
    }

    /// An approval decision for an MCP call; false when `request_id` is not one.
    pub(super) fn on_mcp_approval(
        &mut self,
        request_id: &str,
        decision: ApprovalDecision,
        message: &Option<String>,
        out: &mut Vec<Effect>,
    ) -> bool {
        let Some(turn) = self.turn.as_ref() else {
            return false;
        };
        let Some(idx) = turn.calls.iter().position(|c| {
            c.output.is_none() && matches!(&c.waiting, Some(Waiting::McpApproval { request_id: r }) if r == request_id)
        }) else {
            return false;
        };
        let Action::Mcp(plan) = turn.calls[idx].action.clone() else {
            return false;
        };
        let scope = match decision {
            ApprovalDecision::ApprovedForSession => Some(RememberScope::McpTool {
                server: plan.server.clone(),
                tool: plan.tool.clone(),
            }),
            ApprovalDecision::ApprovedServerForSession => Some(RememberScope::McpServer {
                server: plan.server.clone(),
            }),
            _ => None,
        };
        match decision {
            ApprovalDecision::Approved
            | ApprovalDecision::ApprovedForSession
            | ApprovalDecision::ApprovedServerForSession => {
                if let Some(scope) = scope {
                    let id = format!("remembered_{}", self.next_approval);
                    self.next_approval += 1;
                    self.mcp.remembered.push((id, scope));
                }
                self.run_mcp(idx, out);
            }
            ApprovalDecision::Denied | ApprovalDecision::Abort => {
                let item_id = self.call(idx).item_id.clone().unwrap_or_default();
                completed(
                    out,
                    &item_id,
                    details(&plan, McpCallStatus::Declined, None, None),
                );
                let mut text = "The user declined this MCP tool call.".to_string();
                if let Some(m) = message.as_ref().filter(|m| !m.trim().is_empty()) {
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
        true
    }

    pub(super) fn on_mcp_result(
        &mut self,
        call_id: &str,
        result: Option<Value>,
        error: Option<String>,
        out: &mut Vec<Effect>,
    ) {
        let Some(idx) = self.call_index(call_id) else {
            return;
        };
        let Action::Mcp(plan) = self.turn.as_ref().unwrap().calls[idx].action.clone() else {
            return;
        };
        if !matches!(self.call(idx).waiting, Some(Waiting::Mcp)) {
            return;
        }
        let item_id = self.call(idx).item_id.clone().unwrap_or_default();
        let outcome = match (result, error) {
            (_, Some(e)) => Err(format!(
                "The MCP tool `{}` of server `{}` could not be called: {e}",
                plan.tool, plan.server
            )),
            (Some(r), None) => {
                let parsed = mcp::result_text(&plan.server, &plan.tool, &r);
                super::super::depth::dismantle(r);
                parsed
            }
            (None, None) => Err(format!(
                "The MCP server `{}` sent no result for `{}`.",
                plan.server, plan.tool
            )),
        };
        match outcome {
            Ok(r) => {
                let status = if r.is_error {
                    McpCallStatus::Failed
                } else {
                    McpCallStatus::Completed
                };
                let error = r.is_error.then(|| r.text.clone());
                completed(out, &item_id, details(&plan, status, Some(r.item), error));
                let call = self.call(idx);
                call.image = r.image;
                self.finish_call(idx, r.text);
            }
            Err(message) => {
                completed(
                    out,
                    &item_id,
                    details(&plan, McpCallStatus::Failed, None, Some(message.clone())),
                );
                self.finish_call(idx, message);
            }
        }
    }

    /// The MCP approvals given for the session.
    pub(super) fn mcp_remembered(&self) -> Vec<RememberedApproval> {
        self.mcp
            .remembered
            .iter()
            .map(|(id, scope)| RememberedApproval {
                id: id.clone(),
                scope: scope.clone(),
                cwd: self.cfg.cwd.clone(),
                sandbox: self.exec_sandbox(false),
                description: describe_scope(scope),
            })
            .collect()
    }

    pub(super) fn revoke_mcp(&mut self, approval_id: &str) {
        self.mcp.remembered.retain(|(id, _)| id != approval_id);
    }
}
