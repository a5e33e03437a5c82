//! # notion-xws-core
//!
//! Keep Notion databases in sync across workspaces: audit the registry that describes them, repair
//! what can be repaired, and sync rows one way or both ways, every row exactly once, within
//! Notion's rate limits.
//!
//! ```
//! use notion_xws_core::{DatabaseId, NotionLink};
//!
//! // A link names a database (the path), a view (`v=`) and a row opened in peek (`p=`):
//! // three different things that the script this library replaces confused.
//! let link = NotionLink::parse(
//!     "https://app.notion.com/p/Roadmap-5b8f0c1de2a34f6789abcdef01234567?v=0123456789abcdef0123456789abcdef",
//! )?;
//! let database = DatabaseId::from(link.id);
//! assert_eq!(database.to_string(), "5b8f0c1d-e2a3-4f67-89ab-cdef01234567");
//! assert!(link.peek_id.is_none());
//! # Ok::<(), notion_xws_core::Error>(())
//! ```
//!
//! The whole flow, on the fake Notion's demo world (feature `fake`): audit the registry, repair
//! what can be repaired, then sync — here as a dry run, which writes nothing.
//!
//! ```
//! # #[cfg(feature = "fake")]
//! # tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use notion_xws_core::client::NotionClient;
//! use notion_xws_core::demo::DemoWorld;
//! use notion_xws_core::fake::{FakeConfig, FakeNotion};
//! use notion_xws_core::registry::RegistryConfig;
//! use notion_xws_core::transport::stack::{StackConfig, TransportStack};
//! use notion_xws_core::{audit, repair, sync};
//!
//! let fake = FakeNotion::new(FakeConfig::default());
//! let world = DemoWorld::build(&fake).await?;
//! // Retries, per-token rate limits and a record of every request, over the fake.
//! let stack = TransportStack::new(Arc::new(fake), StackConfig::default());
//! let control = NotionClient::new(stack.transport(), world.control_token.clone());
//! let config = RegistryConfig::default(); // `system-environments` and `system-databases`, by title
//!
//! let (registry, report) = audit::audit(&control, &config).await?;
//! assert_eq!(report.summary.environments_with_invalid_token, 6);
//! let plan = repair::plan_repair(&registry, &report, "2026-11-25");
//! repair::apply_repair(&control, &registry, &plan).await;
//!
//! let dry_run = sync::sync(&control, &config, &sync::SyncOptions::default(), None).await?;
//! let tasks = dry_run.pairs.iter().find(|p| p.pair.database == "Tasks").unwrap();
//! assert_eq!(tasks.created, 120); // would be created; nothing was written
//! # Ok::<(), notion_xws_core::Error>(())
//! # }).unwrap();
//! ```
//!
//! ## Modules
//! - [`ids`]: one type per kind of Notion ID ([`DatabaseId`], [`DataSourceId`], [`PageId`], …).
//! - [`link`]: the one link parser ([`NotionLink`]).
//! - [`secret`]: integration tokens that never print ([`NotionToken`]).
//! - [`error`]: the one error type ([`Error`]).
//! - [`transport`]: the [`Transport`](transport::Transport) seam and its wrappers (rate limits,
//!   retries, recording), and the real HTTP transport.
//! - [`client`]: [`NotionClient`](client::NotionClient), the typed operations, the writes and
//!   the rule for a write whose outcome is unknown ([`client::writes`]), pagination, and
//!   [`client::connect`] (a client over the standard stack). No request path is spelled outside
//!   `client`, `transport`, `model` and `fake`.
//! - [`model`]: typed wire models of the Notion API.
//! - [`audit`]: the audit of the registry ([`audit::AuditReport`]), read only; and its report
//!   written as a Notion page when asked ([`audit::notion`]).
//! - [`repair`]: the repair of what the audit found, planned purely, applied when asked.
//! - [`init`]: the registry made on an empty workspace, or its missing columns added (with the
//!   repair's code); its columns are listed once, in [`registry::columns`].
//! - [`registry`]: the registry in Notion (`system-environments`, `system-databases`, `Clients`),
//!   read; and what is never synced ([`registry::Protected`]).
//! - [`sync`]: the sync, by its data flow: the shared pieces, one-way and two-way pairs (each a
//!   pure planner and an executor), page content, and the orchestrator (`sync/mod.rs` lists each
//!   module in a line). Its report says what a scheduler acts on (the exit status, what needs a
//!   person).
//! - [`progress`]: what an audit or a sync reports as it goes, phase by phase and pair by pair
//!   ([`progress::Progress`]), to a callback.
//! - [`rate`]: request budgets ([`RateBudget`](rate::RateBudget)) enforced on tokio's clock, and
//!   the [`Precedence`](rate::Precedence) of the requests waiting for one.
//! - `fake` (feature `fake`): the fake Notion, in memory and over HTTP on 127.0.0.1.
//! - `cli` (feature `cli`): the `notion-xws` command, which the binary of that name and the
//!   Python package's script run.
//! - `demo` (feature `fake`): the demo world of the gap report, laid out in the fake, and the
//!   story the `demo` command tells over it.

#![forbid(unsafe_code)]

pub mod audit;
#[cfg(feature = "cli")]
pub mod cli;
pub mod client;
#[cfg(feature = "fake")]
pub mod demo;
pub mod error;
#[cfg(feature = "fake")]
pub mod fake;
pub mod ids;
pub mod init;
pub mod link;
pub mod model;
pub mod progress;
pub mod rate;
pub mod registry;
pub mod repair;
pub mod secret;
pub mod sync;
pub mod transport;
pub mod words;

pub use error::{ApiError, ApiErrorCode, Error, Result, TransportErrorKind};
pub use ids::{
    BlockId, DataSourceId, DatabaseId, FileUploadId, IdError, ObjectId, PageId, PropertyId,
    RequestId, UserId, ViewId, WorkspaceId,
};
pub use link::{LinkError, NotionLink};
pub use secret::{NotionToken, TokenError};
