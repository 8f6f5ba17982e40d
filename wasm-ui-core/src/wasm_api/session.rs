//! The session's JavaScript face: `new Session(config)`, `handle(event) -> Effect[]`, and
//! `Session.restore(config, records)` to resume from a session file. Every value crosses as JSON
//! text (see `wasm_api/mod.rs`); extension/src/host/core.ts stringifies and parses on the host side.

use super::json::{from_text, to_text, too_deep};
use crate::session::json_read::FromJson;
use crate::session::{self, depth, AgentConfig, SessionEvent, SessionRecord};
use wasm_bindgen::prelude::*;

/// Levels an event adds around its payload (`{type, data: ...}`, a file map, ...).
const EVENT_WRAPPER_DEPTH: usize = 4;
/// Session records hold history items (model output) inside two levels of wrapper, in an array.
pub(super) const RECORDS_DEPTH: usize = depth::MAX_EVENT_DEPTH + 8;

fn parse_config(config: &str) -> Result<AgentConfig, JsError> {
    if too_deep(config, RECORDS_DEPTH) {
        return Err(JsError::new("invalid agent config: nested too deeply"));
    }
    super::json::parse(config)
        .and_then(AgentConfig::from_json)
        .map_err(|e| JsError::new(&format!("invalid agent config: {e}")))
}

#[wasm_bindgen]
pub struct Session {
    inner: session::Session,
    /// The bodies of the model requests among the effects last returned, as JSON text, oldest
    /// first (see `effects_text`).
    request_bodies: std::collections::VecDeque<String>,
}

#[wasm_bindgen]
impl Session {
    /// `config`: an `AgentConfig` as JSON text.
    #[wasm_bindgen(constructor)]
    pub fn new(config: &str) -> Result<Session, JsError> {
        Ok(Session {
            request_bodies: Default::default(),
            inner: session::Session::new(parse_config(config)?),
        })
    }

    /// Rebuilds a session from its records (`SessionRecord[]` as JSON text, in file order).
    pub fn restore(config: &str, records: &str) -> Result<Session, JsError> {
        if too_deep(records, RECORDS_DEPTH) {
            return Err(JsError::new("invalid session records: nested too deeply"));
        }
        let records: Vec<SessionRecord> = from_text(records)
            .map_err(|e| JsError::new(&format!("invalid session records: {e}")))?;
        let inner = session::Session::restore(parse_config(config)?, &records)
            .map_err(|e| JsError::new(&e))?;
        Ok(Session {
            inner,
            request_bodies: Default::default(),
        })
    }

    /// One event (`SessionEvent` as JSON text) in, the effects (`Effect[]` as JSON text) out.
    /// An event nested too deeply is refused with an error, never parsed; a model event that is
    /// fails the turn (the stream cannot be trusted after it).
    pub fn handle(&mut self, event: &str) -> Result<String, JsError> {
        let max = depth::MAX_EVENT_DEPTH + EVENT_WRAPPER_DEPTH;
        if too_deep(event, max) {
            if super::json::top_level_type(event) == Some("modelEvent") {
                let effects = self.reject_too_deep();
                return self.effects_text(effects);
            }
            return Err(JsError::new(&format!(
                "invalid session event: nested deeper than {max} levels"
            )));
        }
        let event: SessionEvent =
            from_text(event).map_err(|e| JsError::new(&format!("invalid session event: {e}")))?;
        let effects = self.inner.handle(event);
        self.effects_text(effects)
    }

    /// One raw SSE `data:` payload (a Responses event or a Chat chunk, the JSON text as the server
    /// sent it): the same as `handle({type: "modelEvent", data})` without the host parsing and
    /// re-serialising it. Text that is not JSON fails the turn like any unreadable model event.
    #[wasm_bindgen(js_name = handleModelEvent)]
    pub fn handle_model_event(&mut self, data: &str) -> Result<String, JsError> {
        if too_deep(data, depth::MAX_EVENT_DEPTH) {
            let effects = self.reject_too_deep();
            return self.effects_text(effects);
        }
        let effects = match super::json::parse(data) {
            Ok(data) => self.inner.handle(SessionEvent::ModelEvent { data }),
            Err(e) => self.inner.reject_model_event(&format!(
                "the model server sent an event that is not JSON ({e})"
            )),
        };
        self.effects_text(effects)
    }

    /// A model request's body (the whole history, hundreds of KB in a long session) is what the
    /// host POSTs as it is: it leaves the effects as `null` and waits as JSON text for
    /// `takeRequestBody`, so the host neither parses it nor serialises it again.
    fn effects_text(&mut self, mut effects: Vec<session::Effect>) -> Result<String, JsError> {
        self.request_bodies.clear();
        for effect in effects.iter_mut() {
            if let session::Effect::ModelRequest { body, .. } = effect {
                self.request_bodies.push_back(body.take());
            }
        }
        to_text(&effects)
    }

    /// The JSON text of the next model request body among the effects last returned (whose `body`
    /// is `null` there), oldest first; undefined when none is left.
    #[wasm_bindgen(js_name = takeRequestBody)]
    pub fn take_request_body(&mut self) -> Option<String> {
        self.request_bodies.pop_front()
    }

    fn reject_too_deep(&mut self) -> Vec<session::Effect> {
        self.inner
            .reject_model_event(&session::too_deep_event_message())
    }

    /// The conversation as it would be sent (Responses input items, JSON text), for inspection.
    pub fn history(&self) -> Result<String, JsError> {
        to_text(&self.inner.history())
    }

    /// The approvals given for the session (`RememberedApproval[]` as JSON text); revoke one with
    /// the `revokeApproval` event.
    #[wasm_bindgen(js_name = rememberedApprovals)]
    pub fn remembered_approvals(&self) -> Result<String, JsError> {
        to_text(&self.inner.remembered_approvals())
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
