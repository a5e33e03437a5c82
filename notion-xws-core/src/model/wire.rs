//! How the models take Notion's JSON objects apart and put them back together, losslessly.
//!
//! Most Notion objects are *type-tagged*: `{"type": "select", "select": {…}, …}`, where the key
//! of the payload is the value of `type`. Request bodies often leave `type` out
//! (`{"select": {"name": "Done"}}`). The types here read both forms, infer a missing `type` from
//! the payload key, remember whether `type` was written, and keep every key they do not know, so
//! that a value read can be written back exactly as it came.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// A JSON object (string keys, any values, in the order read).
pub type JsonMap = serde_json::Map<String, Value>;

/// A field that may be absent, `null` or set: `None` is absent, `Some(None)` is `null`.
///
/// Used where Notion sends `null` in one place and leaves the key out in another, so that both
/// are written back as they came (and so that a request can say "clear this" with `null`).
pub type Nullable<T> = Option<Option<T>>;

/// The error of a JSON shape that does not fit a model.
pub(crate) fn shape_error(message: impl std::fmt::Display) -> serde_json::Error {
    <serde_json::Error as serde::de::Error>::custom(message)
}

/// Removes `key` from `map` and reads it as `T` (`None` when the key is absent).
pub(crate) fn take<T: DeserializeOwned>(
    map: &mut JsonMap,
    key: &str,
) -> Result<Option<T>, serde_json::Error> {
    map.remove(key)
        .map(|value| {
            serde_json::from_value(value).map_err(|error| shape_error(format!("`{key}`: {error}")))
        })
        .transpose()
}

/// Removes `key` from `map` and reads it as `T`, failing when the key is absent.
pub(crate) fn take_required<T: DeserializeOwned>(
    map: &mut JsonMap,
    key: &str,
) -> Result<T, serde_json::Error> {
    take(map, key)?.ok_or_else(|| shape_error(format!("missing field `{key}`")))
}

/// Writes `value` under `key`.
pub(crate) fn put<T: Serialize + ?Sized>(
    map: &mut JsonMap,
    key: &str,
    value: &T,
) -> Result<(), serde_json::Error> {
    map.insert(key.to_owned(), serde_json::to_value(value)?);
    Ok(())
}

/// Writes `value` under `key` unless it is `None` (absent stays absent).
pub(crate) fn put_some<T: Serialize>(
    map: &mut JsonMap,
    key: &str,
    value: &Option<T>,
) -> Result<(), serde_json::Error> {
    match value {
        Some(value) => put(map, key, value),
        None => Ok(()),
    }
}

/// Reads a payload into `T`; an absent payload is an error.
pub(crate) fn payload<T: DeserializeOwned>(
    type_name: &str,
    payload: Option<Value>,
) -> Result<T, serde_json::Error> {
    let value = payload.ok_or_else(|| shape_error(format!("missing `{type_name}` payload")))?;
    serde_json::from_value(value).map_err(|error| shape_error(format!("`{type_name}`: {error}")))
}

/// Reads a payload into `T`, keeping an absent payload absent.
pub(crate) fn optional_payload<T: DeserializeOwned>(
    type_name: &str,
    payload: Option<Value>,
) -> Result<Option<T>, serde_json::Error> {
    payload
        .map(|value| {
            serde_json::from_value(value)
                .map_err(|error| shape_error(format!("`{type_name}`: {error}")))
        })
        .transpose()
}

/// A closed set of payload kinds selected by a `type` key, with a raw fallback.
pub(crate) trait TypedPayload: Sized {
    /// The type names this kind knows, in the order used to infer a missing `type`.
    const KNOWN_TYPES: &'static [&'static str];

    /// Builds the kind from its type name, its payload (the value under the key named by the
    /// type, if present) and the rest of the object (from which it may take more keys).
    fn read(
        type_name: &str,
        payload: Option<Value>,
        rest: &mut JsonMap,
    ) -> Result<Self, serde_json::Error>;

    /// Writes the payload (and any other keys of the kind) into `out`; returns the type name.
    fn write(&self, out: &mut JsonMap) -> Result<String, serde_json::Error>;
}

/// Takes the kind out of `map`: from `type` if present, else from the first known payload key.
///
/// Returns the kind and whether `type` was written, or `None` when the object names no kind.
pub(crate) fn read_kind<K: TypedPayload>(
    map: &mut JsonMap,
) -> Result<Option<(K, bool)>, serde_json::Error> {
    let (type_name, explicit_type) = match map.remove("type") {
        Some(Value::String(type_name)) => (type_name, true),
        Some(other) => return Err(shape_error(format!("`type` is not a string: {other}"))),
        None => match K::KNOWN_TYPES
            .iter()
            .find(|known| map.contains_key(**known))
        {
            Some(known) => ((*known).to_owned(), false),
            None => return Ok(None),
        },
    };
    let payload = map.remove(&type_name);
    K::read(&type_name, payload, map).map(|kind| Some((kind, explicit_type)))
}

/// Like [`read_kind`], failing when the object names no kind.
pub(crate) fn read_required_kind<K: TypedPayload>(
    map: &mut JsonMap,
    what: &str,
) -> Result<(K, bool), serde_json::Error> {
    read_kind(map)?.ok_or_else(|| shape_error(format!("{what} without `type`")))
}

/// Writes the kind into `out`, with `type` when `explicit_type`.
pub(crate) fn write_kind<K: TypedPayload>(
    kind: &K,
    explicit_type: bool,
    out: &mut JsonMap,
) -> Result<(), serde_json::Error> {
    let type_name = kind.write(out)?;
    if explicit_type {
        out.insert("type".to_owned(), Value::String(type_name));
    }
    Ok(())
}

/// Writes a payload under the key `type_name` unless it is absent; returns the type name.
pub(crate) fn write_payload<T: Serialize>(
    out: &mut JsonMap,
    type_name: &str,
    payload: &Option<T>,
) -> Result<String, serde_json::Error> {
    put_some(out, type_name, payload)?;
    Ok(type_name.to_owned())
}

/// Implements [`TypedPayload`] for an enum whose known kinds are newtype variants holding the
/// payload, with a raw `Unknown { type_name, payload }` fallback.
///
/// Each entry is `Variant = "type_name"` (the payload is required), `Variant = optional
/// "type_name"` (the variant holds an `Option`: an absent payload stays absent) or a bare
/// `"type_name"` that the optional `read(…) { arms }` and `write(…) { arms }` sections handle by
/// hand (a kind that takes more keys of the object, or whose payload is a constant). The
/// entries are listed in the order of [`TypedPayload::KNOWN_TYPES`], which is the order used to
/// infer a missing `type`. A type name no arm reads is kept raw in `Unknown`.
///
/// ```text
/// typed_payload! {
///     ParentKind {
///         "data_source_id",
///         Page = "page_id",
///         "workspace",
///     }
///     read(type_name, payload, rest) {
///         "data_source_id" => Self::DataSource { … },
///         "workspace" => …,
///     }
///     write(out) {
///         Self::DataSource { … } => …,
///         Self::Workspace => wire::write_payload(out, "workspace", &Some(true)),
///     }
/// }
/// ```
macro_rules! typed_payload {
    (@read; $type_name:ident, $payload:ident) => {
        $crate::model::wire::payload($type_name, $payload)
    };
    (@read optional; $type_name:ident, $payload:ident) => {
        $crate::model::wire::optional_payload($type_name, $payload)
    };
    (@write_ref; $value:ident) => {
        &Some($value)
    };
    (@write_ref optional; $value:ident) => {
        $value
    };
    (
        $ty:ident { $($entries:tt)* }
        read($type_name:ident, $payload:ident, $rest:ident) { $($read_arms:tt)* }
        write($out:ident) { $($write_arms:tt)* }
    ) => {
        $crate::model::wire::typed_payload!(
            @impl $ty { $($entries)* }
            ($type_name, $payload, $rest, $out)
            { $($read_arms)* }
            { $($write_arms)* }
        );
    };
    ($ty:ident { $($entries:tt)* }) => {
        $crate::model::wire::typed_payload!(
            @impl $ty { $($entries)* } (type_name, payload, _rest, out) {} {}
        );
    };
    (
        @impl $ty:ident {
            $($($variant:ident = $($mode:ident)?)? $name:literal),* $(,)?
        }
        ($type_name:ident, $payload:ident, $rest:ident, $out:ident)
        { $($read_arms:tt)* }
        { $($write_arms:tt)* }
    ) => {
        impl $crate::model::wire::TypedPayload for $ty {
            const KNOWN_TYPES: &'static [&'static str] = &[$($name),*];

            fn read(
                $type_name: &str,
                $payload: Option<serde_json::Value>,
                $rest: &mut $crate::model::wire::JsonMap,
            ) -> Result<Self, serde_json::Error> {
                Ok(match $type_name {
                    $($(
                        $name => Self::$variant($crate::model::wire::typed_payload!(
                            @read $($mode)?; $type_name, $payload
                        )?),
                    )?)*
                    $($read_arms)*
                    _ => Self::Unknown {
                        type_name: $type_name.to_owned(),
                        payload: $payload,
                    },
                })
            }

            fn write(
                &self,
                $out: &mut $crate::model::wire::JsonMap,
            ) -> Result<String, serde_json::Error> {
                match self {
                    $($(
                        Self::$variant(value) => $crate::model::wire::write_payload(
                            $out,
                            $name,
                            $crate::model::wire::typed_payload!(@write_ref $($mode)?; value),
                        ),
                    )?)*
                    $($write_arms)*
                    Self::Unknown { type_name, payload } => {
                        $crate::model::wire::write_payload($out, type_name, payload)
                    }
                }
            }
        }
    };
}
pub(crate) use typed_payload;

/// Implements [`JsonObject`] for a struct of a type-tagged kind with its `explicit_type` and
/// `extra` fields, and optional fields that are read and written under their own names.
///
/// `Struct { before, …, @kind: "what", after, … }`: the fields before `@` are taken from the
/// object before the kind is read and written before it, those after it are taken and written
/// after it (the order of the keys written is the order listed). `@kind: "what"` is a required
/// kind (an object that names none is "what without `type`"); `@kind?` is an `Option` kind,
/// `None` when the object names none.
macro_rules! kind_object {
    ($ty:ident { $($before:ident,)* @$kind:ident: $what:literal $(, $after:ident)* }) => {
        $crate::model::wire::kind_object!(@impl $ty [$($before),*] $kind [$what] [$($after),*]);
    };
    ($ty:ident { $($before:ident,)* @$kind:ident? $(, $after:ident)* }) => {
        $crate::model::wire::kind_object!(@impl $ty [$($before),*] $kind [] [$($after),*]);
    };
    (@read $map:ident [$what:literal]) => {
        $crate::model::wire::read_required_kind(&mut $map, $what)?
    };
    (@read $map:ident []) => {
        match $crate::model::wire::read_kind(&mut $map)? {
            Some((kind, explicit_type)) => (Some(kind), explicit_type),
            None => (None, false),
        }
    };
    (@write $map:ident [$what:literal] $kind:expr, $explicit_type:expr) => {
        $crate::model::wire::write_kind($kind, $explicit_type, &mut $map)?;
    };
    (@write $map:ident [] $kind:expr, $explicit_type:expr) => {
        if let Some(kind) = $kind {
            $crate::model::wire::write_kind(kind, $explicit_type, &mut $map)?;
        }
    };
    (@impl $ty:ident [$($before:ident),*] $kind:ident [$($what:literal)?] [$($after:ident),*]) => {
        impl $crate::model::wire::JsonObject for $ty {
            fn from_map(
                mut map: $crate::model::wire::JsonMap,
            ) -> Result<Self, serde_json::Error> {
                $(let $before = $crate::model::wire::take(&mut map, stringify!($before))?;)*
                let ($kind, explicit_type) =
                    $crate::model::wire::kind_object!(@read map [$($what)?]);
                $(let $after = $crate::model::wire::take(&mut map, stringify!($after))?;)*
                Ok(Self {
                    $($before,)*
                    $kind,
                    $($after,)*
                    explicit_type,
                    extra: map,
                })
            }

            fn to_map(&self) -> Result<$crate::model::wire::JsonMap, serde_json::Error> {
                let mut map = self.extra.clone();
                $($crate::model::wire::put_some(&mut map, stringify!($before), &self.$before)?;)*
                $crate::model::wire::kind_object!(
                    @write map [$($what)?] &self.$kind, self.explicit_type
                );
                $($crate::model::wire::put_some(&mut map, stringify!($after), &self.$after)?;)*
                Ok(map)
            }
        }
    };
}
pub(crate) use kind_object;

/// A model that converts to and from a JSON object (serde goes through these two functions).
pub(crate) trait JsonObject: Sized {
    /// Reads the model from a JSON object, keeping unknown keys.
    fn from_map(map: JsonMap) -> Result<Self, serde_json::Error>;
    /// Writes the model as a JSON object, unknown keys included.
    fn to_map(&self) -> Result<JsonMap, serde_json::Error>;
}

/// Implements `Serialize` and `Deserialize` through [`JsonObject`].
macro_rules! serde_via_json_object {
    ($($ty:ty),* $(,)?) => {$(
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let map = $crate::model::wire::JsonObject::to_map(self)
                    .map_err(<S::Error as serde::ser::Error>::custom)?;
                serde::Serialize::serialize(&map, serializer)
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let map = <$crate::model::wire::JsonMap as serde::Deserialize>::deserialize(deserializer)?;
                $crate::model::wire::JsonObject::from_map(map)
                    .map_err(<D::Error as serde::de::Error>::custom)
            }
        }
    )*};
}
pub(crate) use serde_via_json_object;

/// Defines a zero-sized marker for a constant `object` key (`"page"`, `"list"`, …) that writes
/// that string and refuses any other when read.
macro_rules! object_tag {
    ($(#[$doc:meta])* $name:ident = $tag:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
        pub struct $name;

        impl $name {
            /// The value of the `object` key.
            pub const TAG: &'static str = $tag;
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str($tag)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                if text == $tag {
                    Ok($name)
                } else {
                    Err(<D::Error as serde::de::Error>::custom(format!(
                        concat!("expected object \"", $tag, "\", found {:?}"),
                        text
                    )))
                }
            }
        }
    };
}
pub(crate) use object_tag;

/// Defines a string enum with a fallback that keeps values this library does not know yet.
macro_rules! open_string_enum {
    (
        $(#[$doc:meta])* $name:ident {
            $($(#[$variant_doc:meta])* $variant:ident = $text:literal,)*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$variant_doc])* $variant,)*
            /// A value this library does not know yet, as Notion wrote it.
            Other(String),
        }

        impl $name {
            /// The value as Notion writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $text,)*
                    Self::Other(text) => text,
                }
            }

            /// The value for Notion's text.
            pub fn parse(text: &str) -> Self {
                match text {
                    $($text => Self::$variant,)*
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Ok(Self::parse(&text))
            }
        }
    };
}
pub(crate) use open_string_enum;

/// `#[serde(with = "nullable")]` for [`Nullable`] fields: `null` reads as `Some(None)`.
///
/// Pair it with `#[serde(default, skip_serializing_if = "Option::is_none")]` so that an absent
/// key stays absent.
pub(crate) mod nullable {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Writes `Some(None)` as `null` and `Some(Some(v))` as `v`.
    pub(crate) fn serialize<T: Serialize, S: Serializer>(
        value: &Option<Option<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(inner) => inner.serialize(serializer),
            None => serializer.serialize_none(),
        }
    }

    /// Reads a present key (even `null`) as `Some(…)`.
    pub(crate) fn deserialize<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(deserializer).map(Some)
    }
}

/// Serialises a model that is written as a JSON object into that object.
pub(crate) fn to_map<T: Serialize>(value: &T) -> Result<JsonMap, serde_json::Error> {
    match serde_json::to_value(value)? {
        Value::Object(map) => Ok(map),
        other => Err(shape_error(format!(
            "expected a JSON object, found {other}"
        ))),
    }
}

/// Reads a model from a JSON object.
pub(crate) fn from_map<T: DeserializeOwned>(map: JsonMap) -> Result<T, serde_json::Error> {
    serde_json::from_value(Value::Object(map))
}
