//! The sync: databases created under the right parent page, rows kept in step, every row
//! exactly once.
//!
//! By the data flow, from what is shared to what runs it:
//!
//! - [`columns`]: every `notion-xws:*` column the sync adds, and how its value is encoded.
//! - [`rows`]: the row model every step shares (`SyncPair`, `RowContent`, the target's snapshot).
//! - [`values`]: property values in one canonical form, for comparing and for writing.
//! - [`schema`]: the source's schema translated for the target, and the correlation column.
//! - [`column_map`]: which copy column (and option) follows which source column, by ID.
//! - [`refs`]: relation and people values made portable between workspaces, and their reads.
//! - [`files`]: Notion-hosted files, re-imported into the other workspace just before a write.
//! - [`guard`]: the max-delete guard, one rule for both pair kinds.
//! - [`options`]: the executor's knobs and its progress reports.
//! - `settle`: writes whose outcome is unknown, looked up before they are sent again.
//! - [`metadata`]: a database's title, description, icon and cover, carried to its copies.
//! - [`target`]: a pair's target database, found by its marker or created, and recorded.
//! - [`outcome`]: what applying a pair's plan did, for both pair kinds.
//! - [`links`]: `system-sync-links`, the record in Notion of each pair's target and status.
//! - [`lease`]: the pairs' leases in `system-sync-leases` (one claim per environment and pass), so
//!   that overlapping runs write each pair once.
//! - [`one_way`]: one-way pairs: the pure planner and the executor.
//! - [`two_way`]: two-way pairs: the pure planner (bases, conflicts, a policy), reader, executor.
//! - [`content`]: page content (the blocks of each row), copied when a database asks for it.
//! - [`planned`]: the plan as data (each row action, with its values before and after, and
//!   each schema change), and saved plans applied exactly ([`apply_saved_plan`]) or refused.
//! - [`report`]: what became of each pair and of the run ([`RunReport`]), as JSON, Markdown or
//!   text.
//! - `notify` (feature `http`): a run that needs a person or failed, posted to a webhook.
//! - [`run`]: the orchestrator ([`sync`], [`transfer`]): the pairs, their order, each one's steps.
//! - [`stop`]: a flag that stops a run between writes (a signal, a request).
//! - [`watch`]: runs the sync in cycles, backing off after failures, until told to stop.
//! - [`watermark`]: how far a pair has read each side, and when a run reads only what changed.
//!
//! Plan, then apply: planning reads and never writes; applying writes only what the plan says.
//! A target row is identified by the correlation column `notion-xws:source`, which holds its
//! source row's ID and is written with the row, so that a re-run after any crash finds every row
//! it made and makes none twice.

pub mod column_map;
pub mod columns;
pub mod content;
pub mod files;
pub mod guard;
pub mod lease;
pub mod links;
pub mod metadata;
#[cfg(feature = "http")]
pub mod notify;
pub mod one_way;
pub mod options;
pub mod outcome;
pub mod planned;
pub mod refs;
pub mod report;
pub mod rows;
pub mod run;
pub mod schema;
pub(crate) mod settle;
pub mod stop;
pub mod target;
pub mod two_way;
pub mod values;
pub mod watch;
pub mod watermark;

pub use report::{PairReport, PairState, RunReport};
pub use run::{SyncOptions, apply_saved_plan, sync, transfer};
