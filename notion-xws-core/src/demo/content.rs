//! What the demo's databases hold: their schemas (one column list per database) and their rows,
//! drawn from a small seeded generator so that the same seed gives the same content.
//!
//! The databases a sync moves (Tasks, Content Calendar, …) have a column of nearly every
//! property type a sync has to carry or report: title, rich text, number, select, multi-select,
//! date, checkbox, URL, email, people, relation, formula, created time and unique ID. The other
//! databases of the registry share one small schema and hold no rows.
//!
//! People and relations name objects of their own workspace, so their values are drawn from what
//! the builder made first ([`RowRefs`]): people from the agency's [`MEMBERS`] (most of them also
//! members of VibeVessel's workspace, one not), related pages from the rows of the related
//! database (Tasks → Contacts, the first task naming every contact, past the 25 references a page
//! object shows; Tasks → Brand Assets, a database that is not synced).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::ids::{DataSourceId, PageId, UserId};

/// A deterministic generator (splitmix64): the demo's content depends only on the seed.
#[derive(Debug, Clone)]
pub(super) struct DemoRng(u64);

impl DemoRng {
    /// A generator for `seed`.
    pub(super) fn new(seed: u64) -> Self {
        Self(seed ^ 0x5EED_DE30_2026_0119)
    }

    /// The next 64 random bits.
    pub(super) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(super) fn below(&mut self, n: usize) -> usize {
        let n = n as u64;
        if n == 0 {
            0
        } else {
            usize::try_from(self.next_u64() % n).unwrap_or(0)
        }
    }

    /// True `percent` times in a hundred.
    pub(super) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    /// One of `items` (`""` when there are none).
    pub(super) fn pick(&mut self, items: &[&'static str]) -> &'static str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }

    /// 32 random hex digits (a view ID of a link: the fake has no views).
    pub(super) fn hex32(&mut self) -> String {
        format!("{:016x}{:016x}", self.next_u64(), self.next_u64())
    }
}

/// The type of one column, with what its values are drawn from.
#[derive(Debug, Clone, Copy)]
pub(super) enum Column {
    /// The title: one of the phrases, numbered.
    Title(&'static [&'static str]),
    /// Rich text: one of the sentences (sometimes empty).
    Text(&'static [&'static str]),
    /// A whole number below the bound.
    Number(usize),
    /// One of the options.
    Select(&'static [&'static str]),
    /// One or two of the options.
    MultiSelect(&'static [&'static str]),
    /// A date in 2026.
    Date,
    /// True or false.
    Checkbox,
    /// A link under this host.
    Url(&'static str),
    /// An address at this domain.
    Email(&'static str),
    /// People of the control workspace: none (about one row in seven), one or two of the
    /// [`MEMBERS`].
    People,
    /// A relation (one-way, `single_property`) to the database with this title: none (about one
    /// row in four), one, two or three related rows; the first row names every related row.
    Relation(&'static str),
    /// A formula (Notion computes it; only the expression is set).
    Formula(&'static str),
    /// The creation time (set by Notion).
    CreatedTime,
    /// A unique ID with this prefix (set by Notion).
    UniqueId(&'static str),
}

/// One database of the demo: its title, its columns and how many rows it gets.
#[derive(Debug, Clone, Copy)]
pub(super) struct SourceSpec {
    /// The database's title.
    pub(super) title: &'static str,
    /// The columns, in order (the first is the title).
    pub(super) columns: &'static [(&'static str, Column)],
    /// How many rows to create.
    pub(super) rows: usize,
}

const TASK_PHRASES: &[&str] = &[
    "Draft homepage copy",
    "Review storyboard",
    "Send invoice",
    "Record voice-over",
    "Color-grade teaser",
    "Update brand kit",
    "Schedule shoot",
    "Write case study",
    "Prepare pitch deck",
    "QA landing page",
];
const NOTES: &[&str] = &[
    "Waiting on client sign-off.",
    "Second round of edits requested.",
    "Blocked by missing assets.",
    "Ready for review.",
    "See the brief in the shared drive.",
    "",
];
/// A member of the agency: a person of the control workspace, and whether (and with which email)
/// VibeVessel's workspace has them too.
#[derive(Debug, Clone, Copy)]
pub(super) struct Member {
    /// The name.
    pub(super) name: &'static str,
    /// The email in the control workspace.
    pub(super) email: &'static str,
    /// The email of the same person in VibeVessel's workspace, when they are a member there.
    pub(super) vibevessel_email: Option<&'static str>,
}

/// The agency's members who work on the synced databases: three of them are members of
/// VibeVessel's workspace too (one with the email in other letter case), one is not.
pub(super) const MEMBERS: [Member; 4] = [
    Member {
        name: "Maya Chen",
        email: "maya.chen@serenmedia.example",
        vibevessel_email: Some("maya.chen@serenmedia.example"),
    },
    Member {
        name: "Omar Haddad",
        email: "omar.haddad@serenmedia.example",
        vibevessel_email: Some("Omar.Haddad@SerenMedia.example"),
    },
    Member {
        name: "Priya Nair",
        email: "priya.nair@serenmedia.example",
        vibevessel_email: Some("priya.nair@serenmedia.example"),
    },
    Member {
        name: "Lena Vogel",
        email: "lena.vogel@serenmedia.example",
        vibevessel_email: None,
    },
];

/// The title of the database Tasks' `Asset` relation names: synced with `Sometimes`, which names
/// no direction, so the relation is not copied (and the sync says so).
pub(super) const ASSETS_TITLE: &str = "Brand Assets";

const PRIORITIES: &[&str] = &["High", "Medium", "Low"];
const TAGS: &[&str] = &["Video", "Copy", "Design", "Social", "Ops"];
const POST_PHRASES: &[&str] = &[
    "Behind the scenes",
    "Client spotlight",
    "Product teaser",
    "Monthly recap",
    "How-to reel",
];
const CHANNELS: &[&str] = &["Instagram", "LinkedIn", "YouTube", "Blog", "Newsletter"];
const TOPICS: &[&str] = &["Launch", "Culture", "Tips", "Events"];
const PEOPLE_NAMES: &[&str] = &[
    "Ada Moreno",
    "Ben Okafor",
    "Chloe Park",
    "Dev Raman",
    "Elif Demir",
    "Finn Walsh",
];
const COMPANIES: &[&str] = &["VibeVessel", "Harbor Lights", "Northwind Studio", ""];
const TIERS: &[&str] = &["Key", "Regular", "Prospect"];
const FEEDBACK_PHRASES: &[&str] = &[
    "Love the new edit",
    "Logo too small",
    "Music feels off",
    "Great turnaround",
];
const SENTIMENTS: &[&str] = &["Positive", "Neutral", "Negative"];
const AREAS: &[&str] = &["Video", "Copy", "Timing", "Billing"];
const ROADMAP_PHRASES: &[&str] = &[
    "Client portal v2",
    "Self-serve briefs",
    "Asset search",
    "Usage reports",
];
const QUARTERS: &[&str] = &["Q3 2026", "Q4 2026", "Q1 2027"];
const THEMES: &[&str] = &["Speed", "Quality", "Self-serve"];
const ASSET_PHRASES: &[&str] = &["Logo pack", "Color palette", "Type specimen", "Photo set"];
const ASSET_KINDS: &[&str] = &["Logo", "Palette", "Font", "Photo"];

/// Tasks: more than one page of query results, with a `TSK` unique ID.
pub(super) const TASKS: SourceSpec = SourceSpec {
    title: "Tasks",
    columns: &[
        ("Name", Column::Title(TASK_PHRASES)),
        ("Notes", Column::Text(NOTES)),
        ("Estimate (h)", Column::Number(40)),
        ("Priority", Column::Select(PRIORITIES)),
        ("Tags", Column::MultiSelect(TAGS)),
        ("Due", Column::Date),
        ("Done", Column::Checkbox),
        ("Reference", Column::Url("drive.example.com")),
        ("Requester", Column::Email("vibevessel.example")),
        ("Assignee", Column::People),
        (super::CONTACT_RELATION, Column::Relation(CONTACTS_TITLE)),
        (super::ASSET_RELATION, Column::Relation(ASSETS_TITLE)),
        ("Effort", Column::Formula("prop(\"Estimate (h)\") * 2")),
        ("Created", Column::CreatedTime),
        ("Task ID", Column::UniqueId("TSK")),
    ],
    rows: 120,
};

/// Content Calendar.
pub(super) const CONTENT_CALENDAR: SourceSpec = SourceSpec {
    title: "Content Calendar",
    columns: &[
        ("Name", Column::Title(POST_PHRASES)),
        ("Channel", Column::Select(CHANNELS)),
        ("Topics", Column::MultiSelect(TOPICS)),
        ("Publish Date", Column::Date),
        ("Published", Column::Checkbox),
        ("Word Count", Column::Number(2000)),
        ("Draft", Column::Url("docs.example.com")),
        ("Summary", Column::Text(NOTES)),
        ("Created", Column::CreatedTime),
    ],
    rows: 30,
};

/// The title of Contacts.
pub(super) const CONTACTS_TITLE: &str = "Contacts";

/// Contacts: more than the 25 references a page object shows, so that the task that names every
/// contact shows only some of them.
pub(super) const CONTACTS: SourceSpec = SourceSpec {
    title: CONTACTS_TITLE,
    columns: &[
        ("Name", Column::Title(PEOPLE_NAMES)),
        ("Email", Column::Email("clients.example")),
        ("Company", Column::Text(COMPANIES)),
        ("Tier", Column::Select(TIERS)),
        ("Last Contacted", Column::Date),
        ("Newsletter", Column::Checkbox),
        ("Website", Column::Url("www.example.com")),
        ("Owner", Column::People),
    ],
    rows: 30,
};

/// Client Feedback: lives in the VibeVessel workspace (synced with `Pull`).
pub(super) const CLIENT_FEEDBACK: SourceSpec = SourceSpec {
    title: "Client Feedback",
    columns: &[
        ("Name", Column::Title(FEEDBACK_PHRASES)),
        ("Rating", Column::Number(6)),
        ("Sentiment", Column::Select(SENTIMENTS)),
        ("Areas", Column::MultiSelect(AREAS)),
        ("Received", Column::Date),
        ("Resolved", Column::Checkbox),
        ("Comment", Column::Text(NOTES)),
        ("From", Column::Email("vibevessel.example")),
    ],
    rows: 8,
};

/// Shared Roadmap (synced both ways).
pub(super) const SHARED_ROADMAP: SourceSpec = SourceSpec {
    title: "Shared Roadmap",
    columns: &[
        ("Name", Column::Title(ROADMAP_PHRASES)),
        ("Quarter", Column::Select(QUARTERS)),
        ("Themes", Column::MultiSelect(THEMES)),
        ("Target", Column::Date),
        ("Confidence", Column::Number(100)),
        ("Shipped", Column::Checkbox),
        ("Spec", Column::Url("docs.example.com")),
        ("Score", Column::Formula("prop(\"Confidence\") / 10")),
    ],
    rows: 6,
};

/// Brand Assets (its `Sync` value, `Sometimes`, names no direction).
pub(super) const BRAND_ASSETS: SourceSpec = SourceSpec {
    title: ASSETS_TITLE,
    columns: &[
        ("Name", Column::Title(ASSET_PHRASES)),
        ("Kind", Column::Select(ASSET_KINDS)),
        ("File", Column::Url("cdn.example.com")),
        ("Created", Column::CreatedTime),
    ],
    rows: 4,
};

const STAGES: &[&str] = &["Active", "Paused", "Done"];

/// The schema of every other database of the registry (no rows).
pub(super) const PLAIN_COLUMNS: &[(&str, Column)] = &[
    ("Name", Column::Title(TASK_PHRASES)),
    ("Notes", Column::Text(NOTES)),
    ("Stage", Column::Select(STAGES)),
];

/// The schema of a second data source (a database with two data sources).
pub(super) const SECOND_SOURCE_COLUMNS: &[(&str, Column)] = &[
    ("Name", Column::Title(POST_PHRASES)),
    ("Budget", Column::Number(10_000)),
    ("Channel", Column::Select(CHANNELS)),
];

fn options(names: &[&str]) -> Value {
    Value::Array(names.iter().map(|n| json!({ "name": n })).collect())
}

/// The `properties` of a create request for `columns`, without the relation columns (see
/// [`relation_schema`]: the related databases may not exist yet).
pub(super) fn schema(columns: &[(&str, Column)]) -> Value {
    let mut map = Map::new();
    for (name, column) in columns {
        let config = match column {
            Column::Relation(_) => continue,
            Column::Title(_) => json!({"title": {}}),
            Column::Text(_) => json!({"rich_text": {}}),
            Column::Number(_) => json!({"number": {"format": "number"}}),
            Column::Select(names) => json!({"select": {"options": options(names)}}),
            Column::MultiSelect(names) => json!({"multi_select": {"options": options(names)}}),
            Column::Date => json!({"date": {}}),
            Column::Checkbox => json!({"checkbox": {}}),
            Column::Url(_) => json!({"url": {}}),
            Column::Email(_) => json!({"email": {}}),
            Column::People => json!({"people": {}}),
            Column::Formula(expression) => json!({"formula": {"expression": expression}}),
            Column::CreatedTime => json!({"created_time": {}}),
            Column::UniqueId(prefix) => json!({"unique_id": {"prefix": prefix}}),
        };
        map.insert((*name).to_owned(), config);
    }
    Value::Object(map)
}

/// The relation columns of `columns` as the `properties` of an update request, each pointing at
/// the related database's data source in `sources` (by title); `None` when there are none.
pub(super) fn relation_schema(
    columns: &[(&str, Column)],
    sources: &BTreeMap<&str, DataSourceId>,
) -> Result<Option<Value>, String> {
    let mut map = Map::new();
    for (name, column) in columns {
        let Column::Relation(title) = column else {
            continue;
        };
        let source = sources
            .get(title)
            .ok_or_else(|| format!("{name:?} relates to {title:?}, which has no database"))?;
        map.insert(
            (*name).to_owned(),
            json!({"relation": {
                "data_source_id": source.to_string(),
                "type": "single_property",
                "single_property": {},
            }}),
        );
    }
    Ok((!map.is_empty()).then_some(Value::Object(map)))
}

/// The titles of the databases the relation columns of `columns` name.
pub(super) fn related_titles(columns: &[(&str, Column)]) -> Vec<&'static str> {
    columns
        .iter()
        .filter_map(|(_, column)| match column {
            Column::Relation(title) => Some(*title),
            _ => None,
        })
        .collect()
}

/// What a row's people and relation values are drawn from: objects the builder made first.
#[derive(Debug, Clone, Copy)]
pub(super) struct RowRefs<'a> {
    /// The control workspace's people (the [`MEMBERS`], in order).
    pub(super) people: &'a [UserId],
    /// The rows of the databases made so far, by title.
    pub(super) rows: &'a BTreeMap<&'static str, Vec<PageId>>,
}

/// `count` distinct items of `items`, drawn in order of appearance (all of them when `count` is
/// as many or more).
fn distinct<T: Copy + PartialEq>(items: &[T], count: usize, rng: &mut DemoRng) -> Vec<T> {
    let mut picked: Vec<T> = Vec::new();
    let wanted = count.min(items.len());
    while picked.len() < wanted {
        let item = items[rng.below(items.len())];
        if !picked.contains(&item) {
            picked.push(item);
        }
    }
    picked
}

fn references(ids: impl IntoIterator<Item = String>) -> Value {
    Value::Array(ids.into_iter().map(|id| json!({ "id": id })).collect())
}

/// Rich text as a request writes it.
pub(super) fn text(content: &str) -> Value {
    if content.is_empty() {
        json!([])
    } else {
        json!([{"type": "text", "text": {"content": content}}])
    }
}

/// The `properties` of row number `n` (from 0) of a database with `columns`; people and related
/// pages are drawn from `refs` (a relation to a database with no rows in `refs` is an error).
pub(super) fn row(
    columns: &[(&str, Column)],
    n: usize,
    rng: &mut DemoRng,
    refs: RowRefs<'_>,
) -> Result<Value, String> {
    let mut map = Map::new();
    for (name, column) in columns {
        let value = match column {
            Column::Title(phrases) => {
                let phrase = phrases.get(n % phrases.len().max(1)).copied().unwrap_or("");
                json!({"title": text(&format!("{phrase} #{:03}", n + 1))})
            }
            Column::Text(sentences) => json!({"rich_text": text(rng.pick(sentences))}),
            Column::Number(bound) => json!({"number": rng.below(*bound)}),
            Column::Select(names) => json!({"select": {"name": rng.pick(names)}}),
            Column::MultiSelect(names) => {
                let first = rng.pick(names);
                let second = rng.pick(names);
                let picked: Vec<Value> = if first == second || rng.chance(50) {
                    vec![json!({"name": first})]
                } else {
                    vec![json!({"name": first}), json!({"name": second})]
                };
                json!({"multi_select": picked})
            }
            Column::Date => {
                let month = 1 + rng.below(12);
                let day = 1 + rng.below(28);
                json!({"date": {"start": format!("2026-{month:02}-{day:02}")}})
            }
            Column::Checkbox => json!({"checkbox": rng.chance(40)}),
            Column::Url(host) => {
                if rng.chance(15) {
                    json!({"url": null})
                } else {
                    json!({"url": format!("https://{host}/item-{:03}", n + 1)})
                }
            }
            Column::Email(domain) => {
                let person = rng.pick(PEOPLE_NAMES).to_lowercase().replace(' ', ".");
                json!({"email": format!("{person}@{domain}")})
            }
            Column::People => {
                let count = if rng.chance(15) {
                    0
                } else if rng.chance(20) {
                    2
                } else {
                    1
                };
                let people = distinct(refs.people, count, rng);
                json!({"people": references(people.iter().map(ToString::to_string))})
            }
            Column::Relation(title) => {
                let related = refs
                    .rows
                    .get(title)
                    .filter(|rows| !rows.is_empty())
                    .ok_or_else(|| {
                        format!("{name:?} relates to {title:?}, which has no rows yet")
                    })?;
                let count = if n == 0 {
                    related.len()
                } else if rng.chance(25) {
                    0
                } else {
                    1 + rng.below(3)
                };
                let pages = distinct(related, count, rng);
                json!({"relation": references(pages.iter().map(ToString::to_string))})
            }
            Column::Formula(_) | Column::CreatedTime | Column::UniqueId(_) => continue,
        };
        map.insert((*name).to_owned(), value);
    }
    Ok(Value::Object(map))
}
