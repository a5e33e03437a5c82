//! The command line: the global options and the subcommands, as `clap` reads them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Audit, repair and sync Notion databases across workspaces.
///
/// The control token is read from the environment variable NOTION_TOKEN (or the one named by
/// --token-env), never from the command line.
#[derive(Debug, Clone, Parser)]
#[command(name = "notion-xws", version, about)]
pub struct Cli {
    /// The Notion API's base URL (a fake served on 127.0.0.1, say).
    #[arg(
        long,
        global = true,
        env = "NOTION_BASE_URL",
        default_value = "https://api.notion.com",
        value_name = "URL"
    )]
    pub base_url: String,
    /// The environment variable that holds the control token.
    #[arg(
        long,
        global = true,
        default_value = "NOTION_TOKEN",
        value_name = "NAME"
    )]
    pub token_env: String,
    /// The `system-environments` database, by ID or link (default: found by title).
    #[arg(long, global = true, value_name = "ID_OR_LINK")]
    pub environments: Option<String>,
    /// The `system-databases` database, by ID or link (default: found by title).
    #[arg(long, global = true, value_name = "ID_OR_LINK")]
    pub databases: Option<String>,
    /// Requests per minute for each token (Notion allows 180 on most plans).
    #[arg(long, global = true, default_value_t = 180, value_name = "N")]
    pub requests_per_minute: u32,
    /// More log lines on stderr: -v says each retry and wait and more (info), -vv each request
    /// (debug), -vvv everything (trace). Without it: warnings and errors only.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The least level of the log lines on stderr; takes precedence over -v and RUST_LOG.
    #[arg(
        long,
        global = true,
        value_name = "LEVEL",
        value_parser = ["error", "warn", "info", "debug", "trace"]
    )]
    pub log_level: Option<String>,
    /// How log lines on stderr (and `watch`'s line per cycle on stdout) are written: text, or
    /// json (one JSON object per line).
    #[arg(
        long,
        global = true,
        default_value = "text",
        value_name = "FORMAT",
        value_parser = ["text", "json"]
    )]
    pub log_format: String,
    /// The longest a request waits for Notion in all (`90s`, `10m`): a `Retry-After` longer than
    /// this fails the request (and its pair) with a rate-limit error that says when to try
    /// again, instead of waiting it out.
    #[arg(
        long,
        global = true,
        default_value = "5m",
        value_name = "DURATION",
        value_parser = humantime::parse_duration
    )]
    pub max_wait: std::time::Duration,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// The help text shows `<column>` as it is: not an HTML tag.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Creates the registry (`system-environments` and `system-databases`, with every column
    /// and the relation between them) under a page, or adds the columns an existing registry
    /// lacks; a second run writes nothing.
    Init {
        /// The page (its link or ID) to create the tables under; the control integration must
        /// be able to edit it.
        #[arg(long, value_name = "PAGE")]
        parent: String,
        /// Print only the JSON report on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Audits the registry (read only) and prints the report (text, Markdown, or JSON).
    Audit {
        /// Print only the JSON report on stdout (the same as --format json).
        #[arg(long)]
        json: bool,
        /// How the report is printed: text (fits the terminal; the default on a terminal),
        /// markdown (the default elsewhere) or json.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<Format>,
        /// Also write the Markdown report to FILE.
        #[arg(long, value_name = "FILE")]
        markdown: Option<PathBuf>,
        /// Also write the report as the Notion page "notion-xws audit report" under the
        /// registry's page, replacing the previous one.
        #[arg(long)]
        to_notion: bool,
    },
    /// Plans the repair of what the audit found; applies it with --execute.
    Repair {
        /// Apply the changes (without it: a dry run, nothing is written).
        #[arg(long)]
        execute: bool,
        /// Print only the JSON report on stdout (the same as --format json).
        #[arg(long)]
        json: bool,
        /// How the report is printed: text (fits the terminal; the default on a terminal),
        /// markdown (the default elsewhere) or json.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<Format>,
        /// Apply the changes even though the audit has P0 findings about the registry's shape
        /// (tables swapped, a column of the wrong type, an ambiguous relation): read them first.
        #[arg(long)]
        despite_shape_findings: bool,
    },
    /// Plans the sync of every pair (or of one environment or client): writes nothing. It takes
    /// the options of `sync`, so that it shows what that sync would do.
    Plan {
        /// Also save the plan (JSON, versioned, no token) to FILE, for `sync --execute --plan
        /// FILE` to apply exactly.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// What to sync, and how.
        #[command(flatten)]
        sync: SyncArgs,
    },
    /// Syncs the databases of the registry: a dry run unless --execute.
    Sync {
        /// Write (without it: a dry run, nothing is written).
        #[arg(long)]
        execute: bool,
        /// Apply exactly the plan saved in FILE (`plan --out FILE`), with the options it was
        /// made with; when anything it was made from changed since (a row edited on either
        /// side, a schema, the registry), write nothing and exit 3, naming what changed.
        #[arg(long, value_name = "FILE", requires = "execute")]
        plan: Option<PathBuf>,
        /// What to sync, and how.
        #[command(flatten)]
        sync: SyncArgs,
    },
    /// Runs `sync --execute` in a loop, unattended: a cycle, then a wait of --every (longer
    /// after a failing cycle), until SIGINT or SIGTERM, which stop it between two writes (its
    /// leases released). It takes the options of `sync`. Each cycle is a line on stdout: text,
    /// or one JSON object with --log-format json (or --json, --format json).
    Watch {
        /// The wait between the end of a cycle and the start of the next (`5m`, `90s`, `1h`).
        /// After a failing cycle it doubles, up to six times this and at most an hour.
        #[arg(long, value_name = "DURATION", value_parser = parse_every)]
        every: std::time::Duration,
        /// Stop after N cycles (by default: run until stopped).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        cycles: Option<u64>,
        /// What to sync, and how.
        #[command(flatten)]
        sync: SyncArgs,
    },
    /// Runs the whole flow on an embedded demo world (no network, no token): audit, repair,
    /// sync, a second sync that writes nothing, and what became of the relations and people.
    Demo,
    /// Reads Notion links (or IDs) and prints what each names.
    ParseLink {
        /// The links to read.
        #[arg(required = true)]
        links: Vec<String>,
        /// Print a JSON array on stdout: for each link its `input` and its parts (`id`,
        /// `view_id`, `peek_id`, `block_id`), or an `error`.
        #[arg(long)]
        json: bool,
    },
    /// Says who the control token is: its bot, and the workspace it belongs to. The way to
    /// check a token.
    Me {
        /// Print only the JSON on stdout: `id`, `name`, `workspace_id`, `workspace_name`.
        #[arg(long)]
        json: bool,
    },
    /// Copies one database (read with the control token) into a page of another workspace,
    /// once, with no registry: a dry run unless --execute. Run again, it brings the copy up to
    /// date instead of making another.
    Transfer {
        /// The database to copy: a link or ID of a database or of a data source.
        source: String,
        /// The page of the other workspace to create the copy under (a link or ID).
        #[arg(long, value_name = "PAGE")]
        target_parent: String,
        /// The environment variable that holds the other workspace's token (never the token
        /// itself).
        #[arg(long, value_name = "NAME")]
        target_token_env: String,
        /// Write (without it: a dry run, nothing is written).
        #[arg(long)]
        execute: bool,
        /// Print only the JSON report on stdout (the same as --format json).
        #[arg(long)]
        json: bool,
        /// How the report is printed: text (fits the terminal; the default on a terminal),
        /// markdown (the default elsewhere) or json.
        #[arg(long, value_enum, value_name = "FORMAT")]
        format: Option<Format>,
    },
    /// Prints the shell completion script of the command for bash, zsh or fish (say,
    /// `notion-xws completions bash > ~/.local/share/bash-completion/completions/notion-xws`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// What `plan` and `sync` take alike.
// The help text shows `<column>` as it is: not an HTML tag.
#[allow(rustdoc::invalid_html_tags)]
#[derive(Debug, Clone, clap::Args)]
pub struct SyncArgs {
    /// Only the environment, or the `Clients` row, of this name (alias --only, Python's name).
    #[arg(long, visible_alias = "only", value_name = "NAME")]
    pub client: Option<String>,
    /// Trash past the max-delete guard (more than half of a target's rows).
    #[arg(long)]
    pub allow_mass_delete: bool,
    /// Make a new copy, with every row, of a pair whose copy is in Notion's trash (recorded in
    /// system-sync-links in place of the trashed one), instead of leaving the pair to a person.
    #[arg(long)]
    pub recreate: bool,
    /// Trash the rows a person added to a one-way copy (named in the report; kept without
    /// this), counted by the max-delete guard.
    #[arg(long)]
    pub prune: bool,
    /// Remove a copy's columns whose source column was deleted (kept with their values, and
    /// named in the report, without this).
    #[arg(long)]
    pub prune_columns: bool,
    /// How two-way pairs settle different changes to one property on both sides: report
    /// (overwrite nothing), control-wins, environment-wins or newer-wins (alias
    /// --conflict-policy, Python's name).
    #[arg(
        long,
        visible_alias = "conflict-policy",
        default_value = "report",
        value_name = "POLICY",
        value_parser = ["report", "control-wins", "environment-wins", "newer-wins"]
    )]
    pub conflicts: String,
    /// What one-way pairs do with people they cannot match by email in the target: leave
    /// (them out, reported) or names (written into a "<column> (unmatched)" text column).
    #[arg(
        long,
        default_value = "leave",
        value_name = "FALLBACK",
        value_parser = ["leave", "names"]
    )]
    pub people_fallback: String,
    /// Compare every row of both sides of every pair (a full reconcile), instead of reading
    /// only what changed since each pair's watermark.
    #[arg(long)]
    pub full: bool,
    /// The longest a pair goes without a full reconcile (`24h`, `6h`, `30m`).
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_every)]
    pub full_every: std::time::Duration,
    /// Wait this long (`90s`, `10m`) for a pair that another run is writing, instead of leaving
    /// it to that run (a sync only; `plan` takes no lease).
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub wait: Option<std::time::Duration>,
    /// When the run needs a person (exit status 3) or failed (1), post a JSON summary (with a
    /// Slack-compatible `text`) to this webhook: https, or http to 127.0.0.1. Up to 3 attempts
    /// of 10 s; an alert that cannot be posted is a warning on stderr, and the exit status stays
    /// the run's.
    #[arg(
        long,
        env = "NOTION_XWS_NOTIFY",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub notify: Option<String>,
    /// Print only the JSON report on stdout (the same as --format json).
    #[arg(long)]
    pub json: bool,
    /// How the report is printed: text (fits the terminal; the default on a terminal),
    /// markdown (the default elsewhere) or json.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
}

/// How a report is printed (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Plain text that fits the terminal's width (`COLUMNS`, else 80): the default on a
    /// terminal.
    Text,
    /// Markdown: the default when stdout is not a terminal (a file, a pipe).
    Markdown,
    /// JSON (the same as `--json`).
    Json,
}

impl Format {
    /// The format asked for: JSON with `--json`, else `--format`, else text on a terminal and
    /// Markdown elsewhere.
    pub fn chosen(json: bool, format: Option<Format>) -> Format {
        use std::io::IsTerminal as _;
        match (json, format) {
            (true, _) => Format::Json,
            (false, Some(format)) => format,
            (false, None) if std::io::stdout().is_terminal() => Format::Text,
            (false, None) => Format::Markdown,
        }
    }
}

/// `--every`: a duration (humantime) of more than 0.
fn parse_every(text: &str) -> Result<std::time::Duration, String> {
    match humantime::parse_duration(text) {
        Ok(every) if every.is_zero() => Err("the wait must be more than 0 (say 5m)".to_owned()),
        Ok(every) => Ok(every),
        Err(error) => Err(error.to_string()),
    }
}

impl SyncArgs {
    /// The options a plan made with these arguments records (and its apply uses).
    pub fn flags(&self) -> crate::sync::planned::PlanFlags {
        crate::sync::planned::PlanFlags {
            client: self.client.clone(),
            allow_mass_delete: self.allow_mass_delete,
            recreate: self.recreate,
            prune: self.prune,
            prune_columns: self.prune_columns,
            conflicts: self.conflicts.clone(),
            people_fallback: self.people_fallback.clone(),
            full: self.full,
        }
    }

    /// The format of the report.
    pub fn format(&self) -> Format {
        Format::chosen(self.json, self.format)
    }

    /// The options given that are not the defaults, as they are typed (for the command that
    /// applies what a plan previewed).
    pub fn given(&self) -> Vec<String> {
        let mut given = Vec::new();
        if let Some(client) = &self.client {
            given.extend(["--client".to_owned(), quoted(client)]);
        }
        for (on, flag) in [
            (self.allow_mass_delete, "--allow-mass-delete"),
            (self.recreate, "--recreate"),
            (self.prune, "--prune"),
            (self.prune_columns, "--prune-columns"),
            (self.full, "--full"),
        ] {
            if on {
                given.push(flag.to_owned());
            }
        }
        if self.conflicts != "report" {
            given.extend(["--conflicts".to_owned(), self.conflicts.clone()]);
        }
        if self.people_fallback != "leave" {
            given.extend(["--people-fallback".to_owned(), self.people_fallback.clone()]);
        }
        if self.full_every != std::time::Duration::from_secs(24 * 3600) {
            given.extend([
                "--full-every".to_owned(),
                humantime::format_duration(self.full_every).to_string(),
            ]);
        }
        if let Some(wait) = self.wait {
            given.extend([
                "--wait".to_owned(),
                humantime::format_duration(wait).to_string(),
            ]);
        }
        given
    }
    /// The sync's options, writing (`execute`) or not.
    pub fn options(&self, execute: bool) -> crate::error::Result<crate::sync::SyncOptions> {
        let mut options = crate::sync::SyncOptions::from_args(
            execute,
            self.client.clone(),
            self.allow_mass_delete,
            &self.conflicts,
            &self.people_fallback,
        )?;
        options.lease.wait = self.wait;
        options.recreate = self.recreate;
        options.plan.prune = self.prune;
        options.plan.prune_columns = self.prune_columns;
        options.incremental = crate::sync::watermark::IncrementalOptions {
            full: self.full,
            full_every: self.full_every,
        };
        Ok(options)
    }
}

/// `text` as a shell reads it back: as it is when it is plain, else in single quotes.
pub(crate) fn quoted(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

impl Cli {
    /// The global options given that choose what is synced (`--environments`, `--databases`,
    /// `--token-env`), as they are typed.
    pub fn given(&self) -> Vec<String> {
        let mut given = Vec::new();
        if self.token_env != "NOTION_TOKEN" {
            given.extend(["--token-env".to_owned(), quoted(&self.token_env)]);
        }
        for (flag, value) in [
            ("--environments", &self.environments),
            ("--databases", &self.databases),
        ] {
            if let Some(value) = value {
                given.extend([flag.to_owned(), quoted(value)]);
            }
        }
        given
    }

    /// The log filter the options ask for (`--log-level`, else `-v`), or `None` when they ask
    /// for none (then `RUST_LOG`, else warnings). A level under `warn` applies to this crate;
    /// the libraries under it stay at `warn` up to -vvv.
    pub fn log_filter(&self) -> Option<String> {
        let level = self.log_level_asked()?;
        Some(match level {
            "info" | "debug" => format!("warn,notion_xws_core={level}"),
            other => other.to_owned(),
        })
    }

    /// The least log level the options ask for: `--log-level`, else `info`, `debug` or `trace`
    /// for `-v`, `-vv` or `-vvv`; `None` without either.
    pub fn log_level_asked(&self) -> Option<&str> {
        match (&self.log_level, self.verbose) {
            (Some(level), _) => Some(level.as_str()),
            (None, 0) => None,
            (None, 1) => Some("info"),
            (None, 2) => Some("debug"),
            (None, _) => Some("trace"),
        }
    }

    /// Whether log lines are JSON (`--log-format json`).
    pub fn json_logs(&self) -> bool {
        self.log_format == "json"
    }

    /// Whether the command handles SIGINT and SIGTERM itself (`watch`: it stops between two
    /// writes); for the others, the caller stops the run when a signal comes.
    pub fn handles_signals(&self) -> bool {
        matches!(self.command, Command::Watch { .. })
    }

    /// Reads the command line `argv` (program name first; the program is called `notion-xws`
    /// whatever it was started as). `--help`, `--version` and usage errors are printed here and
    /// come back as `Err` with the exit status (0 after help, 2 after a usage error).
    pub fn from_argv<I, T>(argv: I) -> Result<Self, i32>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let args = std::iter::once(std::ffi::OsString::from("notion-xws"))
            .chain(argv.into_iter().skip(1).map(Into::into));
        Self::try_parse_from(args).map_err(|error| {
            if error.use_stderr() {
                // A usage error may quote what was typed: never a token.
                let message = crate::secret::mask_secrets(&error.render().to_string());
                let _ = std::io::Write::write_all(&mut std::io::stderr(), message.as_bytes());
                2
            } else {
                let _ = error.print();
                0
            }
        })
    }
}
