//! The agent session as a state machine: events in, effects out.

pub mod depth;
pub(crate) mod json_read;
mod machine;
pub mod mcp;
mod no_sandbox;
pub mod protocol;
mod readers;
pub mod replay;
pub mod rewind;
pub mod stream;
pub(crate) mod tagged;

pub use machine::{
    review_text, too_deep_event_message, Session, ABORTED_OUTPUT, READ_ONLY_PATCH, TURN_ABORTED,
};
pub use protocol::*;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_mcp;
#[cfg(test)]
mod tests_media;
#[cfg(test)]
mod tests_safety;
#[cfg(test)]
mod tests_shell;

#[cfg(test)]
mod compat_tests;
#[cfg(test)]
mod json_read_tests;
#[cfg(test)]
mod readers_tests;
#[cfg(test)]
mod tests_review;
#[cfg(test)]
mod tests_rewind;
