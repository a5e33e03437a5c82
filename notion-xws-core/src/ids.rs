//! Notion object IDs as types.
//!
//! Every Notion object (page, database, data source, block, view, user, …) is named by a 128-bit ID.
//! Since API version 2025-09-03 a database ID and a data-source ID are different values that the
//! API does not accept in each other's place, so each kind of ID here is its own type: a function
//! that needs a [`DataSourceId`] cannot be handed a [`DatabaseId`] by mistake. Conversions between
//! kinds exist only where Notion itself makes them true (a page is a block, so a [`PageId`] is a
//! [`BlockId`]) and are otherwise explicit ([`ObjectId`] is what a link names before the API says
//! what it is).
//!
//! Parsing accepts the 32-hex-digit form and the dashed form, in any case, with surrounding
//! whitespace. The canonical form, used by `Display` and serde, is lowercase and dashed. The UUID
//! version digit is not checked: Notion's newer IDs are version 8.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a piece of text is not a Notion ID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdError {
    /// The text is empty or only whitespace.
    #[error("the ID is empty")]
    Empty,
    /// The text has the wrong number of hex digits.
    #[error("an ID has 32 hex digits, this one has {found}")]
    WrongLength {
        /// How many hex digits were found.
        found: usize,
    },
    /// A character that is neither a hex digit nor a dash in the right place.
    #[error("an ID holds only hex digits, found {found:?} at position {position}")]
    NotHex {
        /// The character found.
        found: char,
        /// Its zero-based character position in the trimmed text.
        position: usize,
    },
    /// Dashes that are not at positions 8, 13, 18 and 23 of the 36-character form.
    #[error("the dashes of a dashed ID go after hex digits 8, 12, 16 and 20")]
    MisplacedDash,
}

/// Positions of the dashes in the canonical 36-character form.
const DASHES: [usize; 4] = [8, 13, 18, 23];

/// Parses the 128-bit value of an ID written as 32 hex digits or in the dashed form.
fn parse_raw(text: &str) -> Result<u128, IdError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    let mut value: u128 = 0;
    let mut digits = 0usize;
    let mut dashes = Vec::with_capacity(4);
    for (position, c) in text.chars().enumerate() {
        if c == '-' {
            dashes.push(position);
            continue;
        }
        let Some(digit) = c.to_digit(16) else {
            return Err(IdError::NotHex { found: c, position });
        };
        digits += 1;
        if digits <= 32 {
            value = (value << 4) | u128::from(digit);
        }
    }
    if digits != 32 {
        return Err(IdError::WrongLength { found: digits });
    }
    if !dashes.is_empty() && dashes != DASHES {
        return Err(IdError::MisplacedDash);
    }
    Ok(value)
}

/// Writes a 128-bit value in the canonical lowercase dashed form.
fn fmt_dashed(value: u128, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let hex = format!("{value:032x}");
    write!(
        f,
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

macro_rules! notion_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u128);

        impl $name {
            /// The kind of object this ID names, in words (for messages).
            pub const KIND: &'static str = $kind;

            /// Parses 32 hex digits or the dashed form, any case, surrounding whitespace allowed.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                parse_raw(text).map(Self)
            }

            /// The ID from its 128-bit value.
            pub const fn from_u128(value: u128) -> Self {
                Self(value)
            }

            /// The 128-bit value.
            pub const fn as_u128(self) -> u128 {
                self.0
            }

            /// The 32 lowercase hex digits without dashes, as Notion's links write them.
            pub fn simple(self) -> String {
                format!("{:032x}", self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt_dashed(self.0, f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(text: &str) -> Result<Self, IdError> {
                Self::parse(text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

notion_id!(
    /// The ID that a link or a registry cell names before the API says what kind of object it is.
    ///
    /// The path of a Notion link names a page or a database and cannot tell which; this type holds
    /// such an ID until it is resolved. Convert it with `PageId::from(id)`, `DatabaseId::from(id)` …
    /// once the kind is known.
    ObjectId,
    "object"
);

notion_id!(
    /// A database: the container that holds one or more data sources (API 2025-09-03 and later).
    ///
    /// Links name databases, never data sources; `GET /v1/databases/{id}` lists its data sources.
    DatabaseId,
    "database"
);
notion_id!(
    /// A data source: the table inside a database that has a schema and rows.
    ///
    /// Queries and schema changes take this ID, not the [`DatabaseId`].
    DataSourceId,
    "data source"
);
notion_id!(
    /// A page, including a row of a data source.
    PageId,
    "page"
);
notion_id!(
    /// A block. Every page is also a block (see `From<PageId> for BlockId`).
    BlockId,
    "block"
);
notion_id!(
    /// A view of a database: the `v=` of a link. Not a database, not a data source.
    ViewId,
    "view"
);
notion_id!(
    /// A user or a bot, as known in one workspace. The same person has another ID elsewhere.
    UserId,
    "user"
);
notion_id!(
    /// A workspace, as `GET /v1/users/me` reports it for a token.
    WorkspaceId,
    "workspace"
);
notion_id!(
    /// A file upload of the File Upload API.
    FileUploadId,
    "file upload"
);
notion_id!(
    /// The ID Notion gives each API request (`request_id`), for support tickets.
    RequestId,
    "request"
);

impl From<PageId> for BlockId {
    fn from(id: PageId) -> Self {
        Self(id.0)
    }
}

impl From<DatabaseId> for BlockId {
    fn from(id: DatabaseId) -> Self {
        Self(id.0)
    }
}

/// Each kind of ID to and from [`ObjectId`].
macro_rules! into_object_id {
    ($($name:ident),*) => {$(
        impl From<$name> for ObjectId {
            fn from(id: $name) -> Self {
                Self(id.0)
            }
        }

        impl From<ObjectId> for $name {
            fn from(id: ObjectId) -> Self {
                Self(id.0)
            }
        }
    )*};
}
into_object_id!(
    DatabaseId,
    DataSourceId,
    PageId,
    BlockId,
    ViewId,
    UserId,
    WorkspaceId,
    FileUploadId,
    RequestId
);

/// The ID of a property within one data source's schema (`"title"`, `"f%5C%5C%3Ap"`, …).
///
/// Not a UUID: a short URL-encoded string, stable across renames, meaningful only in its data
/// source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PropertyId(String);

impl PropertyId {
    /// A property ID as Notion wrote it.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The ID as Notion wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PropertyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DASHED: &str = "5b8f0c1d-e2a3-4f67-89ab-cdef01234567";

    #[test]
    fn parses_both_forms_any_case_with_whitespace() {
        for text in [
            DASHED,
            "5b8f0c1de2a34f6789abcdef01234567",
            "5B8F0C1DE2A34F6789ABCDEF01234567",
            "  5b8f0c1d-E2A3-4f67-89ab-cdef01234567\n",
        ] {
            assert_eq!(PageId::parse(text).unwrap().to_string(), DASHED, "{text}");
        }
    }

    #[test]
    fn version_digit_is_not_checked() {
        let id = DataSourceId::parse("393abc1e-edcd-81e9-afca-e7cba9d39cff").unwrap();
        assert_eq!(id.to_string(), "393abc1e-edcd-81e9-afca-e7cba9d39cff");
        assert_eq!(id.simple(), "393abc1eedcd81e9afcae7cba9d39cff");
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(PageId::parse("   "), Err(IdError::Empty));
        assert_eq!(
            PageId::parse("5b8f0c1de2a34f6789abcdef0123456"),
            Err(IdError::WrongLength { found: 31 })
        );
        assert_eq!(
            PageId::parse("5b8f0c1de2a34f6789abcdef012345678"),
            Err(IdError::WrongLength { found: 33 })
        );
        assert_eq!(
            PageId::parse("5b8f0c1de2a34f6789abcdef0123456g"),
            Err(IdError::NotHex {
                found: 'g',
                position: 31
            })
        );
        assert_eq!(
            PageId::parse("5b8f0c1de-2a3-4f67-89ab-cdef01234567"),
            Err(IdError::MisplacedDash)
        );
        assert_eq!(
            PageId::parse("{5b8f0c1d-e2a3-4f67-89ab-cdef01234567}"),
            Err(IdError::NotHex {
                found: '{',
                position: 0
            })
        );
    }

    #[test]
    fn serde_uses_the_canonical_form() {
        let id: DatabaseId = serde_json::from_str("\"5B8F0C1DE2A34F6789ABCDEF01234567\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{DASHED}\""));
        assert!(serde_json::from_str::<DatabaseId>("\"nope\"").is_err());
    }

    #[test]
    fn a_page_is_a_block() {
        let page = PageId::parse(DASHED).unwrap();
        assert_eq!(BlockId::from(page).to_string(), DASHED);
    }

    proptest::proptest! {
        #[test]
        fn every_value_round_trips(value: u128) {
            let id = ViewId::from_u128(value);
            proptest::prop_assert_eq!(ViewId::parse(&id.to_string()).unwrap(), id);
            proptest::prop_assert_eq!(ViewId::parse(&id.simple()).unwrap(), id);
            proptest::prop_assert_eq!(ViewId::parse(&id.simple().to_uppercase()).unwrap(), id);
        }

        #[test]
        fn random_text_never_panics(text in "\\PC*") {
            let _ = UserId::parse(&text);
        }
    }
}
