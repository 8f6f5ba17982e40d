//! The session's JavaScript face: `new Session(config)`, `handle(event) -> Effect[]`, and
//! `Session.restore(config, records)` to resume from a session file.

use crate::session::{self, depth, AgentConfig, SessionEvent, SessionRecord};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Levels an event adds around its payload (`{type, data: ...}`, a file map, ...).
const EVENT_WRAPPER_DEPTH: usize = 4;
/// Session records hold history items (model output) inside two levels of wrapper, in an array.
pub(super) const RECORDS_DEPTH: usize = depth::MAX_EVENT_DEPTH + 8;

/// Whether a JS value nests deeper than `max`, walked without recursion (a cycle counts as too
/// deep). Checked before serde-wasm-bindgen converts it: that conversion recurses, and deep enough
/// input overflows the wasm stack, which traps ("memory access out of bounds") instead of failing.
pub(super) fn js_exceeds(value: &JsValue, max: usize) -> bool {
    let mut stack: Vec<(JsValue, usize)> = vec![(value.clone(), 0)];
    while let Some((v, level)) = stack.pop() {
        if !v.is_object() {
            continue;
        }
        if level + 1 > max {
            return true;
        }
        let children = if js_sys::Array::is_array(&v) {
            v.unchecked_into::<js_sys::Array>()
        } else {
            js_sys::Object::values(v.unchecked_ref::<js_sys::Object>())
        };
        stack.extend(children.iter().map(|c| (c, level + 1)));
    }
    false
}

pub(super) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

fn parse_config(config: JsValue) -> Result<AgentConfig, JsError> {
    if js_exceeds(&config, RECORDS_DEPTH) {
        return Err(JsError::new("invalid agent config: nested too deeply"));
    }
    serde_wasm_bindgen::from_value(config)
        .map_err(|e| JsError::new(&format!("invalid agent config: {e}")))
}

#[wasm_bindgen]
pub struct Session {
    inner: session::Session,
}

#[wasm_bindgen]
impl Session {
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Session, JsError> {
        Ok(Session {
            inner: session::Session::new(parse_config(config)?),
        })
    }

    /// Rebuilds a session from its records (`SessionRecord[]`, in file order).
    pub fn restore(config: JsValue, records: JsValue) -> Result<Session, JsError> {
        if js_exceeds(&records, RECORDS_DEPTH) {
            return Err(JsError::new("invalid session records: nested too deeply"));
        }
        let records: Vec<SessionRecord> = serde_wasm_bindgen::from_value(records)
            .map_err(|e| JsError::new(&format!("invalid session records: {e}")))?;
        let inner = session::Session::restore(parse_config(config)?, &records)
            .map_err(|e| JsError::new(&e))?;
        Ok(Session { inner })
    }

    /// One event (`SessionEvent`) in, the effects (`Effect[]`) out.
    /// An event nested too deeply is refused with an error, never converted; a model event that is
    /// fails the turn (the stream cannot be trusted after it).
    pub fn handle(&mut self, event: JsValue) -> Result<JsValue, JsError> {
        if js_exceeds(&event, depth::MAX_EVENT_DEPTH + EVENT_WRAPPER_DEPTH) {
            let kind = js_sys::Reflect::get(&event, &JsValue::from_str("type"))
                .ok()
                .and_then(|t| t.as_string());
            if kind.as_deref() == Some("modelEvent") {
                let message = session::too_deep_event_message();
                return to_js(&self.inner.reject_model_event(&message));
            }
            return Err(JsError::new(&format!(
                "invalid session event: nested deeper than {} levels",
                depth::MAX_EVENT_DEPTH + EVENT_WRAPPER_DEPTH
            )));
        }
        let event: SessionEvent = serde_wasm_bindgen::from_value(event)
            .map_err(|e| JsError::new(&format!("invalid session event: {e}")))?;
        to_js(&self.inner.handle(event))
    }

    /// The conversation as it would be sent (Responses input items), for inspection.
    pub fn history(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.history())
    }

    /// The approvals given for the session (`RememberedApproval[]`); revoke one with the
    /// `revokeApproval` event.
    #[wasm_bindgen(js_name = rememberedApprovals)]
    pub fn remembered_approvals(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.remembered_approvals())
    }

    #[wasm_bindgen(js_name = isTurnRunning)]
    pub fn is_turn_running(&self) -> bool {
        self.inner.is_turn_running()
    }

    /// How many messages the person typed in this session: the number the next one gets (what
    /// the `rewind` event takes).
    #[wasm_bindgen(js_name = typedMessages)]
    pub fn typed_messages(&self) -> u32 {
        self.inner.typed_messages() as u32
    }

    /// The number the chat shows the last typed message under (a Retry's is the message it sent
    /// again; the replay's `user` entries carry the same), or undefined before the first one.
    #[wasm_bindgen(js_name = lastMessageEntry)]
    pub fn last_message_entry(&self) -> Option<u32> {
        self.inner.last_message_entry()
    }
}
