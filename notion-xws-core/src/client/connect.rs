//! [`connect`]: a [`NotionClient`] over the standard [`TransportStack`] (retries, each token's
//! rate budget, the record), to Notion over HTTP or to a transport in memory such as the fake.
//!
//! The command, the Python `Client` and the demo build their clients here, so that every one of
//! them runs on the same layers with the same rules.

use std::time::Duration;

use super::{NotionClient, NotionVersion};
use crate::error::Result;
use crate::rate::RateBudget;
use crate::secret::NotionToken;
use crate::transport::DynTransport;
use crate::transport::retry::RetryConfig;
use crate::transport::stack::{StackConfig, TransportStack};

/// Where a client's requests go.
#[derive(Debug, Clone)]
pub enum Endpoint {
    /// The API at this base URL (`https://api.notion.com`, or a fake served on 127.0.0.1), over
    /// HTTP.
    #[cfg(feature = "http")]
    Http(String),
    /// A transport in memory (the fake Notion, a mock). Its requests are not paced by the
    /// client: it answers at once and enforces its own limits, which the retries honour.
    InMemory(DynTransport),
}

/// The budget of a client of a transport in memory: none to speak of.
const IN_MEMORY_BUDGET: RateBudget = RateBudget::new(u32::MAX, u32::MAX);

/// A client of `token` over the standard transport stack to `endpoint`, speaking
/// `api_version` (`YYYY-MM-DD`, 2025-09-03 or later). `budget` paces each token over HTTP;
/// `max_wait` bounds the waits of each request (`--max-wait`: see
/// [`RetryConfig::max_wait`]).
///
/// Fails with [`Error::Config`](crate::Error::Config) for a version Notion does not have or a base URL that is not one.
pub fn connect(
    endpoint: Endpoint,
    token: NotionToken,
    api_version: &str,
    budget: RateBudget,
    max_wait: Duration,
) -> Result<NotionClient> {
    let version = NotionVersion::new(api_version)?;
    let (base, budget): (DynTransport, _) = match endpoint {
        #[cfg(feature = "http")]
        Endpoint::Http(base_url) => (
            std::sync::Arc::new(crate::transport::http::HttpTransport::with_base_url(
                &base_url,
            )?),
            budget,
        ),
        Endpoint::InMemory(transport) => (transport, IN_MEMORY_BUDGET),
    };
    let stack = TransportStack::new(
        base,
        StackConfig {
            budget,
            retry: RetryConfig {
                max_wait,
                ..RetryConfig::default()
            },
            // Only the stack could read its record, and it is dropped here: the record counts,
            // and keeps no request (a request's body is kilobytes of JSON, a query for 100 rows
            // by their keys tens of them: 1,000 kept were tens of MiB of a long run).
            keep_requests: 0,
        },
    );
    Ok(NotionClient::new(stack.transport(), token).with_version(version))
}
