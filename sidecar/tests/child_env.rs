//! The environment a command gets, through the real sidecar binary: credential-shaped values and
//! credential agents are withheld whatever their names; the request can still set them explicitly.
mod common;

use common::Sidecar;
use serde_json::json;

#[test]
fn credential_shaped_values_and_agent_sockets_do_not_reach_a_command() {
    let mut s = Sidecar::start_with(
        &[
            ("GH_PAT", "ghp_0123456789abcdefghijABCDEFGHIJ012345"),
            (
                "DATABASE_URL",
                "postgres://app:hunter2-db-pass@db.internal:5432/app",
            ),
            (
                "HF_HUB_CREDENTIAL",
                "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
            ),
            ("SSH_AUTH_SOCK", "/tmp/ssh-agent-test/agent.1"),
            ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/0/bus"),
            (
                "CI_JOB_JWT",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fw",
            ),
            ("GIT_AUTHOR_NAME", "Ada Lovelace"),
            ("PUBLIC_URL", "https://example.com/app"),
        ],
        None,
    );
    let e = s.run(json!({"argv": ["env"], "cwd": "/", "tty": false}));
    for leaked in [
        "ghp_0123456789",
        "hunter2-db-pass",
        "hf_AbCdEf",
        "SSH_AUTH_SOCK",
        "DBUS_SESSION_BUS_ADDRESS",
        "eyJhbGciOiJIUzI1NiJ9",
    ] {
        assert!(!e.output.contains(leaked), "{leaked} leaked:\n{}", e.output);
    }
    assert!(
        e.output.contains("GIT_AUTHOR_NAME=Ada Lovelace"),
        "{}",
        e.output
    );
    assert!(
        e.output.contains("PUBLIC_URL=https://example.com/app"),
        "{}",
        e.output
    );

    // Asked for explicitly by the request: passed.
    let e = s.run(json!({
        "argv": ["env"], "cwd": "/", "tty": false,
        "env": {"SSH_AUTH_SOCK": "/tmp/agent.sock", "DATABASE_URL": "postgres://app:given@db/app"},
    }));
    assert!(
        e.output.contains("SSH_AUTH_SOCK=/tmp/agent.sock"),
        "{}",
        e.output
    );
    assert!(
        e.output
            .contains("DATABASE_URL=postgres://app:given@db/app"),
        "{}",
        e.output
    );
}
