//! The hand-written readers of `SessionEvent`, `SessionRecord` and `ItemDetails` (readers.rs) against
//! the derived ones they replace (`read_derived`, serde's derive through the externally tagged
//! mirror, kept in tests): every variant round-trips, and any damaged object (a field dropped, given
//! another value, the tag changed, an unknown field added) reads the same or fails the same, with
//! the same message.

use super::json_read::FromJson;
use super::protocol::*;
use super::readers::{EVENT_TYPES, FILE_STATES, ITEM_TYPES, RECORD_TYPES};
use super::tests::config;
use crate::patch::FileState;
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug)]
enum Kind {
    Event,
    Record,
    Item,
    File,
}

fn diff_json() -> Value {
    serde_json::to_value(crate::diff::diff_texts("a\nb\n", "a\nc\n")).unwrap()
}

fn thread_item() -> Value {
    json!({"id": "i1", "type": "command_execution", "command": "ls", "aggregated_output": "x",
           "exit_code": 0, "status": "completed", "duration_ms": 12})
}

fn approval_request() -> Value {
    json!({"requestId": "r1", "callId": "c1", "itemId": "i1", "kind": "exec", "argv": ["ls"],
           "command": "ls", "cwd": "/repo", "reason": "why",
           "sandbox": {"mode": "workspace-write", "writableRoots": [], "network": false},
           "remember": {"kind": "prefix", "prefix": ["ls"]}})
}

/// A valid object for every variant of the three enums, most with every optional field set and
/// some with none (each in the form the derived `Serialize` writes, so it round-trips).
fn samples() -> Vec<(Kind, Value)> {
    let cfg = serde_json::to_value(config(ApprovalPolicy::OnRequest)).unwrap();
    let usage = json!({"input_tokens": 5, "cached_input_tokens": 1, "output_tokens": 2, "reasoning_output_tokens": 0});
    let events = [
        json!({"type": "userInput", "text": "hi"}),
        json!({"type": "userInput", "text": "hi", "images": ["data:image/png;base64,AA=="],
               "editorContext": {"activeFile": "a.rs", "diagnostics": [], "openFiles": ["a.rs"],
                                 "selection": {"path": "a.rs", "startLine": 1, "endLine": 2, "text": "x"}}}),
        json!({"type": "modelEvent", "data": {"type": "response.output_text.delta", "delta": "x"}}),
        json!({"type": "modelStreamRestarted"}),
        json!({"type": "modelStreamEnded"}),
        json!({"type": "modelFailed", "message": "401", "retryable": false}),
        json!({"type": "execOutput", "callId": "c1", "chunk": "out"}),
        json!({"type": "execExited", "callId": "c1", "exitCode": -1, "durationMs": 3, "output": "o",
               "truncatedBytes": 7, "timedOut": true}),
        json!({"type": "execYielded", "callId": "c1", "durationMs": 3, "output": "o"}),
        json!({"type": "execFailed", "callId": "c1", "message": "lost"}),
        json!({"type": "imageRead", "callId": "c1", "dataUrl": "data:image/png;base64,AA=="}),
        json!({"type": "imageRead", "callId": "c1", "error": "no such file"}),
        json!({"type": "filesRead", "callId": "c1",
               "files": {"a.txt": {"state": "text", "contents": "x"}, "b": {"state": "missing"}}}),
        json!({"type": "changesApplied", "callId": "c1"}),
        json!({"type": "changesApplied", "callId": "c1", "error": "disk full"}),
        json!({"type": "changesReviewed", "callId": "c1", "review": {"files": [
            {"path": "a", "outcome": "partial", "acceptedHunkIds": ["h1"]}], "reason": "no"}}),
        json!({"type": "approvalDecided", "requestId": "r1", "decision": "approvedForSession",
               "message": "ok"}),
        json!({"type": "interrupt"}),
        json!({"type": "revokeApproval", "approvalId": "a1"}),
        json!({"type": "mcpTools", "tools": [{"server": "s", "tool": "t", "description": "d",
               "inputSchema": {"type": "object"}, "readOnly": true}]}),
        json!({"type": "mcpResult", "callId": "c1", "result": {"content": []}}),
        json!({"type": "mcpResult", "callId": "c1", "error": "gone"}),
        json!({"type": "rewind", "toUserMessage": 2}),
    ];
    let records = [
        json!({"type": "meta", "config": cfg}),
        json!({"type": "item", "item": {"type": "message", "role": "user", "content": []}}),
        json!({"type": "compacted", "items": [{"type": "message"}, 3]}),
        json!({"type": "turnEnded", "status": "failed", "usage": usage, "error": "boom"}),
        json!({"type": "turnEnded", "status": "completed", "usage": usage}),
        json!({"type": "shown", "item": thread_item()}),
        json!({"type": "approvalAsked", "request": approval_request()}),
        json!({"type": "approvalAnswered", "requestId": "r1", "decision": "denied", "message": "no"}),
        json!({"type": "approvalAnswered", "requestId": "r1", "decision": "abort"}),
        json!({"type": "checkpoint", "id": "k1"}),
        json!({"type": "rewind", "toUserMessage": 0}),
        json!({"type": "filesRestored", "checkpoint": "k1", "text": "Restored."}),
    ];
    let items = [
        json!({"type": "agent_message", "text": "hi"}),
        json!({"type": "reasoning", "text": "hmm"}),
        json!({"type": "command_execution", "command": "ls", "aggregated_output": "", "status": "in_progress"}),
        json!({"type": "command_execution", "command": "ls", "aggregated_output": "x", "exit_code": 2,
               "status": "failed", "duration_ms": 4}),
        json!({"type": "file_change", "changes": [{"path": "a", "kind": "update", "move_path": "b"}],
               "status": "pending", "diffs": [diff_json()]}),
        json!({"type": "file_change", "changes": [{"path": "a", "kind": "add"}],
               "status": "partially_applied", "diffs": [diff_json()],
               "hunk_states": [{"h1": "accepted", "h2": "partial"}]}),
        json!({"type": "todo_list", "items": [{"text": "t", "completed": false, "status": "pending"}]}),
        json!({"type": "mcp_tool_call", "server": "s", "tool": "t", "arguments": {"a": 1},
               "status": "in_progress"}),
        json!({"type": "mcp_tool_call", "server": "s", "tool": "t", "arguments": null,
               "result": {"content": [{"type": "text", "text": "x"}], "structured_content": {"k": 1}},
               "error": {"message": "m"}, "status": "failed"}),
        json!({"type": "web_search", "query": "rust"}),
        json!({"type": "error", "message": "bad"}),
    ];
    let files = [
        json!({"state": "text", "contents": "x\n"}),
        json!({"state": "missing"}),
        json!({"state": "directory"}),
        json!({"state": "outsideWorkspace"}),
        json!({"state": "unreadable", "reason": "binary"}),
    ];
    let mut out = Vec::new();
    out.extend(files.into_iter().map(|v| (Kind::File, v)));
    out.extend(events.into_iter().map(|v| (Kind::Event, v)));
    out.extend(records.into_iter().map(|v| (Kind::Record, v)));
    out.extend(items.into_iter().map(|v| (Kind::Item, v)));
    out
}

/// The key that holds the variant's name.
fn tag_of(kind: Kind) -> &'static str {
    match kind {
        Kind::File => "state",
        _ => "type",
    }
}

/// The hand reader and the derived one on `value`: what each read, written back as JSON (so the
/// three enums compare alike), or its error message.
fn both(kind: Kind, value: &Value) -> (Result<Value, String>, Result<Value, String>) {
    fn pair<T: DeserializeOwned + Serialize + FromJson>(
        value: &Value,
        derived: fn(Value) -> serde_json::Result<T>,
    ) -> (Result<Value, String>, Result<Value, String>) {
        let out = |r: serde_json::Result<T>| {
            r.map(|t| serde_json::to_value(t).unwrap())
                .map_err(|e| e.to_string())
        };
        // The module reads a parsed value with `from_json`; `Deserialize` (any other
        // deserializer) runs the same reader over the map serde gives it.
        let hand = out(T::from_json(value.clone()));
        assert_eq!(hand, out(T::deserialize(value.clone())), "{value}");
        (hand, out(derived(value.clone())))
    }
    match kind {
        Kind::Event => pair::<SessionEvent>(value, SessionEvent::read_derived),
        Kind::Record => pair::<SessionRecord>(value, SessionRecord::read_derived),
        Kind::Item => pair::<ItemDetails>(value, ItemDetails::read_derived),
        Kind::File => pair::<FileState>(value, FileState::read_derived),
    }
}

/// The one difference json_read.rs allows: a struct field given as an array (serde's sequence form,
/// which nobody sends) is refused, where the derive read it as the fields in order (or refused it
/// with another message).
fn sequence_form(hand: &Result<Value, String>) -> bool {
    matches!(hand, Err(e) if e.starts_with("invalid type: sequence, expected struct"))
}

#[test]
fn every_variant_reads_as_derived_and_round_trips() {
    let samples = samples();
    for kind in [Kind::Event, Kind::Record, Kind::Item, Kind::File] {
        let tags = match kind {
            Kind::Event => EVENT_TYPES,
            Kind::Record => RECORD_TYPES,
            Kind::Item => ITEM_TYPES,
            Kind::File => FILE_STATES,
        };
        for tag in tags {
            assert!(
                samples.iter().any(|(k, v)| tag_of(*k) == tag_of(kind)
                    && std::mem::discriminant(k) == std::mem::discriminant(&kind)
                    && v[tag_of(kind)] == *tag),
                "no sample for {kind:?} {tag}"
            );
        }
    }
    for (kind, v) in &samples {
        let (hand, derived) = both(*kind, v);
        assert_eq!(hand.as_ref(), Ok(v), "{kind:?} {v}");
        assert_eq!(hand, derived, "{kind:?} {v}");
    }
    // Through the text parser too (a session file's line, an event from the host).
    for (_, v) in samples.iter().filter(|(k, _)| matches!(k, Kind::Record)) {
        let r: SessionRecord = serde_json::from_str(&v.to_string()).unwrap();
        assert_eq!(&serde_json::to_value(r).unwrap(), v);
    }
}

#[test]
fn the_errors_are_the_derived_ones() {
    let cases = [
        (Kind::Event, json!({"type": "banana"})),
        (Kind::Event, json!({"text": "hi"})),
        (Kind::Event, json!({"type": 3})),
        (Kind::Event, json!({"type": "userInput"})),
        (Kind::Event, json!({"type": "userInput", "text": 3})),
        (
            Kind::Event,
            json!({"type": "execExited", "callId": "c", "exitCode": 0, "durationMs": 1.5, "output": ""}),
        ),
        (
            Kind::Event,
            json!({"type": "execExited", "callId": "c", "exitCode": 0, "durationMs": 1, "output": "", "truncatedBytes": null}),
        ),
        (
            Kind::Event,
            json!({"type": "approvalDecided", "requestId": "r", "decision": "maybe"}),
        ),
        (Kind::Event, json!({"type": "rewind", "toUserMessage": -1})),
        (Kind::Event, json!(["userInput", "hi"])),
        (Kind::Event, json!("interrupt")),
        (Kind::Record, json!({"type": "meta", "config": {}})),
        (Kind::Record, json!({"type": "item"})),
        (
            Kind::Record,
            json!({"type": "turnEnded", "status": "done", "usage": {}}),
        ),
        (
            Kind::Record,
            json!({"type": "shown", "item": {"id": "i", "type": "nope"}}),
        ),
        (Kind::Record, json!({"type": "compacted", "items": {}})),
        (
            Kind::Item,
            json!({"type": "file_change", "changes": [], "status": "pending", "diffs": [], "hunk_states": null}),
        ),
        (
            Kind::Item,
            json!({"type": "mcp_tool_call", "server": "s", "tool": "t", "status": "failed"}),
        ),
        (Kind::Item, json!({"type": "Agent_message", "text": "x"})),
    ];
    for (kind, v) in cases {
        let (hand, derived) = both(kind, &v);
        assert!(hand.is_err(), "{kind:?} {v} read as {hand:?}");
        assert_eq!(hand, derived, "{kind:?} {v}");
    }
    let msg = |kind, v: Value| both(kind, &v).0.unwrap_err();
    assert_eq!(
        msg(Kind::Record, json!({"type": "metadata"})),
        "unknown variant `metadata`, expected one of `meta`, `item`, `compacted`, `turnEnded`, \
         `shown`, `approvalAsked`, `approvalAnswered`, `checkpoint`, `rewind`, `filesRestored`"
    );
    assert_eq!(
        msg(Kind::Event, json!({"type": "execOutput", "callId": "c"})),
        "missing field `chunk`"
    );
    assert_eq!(
        msg(Kind::Event, json!({"callId": "c"})),
        "missing field `type`"
    );
    assert_eq!(
        msg(Kind::Item, json!({"type": "reasoning", "text": 1})),
        "invalid type: integer `1`, expected a string"
    );
    // Through the text parser, with the position as before.
    let line = r#"{"type":"checkpoint"}"#;
    let hand = serde_json::from_str::<SessionRecord>(line)
        .unwrap_err()
        .to_string();
    assert!(hand.starts_with("missing field `id`"), "{hand}");
}

/// Every field of every sample dropped, and set to each of a set of values of every JSON kind: the
/// same value or the same error message as the derive (exhaustive, where the property tests below
/// sample).
#[test]
fn every_field_dropped_or_retyped_reads_as_derived() {
    let values = [
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1.5),
        json!(""),
        json!("x"),
        json!("completed"),
        json!([]),
        json!(["a"]),
        json!({}),
        json!({"a": 1}),
    ];
    let mut checked = 0;
    for (kind, v) in samples() {
        let tag = tag_of(kind);
        let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        for key in keys.iter().filter(|k| *k != tag) {
            let mut dropped = v.as_object().unwrap().clone();
            dropped.remove(key);
            let mut variants = vec![Value::Object(dropped)];
            for value in &values {
                let mut m = v.as_object().unwrap().clone();
                m.insert(key.clone(), value.clone());
                variants.push(Value::Object(m));
            }
            for damaged in variants {
                let (hand, derived) = both(kind, &damaged);
                if !sequence_form(&hand) {
                    assert_eq!(hand, derived, "{kind:?} {damaged}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

/// A damage done to a valid object.
#[derive(Clone, Debug)]
enum Damage {
    Drop(usize),
    Set(usize, Value),
    Add(String, Value),
    Tag(Value),
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<u32>().prop_map(Value::from),
        Just(json!(1.5)),
        "[a-z]{0,3}".prop_map(Value::from),
        Just(json!("completed")),
        Just(json!({})),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map("[a-z]{1,2}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn damage() -> impl Strategy<Value = Damage> {
    let all_tags: Vec<&str> = EVENT_TYPES
        .iter()
        .chain(RECORD_TYPES)
        .chain(ITEM_TYPES)
        .chain(FILE_STATES)
        .copied()
        .collect();
    // Values of the right shape for some field somewhere: every field value of every sample.
    let pool: Vec<Value> = samples()
        .into_iter()
        .flat_map(|(_, v)| v.as_object().unwrap().values().cloned().collect::<Vec<_>>())
        .collect();
    let value = prop_oneof![
        2 => prop::sample::select(pool),
        1 => any_json(),
    ];
    prop_oneof![
        3 => any::<usize>().prop_map(Damage::Drop),
        4 => (any::<usize>(), value.clone()).prop_map(|(i, v)| Damage::Set(i, v)),
        1 => ("[a-zA-Z]{1,12}", value).prop_map(|(k, v)| Damage::Add(k, v)),
        2 => prop_oneof![
            3 => prop::sample::select(all_tags).prop_map(Value::from),
            1 => any_json(),
        ]
        .prop_map(Damage::Tag),
    ]
}

fn apply(kind: Kind, value: &Value, damages: &[Damage]) -> Value {
    let tag = tag_of(kind);
    let mut m = value.as_object().unwrap().clone();
    for d in damages {
        let keys: Vec<String> = m.keys().filter(|k| *k != tag).cloned().collect();
        match d.clone() {
            Damage::Drop(i) if !keys.is_empty() => {
                m.remove(&keys[i % keys.len()]);
            }
            Damage::Set(i, v) if !keys.is_empty() => {
                m.insert(keys[i % keys.len()].clone(), v);
            }
            Damage::Drop(_) | Damage::Set(..) => {
                m.remove(tag);
            }
            Damage::Add(k, v) => {
                m.insert(k, v);
            }
            Damage::Tag(t) => {
                m.insert(tag.into(), t);
            }
        }
    }
    Value::Object(m)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// One damage: the same result, or the same error message.
    #[test]
    fn one_damage_reads_as_derived(i in any::<usize>(), d in damage()) {
        let samples = samples();
        let (kind, v) = &samples[i % samples.len()];
        let damaged = apply(*kind, v, std::slice::from_ref(&d));
        let (hand, derived) = both(*kind, &damaged);
        // Another variant's tag can leave several fields missing or wrong, and so can an object (or
        // a list of them) put where a struct goes: which fault the message names first may differ
        // (the hand readers go by the type's field order, serde by the object's key order; see
        // json_read.rs), as long as both refuse.
        let several_faults = match &d {
            Damage::Tag(_) => true,
            Damage::Set(_, v) | Damage::Add(_, v) => matches!(v, Value::Object(_) | Value::Array(_)),
            Damage::Drop(_) => false,
        };
        if several_faults && hand.is_err() && derived.is_err() || sequence_form(&hand) {
            return Ok(());
        }
        prop_assert_eq!(hand, derived, "{:?} {}", kind, damaged);
    }

    /// Several damages: both read the same value, or both refuse.
    #[test]
    fn damaged_objects_read_as_derived(i in any::<usize>(), ds in prop::collection::vec(damage(), 1..5)) {
        let samples = samples();
        let (kind, v) = &samples[i % samples.len()];
        let damaged = apply(*kind, v, &ds);
        let (hand, derived) = both(*kind, &damaged);
        match (&hand, &derived) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            _ if sequence_form(&hand) => {}
            _ => prop_assert!(false, "{:?} {}: hand {:?}, derived {:?}", kind, damaged, hand, derived),
        }
    }

    /// Anything at all: both refuse or both read the same.
    #[test]
    fn any_json_reads_as_derived(v in any_json(), k in 0..4u8) {
        let kind = [Kind::Event, Kind::Record, Kind::Item, Kind::File][k as usize];
        let (hand, derived) = both(kind, &v);
        if sequence_form(&hand) {
            return Ok(());
        }
        prop_assert_eq!(hand.is_ok(), derived.is_ok(), "{}", v);
        if let (Ok(a), Ok(b)) = (hand, derived) {
            prop_assert_eq!(a, b);
        }
    }
}
