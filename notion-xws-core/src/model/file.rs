//! Files, icons and covers: a file hosted by Notion (`url` + `expiry_time`), an external URL, a
//! file upload, an emoji or a custom emoji.
//!
//! The same tagged shape serves page and database icons and covers, `files` property values
//! (which add a `name`) and file blocks. Notion-hosted URLs expire after an hour: to copy a file
//! to another workspace, re-upload it (see [`FileUpload`](super::FileUpload)).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reference::Reference;
use super::wire::{JsonMap, kind_object, serde_via_json_object, typed_payload};
use crate::ids::FileUploadId;

/// A file, icon or cover.
#[derive(Debug, Clone, PartialEq)]
pub struct FileObject {
    /// Where the file is.
    pub source: FileSource,
    /// The file's name (`files` property values).
    pub name: Option<String>,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know (`caption`, …), kept as they came.
    pub extra: JsonMap,
}

/// A page's or database's icon.
pub type Icon = FileObject;

/// A page's or database's cover.
pub type Cover = FileObject;

/// Where a [`FileObject`] is.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FileSource {
    /// A file hosted by Notion (`type: "file"`), with a URL that expires.
    File(HostedFile),
    /// An external URL (`type: "external"`).
    External(ExternalFile),
    /// A file upload to attach (`type: "file_upload"`, `{"id": …}`).
    FileUpload(Reference<FileUploadId>),
    /// An emoji (`type: "emoji"`), icons only.
    Emoji(String),
    /// A custom emoji of the workspace (`type: "custom_emoji"`), icons only.
    CustomEmoji(CustomEmoji),
    /// A kind this library does not know (Notion's own `icon`s, …), kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

/// A file hosted by Notion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostedFile {
    /// A signed URL, valid for about an hour.
    pub url: String,
    /// When `url` stops working (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiry_time: Option<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A file at an external URL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalFile {
    /// The URL.
    pub url: String,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// A custom emoji of a workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomEmoji {
    /// The emoji's ID (per workspace).
    pub id: String,
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Keys this library does not know, kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl FileObject {
    /// A file of the given source, written with `type`.
    pub fn new(source: FileSource) -> Self {
        Self {
            source,
            name: None,
            explicit_type: true,
            extra: JsonMap::new(),
        }
    }

    /// An emoji icon.
    pub fn emoji(emoji: impl Into<String>) -> Self {
        Self::new(FileSource::Emoji(emoji.into()))
    }

    /// An external file.
    pub fn external(url: impl Into<String>) -> Self {
        Self::new(FileSource::External(ExternalFile {
            url: url.into(),
            extra: JsonMap::new(),
        }))
    }

    /// A file upload to attach.
    pub fn file_upload(id: FileUploadId) -> Self {
        Self::new(FileSource::FileUpload(Reference::new(id)))
    }
}

typed_payload! {
    FileSource {
        File = "file",
        External = "external",
        FileUpload = "file_upload",
        Emoji = "emoji",
        CustomEmoji = "custom_emoji",
    }
}

kind_object!(FileObject { name, @source: "a file" });

serde_via_json_object!(FileObject);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> FileObject {
        let file: FileObject = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&file).unwrap(), value);
        file
    }

    #[test]
    fn every_source_round_trips() {
        let hosted = round_trip(json!({
            "name": "a.pdf", "type": "file",
            "file": {"url": "https://prod-files-secure.s3.us-west-2.amazonaws.com/a.pdf",
                     "expiry_time": "2026-07-04T10:11:00.000Z"}
        }));
        assert!(matches!(
            hosted.source,
            FileSource::File(HostedFile {
                expiry_time: Some(_),
                ..
            })
        ));
        round_trip(json!({"type": "external", "external": {"url": "https://example.com/a.png"}}));
        round_trip(
            json!({"type": "file_upload", "file_upload": {"id": "393abc1e-edcd-81c2-b028-00b21f81936b"}}),
        );
        assert_eq!(
            round_trip(json!({"type": "emoji", "emoji": "🔥"})),
            FileObject::emoji("🔥")
        );
        round_trip(
            json!({"type": "custom_emoji", "custom_emoji": {"id": "1", "name": "party", "url": "https://x/y.png"}}),
        );
        let unknown =
            round_trip(json!({"type": "icon", "icon": {"name": "pizza", "color": "blue"}}));
        assert!(matches!(unknown.source, FileSource::Unknown { .. }));
    }
}
