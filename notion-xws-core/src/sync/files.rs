//! Notion-hosted files, re-imported into the other workspace just before a write.
//!
//! A file hosted by Notion is read as a signed URL that expires after an hour, so the planner
//! never copies it as a link: it writes a placeholder ([`HOSTED_FILE_PLACEHOLDER`], with the
//! file's name and position) and [`resolve_hosted_files`] replaces it right before the write.
//! For each placeholder it reads the row it copies *from* again (one `GET /v1/pages/{id}` per
//! row, however many files), takes the fresh URL of the hosted file at that position and name,
//! asks the workspace written to import it (`POST /v1/file_uploads`, mode `external_url`),
//! waits until Notion says the import is `uploaded` (`GET /v1/file_uploads/{id}`, a bounded
//! number of times, on tokio's clock), and writes `{"type": "file_upload", "file_upload":
//! {"id"}}` in its place. A write without a placeholder makes no request here.
//!
//! An import is not a write of the page: an upload whose creation timed out is simply made
//! again (an upload never attached expires harmlessly), and the page write that follows keeps
//! its own idempotence (the resolved body is the one sent again). A file that cannot be imported
//! (the source row gone, the import `failed`, still pending after the last check) is a
//! [`FileImportError`] that names the file and says what to do; the rest of the row is still
//! written, without that file ([`OnFailure`]).
//!
//! Page content goes the same way ([`reimport_media`], used by
//! [`content`](super::content)): a media block holding a hosted file is written with a file
//! upload made from the URL of the body as just read, or, when that URL has expired since
//! ([`URL_FRESH_FOR`]), from a fresh read of the block. Both paths end in [`reimport`]: one
//! upload, its status checks, one reference.

use std::borrow::Cow;
use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::options::ExecuteOptions;
use super::values::{HOSTED_FILE_PLACEHOLDER, copied_files};
use crate::client::NotionClient;
use crate::error::Error;
use crate::ids::{BlockId, FileUploadId, PageId};
use crate::model::params::{CreateFileUpload, PART_BYTES};
use crate::model::{Block, FileSource, FileUpload, FileUploadStatus, Page, PropertyValueKind};

/// Why a Notion-hosted file was not copied. Each message says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FileImportError {
    /// The row the file is copied from could not be read again.
    #[error(
        "the row {row} it is copied from could not be read ({cause}); if the row was deleted \
         nothing is lost, else the next run copies the file"
    )]
    SourceUnreadable {
        /// The row copied from.
        row: PageId,
        /// Why.
        cause: String,
    },
    /// The row copied from no longer holds a hosted file of that name.
    #[error(
        "the row {row} it is copied from no longer holds a Notion-hosted file of that name \
         (changed since the plan); the next run plans from a fresh read"
    )]
    FileGone {
        /// The row copied from.
        row: PageId,
    },
    /// Notion refused to create the file upload, or could not be asked.
    #[error(
        "the file upload could not be created ({cause}); check that the workspace written to \
         accepts files of this name and size (its plan's upload limit), then run again"
    )]
    UploadRefused {
        /// Why.
        cause: String,
    },
    /// Notion tried to import the file and failed.
    #[error(
        "Notion could not import it (file upload {upload}: {message}); check that the file can \
         still be downloaded from the row it is copied from, then run again"
    )]
    ImportFailed {
        /// The file upload.
        upload: FileUploadId,
        /// Notion's reason, when it gave one.
        message: String,
    },
    /// Notion would not import the URL, and sending the file's bytes failed too.
    #[error(
        "Notion could not import it ({import}), and sending its bytes failed too ({cause}); \
         check that the file can still be downloaded from the row it is copied from and fits \
         the workspace's upload limit, then run again"
    )]
    SendFailed {
        /// Why the import was not done.
        import: String,
        /// Why sending the bytes failed.
        cause: String,
    },
    /// The import was still not done after the last check.
    #[error(
        "file upload {upload} was still not imported after {checks} check(s) over {waited_secs} s; \
         run again (the unused upload expires by itself), or raise the file import wait"
    )]
    ImportTimedOut {
        /// The file upload.
        upload: FileUploadId,
        /// How many times its status was read.
        checks: u32,
        /// How long was waited, in seconds.
        waited_secs: u64,
    },
}

/// A Notion-hosted file that a write left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedFile {
    /// The property (its name on the side written).
    pub property: String,
    /// The file's name.
    pub name: String,
    /// Why it was left out.
    pub error: FileImportError,
}

impl std::fmt::Display for FailedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "hosted file {:?} of {:?} not copied: {}",
            self.name, self.property, self.error
        )
    }
}

/// What a write does without a file that could not be imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnFailure {
    /// Writes the property without that file (the other files arrive): a one-way copy, where the
    /// next run sees the difference and tries again.
    DropFile,
    /// Leaves the whole property out of the write, so that the side written keeps the value it
    /// had: a two-way pair, whose base must not record a value that neither side holds.
    DropProperty,
}

/// A write with its placeholders resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved<'a> {
    /// The properties to send (borrowed when there was no placeholder).
    pub properties: Cow<'a, Map<String, Value>>,
    /// Hosted files imported.
    pub imported: usize,
    /// Hosted files left out, and why.
    pub failed: Vec<FailedFile>,
    /// The properties left out ([`OnFailure::DropProperty`]).
    pub dropped_properties: Vec<String>,
}

/// A placeholder found in a write: its property, its index in the written array, the position
/// and name of the hosted file it stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Placeholder {
    property: String,
    index: usize,
    position: usize,
    name: String,
}

/// The placeholders of a write's `files` values, in order.
fn placeholders(properties: &Map<String, Value>) -> Vec<Placeholder> {
    let mut found = Vec::new();
    for (property, value) in properties {
        let Some(files) = value.get("files").and_then(Value::as_array) else {
            continue;
        };
        for (index, entry) in files.iter().enumerate() {
            if entry.get("type").and_then(Value::as_str) != Some(HOSTED_FILE_PLACEHOLDER) {
                continue;
            }
            let position = entry[HOSTED_FILE_PLACEHOLDER]["position"]
                .as_u64()
                .and_then(|p| usize::try_from(p).ok())
                .unwrap_or(index);
            found.push(Placeholder {
                property: property.clone(),
                index,
                position,
                name: entry["name"].as_str().unwrap_or_default().to_owned(),
            });
        }
    }
    found
}

/// How many hosted files a write would re-import (for a plan's counts).
pub fn hosted_files_in(properties: &Map<String, Value>) -> usize {
    placeholders(properties).len()
}

/// The fresh URL of the hosted file a placeholder stands for: the one at its position when it
/// has its name there, else the first of that name not taken yet.
fn fresh_url<'p>(
    page: &'p Page,
    placeholder: &Placeholder,
    taken: &mut HashSet<(String, usize)>,
) -> Option<&'p str> {
    let PropertyValueKind::Files(files) = &page.properties.get(&placeholder.property)?.value else {
        return None;
    };
    let hosted: Vec<(usize, &str, &str)> = copied_files(files)
        .enumerate()
        .filter_map(|(position, file)| match &file.source {
            FileSource::File(hosted) => Some((
                position,
                file.name.as_deref().unwrap_or_default(),
                hosted.url.as_str(),
            )),
            _ => None,
        })
        .collect();
    let same_name = |(_, name, _): &&(usize, &str, &str)| *name == placeholder.name;
    let chosen = hosted
        .iter()
        .filter(same_name)
        .find(|(position, _, _)| *position == placeholder.position)
        .or_else(|| {
            hosted.iter().filter(same_name).find(|(position, _, _)| {
                !taken.contains(&(placeholder.property.clone(), *position))
            })
        })?;
    taken.insert((placeholder.property.clone(), chosen.0));
    Some(chosen.2)
}

/// Re-imports a hosted file into `target` from a fresh signed `url`: creates an `external_url`
/// upload (made again once if its outcome is unknown: an unattached upload is harmless), waits
/// until it is imported, and gives the reference to write in the file's place
/// (`{"type": "file_upload", "file_upload": {"id"}}`, to which a files entry adds its `name` and
/// a media block its `caption`). The one path of every hosted file the sync copies.
pub async fn reimport(
    target: &NotionClient,
    url: &str,
    name: &str,
    options: &ExecuteOptions,
) -> Result<Map<String, Value>, FileImportError> {
    let upload = import(target, url, name, options).await?;
    let mut reference = Map::new();
    reference.insert("type".into(), json!("file_upload"));
    reference.insert("file_upload".into(), json!({ "id": upload }));
    Ok(reference)
}

/// Creates the upload of [`reimport`] and waits until it is imported; when Notion will not
/// import the URL (it refuses it, or the import ends `failed`), sends the file's bytes instead
/// ([`send_bytes`]).
async fn import(
    target: &NotionClient,
    url: &str,
    name: &str,
    options: &ExecuteOptions,
) -> Result<FileUploadId, FileImportError> {
    let request = CreateFileUpload::from_external_url(url, name);
    let upload = match target.create_file_upload(&request).await {
        Err(Error::AmbiguousWrite { .. }) => target.create_file_upload(&request).await,
        other => other,
    };
    let upload = match upload {
        Ok(upload) => upload,
        // Notion could not take the URL (it must reach it and read its size and type first).
        Err(error @ Error::Validation(_)) => {
            return send_bytes(target, url, name).await.map_err(|cause| {
                FileImportError::SendFailed {
                    import: error.to_string(),
                    cause,
                }
            });
        }
        Err(error) => {
            return Err(FileImportError::UploadRefused {
                cause: error.to_string(),
            });
        }
    };
    match wait_for_import(target, upload, options).await {
        Err(FileImportError::ImportFailed { upload, message }) => send_bytes(target, url, name)
            .await
            .map_err(|cause| FileImportError::SendFailed {
                import: format!("file upload {upload}: {message}"),
                cause,
            }),
        other => other,
    }
}

/// Copies a file by its bytes: downloads it from its signed `url`, then sends it to a new
/// upload of the target, in one part up to 20 MiB, else in parts of 10 MiB
/// ([`CreateFileUpload::for_bytes`]) ended by `complete`. Gives the upload, `uploaded`, or
/// why it is not.
pub async fn send_bytes(
    target: &NotionClient,
    url: &str,
    name: &str,
) -> Result<FileUploadId, String> {
    let bytes = target.download(url).await.map_err(|e| e.to_string())?;
    let request = CreateFileUpload::for_bytes(name, bytes.len() as u64);
    let parts = request.number_of_parts.unwrap_or(1);
    // Not made again when its outcome is unknown: an upload never sent to expires harmlessly,
    // and the next run copies the file.
    let upload = target
        .create_file_upload(&request)
        .await
        .map_err(|e| e.to_string())?;
    let done = if parts == 1 {
        target
            .send_file_upload(upload.id, name, None, bytes, None)
            .await
    } else {
        let size = usize::try_from(PART_BYTES).unwrap_or(usize::MAX);
        for (index, chunk) in bytes.chunks(size).enumerate() {
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            target
                .send_file_upload(upload.id, name, None, chunk.to_vec(), Some(number))
                .await
                .map_err(|e| e.to_string())?;
        }
        target.complete_file_upload(upload.id).await
    }
    .map_err(|e| e.to_string())?;
    match done.status {
        FileUploadStatus::Uploaded => Ok(upload.id),
        other => Err(format!(
            "file upload {} ended {}",
            upload.id,
            other.as_str()
        )),
    }
}

/// Waits until an `external_url` upload is imported: its status read a bounded number of times,
/// later each time.
async fn wait_for_import(
    target: &NotionClient,
    upload: FileUpload,
    options: &ExecuteOptions,
) -> Result<FileUploadId, FileImportError> {
    let checks = options.file_import_checks.max(1);
    let mut waited = std::time::Duration::ZERO;
    let mut status = upload.status;
    let mut extra = upload.extra;
    for check in 1..=checks {
        match status {
            FileUploadStatus::Uploaded => return Ok(upload.id),
            FileUploadStatus::Failed | FileUploadStatus::Expired => {
                return Err(FileImportError::ImportFailed {
                    upload: upload.id,
                    message: import_error(&extra, &status),
                });
            }
            _ => {}
        }
        let delay = options.file_import_delay * check;
        tokio::time::sleep(delay).await;
        waited += delay;
        match target.file_upload(upload.id).await {
            Ok(fresh) => {
                status = fresh.status;
                extra = fresh.extra;
            }
            // A check that fails is one check fewer; the next may answer.
            Err(_) => continue,
        }
    }
    match status {
        FileUploadStatus::Uploaded => Ok(upload.id),
        FileUploadStatus::Failed | FileUploadStatus::Expired => {
            Err(FileImportError::ImportFailed {
                upload: upload.id,
                message: import_error(&extra, &status),
            })
        }
        _ => Err(FileImportError::ImportTimedOut {
            upload: upload.id,
            checks,
            waited_secs: waited.as_secs(),
        }),
    }
}

/// Notion's reason for a failed import (`file_import_result.error.message`), or the status.
fn import_error(extra: &crate::model::JsonMap, status: &FileUploadStatus) -> String {
    extra
        .get("file_import_result")
        .and_then(|result| result.get("error"))
        .and_then(|error| error.get("message"))
        .and_then(Value::as_str)
        .map_or_else(
            || format!("status {}", status.as_str()),
            |message| message.to_owned(),
        )
}

/// How long after a body is read the signed URLs it holds are used as read. Notion signs each
/// URL it returns for an hour from the read (its `expiry_time`); the last five minutes are left
/// for the import to fetch the file. Past this, the block is read again for a fresh URL.
pub const URL_FRESH_FOR: Duration = Duration::from_secs(55 * 60);

/// A Notion-hosted file of a media block (`image`, `file`, `pdf`, `video`, `audio`) of a body as
/// read: what [`reimport_media`] needs to copy it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostedMedia {
    /// The block (read again when its URL may have expired).
    pub block: BlockId,
    /// The block's type.
    pub kind: String,
    /// The file's name.
    pub name: String,
    /// The signed URL, as read.
    pub url: String,
}

/// The signed URL of a Notion-hosted file payload (`{"type": "file", "file": {"url"}}`, a media
/// block's or a files entry's); `None` for an external file, an upload, anything else.
pub fn hosted_url(payload: &Value) -> Option<&str> {
    (payload.get("type").and_then(Value::as_str) == Some("file"))
        .then(|| payload.pointer("/file/url").and_then(Value::as_str))
        .flatten()
}

/// Whether a URL read at `read_at` (tokio's clock) is past its `expiry_time`, or too close to it
/// for an import: see [`URL_FRESH_FOR`].
fn expired(read_at: Instant) -> bool {
    read_at.elapsed() >= URL_FRESH_FOR
}

/// Re-imports the hosted file of a media block of the body of `row` (read from `source` at
/// `read_at`) into `target`: from the URL as read, or, when it has expired since, from the URL
/// of a fresh read of the block (`GET /v1/blocks/{id}`). Gives the reference to write in the
/// block's payload ([`reimport`]).
pub async fn reimport_media(
    media: &HostedMedia,
    read_at: Instant,
    source: &NotionClient,
    row: PageId,
    target: &NotionClient,
    options: &ExecuteOptions,
) -> Result<Map<String, Value>, FileImportError> {
    if !expired(read_at) {
        return reimport(target, &media.url, &media.name, options).await;
    }
    let block: Block =
        source
            .block(media.block)
            .await
            .map_err(|error| FileImportError::SourceUnreadable {
                row,
                cause: error.to_string(),
            })?;
    let url = block
        .content
        .as_ref()
        .filter(|_| block.block_type == media.kind && !block.in_trash())
        .and_then(hosted_url)
        .ok_or(FileImportError::FileGone { row })?;
    reimport(target, url, &media.name, options).await
}

/// Replaces the placeholders of a write (`properties`, request JSON) with file uploads made in
/// `target` from a fresh read of `source_row` with `source`. See the
/// [module documentation](self).
pub async fn resolve_hosted_files<'a>(
    properties: &'a Map<String, Value>,
    source: &NotionClient,
    source_row: PageId,
    target: &NotionClient,
    on_failure: OnFailure,
    options: &ExecuteOptions,
) -> Resolved<'a> {
    let found = placeholders(properties);
    let mut resolved = Resolved {
        properties: Cow::Borrowed(properties),
        imported: 0,
        failed: Vec::new(),
        dropped_properties: Vec::new(),
    };
    if found.is_empty() {
        return resolved;
    }
    let page = source.page(source_row).await;
    let mut written = properties.clone();
    let mut taken = HashSet::new();
    // Per property, the indexes of the entries to remove (files that failed).
    let mut removed: Vec<(String, usize)> = Vec::new();
    for placeholder in &found {
        let outcome = match &page {
            Err(error) => Err(FileImportError::SourceUnreadable {
                row: source_row,
                cause: error.to_string(),
            }),
            Ok(page) => match fresh_url(page, placeholder, &mut taken) {
                None => Err(FileImportError::FileGone { row: source_row }),
                Some(url) => reimport(target, url, &placeholder.name, options).await,
            },
        };
        match outcome {
            Ok(mut reference) => {
                if let Some(entry) = written
                    .get_mut(&placeholder.property)
                    .and_then(|value| value.get_mut("files"))
                    .and_then(Value::as_array_mut)
                    .and_then(|files| files.get_mut(placeholder.index))
                {
                    reference.insert("name".into(), json!(placeholder.name));
                    *entry = Value::Object(reference);
                }
                resolved.imported += 1;
            }
            Err(error) => {
                removed.push((placeholder.property.clone(), placeholder.index));
                resolved.failed.push(FailedFile {
                    property: placeholder.property.clone(),
                    name: placeholder.name.clone(),
                    error,
                });
            }
        }
    }
    // From the last index down, so that the earlier indexes stay right.
    removed.sort();
    for (property, index) in removed.into_iter().rev() {
        match on_failure {
            OnFailure::DropFile => {
                if let Some(files) = written
                    .get_mut(&property)
                    .and_then(|value| value.get_mut("files"))
                    .and_then(Value::as_array_mut)
                    && index < files.len()
                {
                    files.remove(index);
                }
            }
            OnFailure::DropProperty => {
                if written.remove(&property).is_some() {
                    resolved.dropped_properties.push(property);
                }
            }
        }
    }
    resolved.dropped_properties.sort();
    resolved.properties = Cow::Owned(written);
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::values::{canonical, write_form};

    fn page(files: Value) -> Page {
        serde_json::from_value(json!({
            "object": "page", "id": "393abc1e-edcd-81e9-afca-e7cba9d39cff",
            "created_time": "2026-07-04T09:00:00.000Z", "last_edited_time": "2026-07-04T09:00:00.000Z",
            "parent": {"type": "data_source_id", "data_source_id": "393abc1e-edcd-81e9-afca-e7cba9d39c00"},
            "properties": {"Files": {"id": "f", "type": "files", "files": files}},
            "url": "https://www.notion.so/x", "in_trash": false,
        }))
        .unwrap()
    }

    fn hosted(name: &str, url: &str) -> Value {
        json!({"name": name, "type": "file", "file": {"url": url, "expiry_time": "2026-07-04T10:00:00.000Z"}})
    }

    #[test]
    fn placeholders_are_found_with_their_position_and_name() {
        let read = page(json!([
            {"name": "x", "type": "external", "external": {"url": "https://example.com/x"}},
            hosted("a.pdf", "https://s3/a"),
        ]));
        let form = canonical(&read.properties["Files"]).unwrap();
        let mut properties = Map::new();
        properties.insert("Files".into(), write_form("files", &form.value));
        properties.insert("Hours".into(), json!({"number": 2}));
        assert_eq!(
            placeholders(&properties),
            vec![Placeholder {
                property: "Files".into(),
                index: 1,
                position: 1,
                name: "a.pdf".into()
            }]
        );
        assert_eq!(hosted_files_in(&properties), 1);
        properties.remove("Files");
        assert_eq!(hosted_files_in(&properties), 0);
    }

    #[test]
    fn the_fresh_url_is_the_file_at_the_position_else_the_first_free_one_of_its_name() {
        let read = page(json!([
            hosted("a.pdf", "https://s3/first"),
            hosted("a.pdf", "https://s3/second"),
            hosted("b.pdf", "https://s3/b"),
        ]));
        let wanted = |position, name: &str| Placeholder {
            property: "Files".into(),
            index: position,
            position,
            name: name.into(),
        };
        let mut taken = HashSet::new();
        assert_eq!(
            fresh_url(&read, &wanted(1, "a.pdf"), &mut taken),
            Some("https://s3/second")
        );
        // Moved since the plan: the first of its name not taken.
        assert_eq!(
            fresh_url(&read, &wanted(2, "a.pdf"), &mut taken),
            Some("https://s3/first")
        );
        assert_eq!(fresh_url(&read, &wanted(0, "gone.pdf"), &mut taken), None);
        let mut other = wanted(0, "a.pdf");
        other.property = "Missing".into();
        assert_eq!(fresh_url(&read, &other, &mut taken), None);
    }

    #[test]
    fn only_a_hosted_payload_has_a_url_to_reimport() {
        let hosted = json!({"type": "file", "file": {"url": "https://s3/a.png?X-Amz=1", "expiry_time": null}, "caption": []});
        assert_eq!(hosted_url(&hosted), Some("https://s3/a.png?X-Amz=1"));
        for other in [
            json!({"type": "external", "external": {"url": "https://example.com/a.png"}}),
            json!({"type": "file_upload", "file_upload": {"id": "x"}}),
            json!({"type": "file"}),
            json!("file"),
        ] {
            assert_eq!(hosted_url(&other), None, "{other}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_url_is_used_as_read_until_shortly_before_its_hour_is_up() {
        let read_at = Instant::now();
        assert!(!expired(read_at));
        tokio::time::advance(URL_FRESH_FOR - Duration::from_secs(1)).await;
        assert!(!expired(read_at));
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(expired(read_at));
    }

    #[test]
    fn every_failure_says_what_to_do() {
        let upload: FileUploadId = "393abc1e-edcd-81c2-b028-00b21f81936b".parse().unwrap();
        for error in [
            FileImportError::ImportFailed {
                upload,
                message: "Failed to download".into(),
            },
            FileImportError::ImportTimedOut {
                upload,
                checks: 6,
                waited_secs: 42,
            },
        ] {
            let text = error.to_string();
            assert!(text.contains("run again"), "{text}");
        }
    }
}
