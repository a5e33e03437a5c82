//! Leases: one run at a time writes a pair, on one machine or several.
//!
//! Notion has no compare-and-set, so a lease cannot be a cell two runs race to overwrite (the
//! later write wins whatever each run read before it). It is a **claim**: a row that a run adds
//! to `system-sync-leases` (next to `system-databases`, made on the first run that writes), whose
//! `Claim` column is a `unique_id`, which Notion numbers in the order the rows are created. A run
//! that has something to write for a pair adds its claim (the pair, its run ID, its host and an
//! expiry), waits for Notion's read-after-write lag
//! ([`ExecuteOptions::read_after_write_lag`](super::options::ExecuteOptions::read_after_write_lag))
//! so that every
//! claim made before its own is listed, and lists the pair's claims: the live claim (not expired,
//! not released) with the lowest number holds the pair. Two runs that claim at once settle on
//! the same holder whatever the order of their requests; the other releases its claim and skips
//! the pair, naming the holder and since when ([`Holder`]), or waits for it
//! ([`LeaseOptions::wait`]).
//!
//! A new claim holds for a minute past the lag, so a claim whose run lost track of it (its
//! create answered with an error after Notion made it) blocks the pair only that long. The
//! holder renews it to a full [`LeaseOptions::ttl`] before it lapses: at once when it must read
//! the pair again first, else within half a minute of writing ([`Lease::keep_alive`], which
//! goes on renewing while it writes), so that a pair written in less than that costs no renewal.
//! It releases the claim when it is done
//! ([`Lease::release`]: the expiry set to now, so that the claim stays listed a while and the
//! next holder knows a run wrote just before it). A run that dies leaves a claim that expires by
//! itself after [`LeaseOptions::ttl`]. Reads and dry runs take no lease, and neither does a run
//! with nothing to write: a pair is planned from a read made without the lease, and when the
//! lease shows that another run held the pair since that read began ([`Lease::stale_since`]),
//! the pair is read and planned again before anything is written.
//!
//! | column | type | holds |
//! |---|---|---|
//! | `Name` | title | `database → environment`, for people |
//! | `Pair` | rich text | the pair's database row and environment row |
//! | `Run` | rich text | the run ID |
//! | `Host` | rich text | the machine |
//! | `Expires` | date | when the claim lapses (the release time once released) |
//! | `Claim` | unique ID | the claim's number, in Notion's order |
//!
//! Times are [`lease_now`]: the wall clock, moved on by tokio's clock (so that a test on paused
//! time sees claims expire). A claim whose cells were edited into nonsense (no
//! number, no readable expiry) holds nothing.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use futures::TryStreamExt;
use serde::Serialize;
use serde_json::{Value, json};

use super::links::{create_table, find_table};
use super::rows::SyncPair;
use super::stop::StopFlag;
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId};
use crate::model::params::{Filter, PropertyFilter, rich_text_value, title_value};
use crate::model::{Page, PropertyValueKind};
use crate::registry::{Registry, cells};

/// The title of the leases table.
pub const LEASES_TITLE: &str = "system-sync-leases";

/// How long a new claim holds, after the lag, before its run renews it to a full
/// [`LeaseOptions::ttl`]: a claim whose run lost track of it (its create answered with an error
/// after Notion made it) blocks the pair no longer than this.
const CONFIRM_WITHIN: Duration = Duration::from_secs(60);

/// How long a released or expired claim stays before a later holder trashes it.
const KEEP_OLD_CLAIMS: Duration = Duration::from_secs(3600);

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
    number: Option<u64>,
    run: String,
    host: String,
    expires: Option<SystemTime>,
    created: String,
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
            number,
            run: text("Run"),
            host: text("Host"),
            expires,
            created: page.created_time.clone(),
        }
    }

    fn live(&self, now: SystemTime) -> bool {
        self.number.is_some() && self.expires.is_some_and(|e| e > now)
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

/// A pair's lease, held by this run: renew it while writing, release it when done.
#[derive(Debug, Clone)]
pub struct Lease {
    control: NotionClient,
    row: PageId,
    options: LeaseOptions,
    /// Notion's read-after-write lag.
    lag: Duration,
    /// The latest time another claim of the pair was live (released or lapsed): `None` when no
    /// other claim is listed.
    others_until: Option<SystemTime>,
}

/// The renewals of a held lease, stopped when dropped.
#[derive(Debug)]
pub struct Renewal(tokio::task::JoinHandle<()>);

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
}

fn stamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time).to_string()
}

fn pair_key(pair: &SyncPair) -> String {
    format!("{} {}", pair.database_row, pair.environment_row)
}

impl LeasesTable {
    /// Finds the leases table by its exact title; `None` when there is none yet.
    pub async fn find(control: &NotionClient) -> Result<Option<Self>> {
        Ok(find_table(control, LEASES_TITLE)
            .await?
            .map(|data_source| Self { data_source }))
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
        });
        let data_source = create_table(control, registry, LEASES_TITLE, properties, settle).await?;
        Ok(Self { data_source })
    }

    /// The pair's claims, as listed now.
    async fn claims(&self, control: &NotionClient, key: &str) -> Result<Vec<Claim>> {
        let filter = Filter::Property(PropertyFilter::new(
            "Pair",
            "rich_text",
            json!({ "equals": key }),
        ));
        control
            .query_all(self.data_source, Some(filter), &[])
            .map_ok(|page| Claim::read(&page))
            .try_collect()
            .await
    }

    /// Takes the lease of `pair` for this run (see the [module documentation](self)), waiting
    /// up to [`LeaseOptions::wait`] for another holder to finish (or until `stop` is raised);
    /// `lag` is Notion's read-after-write lag, waited between the claim and the count.
    pub async fn take(
        &self,
        control: &NotionClient,
        pair: &SyncPair,
        options: &LeaseOptions,
        lag: Duration,
        stop: &StopFlag,
    ) -> Result<Taken> {
        let deadline = options.wait.map(|wait| lease_now() + wait);
        loop {
            let holder = match self.claim(control, pair, options, lag).await? {
                Taken::Held(lease) => return Ok(Taken::Held(lease)),
                Taken::Busy(holder) => holder,
            };
            let now = lease_now();
            match deadline {
                Some(deadline) if now < deadline && !stop.is_stopped() => {
                    let poll = lag.max(Duration::from_secs(10));
                    let left = deadline.duration_since(now).unwrap_or_default();
                    tokio::select! {
                        () = tokio::time::sleep(poll.min(left)) => {}
                        _ = stop.stopped() => return Ok(Taken::Busy(holder)),
                    }
                }
                _ => return Ok(Taken::Busy(holder)),
            }
        }
    }

    /// One claim: added, settled, counted; released again when another run holds the pair.
    async fn claim(
        &self,
        control: &NotionClient,
        pair: &SyncPair,
        options: &LeaseOptions,
        lag: Duration,
    ) -> Result<Taken> {
        let key = pair_key(pair);
        let expires = lease_now() + lag + CONFIRM_WITHIN;
        let body = json!({
            "parent": {"type": "data_source_id", "data_source_id": self.data_source},
            "properties": {
                "Name": title_value(&pair.label()),
                "Pair": rich_text_value(&key),
                "Run": rich_text_value(&options.run_id),
                "Host": rich_text_value(&options.host),
                "Expires": {"date": {"start": stamp(expires)}},
            },
        });
        // A claim whose create answered an error may exist all the same: sent again, it makes
        // a second claim of this run, and the count below takes either as this run's.
        let mine = match control.create_page_json(body.clone()).await {
            Ok(page) => page.id,
            Err(error) => {
                tracing::warn!(%error, "a lease claim is sent again");
                control.create_page_json(body).await?.id
            }
        };
        tokio::time::sleep(lag).await;
        let claims = self.claims(control, &key).await?;
        let now = lease_now();
        let holder = claims
            .iter()
            .filter(|c| c.live(now) || c.row == mine)
            .min_by_key(|c| c.number.unwrap_or(u64::MAX));
        let ours = |c: &Claim| c.row == mine || c.run == options.run_id;
        match holder {
            Some(claim) if ours(claim) => {
                let others_until = claims
                    .iter()
                    .filter(|c| !ours(c))
                    .filter_map(|c| c.expires)
                    .max();
                let old: Vec<PageId> = claims
                    .iter()
                    .filter(|c| c.row != mine)
                    .filter(|c| {
                        c.run == options.run_id
                            || (!c.live(now) && c.expires.is_none_or(|e| e + KEEP_OLD_CLAIMS < now))
                    })
                    .map(|c| c.row)
                    .take(TRASH_PER_TAKE)
                    .collect();
                for row in old {
                    if let Err(error) = trash(control, row).await {
                        tracing::warn!(%error, "an old lease claim could not be trashed");
                    }
                }
                Ok(Taken::Held(Lease {
                    control: control.clone(),
                    row: mine,
                    options: options.clone(),
                    lag,
                    others_until,
                }))
            }
            Some(claim) => {
                let holder = Holder {
                    run: claim.run.clone(),
                    host: claim.host.clone(),
                    since: claim.created.clone(),
                    until: claim.expires.map(stamp).unwrap_or_default(),
                };
                trash(control, mine).await?;
                Ok(Taken::Busy(holder))
            }
            None => Err(Error::Registry(format!(
                "the claim this run added to {LEASES_TITLE} is not listed after {:?}; \
                 run again (Notion may be slow to list new rows)",
                lag
            ))),
        }
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
            .is_some_and(|until| until + self.lag > read_at)
    }

    /// How long to wait before reading what the last holder wrote: what is left of Notion's
    /// read-after-write lag since its claim was released.
    pub fn lag_left(&self) -> Duration {
        let now = lease_now();
        self.others_until
            .map(|until| until + self.lag)
            .and_then(|ready| ready.duration_since(now).ok())
            .unwrap_or_default()
    }

    /// Moves the claim's expiry to a full [`LeaseOptions::ttl`] from now.
    pub async fn renew(&self) -> Result<()> {
        let expires = lease_now() + self.options.ttl;
        self.set_expiry(expires).await
    }

    /// How often the holder renews its claim.
    pub fn renew_every(&self) -> Duration {
        self.options.ttl / 3
    }

    /// Renews the claim within half of the minute a new claim holds, then every
    /// [`renew_every`](Self::renew_every), until the returned guard is dropped (a renewal that
    /// fails is logged; the claim then lapses at its expiry).
    pub fn keep_alive(&self) -> Renewal {
        let lease = self.clone();
        Renewal(tokio::spawn(async move {
            let mut wait = (CONFIRM_WITHIN / 2).min(lease.renew_every());
            loop {
                tokio::time::sleep(wait).await;
                wait = lease.renew_every();
                if let Err(error) = lease.renew().await {
                    tracing::warn!(%error, "a lease could not be renewed");
                }
            }
        }))
    }

    /// Releases the lease: the claim lapses now (and stays listed a while, so that the next
    /// holder knows a run wrote just before it).
    pub async fn release(&self) -> Result<()> {
        let now = lease_now();
        self.set_expiry(now).await
    }

    async fn set_expiry(&self, expires: SystemTime) -> Result<()> {
        let properties: Value = json!({"Expires": {"date": {"start": stamp(expires)}}});
        self.control
            .set_page_properties(self.row, properties)
            .await
            .map(drop)
    }
}
