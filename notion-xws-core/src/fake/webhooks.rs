//! Webhooks: the fake delivers Notion's webhook events to a URL a test subscribes, signed as
//! Notion signs them, and retries failed deliveries.
//!
//! As in Notion ("Webhooks", developers.notion.com/reference/webhooks, and the SDK's
//! `webhooks.ts` payload types): a subscription belongs to an integration; its first request is
//! the verification request, `{"verification_token": "secret_…"}`, unsigned; every event after it
//! is a JSON `POST` whose `X-Notion-Signature` header is `sha256=` and the hex HMAC-SHA256 of the
//! raw body keyed with that verification token. An event carries `id`, `timestamp`,
//! `workspace_id`, `workspace_name`, `subscription_id`, `integration_id`, `authors`,
//! `attempt_number`, `api_version`, `type`, `entity` and `data`. A subscription gets the events
//! of what its integration can see: `page.created`, `page.properties_updated`,
//! `page.content_updated`, `page.moved`, `page.deleted`, `page.undeleted`, `page.locked`,
//! `page.unlocked`, `database.created`, `database.moved`, `database.deleted`,
//! `database.undeleted`, `data_source.created`, `data_source.schema_updated`,
//! `data_source.moved`, `data_source.deleted`, `data_source.undeleted`, `view.created`,
//! `view.updated`, `view.deleted`, `comment.created`, `comment.updated`, `comment.deleted`, and
//! of its own file uploads `file_upload.created`, `file_upload.completed`,
//! `file_upload.upload_failed` and `file_upload.expired`. Not sent: the `*.content_updated`
//! events of databases and data sources, `database.schema_updated` (2022-06-28's) and
//! `page.transcription_block.transcript_deleted`.
//!
//! Events wait in a queue until [`FakeNotion::deliver_webhooks`](super::FakeNotion::deliver_webhooks)
//! sends those that are due, so tests decide when delivery happens. An endpoint that answers
//! other than 2xx, or cannot be reached, gets the event again later: attempt `n + 1` is due
//! `retry_delay × 2^(n−1)` after attempt `n` (one minute by default), up to 8 attempts in all
//! (Notion's `attempt_number` is 1 to 8), after which the event is dropped. Only `http://` URLs
//! on 127.0.0.1 or localhost are taken: the fake never reaches beyond the machine.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::clock::format_iso;
use super::state::{IdStyle, State, uuid};
use crate::error::{Error, Result};
use crate::ids::ObjectId;

/// The most attempts at delivering one event (Notion's `attempt_number` is 1 to 8).
pub const MAX_ATTEMPTS: u32 = 8;

/// The delay before the second attempt, by default; each further attempt waits twice as long.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(60);

/// A webhook subscription of the fake, as a test made it.
#[derive(Clone)]
pub struct FakeWebhook {
    /// The subscription's ID (`subscription_id` in every event).
    pub subscription_id: ObjectId,
    verification_token: String,
}

impl FakeWebhook {
    /// The verification token: sent once, in the verification request, and the key of every
    /// event's signature.
    pub fn verification_token(&self) -> &str {
        &self.verification_token
    }
}

impl std::fmt::Debug for FakeWebhook {
    /// The token never prints.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeWebhook")
            .field("subscription_id", &self.subscription_id)
            .field("verification_token", &"<redacted>")
            .finish()
    }
}

/// One delivery attempt, as [`FakeNotion::deliver_webhooks`](super::FakeNotion::deliver_webhooks)
/// reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The subscription.
    pub subscription_id: ObjectId,
    /// The event type (`page.created`, …), or `verification` for the verification request.
    pub event_type: String,
    /// The event's ID (`None` for the verification request).
    pub event_id: Option<ObjectId>,
    /// The attempt (1 to [`MAX_ATTEMPTS`]).
    pub attempt_number: u32,
    /// The endpoint's HTTP status; `None` when it could not be reached.
    pub status: Option<u16>,
    /// Whether the endpoint took it (a 2xx).
    pub delivered: bool,
    /// Whether it will be tried again (not delivered, attempts left).
    pub will_retry: bool,
}

/// A subscription in the fake's memory.
#[derive(Debug, Clone)]
pub(crate) struct Subscription {
    pub(crate) id: u128,
    pub(crate) integration: usize,
    pub(crate) url: String,
    pub(crate) token: String,
    pub(crate) api_version: String,
}

/// An event waiting for its next attempt.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub(crate) subscription: u128,
    /// The event's ID; `None` for the verification request.
    pub(crate) event: Option<u128>,
    pub(crate) kind: String,
    /// The payload without `attempt_number`.
    pub(crate) payload: Value,
    pub(crate) attempt: u32,
    pub(crate) due_ms: i64,
}

/// The `X-Notion-Signature` of `body` signed with `token`: `sha256=` and the hex HMAC-SHA256.
pub fn signature(token: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, token.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// The host, port and path of an `http://` URL on this machine.
fn local_target(url: &str) -> Option<(String, u16, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest
        .split_once('/')
        .map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let (host, port) = authority
        .rsplit_once(':')
        .map_or((authority, "80"), |(h, p)| (h, p));
    let port: u16 = port.parse().ok()?;
    matches!(host, "127.0.0.1" | "localhost").then(|| (host.to_owned(), port, path))
}

/// POSTs `body` to `url` with `signature` (if any); the status, or `None` when unreachable.
async fn post(url: &str, body: &[u8], signature: Option<&str>) -> Option<u16> {
    let (host, port, path) = local_target(url)?;
    let attempt = async {
        let mut stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .ok()?;
        let mut head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUser-Agent: notion-api\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        if let Some(signature) = signature {
            head.push_str(&format!("X-Notion-Signature: {signature}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await.ok()?;
        stream.write_all(body).await.ok()?;
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.windows(2).any(|w| w == b"\r\n") {
            let n = stream.read(&mut buf).await.ok()?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
        }
        let line = String::from_utf8_lossy(&answer);
        line.split_whitespace().nth(1)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(10), attempt)
        .await
        .ok()
        .flatten()
}

impl State {
    /// Adds a subscription of `integration` to `url`; its verification request is queued first.
    pub(crate) fn subscribe(
        &mut self,
        integration: usize,
        url: &str,
        api_version: &str,
    ) -> Result<(u128, String)> {
        if local_target(url).is_none() {
            return Err(Error::Config(format!(
                "the fake delivers webhooks only to http:// URLs on 127.0.0.1 or localhost, not {url}"
            )));
        }
        let id = self.new_id(IdStyle::V8);
        let token = format!("secret_{}", self.random_text(43));
        self.subscriptions.push(Subscription {
            id,
            integration,
            url: url.to_owned(),
            token: token.clone(),
            api_version: api_version.to_owned(),
        });
        let now = self.clock.now_ms();
        self.pending.push(Pending {
            subscription: id,
            event: None,
            kind: "verification".to_owned(),
            payload: json!({"verification_token": token}),
            attempt: 1,
            due_ms: now,
        });
        Ok((id, token))
    }

    /// Queues event `kind` about `entity` (`{id, type}`) for every subscription whose
    /// integration sees `visible_id`, authored by `author` (a bot or a person).
    pub(crate) fn emit(
        &mut self,
        kind: &str,
        visible_id: u128,
        entity: Value,
        data: Value,
        author: u128,
    ) {
        if self.subscriptions.is_empty() {
            return;
        }
        let Some(ws) = self
            .objects
            .get(&visible_id)
            .map(|o| o.workspace)
            .or_else(|| {
                self.comments
                    .iter()
                    .find(|c| c.id == visible_id)
                    .map(|c| c.workspace)
            })
            .or_else(|| self.file_uploads.get(&visible_id).map(|f| f.workspace))
        else {
            return;
        };
        let author_type = match self.users.get(&author) {
            Some(u) if u.integration.is_some() => "bot",
            _ => "person",
        };
        let now = self.clock.now_ms();
        let targets: Vec<Subscription> = self
            .subscriptions
            .iter()
            .filter(|s| {
                self.integrations
                    .get(s.integration)
                    .is_some_and(|i| i.workspace == ws && !i.revoked)
                    && (self.visible(s.integration, visible_id)
                        || !self.objects.contains_key(&visible_id))
                    // A file upload is its uploader's only.
                    && self
                        .file_uploads
                        .get(&visible_id)
                        .is_none_or(|f| f.created_by == self.bot(s.integration))
            })
            .cloned()
            .collect();
        let (ws_id, ws_name) = self
            .workspaces
            .get(ws)
            .map(|w| (w.id, w.name.clone()))
            .unwrap_or_default();
        for sub in targets {
            let event = self.new_id(IdStyle::V4);
            let mut payload = json!({
                "id": uuid(event),
                "timestamp": format_iso(now),
                "workspace_id": uuid(ws_id),
                "workspace_name": ws_name,
                "subscription_id": uuid(sub.id),
                "integration_id": uuid(self.bot(sub.integration)),
                "authors": [{"id": uuid(author), "type": author_type}],
                "api_version": sub.api_version,
                "type": kind,
                "entity": entity,
            });
            if !data.is_null() {
                payload["data"] = data.clone();
            }
            self.pending.push(Pending {
                subscription: sub.id,
                event: Some(event),
                kind: kind.to_owned(),
                payload,
                attempt: 1,
                due_ms: now,
            });
        }
    }

    /// Queues event `kind` about object `id` (a database or data source: `entity_type`), with
    /// its parent as `data.parent`.
    pub(crate) fn emit_about(&mut self, id: u128, kind: &str, entity_type: &str, author: u128) {
        let data = json!({"parent": self.event_parent(id)});
        self.emit(
            kind,
            id,
            json!({"id": uuid(id), "type": entity_type}),
            data,
            author,
        );
    }

    /// Puts object `id` (a database or data source: `entity_type`) in the trash or takes it
    /// out; when that changes it, queues `{entity_type}.deleted` or `.undeleted`.
    pub(crate) fn set_trash(&mut self, id: u128, in_trash: bool, entity_type: &str, author: u128) {
        let Some(object) = self.objects.get_mut(&id) else {
            return;
        };
        if object.in_trash == in_trash {
            return;
        }
        object.in_trash = in_trash;
        let kind = if in_trash { "deleted" } else { "undeleted" };
        self.emit_about(id, &format!("{entity_type}.{kind}"), entity_type, author);
    }

    /// `{id, type}` of a page's parent, as an event's `data.parent` names it.
    pub(crate) fn event_parent(&self, id: u128) -> Value {
        use super::state::Parent;
        match self.objects.get(&id).map(|o| o.parent) {
            Some(Parent::Page(p)) => json!({"id": uuid(p), "type": "page"}),
            Some(Parent::Block(b)) => json!({"id": uuid(b), "type": "block"}),
            Some(Parent::DataSource(ds)) => json!({
                "id": uuid(self.database_of(ds)), "type": "database", "data_source_id": uuid(ds),
            }),
            Some(Parent::Database(db)) => json!({"id": uuid(db), "type": "database"}),
            Some(Parent::Workspace) | None => {
                let ws = self.objects.get(&id).map_or(0, |o| o.workspace);
                json!({"id": uuid(self.workspaces.get(ws).map_or(0, |w| w.id)), "type": "space"})
            }
        }
    }

    /// The page whose content `block` is (itself, for a page).
    pub(crate) fn content_page(&self, block: u128) -> u128 {
        use super::state::{Kind, Parent};
        let mut current = block;
        for _ in 0..10_000 {
            match self.objects.get(&current) {
                Some(o) if matches!(o.kind, Kind::Block(_)) => {
                    current = match o.parent {
                        Parent::Page(p) | Parent::Block(p) => p,
                        _ => return current,
                    };
                }
                _ => return current,
            }
        }
        current
    }

    /// Queues `page.content_updated` for the page holding `blocks`.
    pub(crate) fn emit_content_updated(&mut self, blocks: &[u128], author: u128) {
        let Some(first) = blocks.first() else { return };
        let page = self.content_page(*first);
        let updated: Vec<Value> = blocks
            .iter()
            .map(|b| json!({"id": uuid(*b), "type": "block"}))
            .collect();
        let data = json!({"parent": self.event_parent(page), "updated_blocks": updated});
        self.emit(
            "page.content_updated",
            page,
            json!({"id": uuid(page), "type": "page"}),
            data,
            author,
        );
    }

    /// Queues the events of file uploads whose status changed since they were last announced:
    /// `file_upload.completed` (now `uploaded`), `file_upload.upload_failed` (an import that
    /// failed, with its `file_import_result`) and `file_upload.expired`. Their status follows the
    /// clock (imports end, uploads expire), so this runs after each request and before each
    /// delivery.
    pub(crate) fn file_upload_events(&mut self) {
        if self.subscriptions.is_empty() {
            return;
        }
        let now = self.clock.now_ms();
        let mut changed: Vec<(u128, &'static str, u128, Value)> = self
            .file_uploads
            .values()
            .filter_map(|file| {
                let status = self.file_upload_status(file);
                let result = file.import.as_ref().and_then(|i| i.result(now));
                (status != file.announced).then(|| {
                    let data = result.map_or(Value::Null, |r| json!({"file_import_result": r}));
                    (file.id, status, file.created_by, data)
                })
            })
            .collect();
        changed.sort_by_key(|(id, ..)| self.file_uploads.get(id).map_or(0, |f| f.seq));
        for (id, status, by, data) in changed {
            if let Some(file) = self.file_uploads.get_mut(&id) {
                file.announced = status;
            }
            let kind = match status {
                "uploaded" => "file_upload.completed",
                "failed" => "file_upload.upload_failed",
                "expired" => "file_upload.expired",
                _ => continue,
            };
            let data = if kind == "file_upload.upload_failed" {
                data
            } else {
                Value::Null
            };
            let entity = json!({"id": uuid(id), "type": "file_upload"});
            self.emit(kind, id, entity, data, by);
        }
    }

    /// Takes the deliveries due now, with their subscriptions' URL and token.
    fn due_deliveries(&mut self) -> Vec<(Pending, String, String)> {
        self.file_upload_events();
        let now = self.clock.now_ms();
        let (due, later): (Vec<Pending>, Vec<Pending>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|p| p.due_ms <= now);
        self.pending = later;
        due.into_iter()
            .filter_map(|p| {
                let sub = self.subscriptions.iter().find(|s| s.id == p.subscription)?;
                Some((p, sub.url.clone(), sub.token.clone()))
            })
            .collect()
    }
}

impl super::FakeNotion {
    /// Subscribes `url` (an `http://` URL on 127.0.0.1 or localhost) to the webhook events of the
    /// token's integration, rendered in `api_version`, as a person does in the integration's
    /// settings. The first delivery to it is the verification request, `{"verification_token":
    /// …}`, unsigned; then each event the integration can see (`page.created`,
    /// `page.properties_updated`, `page.content_updated`, `page.moved`, `page.deleted`,
    /// `page.undeleted`, `page.locked`, `page.unlocked`, `database.created`,
    /// `data_source.schema_updated`, `comment.created`, `comment.updated`, `comment.deleted`) in
    /// Notion's payload, with `X-Notion-Signature: sha256=<hex HMAC-SHA256 of the body>` keyed with
    /// the verification token ([`webhook_signature`](super::webhook_signature)). Events wait
    /// until [`deliver_webhooks`](Self::deliver_webhooks).
    pub fn subscribe_webhook(
        &self,
        token: &crate::secret::NotionToken,
        url: &str,
        api_version: &str,
    ) -> Result<FakeWebhook> {
        let mut state = self.lock();
        let integration = state
            .integration_by_token(token)
            .ok_or_else(|| Error::Config("the fake knows no such token".to_owned()))?;
        let (id, token) = state.subscribe(integration, url, api_version)?;
        Ok(FakeWebhook {
            subscription_id: ObjectId::from_u128(id),
            verification_token: token,
        })
    }

    /// Sets the delay before a failed delivery's second attempt (each further attempt waits
    /// twice as long); [`DEFAULT_RETRY_DELAY`] unless set.
    pub fn set_webhook_retry_delay(&self, delay: Duration) {
        self.lock().webhook_retry_delay = delay;
    }

    /// How many webhook deliveries wait (due now or later).
    pub fn pending_webhooks(&self) -> usize {
        self.lock().pending.len()
    }

    /// Sends every webhook delivery that is due now, one after another, signed, and returns what
    /// happened to each. A delivery the endpoint does not take (not a 2xx, or unreachable) is
    /// due again after the retry delay ([`set_webhook_retry_delay`](Self::set_webhook_retry_delay),
    /// [`DEFAULT_RETRY_DELAY`]), doubled after each further failure, up to [`MAX_ATTEMPTS`]
    /// attempts; then it is dropped.
    pub async fn deliver_webhooks(&self) -> Vec<WebhookDelivery> {
        let due = self.lock().due_deliveries();
        let mut report = Vec::new();
        for (pending, url, token) in due {
            let mut payload = pending.payload.clone();
            let signed = pending.event.is_some();
            if signed {
                payload["attempt_number"] = json!(pending.attempt);
            }
            let body = serde_json::to_vec(&payload).unwrap_or_default();
            let sig = signed.then(|| signature(&token, &body));
            let status = post(&url, &body, sig.as_deref()).await;
            let delivered = status.is_some_and(|s| (200..300).contains(&s));
            let will_retry = !delivered && pending.attempt < MAX_ATTEMPTS;
            report.push(WebhookDelivery {
                subscription_id: ObjectId::from_u128(pending.subscription),
                event_type: pending.kind.clone(),
                event_id: pending.event.map(ObjectId::from_u128),
                attempt_number: pending.attempt,
                status,
                delivered,
                will_retry,
            });
            if will_retry {
                let mut state = self.lock();
                let base =
                    i64::try_from(state.webhook_retry_delay.as_millis()).unwrap_or(i64::MAX / 4);
                let wait = base.saturating_mul(1 << (pending.attempt - 1));
                let due_ms = state.clock.now_ms().saturating_add(wait);
                state.pending.push(Pending {
                    attempt: pending.attempt + 1,
                    due_ms,
                    ..pending
                });
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hex_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn only_local_http_urls_are_targets() {
        assert_eq!(
            local_target("http://127.0.0.1:8080/hook"),
            Some(("127.0.0.1".to_owned(), 8080, "/hook".to_owned()))
        );
        assert_eq!(
            local_target("http://localhost:9"),
            Some(("localhost".to_owned(), 9, "/".to_owned()))
        );
        assert_eq!(local_target("https://127.0.0.1:8080/hook"), None);
        assert_eq!(local_target("http://example.com/hook"), None);
    }
}
