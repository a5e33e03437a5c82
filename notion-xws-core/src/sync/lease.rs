//! Leases: one run at a time writes a pair, on one machine or several.
//!
//! Notion has no compare-and-set, so a lease cannot be a cell two runs race to overwrite (the
//! later write wins whatever each run read before it). It is a **claim**: a row that a run adds
//! to `system-sync-leases` (next to `system-databases`, made on the first run that writes), whose
//! `Claim` column is a `unique_id`, which Notion numbers in the order the rows are created. One
//! claim names the pairs of one environment that a pass of the run covers ([`PassLeases`]), so
//! that the control token pays for leases once per environment, not once per pair: the first of
//! those pairs that has something to write adds the claim (the pairs, the run ID, its host and an
//! expiry) and lists the environment's claims once every claim made before its own is listed:
//! at once when the claims numbered just below its own are all listed, down to one made longer
//! ago than Notion's read-after-write lag
//! ([`ExecuteOptions::read_after_write_lag`](super::options::ExecuteOptions::read_after_write_lag))
//! and a minute (no earlier claim can then be hidden), else after waiting the lag. A pair is
//! held by the live claim (not expired, not released) that names it with the lowest number.
//! Two runs that claim at once settle on the same holder of each pair whatever the order of
//! their requests; the other skips the pair, naming the holder and since when ([`Holder`]), or
//! waits for it ([`LeaseOptions::wait`]), looking at the claims again.
//!
//! A new claim holds for a minute past the lag, so a claim whose run lost track of it (its
//! create answered with an error after Notion made it) blocks its pairs only that long. Once
//! it is listed, the run renews it to a full [`LeaseOptions::ttl`] (a claim per environment
//! costs one renewal, and on a busy token a renewal may wait its turn a while), then every
//! third of the ttl, and at once when a pair must be read again first ([`Lease::renew`]). It
//! releases the claim when the environment's last pair of the pass is done
//! ([`PassLeases::done`]: `Released` ticked and the expiry set to now, so that the claim stays
//! listed a while and the next holder knows a run wrote just before it). A run that dies leaves
//! a claim that expires by itself after [`LeaseOptions::ttl`], **unreleased**; a run that
//! stopped while a pair of the claim was half-written (its result not recorded) lets its claim
//! lapse at once, unreleased too.
//!
//! That is how a later run tells that a pair may have been left half-written, without a mark in
//! its link row before every run's first write (a request per pair, on the control token): a
//! claim that lapsed unreleased, naming the pair, numbered above the claims the pair's watermark
//! covers (the claim its last clean run held, and those that had lapsed before it read:
//! [`Watermark::claim`]), sends the pair to a full reconcile ([`Unfinished`],
//! [`Lease::interrupted`]). Numbers, not times: no clock is compared. Such claims
//! are kept as long as `--full-every` (a pair not reconciled since is due a full reconcile by
//! then anyway), released and lapsed ones an hour. Reads and dry runs take no lease, and neither does a run
//! with nothing to write: a pair is planned from a read made without the lease, and when the
//! claims show that another run held the pair since that read began ([`Lease::stale_since`]),
//! the pair is read and planned again before anything is written.
//!
//! | column | type | holds |
//! |---|---|---|
//! | `Name` | title | `database → environment`, or the environment and its count of pairs, for people |
//! | `Pair` | rich text | the pairs: a database row and an environment row, one pair a line |
//! | `Run` | rich text | the run ID |
//! | `Host` | rich text | the machine |
//! | `Expires` | date | when the claim lapses (the release time once released) |
//! | `Claim` | unique ID | the claim's number, in Notion's order |
//! | `Released` | checkbox | its run finished every pair it names (added to an older table on the first run that writes) |
//!
//! Times are [`lease_now`]: the wall clock, moved on by tokio's clock (so that a test on paused
//! time sees claims expire). A claim whose cells were edited into nonsense (no
//! number, no readable expiry) holds nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use futures::TryStreamExt;
use serde::Serialize;
use serde_json::{Value, json};

use super::links::{create_table, find_table_source};
use super::rows::SyncPair;
use super::stop::StopFlag;
use super::watermark::Watermark;
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::params::{Filter, PropertyFilter, rich_text_value, title_value};
use crate::model::{Page, PropertyValueKind};
use crate::registry::{Located, Registry, cells};

/// The title of the leases table.
pub const LEASES_TITLE: &str = "system-sync-leases";

/// How long a new claim holds, after the lag, before its run renews it to a full
/// [`LeaseOptions::ttl`]: a claim whose run lost track of it (its create answered with an error
/// after Notion made it) blocks the pair no longer than this.
const CONFIRM_WITHIN: Duration = Duration::from_secs(60);

/// How long a released or expired claim stays before a later holder trashes it.
const KEEP_OLD_CLAIMS: Duration = Duration::from_secs(3600);

/// The column that says a claim was released.
const RELEASED_COLUMN: &str = "Released";

/// The most old claims one take trashes (the rest wait for later takes).
const TRASH_PER_TAKE: usize = 5;

/// The time now for leases: the wall clock when the process first asked, moved on by tokio's
/// clock since (so that every run of a process agrees, and a test on paused time sees claims
/// expire when tokio's clock moves).
pub fn lease_now() -> SystemTime {
    static ANCHOR: OnceLock<(SystemTime, std::time::Instant)> = OnceLock::new();
    let (wall, at) = *ANCHOR.get_or_init(|| (SystemTime::now(), std::time::Instant::now()));
    let now = tokio::time::Instant::now().into_std();
    wall + now.saturating_duration_since(at)
}

/// How a run takes its leases.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeaseOptions {
    /// How long a claim holds without being renewed (default 5 minutes); the holder renews it
    /// every third of that while it writes.
    pub ttl: Duration,
    /// How long to wait for a pair that another run holds (`None`, the default: skip it).
    pub wait: Option<Duration>,
    /// This run's ID (default: a random one, made when the options are).
    pub run_id: String,
    /// This machine's name, as the claims show it (default: the host name).
    pub host: String,
}

impl Default for LeaseOptions {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(5 * 60),
            wait: None,
            run_id: format!("{:016x}", rand::random::<u64>()),
            host: gethostname::gethostname().to_string_lossy().into_owned(),
        }
    }
}

/// A claim as listed.
#[derive(Debug, Clone, PartialEq)]
struct Claim {
    row: PageId,
    /// The pairs it claims (`database-row environment-row`, one a line).
    pairs: Vec<String>,
    number: Option<u64>,
    run: String,
    host: String,
    expires: Option<SystemTime>,
    created: String,
    /// Its run released it (`Released`).
    released: bool,
}

impl Claim {
    fn read(page: &Page) -> Self {
        let text = |column: &str| {
            page.properties
                .get(column)
                .and_then(cells::text)
                .unwrap_or_default()
        };
        let number = page.properties.get("Claim").and_then(|v| match &v.value {
            PropertyValueKind::UniqueId(id) => id.number.clone().flatten().and_then(|n| n.as_u64()),
            _ => None,
        });
        let expires = page.properties.get("Expires").and_then(|v| match &v.value {
            PropertyValueKind::Date(Some(date)) => humantime::parse_rfc3339_weak(
                date.start
                    .trim_end_matches('Z')
                    .split('+')
                    .next()
                    .unwrap_or_default(),
            )
            .ok(),
            _ => None,
        });
        Self {
            row: page.id,
            pairs: text("Pair")
                .lines()
                .map(|line| line.trim().to_owned())
                .filter(|line| !line.is_empty())
                .collect(),
            number,
            run: text("Run"),
            host: text("Host"),
            expires,
            created: page.created_time.clone(),
            released: page
                .properties
                .get(RELEASED_COLUMN)
                .is_some_and(|v| matches!(v.value, PropertyValueKind::Checkbox(true))),
        }
    }

    /// The claim's number, when it lapsed unreleased naming the pair `key`.
    fn unfinished(&self, key: &str, now: SystemTime) -> Option<u64> {
        (!self.released && !self.live(now) && self.lists(key))
            .then_some(self.number)
            .flatten()
    }

    /// Whether the claim lapsed unreleased, naming the pair `key`, and is newer than every
    /// claim whose writes the read that recorded `mark` covered ([`Watermark::claim`]): its run
    /// may have left the pair half-written since. Claims are numbered by Notion in the order
    /// they are made, so no clock is compared.
    fn left_unfinished(&self, key: &str, mark: &Watermark, now: SystemTime) -> bool {
        self.unfinished(key, now)
            .is_some_and(|number| mark.claim.is_none_or(|covered| number > covered))
    }

    fn live(&self, now: SystemTime) -> bool {
        self.number.is_some() && self.expires.is_some_and(|e| e > now)
    }

    /// When Notion says the claim was made (its `created_time`, rounded down to the minute).
    fn made_at(&self) -> Option<SystemTime> {
        let time = self.created.trim_end_matches('Z').split('.').next()?;
        humantime::parse_rfc3339_weak(time).ok()
    }

    /// Whether the claim names a pair of the environment `environment` (as the listing's
    /// filter on `Pair` does).
    fn names_environment(&self, environment: &str) -> bool {
        self.pairs.iter().any(|pair| pair.contains(environment))
    }

    fn lists(&self, key: &str) -> bool {
        self.pairs.iter().any(|pair| pair == key)
    }

    fn holder(&self) -> Holder {
        Holder {
            run: self.run.clone(),
            host: self.host.clone(),
            since: self.created.clone(),
            until: self.expires.map(stamp).unwrap_or_default(),
        }
    }
}

/// The run that holds a pair, as its claim shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Holder {
    /// Its run ID.
    pub run: String,
    /// Its machine.
    pub host: String,
    /// When it claimed the pair (Notion's `created_time` of the claim, to the minute).
    pub since: String,
    /// When its claim lapses unless renewed.
    pub until: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "run {} on {} holds it since {} (until {}, unless renewed)",
            self.run, self.host, self.since, self.until
        )
    }
}

/// What taking a lease came to.
#[derive(Debug)]
pub enum Taken {
    /// This run holds the pair.
    Held(Lease),
    /// Another run does.
    Busy(Holder),
}

/// A pair's lease, held by this run through its environment's claim ([`PassLeases`]): the
/// claim is renewed while the pass runs and released when the environment's last pair is
/// done, so a pair holding it has nothing more to do than write.
#[derive(Debug, Clone)]
pub struct Lease {
    claim: Arc<OwnClaim>,
    /// The pair's key.
    key: String,
    /// The latest time another claim of the pair was live (released or lapsed): `None` when no
    /// other claim is listed.
    others_until: Option<SystemTime>,
}

/// The renewals of a claim, stopped when dropped.
#[derive(Debug)]
struct Renewal(tokio::task::JoinHandle<()>);

impl Drop for Renewal {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `system-sync-leases`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeasesTable {
    /// Its data source.
    pub data_source: DataSourceId,
    /// Whether it has the `Released` column (a table made by an earlier version gets it on the
    /// first run that writes: [`add_missing_columns`](Self::add_missing_columns)).
    released_column: bool,
}

/// The claims that lapsed unreleased, as listed when a pass began: the pairs they name may have
/// been left half-written ([`may_have_left`](Self::may_have_left)); a read begun after the
/// listing covers them ([`covered`](Self::covered)).
#[derive(Debug, Clone, Default)]
pub struct Unfinished {
    claims: Vec<Claim>,
    at: Option<SystemTime>,
}

impl Unfinished {
    /// Whether a claim that lapsed unreleased may have written `pair` after its watermark
    /// `mark` was read: the pair is then reconciled in full.
    pub fn may_have_left(&self, pair: &SyncPair, mark: &Watermark) -> bool {
        let (key, now) = (pair_key(pair), self.at.unwrap_or_else(lease_now));
        self.claims
            .iter()
            .any(|claim| claim.left_unfinished(&key, mark, now))
    }

    /// The highest number of the claims that lapsed unreleased naming `pair`: a read of the
    /// pair begun after they were listed covers what their runs wrote.
    pub fn covered(&self, pair: &SyncPair) -> Option<u64> {
        let (key, now) = (pair_key(pair), self.at.unwrap_or_else(lease_now));
        self.claims
            .iter()
            .filter_map(|claim| claim.unfinished(&key, now))
            .max()
    }
}

fn stamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

/// `lines` as the items of a rich-text cell, each item whole lines, each line ended by a line
/// break (within Notion's 2,000 characters an item): every item names the environment its
/// lines share, and the cell's text reads back line by line.
fn lines_items(lines: &[String]) -> Vec<Value> {
    let mut items: Vec<String> = Vec::new();
    for line in lines {
        match items.last_mut() {
            Some(item) if item.len() + line.len() < 2_000 => item.push_str(line),
            _ => items.push(line.clone()),
        }
        if let Some(item) = items.last_mut() {
            item.push('\n');
        }
    }
    items
        .into_iter()
        .map(|content| json!({"type": "text", "text": {"content": content}}))
        .collect()
}

fn pair_key(pair: &SyncPair) -> String {
    format!("{} {}", pair.database_row, pair.environment_row)
}

impl LeasesTable {
    /// Finds the leases table by its exact title; `None` when there is none yet.
    pub async fn find(control: &NotionClient) -> Result<Option<Self>> {
        Self::find_in(control, None).await
    }

    /// [`find`](Self::find), taking the table from `located` (a registry read's search, a
    /// moment before) when it answers for it.
    pub(crate) async fn find_in(
        control: &NotionClient,
        located: Option<&Located>,
    ) -> Result<Option<Self>> {
        let Some(source) = find_table_source(control, LEASES_TITLE, located).await? else {
            return Ok(None);
        };
        Ok(Some(Self {
            data_source: source.id,
            released_column: source.properties.contains_key(RELEASED_COLUMN),
        }))
    }

    /// Adds the `Released` column to a table made before it existed.
    pub async fn add_missing_columns(&mut self, control: &NotionClient) -> Result<()> {
        if self.released_column {
            return Ok(());
        }
        control
            .set_data_source_properties(
                self.data_source,
                json!({ RELEASED_COLUMN: {"checkbox": {}} }),
            )
            .await?;
        self.released_column = true;
        Ok(())
    }

    /// The claims not released, live or lapsed, of every environment (none when the table has
    /// no `Released` column yet: its claims cannot tell).
    pub async fn unfinished(&self, control: &NotionClient) -> Result<Unfinished> {
        if !self.released_column {
            return Ok(Unfinished::default());
        }
        let filter = Filter::Property(PropertyFilter::new(
            RELEASED_COLUMN,
            "checkbox",
            json!({ "equals": false }),
        ));
        let claims = control
            .query_all(self.data_source, Some(filter), &[])
            .map_ok(|page| Claim::read(&page))
            .try_collect()
            .await?;
        Ok(Unfinished {
            claims,
            at: Some(lease_now()),
        })
    }

    /// Creates the leases table next to `system-databases`; of two made at once by two runs,
    /// both keep the same one, once `settle` has passed (see `system-sync-links`).
    pub async fn create(
        control: &NotionClient,
        registry: &Registry,
        settle: std::time::Duration,
    ) -> Result<Self> {
        let properties = json!({
            "Name": {"title": {}},
            "Pair": {"rich_text": {}},
            "Run": {"rich_text": {}},
            "Host": {"rich_text": {}},
            "Expires": {"date": {}},
            "Claim": {"unique_id": {"prefix": null}},
            RELEASED_COLUMN: {"checkbox": {}},
        });
        let data_source = create_table(control, registry, LEASES_TITLE, properties, settle).await?;
        Ok(Self {
            data_source,
            released_column: true,
        })
    }

    /// The claims of an environment's pairs, as listed now (every claim whose `Pair` names
    /// the environment's row), and, `below` a claim's number, the claims of any environment
    /// numbered in the [`WINDOW`] below it ([`none_hidden`]).
    async fn claims(
        &self,
        control: &NotionClient,
        environment: PageId,
        below: Option<u64>,
    ) -> Result<Vec<Claim>> {
        let naming = Filter::Property(PropertyFilter::new(
            "Pair",
            "rich_text",
            json!({ "contains": environment.to_string() }),
        ));
        let filter = match below {
            None => naming,
            Some(number) => {
                let numbered = |condition: &str, n: u64| {
                    Filter::Property(PropertyFilter::new(
                        "Claim",
                        "unique_id",
                        json!({ condition: n }),
                    ))
                };
                let window = Filter::And {
                    and: vec![
                        numbered(
                            "greater_than_or_equal_to",
                            number.saturating_sub(WINDOW).max(1),
                        ),
                        numbered("less_than", number),
                    ],
                };
                Filter::Or {
                    or: vec![naming, window],
                }
            }
        };
        control
            .query_all(self.data_source, Some(filter), &[])
            .map_ok(|page| Claim::read(&page))
            .try_collect()
            .await
    }
}

/// How many claims below its own a new claim's first listing takes, whatever their
/// environment, to tell whether Notion's lag may hide one of them ([`none_hidden`]).
const WINDOW: u64 = 50;

/// Whether no claim numbered below `number` can be hidden from a listing made at or after
/// `listed_from` (Notion's clock) by Notion's read-after-write `lag`: the numbers listed
/// (`claims`, of any environment) run without a gap from `number - 1` down to 1, or down to a
/// claim made before `listed_from - lag` (its `created_time`, which Notion rounds down to the
/// minute, a minute earlier still). Notion numbers claims in the order they are made, so every
/// claim numbered below such a claim was made before it, and is listed unless it is gone; a
/// number missing above it may be a claim the lag hides, and the caller waits the lag.
fn none_hidden(claims: &[Claim], number: u64, listed_from: SystemTime, lag: Duration) -> bool {
    let settled = listed_from
        .checked_sub(lag + Duration::from_secs(60))
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let by_number: HashMap<u64, &Claim> = claims
        .iter()
        .filter_map(|claim| Some((claim.number?, claim)))
        .collect();
    for n in (1..number).rev() {
        match by_number.get(&n) {
            None => return false,
            Some(claim) if claim.made_at().is_some_and(|made| made <= settled) => return true,
            Some(_) => {}
        }
    }
    true
}

/// The most pairs one claim names (a claim's `Pair` cell holds them one a line, well within
/// Notion's 100 text items of 2,000 characters).
const PAIRS_PER_CLAIM: usize = 500;

/// The leases of one pass of a run: **one claim per environment** (per `PAIRS_PER_CLAIM` of
/// its pairs), naming every pair of the environment that the pass runs, made when the first of
/// them has something to write. Each pair is held by the live claim that names it with the
/// lowest number, as with a claim of its own, so two runs that claim the same pairs settle as
/// before, pair by pair; but the claim, its count, its renewals and its release are paid once
/// per environment rather than once per pair. The claim is renewed while the pass runs, and
/// released once the environment's last pair is [`done`](Self::done).
#[derive(Debug)]
pub struct PassLeases {
    table: LeasesTable,
    options: LeaseOptions,
    lag: Duration,
    /// How long a claim that lapsed unreleased is kept (see [`Self::keeping_unfinished`]).
    keep_unfinished: Duration,
    /// Each pair's group (by its key).
    groups: HashMap<String, Arc<Group>>,
}

/// The pairs one claim names.
#[derive(Debug)]
struct Group {
    environment: PageId,
    /// The claim's `Name`: the pair's label, or the environment and a count.
    name: String,
    keys: Vec<String>,
    /// Pairs of the group not yet done.
    remaining: AtomicUsize,
    /// A pair of the group stopped half-written: the claim lapses at once, unreleased.
    unfinished: AtomicBool,
    /// The claim, once made.
    claim: tokio::sync::Mutex<Option<Arc<OwnClaim>>>,
}

/// A claim this run made, and what it last saw of the others.
#[derive(Debug)]
struct OwnClaim {
    control: NotionClient,
    row: PageId,
    environment: PageId,
    table: LeasesTable,
    options: LeaseOptions,
    lag: Duration,
    keep_unfinished: Duration,
    /// The claims of the environment as last listed, and when.
    listed: std::sync::Mutex<(Vec<Claim>, SystemTime)>,
    /// When the claim lapses unless renewed, as last written.
    expires: std::sync::Mutex<SystemTime>,
    renewal: std::sync::Mutex<Option<Renewal>>,
}

/// Whose a pair is, by the claims as listed.
enum Whose {
    Ours(Option<SystemTime>),
    Theirs(Holder),
    /// This run's claim is not listed (Notion slower than the lag).
    Unlisted,
}

impl PassLeases {
    /// The leases of a pass over `pairs`, in `table`, taken as `options` says; `lag` is
    /// Notion's read-after-write lag, waited between a claim and its count.
    pub fn new<'a>(
        table: LeasesTable,
        options: &LeaseOptions,
        lag: Duration,
        pairs: impl IntoIterator<Item = &'a SyncPair>,
    ) -> Self {
        let mut by_environment: Vec<(PageId, Vec<&SyncPair>)> = Vec::new();
        for pair in pairs {
            match by_environment
                .iter_mut()
                .find(|(environment, _)| *environment == pair.environment_row)
            {
                Some((_, list)) => list.push(pair),
                None => by_environment.push((pair.environment_row, vec![pair])),
            }
        }
        let mut groups = HashMap::new();
        for (environment, pairs) in by_environment {
            for chunk in pairs.chunks(PAIRS_PER_CLAIM) {
                let name = match chunk {
                    [one] => one.label(),
                    many => format!(
                        "{} pairs → {}",
                        many.len(),
                        crate::words::or_untitled(&many[0].environment)
                    ),
                };
                let keys: Vec<String> = chunk.iter().map(|p| pair_key(p)).collect();
                let group = Arc::new(Group {
                    environment,
                    name,
                    remaining: AtomicUsize::new(keys.len()),
                    unfinished: AtomicBool::new(false),
                    keys: keys.clone(),
                    claim: tokio::sync::Mutex::new(None),
                });
                for key in keys {
                    groups.insert(key, Arc::clone(&group));
                }
            }
        }
        Self {
            table,
            options: options.clone(),
            lag,
            keep_unfinished: KEEP_OLD_CLAIMS,
            groups,
        }
    }

    /// Keeps the claims that lapsed unreleased `keep` (at least an hour) before a later holder
    /// trashes them: a run passes its `--full-every`, after which a pair such a claim names is
    /// due a full reconcile anyway.
    pub fn keeping_unfinished(mut self, keep: Duration) -> Self {
        self.keep_unfinished = keep.max(KEEP_OLD_CLAIMS);
        self
    }

    /// Takes the lease of `pair` for this run (see the [module documentation](self)), waiting
    /// up to [`LeaseOptions::wait`] for another holder to finish (or until `stop` is raised).
    /// The environment's claim is made by the first pair that takes a lease, through
    /// `control`, and shared by the others.
    pub async fn take(
        &self,
        control: &NotionClient,
        pair: &SyncPair,
        stop: &StopFlag,
    ) -> Result<Taken> {
        let key = pair_key(pair);
        let group = self.groups.get(&key).ok_or_else(|| {
            Error::Config(format!(
                "the pair {} is not one of the pass's pairs",
                pair.label()
            ))
        })?;
        let deadline = self.options.wait.map(|wait| lease_now() + wait);
        let claim = self.claim(control, group).await?;
        // The claims were listed when the environment's claim was made: a pair another run
        // held then is looked at again, in case that run has let it go since.
        let mut listed_again = false;
        loop {
            let holder = match claim.whose(&key) {
                Whose::Ours(others_until) => {
                    return Ok(Taken::Held(Lease {
                        claim,
                        key,
                        others_until,
                    }));
                }
                Whose::Theirs(holder) => holder,
                Whose::Unlisted => {
                    return Err(Error::Registry(format!(
                        "the claim this run added to {LEASES_TITLE} is not listed after {:?}; \
                         run again (Notion may be slow to list new rows)",
                        self.lag
                    )));
                }
            };
            let now = lease_now();
            if !listed_again && claim.listed_at() + self.lag < now {
                listed_again = true;
                claim.list().await?;
                continue;
            }
            match deadline {
                Some(deadline) if now < deadline && !stop.is_stopped() => {
                    let poll = self.lag.max(Duration::from_secs(10));
                    let left = deadline.duration_since(now).unwrap_or_default();
                    tokio::select! {
                        () = tokio::time::sleep(poll.min(left)) => {}
                        _ = stop.stopped() => return Ok(Taken::Busy(holder)),
                    }
                    claim.list().await?;
                }
                _ => return Ok(Taken::Busy(holder)),
            }
        }
    }

    /// The group's claim: the one made before, while it holds; else a new one, added,
    /// settled and listed.
    async fn claim(&self, control: &NotionClient, group: &Group) -> Result<Arc<OwnClaim>> {
        let mut made = group.claim.lock().await;
        if let Some(claim) = made.as_ref()
            && !claim.lapsed()
        {
            return Ok(Arc::clone(claim));
        }
        let expires = lease_now() + self.lag + CONFIRM_WITHIN;
        let body = json!({
            "parent": {"type": "data_source_id", "data_source_id": self.table.data_source},
            "properties": {
                "Name": title_value(&group.name),
                "Pair": {"rich_text": lines_items(&group.keys)},
                "Run": rich_text_value(&self.options.run_id),
                "Host": rich_text_value(&self.options.host),
                "Expires": {"date": {"start": stamp(expires)}},
            },
        });
        // A claim whose create answered an error may exist all the same: sent again, it makes
        // a second claim of this run, and the count takes either as this run's.
        let added = match control.create_page_json(body.clone()).await {
            Ok(page) => page,
            Err(error) => {
                tracing::warn!(%error, "a lease claim is sent again");
                control.create_page_json(body).await?
            }
        };
        let row = added.id;
        let claim = Arc::new(OwnClaim {
            control: control.clone(),
            row,
            environment: group.environment,
            table: self.table,
            options: self.options.clone(),
            lag: self.lag,
            keep_unfinished: self.keep_unfinished,
            listed: std::sync::Mutex::new((Vec::new(), lease_now())),
            expires: std::sync::Mutex::new(expires),
            renewal: std::sync::Mutex::new(None),
        });
        // Listed at once with the claims numbered just below it: when none of those can be one
        // that Notion's lag still hides, the claim is settled without waiting the lag.
        let listed_from = control.server_time();
        let own = Claim::read(&added);
        let settled = match (own.number, listed_from) {
            (Some(number), Some(from)) if !self.lag.is_zero() => {
                let claims = claim.list_below(own, number).await?;
                none_hidden(&claims, number, from, self.lag)
            }
            _ => false,
        };
        if !settled {
            tokio::time::sleep(self.lag).await;
            claim.list().await?;
        }
        // Listed, the claim is renewed to a full ttl at once: its environment's pairs may
        // write for long, and on a busy token a renewal may wait its turn a while.
        claim.renew().await?;
        claim.trash_old().await;
        *claim.renewal.lock().unwrap_or_else(|e| e.into_inner()) = Some(claim.keep_alive());
        *made = Some(Arc::clone(&claim));
        Ok(claim)
    }

    /// Says that `pair` is done (written, skipped or failed); `finished`: false when it may
    /// have written and stopped before its link row recorded how it ended (its result, or its
    /// status). Once every pair of its environment is done, the environment's claim is released
    /// (`Released` ticked, and its expiry set to now, so that it stays listed a while and the
    /// next holder knows a run wrote just before it), unless a pair did not finish: the claim
    /// then lapses now, unreleased, which tells the next run to reconcile the pairs it names in
    /// full. A release that fails is logged: the claim then lapses by itself, unreleased.
    pub async fn done(&self, pair: &SyncPair, finished: bool) {
        let Some(group) = self.groups.get(&pair_key(pair)) else {
            return;
        };
        if !finished {
            group.unfinished.store(true, Ordering::Release);
        }
        if group.remaining.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let Some(claim) = group.claim.lock().await.take() else {
            return;
        };
        let unfinished = group.unfinished.load(Ordering::Acquire);
        if unfinished {
            tracing::warn!(
                claim = %claim.row,
                "a pair stopped before its result was recorded: the environment's lease claim \
                 lapses now, unreleased, and the next run reconciles its pairs in full"
            );
        }
        if let Err(error) = claim.release(!unfinished).await {
            tracing::warn!(%error, "a lease claim could not be released; it lapses by itself");
        }
    }
}

impl OwnClaim {
    /// Lists the environment's claims again.
    async fn list(&self) -> Result<()> {
        let claims = self
            .table
            .claims(&self.control, self.environment, None)
            .await?;
        *self.listed.lock().unwrap_or_else(|e| e.into_inner()) = (claims, lease_now());
        Ok(())
    }

    /// Lists the environment's claims, and the claims of any environment numbered in the
    /// [`WINDOW`] below `own`'s number (this claim, as its create answered), which it returns.
    /// The environment's are kept as listed, with `own` among them even when Notion's lag
    /// hides it still.
    async fn list_below(&self, own: Claim, number: u64) -> Result<Vec<Claim>> {
        let claims = self
            .table
            .claims(&self.control, self.environment, Some(number))
            .await?;
        let environment = self.environment.to_string();
        let mut listed: Vec<Claim> = claims
            .iter()
            .filter(|c| c.names_environment(&environment) && c.row != own.row)
            .cloned()
            .collect();
        listed.push(own);
        *self.listed.lock().unwrap_or_else(|e| e.into_inner()) = (listed, lease_now());
        Ok(claims)
    }

    fn listed_at(&self) -> SystemTime {
        self.listed.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    fn ours(&self, claim: &Claim) -> bool {
        claim.row == self.row || claim.run == self.options.run_id
    }

    /// Whose the pair `key` is: the live claim naming it with the lowest number holds it
    /// (this run's own claim counts as live).
    fn whose(&self, key: &str) -> Whose {
        let listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
        let (claims, now) = (&listed.0, lease_now());
        if !claims.iter().any(|c| c.row == self.row) {
            return Whose::Unlisted;
        }
        let naming = || claims.iter().filter(|c| c.row == self.row || c.lists(key));
        let holder = naming()
            .filter(|c| c.live(now) || c.row == self.row)
            .min_by_key(|c| c.number.unwrap_or(u64::MAX));
        match holder {
            Some(claim) if self.ours(claim) => Whose::Ours(
                naming()
                    .filter(|c| !self.ours(c))
                    .filter_map(|c| c.expires)
                    .max(),
            ),
            Some(claim) => Whose::Theirs(claim.holder()),
            None => Whose::Unlisted,
        }
    }

    /// Trashes a few of the environment's old claims: released over an hour ago, lapsed
    /// unreleased longer ago than the pass keeps them (see [`PassLeases::keeping_unfinished`]),
    /// or this run's own that no longer hold.
    async fn trash_old(&self) {
        let now = lease_now();
        let old: Vec<PageId> = {
            let listed = self.listed.lock().unwrap_or_else(|e| e.into_inner());
            listed
                .0
                .iter()
                .filter(|c| c.row != self.row && !c.live(now))
                .filter(|c| {
                    let keep = match c.released {
                        true => KEEP_OLD_CLAIMS,
                        false => self.keep_unfinished,
                    };
                    c.run == self.options.run_id || c.expires.is_none_or(|e| e + keep < now)
                })
                .map(|c| c.row)
                .take(TRASH_PER_TAKE)
                .collect()
        };
        for row in old {
            if let Err(error) = trash(&self.control, row).await {
                tracing::warn!(%error, "an old lease claim could not be trashed");
            }
        }
    }

    /// Whether the claim has lapsed (its renewals failed), so that a pair must claim again.
    fn lapsed(&self) -> bool {
        *self.expires.lock().unwrap_or_else(|e| e.into_inner()) <= lease_now()
    }

    /// Renews the claim every third of [`LeaseOptions::ttl`], until released (a renewal that
    /// fails is logged; the claim then lapses at its expiry, and the environment's next pair
    /// claims again).
    fn keep_alive(self: &Arc<Self>) -> Renewal {
        let claim = Arc::downgrade(self);
        let every = self.options.ttl / 3;
        Renewal(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let Some(claim) = claim.upgrade() else {
                    return;
                };
                if let Err(error) = claim.renew().await {
                    tracing::warn!(%error, "a lease could not be renewed");
                }
            }
        }))
    }

    async fn renew(&self) -> Result<()> {
        let expires = lease_now() + self.options.ttl;
        self.set_expiry(expires, false).await
    }

    /// Stops the renewals.
    fn stop_renewing(&self) {
        drop(
            self.renewal
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take(),
        );
    }

    /// Ends the claim now: released (`Released` ticked) when `released`, else lapsed as if its
    /// run had died.
    async fn release(&self, released: bool) -> Result<()> {
        self.stop_renewing();
        self.set_expiry(lease_now(), released).await
    }

    /// Sets the claim's expiry, and ticks `Released` when `released`.
    async fn set_expiry(&self, expires: SystemTime, released: bool) -> Result<()> {
        let mut properties: Value = json!({"Expires": {"date": {"start": stamp(expires)}}});
        if released && self.table.released_column {
            properties[RELEASED_COLUMN] = json!({"checkbox": true});
        }
        self.control
            .set_page_properties(self.row, properties)
            .await?;
        *self.expires.lock().unwrap_or_else(|e| e.into_inner()) = expires;
        Ok(())
    }
}

async fn trash(control: &NotionClient, row: PageId) -> Result<()> {
    control
        .set_page(row, json!({"in_trash": true}))
        .await
        .map(drop)
}

impl Lease {
    /// Whether another run may have written the pair since `read_at`: another claim of the pair
    /// was live after that time, less Notion's read-after-write lag.
    pub fn stale_since(&self, read_at: SystemTime) -> bool {
        self.others_until
            .is_some_and(|until| until + self.claim.lag > read_at)
    }

    /// Whether another run's claim of the pair lapsed unreleased, newer than those `mark`
    /// covers (see [`Unfinished`]), by the claims as last listed: the pair is then read again
    /// in full before it writes.
    pub fn interrupted(&self, mark: &Watermark) -> bool {
        let listed = self.claim.listed.lock().unwrap_or_else(|e| e.into_inner());
        let now = lease_now();
        listed
            .0
            .iter()
            .filter(|c| !self.claim.ours(c))
            .any(|c| c.left_unfinished(&self.key, mark, now))
    }

    /// The number of this run's claim (`None` if Notion listed it without one): a pair read
    /// under it covers every claim numbered below (those that lapsed before it held the pair,
    /// when [`interrupted`](Self::interrupted) is checked).
    pub fn number(&self) -> Option<u64> {
        let listed = self.claim.listed.lock().unwrap_or_else(|e| e.into_inner());
        listed
            .0
            .iter()
            .find(|c| c.row == self.claim.row)
            .and_then(|c| c.number)
    }

    /// How long to wait before reading what the last holder wrote: what is left of Notion's
    /// read-after-write lag since its claim was released.
    pub fn lag_left(&self) -> Duration {
        let now = lease_now();
        self.others_until
            .map(|until| until + self.claim.lag)
            .and_then(|ready| ready.duration_since(now).ok())
            .unwrap_or_default()
    }

    /// Makes sure the claim holds for two thirds of [`LeaseOptions::ttl`] from now at least
    /// (for a pair that must be read again before it writes), renewing it to a full ttl when
    /// it holds less; a claim just confirmed or renewed needs no request.
    pub async fn renew(&self) -> Result<()> {
        let holds = *self.claim.expires.lock().unwrap_or_else(|e| e.into_inner());
        if holds < lease_now() + self.claim.options.ttl * 2 / 3 {
            self.claim.renew().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(number: u64, released: bool, expires: SystemTime) -> Claim {
        Claim {
            row: PageId::from_u128(u128::from(number)),
            pairs: vec!["a b".into(), "c b".into()],
            number: Some(number),
            run: format!("run {number}"),
            host: "host".into(),
            expires: Some(expires),
            created: String::new(),
            released,
        }
    }

    #[test]
    fn a_pair_is_left_unfinished_by_a_newer_claim_that_lapsed_unreleased_naming_it() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let (past, future) = (now - Duration::from_secs(1), now + Duration::from_secs(60));
        let mark = |claim| Watermark {
            claim,
            ..Watermark::default()
        };
        let lapsed = claim(7, false, past);
        // Newer than what the mark covers, or the mark covers none: unfinished.
        assert!(lapsed.left_unfinished("a b", &mark(Some(6)), now));
        assert!(lapsed.left_unfinished("c b", &mark(None), now));
        // Covered by the mark, naming another pair, released, or still live: not.
        assert!(!lapsed.left_unfinished("a b", &mark(Some(7)), now));
        assert!(!lapsed.left_unfinished("x b", &mark(Some(6)), now));
        assert!(!claim(7, true, past).left_unfinished("a b", &mark(Some(6)), now));
        assert!(!claim(7, false, future).left_unfinished("a b", &mark(Some(6)), now));
        // What a read covers: the highest such claim; a mark records the highest it is told.
        let unfinished = Unfinished {
            claims: vec![lapsed, claim(9, false, past), claim(11, true, past)],
            at: Some(now),
        };
        let pair_keys = |key: &str| {
            unfinished
                .claims
                .iter()
                .filter_map(|c| c.unfinished(key, now))
                .max()
        };
        assert_eq!(pair_keys("a b"), Some(9));
        let mut next = mark(Some(5));
        assert!(next.cover_claims(Some(9), Some(&mark(Some(5)))));
        assert!(!next.cover_claims(Some(3), Some(&mark(Some(5)))));
        assert_eq!(next.claim, Some(9));
    }

    #[test]
    fn a_claim_is_settled_at_once_only_when_no_claim_below_it_can_be_hidden_by_the_lag() {
        let lag = Duration::from_secs(6);
        let at = |secs: u64| SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
        let listed_from = at(10_000);
        // A claim made at `secs` (Notion's `created_time`).
        let made = |number: u64, secs: u64| Claim {
            created: humantime::format_rfc3339_millis(at(secs)).to_string(),
            ..claim(number, false, at(20_000))
        };
        let settled = |claims: &[Claim], number| none_hidden(claims, number, listed_from, lag);
        let old = |number| made(number, 1_000);
        // The first claim ever: nothing below it.
        assert!(settled(&[], 1));
        // Every number below listed, down to a claim made long before: nothing can be hidden.
        assert!(settled(&[old(1), old(2), old(3), old(4)], 5));
        assert!(settled(&[old(3), made(4, 9_990)], 5));
        // Down to 1, every claim recent: all listed, none hidden.
        assert!(settled(&[made(1, 9_999), made(2, 9_999)], 3));
        // A number missing above the last old claim may be a claim the lag hides.
        assert!(!settled(&[old(1), old(2), old(3)], 5));
        assert!(!settled(&[old(2), made(4, 9_990)], 5));
        // Made within the lag and Notion's minute of rounding before the listing: recent.
        assert!(!settled(&[made(4, 10_000 - 6 - 59)], 5));
        assert!(settled(&[made(4, 10_000 - 6 - 60)], 5));
        // A claim with no readable time is taken as recent.
        let unreadable = Claim {
            created: "yesterday".into(),
            ..claim(4, false, at(20_000))
        };
        assert!(!settled(&[unreadable], 5));
    }

    #[test]
    fn a_claims_pairs_fit_notions_text_items_whole_and_read_back_line_by_line() {
        let keys: Vec<String> = (0..PAIRS_PER_CLAIM)
            .map(|i| format!("{:036} {:036}", i, 7))
            .collect();
        let items = lines_items(&keys);
        assert!(items.len() <= 100, "{} items", items.len());
        let texts: Vec<&str> = items
            .iter()
            .map(|i| i["text"]["content"].as_str().unwrap())
            .collect();
        assert!(texts.iter().all(|t| t.len() <= 2_000 && t.ends_with('\n')));
        assert!(texts.iter().all(|t| t.contains(&format!("{:036}", 7))));
        let joined = texts.concat();
        let read: Vec<&str> = joined.lines().collect();
        assert_eq!(read, keys.iter().map(String::as_str).collect::<Vec<_>>());
    }
}
