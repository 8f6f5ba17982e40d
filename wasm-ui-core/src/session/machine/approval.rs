//! The approval policy as one pure decision: from the session's policy, its sandbox, the facts of a
//! call and the session grants that cover it, to what happens (run, ask, apply, review, keep the
//! result, refuse). Every row is in `decide`; `approval_tests.rs` checks each against a table.
//! Also the approvals given for the session: what each covers, where, and with which sandbox.

use super::*;

/// The sandbox side of a decision: the session's mode, and whether this platform has an OS sandbox
/// at all (`AgentConfig::no_os_sandbox` is its negation; see session/no_sandbox.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SandboxFacts {
    pub(super) mode: SandboxMode,
    pub(super) os_sandbox: bool,
}

impl SandboxFacts {
    pub(super) fn of(cfg: &AgentConfig) -> SandboxFacts {
        SandboxFacts {
            mode: cfg.sandbox_mode,
            os_sandbox: !cfg.no_os_sandbox.unwrap_or(false),
        }
    }

    /// A sandboxed mode is set but there is no OS sandbox to keep it: commands cannot run sandboxed.
    pub(super) fn unenforceable(&self) -> bool {
        !self.os_sandbox && self.mode != SandboxMode::DangerFullAccess
    }
}

/// What the decision needs to know of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CallFacts {
    /// A command about to start: whether it is in the known-safe set (tools/safe.rs), and the
    /// justification when the model asked to run it outside the sandbox.
    Command {
        known_safe: bool,
        escalation: Option<String>,
    },
    /// A command that exited: whether it ran without the sandbox, and whether its output says the
    /// sandbox blocked it (tools::looks_like_sandbox_denial).
    CommandExited {
        unsandboxed: bool,
        denied: bool,
        exit_code: i32,
    },
    /// An edit (apply_patch), once its files are read.
    Edit,
    /// A call of an MCP tool, annotated read-only or not.
    Mcp { read_only: bool },
}

/// The approvals given for the session that cover the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct Grants {
    /// One covers running the command inside the sandbox.
    pub(super) inside: bool,
    /// One covers running the command without the sandbox; for an MCP call, the tool is approved.
    pub(super) outside: bool,
}

/// Why a call is not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// No OS sandbox here, the command is not known safe, and nobody can be asked (`never`).
    NoSandboxNobodyToAsk,
    /// An edit in a read-only session that nobody reviews (`never`).
    ReadOnlyEdit,
    /// An MCP tool not annotated read-only, in a read-only session that nobody is asked about.
    ReadOnlyMcp,
}

/// What happens to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Decision {
    /// Run it now; `unsandboxed` runs a command without the sandbox (MCP servers always run
    /// outside Tack's sandbox, so an MCP call says `true`).
    Run { unsandboxed: bool },
    /// Ask the person first; approving runs it without the sandbox unless `kind` is `Exec`.
    Ask {
        kind: ApprovalKind,
        reason: Option<String>,
    },
    /// Write the edit as proposed, without review.
    Apply,
    /// Show the edit to the person, who accepts or rejects each hunk.
    Review,
    /// A finished command's result stands as it is.
    Keep,
    /// Do not do it.
    Refuse(Refusal),
}

/// The approval policy, whole: every rule that decides whether a call runs, is asked about or is
/// refused, in one place.
pub(super) fn decide(
    policy: ApprovalPolicy,
    sandbox: SandboxFacts,
    call: &CallFacts,
    grants: Grants,
) -> Decision {
    use ApprovalPolicy::{Never, OnFailure, OnRequest, Untrusted};
    match call {
        // No OS sandbox to keep a sandboxed mode: a known-safe command runs (it only reads), every
        // other waits for the person's approval to run unsandboxed, or is refused under `never`.
        CallFacts::Command { known_safe, .. } if sandbox.unenforceable() => {
            if *known_safe {
                Decision::Run { unsandboxed: true }
            } else if policy == Never {
                Decision::Refuse(Refusal::NoSandboxNobodyToAsk)
            } else if grants.outside {
                Decision::Run { unsandboxed: true }
            } else {
                Decision::Ask {
                    kind: ApprovalKind::Escalate,
                    reason: Some(no_sandbox::REASON.to_string()),
                }
            }
        }
        CallFacts::Command {
            known_safe,
            escalation,
        } => match (policy, escalation) {
            (Never, _) => Decision::Run { unsandboxed: false },
            (Untrusted, _) if *known_safe || grants.inside => Decision::Run { unsandboxed: false },
            (Untrusted, _) => Decision::Ask {
                kind: ApprovalKind::Exec,
                reason: None,
            },
            (OnRequest, Some(_)) if grants.outside => Decision::Run { unsandboxed: true },
            (OnRequest, Some(why)) => Decision::Ask {
                kind: ApprovalKind::Escalate,
                reason: Some(why.clone()).filter(|j| !j.is_empty()),
            },
            // `on-failure` runs everything in the sandbox first, escalation or not.
            (OnRequest, None) | (OnFailure, _) => Decision::Run { unsandboxed: false },
        },
        CallFacts::CommandExited {
            unsandboxed,
            denied,
            exit_code,
        } => {
            let retry = policy == OnFailure
                && !unsandboxed
                && sandbox.mode != SandboxMode::DangerFullAccess
                && *denied;
            if !retry {
                Decision::Keep
            } else if grants.outside {
                Decision::Run { unsandboxed: true }
            } else {
                Decision::Ask {
                    kind: ApprovalKind::RetryUnsandboxed,
                    reason: Some(format!("The sandbox blocked this command (exit code {exit_code}). Run it again without the sandbox?")),
                }
            }
        }
        // Nobody reviews edits under `never`; read-only then means nothing is written.
        CallFacts::Edit => match policy {
            Never if sandbox.mode == SandboxMode::ReadOnly => {
                Decision::Refuse(Refusal::ReadOnlyEdit)
            }
            Never => Decision::Apply,
            _ => Decision::Review,
        },
        // A server acts outside the sandbox: in a read-only session a tool that may change things is
        // refused when nobody is asked, and asked about otherwise.
        CallFacts::Mcp { read_only } => {
            let read_only_session = sandbox.mode == SandboxMode::ReadOnly;
            if read_only_session && !read_only && policy == Never {
                return Decision::Refuse(Refusal::ReadOnlyMcp);
            }
            let asks = read_only_session || matches!(policy, Untrusted | OnRequest);
            if !asks || *read_only || grants.outside {
                Decision::Run { unsandboxed: true }
            } else {
                Decision::Ask {
                    kind: ApprovalKind::McpTool,
                    reason: None,
                }
            }
        }
    }
}

/// An approval for the session: what it covers, where, and with which sandbox.
#[derive(Debug, Clone)]
pub(super) struct Remembered {
    pub(super) id: String,
    pub(super) plan: tools::RememberPlan,
    pub(super) cwd: String,
    pub(super) sandbox: ExecSandbox,
}

pub(super) fn scope_of(plan: &tools::RememberPlan) -> RememberScope {
    match plan {
        tools::RememberPlan::Prefix(prefix) => RememberScope::Prefix {
            prefix: prefix.clone(),
        },
        tools::RememberPlan::Exact(argv) => RememberScope::Exact { argv: argv.clone() },
        tools::RememberPlan::Once => RememberScope::Once,
    }
}

/// One line describing a remembered approval, for lists.
pub(super) fn describe_remembered(r: &Remembered) -> String {
    let what = match &r.plan {
        tools::RememberPlan::Prefix(p) => format!("commands starting with `{}`", p.join(" ")),
        tools::RememberPlan::Exact(argv) => format!("exactly `{}`", argv.join(" ")),
        tools::RememberPlan::Once => "nothing".to_string(),
    };
    let sandbox = match r.sandbox.mode {
        SandboxMode::DangerFullAccess => "without the sandbox",
        SandboxMode::WorkspaceWrite => "in the workspace-write sandbox",
        SandboxMode::ReadOnly => "in the read-only sandbox",
    };
    let network = if r.sandbox.network {
        "with network"
    } else {
        "without network"
    };
    format!("{what} in {}, {sandbox}, {network}", r.cwd)
}
