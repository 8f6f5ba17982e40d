//! The JavaScript face of the core (wasm-bindgen). Values cross as plain JS objects
//! (serde-wasm-bindgen) whose TypeScript types are generated from the Rust types by ts-rs.

use wasm_bindgen::prelude::*;

pub mod engines;
pub mod history;
pub mod session;

/// The core's version, so the host can check it loaded the module it was built with.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

// The engines' functions (apply_patch, diff) and the session's class each live in their own file.
