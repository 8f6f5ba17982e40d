//! MCP tools through the session: offered with the right names, approvals per policy and for the
//! session, results (and failures) back to the model, the `mcp_tool_call` item.

use super::mcp::McpToolSpec;
use super::tests::*;
use super::*;
use serde_json::{json, Value};

fn tools(read_only: bool) -> SessionEvent {
    SessionEvent::McpTools {
        tools: vec![
            McpToolSpec {
                server: "mem".into(),
                tool: "read_graph".into(),
                description: Some("Read the graph".into()),
                input_schema: json!({"type": "object", "$schema": "x", "properties": {"tags": {"type": "array"}}}),
                read_only,
            },
            McpToolSpec {
                server: "mem".into(),
                tool: "bad".into(),
                description: None,
                input_schema: json!({"type": "array"}),
                read_only: false,
            },
        ],
    }
}

fn mcp_calls(out: &[Effect]) -> Vec<(String, String, String, Value)> {
    out.iter()
        .filter_map(|e| match e {
            Effect::McpCall {
                call_id,
                server,
                tool,
                arguments,
            } => Some((
                call_id.clone(),
                server.clone(),
                tool.clone(),
                arguments.clone(),
            )),
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

fn last_output(out: &[Effect], call_id: &str) -> String {
    let body = requests(out).pop().expect("a next request");
    outputs(&body)
        .into_iter()
        .find(|(id, _)| id == call_id)
        .map(|(_, o)| o)
        .expect("an output")
}

fn mcp_item(out: &[Effect]) -> Value {
    events(out)
        .into_iter()
        .filter_map(|e| match e {
            ThreadEvent::ItemCompleted { item } => Some(serde_json::to_value(item).unwrap()),
            _ => None,
        })
        .find(|i| i["type"] == "mcp_tool_call")
        .expect("an mcp_tool_call item")
}

#[test]
fn tools_are_offered_and_a_refused_schema_is_reported() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    // Before a turn nothing is shown; the turn's start shows the refusal once.
    assert!(events(&s.handle(tools(false))).is_empty());
    let out = start(&mut s, "go");
    let shown = format!("{:?}", events(&out));
    assert!(
        shown.contains("`bad`") && shown.contains("\\\"array\\\""),
        "{shown}"
    );
    let body = requests(&out).pop().unwrap();
    let t = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "mcp__mem__read_graph")
        .expect("offered")
        .clone();
    assert!(t["parameters"].get("$schema").is_none());
    assert_eq!(t["parameters"]["properties"]["tags"]["items"], json!({}));
    assert!(!body["tools"].to_string().contains("mcp__mem__bad"));
    // Calling the refused one tells the model why.
    let out = respond(&mut s, &[fcall("c1", "mcp__mem__bad", json!({}))], 10);
    assert!(last_output(&out, "c1").contains("accept only \"object\""));
}

#[test]
fn a_call_runs_and_its_result_reaches_the_model() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    s.handle(tools(false));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "mcp__mem__read_graph", json!({"q": 1}))],
        10,
    );
    assert!(approval(&out).is_none());
    let calls = mcp_calls(&out);
    assert_eq!(
        calls,
        vec![(
            "c1".into(),
            "mem".into(),
            "read_graph".into(),
            json!({"q": 1})
        )]
    );
    let out = s.handle(SessionEvent::McpResult {
        call_id: "c1".into(),
        result: Some(json!({"content": [{"type": "text", "text": "alice knows bob"}]})),
        error: None,
    });
    assert_eq!(last_output(&out, "c1"), "alice knows bob");
    let it = mcp_item(&out);
    assert_eq!(it["server"], "mem");
    assert_eq!(it["status"], "completed");
    assert_eq!(it["result"]["content"][0]["text"], "alice knows bob");
}

#[test]
fn failures_are_clear_and_the_turn_goes_on() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    s.handle(tools(false));
    start(&mut s, "go");
    respond(
        &mut s,
        &[fcall("c1", "mcp__mem__read_graph", json!({}))],
        10,
    );
    let out = s.handle(SessionEvent::McpResult {
        call_id: "c1".into(),
        result: None,
        error: Some("the server exited during the call".into()),
    });
    let o = last_output(&out, "c1");
    assert!(
        o.contains("could not be called") && o.contains("exited"),
        "{o}"
    );
    assert_eq!(mcp_item(&out)["status"], "failed");
    let out = respond(
        &mut s,
        &[fcall("c2", "mcp__mem__read_graph", json!({}))],
        10,
    );
    assert_eq!(mcp_calls(&out).len(), 1);
    let out = s.handle(SessionEvent::McpResult {
        call_id: "c2".into(),
        result: Some(json!({"content": 5})),
        error: None,
    });
    assert!(last_output(&out, "c2").contains("malformed"));
    let out = respond(&mut s, &[fcall("c3", "mcp__gone__x", json!({}))], 10);
    assert!(last_output(&out, "c3").contains("not an available MCP tool"));
}

#[test]
fn approvals_follow_the_policy_and_remember_a_tool_or_a_server() {
    // Read-only tools run without asking even under `untrusted`.
    let mut s = Session::new(config(ApprovalPolicy::Untrusted));
    s.handle(tools(true));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "mcp__mem__read_graph", json!({}))],
        10,
    );
    assert!(approval(&out).is_none() && mcp_calls(&out).len() == 1);

    for (decision, covers_server) in [
        (ApprovalDecision::ApprovedForSession, false),
        (ApprovalDecision::ApprovedServerForSession, true),
    ] {
        let mut s = Session::new(config(ApprovalPolicy::OnRequest));
        let mut specs = match tools(false) {
            SessionEvent::McpTools { tools } => tools,
            _ => unreachable!(),
        };
        specs.push(McpToolSpec {
            server: "mem".into(),
            tool: "other".into(),
            description: None,
            input_schema: Value::Null,
            read_only: false,
        });
        s.handle(SessionEvent::McpTools { tools: specs });
        start(&mut s, "go");
        let out = respond(
            &mut s,
            &[fcall("c1", "mcp__mem__read_graph", json!({"a": 1}))],
            10,
        );
        let r = approval(&out).expect("asks");
        assert_eq!(r.kind, ApprovalKind::McpTool);
        assert_eq!(r.mcp.as_ref().unwrap().tool, "read_graph");
        assert!(mcp_calls(&out).is_empty());
        let out = s.handle(SessionEvent::ApprovalDecided {
            request_id: r.request_id,
            decision,
            message: None,
        });
        assert_eq!(mcp_calls(&out).len(), 1);
        s.handle(SessionEvent::McpResult {
            call_id: "c1".into(),
            result: Some(json!({"content": []})),
            error: None,
        });
        let out = respond(
            &mut s,
            &[
                fcall("c2", "mcp__mem__read_graph", json!({})),
                fcall("c3", "mcp__mem__other", json!({})),
            ],
            10,
        );
        assert!(mcp_calls(&out).iter().any(|c| c.0 == "c2"));
        assert_eq!(mcp_calls(&out).iter().any(|c| c.0 == "c3"), covers_server);
        assert_eq!(approval(&out).is_some(), !covers_server);
        let listed = s.remembered_approvals();
        assert_eq!(listed.len(), 1);
        s.handle(SessionEvent::RevokeApproval {
            approval_id: listed[0].id.clone(),
        });
        assert!(s.remembered_approvals().is_empty());
    }

    // Denied: the model hears it, the item says declined.
    let mut s = Session::new(config(ApprovalPolicy::Untrusted));
    s.handle(tools(false));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "mcp__mem__read_graph", json!({}))],
        10,
    );
    let r = approval(&out).unwrap();
    let out = s.handle(SessionEvent::ApprovalDecided {
        request_id: r.request_id,
        decision: ApprovalDecision::Denied,
        message: None,
    });
    assert!(last_output(&out, "c1").contains("declined"));
    assert_eq!(mcp_item(&out)["status"], "declined");
}

#[test]
fn an_image_result_is_shown_to_the_model() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    s.handle(tools(false));
    start(&mut s, "go");
    respond(
        &mut s,
        &[fcall("c1", "mcp__mem__read_graph", json!({}))],
        10,
    );
    let out = s.handle(SessionEvent::McpResult {
        call_id: "c1".into(),
        result: Some(json!({"content": [{"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"}]})),
        error: None,
    });
    let body = requests(&out).pop().unwrap();
    assert!(body["input"]
        .to_string()
        .contains("data:image/png;base64,iVBORw0KGgo="));
}

#[test]
fn a_read_only_session_refuses_or_asks_for_tools_that_may_change_things() {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.sandbox_mode = SandboxMode::ReadOnly;
    let mut s = Session::new(cfg.clone());
    s.handle(tools(false));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "mcp__mem__read_graph", json!({}))],
        10,
    );
    assert!(mcp_calls(&out).is_empty() && approval(&out).is_none());
    assert!(last_output(&out, "c1").contains("read-only"));
    // A read-only tool still runs.
    let mut s = Session::new(cfg.clone());
    s.handle(tools(true));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "mcp__mem__read_graph", json!({}))],
        10,
    );
    assert_eq!(mcp_calls(&out).len(), 1);
    // With someone to ask (on-failure here), it asks.
    cfg.approval_policy = ApprovalPolicy::OnFailure;
    let mut s = Session::new(cfg);
    s.handle(tools(false));
    start(&mut s, "go");
    let out = respond(
        &mut s,
        &[fcall("c1", "mcp__mem__read_graph", json!({}))],
        10,
    );
    assert!(approval(&out).is_some() && mcp_calls(&out).is_empty());
}

#[test]
fn chat_wire_declares_the_tools_in_its_shape() {
    let mut cfg = config(ApprovalPolicy::Never);
    cfg.wire = Wire::Chat;
    let mut s = Session::new(cfg);
    s.handle(tools(false));
    let out = start(&mut s, "go");
    let body = requests(&out).pop().unwrap();
    let t = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "mcp__mem__read_graph")
        .expect("offered in the Chat shape")
        .clone();
    assert_eq!(t["type"], "function");
    assert_eq!(t["function"]["parameters"]["type"], "object");
}

/// An attachment's size in KiB and MiB is written from the integer, with the text the f64
/// formatter gave, ties (an exact .x5) to the even tenth included.
#[test]
fn size_tenths_are_the_float_formatting() {
    use super::mcp::tenths;
    for n in 1024..300_000u64 {
        assert_eq!(tenths(n, 1024), format!("{:.1}", n as f64 / 1024.0), "{n}");
    }
    let mib = 1u64 << 20;
    for k in 0..2_000u64 {
        for n in [
            k * mib / 20,
            k * mib / 20 + 1,
            (k * mib / 20).saturating_sub(1),
            k * 52_429,
        ] {
            let n = n.max(mib);
            assert_eq!(
                tenths(n, mib),
                format!("{:.1}", n as f64 / mib as f64),
                "{n}"
            );
        }
    }
}

#[test]
fn the_tools_offered_follow_the_mcp_servers_from_one_request_to_the_next() {
    let offered = |out: &[Effect]| {
        let body = requests(out).pop().expect("a request");
        body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|t| t["name"].as_str().map(str::to_string))
            .filter(|n| n.starts_with("mcp__"))
            .collect::<Vec<_>>()
    };
    let mut s = Session::new(config(ApprovalPolicy::Never));
    assert!(offered(&start(&mut s, "one")).is_empty());
    // A server that connects during the turn: its tools are offered from the next request on.
    s.handle(tools(false));
    let out = respond(
        &mut s,
        &[fcall("c1", "update_plan", json!({"plan": []}))],
        10,
    );
    assert_eq!(offered(&out), ["mcp__mem__read_graph"]);
    respond(&mut s, &[msg("done")], 10);
    // The server goes away between turns: the next turn's request no longer offers them.
    s.handle(SessionEvent::McpTools { tools: vec![] });
    assert!(offered(&start(&mut s, "two")).is_empty());
}
