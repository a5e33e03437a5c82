//! Requests counted per token from the fake's request log, for the simulated benchmarks.

use std::collections::BTreeMap;

use notion_xws_core::fake::LoggedRequest;

use crate::api::is_write;
use crate::world::World;

/// One token's requests in a run.
#[derive(Debug, Default, Clone)]
pub struct TokenCounts {
    /// Requests received (429s included).
    pub requests: u64,
    /// Requests that may write.
    pub writes: u64,
    /// Requests answered 429.
    pub limited: u64,
}

impl TokenCounts {
    /// Requests the rate limit admitted.
    pub fn admitted(&self) -> u64 {
        self.requests - self.limited
    }
}

/// The requests of a log, per token (labelled as [`World::label`] does).
pub fn per_token(world: &World, log: &[LoggedRequest]) -> BTreeMap<String, TokenCounts> {
    let mut tokens: BTreeMap<String, TokenCounts> = BTreeMap::new();
    for line in log {
        let counts = tokens
            .entry(world.label(line.workspace.as_deref(), line.integration.as_deref()))
            .or_default();
        counts.requests += 1;
        counts.writes += u64::from(is_write(line.method, &line.path));
        counts.limited += u64::from(line.status == 429);
    }
    tokens
}

/// What one token's requests went to: each request named by its method, its path with the IDs
/// left out, and the title of the data source it touched (a query, a data source read, a row
/// created or updated), counted; the most frequent first. The titles are read with the
/// control token through the world's setup transport (which waits for the token's budget)
/// after the cycle, once per ID, outside the cycle's log.
pub async fn by_purpose(world: &World, log: &[LoggedRequest], label: &str) -> Vec<(String, u64)> {
    let mut titles: BTreeMap<String, String> = BTreeMap::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for line in log {
        if world.label(line.workspace.as_deref(), line.integration.as_deref()) != label {
            continue;
        }
        let parts: Vec<&str> = line.path.trim_start_matches("/v1/").split('/').collect();
        let shape: Vec<&str> = parts
            .iter()
            .map(|p| if p.len() >= 32 { ":id" } else { p })
            .collect();
        let id = parts
            .get(1)
            .filter(|p| p.len() >= 32)
            .map(|p| p.to_string());
        let title = match (parts.first().copied(), id) {
            (Some(kind @ ("data_sources" | "pages")), Some(id)) => {
                if !titles.contains_key(&id) {
                    let title = title_of(world, kind, &id).await;
                    titles.insert(id.clone(), title);
                }
                titles[&id].clone()
            }
            _ => String::new(),
        };
        *counts
            .entry(format!("{} /{} {title}", line.method, shape.join("/")))
            .or_default() += 1;
    }
    let mut counts: Vec<(String, u64)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    counts
}

/// The title of a data source, or of a page's data source (its database's title when the
/// data source has none).
async fn title_of(world: &World, kind: &str, id: &str) -> String {
    use notion_xws_core::transport::Method;
    let token = &world.control.token;
    let data_source = if kind == "pages" {
        let page = crate::api::send(
            &*world.setup,
            Method::Get,
            &format!("/v1/pages/{id}"),
            token,
            None,
        )
        .await;
        match page.body["parent"]["data_source_id"].as_str() {
            Some(ds) => ds.to_owned(),
            None => return "(page)".to_owned(),
        }
    } else {
        id.to_owned()
    };
    let body = crate::api::send(
        &*world.setup,
        Method::Get,
        &format!("/v1/data_sources/{data_source}"),
        token,
        None,
    )
    .await
    .body;
    body["title"]
        .as_array()
        .and_then(|t| t.first())
        .and_then(|t| t["plain_text"].as_str())
        .unwrap_or("?")
        .to_owned()
}
