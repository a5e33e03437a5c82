//! The file uploads endpoints, as Notion serves them: create (single part, multi-part, or
//! imported from an external URL), send (`multipart/form-data`: the `file`, and a `part_number`
//! in multi-part mode), complete (multi-part), list and retrieve.
//!
//! The rules are the SDK's `file-uploads.ts` and Notion's guides ("Working with files and
//! media", "Uploading larger files", "Importing external files"): `mode` defaults to
//! `single_part`; a `filename` is at most 900 bytes and is required for `multi_part` and
//! `external_url`; `number_of_parts` (1 to [`MAX_PARTS`]) only and always for `multi_part`;
//! `external_url` only and always for `external_url`. A single-part file is at most
//! [`MAX_PART_BYTES`] (20 MiB) and the workspace's per-file limit; each part of a multi-part
//! upload is at most 20 MiB and, but for the last, at least [`MIN_PART_BYTES`] (5 MiB); the
//! parts may come in any order, and `complete` needs them all. Content goes only to a `pending`
//! upload of its own mode; an upload not attached within an hour of its creation is `expired`
//! ([`UPLOAD_LIFETIME_MS`]).

use serde_json::{Map, Value, json};

use super::{Done, list_json, paging, window};
use crate::fake::files::{
    DEFAULT_UPLOAD_LIMIT, Import, ImportEnd, MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, UploadMode,
    content_type_of,
};
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply, describe};
use crate::fake::state::{FileUpload, IdStyle, State, uuid};
use crate::fake::validate::object;
use crate::transport::form::FormData;

/// The longest file name Notion takes, in bytes ("Create a file upload").
const MAX_FILENAME_BYTES: usize = 900;

/// An optional string field of a create body.
fn opt_str<'a>(body: &'a Map<String, Value>, key: &str) -> Reply<Option<&'a str>> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(Fail::body(&format!("body.{key}"), "a string", other)),
    }
}

impl State {
    pub(super) fn file_upload_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
        // Its keys and their types: `request_bodies::CREATE_FILE_UPLOAD`.
        let body = object("body", body)?;
        let mode = match opt_str(body, "mode")? {
            None | Some("single_part") => UploadMode::SinglePart,
            Some("multi_part") => UploadMode::MultiPart { total: 0 },
            Some("external_url") => UploadMode::ExternalUrl,
            Some(other) => {
                return Err(Fail::enumeration(
                    "body.mode",
                    &["single_part", "multi_part", "external_url"],
                    &json!(other),
                ));
            }
        };
        let filename = opt_str(body, "filename")?;
        if let Some(name) = filename
            && name.len() > MAX_FILENAME_BYTES
        {
            return Err(Fail::validation(format!(
                "body failed validation: body.filename.length should be ≤ `{MAX_FILENAME_BYTES}`, instead was `{}`.",
                name.len()
            )));
        }
        let content_type = opt_str(body, "content_type")?;
        let parts = body.get("number_of_parts");
        let external_url = opt_str(body, "external_url")?;
        let mode = match mode {
            UploadMode::MultiPart { .. } => {
                let parts = parts.ok_or_else(|| Fail::missing("body.number_of_parts"))?;
                let total = parts
                    .as_u64()
                    .filter(|n| (1..=u64::from(MAX_PARTS)).contains(n))
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| {
                        Fail::body(
                            "body.number_of_parts",
                            &format!("an integer from `1` to `{MAX_PARTS}`"),
                            parts,
                        )
                    })?;
                if filename.is_none() {
                    return Err(Fail::missing("body.filename"));
                }
                UploadMode::MultiPart { total }
            }
            other => {
                if let Some(parts) = parts {
                    return Err(Fail::validation(format!(
                        "body failed validation: body.number_of_parts should be not present unless mode is `multi_part`, instead was `{}`.",
                        describe(parts)
                    )));
                }
                other
            }
        };
        let import = if mode == UploadMode::ExternalUrl {
            let url = external_url.ok_or_else(|| Fail::missing("body.external_url"))?;
            if filename.is_none() {
                return Err(Fail::missing("body.filename"));
            }
            Some(self.external_import(url, filename.unwrap_or_default())?)
        } else {
            if let Some(url) = external_url {
                return Err(Fail::validation(format!(
                    "body failed validation: body.external_url should be not present unless mode is `external_url`, instead was `{}`.",
                    describe(&json!(url))
                )));
            }
            None
        };
        let filename = filename.unwrap_or("file").to_owned();
        let content_type = content_type.map_or_else(|| content_type_of(&filename), |t| json!(t));
        let id = self.new_id(IdStyle::V8);
        let seq = self.next_seq();
        let file = FileUpload {
            id,
            workspace: self.workspace_of(ctx),
            created_by: self.bot(ctx.integration),
            created_ms: self.clock.now_minute_ms(),
            filename,
            content_type,
            seq,
            mode,
            import,
            parts: std::collections::BTreeMap::new(),
            content: None,
            attached: false,
            announced: "pending",
        };
        let body = self.file_upload_json(&file, ctx);
        let by = file.created_by;
        self.file_uploads.insert(id, file);
        let entity = json!({"id": uuid(id), "type": "file_upload"});
        self.emit("file_upload.created", id, entity, Value::Null, by);
        Ok(Done::created(body, id))
    }

    /// The import of an `external_url`, checked as Notion checks it when the upload is created
    /// (an https URL it can reach: a hosted URL of the fake whose signature has expired is not).
    fn external_import(&self, url: &str, filename: &str) -> Reply<Import> {
        if !url.starts_with("https://") {
            return Err(Fail::validation(
                "body failed validation: body.external_url should be an https URL.",
            ));
        }
        if crate::fake::files::expires_ms(url).is_some_and(|end| end <= self.clock.now_ms()) {
            return Err(Fail::validation(
                "The external_url is not publicly accessible (HTTP 403 on HEAD).",
            ));
        }
        let content = self
            .hosted
            .get(url.split('?').next().unwrap_or(url))
            .cloned();
        Ok(Import {
            done_ms: self.clock.now_ms() + crate::fake::files::IMPORT_MS,
            end: if self.failing_imports.contains(filename) {
                ImportEnd::Failed("Failed to download the file from the external URL.".to_owned())
            } else {
                ImportEnd::Success
            },
            content,
        })
    }

    /// The per-file upload limit of workspace `ws`, in bytes.
    fn upload_limit(&self, ws: usize) -> u64 {
        self.workspaces
            .get(ws)
            .map_or(DEFAULT_UPLOAD_LIMIT, |w| w.upload_limit)
    }

    /// The upload `id` of the integration's workspace, else Notion's 404.
    fn own_upload(&self, ctx: Ctx, id: u128) -> Reply<&FileUpload> {
        let ws = self.workspace_of(ctx);
        self.file_uploads
            .get(&id)
            .filter(|f| f.workspace == ws)
            .ok_or_else(|| self.not_found(ctx.integration, "file upload", id))
    }

    /// The upload `id` if it still takes content (`pending`, not expired, not imported).
    fn pending_upload(&self, ctx: Ctx, id: u128) -> Reply<&FileUpload> {
        let file = self.own_upload(ctx, id)?;
        let status = self.file_upload_status(file);
        if status != "pending" || file.mode == UploadMode::ExternalUrl {
            return Err(Fail::validation(format!(
                "File upload with ID: {} is in status `{status}` and does not take content; \
                 content goes to a `pending` single_part or multi_part upload.",
                uuid(id)
            )));
        }
        Ok(file)
    }

    pub(super) fn file_upload_send(&mut self, ctx: Ctx, id: u128, form: &FormData) -> Reply {
        let limit = self.upload_limit(self.workspace_of(ctx));
        let file = self.pending_upload(ctx, id)?;
        let mode = file.mode;
        let part = form
            .part("file")
            .ok_or_else(|| Fail::missing("body.file"))?;
        let bytes = part.data.clone();
        let part_number =
            match form.part("part_number") {
                None => None,
                Some(field) => {
                    let text = String::from_utf8_lossy(&field.data).into_owned();
                    Some(text.parse::<u32>().map_err(|_| {
                        Fail::body("body.part_number", "a number string", &json!(text))
                    })?)
                }
            };
        let len = bytes.len() as u64;
        let too_large = |max: u64| {
            Fail::validation(format!(
                "body failed validation: body.file.size should be ≤ `{max}`, instead was `{len}`."
            ))
        };
        match mode {
            UploadMode::SinglePart | UploadMode::ExternalUrl => {
                if let Some(n) = part_number {
                    return Err(Fail::validation(format!(
                        "body failed validation: body.part_number should be not present unless mode is `multi_part`, instead was `\"{n}\"`."
                    )));
                }
                if len > MAX_PART_BYTES.min(limit) {
                    return Err(too_large(MAX_PART_BYTES.min(limit)));
                }
                if let Some(file) = self.file_uploads.get_mut(&id) {
                    file.content = Some(bytes);
                }
            }
            UploadMode::MultiPart { total } => {
                let n = part_number.ok_or_else(|| Fail::missing("body.part_number"))?;
                if n < 1 || n > total {
                    return Err(Fail::validation(format!(
                        "body failed validation: body.part_number should be between `1` and `{total}` (the upload's number_of_parts), instead was `\"{n}\"`."
                    )));
                }
                if len > MAX_PART_BYTES {
                    return Err(too_large(MAX_PART_BYTES));
                }
                if n < total && len < MIN_PART_BYTES {
                    return Err(Fail::validation(format!(
                        "body failed validation: body.file.size should be ≥ `{MIN_PART_BYTES}` for a part other than the last, instead was `{len}`."
                    )));
                }
                if let Some(file) = self.file_uploads.get_mut(&id) {
                    file.parts.insert(n, bytes);
                }
            }
        }
        let file = self.own_upload(ctx, id)?;
        Ok(self.file_upload_json(file, ctx))
    }

    pub(super) fn file_upload_complete(&mut self, ctx: Ctx, id: u128) -> Reply {
        let limit = self.upload_limit(self.workspace_of(ctx));
        let file = self.pending_upload(ctx, id)?;
        let UploadMode::MultiPart { total } = file.mode else {
            return Err(Fail::validation(format!(
                "File upload with ID: {} is not a multi_part upload; only those are completed.",
                uuid(id)
            )));
        };
        let sent = u32::try_from(file.parts.len()).unwrap_or(u32::MAX);
        if sent != total {
            return Err(Fail::validation(format!(
                "File upload with ID: {} has {sent} of its {total} parts; send every part before completing it.",
                uuid(id)
            )));
        }
        let content: Vec<u8> = file.parts.values().flatten().copied().collect();
        let len = content.len() as u64;
        if len > limit {
            return Err(Fail::validation(format!(
                "The file is larger than the workspace's per-file limit of {limit} bytes ({len} bytes)."
            )));
        }
        if let Some(file) = self.file_uploads.get_mut(&id) {
            file.content = Some(content);
            file.parts.clear();
        }
        let file = self.own_upload(ctx, id)?;
        Ok(self.file_upload_json(file, ctx))
    }

    pub(super) fn file_upload_get(&mut self, ctx: Ctx, id: u128) -> Reply {
        let file = self.own_upload(ctx, id)?;
        Ok(self.file_upload_json(file, ctx))
    }

    /// `GET /v1/file_uploads`: the integration's uploads, newest first, by `status`.
    pub(super) fn file_upload_list(&mut self, ctx: Ctx, query: &[(String, String)]) -> Reply<Done> {
        let status = query
            .iter()
            .find(|(k, _)| k == "status")
            .map(|(_, v)| v.as_str());
        if let Some(status) = status
            && !["pending", "uploaded", "expired", "failed"].contains(&status)
        {
            return Err(Fail::validation(format!(
                "query failed validation: query.status should be one of `pending`, `uploaded`, `expired`, or `failed`, instead was `\"{status}\"`."
            )));
        }
        let (size, cursor) = paging(None, query)?;
        let bot = self.bot(ctx.integration);
        let mut uploads: Vec<&FileUpload> = self
            .file_uploads
            .values()
            .filter(|f| f.created_by == bot)
            .filter(|f| status.is_none_or(|s| self.file_upload_status(f) == s))
            .collect();
        uploads.sort_by_key(|f| std::cmp::Reverse(f.seq));
        let ids: Vec<u128> = uploads.iter().map(|f| f.id).collect();
        let page = window(&ids, cursor.as_deref(), size, usize::MAX)?;
        let results = page
            .ids
            .iter()
            .filter_map(|id| self.file_uploads.get(id))
            .map(|f| self.file_upload_json(f, ctx))
            .collect();
        Ok(Done::new(list_json(
            results,
            page.next,
            page.has_more,
            "file_upload",
        )))
    }
}
