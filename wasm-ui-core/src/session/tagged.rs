//! Deserialisation of the internally tagged enums (`{"type": "x", ...fields}`) without serde's
//! buffered `Content`. The derived code for `#[serde(tag = ...)]` (and for `#[serde(flatten)]`)
//! buffers the input as `Content` and instantiates its whole deserialiser for every variant: in the
//! wasm module that was the largest single cost (about 190 KB). Here the input is read as a JSON map
//! (the one `serde_json::Value` parser every value goes through anyway), the tag is taken out, and
//! the rest is read as the matching variant of a mirror enum in serde's default (externally tagged)
//! form, `{"x": {...fields}}`, which serde reads directly. Wire shapes do not change: the enum keeps
//! its `#[serde(tag = ...)]` for serialising and for ts-rs; only its `Deserialize` is this one.
//!
//! That mirror's derived reader was itself a visitor per variant, so every such enum is now read by
//! hand, field by field (`RememberScope` and `FileReviewOutcome` below, the others in
//! session/readers.rs), and the mirror is kept only in tests, to check the hand readers against.

use serde::de::{Deserializer, Error};
use serde::Deserialize;
use serde_json::{Error as JsonError, Map, Value};

/// Reads an internally tagged object as `T`, the externally tagged mirror of the enum. Every such
/// enum of the module is now read by hand (here and in session/readers.rs); this is the derived
/// reader the tests check them against.
#[cfg(test)]
pub(crate) fn untag<'de, T: serde::de::DeserializeOwned, D: Deserializer<'de>>(
    deserializer: D,
    tag: &'static str,
) -> Result<T, D::Error> {
    let mut fields = Map::deserialize(deserializer)?;
    let variant = match fields.remove(tag) {
        Some(Value::String(variant)) => variant,
        Some(other) => {
            return Err(D::Error::custom(format_args!(
                "`{tag}` is not a string: {other}"
            )))
        }
        None => return Err(D::Error::missing_field(tag)),
    };
    let mut outer = Map::new();
    outer.insert(variant, Value::Object(fields));
    T::deserialize(Value::Object(outer)).map_err(D::Error::custom)
}

/// Takes a required string field out of a JSON object (for the hand-written `flatten` readers).
pub(crate) fn take_string<E: Error>(
    fields: &mut Map<String, Value>,
    key: &'static str,
) -> Result<String, E> {
    match fields.remove(key) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => {
            let other = crate::json_text(&other);
            Err(E::custom(format_args!("`{key}` is not a string: {other}")))
        }
        None => Err(E::missing_field(key)),
    }
}

/// Declares an internally tagged enum exactly as written, and its `Deserialize` through [`untag`]:
/// `tag` is the enum's serde tag, `mirror` its other enum-level serde attributes (renames). Every
/// variant is a struct variant or a unit variant; unit variants read as `{tag: name}` alone.
///
/// With `read = by_hand` the enum's `Deserialize` is written by hand (session/readers.rs) and the
/// mirror exists only in tests, as `read_derived`: the reader serde's derive gives, which the hand
/// reader is checked against.
macro_rules! internally_tagged {
    (tag = $tag:literal, mirror = #[$mirror:meta]; $($rest:tt)*) => {
        $crate::session::tagged::internally_tagged!(@emit derived, #[cfg(all())], $tag, #[$mirror]; $($rest)*);
    };
    (tag = $tag:literal, mirror = #[$mirror:meta], read = by_hand; $($rest:tt)*) => {
        $crate::session::tagged::internally_tagged!(@emit by_hand, #[cfg(test)], $tag, #[$mirror]; $($rest)*);
    };
    (@read derived, $name:ident, $tag:literal) => {
        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::session::tagged::untag::<Mirror, D>(d, $tag).map(Self::from)
            }
        }
    };
    (@read by_hand, $name:ident, $tag:literal) => {
        impl $name {
            /// The derived reader this enum's hand-written one replaces (tests only).
            pub(crate) fn read_derived(value: serde_json::Value) -> serde_json::Result<Self> {
                $crate::session::tagged::untag::<Mirror, serde_json::Value>(value, $tag).map(Self::from)
            }
        }
    };
    (
        @emit $mode:ident, #[$cfg:meta], $tag:literal, #[$mirror:meta];
        $(#[$attr:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vattr:meta])*
                $variant:ident $({
                    $( $(#[$fattr:meta])* $fvis:vis $field:ident : $fty:ty ),* $(,)?
                })?
            ),* $(,)?
        }
    ) => {
        $(#[$attr])*
        $vis enum $name {
            $(
                $(#[$vattr])*
                $variant $({ $( $(#[$fattr])* $fvis $field : $fty ),* })?
            ),*
        }

        #[$cfg]
        const _: () = {
            // The same variants and fields, every one a struct variant, externally tagged.
            #[derive(serde::Deserialize, ts_rs::TS)]
            #[$mirror]
            enum Mirror {
                $(
                    $(#[$vattr])*
                    $variant { $($( $(#[$fattr])* $field : $fty ),*)? }
                ),*
            }

            impl From<Mirror> for $name {
                fn from(mirror: Mirror) -> Self {
                    match mirror {
                        $( Mirror::$variant { $($($field),*)? } => $name::$variant $({ $($field),* })? ),*
                    }
                }
            }

            $crate::session::tagged::internally_tagged!(@read $mode, $name, $tag);
        };
    };
}

pub(crate) use internally_tagged;

/// `ThreadItem` is `{id, ...details}` (`#[serde(flatten)]`): the id taken out, the rest is the details.
pub(crate) fn read_thread_item(
    mut fields: Map<String, Value>,
) -> Result<super::ThreadItem, JsonError> {
    let id = take_string(&mut fields, "id")?;
    let details = super::readers::read_item_details(fields)?;
    Ok(super::ThreadItem { id, details })
}

/// `FileReview` is `{path, landed?, ...outcome}` (`#[serde(flatten)]`).
pub(crate) fn read_file_review(
    mut fields: Map<String, Value>,
) -> Result<super::FileReview, JsonError> {
    let path = take_string(&mut fields, "path")?;
    let landed = match fields.remove("landed") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            let other = crate::json_text(&other);
            return Err(JsonError::custom(format_args!(
                "`landed` is not a string: {other}"
            )));
        }
    };
    let outcome = read_outcome(&mut fields)?;
    Ok(super::FileReview {
        path,
        outcome,
        landed,
    })
}

/// Reads a JSON map with `read` (one instance per reader, whatever the deserializer).
fn from_map<'de, T, D: Deserializer<'de>>(
    d: D,
    read: fn(Map<String, Value>) -> Result<T, JsonError>,
) -> Result<T, D::Error> {
    read(Map::deserialize(d)?).map_err(D::Error::custom)
}

impl<'de> Deserialize<'de> for super::ThreadItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_map(deserializer, read_thread_item)
    }
}

impl<'de> Deserialize<'de> for super::FileReview {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_map(deserializer, read_file_review)
    }
}

/// Takes a required field out of a JSON object and reads it as `T` (a type whose reader the module
/// has anyway: strings, lists of strings).
fn take<T: super::json_read::FromJson, E: Error>(
    fields: &mut Map<String, Value>,
    key: &'static str,
) -> Result<T, E> {
    let value = fields.remove(key).ok_or_else(|| E::missing_field(key))?;
    T::from_json(value).map_err(E::custom)
}

/// Takes the tag out of an internally tagged object (the messages `untag` gives).
pub(crate) fn take_tag<E: Error>(
    fields: &mut Map<String, Value>,
    tag: &'static str,
) -> Result<String, E> {
    match fields.remove(tag) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => {
            let other = crate::json_text(&other);
            Err(E::custom(format_args!("`{tag}` is not a string: {other}")))
        }
        None => Err(E::missing_field(tag)),
    }
}

const OUTCOMES: &[&str] = &["accepted", "rejected", "partial", "failed"];

/// `FileReviewOutcome` from the fields of a `FileReview` (`{outcome, ...}`), read by hand: the
/// derived reader of its externally tagged mirror was a visitor per variant (with a sequence form
/// nobody sends). Accepts and refuses what the derived one did (tests below).
fn read_outcome<E: Error>(fields: &mut Map<String, Value>) -> Result<super::FileReviewOutcome, E> {
    use super::FileReviewOutcome as O;
    let outcome = take_tag(fields, "outcome")?;
    Ok(match outcome.as_str() {
        "accepted" => O::Accepted,
        "rejected" => O::Rejected,
        "partial" => O::Partial {
            accepted_hunk_ids: take(fields, "acceptedHunkIds")?,
        },
        "failed" => O::Failed {
            message: take(fields, "message")?,
        },
        other => return Err(E::unknown_variant(other, OUTCOMES)),
    })
}

impl<'de> Deserialize<'de> for super::FileReviewOutcome {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_outcome(&mut Map::deserialize(deserializer)?)
    }
}

const SCOPES: &[&str] = &["prefix", "exact", "once", "mcpTool", "mcpServer"];

/// `RememberScope` (`{kind, ...}`), read by hand like `FileReviewOutcome`.
pub(crate) fn read_remember_scope(
    mut fields: Map<String, Value>,
) -> Result<super::RememberScope, JsonError> {
    use super::RememberScope as S;
    let kind = take_tag(&mut fields, "kind")?;
    Ok(match kind.as_str() {
        "prefix" => S::Prefix {
            prefix: take(&mut fields, "prefix")?,
        },
        "exact" => S::Exact {
            argv: take(&mut fields, "argv")?,
        },
        "once" => S::Once,
        "mcpTool" => S::McpTool {
            server: take(&mut fields, "server")?,
            tool: take(&mut fields, "tool")?,
        },
        "mcpServer" => S::McpServer {
            server: take(&mut fields, "server")?,
        },
        other => return Err(JsonError::unknown_variant(other, SCOPES)),
    })
}

impl<'de> Deserialize<'de> for super::RememberScope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        from_map(deserializer, read_remember_scope)
    }
}

#[cfg(test)]
mod tests {
    //! The hand-written readers against the derived ones they replace (serde's derive of the same
    //! enums, internally tagged through the mirror, kept here): the same values for every shape,
    //! the same refusals, and the messages for unknown tags and missing fields.
    use super::super::{FileReview, FileReviewOutcome, RememberScope};
    use proptest::prelude::*;
    use serde_json::{json, Value};

    crate::session::tagged::internally_tagged! {
    tag = "kind", mirror = #[serde(rename_all = "camelCase")];
    #[derive(serde::Serialize, Debug, PartialEq)]
    #[serde(tag = "kind", rename_all = "camelCase")]
    enum DerivedScope {
        Prefix { prefix: Vec<String> },
        Exact { argv: Vec<String> },
        Once,
        McpTool { server: String, tool: String },
        McpServer { server: String },
    }}

    crate::session::tagged::internally_tagged! {
    tag = "outcome", mirror = #[serde(rename_all = "camelCase")];
    #[derive(serde::Serialize, Debug, PartialEq)]
    #[serde(tag = "outcome", rename_all = "camelCase")]
    enum DerivedOutcome {
        Accepted,
        Rejected,
        Partial {
            #[serde(rename = "acceptedHunkIds")]
            accepted_hunk_ids: Vec<String>,
        },
        Failed { message: String },
    }}

    /// Both readers on one value: Ok with the same JSON when written back, or both errors.
    fn same<H, R>(value: &Value) -> Result<(), String>
    where
        H: serde::de::DeserializeOwned + serde::Serialize,
        R: serde::de::DeserializeOwned + serde::Serialize,
    {
        let hand = H::deserialize(value.clone()).map(|v| serde_json::to_value(v).unwrap());
        let derived = R::deserialize(value.clone()).map(|v| serde_json::to_value(v).unwrap());
        match (hand, derived) {
            (Ok(a), Ok(b)) if a == b => Ok(()),
            (Err(_), Err(_)) => Ok(()),
            (a, b) => Err(format!("{value}: hand {a:?}, derived {b:?}")),
        }
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i32>().prop_map(Value::from),
            "[a-z]{0,3}".prop_map(Value::from),
            prop::sample::select(vec![
                "prefix",
                "exact",
                "once",
                "mcpTool",
                "mcpServer",
                "accepted",
                "rejected",
                "partial",
                "failed"
            ])
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(2, 8, 3, |inner| {
            prop::collection::vec(inner, 0..3).prop_map(Value::from)
        })
    }

    /// Objects built from the keys the two enums know, with any values (mostly of the right kind).
    fn object(
        tag: &'static str,
        tags: &'static [&'static str],
        keys: &'static [&'static str],
    ) -> impl Strategy<Value = Value> {
        let value = prop_oneof![
            3 => "[a-z]{0,3}".prop_map(Value::from),
            3 => prop::collection::vec("[a-z]{0,3}".prop_map(Value::from), 0..3).prop_map(Value::from),
            2 => any_json(),
        ];
        let tag_value = prop_oneof![
            6 => prop::sample::select(tags.to_vec()).prop_map(Value::from),
            1 => any_json(),
        ];
        (
            prop::option::weighted(0.9, tag_value),
            prop::collection::vec((prop::sample::select(keys.to_vec()), value), 0..4),
        )
            .prop_map(move |(t, pairs)| {
                let mut m = serde_json::Map::new();
                if let Some(t) = t {
                    m.insert(tag.into(), t);
                }
                for (k, v) in pairs {
                    m.insert(k.into(), v);
                }
                Value::Object(m)
            })
    }

    proptest! {
        #[test]
        fn remember_scope_reads_as_derived(v in prop_oneof![object("kind", super::SCOPES, &["prefix", "argv", "server", "tool", "other"]), any_json()]) {
            same::<RememberScope, DerivedScope>(&v).map_err(TestCaseError::fail)?;
        }

        #[test]
        fn file_review_outcome_reads_as_derived(v in prop_oneof![object("outcome", super::OUTCOMES, &["acceptedHunkIds", "message", "other"]), any_json()]) {
            same::<FileReviewOutcome, DerivedOutcome>(&v).map_err(TestCaseError::fail)?;
        }
    }

    #[test]
    fn every_variant_round_trips_and_the_errors_are_clear() {
        for v in [
            json!({"kind": "prefix", "prefix": ["npm", "test"]}),
            json!({"kind": "exact", "argv": ["ls"]}),
            json!({"kind": "once"}),
            json!({"kind": "mcpTool", "server": "s", "tool": "t"}),
            json!({"kind": "mcpServer", "server": "s"}),
        ] {
            let scope: RememberScope = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&scope).unwrap(), v);
            same::<RememberScope, DerivedScope>(&v).unwrap();
        }
        for v in [
            json!({"path": "a", "outcome": "accepted"}),
            json!({"path": "a", "outcome": "rejected"}),
            json!({"path": "a", "outcome": "partial", "acceptedHunkIds": ["h1"], "landed": "x"}),
            json!({"path": "a", "outcome": "failed", "message": "disk full"}),
        ] {
            let review: FileReview = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(serde_json::to_value(&review).unwrap(), v);
        }
        let err = |v: Value| {
            serde_json::from_value::<RememberScope>(v)
                .unwrap_err()
                .to_string()
        };
        let derived = |v: Value| {
            serde_json::from_value::<DerivedScope>(v)
                .unwrap_err()
                .to_string()
        };
        for v in [
            json!({"kind": "banana"}),
            json!({"prefix": []}),
            json!({"kind": "prefix"}),
            json!({"kind": "mcpTool", "server": "s"}),
            json!({"kind": 3}),
        ] {
            assert_eq!(err(v.clone()), derived(v));
        }
        assert_eq!(
            err(json!({"kind": "banana"})),
            "unknown variant `banana`, expected one of `prefix`, `exact`, `once`, `mcpTool`, `mcpServer`"
        );
        assert_eq!(err(json!({"kind": "prefix"})), "missing field `prefix`");
        let err = |v: Value| {
            serde_json::from_value::<FileReview>(v)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(json!({"path": "a", "outcome": "maybe"})),
            "unknown variant `maybe`, expected one of `accepted`, `rejected`, `partial`, `failed`"
        );
        assert_eq!(
            err(json!({"path": "a", "outcome": "failed"})),
            "missing field `message`"
        );
        assert_eq!(err(json!({"path": "a"})), "missing field `outcome`");
    }
}
