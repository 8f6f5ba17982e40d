//! The session's JavaScript face: `new Session(config)`, `handle(event) -> Effect[]`, and
//! `Session.restore(config, records)` to resume from a session file.

use crate::session::{self, AgentConfig, SessionEvent, SessionRecord};
use serde::Serialize;
use wasm_bindgen::prelude::*;

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

fn parse_config(config: JsValue) -> Result<AgentConfig, JsError> {
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
        let records: Vec<SessionRecord> = serde_wasm_bindgen::from_value(records)
            .map_err(|e| JsError::new(&format!("invalid session records: {e}")))?;
        let inner = session::Session::restore(parse_config(config)?, &records)
            .map_err(|e| JsError::new(&e))?;
        Ok(Session { inner })
    }

    /// One event (`SessionEvent`) in, the effects (`Effect[]`) out.
    pub fn handle(&mut self, event: JsValue) -> Result<JsValue, JsError> {
        let event: SessionEvent = serde_wasm_bindgen::from_value(event)
            .map_err(|e| JsError::new(&format!("invalid session event: {e}")))?;
        to_js(&self.inner.handle(event))
    }

    /// The conversation as it would be sent (Responses input items), for inspection.
    pub fn history(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.history())
    }

    #[wasm_bindgen(js_name = isTurnRunning)]
    pub fn is_turn_running(&self) -> bool {
        self.inner.is_turn_running()
    }
}
