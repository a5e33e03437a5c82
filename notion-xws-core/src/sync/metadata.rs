//! A database's metadata — its title, description, icon and cover — carried from a source to its
//! copies: [`DatabaseLook`] (what was read of each side) and the pure [`plan_look`], which says
//! what one `PATCH /v1/databases/{id}` changes in a copy, if anything.
//!
//! Title and description are carried as plain text. The copy's description holds the source's,
//! then the sync's marker on a line of its own ([`copy_description`]): the marker finds the copy
//! again after a crash, so it is always kept. An icon or cover is carried when another workspace
//! can show it as it is (an emoji, an external link); a Notion-hosted file (whose link expires)
//! or a custom emoji (its workspace's own) is not, and the plan says so. Notion's API cannot
//! remove a database's icon or cover: one the source dropped stays on the copy, and the plan says
//! so too.

use serde::Serialize;

use crate::model::params::UpdateDatabase;
use crate::model::{Cover, Database, FileObject, FileSource, Icon, RichText};
use crate::sync::values::{SEGMENT_LIMIT, split_utf16};

/// A database's title, description (as plain text), icon and cover.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DatabaseLook {
    /// The title.
    pub title: String,
    /// The description.
    pub description: String,
    /// The icon.
    pub icon: Option<Icon>,
    /// The cover.
    pub cover: Option<Cover>,
}

impl DatabaseLook {
    /// The look of a database that was read.
    pub fn of(database: &Database) -> Self {
        Self {
            title: RichText::concat_plain_text(&database.title),
            description: RichText::concat_plain_text(&database.description),
            icon: database.icon.clone(),
            cover: database.cover.clone(),
        }
    }

    /// The icon, when another workspace can show it as it is.
    pub fn portable_icon(&self) -> Option<&Icon> {
        self.icon.as_ref().filter(|icon| portable(icon))
    }

    /// The cover, when another workspace can show it as it is.
    pub fn portable_cover(&self) -> Option<&Cover> {
        self.cover.as_ref().filter(|cover| portable(cover))
    }
}

/// Whether an icon or cover can be shown by another workspace as it is: an emoji or an external
/// link (a Notion-hosted file's link expires within the hour, a custom emoji is its workspace's).
fn portable(file: &FileObject) -> bool {
    matches!(file.source, FileSource::Emoji(_) | FileSource::External(_))
}

/// The description a copy carries: the source's, then `marker` on a line of its own (the marker
/// alone when the source has none).
pub fn copy_description(source: &str, marker: &str) -> String {
    let source = source.trim_end();
    if source.is_empty() {
        marker.to_owned()
    } else {
        format!("{source}\n{marker}")
    }
}

/// `text` as rich text to write: plain segments within Notion's limit per segment.
pub fn plain_rich_text(text: &str) -> Vec<RichText> {
    split_utf16(text, SEGMENT_LIMIT)
        .into_iter()
        .map(RichText::text)
        .collect()
}

/// What a copy (`copy`, whose description should end with `marker`) lacks of its source's look:
/// the body of one `PATCH /v1/databases/{id}` (`None` when they agree), and notes for what
/// cannot follow. Pure.
pub fn plan_look(
    source: &DatabaseLook,
    copy: &DatabaseLook,
    marker: &str,
) -> (Option<UpdateDatabase>, Vec<String>) {
    let mut update = UpdateDatabase::default();
    let mut notes = Vec::new();
    if copy.title != source.title {
        update.title = Some(plain_rich_text(&source.title));
    }
    let description = copy_description(&source.description, marker);
    if copy.description != description {
        update.description = Some(plain_rich_text(&description));
    }
    for (what, wanted, has, set) in [
        ("icon", &source.icon, &copy.icon, &mut update.icon),
        ("cover", &source.cover, &copy.cover, &mut update.cover),
    ] {
        match wanted {
            Some(file) if portable(file) => {
                let same = has.as_ref().map(|f| &f.source) == Some(&file.source);
                *set = (!same).then(|| file.clone());
            }
            Some(_) => notes.push(format!(
                "the source database's {what} is a file hosted by Notion or a custom emoji: not \
                 copied"
            )),
            None if has.is_some() => notes.push(format!(
                "the source database has no {what}, and Notion's API cannot remove the copy's: \
                 remove it by hand"
            )),
            None => {}
        }
    }
    (
        Some(update).filter(|u| *u != UpdateDatabase::default()),
        notes,
    )
}

/// The fields an update changes (`title`, `description`, `icon`, `cover`), for the report.
pub fn changed_fields(update: &UpdateDatabase) -> String {
    [
        ("title", update.title.is_some()),
        ("description", update.description.is_some()),
        ("icon", update.icon.is_some()),
        ("cover", update.cover.is_some()),
    ]
    .iter()
    .filter(|(_, changed)| *changed)
    .map(|(name, _)| *name)
    .collect::<Vec<_>>()
    .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn file(value: serde_json::Value) -> FileObject {
        serde_json::from_value(value).unwrap()
    }

    fn look(title: &str, description: &str, icon: Option<FileObject>) -> DatabaseLook {
        DatabaseLook {
            title: title.into(),
            description: description.into(),
            icon,
            cover: None,
        }
    }

    #[test]
    fn an_unchanged_copy_needs_no_write_and_the_marker_is_kept() {
        let emoji = file(json!({"type": "emoji", "emoji": "📋"}));
        let source = look("Tasks", "Our tasks", Some(emoji.clone()));
        let copy = look("Tasks", "Our tasks\nnotion-xws target of a b", Some(emoji));
        assert_eq!(
            plan_look(&source, &copy, "notion-xws target of a b"),
            (None, vec![])
        );

        let renamed = look("Jobs", "", None);
        let (update, notes) = plan_look(&renamed, &copy, "notion-xws target of a b");
        let update = update.unwrap();
        assert_eq!(changed_fields(&update), "title, description");
        let text = RichText::concat_plain_text(update.description.as_ref().unwrap());
        assert_eq!(text, "notion-xws target of a b");
        assert_eq!(notes.len(), 1, "the icon cannot be removed: {notes:?}");
    }

    #[test]
    fn a_hosted_icon_is_not_copied_and_an_external_cover_is() {
        let hosted = file(
            json!({"type": "file", "file": {"url": "https://s3/x.png", "expiry_time": "2026-01-01T00:00:00.000Z"}}),
        );
        let mut source = look("Tasks", "", Some(hosted));
        source.cover = Some(file(
            json!({"type": "external", "external": {"url": "https://e.com/c.png"}}),
        ));
        let copy = look("Tasks", "m", None);
        let (update, notes) = plan_look(&source, &copy, "m");
        let update = update.unwrap();
        assert_eq!(changed_fields(&update), "cover");
        assert!(notes[0].contains("icon"), "{notes:?}");
    }

    #[test]
    fn a_long_description_is_cut_into_segments() {
        let text = "é".repeat(4500);
        assert_eq!(plain_rich_text(&text).len(), 3);
        assert_eq!(copy_description("  ", "m"), "m");
    }
}
