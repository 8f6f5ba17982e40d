//! The hand writers of json_write.rs against serde_json and the derived `Serialize` still on the
//! types (the module no longer reaches it): every value of every type the writers cover, each
//! variant and each optional field present or absent, gives the same bytes.

use crate::diff::{self, FileDiff, LineDecision};
use crate::json_write::{to_json, WriteJson};
use crate::patch::{ChangeKind, FileChange, PatchError};
use crate::prompt::harness::HarnessMessage;
use crate::session::mcp::{McpApprovalInfo, McpCallStatus, McpItemResult};
use crate::session::protocol::*;
use crate::session::replay::{ReplayApproval, ReplayEntry};
use crate::vec_map::VecMap;
use crate::wasm_api::engines::{ChangeHeader, PatchAnswerHeader, PatchPathsResult};
use proptest::collection::{btree_map, vec};
use proptest::option::of;
use proptest::prelude::*;
use proptest::sample::select;
use serde::Serialize;
use serde_json::Value;

/// Strings with every kind of character serde_json escapes, and some it does not.
fn text() -> impl Strategy<Value = String> {
    "(?s)[ab\"\\\\\u{0}-\u{1f}\u{7f}é😀\u{2028}\n]{0,6}"
}

fn texts() -> impl Strategy<Value = Vec<String>> {
    vec(text(), 0..3)
}

fn value() -> impl Strategy<Value = Value> {
    values(true)
}

/// Values; without `floats`, a float's place holds an integer.
fn values(floats: bool) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(move |f| if floats {
            Value::from(f)
        } else {
            Value::from(f as i64)
        }),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            vec((text(), inner), 0..3).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn same<T: WriteJson + Serialize>(v: &T) -> Result<(), TestCaseError> {
    prop_assert_eq!(to_json(v), serde_json::to_string(v).unwrap());
    Ok(())
}

fn wire() -> impl Strategy<Value = Wire> {
    select(vec![Wire::Responses, Wire::Chat])
}

fn sandbox_mode() -> impl Strategy<Value = SandboxMode> {
    select(SandboxMode::ALL.to_vec())
}

fn usage() -> impl Strategy<Value = Usage> {
    any::<[u64; 4]>().prop_map(|[a, b, c, d]| Usage {
        input_tokens: a,
        cached_input_tokens: b,
        output_tokens: c,
        reasoning_output_tokens: d,
    })
}

fn turn_status() -> impl Strategy<Value = TurnStatus> {
    select(vec![
        TurnStatus::Completed,
        TurnStatus::Interrupted,
        TurnStatus::Failed,
    ])
}

fn decision() -> impl Strategy<Value = ApprovalDecision> {
    use ApprovalDecision::*;
    select(vec![
        Approved,
        ApprovedForSession,
        ApprovedServerForSession,
        Denied,
        Abort,
    ])
}

fn agent_config() -> impl Strategy<Value = AgentConfig> {
    use ApprovalPolicy::*;
    (
        (text(), text(), wire()),
        (
            of(select(vec![ToolFamily::Codex, ToolFamily::Generic])),
            of(select(ReasoningEffort::ALL.to_vec())),
            select(vec![Untrusted, OnRequest, OnFailure, Never]),
            sandbox_mode(),
        ),
        (of(any::<u64>()), of(any::<u8>()), of(any::<u64>())),
        (text(), texts(), any::<bool>(), text(), of(any::<bool>())),
        (
            text(),
            text(),
            vec((text(), text()), 0..2),
            of(text()),
            of(any::<bool>()),
            of(any::<bool>()),
        ),
    )
        .prop_map(
            |(
                (session_id, model, wire),
                (tool_family, reasoning_effort, approval_policy, sandbox_mode),
                (context_window, compact_percent, max_output_tokens),
                (cwd, writable_roots, network, shell, no_os_sandbox),
                (current_date, timezone, agents, base_instructions, vision, web_search),
            )| AgentConfig {
                session_id,
                model,
                wire,
                tool_family,
                reasoning_effort,
                approval_policy,
                sandbox_mode,
                context_window,
                compact_percent,
                max_output_tokens,
                cwd,
                writable_roots,
                network,
                shell,
                no_os_sandbox,
                current_date,
                timezone,
                agents_md: agents
                    .into_iter()
                    .map(|(dir, contents)| AgentsMd { dir, contents })
                    .collect(),
                base_instructions,
                vision,
                web_search,
            },
        )
}

fn exec_sandbox() -> impl Strategy<Value = ExecSandbox> {
    (sandbox_mode(), texts(), any::<bool>()).prop_map(|(mode, writable_roots, network)| {
        ExecSandbox {
            mode,
            writable_roots,
            network,
        }
    })
}

fn exec_params() -> impl Strategy<Value = ExecStartParams> {
    (
        (texts(), text(), of(btree_map(text(), of(text()), 0..3))),
        (
            of(any::<bool>()),
            of(any::<u16>()),
            of(any::<u16>()),
            of(any::<u64>()),
            of(any::<u64>()),
        ),
        (sandbox_mode(), of(texts()), of(any::<bool>())),
    )
        .prop_map(
            |((argv, cwd, env), (tty, cols, rows, timeout_ms, output_limit_bytes), sandbox)| {
                ExecStartParams {
                    argv,
                    cwd,
                    env,
                    tty,
                    cols,
                    rows,
                    timeout_ms,
                    output_limit_bytes,
                    sandbox: SandboxPolicy {
                        mode: sandbox.0,
                        writable_roots: sandbox.1,
                        network: sandbox.2,
                    },
                }
            },
        )
}

fn remember() -> impl Strategy<Value = RememberScope> {
    prop_oneof![
        texts().prop_map(|prefix| RememberScope::Prefix { prefix }),
        texts().prop_map(|argv| RememberScope::Exact { argv }),
        Just(RememberScope::Once),
        (text(), text()).prop_map(|(server, tool)| RememberScope::McpTool { server, tool }),
        text().prop_map(|server| RememberScope::McpServer { server }),
    ]
}

fn approval_request() -> impl Strategy<Value = ApprovalRequest> {
    use ApprovalKind::*;
    (
        (text(), text(), text()),
        select(vec![Exec, Escalate, RetryUnsandboxed, McpTool]),
        (texts(), text(), text(), of(text())),
        (exec_sandbox(), remember(), of(text())),
        of((text(), text(), value())),
    )
        .prop_map(
            |(
                (request_id, call_id, item_id),
                kind,
                (argv, command, cwd, reason),
                (sandbox, remember, remember_note),
                mcp,
            )| ApprovalRequest {
                request_id,
                call_id,
                item_id,
                kind,
                argv,
                command,
                cwd,
                reason,
                sandbox,
                remember,
                remember_note,
                mcp: mcp.map(|(server, tool, arguments)| McpApprovalInfo {
                    server,
                    tool,
                    arguments,
                }),
            },
        )
}

fn file_diff() -> impl Strategy<Value = FileDiff> {
    let side = "(?s)[ab\"\\\\\u{0}\u{1f}é\n]{0,12}";
    (side, side).prop_map(|(a, b)| diff::diff_texts(&a, &b))
}

fn file_change() -> impl Strategy<Value = FileChange> {
    (change_kind(), text(), of(text()), of(text()), of(text())).prop_map(
        |(kind, path, move_path, original, new_contents)| FileChange {
            kind,
            path,
            move_path,
            original,
            new_contents,
        },
    )
}

fn thread_error() -> impl Strategy<Value = ThreadError> {
    (text(), of(Just(TurnEndReason::Interrupted)))
        .prop_map(|(message, reason)| ThreadError { message, reason })
}

fn details() -> impl Strategy<Value = ItemDetails> {
    use FileChangeKind::{Add, Delete, Update};
    let hunk_state = select(vec![
        HunkState::Pending,
        HunkState::Accepted,
        HunkState::Partial,
        HunkState::Rejected,
    ]);
    let hunk_states = vec(vec((text(), hunk_state), 0..3), 0..2).prop_map(|files| {
        files
            .into_iter()
            .map(|states| {
                let mut map = VecMap::default();
                for (id, state) in states {
                    map.insert(id, state);
                }
                map
            })
            .collect::<Vec<_>>()
    });
    let summary = (text(), select(vec![Add, Delete, Update]), of(text())).prop_map(
        |(path, kind, move_path)| FileChangeSummary {
            path,
            kind,
            move_path,
        },
    );
    let command_status = select(vec![
        CommandStatus::InProgress,
        CommandStatus::Completed,
        CommandStatus::Failed,
        CommandStatus::Declined,
    ]);
    let change_status = select(vec![
        FileChangeStatus::Pending,
        FileChangeStatus::Completed,
        FileChangeStatus::PartiallyApplied,
        FileChangeStatus::Declined,
        FileChangeStatus::Failed,
    ]);
    let mcp_status = select(vec![
        McpCallStatus::InProgress,
        McpCallStatus::Completed,
        McpCallStatus::Failed,
        McpCallStatus::Declined,
    ]);
    prop_oneof![
        text().prop_map(|text| ItemDetails::AgentMessage { text }),
        text().prop_map(|text| ItemDetails::Reasoning { text }),
        (
            text(),
            text(),
            of(any::<i32>()),
            command_status,
            of(any::<u64>())
        )
            .prop_map(
                |(command, aggregated_output, exit_code, status, duration_ms)| {
                    ItemDetails::CommandExecution {
                        command,
                        aggregated_output,
                        exit_code,
                        status,
                        duration_ms,
                    }
                }
            ),
        (
            vec(summary, 0..2),
            change_status,
            vec(file_diff(), 0..2),
            hunk_states
        )
            .prop_map(|(changes, status, diffs, hunk_states)| {
                ItemDetails::FileChange {
                    changes,
                    status,
                    diffs,
                    hunk_states,
                }
            }),
        vec((text(), any::<bool>(), text()), 0..3).prop_map(|items| ItemDetails::TodoList {
            items: items
                .into_iter()
                .map(|(text, completed, status)| TodoItem {
                    text,
                    completed,
                    status,
                })
                .collect(),
        }),
        (
            (text(), text(), value()),
            of((vec(value(), 0..2), of(value()))),
            of(thread_error()),
            mcp_status
        )
            .prop_map(|((server, tool, arguments), result, error, status)| {
                ItemDetails::McpToolCall {
                    server,
                    tool,
                    arguments,
                    result: result.map(|(content, structured_content)| McpItemResult {
                        content,
                        structured_content,
                    }),
                    error,
                    status,
                }
            }),
        text().prop_map(|query| ItemDetails::WebSearch { query }),
        text().prop_map(|message| ItemDetails::Error { message }),
    ]
}

fn item() -> impl Strategy<Value = ThreadItem> {
    (text(), details()).prop_map(|(id, details)| ThreadItem { id, details })
}

fn thread_event() -> impl Strategy<Value = ThreadEvent> {
    prop_oneof![
        text().prop_map(|thread_id| ThreadEvent::ThreadStarted { thread_id }),
        Just(ThreadEvent::TurnStarted {}),
        item().prop_map(|item| ThreadEvent::ItemStarted { item }),
        item().prop_map(|item| ThreadEvent::ItemUpdated { item }),
        item().prop_map(|item| ThreadEvent::ItemCompleted { item }),
        (text(), text()).prop_map(|(item_id, delta)| ThreadEvent::ItemDelta { item_id, delta }),
        usage().prop_map(|usage| ThreadEvent::TurnCompleted { usage }),
        thread_error().prop_map(|error| ThreadEvent::TurnFailed { error }),
        text().prop_map(|id| ThreadEvent::CheckpointCreated { id }),
        (any::<u32>(), text()).prop_map(|(to_user_message, text)| {
            ThreadEvent::ConversationRewound {
                to_user_message,
                text,
            }
        }),
        (any::<u64>(), of(any::<u64>())).prop_map(|(used_tokens, window_tokens)| {
            ThreadEvent::ContextUsage {
                used_tokens,
                window_tokens,
            }
        }),
    ]
}

fn record() -> impl Strategy<Value = SessionRecord> {
    prop_oneof![
        agent_config().prop_map(|c| SessionRecord::Meta {
            config: Box::new(c)
        }),
        value().prop_map(|item| SessionRecord::Item { item }),
        vec(value(), 0..3).prop_map(|items| SessionRecord::Compacted { items }),
        (turn_status(), usage(), of(text())).prop_map(|(status, usage, error)| {
            SessionRecord::TurnEnded {
                status,
                usage,
                error,
            }
        }),
        item().prop_map(|item| SessionRecord::Shown { item }),
        approval_request().prop_map(|request| SessionRecord::ApprovalAsked { request }),
        (text(), decision(), of(text())).prop_map(|(request_id, decision, message)| {
            SessionRecord::ApprovalAnswered {
                request_id,
                decision,
                message,
            }
        }),
        text().prop_map(|id| SessionRecord::Checkpoint { id }),
        any::<u32>().prop_map(|to_user_message| SessionRecord::Rewind { to_user_message }),
        (text(), text())
            .prop_map(|(checkpoint, text)| SessionRecord::FilesRestored { checkpoint, text }),
    ]
}

fn effect() -> impl Strategy<Value = Effect> {
    let proposal = (text(), text(), vec((file_change(), file_diff()), 0..2)).prop_map(
        |(call_id, item_id, files)| ChangeProposal {
            call_id,
            item_id,
            files: files
                .into_iter()
                .map(|(change, diff)| ProposedFile { change, diff })
                .collect(),
        },
    );
    prop_oneof![
        // A body is text; its derived `Serialize` parses it again, and serde_json's parser (without
        // its float_roundtrip feature) may read a float's shortest form as the next float over.
        (wire(), values(false)).prop_map(|(wire, body)| Effect::ModelRequest {
            wire,
            body: crate::prompt::RequestBody::of(&body)
        }),
        Just(Effect::CancelModel),
        (text(), exec_params(), of(any::<u64>())).prop_map(|(call_id, params, yield_time_ms)| {
            Effect::Exec {
                call_id,
                params,
                yield_time_ms,
            }
        }),
        (text(), text(), text(), any::<u64>()).prop_map(
            |(call_id, exec_call_id, chars, yield_time_ms)| Effect::WriteStdin {
                call_id,
                exec_call_id,
                chars,
                yield_time_ms,
            }
        ),
        text().prop_map(|call_id| Effect::KillExec { call_id }),
        (text(), texts()).prop_map(|(call_id, paths)| Effect::ReadFiles { call_id, paths }),
        (text(), vec(file_change(), 0..3))
            .prop_map(|(call_id, changes)| Effect::ApplyChanges { call_id, changes }),
        (text(), proposal)
            .prop_map(|(call_id, proposal)| Effect::ReviewChanges { call_id, proposal }),
        (text(), text()).prop_map(|(call_id, path)| Effect::ReadImage { call_id, path }),
        (text(), text(), text(), value()).prop_map(|(call_id, server, tool, arguments)| {
            Effect::McpCall {
                call_id,
                server,
                tool,
                arguments,
            }
        }),
        approval_request().prop_map(|request| Effect::RequestApproval { request }),
        thread_event().prop_map(|event| Effect::Emit { event }),
        record().prop_map(|record| Effect::Persist { record }),
        (turn_status(), usage(), of(text())).prop_map(|(status, usage, error)| {
            Effect::TurnEnded {
                status,
                usage,
                error,
            }
        }),
    ]
}

fn replay_approval() -> impl Strategy<Value = ReplayApproval> {
    (approval_request(), decision(), of(text())).prop_map(|(request, decision, message)| {
        ReplayApproval {
            request,
            decision,
            message,
        }
    })
}

fn replay_entry() -> impl Strategy<Value = ReplayEntry> {
    prop_oneof![
        (text(), any::<u32>(), of(text())).prop_map(|(text, index, checkpoint)| {
            ReplayEntry::User {
                text,
                index,
                checkpoint,
            }
        }),
        (item(), vec(replay_approval(), 0..2))
            .prop_map(|(item, approvals)| ReplayEntry::Item { item, approvals }),
        replay_approval().prop_map(|approval| ReplayEntry::Approval { approval }),
        Just(ReplayEntry::Stopped),
        text().prop_map(|message| ReplayEntry::Failed { message }),
        text().prop_map(|text| ReplayEntry::Notice { text }),
    ]
}

fn remembered() -> impl Strategy<Value = RememberedApproval> {
    (text(), remember(), text(), exec_sandbox(), text()).prop_map(
        |(id, scope, cwd, sandbox, description)| RememberedApproval {
            id,
            scope,
            cwd,
            sandbox,
            description,
        },
    )
}

fn change_kind() -> impl Strategy<Value = ChangeKind> {
    select(vec![
        ChangeKind::Add,
        ChangeKind::Modify,
        ChangeKind::Delete,
    ])
}

fn patch_error() -> impl Strategy<Value = PatchError> {
    (of(any::<u32>()), text()).prop_map(|(line, message)| PatchError { line, message })
}

fn patch_answer() -> impl Strategy<Value = PatchAnswerHeader> {
    let header = (change_kind(), text(), of(text()), of(any::<u32>())).prop_map(
        |(kind, path, move_path, new_bytes)| ChangeHeader {
            kind,
            path,
            move_path,
            new_bytes,
        },
    );
    prop_oneof![
        (any::<bool>(), vec(header, 0..3))
            .prop_map(|(ok, changes)| PatchAnswerHeader::Applied { ok, changes }),
        (any::<bool>(), patch_error())
            .prop_map(|(ok, error)| PatchAnswerHeader::Failed { ok, error }),
    ]
}

fn patch_paths() -> impl Strategy<Value = PatchPathsResult> {
    prop_oneof![
        (any::<bool>(), texts()).prop_map(|(ok, paths)| PatchPathsResult::Parsed { ok, paths }),
        (any::<bool>(), patch_error())
            .prop_map(|(ok, error)| PatchPathsResult::Failed { ok, error }),
    ]
}

proptest! {
    #[test]
    fn the_patch_and_line_answers_are_written_as_serde_writes_them(
        answer in patch_answer(),
        paths in patch_paths(),
        decision in of((text(), text()).prop_map(|(current, proposed)| LineDecision { current, proposed })),
    ) {
        same(&answer)?;
        same(&paths)?;
        same(&decision)?;
    }

    #[test]
    fn effects_are_written_as_serde_writes_them(effects in vec(effect(), 0..4)) {
        same(&effects)?;
    }

    #[test]
    fn thread_events_and_records_are_written_as_serde_writes_them(
        event in thread_event(),
        record in record(),
    ) {
        same(&event)?;
        same(&record)?;
    }

    #[test]
    fn the_replay_and_remembered_approvals_are_written_as_serde_writes_them(
        entries in vec(replay_entry(), 0..3),
        approvals in vec(remembered(), 0..3),
    ) {
        same(&entries)?;
        same(&approvals)?;
    }

    #[test]
    fn values_and_numbers_are_written_as_serde_writes_them(
        v in value(),
        values in vec(value(), 0..3),
        n in any::<i32>(),
        u in any::<u64>(),
    ) {
        same(&v)?;
        same(&values)?;
        same(&n)?;
        same(&u)?;
    }
}

#[test]
fn every_harness_message_is_written_as_serde_writes_it() {
    use HarnessMessage::*;
    for m in [
        None,
        Some(EnvironmentContext),
        Some(AgentsMd),
        Some(EditorContext),
        Some(TurnAborted),
        Some(CompactionRequest),
        Some(CompactionSummary),
        Some(ContinueRequest),
    ] {
        assert_eq!(to_json(&m), serde_json::to_string(&m).unwrap());
    }
    for n in [0, -1, i32::MIN, i32::MAX] {
        assert_eq!(to_json(&n), serde_json::to_string(&n).unwrap());
    }
    assert_eq!(
        to_json(&u64::MAX),
        serde_json::to_string(&u64::MAX).unwrap()
    );
}
