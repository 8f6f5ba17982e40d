//! The sidecar protocol's shapes live in the `tack-protocol` crate (protocol/src/sidecar.rs), which
//! the core uses too; this module names them for the sidecar's code.
pub use tack_protocol::codes;
pub use tack_protocol::sidecar::*;
pub use tack_protocol::SandboxMode;
