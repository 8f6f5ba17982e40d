//! Tack's pure core. Everything here is a function of its inputs: no files, no clock, no network, no
//! randomness. The extension and the CLI feed it events and carry out the effects it returns.

// The tests build their values with serde_json::json!, which clippy.toml keeps out of the module's
// code for its size; the lib build (clippy without cfg(test)) still checks all of that code.
#![cfg_attr(test, allow(clippy::disallowed_macros))]

pub use tack_diff as diff;
pub mod json_write;
#[cfg(test)]
mod json_write_tests;
pub mod patch;
pub mod plan;
pub mod prompt;
pub mod session;
pub mod tools;
pub mod vec_map;
pub mod wasm_api;

/// A JSON value as compact text, the bytes `value.to_string()` gives, written by hand
/// (json_write.rs): `Value`'s `Display` would carry serde_json's writer and its pretty printer.
pub fn json_text(value: &serde_json::Value) -> String {
    json_write::to_json(value)
}

/// A JSON value built in place, as `serde_json::json!` writes it: objects (`{"key": value, ...}`),
/// arrays (`[value, ...]`), `null`, and any other value through [`ToJsonValue`]. A value that is
/// not a literal, an object or an array and has more than one token is put in parentheses in arrays
/// (`[(a.b)]`); in objects it may be any expression.
///
/// `json!` turns each value that is not a literal object or array (a string literal included) into a
/// `Value` through `serde_json::to_value`, which serialises it: one serialiser instance per type
/// in the module, and a `Value` passed in is copied by serialising it into a new one. This copies
/// with `clone` and converts with `From`, and gives the same value.
#[macro_export]
macro_rules! json_value {
    (null) => {
        ::serde_json::Value::Null
    };
    ([ $($elem:tt),* $(,)? ]) => {
        ::serde_json::Value::Array(vec![$($crate::json_value!($elem)),*])
    };
    ({ $($body:tt)* }) => {{
        #[allow(unused_mut)]
        let mut map = ::serde_json::Map::new();
        $crate::json_value!(@object map $($body)*);
        ::serde_json::Value::Object(map)
    }};
    (@object $map:ident) => {};
    (@object $map:ident $key:literal : null $(, $($rest:tt)*)?) => {
        $map.insert($key.into(), ::serde_json::Value::Null);
        $crate::json_value!(@object $map $($($rest)*)?);
    };
    (@object $map:ident $key:literal : { $($inner:tt)* } $(, $($rest:tt)*)?) => {
        $map.insert($key.into(), $crate::json_value!({ $($inner)* }));
        $crate::json_value!(@object $map $($($rest)*)?);
    };
    (@object $map:ident $key:literal : [ $($inner:tt)* ] $(, $($rest:tt)*)?) => {
        $map.insert($key.into(), $crate::json_value!([ $($inner)* ]));
        $crate::json_value!(@object $map $($($rest)*)?);
    };
    (@object $map:ident $key:literal : $value:expr $(, $($rest:tt)*)?) => {
        $map.insert($key.into(), $crate::ToJsonValue::to_json_value(&$value));
        $crate::json_value!(@object $map $($($rest)*)?);
    };
    ($other:expr) => {
        $crate::ToJsonValue::to_json_value(&$other)
    };
}

/// What [`json_value!`] accepts as a value: the same JSON as `serde_json::to_value` gives for it.
pub trait ToJsonValue {
    fn to_json_value(&self) -> serde_json::Value;
}

impl ToJsonValue for serde_json::Value {
    fn to_json_value(&self) -> serde_json::Value {
        self.clone()
    }
}

impl ToJsonValue for str {
    fn to_json_value(&self) -> serde_json::Value {
        serde_json::Value::String(self.to_string())
    }
}

impl ToJsonValue for String {
    fn to_json_value(&self) -> serde_json::Value {
        serde_json::Value::String(self.clone())
    }
}

impl ToJsonValue for bool {
    fn to_json_value(&self) -> serde_json::Value {
        serde_json::Value::Bool(*self)
    }
}

/// Integers and floats as `Value::from` makes them (a float that is not finite is `null`, as
/// `to_value` makes it).
macro_rules! to_json_value_from {
    ($($t:ty),*) => {$(
        impl ToJsonValue for $t {
            fn to_json_value(&self) -> serde_json::Value {
                serde_json::Value::from(*self)
            }
        }
    )*};
}
to_json_value_from!(i32, u32, u64, f64);

impl<T: ToJsonValue> ToJsonValue for Option<T> {
    fn to_json_value(&self) -> serde_json::Value {
        self.as_ref()
            .map_or(serde_json::Value::Null, ToJsonValue::to_json_value)
    }
}

impl<T: ToJsonValue> ToJsonValue for Vec<T> {
    fn to_json_value(&self) -> serde_json::Value {
        serde_json::Value::Array(self.iter().map(ToJsonValue::to_json_value).collect())
    }
}

impl<T: ToJsonValue + ?Sized> ToJsonValue for &T {
    fn to_json_value(&self) -> serde_json::Value {
        (**self).to_json_value()
    }
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

    /// The same value, and the same text (which tells `-0.0` from `0.0`, equal as values).
    fn same(made: Value, expected: Value) -> Result<(), TestCaseError> {
        prop_assert_eq!(crate::json_text(&made), crate::json_text(&expected));
        prop_assert_eq!(made, expected);
        Ok(())
    }

    /// `json_value!` against `json!` over every kind of value it takes: strings (owned, borrowed,
    /// literal), integers, floats (non-finite ones included), booleans, options, vectors, values,
    /// and objects and arrays nested in each other.
    #[allow(clippy::too_many_arguments)]
    fn json_value_matches(
        s: String,
        n: i32,
        u: u32,
        w: u64,
        f: f64,
        b: bool,
        o: Option<String>,
        v: Value,
        vs: Vec<Value>,
    ) -> Result<(), TestCaseError> {
        let r: &str = &s;
        same(
            crate::json_value!({
                "s": s, "r": r, "lit": "x", "n": n, "u": u, "w": w, "f": f, "b": b, "o": o,
                "v": v, "vs": vs, "null": null, "t": true,
                "nested": {"a": [s, {"b": v}, null, [], {}], "e": {}},
                "expr": (f64::from(u) / 100.0).round() / 10.0,
            }),
            serde_json::json!({
                "s": s, "r": r, "lit": "x", "n": n, "u": u, "w": w, "f": f, "b": b, "o": o,
                "v": v, "vs": vs, "null": null, "t": true,
                "nested": {"a": [s, {"b": v}, null, [], {}], "e": {}},
                "expr": (f64::from(u) / 100.0).round() / 10.0,
            }),
        )?;
        same(
            crate::json_value!([s, r, v, null, [w], "x"]),
            serde_json::json!([s, r, v, null, [w], "x"]),
        )?;
        same(crate::json_value!(s), serde_json::json!(s))?;
        same(crate::json_value!(r), serde_json::json!(r))?;
        same(crate::json_value!(o), serde_json::json!(o))?;
        same(crate::json_value!(f), serde_json::json!(f))?;
        same(crate::json_value!(vs), serde_json::json!(vs))?;
        same(crate::json_value!(null), serde_json::json!(null))?;
        same(crate::json_value!({}), serde_json::json!({}))?;
        same(crate::json_value!([]), serde_json::json!([]))
    }

    /// The case proptest-regressions/lib.txt records as `json_value_is_json`'s failure, shrunk.
    /// Proptest keeps the seed, not the case: replayed, the seed makes the case the shrinking
    /// started from, so the shrunk one is checked here.
    #[test]
    fn json_value_recorded_case() {
        json_value_matches(
            "\u{b}".into(),
            0,
            0,
            0,
            0.0,
            false,
            None,
            Value::Null,
            vec![],
        )
        .unwrap();
    }

    proptest! {
        #[test]
        fn json_value_is_json(
            s in ".*",
            n in any::<i32>(),
            u in any::<u32>(),
            w in any::<u64>(),
            f in prop_oneof![any::<f64>(), Just(f64::NAN), Just(f64::INFINITY), Just(-0.0)],
            b in any::<bool>(),
            o in proptest::option::of(".*"),
            v in json(),
            vs in proptest::collection::vec(json(), 0..3),
        ) {
            json_value_matches(s, n, u, w, f, b, o, v, vs)?;
        }

        /// The same text as `Value`'s Display (`value.to_string()`, `{value}`), which it replaces.
        #[test]
        fn json_text_is_value_display(value in json()) {
            prop_assert_eq!(crate::json_text(&value), value.to_string());
            prop_assert_eq!(crate::json_text(&value), format!("{value}"));
        }
    }
}
