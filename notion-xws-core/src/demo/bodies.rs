//! The page content of the demo's tasks: the bodies a content sync copies (`Sync Content` is
//! ticked on `Tasks`, pushed to VibeVessel).
//!
//! Every [`BODY_EVERY`]th task has a body, written in the request forms of Notion's API
//! (`PATCH /v1/blocks/{id}/children`): a heading, paragraphs with bold text, a link and mentions
//! of a date, a member of the agency and a contact (a row of `Contacts`, pushed to VibeVessel
//! too), list items, a to-do, a toggle whose children hold a numbered item, a quote, a callout
//! with an emoji, a code block and an equation; every second one of them a table, and every
//! [`IMAGE_EVERY`]th task an image hosted by Notion (uploaded in the control workspace), which a
//! sync has to re-import into the client's. What the sync made of them is read back by
//! [`DemoWorld::bodies`](super::DemoWorld::bodies).

use serde_json::{Value, json};

use super::content::DemoRng;
use crate::ids::{FileUploadId, PageId, UserId};

/// One task in this many has a body.
pub const BODY_EVERY: usize = 15;

/// One task in this many has a hosted image in its body (a multiple of [`BODY_EVERY`]).
pub const IMAGE_EVERY: usize = 30;

/// The seed of the bodies' own generator, so that the rest of the demo's content does not depend
/// on them.
pub(super) const BODY_SEED: u64 = 0x00B0_D1E5;

/// What a task's body mentions: objects the builder made first.
#[derive(Debug, Clone, Copy)]
pub(super) struct BodyRefs<'a> {
    /// The control workspace's people (mentioned by ID).
    pub(super) people: &'a [UserId],
    /// The rows of `Contacts` (mentioned as pages).
    pub(super) contacts: &'a [PageId],
    /// The uploaded image of this task, when it has one.
    pub(super) image: Option<FileUploadId>,
}

const STEPS: &[&str] = &[
    "Confirm the brief with the client",
    "Book the studio for the shoot",
    "Collect the brand fonts and logos",
    "Draft the shot list",
    "Send the first cut for review",
    "Agree on the delivery formats",
    "Check the music licences",
    "Archive the raw footage",
];

const QUOTES: &[&str] = &[
    "Keep the first ten seconds about the product.",
    "Less text on screen, more faces.",
    "The colour grade should match last season's campaign.",
    "Subtitles in English and Spanish.",
];

/// A run of plain text.
fn plain(content: &str) -> Value {
    json!({"type": "text", "text": {"content": content}})
}

/// A run of bold text.
fn bold(content: &str) -> Value {
    json!({"type": "text", "text": {"content": content}, "annotations": {"bold": true}})
}

/// A run of text linking to `url`.
fn link(content: &str, url: &str) -> Value {
    json!({"type": "text", "text": {"content": content, "link": {"url": url}}})
}

/// A mention: `kind` is `date`, `user` or `page`, `value` its object.
fn mention(kind: &str, value: Value) -> Value {
    json!({"type": "mention", "mention": {"type": kind, kind: value}})
}

/// A block of `kind` holding `content`.
fn block(kind: &str, content: Value) -> Value {
    json!({"object": "block", "type": kind, kind: content})
}

/// A block of `kind` with rich text only.
fn text_block(kind: &str, rich_text: Vec<Value>) -> Value {
    block(kind, json!({ "rich_text": rich_text }))
}

/// The body of task number `n` (from 0), as the `children` of an append; `None` when the task has
/// none.
pub(super) fn task_body(n: usize, rng: &mut DemoRng, refs: BodyRefs<'_>) -> Option<Vec<Value>> {
    if !n.is_multiple_of(BODY_EVERY) {
        return None;
    }
    let day = 1 + rng.below(28);
    let mut body = vec![
        block(
            "heading_2",
            json!({"rich_text": [plain("Brief")], "color": "blue"}),
        ),
        text_block(
            "paragraph",
            vec![
                bold("Kick-off"),
                plain(" on "),
                mention("date", json!({"start": format!("2027-01-{day:02}")})),
                plain(" with "),
                mention(
                    "user",
                    json!({"id": refs.people[n % refs.people.len()].to_string()}),
                ),
                plain("; see "),
                link(
                    "the storyboard",
                    &format!("https://drive.example.com/storyboard-{n}"),
                ),
                plain("."),
            ],
        ),
        text_block("bulleted_list_item", vec![plain(rng.pick(STEPS))]),
        text_block("bulleted_list_item", vec![plain(rng.pick(STEPS))]),
        block(
            "to_do",
            json!({"rich_text": [plain(rng.pick(STEPS))], "checked": n.is_multiple_of(2)}),
        ),
        block(
            "toggle",
            json!({
                "rich_text": [plain("Details")],
                "children": [
                    text_block("paragraph", vec![
                        plain("Point of contact: "),
                        mention("page", json!({
                            "id": refs.contacts[n % refs.contacts.len()].to_string()
                        })),
                    ]),
                    text_block("numbered_list_item", vec![plain(rng.pick(STEPS))]),
                ],
            }),
        ),
        text_block("quote", vec![plain(rng.pick(QUOTES))]),
        block(
            "callout",
            json!({
                "rich_text": [plain("Budget approved by the client.")],
                "icon": {"type": "emoji", "emoji": "💡"},
                "color": "gray_background",
            }),
        ),
        block(
            "code",
            json!({
                "rich_text": [plain(&format!("{{\"task\": {n}, \"formats\": [\"mp4\", \"mov\"]}}"))],
                "language": "json",
            }),
        ),
        block(
            "equation",
            json!({"expression": "t_{render} = 2 \\times t_{shoot}"}),
        ),
    ];
    if n % (2 * BODY_EVERY) == BODY_EVERY {
        let row =
            |cells: [&str; 2]| block("table_row", json!({"cells": cells.map(|c| vec![plain(c)])}));
        body.push(block(
            "table",
            json!({
                "table_width": 2,
                "has_column_header": true,
                "has_row_header": false,
                "children": [row(["Format", "Due"]), row(["16:9", "Week 1"]), row(["9:16", "Week 2"])],
            }),
        ));
    }
    if let Some(image) = refs.image {
        body.push(block(
            "image",
            json!({
                "type": "file_upload",
                "file_upload": {"id": image.to_string()},
                "caption": [plain(&format!("Storyboard, frame {n}"))],
            }),
        ));
    }
    body.push(block("divider", json!({})));
    Some(body)
}

/// The file name of task `n`'s image.
pub(super) fn image_name(n: usize) -> String {
    format!("storyboard-{n}.png")
}
