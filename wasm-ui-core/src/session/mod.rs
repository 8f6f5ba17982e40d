//! The agent session as a state machine: events in, effects out.

pub mod protocol;

pub use protocol::*;
