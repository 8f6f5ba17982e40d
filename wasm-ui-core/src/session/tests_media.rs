//! Images the person attaches, models without vision, and the hosted web search.

use super::tests::{config, events, fcall, outputs, requests, respond, turn_end};
use super::*;
use serde_json::{json, Value};

const PNG: &str = "data:image/png;base64,iVBORw0KGgo=";

fn with_images(s: &mut Session, text: &str, images: &[&str]) -> Vec<Effect> {
    s.handle(SessionEvent::UserInput {
        text: text.into(),
        editor_context: None,
        images: Some(images.iter().map(|i| i.to_string()).collect()),
    })
}

fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            t["name"]
                .as_str()
                .or(t["function"]["name"].as_str())
                .or(t["type"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn attached_images_follow_the_text_on_both_wires() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    let out = with_images(&mut s, "what is on screen?", &[PNG, PNG]);
    let body = &requests(&out)[0];
    let last = body["input"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "user");
    assert_eq!(last["content"][0]["text"], "what is on screen?");
    assert_eq!(
        last["content"][1],
        json!({"type": "input_image", "image_url": PNG})
    );
    assert_eq!(last["content"].as_array().unwrap().len(), 3);

    let mut s = Session::new(AgentConfig {
        wire: Wire::Chat,
        ..config(ApprovalPolicy::Never)
    });
    let body = &requests(&with_images(&mut s, "look", &[PNG]))[0];
    let last = body["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["role"], "user");
    let parts = last["content"].as_array().unwrap();
    assert!(parts
        .iter()
        .any(|p| p["type"] == "text" && p["text"] == "look"));
    assert!(parts
        .iter()
        .any(|p| p == &json!({"type": "image_url", "image_url": {"url": PNG}})));
    // Roles still alternate: the environment context joined the same user message.
    let roles: Vec<&str> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert!(roles.windows(2).all(|w| w[0] != w[1]), "{roles:?}");
}

#[test]
fn a_model_without_vision_gets_no_image_and_no_view_image() {
    let mut s = Session::new(AgentConfig {
        vision: Some(false),
        ..config(ApprovalPolicy::Never)
    });
    let out = with_images(&mut s, "look", &[PNG]);
    assert!(requests(&out).is_empty(), "nothing is sent");
    assert_eq!(turn_end(&out), Some(TurnStatus::Failed));
    let failed = events(&out)
        .into_iter()
        .find_map(|e| match e {
            ThreadEvent::TurnFailed { error } => Some(error.message),
            _ => None,
        })
        .unwrap();
    assert!(failed.contains("does not take images"), "{failed}");
    assert!(!s.is_turn_running());
    assert!(!s
        .history()
        .iter()
        .any(|i| i.to_string().contains("input_image")));

    // Text alone goes; view_image is not offered, and a call of it anyway is answered plainly.
    let out = with_images(&mut s, "describe logo.png", &[]);
    let body = &requests(&out)[0];
    assert!(!tool_names(body).contains(&"view_image".to_string()));
    let out = respond(
        &mut s,
        &[fcall("v", "view_image", json!({"path": "logo.png"}))],
        10,
    );
    assert!(!out.iter().any(|e| matches!(e, Effect::ReadImage { .. })));
    let body = &requests(&out)[0];
    assert_eq!(outputs(body)[0].1, NO_VISION_VIEW_IMAGE_TEXT);
    assert!(!body.to_string().contains("input_image"));
}

const NO_VISION_VIEW_IMAGE_TEXT: &str = super::machine::NO_VISION_VIEW_IMAGE;

#[test]
fn vision_is_assumed_when_unknown() {
    let mut s = Session::new(config(ApprovalPolicy::Never));
    let body = &requests(&with_images(&mut s, "hi", &[]))[0];
    assert!(tool_names(body).contains(&"view_image".to_string()));
    assert!(!tool_names(body).contains(&"web_search".to_string()));
}

#[test]
fn web_search_is_declared_on_responses_shown_and_sent_back() {
    let mut s = Session::new(AgentConfig {
        web_search: Some(true),
        ..config(ApprovalPolicy::Never)
    });
    let body = &requests(&with_images(&mut s, "what is new in rust?", &[]))[0];
    let tools = body["tools"].as_array().unwrap();
    assert!(tools.contains(&json!({"type": "web_search"})));
    let search = json!({"type": "web_search_call", "id": "ws_1", "status": "completed",
        "action": {"type": "search", "query": "rust 1.95 release notes"}});
    let out = respond(
        &mut s,
        &[
            search.clone(),
            json!({"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Rust 1.95 is out.","annotations":[]}]}),
        ],
        10,
    );
    let shown: Vec<ItemDetails> = events(&out)
        .into_iter()
        .filter_map(|e| match e {
            ThreadEvent::ItemCompleted { item } => Some(item.details),
            _ => None,
        })
        .collect();
    assert_eq!(
        shown[0],
        ItemDetails::WebSearch {
            query: "rust 1.95 release notes".into()
        }
    );
    assert_eq!(turn_end(&out), Some(TurnStatus::Completed));
    // The next request carries the search item back as it came.
    let out = with_images(&mut s, "and 1.96?", &[]);
    let body = &requests(&out)[0];
    assert!(body["input"].as_array().unwrap().contains(&search));
}

#[test]
fn web_search_is_not_declared_on_chat() {
    let mut s = Session::new(AgentConfig {
        web_search: Some(true),
        wire: Wire::Chat,
        ..config(ApprovalPolicy::Never)
    });
    let body = &requests(&with_images(&mut s, "hi", &[]))[0];
    assert!(!body.to_string().contains("web_search"));
}
