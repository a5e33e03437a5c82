//! `multipart/form-data` bodies: the one kind of body Notion takes that is not JSON.
//!
//! Only `POST /v1/file_uploads/{id}/send` takes one (Notion's reference "Send a file upload": the
//! file's bytes under the `file` key, and for a multi-part upload a `part_number` field). A
//! [`FormData`] is what an [`ApiRequest`](super::ApiRequest) carries instead of JSON;
//! [`HttpTransport`](super::http::HttpTransport) encodes it with reqwest's multipart support,
//! the fake reads it as it is (in memory) or decodes it (over HTTP).

use std::fmt;

/// A `multipart/form-data` body: its parts, in order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct FormData {
    /// The parts.
    pub parts: Vec<FormPart>,
}

/// One part of a [`FormData`]: a text field, or a file with its name and type.
#[derive(Clone, PartialEq, Eq)]
pub struct FormPart {
    /// The field's name (`file`, `part_number`).
    pub name: String,
    /// The file name, for a file part.
    pub filename: Option<String>,
    /// The part's MIME type, for a file part.
    pub content_type: Option<String>,
    /// The bytes.
    pub data: Vec<u8>,
}

impl FormData {
    /// An empty form.
    pub fn new() -> Self {
        Self::default()
    }

    /// The same form with a text field.
    pub fn with_text(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.parts.push(FormPart {
            name: name.into(),
            filename: None,
            content_type: None,
            data: value.into().into_bytes(),
        });
        self
    }

    /// The same form with a file part.
    pub fn with_file(
        mut self,
        name: impl Into<String>,
        filename: impl Into<String>,
        content_type: Option<String>,
        data: Vec<u8>,
    ) -> Self {
        self.parts.push(FormPart {
            name: name.into(),
            filename: Some(filename.into()),
            content_type,
            data,
        });
        self
    }

    /// The first part named `name`.
    pub fn part(&self, name: &str) -> Option<&FormPart> {
        self.parts.iter().find(|part| part.name == name)
    }
}

/// Names and sizes only: a form holds file contents, which never print.
impl fmt::Debug for FormData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.parts).finish()
    }
}

/// The name, file name, type and size; never the bytes.
impl fmt::Debug for FormPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FormPart")
            .field("name", &self.name)
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("bytes", &self.data.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_finds_its_parts_and_prints_no_bytes() {
        let form = FormData::new()
            .with_file(
                "file",
                "a.txt",
                Some("text/plain".into()),
                b"secret bytes".to_vec(),
            )
            .with_text("part_number", "2");
        assert_eq!(form.part("part_number").unwrap().data, b"2");
        assert_eq!(
            form.part("file").unwrap().filename.as_deref(),
            Some("a.txt")
        );
        assert!(form.part("other").is_none());
        let printed = format!("{form:?}");
        assert!(printed.contains("bytes: 12"), "{printed}");
        assert!(!printed.contains("secret"), "{printed}");
    }
}
