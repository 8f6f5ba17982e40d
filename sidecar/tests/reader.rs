//! The real binary's JSON-RPC reader under hostile lines: deep nesting, a line past the size limit,
//! bytes that are not UTF-8. Each gets a JSON-RPC error with a null id; the sidecar keeps serving.
mod common;

use common::Sidecar;
use serde_json::{json, Value};

#[test]
fn hostile_lines_get_errors_and_the_sidecar_keeps_serving() {
    let mut s = Sidecar::start();
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    s.send_raw(&deep);
    let e = s.response(&Value::Null);
    assert_eq!(e["error"]["code"], -32700, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("parse error"),
        "{e}"
    );

    s.send_raw(&"x".repeat(64 * 1024 * 1024 + 1));
    let e = s.response(&Value::Null);
    assert_eq!(e["error"]["code"], -32600, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("longer than"),
        "{e}"
    );

    s.send_raw("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"init\u{fffd}\"}\u{0}garbage");
    let e = s.response(&Value::Null);
    assert_eq!(e["error"]["code"], -32700, "{e}");

    let r = s.request("initialize", json!({})).expect("still serving");
    assert_eq!(r["version"], env!("CARGO_PKG_VERSION"));
}
