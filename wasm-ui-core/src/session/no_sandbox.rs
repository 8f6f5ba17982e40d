//! Platforms without an OS sandbox (Windows, for now; the sidecar's `initialize` says `osSandbox:
//! false` and the host sets `AgentConfig::no_os_sandbox`). A sandboxed policy cannot be kept there,
//! and a command is never run unsandboxed without the person knowing: known-safe commands run (they
//! read only), every other one waits for the person's approval to run without a sandbox, and where
//! nobody can be asked (approval policy `never`, as in `tack exec`) it is declined.
//! The decision itself is a row of the approval table (session/machine/approval.rs); this module
//! holds what the person and the model are told.

/// Said once per session in the chat, before the first command.
pub const NOTICE: &str =
    "There is no OS sandbox on this platform (Windows) yet: Tack runs known-safe \
commands directly and asks you before every other command, which then runs without a sandbox.";

/// The approval card's reason for such a command.
pub const REASON: &str =
    "there is no OS sandbox on this platform: approving runs this command without one";

/// The tool output (and the person's error) when nobody can be asked.
pub const DECLINED: &str = "This command was not run: there is no OS sandbox on this platform \
(Windows), a sandboxed policy is set, and nobody can approve running it unsandboxed here (approval \
policy `never`). Known-safe commands (reading files, listing, searching) still run; to run others, \
use an approval policy that asks, or the danger-full-access sandbox mode if you accept the risk.";

#[cfg(test)]
mod tests {
    use super::super::tests::*;
    use super::super::*;
    use super::{DECLINED, NOTICE, REASON};
    use serde_json::json;

    fn windows(policy: ApprovalPolicy, mode: SandboxMode) -> Session {
        let mut cfg = config(policy);
        cfg.sandbox_mode = mode;
        cfg.no_os_sandbox = Some(true);
        Session::new(cfg)
    }

    fn run(cmd: &str) -> serde_json::Value {
        fcall("c1", "exec_command", json!({ "cmd": cmd }))
    }

    fn errors(out: &[Effect]) -> Vec<String> {
        out.iter()
            .filter_map(|e| match e {
                Effect::Emit {
                    event: ThreadEvent::ItemCompleted { item },
                } => match &item.details {
                    ItemDetails::Error { message } => Some(message.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    fn approval(out: &[Effect]) -> Option<ApprovalRequest> {
        out.iter().find_map(|e| match e {
            Effect::RequestApproval { request } => Some(request.clone()),
            _ => None,
        })
    }

    #[test]
    fn a_sandboxed_policy_asks_before_every_command_that_is_not_known_safe() {
        for policy in [
            ApprovalPolicy::OnRequest,
            ApprovalPolicy::OnFailure,
            ApprovalPolicy::Untrusted,
        ] {
            let mut s = windows(policy, SandboxMode::WorkspaceWrite);
            start(&mut s, "go");
            let out = respond(&mut s, &[run("npm install")], 100);
            assert!(execs(&out).is_empty(), "{policy:?} ran it without asking");
            let r = approval(&out).expect("an approval request");
            assert_eq!(r.kind, ApprovalKind::Escalate);
            assert_eq!(r.reason.as_deref(), Some(REASON));
            assert_eq!(r.sandbox.mode, SandboxMode::DangerFullAccess);
            assert_eq!(errors(&out), [NOTICE]);
            let out = s.handle(SessionEvent::ApprovalDecided {
                request_id: r.request_id,
                decision: ApprovalDecision::Approved,
                message: None,
            });
            let ran = execs(&out);
            assert_eq!(ran.len(), 1);
            assert_eq!(ran[0].1.sandbox.mode, SandboxMode::DangerFullAccess);
        }
    }

    #[test]
    fn known_safe_commands_run_and_the_notice_comes_once() {
        let mut s = windows(ApprovalPolicy::OnRequest, SandboxMode::ReadOnly);
        start(&mut s, "go");
        let out = respond(&mut s, &[run("ls")], 100);
        assert!(approval(&out).is_none());
        assert_eq!(execs(&out).len(), 1);
        assert_eq!(errors(&out), [NOTICE]);
        let out = s.handle(exited("c1", 0, "a.txt\n"));
        let out2 = respond(
            &mut s,
            &[fcall("c2", "exec_command", json!({"cmd": "cat a.txt"}))],
            200,
        );
        assert!(
            errors(&out).is_empty() && errors(&out2).is_empty(),
            "said twice"
        );
        assert_eq!(execs(&out2).len(), 1);
    }

    #[test]
    fn under_never_such_commands_are_declined_with_a_clear_message() {
        let mut s = windows(ApprovalPolicy::Never, SandboxMode::WorkspaceWrite);
        start(&mut s, "go");
        let out = respond(&mut s, &[run("rm -rf build")], 100);
        assert!(execs(&out).is_empty());
        assert!(approval(&out).is_none());
        assert!(errors(&out).contains(&DECLINED.to_string()));
        let body = requests(&out).pop().expect("the turn goes on");
        let (_, output) = outputs(&body)
            .into_iter()
            .find(|(id, _)| id == "c1")
            .unwrap();
        assert!(
            output.contains("there is no OS sandbox on this platform"),
            "{output}"
        );
    }

    #[test]
    fn with_an_os_sandbox_or_danger_full_access_nothing_changes() {
        let mut s = Session::new(config(ApprovalPolicy::OnRequest));
        start(&mut s, "go");
        let out = respond(&mut s, &[run("npm install")], 100);
        assert_eq!(execs(&out)[0].1.sandbox.mode, SandboxMode::WorkspaceWrite);
        assert!(errors(&out).is_empty());
        let mut s = windows(ApprovalPolicy::Never, SandboxMode::DangerFullAccess);
        start(&mut s, "go");
        let out = respond(&mut s, &[run("npm install")], 100);
        assert_eq!(execs(&out).len(), 1);
        assert!(errors(&out).is_empty());
    }
}
