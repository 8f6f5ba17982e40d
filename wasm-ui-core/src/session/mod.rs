//! The agent session as a state machine: events in, effects out.
