//! The JavaScript face of the core (wasm-bindgen). Every structured value crosses as JSON text
//! (`json.rs`: serde_json's parser and hand readers and writers on this side, `JSON.stringify`/
//! `JSON.parse` in extension/src/host/core.ts),
//! typed on the host by the TypeScript types ts-rs generates from the Rust types.

use wasm_bindgen::prelude::*;

pub mod engines;
pub mod history;
mod json;
pub mod session;

/// The core's version, so the host can check it loaded the module it was built with.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

// The engines' functions (apply_patch, diff) and the session's class each live in their own file.
