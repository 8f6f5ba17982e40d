//! The agent session as a state machine: events in, effects out.

mod machine;
pub mod protocol;
pub mod stream;

pub use machine::{review_text, Session, ABORTED_OUTPUT, TURN_ABORTED};
pub use protocol::*;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod compat_tests;
