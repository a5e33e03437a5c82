//! `POST /v1/blocks/meeting_notes/query`: the meeting notes (`meeting_notes` blocks, made by
//! Notion's AI meeting notes; in the fake by [`FakeNotion::add_meeting_note`]) that the
//! integration sees, as the SDK's `QueryMeetingNotesBodyParameters` asks.
//!
//! `sort` orders by `title`, `created_time` or `last_edited_time` (and `created_by`,
//! `last_edited_by` by user ID), each `ascending` or `descending`, the first entry first; with no
//! sort the newest come first. `limit` (default 50) caps the results, `has_more` telling whether
//! more matched. The answer is a list of blocks (`"type":"block"`), as recorded in
//! `ramnes/notion-sdk-py` `test_blocks_meeting_notes_query.yaml`. `filter` is checked to be an
//! object and not applied: its operators are free strings in the SDK's type, with no list of
//! them to follow.
//!
//! [`FakeNotion::add_meeting_note`]: crate::fake::FakeNotion::add_meeting_note

use std::cmp::Ordering;

use serde_json::Value;

use super::{list_json, object_of};
use crate::fake::render::Ctx;
use crate::fake::reply::{Fail, Reply, only_keys};
use crate::fake::state::{Kind, Object, State};

/// The properties a sort can name (`QueryMeetingNotesBodyParameters.sort[].property`).
const SORTABLE: [&str; 6] = [
    "title",
    "attendees",
    "created_time",
    "created_by",
    "last_edited_time",
    "last_edited_by",
];

/// The number of results when the body gives no `limit`.
const DEFAULT_LIMIT: usize = 50;

impl State {
    pub(super) fn meeting_notes_query(&self, ctx: Ctx, body: &Value) -> Reply {
        let map = object_of(body)?;
        let limit = match map.get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => match v.as_u64().filter(|n| *n >= 1) {
                Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
                None => return Err(Fail::body("body.limit", "a positive integer", v)),
            },
        };
        let sorts = sort_keys(map.get("sort"))?;
        let mut notes: Vec<&Object> = self
            .objects
            .values()
            .filter(|o| !o.in_trash && self.visible(ctx.integration, o.id))
            .filter(|o| matches!(&o.kind, Kind::Block(b) if b.kind == "meeting_notes"))
            .collect();
        notes.sort_by(|a, b| {
            sorts
                .iter()
                .map(|(property, ascending)| {
                    let order = compare(a, b, property);
                    if *ascending { order } else { order.reverse() }
                })
                .find(|o| o.is_ne())
                .unwrap_or_else(|| b.seq.cmp(&a.seq))
        });
        let has_more = notes.len() > limit;
        let results = notes
            .iter()
            .take(limit)
            .map(|o| self.block_json(o, ctx))
            .collect();
        Ok(list_json(results, None, has_more, "block"))
    }
}

/// The `sort` entries: property and whether ascending.
fn sort_keys(sort: Option<&Value>) -> Reply<Vec<(String, bool)>> {
    let Some(sort) = sort else {
        return Ok(Vec::new());
    };
    let entries = sort
        .as_array()
        .ok_or_else(|| Fail::body("body.sort", "an array", sort))?;
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let path = format!("body.sort[{i}]");
            let map = crate::fake::validate::object(&path, entry)?;
            only_keys(&path, map, &["property", "direction"])?;
            let property = map
                .get("property")
                .ok_or_else(|| Fail::missing(&format!("{path}.property")))?;
            if !property.as_str().is_some_and(|p| SORTABLE.contains(&p)) {
                return Err(Fail::enumeration(
                    &format!("{path}.property"),
                    &SORTABLE,
                    property,
                ));
            }
            let direction = map
                .get("direction")
                .ok_or_else(|| Fail::missing(&format!("{path}.direction")))?;
            let ascending = match direction.as_str() {
                Some("ascending") => true,
                Some("descending") => false,
                _ => {
                    return Err(Fail::enumeration(
                        &format!("{path}.direction"),
                        &["ascending", "descending"],
                        direction,
                    ));
                }
            };
            Ok((property.as_str().unwrap_or_default().to_owned(), ascending))
        })
        .collect()
}

/// Two meeting notes by one sortable property (attendees: none are recorded, so equal).
fn compare(a: &Object, b: &Object, property: &str) -> Ordering {
    match property {
        "title" => title(a).cmp(&title(b)),
        "created_time" => a.created_ms.cmp(&b.created_ms),
        "last_edited_time" => a.edited_ms.cmp(&b.edited_ms),
        "created_by" => a.created_by.cmp(&b.created_by),
        "last_edited_by" => a.edited_by.cmp(&b.edited_by),
        _ => Ordering::Equal,
    }
}

/// A meeting note's title as plain text.
fn title(object: &Object) -> String {
    let Kind::Block(block) = &object.kind else {
        return String::new();
    };
    block.content["title"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|t| t["plain_text"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn sorts_are_read_and_refused_as_the_sdk_types_them() {
        assert_eq!(
            sort_keys(Some(
                &json!([{"property": "title", "direction": "ascending"}])
            ))
            .unwrap(),
            vec![("title".to_owned(), true)]
        );
        let wrong = sort_keys(Some(
            &json!([{"property": "name", "direction": "ascending"}]),
        ));
        assert!(wrong.unwrap_err().message.contains("body.sort[0].property"));
        assert!(sort_keys(Some(&json!({}))).is_err());
    }
}
