//! Images and hosted tools in the session: whether the model takes images (`AgentConfig.vision`),
//! the user message with the images the person attached, `view_image` left out for a model without
//! vision, and the provider's hosted web search (Responses only): the tool declared and its
//! `web_search_call` items shown as they complete (they go back in the history as the model sent
//! them, through `stream.rs`).

use super::*;

/// The answer to a `view_image` call when the model does not take images.
pub const NO_VISION_VIEW_IMAGE: &str = "view_image is not available: this model does not take \
images, so no image was attached. Describe what you need from the file another way (read it as \
text, or ask the user).";

/// The turn's error when the person attached images for a model that does not take them.
pub fn no_vision_message(model: &str, count: usize) -> String {
    format!(
        "{model} does not take images, so the {} attached image{} cannot be sent and nothing was sent. \
Remove the image{} or choose a model with vision (if this model does take images, set tack.modelVision \
or pass --vision yes).",
        count,
        if count == 1 { "" } else { "s" },
        if count == 1 { "" } else { "s" },
    )
}

/// The user message: the text, then each image (`data:` URLs the host made).
pub fn user_message_with_images(text: &str, images: &[String]) -> Value {
    let mut message = prompt::user_message(text);
    if let Some(parts) = message["content"].as_array_mut() {
        // Only images the host made: a data: URL, never an address the provider would fetch.
        parts.extend(
            images
                .iter()
                .filter(|url| url.starts_with("data:image/"))
                .map(|url| crate::json_value!({"type": "input_image", "image_url": url})),
        );
    }
    message
}

/// What a `web_search_call` item did, in a few words for the chat.
pub fn web_search_query(item: &Value) -> String {
    let action = &item["action"];
    let text = |v: &Value| v.as_str().map(str::to_string);
    match action["type"].as_str() {
        Some("open_page") => text(&action["url"]).map(|u| format!("opened {u}")),
        Some("find_in_page") | Some("find") => {
            let pattern = text(&action["pattern"]).unwrap_or_default();
            let url = text(&action["url"]).unwrap_or_default();
            Some(format!("looked for \"{pattern}\" in {url}"))
        }
        _ => text(&action["query"]).or_else(|| {
            action["queries"]
                .as_array()
                .map(|qs| qs.iter().filter_map(Value::as_str).collect::<Vec<_>>())
                .filter(|qs| !qs.is_empty())
                .map(|qs| qs.join("; "))
        }),
    }
    .or_else(|| text(&item["query"]))
    .unwrap_or_default()
}

impl Session {
    /// Whether the model takes images (unknown models are assumed to).
    pub(super) fn takes_images(&self) -> bool {
        self.cfg.vision != Some(false)
    }

    /// Refuses a turn whose images this model cannot take: nothing goes in the history and no
    /// request is made; the turn ends failed with a message that says what to do.
    /// Returns false when the input may go on.
    pub(super) fn refuse_images(&mut self, images: &[String], out: &mut Vec<Effect>) -> bool {
        if images.is_empty() || self.takes_images() {
            return false;
        }
        let message = no_vision_message(&self.cfg.model, images.len());
        emit(out, ThreadEvent::TurnStarted {});
        emit(
            out,
            ThreadEvent::TurnFailed {
                error: ThreadError {
                    message: message.clone(),
                    reason: None,
                },
            },
        );
        out.push(Effect::TurnEnded {
            status: TurnStatus::Failed,
            usage: Usage::default(),
            error: Some(message),
        });
        true
    }

    /// The request's tools as the model's abilities and the settings say: no `view_image` without
    /// vision; the hosted web search when it is on and the wire is Responses.
    pub(super) fn adjust_tools(&self, body: &mut Value) {
        let Some(tools) = body.get_mut("tools").and_then(Value::as_array_mut) else {
            return;
        };
        if !self.takes_images() {
            tools.retain(|t| t["name"] != "view_image" && t["function"]["name"] != "view_image");
        }
        if self.cfg.web_search == Some(true) && self.cfg.wire == Wire::Responses {
            tools.push(crate::json_value!({"type": "web_search"}));
        }
    }

    /// A hosted web search the model made, shown as one completed item.
    pub(super) fn show_web_search(&mut self, query: String, out: &mut Vec<Effect>) {
        let id = self.new_item_id();
        let details = items::web_search(query);
        started(out, &id, details.clone());
        completed(out, &id, details);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_query_is_read_from_each_action_shape() {
        let q = |v: Value| web_search_query(&v);
        assert_eq!(
            q(
                json!({"type": "web_search_call", "action": {"type": "search", "query": "rust image crate"}})
            ),
            "rust image crate"
        );
        assert_eq!(
            q(json!({"action": {"type": "search", "queries": ["a", "b"]}})),
            "a; b"
        );
        assert_eq!(
            q(json!({"action": {"type": "open_page", "url": "https://example.com/"}})),
            "opened https://example.com/"
        );
        assert_eq!(
            q(json!({"action": {"type": "find_in_page", "url": "https://e.com/", "pattern": "x"}})),
            "looked for \"x\" in https://e.com/"
        );
        assert_eq!(q(json!({"status": "completed"})), "");
    }

    #[test]
    fn images_follow_the_text_in_one_user_message() {
        let m = user_message_with_images("look", &["data:image/png;base64,AAA".to_string()]);
        assert_eq!(m["role"], "user");
        assert_eq!(m["content"][0]["text"], "look");
        assert_eq!(m["content"][1]["type"], "input_image");
        assert_eq!(m["content"][1]["image_url"], "data:image/png;base64,AAA");
        let m = user_message_with_images("x", &["https://intranet/secret.png".to_string()]);
        assert_eq!(m["content"].as_array().unwrap().len(), 1);
    }
}
