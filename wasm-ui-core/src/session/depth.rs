//! Nesting limits for what comes in from outside (model stream events, tool arguments). Deeply
//! nested JSON is never useful here and recursion over it (conversion, cloning, serialising) can
//! exhaust the WebAssembly stack, which traps instead of failing. Every check here is iterative.

use serde_json::Value;

/// The deepest a raw model event may nest. Real Responses and Chat events nest under ten levels.
pub const MAX_EVENT_DEPTH: usize = 64;

/// The deepest a tool call's JSON arguments may nest.
pub const MAX_ARGUMENT_DEPTH: usize = 64;

/// Whether `value` nests deeper than `max` (a scalar has depth 0, `[]` and `{}` depth 1).
pub fn value_exceeds(value: &Value, max: usize) -> bool {
    let mut stack: Vec<(&Value, usize)> = vec![(value, 0)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &Value>> = match v {
            Value::Array(a) => Box::new(a.iter()),
            Value::Object(o) => Box::new(o.values()),
            _ => continue,
        };
        if depth + 1 > max {
            return true;
        }
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    false
}

/// Whether JSON text nests deeper than `max`, counting `[` and `{` outside strings. It looks only at
/// the brackets, so it answers for text that is not valid JSON too (the parser reports that).
pub fn text_exceeds(text: &str, max: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Builds `[[[...0...]]]` `depth` levels deep without recursion (tests and fuzzing).
pub fn nested_array(depth: usize) -> Value {
    let mut v = Value::from(0);
    for _ in 0..depth {
        v = Value::Array(vec![v]);
    }
    v
}

/// Takes a value apart without recursion, so dropping a deep value cannot exhaust the stack.
pub fn dismantle(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(a) => stack.extend(a),
            Value::Object(o) => stack.extend(o.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_depth_is_measured_without_recursion() {
        assert!(!value_exceeds(&Value::from(1), 0));
        assert!(!value_exceeds(&serde_json::json!([]), 1));
        assert!(value_exceeds(&serde_json::json!([]), 0));
        assert!(!value_exceeds(&serde_json::json!({"a": [{"b": 1}]}), 3));
        assert!(value_exceeds(&serde_json::json!({"a": [{"b": [1]}]}), 3));
        let deep = nested_array(100_000);
        assert!(value_exceeds(&deep, MAX_EVENT_DEPTH));
        assert!(!value_exceeds(
            &nested_array(MAX_EVENT_DEPTH),
            MAX_EVENT_DEPTH
        ));
        dismantle(deep);
    }

    #[test]
    fn text_depth_ignores_brackets_in_strings() {
        assert!(!text_exceeds(r#"{"a": "[[[[[[[[[["}"#, 2));
        assert!(!text_exceeds(r#"{"a": "\"[[[[[[[["}"#, 2));
        assert!(text_exceeds(r#"{"a": [[1]]}"#, 2));
        assert!(!text_exceeds(r#"{"a": [[1]]}"#, 3));
        assert!(text_exceeds(&"[".repeat(5000), MAX_ARGUMENT_DEPTH));
        assert!(!text_exceeds("not json at all", 0));
    }
}
