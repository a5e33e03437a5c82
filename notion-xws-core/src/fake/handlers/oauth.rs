//! The OAuth endpoints of a public integration: `POST /v1/oauth/token` (an authorization code
//! or a refresh token exchanged for a pair of tokens), `POST /v1/oauth/introspect` and
//! `POST /v1/oauth/revoke`.
//!
//! They authenticate the client with HTTP Basic auth (`client_id:client_secret`), not a bearer
//! token: missing or wrong credentials are answered 401 `{"error":"invalid_client"}` before the
//! body is read, as recorded from Notion (`ramnes/notion-sdk-py`
//! `test_client_request_oauth.yaml`). The bodies are the SDK's types (`oauth.ts`). A code works
//! once and only for its client: any other is 400 `invalid_grant`, "Invalid code: this code has
//! been revoked." (Notion's status codes). The `redirect_uri` follows Notion's rule ("Create a
//! token"): required, and equal, when the authorization URL had one; not allowed when it had none
//! (the client then has one URI). A refresh rotates the pair: the old access and refresh tokens
//! stop working. Revoking an access token makes it 401 on the rest of the API; revoking a token
//! the client does not hold is answered 200 too, as RFC 7009 says. Introspection answers
//! `active`, and for an active token its `scope` (the recorded capabilities) and `iat`.

use serde_json::{Value, json};

use super::{Auth, Body, Done, Incoming, object_of};
use crate::fake::log::LoggedRequest;
use crate::fake::reply::{Fail, Reply};
use crate::fake::request_bodies::check_keys;
use crate::fake::state::{State, uuid};
use crate::fake::versions::ApiVersion;
use crate::secret::NotionToken;

use super::route::Route;

/// The scope introspection reports for an active token (as recorded from Notion:
/// `ramnes/notion-sdk-py` `test_introspect_token.yaml`).
const SCOPE: &str =
    "read_content insert_content update_content read_user_with_email read_user_without_email";

/// What Notion answers for a code it will not exchange.
const REVOKED_CODE: &str = "Invalid code: this code has been revoked.";

impl State {
    /// Answers an OAuth endpoint (see the [module documentation](self)).
    pub(super) fn oauth(
        &mut self,
        req: &Incoming,
        route: Route<'_>,
        line: &mut LoggedRequest,
    ) -> Reply<Done> {
        let client = self.oauth_client(&req.auth)?;
        line.integration = Some(self.clients[client].name.clone());
        let empty = json!({});
        let body = match &req.body {
            Body::Invalid | Body::Form(_) => return Err(Fail::invalid_json()),
            Body::Absent => &empty,
            Body::Json(v) => v,
        };
        let map = object_of(body)?;
        // OAuth's bodies are the same in every version (the header is optional here).
        let version = req
            .version
            .as_deref()
            .and_then(ApiVersion::parse)
            .unwrap_or(ApiVersion::V2026_03_11);
        if let Some(table) = route.body_keys(version) {
            check_keys(map, table)?;
        }
        let body = match route {
            Route::OauthToken => self.oauth_token(client, body)?,
            Route::OauthIntrospect => self.oauth_introspect(client, body)?,
            _ => self.oauth_revoke(client, body)?,
        };
        Ok(Done::new(body))
    }

    /// The client whose Basic credentials these are; 401 `invalid_client` otherwise.
    fn oauth_client(&self, auth: &Auth) -> Reply<usize> {
        let Auth::Basic { client_id, secret } = auth else {
            return Err(Fail::invalid_client());
        };
        self.clients
            .iter()
            .position(|c| c.id == *client_id && c.secret == *secret)
            .ok_or_else(Fail::invalid_client)
    }

    fn oauth_token(&mut self, client: usize, body: &Value) -> Reply {
        let grant_type = body.get("grant_type");
        let integration = match grant_type.and_then(Value::as_str) {
            None => return Err(Fail::missing("body.grant_type")),
            Some("authorization_code") => self.exchange_code(client, body)?,
            Some("refresh_token") => {
                let given = required_token(body, "refresh_token")?;
                self.integrations
                    .iter()
                    .position(|i| {
                        i.grant.as_ref().is_some_and(|g| {
                            g.client == client
                                && given.is_some()
                                && given.as_ref() == g.refresh.as_ref()
                        })
                    })
                    .ok_or_else(|| Fail::invalid_grant("Invalid refresh token."))?
            }
            Some(_) => {
                return Err(Fail::enumeration(
                    "body.grant_type",
                    &["authorization_code", "refresh_token"],
                    grant_type.unwrap_or(&Value::Null),
                ));
            }
        };
        let access = self.issue_tokens(integration);
        Ok(self.token_json(integration, &access))
    }

    /// Checks and uses up an authorization code; returns the installation it grants.
    fn exchange_code(&mut self, client: usize, body: &Value) -> Reply<usize> {
        let given = required_token(body, "code")?;
        let index = self
            .codes
            .iter()
            .position(|c| c.client == client && !c.used && given.as_ref() == Some(&c.code))
            .ok_or_else(|| Fail::invalid_grant(REVOKED_CODE))?;
        let sent = body.get("redirect_uri");
        match (&self.codes[index].redirect_uri, sent) {
            (Some(_), None) => return Err(Fail::missing("body.redirect_uri")),
            (Some(expected), Some(uri)) if uri.as_str() != Some(expected) => {
                return Err(Fail::invalid_grant("Invalid redirect_uri."));
            }
            (None, Some(uri)) => return Err(Fail::not_present("body.redirect_uri", uri)),
            _ => {}
        }
        self.codes[index].used = true;
        Ok(self.codes[index].integration)
    }

    /// The token response (`OauthTokenResponse`).
    fn token_json(&self, integration: usize, access: &NotionToken) -> Value {
        let installation = &self.integrations[integration];
        let workspace = &self.workspaces[installation.workspace];
        let grant = installation.grant.as_ref();
        let owner = grant
            .and_then(|g| self.users.get(&g.owner))
            .map_or(Value::Null, |u| self.user_json(u, false));
        json!({
            "access_token": access.expose(),
            "token_type": "bearer",
            "refresh_token": grant.and_then(|g| g.refresh.as_ref()).map(NotionToken::expose),
            "bot_id": uuid(installation.bot_id),
            "workspace_icon": null,
            "workspace_name": workspace.name,
            "workspace_id": uuid(workspace.id),
            "owner": {"type": "user", "user": owner},
            "duplicated_template_id": null,
        })
    }

    /// The installation of `client` whose current access token is `token`, if it is active.
    fn active_installation(&self, client: usize, token: Option<&NotionToken>) -> Option<usize> {
        let token = token?;
        self.integrations.iter().position(|i| {
            !i.revoked && i.token == *token && i.grant.as_ref().is_some_and(|g| g.client == client)
        })
    }

    fn oauth_introspect(&self, client: usize, body: &Value) -> Reply {
        let given = required_token(body, "token")?;
        Ok(match self.active_installation(client, given.as_ref()) {
            Some(i) => json!({
                "active": true,
                "scope": SCOPE,
                "iat": self.integrations[i].grant.as_ref().map_or(0, |g| g.issued_ms),
            }),
            None => json!({"active": false}),
        })
    }

    fn oauth_revoke(&mut self, client: usize, body: &Value) -> Reply {
        let given = required_token(body, "token")?;
        if let Some(i) = self.active_installation(client, given.as_ref()) {
            let installation = &mut self.integrations[i];
            installation.revoked = true;
            if let Some(grant) = installation.grant.as_mut() {
                grant.refresh = None;
            }
        }
        Ok(json!({}))
    }
}

/// The string at `body.key` as a secret (`None` for one no token can be), refused when absent.
fn required_token(body: &Value, key: &str) -> Reply<Option<NotionToken>> {
    match body.get(key) {
        None | Some(Value::Null) => Err(Fail::missing(&format!("body.{key}"))),
        Some(value) => Ok(value.as_str().and_then(|s| NotionToken::new(s).ok())),
    }
}
