//! The approval policy as a table: each row names the inputs it covers (`Any` is a wildcard) and
//! the decision it expects; the first row that matches an input applies. Every combination of
//! inputs is checked against `decide`, every input must match a row, and every row must be the
//! first match for at least one input (no row is dead).

use super::approval::{decide, CallFacts, Decision, Grants, Refusal, SandboxFacts};
use super::*;
use ApprovalPolicy::{Never, OnFailure, OnRequest, Untrusted};
use SandboxMode::{DangerFullAccess as Full, ReadOnly, WorkspaceWrite};

/// A pattern over one input.
#[derive(Debug, Clone, Copy)]
enum P<T> {
    Any,
    Is(T),
    Not(T),
}
use P::{Any, Is, Not};

impl<T: PartialEq> P<T> {
    fn matches(&self, v: &T) -> bool {
        match self {
            Any => true,
            Is(x) => x == v,
            Not(x) => x != v,
        }
    }
}

/// A pattern over the call's facts.
#[derive(Debug, Clone, Copy)]
enum Call {
    /// A command about to start: known safe; escalation asked (with a non-empty justification).
    Command {
        safe: P<bool>,
        escalation: P<bool>,
    },
    /// A command that exited: ran unsandboxed; its output looks like a sandbox denial.
    Exited {
        unsandboxed: P<bool>,
        denied: P<bool>,
    },
    Edit,
    Mcp {
        read_only: P<bool>,
    },
}

/// The reason an `Ask` carries.
#[derive(Debug, Clone, Copy)]
enum Reason {
    None,
    /// The model's justification (none when it gave an empty one).
    Justification,
    NoSandbox,
    SandboxBlocked,
}

#[derive(Debug, Clone, Copy)]
enum Expect {
    Run { unsandboxed: bool },
    Ask(ApprovalKind, Reason),
    Apply,
    Review,
    Keep,
    Refuse(Refusal),
}

struct Row {
    policy: P<ApprovalPolicy>,
    mode: P<SandboxMode>,
    os_sandbox: P<bool>,
    call: Call,
    inside: P<bool>,
    outside: P<bool>,
    expect: Expect,
}

#[allow(clippy::too_many_arguments)]
const fn row(
    policy: P<ApprovalPolicy>,
    mode: P<SandboxMode>,
    os_sandbox: P<bool>,
    call: Call,
    inside: P<bool>,
    outside: P<bool>,
    expect: Expect,
) -> Row {
    Row {
        policy,
        mode,
        os_sandbox,
        call,
        inside,
        outside,
        expect,
    }
}

const fn cmd(safe: P<bool>, escalation: P<bool>) -> Call {
    Call::Command { safe, escalation }
}

const fn exited(unsandboxed: P<bool>, denied: P<bool>) -> Call {
    Call::Exited {
        unsandboxed,
        denied,
    }
}

const fn mcp(read_only: P<bool>) -> Call {
    Call::Mcp { read_only }
}

const RUN: Expect = Expect::Run { unsandboxed: false };
const RUN_OUTSIDE: Expect = Expect::Run { unsandboxed: true };

/// The policy, row by row.
#[rustfmt::skip]
const TABLE: &[Row] = &[
    // Commands where a sandboxed mode cannot be kept (no OS sandbox on this platform).
    row(Any, Not(Full), Is(false), cmd(Is(true), Any), Any, Any, RUN_OUTSIDE),
    row(Is(Never), Not(Full), Is(false), cmd(Is(false), Any), Any, Any, Expect::Refuse(Refusal::NoSandboxNobodyToAsk)),
    row(Any, Not(Full), Is(false), cmd(Is(false), Any), Any, Is(true), RUN_OUTSIDE),
    row(Any, Not(Full), Is(false), cmd(Is(false), Any), Any, Is(false), Expect::Ask(ApprovalKind::Escalate, Reason::NoSandbox)),
    // Commands with a sandbox (or in danger-full-access, where none is wanted).
    row(Is(Never), Any, Any, cmd(Any, Any), Any, Any, RUN),
    row(Is(Untrusted), Any, Any, cmd(Is(true), Any), Any, Any, RUN),
    row(Is(Untrusted), Any, Any, cmd(Is(false), Any), Is(true), Any, RUN),
    row(Is(Untrusted), Any, Any, cmd(Is(false), Any), Is(false), Any, Expect::Ask(ApprovalKind::Exec, Reason::None)),
    row(Is(OnRequest), Any, Any, cmd(Any, Is(true)), Any, Is(true), RUN_OUTSIDE),
    row(Is(OnRequest), Any, Any, cmd(Any, Is(true)), Any, Is(false), Expect::Ask(ApprovalKind::Escalate, Reason::Justification)),
    row(Is(OnRequest), Any, Any, cmd(Any, Is(false)), Any, Any, RUN),
    row(Is(OnFailure), Any, Any, cmd(Any, Any), Any, Any, RUN),
    // A command's exit: only `on-failure` retries a sandbox denial, outside the sandbox.
    row(Is(OnFailure), Not(Full), Any, exited(Is(false), Is(true)), Any, Is(true), RUN_OUTSIDE),
    row(Is(OnFailure), Not(Full), Any, exited(Is(false), Is(true)), Any, Is(false), Expect::Ask(ApprovalKind::RetryUnsandboxed, Reason::SandboxBlocked)),
    row(Any, Any, Any, exited(Any, Any), Any, Any, Expect::Keep),
    // Edits: nobody reviews under `never`.
    row(Is(Never), Is(ReadOnly), Any, Call::Edit, Any, Any, Expect::Refuse(Refusal::ReadOnlyEdit)),
    row(Is(Never), Any, Any, Call::Edit, Any, Any, Expect::Apply),
    row(Any, Any, Any, Call::Edit, Any, Any, Expect::Review),
    // MCP tools: servers act outside the sandbox.
    row(Is(Never), Is(ReadOnly), Any, mcp(Is(false)), Any, Any, Expect::Refuse(Refusal::ReadOnlyMcp)),
    row(Any, Any, Any, mcp(Is(true)), Any, Any, RUN_OUTSIDE),
    row(Any, Any, Any, mcp(Any), Any, Is(true), RUN_OUTSIDE),
    row(Any, Is(ReadOnly), Any, mcp(Any), Any, Any, Expect::Ask(ApprovalKind::McpTool, Reason::None)),
    row(Is(Untrusted), Any, Any, mcp(Any), Any, Any, Expect::Ask(ApprovalKind::McpTool, Reason::None)),
    row(Is(OnRequest), Any, Any, mcp(Any), Any, Any, Expect::Ask(ApprovalKind::McpTool, Reason::None)),
    row(Any, Any, Any, mcp(Any), Any, Any, RUN_OUTSIDE),
];

const EXIT_CODE: i32 = 126;

/// Every call the table must answer: commands with and without an escalation (empty or not), exits,
/// edits, MCP calls.
fn all_calls() -> Vec<CallFacts> {
    let mut calls = vec![];
    for known_safe in [false, true] {
        for escalation in [
            None,
            Some(String::new()),
            Some("needs the network".to_string()),
        ] {
            calls.push(CallFacts::Command {
                known_safe,
                escalation,
            });
        }
    }
    for unsandboxed in [false, true] {
        for denied in [false, true] {
            calls.push(CallFacts::CommandExited {
                unsandboxed,
                denied,
                exit_code: EXIT_CODE,
            });
        }
    }
    calls.push(CallFacts::Edit);
    calls.push(CallFacts::Mcp { read_only: false });
    calls.push(CallFacts::Mcp { read_only: true });
    calls
}

fn call_matches(pattern: &Call, facts: &CallFacts) -> bool {
    match (pattern, facts) {
        (
            Call::Command { safe, escalation },
            CallFacts::Command {
                known_safe,
                escalation: e,
            },
        ) => safe.matches(known_safe) && escalation.matches(&e.is_some()),
        (
            Call::Exited {
                unsandboxed,
                denied,
            },
            CallFacts::CommandExited {
                unsandboxed: u,
                denied: d,
                ..
            },
        ) => unsandboxed.matches(u) && denied.matches(d),
        (Call::Edit, CallFacts::Edit) => true,
        (Call::Mcp { read_only }, CallFacts::Mcp { read_only: r }) => read_only.matches(r),
        _ => false,
    }
}

fn expected(expect: Expect, facts: &CallFacts) -> Decision {
    match expect {
        Expect::Run { unsandboxed } => Decision::Run { unsandboxed },
        Expect::Ask(kind, reason) => Decision::Ask {
            kind,
            reason: match (reason, facts) {
                (Reason::None, _) => None,
                (
                    Reason::Justification,
                    CallFacts::Command {
                        escalation: Some(j),
                        ..
                    },
                ) => Some(j.clone()).filter(|j| !j.is_empty()),
                (Reason::NoSandbox, _) => Some(no_sandbox::REASON.to_string()),
                (Reason::SandboxBlocked, _) => Some(format!(
                    "The sandbox blocked this command (exit code {EXIT_CODE}). Run it again without the sandbox?"
                )),
                (r, f) => panic!("the reason {r:?} does not fit {f:?}"),
            },
        },
        Expect::Apply => Decision::Apply,
        Expect::Review => Decision::Review,
        Expect::Keep => Decision::Keep,
        Expect::Refuse(r) => Decision::Refuse(r),
    }
}

#[test]
fn every_input_follows_the_first_row_that_matches_it_and_no_row_is_dead() {
    let mut first_match_count = vec![0usize; TABLE.len()];
    let mut checked = 0;
    for policy in [Never, Untrusted, OnRequest, OnFailure] {
        for mode in [ReadOnly, WorkspaceWrite, Full] {
            for os_sandbox in [true, false] {
                for call in all_calls() {
                    for inside in [false, true] {
                        for outside in [false, true] {
                            let sandbox = SandboxFacts { mode, os_sandbox };
                            let grants = Grants { inside, outside };
                            let Some(i) = TABLE.iter().position(|r| {
                                r.policy.matches(&policy)
                                    && r.mode.matches(&mode)
                                    && r.os_sandbox.matches(&os_sandbox)
                                    && call_matches(&r.call, &call)
                                    && r.inside.matches(&inside)
                                    && r.outside.matches(&outside)
                            }) else {
                                panic!("no row for {policy:?} {mode:?} os_sandbox={os_sandbox} {call:?} {grants:?}");
                            };
                            first_match_count[i] += 1;
                            let want = expected(TABLE[i].expect, &call);
                            let got = decide(policy, sandbox, &call, grants);
                            assert_eq!(
                                got, want,
                                "row {i} for {policy:?} {mode:?} os_sandbox={os_sandbox} {call:?} {grants:?}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 3 * 2 * all_calls().len() * 4);
    let dead: Vec<usize> = (0..TABLE.len())
        .filter(|i| first_match_count[*i] == 0)
        .collect();
    assert!(dead.is_empty(), "rows never used: {dead:?}");
}

/// The table is only as good as its rows: a few decisions spelled out, so a row changed by mistake
/// together with `decide` still fails here.
#[test]
fn key_decisions_spelled_out() {
    let linux = |mode| SandboxFacts {
        mode,
        os_sandbox: true,
    };
    let windows = |mode| SandboxFacts {
        mode,
        os_sandbox: false,
    };
    let rm = CallFacts::Command {
        known_safe: false,
        escalation: None,
    };
    let none = Grants::default();
    // `never` never asks: the command runs in the sandbox, or is refused where there is none.
    assert_eq!(
        decide(Never, linux(WorkspaceWrite), &rm, none),
        Decision::Run { unsandboxed: false }
    );
    assert_eq!(
        decide(Never, windows(WorkspaceWrite), &rm, none),
        Decision::Refuse(Refusal::NoSandboxNobodyToAsk)
    );
    // `untrusted` asks about an unknown command unless a grant covers it in the sandbox; a grant to
    // leave the sandbox does not cover a sandboxed ask.
    assert!(matches!(
        decide(
            Untrusted,
            linux(WorkspaceWrite),
            &rm,
            Grants {
                inside: false,
                outside: true
            }
        ),
        Decision::Ask {
            kind: ApprovalKind::Exec,
            ..
        }
    ));
    // `on-failure` ignores a request to escalate up front.
    let escalate = CallFacts::Command {
        known_safe: false,
        escalation: Some("network".into()),
    };
    assert_eq!(
        decide(OnFailure, linux(WorkspaceWrite), &escalate, none),
        Decision::Run { unsandboxed: false }
    );
    // A denial in danger-full-access is not the sandbox's doing: the result stands.
    let denied = CallFacts::CommandExited {
        unsandboxed: false,
        denied: true,
        exit_code: 1,
    };
    assert_eq!(
        decide(OnFailure, linux(Full), &denied, none),
        Decision::Keep
    );
    // Read-only under `never`: no edit, no MCP tool that may change things.
    assert_eq!(
        decide(Never, linux(ReadOnly), &CallFacts::Edit, none),
        Decision::Refuse(Refusal::ReadOnlyEdit)
    );
    assert_eq!(
        decide(
            Never,
            linux(ReadOnly),
            &CallFacts::Mcp { read_only: false },
            none
        ),
        Decision::Refuse(Refusal::ReadOnlyMcp)
    );
}
