//! The file uploads endpoints: create a file upload (single part, multi-part, or imported from
//! an external URL) and retrieve it.

use serde_json::{Value, json};

use super::Done;
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply};
use crate::fake::state::{IdStyle, State};
use crate::fake::validate::object;

impl State {
    pub(super) fn file_upload_create(&mut self, ctx: Ctx, body: &Value) -> Reply<Done> {
        let body = object("body", body)?;
        let mode = body
            .get("mode")
            .and_then(Value::as_str)
            .unwrap_or("single_part");
        let filename = body.get("filename").and_then(Value::as_str);
        let external_url = match mode {
            "external_url" => {
                let url = body
                    .get("external_url")
                    .and_then(Value::as_str)
                    .ok_or_else(|| Fail::missing("body.external_url"))?;
                if !url.starts_with("https://") {
                    return Err(Fail::validation(
                        "body failed validation: body.external_url should be an https URL.",
                    ));
                }
                if crate::fake::files::expires_ms(url).is_some_and(|end| end <= self.clock.now_ms())
                {
                    return Err(Fail::validation(
                        "The external_url is not publicly accessible (HTTP 403 on HEAD).",
                    ));
                }
                if filename.is_none() {
                    return Err(Fail::missing("body.filename"));
                }
                Some(url.to_owned())
            }
            "single_part" | "multi_part" => None,
            other => {
                return Err(Fail::body(
                    "body.mode",
                    "`single_part`, `multi_part` or `external_url`",
                    &json!(other),
                ));
            }
        };
        let filename = filename.unwrap_or("file").to_owned();
        let content_type = body.get("content_type").cloned().unwrap_or_else(|| {
            let ext = filename.rsplit('.').next().unwrap_or("").to_lowercase();
            match ext.as_str() {
                "pdf" => json!("application/pdf"),
                "txt" => json!("text/plain"),
                "png" => json!("image/png"),
                "jpg" | "jpeg" => json!("image/jpeg"),
                "csv" => json!("text/csv"),
                _ => Value::Null,
            }
        });
        let id = self.new_id(IdStyle::V8);
        let import_fails = self.failing_imports.contains(&filename);
        let file = crate::fake::state::FileUpload {
            id,
            workspace: self.workspace_of(ctx),
            created_by: self.bot(ctx.integration),
            created_ms: self.clock.now_minute_ms(),
            filename,
            content_type,
            import: external_url.as_ref().map(|_| crate::fake::files::Import {
                done_ms: self.clock.now_ms() + crate::fake::files::IMPORT_MS,
                end: if import_fails {
                    crate::fake::files::ImportEnd::Failed(
                        "Failed to download the file from the external URL.".to_owned(),
                    )
                } else {
                    crate::fake::files::ImportEnd::Success
                },
            }),
        };
        let body = self.file_upload_json(&file, ctx);
        self.file_uploads.insert(id, file);
        Ok(Done {
            body,
            created: Some(id),
            children: Vec::new(),
        })
    }

    pub(super) fn file_upload_get(&mut self, ctx: Ctx, id: u128) -> Reply {
        let ws = self.workspace_of(ctx);
        let Some(file) = self.file_uploads.get(&id).filter(|f| f.workspace == ws) else {
            return Err(self.not_found(ctx.integration, "file upload", id));
        };
        Ok(self.file_upload_json(file, ctx))
    }
}
