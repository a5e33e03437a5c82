//! The content sync's unit tests: conversion, hashing, the limits of the append calls.

use super::apply::{MediaOutcome, fill_one, is_media_placeholder};
use super::*;
use crate::model::Block;
use crate::sync::files::FileImportError;
use crate::sync::values::HOSTED_FILE_PLACEHOLDER;

fn block(kind: &str, content: Value, has_children: bool) -> Block {
    serde_json::from_value(json!({
        "object": "block", "id": "393abc1e-edcd-8181-8d59-e30a27148c69",
        "created_time": "2026-07-04T09:08:00.000Z", "last_edited_time": "2026-07-04T09:08:00.000Z",
        "created_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
        "has_children": has_children, "in_trash": false, "type": kind, kind: content,
    }))
    .unwrap()
}

fn source(kind: &str, content: Value, children: Vec<SourceBlock>) -> SourceBlock {
    SourceBlock {
        block: block(kind, content, !children.is_empty()),
        children,
        unreadable: false,
    }
}

fn paragraph(text: &str) -> SourceBlock {
    source(
        "paragraph",
        json!({"rich_text": [{"type": "text", "text": {"content": text, "link": null},
            "annotations": {"bold": false, "color": "default"}, "plain_text": text, "href": null}],
            "color": "default"}),
        Vec::new(),
    )
}

fn node(children: Vec<BlockNode>) -> BlockNode {
    BlockNode {
        block: json!({"type": "toggle", "toggle": {"rich_text": []}}),
        children,
    }
}

#[test]
fn blocks_keep_type_content_and_children_and_lose_ids() {
    let read = vec![source(
        "toggle",
        json!({"rich_text": [], "color": "red"}),
        vec![paragraph("inside")],
    )];
    let mut losses = Losses::default();
    let body = convert(&read, &mut losses);
    assert_eq!(body.len(), 1);
    assert_eq!(
        body[0].block,
        json!({"type": "toggle", "toggle": {"rich_text": [], "color": "red"}})
    );
    let child = &body[0].children[0].block;
    assert_eq!(
        child["paragraph"]["rich_text"][0]["text"]["content"],
        "inside"
    );
    assert!(
        child.get("id").is_none()
            && child["paragraph"]["rich_text"][0]
                .get("plain_text")
                .is_none()
    );
    assert_eq!(losses, Losses::default());
}

#[test]
fn what_cannot_be_created_becomes_a_note() {
    let read = vec![
        source("child_page", json!({"title": "Specs"}), Vec::new()),
        source("child_database", json!({"title": "Bugs"}), Vec::new()),
        source(
            "link_preview",
            json!({"url": "https://github.com/x/y/pull/1"}),
            Vec::new(),
        ),
        source("unsupported", json!({}), Vec::new()),
        source(
            "link_to_page",
            json!({"type": "page_id", "page_id": "393abc1e-edcd-8181-8d59-e30a27148c69"}),
            Vec::new(),
        ),
        source(
            "image",
            json!({"type": "file", "file": {"url": "https://prod-files-secure.s3.us-west-2.amazonaws.com/a/b/diagram%201.png?X-Amz=1", "expiry_time": "2026-07-04T10:08:00.000Z"}, "caption": []}),
            Vec::new(),
        ),
        source(
            "image",
            json!({"type": "external", "external": {"url": "https://example.com/a.png"}, "caption": []}),
            Vec::new(),
        ),
        SourceBlock {
            unreadable: true,
            ..source(
                "synced_block",
                json!({"synced_from": {"type": "block_id", "block_id": "393abc1e-edcd-8181-8d59-e30a27148c69"}}),
                Vec::new(),
            )
        },
    ];
    let mut losses = Losses::default();
    let body = convert(&read, &mut losses);
    let texts: Vec<String> = body
        .iter()
        .map(|n| {
            n.block["paragraph"]["rich_text"][0]["text"]["content"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert!(texts[0].contains("child page “Specs”"), "{texts:?}");
    assert!(texts[1].contains("child database “Bugs”"));
    assert!(texts[2].contains("https://github.com/x/y/pull/1"));
    assert_eq!(
        body[5].block,
        json!({"type": "image", "image": {"type": HOSTED_FILE_PLACEHOLDER,
            HOSTED_FILE_PLACEHOLDER: {"name": "diagram 1.png"}, "caption": []}}),
        "a hosted image waits for its re-import"
    );
    assert_eq!(
        body[6].block,
        json!({"type": "image", "image": {"type": "external", "external": {"url": "https://example.com/a.png"}, "caption": []}})
    );
    assert_eq!(losses.not_copied.values().sum::<usize>(), 6);
    assert_eq!(losses.notes().len(), 1);
}

fn hosted(kind: &str, name: &str, signed: &str) -> SourceBlock {
    let mut content = json!({"type": "file", "file": {
        "url": format!("https://prod-files-secure.s3.us-west-2.amazonaws.com/w/{name}?X-Amz-Date={signed}"),
        "expiry_time": "2026-07-04T10:08:00.000Z"}, "caption": []});
    if kind == "file" {
        content["name"] = json!(name);
    }
    source(kind, content, Vec::new())
}

#[test]
fn hosted_media_hash_by_name_and_place_not_by_signed_url() {
    let read = |signed: &str| {
        vec![
            paragraph("intro"),
            source(
                "toggle",
                json!({"rich_text": []}),
                vec![hosted("image", "a.png", signed)],
            ),
            source(
                "column_list",
                json!({}),
                vec![source(
                    "column",
                    json!({}),
                    vec![hosted("file", "spec.pdf", signed)],
                )],
            ),
        ]
    };
    let (mut first, mut again) = (Vec::new(), Vec::new());
    let body = convert_with_media(
        &read("20260704T090000Z"),
        &MentionMap::default(),
        &mut Losses::default(),
        &mut first,
    );
    let later = convert_with_media(
        &read("20260704T100000Z"),
        &MentionMap::default(),
        &mut Losses::default(),
        &mut again,
    );
    assert_eq!(body_hash(&body), body_hash(&later));
    assert!(
        !body_hash(&body).is_empty() && !body.iter().any(|n| n.block.to_string().contains("X-Amz"))
    );
    // One media per placeholder, in body order, with the URL as read.
    assert_eq!(
        first
            .iter()
            .map(|m| (m.kind.as_str(), m.name.as_str()))
            .collect::<Vec<_>>(),
        vec![("image", "a.png"), ("file", "spec.pdf")]
    );
    assert!(first[1].url.ends_with("20260704T090000Z"));
    assert_eq!(body[2].block["file"]["name"], "spec.pdf");
    // Another name, or another place, is another body.
    let renamed = convert(
        &[paragraph("intro"), hosted("image", "b.png", "x")],
        &mut Losses::default(),
    );
    let moved = convert(
        &[hosted("image", "a.png", "x"), paragraph("intro")],
        &mut Losses::default(),
    );
    let kept = convert(
        &[paragraph("intro"), hosted("image", "a.png", "y")],
        &mut Losses::default(),
    );
    assert_ne!(body_hash(&renamed), body_hash(&kept));
    assert_ne!(body_hash(&moved), body_hash(&kept));
}

#[test]
fn re_imported_media_reference_their_upload_and_failed_ones_become_notes() {
    let mut media = Vec::new();
    let mut losses = Losses::default();
    let mut body = convert_with_media(
        &[
            source(
                "toggle",
                json!({"rich_text": []}),
                vec![hosted("image", "a.png", "x")],
            ),
            hosted("pdf", "b.pdf", "x"),
            paragraph("kept"),
        ],
        &MentionMap::default(),
        &mut losses,
        &mut media,
    );
    let upload = json!("393abc1e-edcd-81c2-b028-00b21f81936b");
    let reference = json!({"type": "file_upload", "file_upload": {"id": upload}});
    let row: PageId = "393abc1e-edcd-81e9-afca-e7cba9d39cff".parse().unwrap();
    let mut outcome = MediaOutcome::default();
    fill_one(
        &mut body[0].children[0],
        &media[0],
        Ok(reference.as_object().unwrap().clone()),
        &mut outcome,
        &mut losses,
    );
    fill_one(
        &mut body[1],
        &media[1],
        Err(FileImportError::FileGone { row }),
        &mut outcome,
        &mut losses,
    );
    assert_eq!(
        body[0].children[0].block,
        json!({"type": "image", "image": {"type": "file_upload", "file_upload": {"id": upload}, "caption": []}})
    );
    let note = body[1].block["paragraph"]["rich_text"][0]["text"]["content"].to_string();
    assert!(note.contains("pdf hosted by Notion “b.pdf”"), "{note}");
    assert_eq!(
        body[2].block["paragraph"]["rich_text"][0]["text"]["content"],
        "kept"
    );
    assert_eq!(outcome.imported, 1);
    assert_eq!(outcome.failed.len(), 1);
    assert!(outcome.failed[0].to_string().contains("b.pdf"));
    assert_eq!(losses.not_copied.get("pdf hosted by Notion"), Some(&1));
    assert!(!body.iter().any(|n| is_media_placeholder(&n.block)));
}

#[test]
fn mentions_become_text_and_layouts_their_content() {
    let mention = source(
        "paragraph",
        json!({"rich_text": [
            {"type": "text", "text": {"content": "see ", "link": null}, "plain_text": "see "},
            {"type": "mention", "mention": {"type": "page", "page": {"id": "393abc1e-edcd-8169-85ce-c64d3d3f20fd"}}, "plain_text": "Roadmap", "annotations": {"bold": true}}
        ]}),
        Vec::new(),
    );
    let columns = source(
        "column_list",
        json!({}),
        vec![
            source("column", json!({}), vec![paragraph("left")]),
            source("column", json!({}), vec![paragraph("right")]),
        ],
    );
    let mut losses = Losses::default();
    let body = convert(&[mention, columns], &mut losses);
    assert_eq!(
        body[0].block["paragraph"]["rich_text"][1],
        json!({"type": "text", "text": {"content": "Roadmap"}, "annotations": {"bold": true}})
    );
    assert_eq!(body.len(), 3, "the columns' content in order");
    assert_eq!((losses.mentions_flattened, losses.unwrapped), (1, 1));
}

#[test]
fn the_hash_follows_content_not_key_order() {
    let a = vec![BlockNode::leaf(
        json!({"type": "paragraph", "paragraph": {"rich_text": [], "color": "default"}}),
    )];
    let b = vec![BlockNode::leaf(
        json!({"paragraph": {"color": "default", "rich_text": []}, "type": "paragraph"}),
    )];
    let c = vec![BlockNode::leaf(
        json!({"type": "paragraph", "paragraph": {"rich_text": [], "color": "red"}}),
    )];
    assert_eq!(body_hash(&a), body_hash(&b));
    assert_ne!(body_hash(&a), body_hash(&c));
    assert_ne!(body_hash(&a), body_hash(&[node(a.clone())]));
    let marker = ContentMarker {
        source_edited: "2026-07-04T09:08:00.000Z".into(),
        hash: body_hash(&a),
        read_at: None,
    };
    assert_eq!(ContentMarker::parse(&marker.text()), Some(marker));
    assert_eq!(ContentMarker::parse("garbage"), None);
}

/// Every call within the limits: ≤ 100 per array, ≤ 2 levels, ≤ 1000 blocks.
fn assert_within_limits(nodes: &[BlockNode]) {
    for call in append_calls(nodes) {
        assert!(call.children.len() <= MAX_CHILDREN);
        let mut total = 0;
        for block in &call.children {
            total += 1;
            let kind = block["type"].as_str().unwrap();
            if let Some(children) = block[kind].get("children").and_then(Value::as_array) {
                assert!(children.len() <= MAX_CHILDREN);
                total += children.len();
                for child in children {
                    let kind = child["type"].as_str().unwrap();
                    assert!(
                        child[kind].get("children").is_none(),
                        "three levels in a request"
                    );
                }
            }
        }
        assert!(
            total <= MAX_BLOCKS_PER_REQUEST,
            "{total} blocks in a request"
        );
        for (_, later) in call.later {
            assert_within_limits(later);
        }
    }
}

#[test]
fn a_body_of_250_blocks_three_levels_deep_goes_out_in_28_calls() {
    let leaf = || BlockNode::leaf(json!({"type": "paragraph", "paragraph": {"rich_text": []}}));
    // 250 top-level blocks; every tenth a toggle holding two toggles of one paragraph each.
    let body: Vec<BlockNode> = (0..250)
        .map(|i| {
            if i % 10 == 0 {
                node(vec![node(vec![leaf()]), node(vec![leaf()])])
            } else {
                leaf()
            }
        })
        .collect();
    assert_eq!(body.iter().map(BlockNode::count).sum::<usize>(), 350);
    // 3 calls for the top level (100, 100, 50), then one per toggle of the top level, whose
    // two toggles go with their paragraphs.
    assert_eq!(append_call_count(&body), 3 + 25);
    let first = &append_calls(&body)[0];
    assert_eq!(first.children.len(), 100);
    assert_eq!(first.later.len(), 10);
    assert_within_limits(&body);
}

#[test]
fn requests_stay_under_a_thousand_blocks_and_long_lists_are_split() {
    let leaf = || BlockNode::leaf(json!({"type": "paragraph", "paragraph": {"rich_text": []}}));
    // 20 toggles of 99 paragraphs each: 100 blocks per toggle, so 10 per request.
    let body: Vec<BlockNode> = (0..20)
        .map(|_| node((0..99).map(|_| leaf()).collect()))
        .collect();
    let calls = append_calls(&body);
    assert_eq!(
        calls.iter().map(|c| c.children.len()).collect::<Vec<_>>(),
        vec![10, 10]
    );
    assert_within_limits(&body);
    // A table of 150 rows: the first 100 rows with it, the other 50 appended under it.
    let table = BlockNode {
        block: json!({"type": "table", "table": {"table_width": 1}}),
        children: (0..150)
            .map(|_| BlockNode::leaf(json!({"type": "table_row", "table_row": {"cells": [[]]}})))
            .collect(),
    };
    let calls = append_calls(std::slice::from_ref(&table));
    assert_eq!(
        calls[0].children[0]["table"]["children"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    assert_eq!(calls[0].later[0].1.len(), 50);
    assert_eq!(append_call_count(std::slice::from_ref(&table)), 2);
}

/// A block as Notion answers it (the response-only keys of the payload included).
fn read(kind: &str, content: Value) -> SourceBlock {
    source(kind, content, Vec::new())
}

/// Every key of a JSON tree, with its path, for the assertions on what a request holds.
fn keys(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                out.push(format!("{at}.{key}"));
                keys(child, &format!("{at}.{key}"), out);
            }
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, item)| keys(item, &format!("{at}[{i}]"), out)),
        _ => {}
    }
}

#[test]
fn requests_carry_only_their_types_request_fields() {
    let rich = json!([{"type": "text", "text": {"content": "hi", "link": null},
        "annotations": {"bold": false, "italic": true, "strikethrough": false, "underline": false,
            "code": false, "color": "default", "shade": 3},
        "plain_text": "hi", "href": null}]);
    let read_blocks = vec![
        read(
            "paragraph",
            json!({"rich_text": rich, "color": "default", "icon": null}),
        ),
        read(
            "numbered_list_item",
            json!({"rich_text": rich, "color": "blue",
            "list_start_index": 3, "list_format": "roman"}),
        ),
        read(
            "heading_2",
            json!({"rich_text": rich, "color": "default", "is_toggleable": false}),
        ),
        read(
            "callout",
            json!({"rich_text": rich, "color": "gray_background",
            "icon": {"type": "file", "file": {"url": "https://s3/x.png", "expiry_time": "2026-07-04T10:00:00.000Z"}}}),
        ),
        read(
            "callout",
            json!({"rich_text": rich, "color": "default", "icon": {"type": "emoji", "emoji": "💡"}}),
        ),
        read(
            "code",
            json!({"rich_text": rich, "caption": [], "language": "rust"}),
        ),
        read(
            "bookmark",
            json!({"url": "https://example.com", "caption": rich}),
        ),
        read("table_row", json!({"cells": [rich, []]})),
    ];
    let mut losses = Losses::default();
    let body = convert(&read_blocks, &mut losses);
    let mut all = Vec::new();
    for node in &body {
        keys(&node.block, "", &mut all);
    }
    for forbidden in [
        "plain_text",
        "href",
        "list_start_index",
        "list_format",
        "shade",
        "expiry_time",
        "link",
    ] {
        assert!(
            !all.iter().any(|k| k.ends_with(&format!(".{forbidden}"))),
            "{forbidden} sent: {all:?}"
        );
    }
    assert!(
        body[0].block["paragraph"].get("icon").is_none(),
        "no icon: null"
    );
    assert!(
        body[3].block["callout"].get("icon").is_none(),
        "a hosted icon is dropped"
    );
    assert_eq!(
        body[4].block["callout"]["icon"],
        json!({"type": "emoji", "emoji": "💡"})
    );
    assert_eq!(body[1].block["numbered_list_item"]["color"], "blue");
    assert_eq!(body[5].block["code"]["language"], "rust");
    assert_eq!(body[7].block["table_row"]["cells"][1], json!([]));
    assert_eq!(losses, Losses::default());
}

#[test]
fn long_text_is_split_and_what_breaks_a_limit_becomes_a_note_not_a_refusal() {
    let long = "é".repeat(4500);
    let text = |content: &str| json!({"type": "text", "text": {"content": content}, "plain_text": content});
    let many: Vec<Value> = (0..101).map(|i| text(&format!("{i} "))).collect();
    let read_blocks = vec![
        read("paragraph", json!({"rich_text": [text(&long)]})),
        source(
            "toggle",
            json!({"rich_text": many}),
            vec![paragraph("kept")],
        ),
        read("equation", json!({"expression": "x".repeat(1001)})),
        read("bookmark", json!({"url": "", "caption": []})),
        read(
            "audio",
            json!({"type": "external", "external": {"url": format!("https://e.com/{}", "a".repeat(2000))}}),
        ),
        read("tab", json!({})),
    ];
    let mut losses = Losses::default();
    let body = convert(&read_blocks, &mut losses);
    let pieces = body[0].block["paragraph"]["rich_text"].as_array().unwrap();
    assert_eq!(pieces.len(), 3);
    let joined: String = pieces
        .iter()
        .map(|p| p["text"]["content"].as_str().unwrap())
        .collect();
    assert_eq!(joined, long, "split, nothing lost");
    assert!(pieces.iter().all(|p| {
        p["text"]["content"]
            .as_str()
            .unwrap()
            .encode_utf16()
            .count()
            <= MAX_TEXT
    }));
    let text_of = |n: &BlockNode| {
        n.block["paragraph"]["rich_text"][0]["text"]["content"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    assert!(
        text_of(&body[1]).contains("toggle block over Notion's limits"),
        "{:?}",
        body[1]
    );
    assert_eq!(
        text_of(&body[2]),
        "kept",
        "what the toggle held follows its note"
    );
    assert!(text_of(&body[3]).contains("equation block over Notion's limits"));
    assert!(text_of(&body[4]).contains("bookmark block over Notion's limits"));
    assert!(text_of(&body[5]).contains("audio block over Notion's limits"));
    assert!(text_of(&body[6]).contains("tab block"));
    assert_eq!(body.len(), 7);
    assert_eq!(losses.not_copied.values().sum::<usize>(), 5);
    assert_eq!(
        body[1].block["paragraph"]["rich_text"][0]["annotations"]["color"],
        "gray"
    );
}

#[test]
fn split_text_cuts_by_utf16_units_never_inside_a_character() {
    assert!(split_text("").is_empty());
    assert_eq!(split_text("abc"), vec!["abc"]);
    let emoji = "😀".repeat(1001); // 2002 UTF-16 units
    let pieces = split_text(&emoji);
    assert_eq!(pieces.len(), 2);
    assert_eq!(pieces[0].encode_utf16().count(), 2000);
    assert_eq!(pieces.concat(), emoji);
}

#[test]
fn a_marker_is_settled_only_by_a_read_after_the_minute_of_its_edit() {
    let marker = |read_at: Option<&str>| ContentMarker {
        source_edited: "2026-07-04T09:08:00.000Z".into(),
        hash: "fnv1a64:0000000000000001".into(),
        read_at: read_at.map(str::to_owned),
    };
    assert!(
        !marker(Some("2026-07-04T09:08:31.000Z")).settled(),
        "same minute"
    );
    assert!(
        !marker(Some("2026-07-04T09:09:02.000Z")).settled(),
        "within the margin"
    );
    assert!(marker(Some("2026-07-04T09:09:05.000Z")).settled());
    assert!(marker(None).settled(), "a marker of an older version");
    assert!(marker(Some("not a time")).settled());
    let m = marker(Some("2026-07-04T09:08:31.250Z"));
    assert_eq!(ContentMarker::parse(&m.text()), Some(m));
    let old = marker(None);
    assert_eq!(ContentMarker::parse(&old.text()), Some(old));
    assert_eq!(ContentMarker::parse("a b c d"), None);
    assert_eq!(ContentMarker::parse("a"), None);
}

#[test]
fn date_mentions_stay_and_page_mentions_link_to_the_original() {
    let read = vec![source(
        "paragraph",
        json!({"rich_text": [
            {"type": "mention", "mention": {"type": "date", "date": {"start": "2026-07-04", "end": null, "time_zone": null}},
                "plain_text": "2026-07-04", "href": null, "annotations": {"bold": false, "color": "default"}},
            {"type": "mention", "mention": {"type": "date", "date": {"start": "2026-07-04T10:00:00.000+02:00", "end": "2026-07-05", "time_zone": "Europe/Paris"}},
                "plain_text": "July 4", "href": null},
            {"type": "mention", "mention": {"type": "page", "page": {"id": "393abc1e-edcd-8169-85ce-c64d3d3f20fd"}},
                "plain_text": "Roadmap", "href": "https://www.notion.so/393abc1eedcd816985cec64d3d3f20fd"},
            {"type": "mention", "mention": {"type": "database", "database": {"id": "393abc1e-edcd-8169-85ce-c64d3d3f20fe"}},
                "plain_text": "Bugs", "href": "https://www.notion.so/393abc1eedcd816985cec64d3d3f20fe"},
            {"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"}},
                "plain_text": "@Ada", "href": null},
            {"type": "mention", "mention": {"type": "page", "page": {"id": "393abc1e-edcd-8169-85ce-c64d3d3f20fd"}},
                "plain_text": "javascript", "href": "javascript:alert(1)"},
        ]}),
        Vec::new(),
    )];
    let mut losses = Losses::default();
    let body = convert(&read, &mut losses);
    let rich = &body[0].block["paragraph"]["rich_text"];
    assert_eq!(
        rich[0],
        json!({"type": "mention", "mention": {"type": "date", "date": {"start": "2026-07-04"}},
            "annotations": {"bold": false, "color": "default"}})
    );
    assert_eq!(
        rich[1]["mention"]["date"],
        json!({"start": "2026-07-04T10:00:00.000+02:00", "end": "2026-07-05", "time_zone": "Europe/Paris"})
    );
    assert_eq!(
        rich[2],
        json!({"type": "text", "text": {"content": "Roadmap", "link": {"url": "https://www.notion.so/393abc1eedcd816985cec64d3d3f20fd"}}})
    );
    assert_eq!(
        rich[3]["text"]["link"]["url"],
        "https://www.notion.so/393abc1eedcd816985cec64d3d3f20fe"
    );
    assert_eq!(
        rich[4],
        json!({"type": "text", "text": {"content": "@Ada"}})
    );
    assert!(
        rich[5]["text"].get("link").is_none(),
        "only web links are kept"
    );
    assert_eq!((losses.mentions_linked, losses.mentions_flattened), (2, 2));
    assert_eq!(losses.notes().len(), 2);
}

#[test]
fn a_link_to_a_page_becomes_a_link_to_the_original() {
    let read = vec![
        source(
            "link_to_page",
            json!({"type": "page_id", "page_id": "393abc1e-edcd-8181-8d59-e30a27148c69"}),
            Vec::new(),
        ),
        source(
            "link_to_page",
            json!({"type": "comment_id", "comment_id": "393abc1e-edcd-8181-8d59-e30a27148c69"}),
            Vec::new(),
        ),
    ];
    let mut losses = Losses::default();
    let body = convert(&read, &mut losses);
    assert_eq!(
        body[0].block["paragraph"]["rich_text"][0]["text"]["link"]["url"],
        "https://www.notion.so/393abc1eedcd81818d59e30a27148c69"
    );
    assert!(
        body[1].block["paragraph"]["rich_text"][0]["text"]["content"]
            .as_str()
            .unwrap()
            .contains("not copied")
    );
    assert_eq!(losses.not_copied.values().sum::<usize>(), 2);
}
