//! Whether an object is in the trash: `in_trash`, and the `archived` of API versions before
//! 2026-03-11.
//!
//! API version 2025-09-03 sends both keys; 2026-03-11 sends only `in_trash`; older request bodies
//! and responses may carry only `archived`. [`TrashFlags`] keeps whichever keys were present (so a
//! value is written back as it came) and [`TrashFlags::in_trash`] reads `archived` as an alias
//! when `in_trash` is missing.

use serde::{Deserialize, Serialize};

/// The `in_trash` and `archived` keys of an object, each kept only if it was present.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashFlags {
    /// `in_trash` as Notion sent it (2025-09-03 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_trash: Option<bool>,
    /// `archived` as Notion sent it (before 2026-03-11; same meaning as `in_trash`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
}

impl TrashFlags {
    /// Flags that say "in the trash" or "not in the trash" with the current key only.
    pub fn new(in_trash: bool) -> Self {
        Self {
            in_trash: Some(in_trash),
            archived: None,
        }
    }

    /// Whether the object is in the trash: `in_trash`, else `archived`, else `false`.
    pub fn in_trash(&self) -> bool {
        self.in_trash.or(self.archived).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn archived_is_read_when_in_trash_is_missing() {
        let flags: TrashFlags = serde_json::from_value(json!({"archived": true})).unwrap();
        assert!(flags.in_trash());
        assert_eq!(
            serde_json::to_value(flags).unwrap(),
            json!({"archived": true})
        );
    }

    #[test]
    fn in_trash_wins_over_archived() {
        let flags: TrashFlags =
            serde_json::from_value(json!({"in_trash": false, "archived": true})).unwrap();
        assert!(!flags.in_trash());
        assert_eq!(
            serde_json::to_value(flags).unwrap(),
            json!({"in_trash": false, "archived": true})
        );
    }

    #[test]
    fn neither_key_means_not_in_trash_and_writes_nothing() {
        let flags = TrashFlags::default();
        assert!(!flags.in_trash());
        assert_eq!(serde_json::to_value(flags).unwrap(), json!({}));
    }
}
