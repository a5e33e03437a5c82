//! The base of a linked row pair: a hash per synced property of what both sides held at the last
//! sync, kept on the environment row as compact text, with the mark the sync leaves on an
//! environment row it trashes ([`TRASHED_BY_SYNC`]).

use std::collections::BTreeMap;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::sync::values::write_form;

pub use crate::sync::columns::BASE_COLUMN;

/// The version tag that starts every encoded base.
const VERSION: &str = "v1";

pub use crate::sync::columns::TRASHED_BY_SYNC;

/// What both rows of a linked pair held at the last sync: a hash of each synced property's
/// canonical JSON text, by the property's name in the environment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Base {
    /// The hash ([`hash_text`]) of each property's canonical text, by environment name.
    pub hashes: BTreeMap<String, u64>,
    /// Whether the sync trashed the environment row this base is on, because its control row was
    /// trashed ([`TRASHED_BY_SYNC`]); the hashes are then those of the last sync before.
    pub trashed_by_sync: bool,
}

impl Base {
    /// This base with the [`TRASHED_BY_SYNC`] mark set.
    pub fn marked_trashed_by_sync(&self) -> Self {
        Self {
            hashes: self.hashes.clone(),
            trashed_by_sync: true,
        }
    }
}

impl Base {
    /// The request JSON that writes this base into [`BASE_COLUMN`].
    pub fn property_value(&self) -> Value {
        write_form("rich_text", &Value::String(encode_base(self)))
    }
}

impl Serialize for Base {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&encode_base(self))
    }
}

/// What a base records for a property in an unsettled conflict first seen without a base: equal
/// to no value's hash, so that the conflict is seen again until someone settles it (a property a
/// base does not name at all was not synced at the last sync: its value then was empty).
pub const UNSETTLED: u64 = 0;

pub use crate::sync::columns::hash_text;

/// A property name with the characters the encoding uses (`%`, `;`, `=`) percent-escaped.
fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '%' => out.push_str("%25"),
            ';' => out.push_str("%3B"),
            '=' => out.push_str("%3D"),
            _ => out.push(c),
        }
    }
    out
}

/// Encodes a base as `v1;<name>=<16 hex digits>;…`, names in order, escaped, and
/// `;trashed-by-sync` last when marked. (An entry of a property always holds an `=`, which a name
/// escapes: the mark, which has none, is never a property.) A base without the mark is the text
/// every version wrote.
pub fn encode_base(base: &Base) -> String {
    let mut out = String::from(VERSION);
    for (name, hash) in &base.hashes {
        out.push(';');
        out.push_str(&escape(name));
        out.push('=');
        out.push_str(&format!("{hash:016x}"));
    }
    if base.trashed_by_sync {
        out.push(';');
        out.push_str(TRASHED_BY_SYNC);
    }
    out
}

/// Decodes [`encode_base`]'s text; `None` (no base) when it is missing, of another version, or
/// malformed in any way. Without the mark, the base is not marked.
pub fn decode_base(text: &str) -> Option<Base> {
    let rest = text.trim().strip_prefix(VERSION)?;
    let mut base = Base::default();
    if rest.is_empty() {
        return Some(base);
    }
    let mut entries: Vec<&str> = rest.strip_prefix(';')?.split(';').collect();
    if entries.last() == Some(&TRASHED_BY_SYNC) {
        entries.pop();
        base.trashed_by_sync = true;
    }
    for entry in entries {
        let (name, hex) = entry.split_once('=')?;
        if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let hash = u64::from_str_radix(hex, 16).ok()?;
        let name = percent_encoding::percent_decode_str(name)
            .decode_utf8()
            .ok()?
            .into_owned();
        if name.is_empty() || base.hashes.insert(name, hash).is_some() {
            return None;
        }
    }
    Some(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_1a_64_matches_the_reference_vectors() {
        assert_eq!(hash_text(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash_text("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash_text("foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn a_base_round_trips_even_with_awkward_names() {
        let base = Base {
            hashes: [("Name", 1), ("a;b=c%d", u64::MAX), ("Ünï", 0)]
                .into_iter()
                .map(|(n, h)| (n.to_owned(), h))
                .collect(),
            trashed_by_sync: false,
        };
        let text = encode_base(&base);
        assert_eq!(decode_base(&text), Some(base.clone()));
        assert_eq!(decode_base("v1"), Some(Base::default()));
        let marked = base.marked_trashed_by_sync();
        let marked_text = encode_base(&marked);
        assert_eq!(marked_text, format!("{text};trashed-by-sync"));
        assert_eq!(decode_base(&marked_text), Some(marked));
        assert_eq!(
            decode_base("v1;trashed-by-sync"),
            Some(Base::default().marked_trashed_by_sync())
        );
    }

    #[test]
    fn a_base_written_before_the_mark_reads_unmarked_and_is_written_back_unchanged() {
        // The text every earlier version wrote: no mark, and encoding it again gives it back
        // byte for byte (so that a base the sync rewrites stays readable by those versions).
        let old = "v1;Hours=af63dc4c8601ec8c;Name=0000000000000001;Stage=cbf29ce484222325";
        let base = decode_base(old).unwrap();
        assert!(!base.trashed_by_sync);
        assert_eq!(base.hashes.len(), 3);
        assert_eq!(encode_base(&base), old);
        // A property named like the mark is escaped with its `=`: never read as the mark.
        let named = Base {
            hashes: [(TRASHED_BY_SYNC.to_owned(), 5)].into_iter().collect(),
            trashed_by_sync: false,
        };
        let text = encode_base(&named);
        assert_eq!(text, "v1;trashed-by-sync=0000000000000005");
        assert_eq!(decode_base(&text), Some(named));
    }

    #[test]
    fn a_malformed_base_is_no_base() {
        for text in [
            "",
            "v2;Name=0000000000000001",
            "v1;Name=1",
            "v1;Name=000000000000000g",
            "v1;Name",
            "v1Name=0000000000000001",
            "v1;Name=0000000000000001;Name=0000000000000002",
            "v1;=0000000000000001",
            "v1;%FF=0000000000000001",
            "v1;trashed-by-sync;Name=0000000000000001",
            "v1;Name=0000000000000001;trashed-by-sync;trashed-by-sync",
            "v1;Name=0000000000000001;trashed-by-syncs",
            "garbage",
        ] {
            assert_eq!(decode_base(text), None, "{text:?}");
        }
    }
}
