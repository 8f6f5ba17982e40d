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

/// A JSON value as compact text, as `value.to_string()` writes it. `Value`'s `Display` carries
/// serde_json's pretty printer as well (it honours `{:#}`), a second and third writer instance in
/// the module; this goes through the writer the boundary already uses.
pub fn json_text(value: &serde_json::Value) -> String {
    // Writing a `Value` cannot fail: its map keys are strings.
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::Value;

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            ".*".prop_map(Value::from),
        ];
        leaf.prop_recursive(3, 32, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec((".*", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// The same text as `Value`'s Display (`value.to_string()`, `{value}`), which it replaces.
        #[test]
        fn json_text_is_value_display(value in json()) {
            prop_assert_eq!(crate::json_text(&value), value.to_string());
            prop_assert_eq!(crate::json_text(&value), format!("{value}"));
        }
    }
}
