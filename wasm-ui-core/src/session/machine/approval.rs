//! Approvals given for the session: what each covers, where, and with which sandbox.

use super::*;

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
