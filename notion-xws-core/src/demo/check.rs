//! What a sync made of the demo's references, read back from both workspaces: each task's
//! `Contact` relation in VibeVessel's copy of Tasks against the source's (through the keys of
//! VibeVessel's copy of Contacts), and the people of Tasks (`Assignee`) and Contacts (`Owner`)
//! in the copies against the source's, matched by email through [`DemoWorld::people`].
//!
//! The bodies of the tasks that have one, against their copies' ([`BodyCheck`]).
//!
//! Nothing here trusts the sync's own counts: the figures come from the rows as Notion shows
//! them, relation values read in full past the 25 references a page object shows.

use std::collections::{BTreeSet, HashMap};

use futures::TryStreamExt;
use serde_json::Value;

use super::{ASSET_RELATION, CONTACT_RELATION, DemoWorld, plan};
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::ids::{DataSourceId, PageId, UserId};
use crate::model::{Page, PropertyItemKind, PropertyItemResponse, PropertyValueKind};
use crate::sync::content::{SourceBlock, read_body};
use crate::sync::links::LinksTable;
use crate::sync::one_way::plan::source_key;

/// Tasks' `Contact` relation, source against copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RelationCheck {
    /// Contacts named in the source's tasks (one per task and contact).
    pub source_values: usize,
    /// Tasks naming at least one contact.
    pub rows: usize,
    /// The most contacts one task names.
    pub most_on_a_row: usize,
    /// Values in the copy that point at VibeVessel's copy of a contact the source task names.
    pub remapped: usize,
    /// Values in the copy that point anywhere else (another contact, a row of no copy).
    pub misdirected: usize,
    /// Contacts the source names that the copy does not.
    pub missing: usize,
}

/// The people of the synced databases, source against copy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeopleCheck {
    /// People named in the source's rows (one per row and person).
    pub source_values: usize,
    /// Values in the copies that are the VibeVessel member with the email of a person the source
    /// row names.
    pub matched: usize,
    /// People the source names who are not members of VibeVessel's workspace (left out).
    pub unmatched: usize,
    /// Values in the copies that are anyone else.
    pub wrong: usize,
    /// People the source names, members of VibeVessel's workspace, whom the copy does not name.
    pub missing: usize,
}

/// The page content of the tasks that have a body, source against copy, block by block.
///
/// Blocks are compared by their place in the tree, type and what they show:
/// the text of their rich text, caption or cells, a to-do's check, a code block's language, a
/// callout's emoji, an equation, a media block's kind of file (a hosted image must arrive as a
/// file hosted in the client's workspace, not as a link to the source's).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BodyCheck {
    /// Tasks with a body in the source.
    pub bodies: usize,
    /// Their blocks, nested ones included.
    pub blocks: usize,
    /// Copies whose body shows the same, block by block.
    pub same: usize,
    /// Copies whose body differs.
    pub differing: usize,
    /// Tasks with a body whose copy is missing or has no body.
    pub missing: usize,
    /// Mentions in the source bodies (of dates, people and pages).
    pub mentions: usize,
    /// Those that are still mentions of the same kind, at the same place, in the copy.
    pub mentions_kept: usize,
}

/// What a sync made of the demo's references: read by [`DemoWorld::references`] from the rows
/// of both workspaces, not from the sync's own counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoReferences {
    /// Tasks → Contacts.
    pub relation: RelationCheck,
    /// `Assignee` of Tasks and `Owner` of Contacts.
    pub people: PeopleCheck,
    /// The page content of the tasks.
    pub bodies: BodyCheck,
    /// Whether VibeVessel's copy of Tasks has the relation to the database that is not synced.
    pub unsynced_relation_copied: bool,
}

impl DemoReferences {
    /// Whether every reference arrived as it should: each value remapped or matched, none
    /// misdirected, wrong or missing, every body the same in its copy, and the relation to the
    /// unsynced database not copied.
    pub fn all_right(&self) -> bool {
        let r = &self.relation;
        let p = &self.people;
        let b = &self.bodies;
        r.remapped == r.source_values
            && r.misdirected == 0
            && r.missing == 0
            && p.matched + p.unmatched == p.source_values
            && p.wrong == 0
            && p.missing == 0
            && b.same == b.bodies
            && b.differing == 0
            && b.missing == 0
            && !self.unsynced_relation_copied
    }
}

impl DemoWorld {
    /// Reads what a sync made of the relations and people of the databases pushed to VibeVessel
    /// (the control integration's `control` finds the copies in `system-sync-links`).
    pub async fn references(&self, control: &NotionClient) -> Result<DemoReferences> {
        let missing = |what: &str| Error::Config(format!("the demo world has no {what}"));
        let environment = self
            .environment(plan::VIBEVESSEL)
            .ok_or_else(|| missing("VibeVessel environment"))?;
        let token = environment
            .token
            .clone()
            .ok_or_else(|| missing("VibeVessel token"))?;
        let vibevessel = control.for_token(token);
        let links = LinksTable::find(control)
            .await?
            .ok_or_else(|| Error::Config("no system-sync-links: nothing was synced".to_owned()))?;
        let copy_of = |name: &str| -> Result<(DataSourceId, DataSourceId)> {
            let synced = self.synced(name).ok_or_else(|| missing(name))?;
            let copy = links
                .links
                .iter()
                .find(|l| {
                    l.database_row == Some(synced.registry_page_id)
                        && l.environment_row == Some(environment.page_id)
                })
                .and_then(|l| l.target_data_source)
                .ok_or_else(|| Error::Config(format!("{name} has no copy in VibeVessel")))?;
            Ok((synced.database.data_source_id, copy))
        };
        let (tasks, tasks_copy) = copy_of("Tasks")?;
        let (contacts, contacts_copy) = copy_of("Contacts")?;

        let source_tasks = rows(control, tasks).await?;
        let copied_tasks = rows(&vibevessel, tasks_copy).await?;
        let contact_of: HashMap<PageId, PageId> = rows(&vibevessel, contacts_copy)
            .await?
            .iter()
            .filter_map(|row| Some((row.id, source_key(row)?)))
            .collect();
        let copies: HashMap<PageId, &Page> = copied_tasks
            .iter()
            .filter_map(|row| Some((source_key(row)?, row)))
            .collect();

        let mut relation = RelationCheck::default();
        for source in &source_tasks {
            let named = related(control, source, CONTACT_RELATION).await?;
            relation.source_values += named.len();
            relation.rows += usize::from(!named.is_empty());
            relation.most_on_a_row = relation.most_on_a_row.max(named.len());
            let got = match copies.get(&source.id) {
                Some(copy) => related(&vibevessel, copy, CONTACT_RELATION).await?,
                None => BTreeSet::new(),
            };
            let mut found = BTreeSet::new();
            for target in got {
                match contact_of.get(&target) {
                    Some(contact) if named.contains(contact) => {
                        relation.remapped += 1;
                        found.insert(*contact);
                    }
                    _ => relation.misdirected += 1,
                }
            }
            relation.missing += named.difference(&found).count();
        }

        let match_of: HashMap<UserId, UserId> = self
            .people
            .iter()
            .filter_map(|p| Some((p.control_user, p.vibevessel_user?)))
            .collect();
        let mut people = PeopleCheck::default();
        let source_contacts = rows(control, contacts).await?;
        let copied_contacts = rows(&vibevessel, contacts_copy).await?;
        let contact_copies: HashMap<PageId, &Page> = copied_contacts
            .iter()
            .filter_map(|row| Some((source_key(row)?, row)))
            .collect();
        for (sources, copies, column) in [
            (&source_tasks, &copies, "Assignee"),
            (&source_contacts, &contact_copies, "Owner"),
        ] {
            for source in sources {
                let named = users(source, column);
                let got = copies
                    .get(&source.id)
                    .map(|copy| users(copy, column))
                    .unwrap_or_default();
                people.source_values += named.len();
                let expected: BTreeSet<UserId> = named
                    .iter()
                    .filter_map(|user| match_of.get(user).copied())
                    .collect();
                people.unmatched += named.len() - expected.len();
                people.matched += got.intersection(&expected).count();
                people.wrong += got.difference(&expected).count();
                people.missing += expected.difference(&got).count();
            }
        }

        let mut bodies = BodyCheck::default();
        for source in &self.rows_with_bodies {
            let (mut want, mut want_mentions) = (Vec::new(), Vec::new());
            outline(
                &read_body(control, (*source).into()).await?,
                0,
                &mut want,
                &mut want_mentions,
            );
            bodies.bodies += 1;
            bodies.blocks += want.len();
            bodies.mentions += want_mentions.len();
            let (mut got, mut got_mentions) = (Vec::new(), Vec::new());
            if let Some(copy) = copies.get(source) {
                let body = read_body(&vibevessel, copy.id.into()).await?;
                outline(&body, 0, &mut got, &mut got_mentions);
            }
            if got.is_empty() {
                bodies.missing += 1;
            } else if got == want {
                bodies.same += 1;
            } else {
                bodies.differing += 1;
            }
            bodies.mentions_kept += want_mentions
                .iter()
                .zip(&got_mentions)
                .filter(|(a, b)| a == b)
                .count();
        }

        let schema = vibevessel.data_source(tasks_copy).await?;
        Ok(DemoReferences {
            relation,
            people,
            bodies,
            unsynced_relation_copied: schema.properties.contains_key(ASSET_RELATION),
        })
    }
}

/// A body as [`BodyCheck`] compares it, one line per block, each block before its children:
/// its depth, type and what it shows; and the kinds of its mentions, in order, in `mentions`.
fn outline(
    blocks: &[SourceBlock],
    depth: usize,
    out: &mut Vec<String>,
    mentions: &mut Vec<String>,
) {
    for node in blocks {
        let kind = node.block.block_type.as_str();
        let content = node.block.content.clone().unwrap_or(Value::Null);
        let mut shows = Vec::new();
        for key in ["rich_text", "caption"] {
            if let Some(items) = content.get(key).and_then(Value::as_array) {
                shows.push(rich_text_plain(items, mentions));
            }
        }
        if let Some(cells) = content.get("cells").and_then(Value::as_array) {
            for cell in cells.iter().filter_map(Value::as_array) {
                shows.push(rich_text_plain(cell, mentions));
            }
        }
        for pointer in [
            "/checked",
            "/language",
            "/icon/emoji",
            "/expression",
            "/type",
            "/url",
        ] {
            if let Some(value) = content.pointer(pointer) {
                shows.push(value.to_string());
            }
        }
        out.push(format!("{depth} {kind} {}", shows.join(" | ")));
        outline(&node.children, depth + 1, out, mentions);
    }
}

/// The plain text of rich-text items; the kind of each mention among them pushed to `mentions`.
fn rich_text_plain(items: &[Value], mentions: &mut Vec<String>) -> String {
    let mut text = String::new();
    for item in items {
        if item.get("type").and_then(Value::as_str) == Some("mention") {
            let kind = item.pointer("/mention/type").and_then(Value::as_str);
            mentions.push(kind.unwrap_or("unknown").to_owned());
        }
        text.push_str(item.get("plain_text").and_then(Value::as_str).unwrap_or(""));
    }
    text
}

/// Every row of a data source.
async fn rows(client: &NotionClient, source: DataSourceId) -> Result<Vec<Page>> {
    client.query_all(source, None, &[]).try_collect().await
}

/// The people a row's `column` names.
fn users(row: &Page, column: &str) -> BTreeSet<UserId> {
    match row.properties.get(column).map(|v| &v.value) {
        Some(PropertyValueKind::People(users)) => users.iter().map(|u| u.id).collect(),
        _ => BTreeSet::new(),
    }
}

/// Every page a row's relation `column` names, read as property items when the page object cut
/// the list.
async fn related(client: &NotionClient, row: &Page, column: &str) -> Result<BTreeSet<PageId>> {
    let Some(value) = row.properties.get(column) else {
        return Ok(BTreeSet::new());
    };
    let PropertyValueKind::Relation { pages, has_more } = &value.value else {
        return Ok(BTreeSet::new());
    };
    let Some(property) = value.id.as_ref().filter(|_| *has_more == Some(true)) else {
        return Ok(pages.iter().map(|p| p.id).collect());
    };
    let mut ids = BTreeSet::new();
    let mut items = client.page_property(row.id, property);
    while let Some(response) = items.try_next().await? {
        let items = match response {
            PropertyItemResponse::Item(item) => vec![*item],
            PropertyItemResponse::List(list) => list.list.results,
        };
        for item in items {
            if let PropertyItemKind::Relation(page) = item.item {
                ids.insert(page.id);
            }
        }
    }
    Ok(ids)
}
