//! The sync: databases created under the right parent page, rows kept in step, every row
//! exactly once.
//!
//! - [`columns`]: every `notion-xws:*` column the sync adds, and how its value is encoded.
//! - [`rows`]: the row model shared by every step ([`SyncPair`](rows::SyncPair),
//!   [`RowContent`](rows::RowContent), the target's snapshot).
//! - [`options`]: the executor's knobs, shared by every part that writes.
//! - [`values`]: property values in one canonical form, for comparing and for writing.
//! - [`content`]: page content (the blocks of each row), copied when a database asks for it.
//! - [`schema`]: the source's schema translated for the target, and the correlation column.
//! - [`plan`]: the pure planner and the [`PairPlan`](plan::PairPlan) it makes.
//! - [`two_way`]: the pure two-way planner (a base per linked row pair, conflicts, a policy),
//!   its reader (`two_way::read`) and its executor (`two_way::apply`).
//! - [`refs`]: relation and people values made portable between two workspaces.
//! - [`links`]: `system-sync-links`, the record in Notion of each pair's target.
//! - [`execute`]: the one-way executor, which applies a plan and settles unknown outcomes (by
//!   the rules of [`client::writes`](crate::client::writes)).
//! - [`files`]: Notion-hosted files, re-imported into the other workspace just before a write.
//! - [`run`]: the orchestrator ([`sync`], [`transfer`]); `run_refs`: the reads that make
//!   references portable (the users lists, the related copies' rows), shared by the pairs.
//! - [`report`]: what became of each pair and of the run ([`RunReport`]), as JSON and Markdown.
//!
//! Plan, then apply: planning reads and never writes; applying writes only what the plan says.
//! A target row is identified by the correlation column `notion-xws:source`, which holds its
//! source row's ID and is written with the row, so that a re-run after any crash finds every row
//! it made and makes none twice.

pub mod columns;
pub mod content;
pub mod files;
pub mod guard;
pub mod links;
pub mod one_way;
pub mod options;
pub mod refs;
pub mod report;
pub mod rows;
pub mod run;
pub mod schema;
pub(crate) mod settle;
pub mod target;
pub mod two_way;
pub mod values;

pub use report::{PairReport, PairState, RunReport};
pub use run::{SyncOptions, sync, transfer};
