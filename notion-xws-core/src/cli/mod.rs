//! The `notion-xws` command (feature `cli`): [`Cli`] reads the command line, [`Cli::run`] runs
//! it over the library's public API and returns the exit status.
//!
//! The binary `notion-xws` (`cargo install notion-xws-core --features cli`) and the Python
//! package's `notion-xws` script both run this module, so they take the same arguments, print
//! the same text and exit with the same statuses. The control token is read from the
//! environment variable `NOTION_TOKEN` (or the one `--token-env` names), never from the command
//! line. The exit status is 0 when all went well; 1 when the audit has blocking (P0) findings, a
//! repair change failed or a sync failed; 2 for usage or configuration errors ([`exit_status`]);
//! and 3 when a sync (or its plan) needs a person: a guard held, a conflict left open, a pair
//! left out for its token, parent page or registry row, a side that cannot be read
//! ([`RunReport::exit_status`](crate::sync::RunReport::exit_status)), or a saved plan (`sync
//! --execute --plan FILE`) that no longer holds, nothing written
//! ([`Error::PlanStale`]). `watch` ends with 130
//! after SIGINT and 143 after SIGTERM, 2 after a configuration error, else with its last cycle's
//! status ([`WatchEnd::exit_status`](crate::sync::watch::WatchEnd::exit_status)).
//!
//! - [`args`]: the options and subcommands.
//! - `commands`: what each subcommand does.
//! - `output`: how results are printed (stdout for results, stderr for errors and progress), as
//!   `--format` says: text that fits the terminal, Markdown or JSON.
//! - `progress`: the progress of an audit, a plan or a sync on a terminal: a bar or a line per
//!   phase and per pair, and log lines above them ([`LogWriter`]).
//! - `signals`: SIGINT and SIGTERM, turned into a stop between writes for `watch`.

pub mod args;
mod commands;
mod output;
mod progress;
mod signals;

pub use self::args::{Cli, Command, Format, SyncArgs};
pub use self::progress::LogWriter;

use crate::error::Error;

impl Cli {
    /// Runs the command and returns its exit status. An error that stops the run is printed on
    /// stderr (errors never hold a token).
    pub async fn run(&self) -> i32 {
        commands::run(self).await.unwrap_or_else(|error| {
            match &error {
                // The token Notion refused is the control token: say where it came from.
                Error::Unauthorized(api) => output::err!(
                    "notion-xws: Notion refused the control token in {} ({api}): it is wrong or \
                     was revoked; create a new token for the control integration and set {} to it",
                    self.token_env,
                    self.token_env
                ),
                _ => output::err!("notion-xws: {error}"),
            }
            exit_status(&error)
        })
    }
}

/// The exit status of a run that `error` stopped: 2 for configuration (the token, the base URL,
/// the registry, bad input), else 1 ([`Error::exit_status`]).
pub fn exit_status(error: &Error) -> i32 {
    error.exit_status()
}
