//! Deserialisation of the internally tagged enums (`{"type": "x", ...fields}`) without serde's
//! buffered `Content`. The derived code for `#[serde(tag = ...)]` (and for `#[serde(flatten)]`)
//! buffers the input as `Content` and instantiates its whole deserialiser for every variant: in the
//! wasm module that was the largest single cost (about 190 KB). Here the input is read as a JSON map
//! (the one `serde_json::Value` parser every value goes through anyway), the tag is taken out, and
//! the rest is read as the matching variant of a mirror enum in serde's default (externally tagged)
//! form, `{"x": {...fields}}`, which serde reads directly. Wire shapes do not change: the enum keeps
//! its `#[serde(tag = ...)]` for serialising and for ts-rs; only its `Deserialize` is this one.

use serde::de::{DeserializeOwned, Deserializer, Error};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Reads an internally tagged object as `T`, the externally tagged mirror of the enum.
pub(crate) fn untag<'de, T: DeserializeOwned, D: Deserializer<'de>>(
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
        Some(other) => Err(E::custom(format_args!("`{key}` is not a string: {other}"))),
        None => Err(E::missing_field(key)),
    }
}

/// Declares an internally tagged enum exactly as written, and its `Deserialize` through [`untag`]:
/// `tag` is the enum's serde tag, `mirror` its other enum-level serde attributes (renames). Every
/// variant is a struct variant or a unit variant; unit variants read as `{tag: name}` alone.
macro_rules! internally_tagged {
    (
        tag = $tag:literal, mirror = #[$mirror:meta];
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

            impl<'de> serde::Deserialize<'de> for $name {
                fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                    $crate::session::tagged::untag::<Mirror, D>(d, $tag).map(Self::from)
                }
            }
        };
    };
}

pub(crate) use internally_tagged;

/// `ThreadItem` is `{id, ...details}` (`#[serde(flatten)]`): the id taken out, the rest is the details.
impl<'de> Deserialize<'de> for super::ThreadItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Map::deserialize(deserializer)?;
        let id = take_string(&mut fields, "id")?;
        let details =
            super::ItemDetails::deserialize(Value::Object(fields)).map_err(D::Error::custom)?;
        Ok(super::ThreadItem { id, details })
    }
}

/// `FileReview` is `{path, landed?, ...outcome}` (`#[serde(flatten)]`).
impl<'de> Deserialize<'de> for super::FileReview {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut fields = Map::deserialize(deserializer)?;
        let path = take_string(&mut fields, "path")?;
        let landed = match fields.remove("landed") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                return Err(D::Error::custom(format_args!(
                    "`landed` is not a string: {other}"
                )))
            }
        };
        let outcome = super::FileReviewOutcome::deserialize(Value::Object(fields))
            .map_err(D::Error::custom)?;
        Ok(super::FileReview {
            path,
            outcome,
            landed,
        })
    }
}
