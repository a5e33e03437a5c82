//! Notion's error answers, as the fake builds them.
//!
//! A handler that refuses a request returns a [`Fail`]: the HTTP status, Notion's error code, the
//! message Notion would write and its `additional_data`. [`Fail::into_body`] turns it into the
//! JSON body Notion sends (`{"object":"error","status","code","message","additional_data",
//! "request_id"}`; an OAuth client's `invalid_client` in OAuth's form, `{"error",
//! "request_id"}`). The messages copy Notion's wording where it is known (the 404 that names the
//! integration, `missing_version`, `invalid_json`, the `body failed validation: …` messages).

use serde_json::{Map, Value, json};

/// A refused request: what Notion would answer (boxed, so that results stay small).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fail(Box<FailBody>);

/// The fields of a [`Fail`].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FailBody {
    pub(crate) status: u16,
    pub(crate) code: &'static str,
    pub(crate) message: String,
    pub(crate) additional: Option<Map<String, Value>>,
    pub(crate) retry_after: Option<u64>,
    /// Answered in OAuth's form, `{"error": code}`, not Notion's error object.
    pub(crate) oauth_form: bool,
}

/// The result of a handler.
pub(crate) type Reply<T = Value> = Result<T, Fail>;

impl std::ops::Deref for Fail {
    type Target = FailBody;
    fn deref(&self) -> &FailBody {
        &self.0
    }
}

impl std::ops::DerefMut for Fail {
    fn deref_mut(&mut self) -> &mut FailBody {
        &mut self.0
    }
}

impl Fail {
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self(Box::new(FailBody {
            status,
            code,
            message: message.into(),
            additional: None,
            retry_after: None,
            oauth_form: false,
        }))
    }

    /// 401 `invalid_client`: an OAuth endpoint's client credentials (HTTP Basic auth) are
    /// missing or wrong. Notion answers it in OAuth's form, `{"error":"invalid_client",
    /// "request_id":…}` (recorded: `ramnes/notion-sdk-py` `test_client_request_oauth.yaml`).
    pub(crate) fn invalid_client() -> Self {
        let mut fail = Self::new(401, "invalid_client", "");
        fail.oauth_form = true;
        fail
    }

    /// 400 `invalid_grant`: an authorization code or refresh token that cannot be exchanged.
    pub(crate) fn invalid_grant(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", message)
    }

    /// 400 `validation_error`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(400, "validation_error", message)
    }

    /// 400 `validation_error` for a database with several data sources where the request (a
    /// version before 2025-09-03, or a page or relation given the database) needs one, with the
    /// `additional_data` Notion sends (the upgrade FAQ for 2025-09-03; the SDK's
    /// `test/Client.test.ts`): the database, its data sources, and the version that can use them.
    pub(crate) fn multiple_sources(database: &str, sources: Vec<String>) -> Self {
        let mut fail = Self::validation(
            "Databases with multiple data sources are not supported in this API version.",
        );
        fail.additional = Some(additional([
            ("error_type", json!("multiple_data_sources_for_database")),
            ("database_id", json!(database)),
            ("child_data_source_ids", json!(sources)),
            ("minimum_api_version", json!("2025-09-03")),
        ]));
        fail
    }

    /// 400 `validation_error` for a body field: `body failed validation: body.X should be …`.
    pub(crate) fn body(path: &str, should: &str, found: &Value) -> Self {
        Self::validation(format!(
            "body failed validation: {path} should be {should}, instead was `{}`.",
            describe(found)
        ))
    }

    /// 400 `validation_error` for a field that is required and absent.
    pub(crate) fn missing(path: &str) -> Self {
        Self::validation(format!(
            "body failed validation: {path} should be defined, instead was `undefined`."
        ))
    }

    /// 400 `validation_error` for a field the request type does not have: `body failed
    /// validation: body.X should be not present, instead was …`.
    pub(crate) fn not_present(path: &str, found: &Value) -> Self {
        Self::body(path, "not present", found)
    }

    /// 400 `validation_error` for a value outside an enumeration, listed as Notion lists it:
    /// `` `"a"` ``, `` `"a"` or `"b"` ``, `` `"a"`, `"b"`, or `"c"` ``.
    pub(crate) fn enumeration(path: &str, values: &[&str], found: &Value) -> Self {
        let quoted: Vec<String> = values.iter().map(|v| format!("`{}`", json!(v))).collect();
        let listed = match quoted.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [first, second] => format!("{first} or {second}"),
            [rest @ .., last] => format!("{}, or {last}", rest.join(", ")),
        };
        Self::body(path, &listed, found)
    }

    /// 400 `validation_error` for a value that matches none of a union's members: Notion's
    /// `body failed validation. Fix one:` followed by each member's own failure, one a line.
    pub(crate) fn one_of(members: Vec<Self>) -> Self {
        let lines: Vec<String> = members
            .iter()
            .map(|fail| {
                fail.message
                    .trim_start_matches("body failed validation: ")
                    .to_owned()
            })
            .collect();
        Self::validation(format!(
            "body failed validation. Fix one:\n{}",
            lines.join("\n")
        ))
    }

    /// 400 `invalid_request_url`.
    pub(crate) fn invalid_url() -> Self {
        Self::new(400, "invalid_request_url", "Invalid request URL.")
    }

    /// 400 `invalid_json`.
    pub(crate) fn invalid_json() -> Self {
        Self::new(400, "invalid_json", "Error parsing JSON body.")
    }

    /// 401 `unauthorized`.
    pub(crate) fn unauthorized() -> Self {
        Self::new(401, "unauthorized", "API token is invalid.")
    }

    /// 404 `object_not_found`, naming the integration as Notion does.
    pub(crate) fn not_found(kind: &str, id: &str, integration: &str, integration_id: &str) -> Self {
        let mut fail = Self::new(
            404,
            "object_not_found",
            format!(
                "Could not find {kind} with ID: {id}. Make sure the relevant pages and databases are shared with your integration \"{integration}\"."
            ),
        );
        fail.additional = Some(additional([("integration_id", json!(integration_id))]));
        fail
    }

    /// 429 `rate_limited`, with the wait in seconds and the reason.
    pub(crate) fn rate_limited(retry_after: u64, reason: &str) -> Self {
        let mut fail = Self::new(
            429,
            "rate_limited",
            "You have been rate limited. Please try again in a few minutes.",
        );
        fail.additional = Some(additional([
            ("retry_after", json!(retry_after.to_string())),
            ("rate_limit_reason", json!(reason)),
        ]));
        fail.retry_after = Some(retry_after);
        fail
    }

    /// The JSON body Notion sends for this error.
    pub(crate) fn into_body(self, request_id: &str) -> Value {
        let fail = *self.0;
        if fail.oauth_form {
            return json!({"error": fail.code, "request_id": request_id});
        }
        let mut body = json!({
            "object": "error",
            "status": fail.status,
            "code": fail.code,
            "message": fail.message,
        });
        if let (Some(extra), Some(map)) = (fail.additional, body.as_object_mut()) {
            map.insert("additional_data".into(), Value::Object(extra));
        }
        if let Some(map) = body.as_object_mut() {
            map.insert("request_id".into(), json!(request_id));
        }
        body
    }
}

/// An `additional_data` map.
pub(crate) fn additional<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// A short description of a JSON value for messages (`undefined` is not a JSON value).
pub(crate) fn describe(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

/// Refuses every key of `map` not in `allowed`: "`{path}.{key}` should be not present".
pub(crate) fn only_keys(path: &str, map: &Map<String, Value>, allowed: &[&str]) -> Reply<()> {
    match map.iter().find(|(key, _)| !allowed.contains(&key.as_str())) {
        Some((key, value)) => Err(Fail::not_present(&format!("{path}.{key}"), value)),
        None => Ok(()),
    }
}
