//! File uploads: how files are copied into a workspace (`POST /v1/file_uploads`).
//!
//! A Notion-hosted file's URL expires after an hour, so copying a `files` value to another
//! workspace means creating a file upload there (single part, multi part, or `external_url`
//! which Notion fetches itself), then attaching it as `{"type": "file_upload", "file_upload":
//! {"id"}}`.

use serde::{Deserialize, Serialize};

use super::trash::TrashFlags;
use super::user::User;
use super::wire::{JsonMap, Nullable, nullable, object_tag, open_string_enum};
use crate::ids::FileUploadId;

object_tag!(
    /// The `object` of a file upload: `"file_upload"`.
    FileUploadObject = "file_upload"
);

open_string_enum! {
    /// Where a file upload is in its life.
    FileUploadStatus {
        /// Created, waiting for its content.
        Pending = "pending",
        /// Content received; can be attached.
        Uploaded = "uploaded",
        /// Not attached in time.
        Expired = "expired",
        /// The upload (or the import of an external URL) failed.
        Failed = "failed",
    }
}

/// A file upload object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileUpload {
    /// Always `"file_upload"`.
    pub object: FileUploadObject,
    /// The upload's ID.
    pub id: FileUploadId,
    /// When the upload was created (ISO 8601).
    pub created_time: String,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<User>,
    /// When the upload was last edited (ISO 8601).
    pub last_edited_time: String,
    /// When an unattached upload expires (ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub expiry_time: Nullable<String>,
    /// Where to send the content (while pending).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_url: Option<String>,
    /// Where the upload is in its life.
    pub status: FileUploadStatus,
    /// The file's name.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub filename: Nullable<String>,
    /// The file's MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub content_type: Nullable<String>,
    /// The file's size in bytes, once known.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub content_length: Nullable<u64>,
    /// `in_trash` / `archived`.
    #[serde(flatten)]
    pub trash: TrashFlags,
    /// Keys this library does not know (`request_id`, `number_of_parts`, `file_import_result`, …).
    #[serde(flatten)]
    pub extra: JsonMap,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pending_upload_round_trips() {
        let value = json!({
            "object": "file_upload", "id": "393abc1e-edcd-81c2-b028-00b21f81936b",
            "created_time": "2026-07-04T09:11:00.000Z",
            "created_by": {"id": "7775f3a3-893f-43fa-b625-460c61094c78", "type": "bot"},
            "last_edited_time": "2026-07-04T09:11:00.000Z", "expiry_time": "2026-07-04T10:11:00.000Z",
            "upload_url": "https://api.notion.com/v1/file_uploads/393abc1e-edcd-81c2-b028-00b21f81936b/send",
            "in_trash": false, "status": "pending", "filename": "test_file_small.txt",
            "content_type": "text/plain", "content_length": null, "archived": false
        });
        let upload: FileUpload = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(upload.status, FileUploadStatus::Pending);
        assert_eq!(upload.content_length, Some(None));
        assert_eq!(serde_json::to_value(&upload).unwrap(), value);
    }
}
