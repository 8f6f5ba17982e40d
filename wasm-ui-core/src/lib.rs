//! Tack's pure core. Everything here is a function of its inputs: no files, no clock, no network, no
//! randomness. The extension and the CLI feed it events and carry out the effects it returns.

pub use tack_diff as diff;
pub mod patch;
pub mod plan;
pub mod prompt;
pub mod session;
pub mod tools;
pub mod vec_map;
pub mod wasm_api;
