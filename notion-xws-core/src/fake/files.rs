//! Files in the fake: Notion-hosted URLs that expire, and `external_url` imports that take time.
//!
//! A hosted file is stored under a stable address and read, every time, as a URL signed for an
//! hour from the read (`X-Amz-Date`, `X-Amz-Expires=3600`) with an `expiry_time` to match, as
//! Notion does; so a URL kept past its hour is recognised as expired. An `external_url` upload is
//! checked when it is made (an https URL; a hosted URL of the fake whose signature has expired
//! is refused with 400 `validation_error`, as Notion refuses a URL it cannot fetch), then stays
//! `pending` for [`IMPORT_MS`] of the fake's clock (tokio's, so deterministic under
//! `start_paused`), then is `uploaded` — or `failed`, with a `file_import_result` error, when its
//! file name was named by [`FakeNotion::fail_file_imports`](super::FakeNotion::fail_file_imports).
//! Only an `uploaded` upload of the integration's own workspace can be attached, to a files
//! property or to a media block ([`MEDIA_BLOCKS`]); either is then stored, and read, as a hosted
//! file. The fake keeps the bytes of a hosted file when it received them (sent to an upload, or
//! imported from a file it hosts), and serves them to [`Transport::download`]; a file imported
//! from outside has no bytes in the fake, and its download is refused as S3 refuses a missing
//! key.
//!
//! [`Transport::download`]: crate::transport::Transport::download

use std::hash::{Hash, Hasher};

use serde_json::{Value, json};

use super::clock::{format_iso, parse_iso};

/// Where the fake's hosted files live.
pub(crate) const HOSTED_PREFIX: &str = "https://prod-files-secure.s3.us-west-2.amazonaws.com/fake/";

/// How long a hosted URL stays valid, in milliseconds (Notion: one hour).
pub(crate) const URL_LIFETIME_MS: i64 = 3_600_000;

/// The block types that hold a file (media blocks).
pub(crate) const MEDIA_BLOCKS: &[&str] = &["image", "video", "file", "pdf", "audio"];

/// How long an `external_url` import stays `pending`, in milliseconds of the fake's clock.
pub(crate) const IMPORT_MS: i64 = 1_000;

/// How long an upload may wait to be attached before it is `expired`, in milliseconds (Notion:
/// an hour from its creation, its `expiry_time`).
pub(crate) const UPLOAD_LIFETIME_MS: i64 = 3_600_000;

/// The most bytes of a single-part upload, and of each part of a multi-part one (20 MiB:
/// "Uploading larger files").
pub(crate) const MAX_PART_BYTES: u64 = 20 * 1024 * 1024;

/// The fewest bytes of each part of a multi-part upload but the last (5 MiB).
pub(crate) const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

/// The most parts of a multi-part upload.
pub(crate) const MAX_PARTS: u32 = 1_000;

/// A workspace's per-file limit unless set otherwise: a free plan's 5 MiB (the recorded
/// `workspace_limits.max_file_upload_size_in_bytes`).
pub(crate) const DEFAULT_UPLOAD_LIMIT: u64 = 5_242_880;

/// How an upload's content arrives (its `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UploadMode {
    /// One `send` of the whole file.
    SinglePart,
    /// `total` sends of one part each, then `complete`.
    MultiPart {
        /// The upload's `number_of_parts`.
        total: u32,
    },
    /// Notion fetches an `external_url` itself.
    ExternalUrl,
}

/// The MIME type Notion infers from a file name's extension (`null` when it infers none).
pub(crate) fn content_type_of(filename: &str) -> Value {
    let ext = filename.rsplit('.').next().unwrap_or("").to_lowercase();
    match ext.as_str() {
        "pdf" => json!("application/pdf"),
        "txt" => json!("text/plain"),
        "png" => json!("image/png"),
        "jpg" | "jpeg" => json!("image/jpeg"),
        "gif" => json!("image/gif"),
        "csv" => json!("text/csv"),
        "mp4" => json!("video/mp4"),
        "mp3" => json!("audio/mpeg"),
        _ => Value::Null,
    }
}

/// How an import ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImportEnd {
    /// The file was fetched.
    Success,
    /// The file could not be fetched, for this reason.
    Failed(String),
}

/// An `external_url` import: when it ends, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Import {
    /// When it ends (ms since the epoch, on the fake's clock).
    pub(crate) done_ms: i64,
    /// How.
    pub(crate) end: ImportEnd,
    /// The bytes fetched, when the fake holds them (an import of a file it hosts).
    pub(crate) content: Option<Vec<u8>>,
}

impl Import {
    /// The upload's status at `now_ms`.
    pub(crate) fn status(&self, now_ms: i64) -> &'static str {
        match (&self.end, now_ms >= self.done_ms) {
            (_, false) => "pending",
            (ImportEnd::Success, true) => "uploaded",
            (ImportEnd::Failed(_), true) => "failed",
        }
    }

    /// The `file_import_result` at `now_ms`, once the import ended.
    pub(crate) fn result(&self, now_ms: i64) -> Option<Value> {
        if now_ms < self.done_ms {
            return None;
        }
        // Notion writes `imported_time` with an offset, not `Z` (recorded responses).
        let imported = format_iso(self.done_ms).replace('Z', "+00:00");
        Some(match &self.end {
            ImportEnd::Success => {
                json!({"type": "success", "success": {}, "imported_time": imported})
            }
            ImportEnd::Failed(message) => json!({
                "type": "error",
                "error": {"type": "download_error", "code": "download_error", "message": message,
                          "parameter": "external_url", "status_code": null},
                "imported_time": imported,
            }),
        })
    }
}

/// The stable address of a hosted file: `HOSTED_PREFIX`, a per-file directory, the name.
pub(crate) fn stable_address(directory: &str, filename: &str) -> String {
    let name: String =
        percent_encoding::utf8_percent_encode(filename, percent_encoding::NON_ALPHANUMERIC)
            .to_string()
            .replace("%2E", ".")
            .replace("%2D", "-")
            .replace("%5F", "_");
    format!("{HOSTED_PREFIX}{directory}/{name}")
}

/// A hosted file as a read returns it at `now_ms`: its URL signed from now, and the matching
/// `expiry_time`. Files not hosted by the fake keep their URL.
pub(crate) fn signed(file: &Value, now_ms: i64) -> Value {
    let url = file.get("url").and_then(Value::as_str).unwrap_or_default();
    let url = if url.starts_with(HOSTED_PREFIX) {
        let address = url.split('?').next().unwrap_or(url);
        let date = amz_date(now_ms);
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        (address, &date).hash(&mut hasher);
        format!(
            "{address}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={date}&X-Amz-Expires=3600&X-Amz-Signature={:016x}",
            hasher.finish()
        )
    } else {
        url.to_owned()
    };
    json!({"url": url, "expiry_time": format_iso(now_ms + URL_LIFETIME_MS)})
}

/// `20260704T091100Z`: the signing time of a URL.
fn amz_date(ms: i64) -> String {
    let iso = format_iso(ms);
    // 2026-07-04T09:11:00.000Z → 20260704T091100Z
    let date = iso.get(..10).unwrap_or_default().replace('-', "");
    let time = iso.get(11..19).unwrap_or_default().replace(':', "");
    format!("{date}T{time}Z")
}

/// When a URL signed by [`signed`] stops working (ms since the epoch); `None` for any other URL.
pub(crate) fn expires_ms(url: &str) -> Option<i64> {
    if !url.starts_with(HOSTED_PREFIX) {
        return None;
    }
    let date = url.split("X-Amz-Date=").nth(1)?.get(..16)?;
    let iso = format!(
        "{}-{}-{}T{}:{}:{}.000Z",
        date.get(..4)?,
        date.get(4..6)?,
        date.get(6..8)?,
        date.get(9..11)?,
        date.get(11..13)?,
        date.get(13..15)?
    );
    Some(parse_iso(&iso)?.ms + URL_LIFETIME_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_783_155_600_000; // 2026-07-04T09:00:00Z

    #[test]
    fn a_signed_url_expires_an_hour_after_the_read() {
        let stored = json!({"url": stable_address("d1", "report 1.pdf"), "expiry_time": null});
        let read = signed(&stored, NOW);
        let url = read["url"].as_str().unwrap();
        assert!(url.contains("/d1/report%201.pdf?X-Amz-"), "{url}");
        assert_eq!(read["expiry_time"], "2026-07-04T10:00:00.000Z");
        assert_eq!(expires_ms(url), Some(NOW + URL_LIFETIME_MS));
        let later = signed(&read, NOW + 60_000);
        assert_ne!(later["url"], read["url"], "each read signs anew");
        assert_eq!(expires_ms("https://example.com/a.pdf"), None);
    }

    #[test]
    fn an_import_is_pending_then_ends() {
        let ok = Import {
            done_ms: NOW + IMPORT_MS,
            end: ImportEnd::Success,
            content: None,
        };
        assert_eq!(ok.status(NOW), "pending");
        assert!(ok.result(NOW).is_none());
        assert_eq!(ok.status(NOW + IMPORT_MS), "uploaded");
        assert_eq!(ok.result(NOW + IMPORT_MS).unwrap()["type"], "success");
        let failed = Import {
            done_ms: NOW,
            end: ImportEnd::Failed("unreachable".into()),
            content: None,
        };
        assert_eq!(failed.status(NOW), "failed");
        assert_eq!(
            failed.result(NOW).unwrap()["error"]["message"],
            "unreachable"
        );
    }
}
