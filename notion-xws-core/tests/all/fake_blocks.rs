//! The fake's block and rich-text rules: every block type the API can create, sent in its
//! minimal request form, is stored and read back in Notion's full shape; every invalid shape is
//! refused with Notion's answer (400 `validation_error`, the message naming the JSON path);
//! mentions of each kind read back with the `plain_text` Notion computes; the recorded block
//! requests of notion-sdk-py's cassettes are answered as Notion answered them, key for key.

use notion_xws_core::fake::{FakeConfig, FakeNotion, FakeWorkspace};
use notion_xws_core::transport::{ApiRequest, Method, Transport};
use proptest::prelude::*;
use serde_json::{Value, json};

use crate::support::fake::{id, ok, send, text};

/// The block types a request may hold one level down (no column lists or columns).
const SECOND_LEVEL: [&str; 28] = [
    "embed",
    "bookmark",
    "image",
    "video",
    "pdf",
    "file",
    "audio",
    "code",
    "equation",
    "divider",
    "breadcrumb",
    "tab",
    "table_of_contents",
    "link_to_page",
    "table_row",
    "table",
    "heading_1",
    "heading_2",
    "heading_3",
    "paragraph",
    "bulleted_list_item",
    "numbered_list_item",
    "quote",
    "to_do",
    "toggle",
    "template",
    "callout",
    "synced_block",
];

/// The block types a request may hold at its top.
const FIRST_LEVEL: [&str; 30] = [
    "embed",
    "bookmark",
    "image",
    "video",
    "pdf",
    "file",
    "audio",
    "code",
    "equation",
    "divider",
    "breadcrumb",
    "tab",
    "table_of_contents",
    "link_to_page",
    "table_row",
    "table",
    "column_list",
    "column",
    "heading_1",
    "heading_2",
    "heading_3",
    "paragraph",
    "bulleted_list_item",
    "numbered_list_item",
    "quote",
    "to_do",
    "toggle",
    "template",
    "callout",
    "synced_block",
];

/// Notion's answer to a union none of whose `members` at `at` matches: `Fix one:` and each
/// member's failure, `failures` for the members named there, "should be defined" for the others.
fn fix_one(at: &str, members: &[&str], failures: &[(&str, String)]) -> String {
    let lines: Vec<String> = members
        .iter()
        .map(|m| match failures.iter().find(|(k, _)| k == m) {
            Some((_, failure)) => failure.clone(),
            None => format!("{at}.{m} should be defined, instead was `undefined`."),
        })
        .collect();
    format!("body failed validation. Fix one:\n{}", lines.join("\n"))
}

/// Rich text as Notion answers it, for plain content.
fn full(content: &str) -> Value {
    json!([{
        "type": "text",
        "text": {"content": content, "link": null},
        "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
        "plain_text": content,
        "href": null,
    }])
}

/// A workspace with a page to write under.
fn setup() -> (FakeNotion, FakeWorkspace) {
    let fake = FakeNotion::new(FakeConfig::default());
    let ws = fake.add_workspace("Acme");
    (fake, ws)
}

/// Appends `children` under the workspace's root page; returns the answer's `results`.
async fn append(fake: &FakeNotion, ws: &FakeWorkspace, children: Value) -> Vec<Value> {
    let path = format!("/v1/blocks/{}/children", ws.root_page_id);
    let made = ok(
        fake,
        Method::Patch,
        &path,
        &ws.token,
        Some(json!({ "children": children })),
    )
    .await;
    made["results"].as_array().cloned().unwrap_or_default()
}

/// The answer to an append that must be refused: its message (status and code checked).
async fn refused(
    fake: &FakeNotion,
    ws: &FakeWorkspace,
    path: &str,
    method: Method,
    body: Value,
) -> String {
    let answer = send(fake, method, path, &ws.token, Some(body.clone())).await;
    assert_eq!(answer.status, 400, "{body} → {}", answer.body);
    assert_eq!(answer.body["code"], "validation_error", "{body}");
    answer.body["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn every_creatable_block_type_reads_back_in_notions_full_shape() {
    let (fake, ws) = setup();
    let target = ws.root_page_id.to_string();
    let row = |cells: &[&str]| json!({"table_row": {"cells": cells.iter().map(|c| text(c)).collect::<Vec<_>>()}});
    // (minimal request object of the type, the object Notion stores and answers)
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "paragraph",
            json!({"rich_text": text("p")}),
            json!({"rich_text": full("p"), "icon": null, "color": "default"}),
        ),
        (
            "heading_1",
            json!({"rich_text": text("h")}),
            json!({"rich_text": full("h"), "is_toggleable": false, "color": "default"}),
        ),
        (
            "heading_2",
            json!({"rich_text": text("h"), "is_toggleable": true}),
            json!({"rich_text": full("h"), "is_toggleable": true, "color": "default"}),
        ),
        (
            "heading_3",
            json!({"rich_text": text("h"), "color": "red"}),
            json!({"rich_text": full("h"), "is_toggleable": false, "color": "red"}),
        ),
        (
            "bulleted_list_item",
            json!({"rich_text": text("b")}),
            json!({"rich_text": full("b"), "color": "default"}),
        ),
        (
            "numbered_list_item",
            json!({"rich_text": text("n")}),
            json!({"rich_text": full("n"), "color": "default"}),
        ),
        (
            "quote",
            json!({"rich_text": text("q")}),
            json!({"rich_text": full("q"), "color": "default"}),
        ),
        (
            "to_do",
            json!({"rich_text": text("t")}),
            json!({"rich_text": full("t"), "checked": false, "color": "default"}),
        ),
        (
            "toggle",
            json!({"rich_text": text("t")}),
            json!({"rich_text": full("t"), "color": "default"}),
        ),
        (
            "template",
            json!({"rich_text": text("t")}),
            json!({"rich_text": full("t")}),
        ),
        (
            "callout",
            json!({"rich_text": text("c"), "icon": {"emoji": "💡"}}),
            json!({"rich_text": full("c"), "icon": {"type": "emoji", "emoji": "💡"}, "color": "default"}),
        ),
        (
            "code",
            json!({"rich_text": text("x = 1"), "language": "python"}),
            json!({"caption": [], "rich_text": full("x = 1"), "language": "python"}),
        ),
        (
            "equation",
            json!({"expression": "e^{i\\pi}"}),
            json!({"expression": "e^{i\\pi}"}),
        ),
        ("divider", json!({}), json!({})),
        ("breadcrumb", json!({}), json!({})),
        ("table_of_contents", json!({}), json!({"color": "default"})),
        (
            "bookmark",
            json!({"url": "https://example.com/b"}),
            json!({"caption": [], "url": "https://example.com/b"}),
        ),
        (
            "embed",
            json!({"url": "https://example.com/e"}),
            json!({"caption": [], "url": "https://example.com/e"}),
        ),
        (
            "image",
            json!({"external": {"url": "https://example.com/i.png"}}),
            json!({"type": "external", "external": {"url": "https://example.com/i.png"}, "caption": []}),
        ),
        (
            "video",
            json!({"external": {"url": "https://example.com/v.mp4"}}),
            json!({"type": "external", "external": {"url": "https://example.com/v.mp4"}, "caption": []}),
        ),
        (
            "audio",
            json!({"external": {"url": "https://example.com/a.mp3"}}),
            json!({"type": "external", "external": {"url": "https://example.com/a.mp3"}, "caption": []}),
        ),
        (
            "pdf",
            json!({"external": {"url": "https://example.com/d.pdf"}}),
            json!({"type": "external", "external": {"url": "https://example.com/d.pdf"}, "caption": []}),
        ),
        (
            "file",
            json!({"external": {"url": "https://example.com/f/report.txt"}}),
            json!({"type": "external", "external": {"url": "https://example.com/f/report.txt"}, "caption": [], "name": "report.txt"}),
        ),
        (
            "link_to_page",
            json!({"page_id": target.replace('-', "")}),
            json!({"type": "page_id", "page_id": target}),
        ),
        (
            "synced_block",
            json!({"synced_from": null}),
            json!({"synced_from": null}),
        ),
        (
            "table",
            json!({"table_width": 2, "children": [row(&["a", "b"])]}),
            json!({"table_width": 2, "has_column_header": false, "has_row_header": false}),
        ),
        (
            "column_list",
            json!({"children": [{"column": {"children": [{"paragraph": {"rich_text": text("l")}}]}}, {"column": {"width_ratio": 0.5, "children": [{"paragraph": {"rich_text": text("r")}}]}}]}),
            json!({}),
        ),
        (
            "tab",
            json!({"children": [{"paragraph": {"rich_text": text("tab 1")}}]}),
            json!({}),
        ),
    ];
    for (kind, request, expected) in cases {
        let made = append(&fake, &ws, json!([{ kind: request }])).await;
        assert_eq!(made.len(), 1, "{kind}");
        assert_eq!(made[0]["type"], kind);
        assert_eq!(made[0][kind], expected, "{kind} as appended");
        let read = ok(
            &fake,
            Method::Get,
            &format!("/v1/blocks/{}", id(&made[0])),
            &ws.token,
            None,
        )
        .await;
        assert_eq!(read[kind], expected, "{kind} as read");
        assert_eq!(read["object"], "block");
        assert_eq!(
            read["has_children"],
            matches!(kind, "table" | "column_list" | "tab"),
            "{kind}"
        );
    }
}

#[tokio::test]
async fn children_read_back_in_their_full_shape() {
    let (fake, ws) = setup();
    let made = append(&fake, &ws, json!([
        {"table": {"table_width": 2, "has_column_header": true, "children": [
            {"table_row": {"cells": [text("a"), [{"text": {"content": "b", "link": {"url": "https://example.com"}}, "annotations": {"bold": true}}]]}},
        ]}},
        {"column_list": {"children": [
            {"column": {"children": [{"paragraph": {"rich_text": text("left")}}]}},
            {"column": {"width_ratio": 0.25, "children": [{"paragraph": {"rich_text": text("right")}}]}},
        ]}},
    ])).await;
    let rows = ok(
        &fake,
        Method::Get,
        &format!("/v1/blocks/{}/children", id(&made[0])),
        &ws.token,
        None,
    )
    .await;
    let cells = &rows["results"][0]["table_row"]["cells"];
    assert_eq!(cells[0], full("a"));
    assert_eq!(cells[1][0]["href"], "https://example.com");
    assert_eq!(
        cells[1][0]["text"]["link"],
        json!({"url": "https://example.com"})
    );
    assert_eq!(cells[1][0]["annotations"]["bold"], true);
    assert_eq!(cells[1][0]["annotations"]["italic"], false);
    let columns = ok(
        &fake,
        Method::Get,
        &format!("/v1/blocks/{}/children", id(&made[1])),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(columns["results"][0]["column"], json!({}));
    assert_eq!(
        columns["results"][1]["column"],
        json!({"width_ratio": 0.25})
    );
    let right = ok(
        &fake,
        Method::Get,
        &format!("/v1/blocks/{}/children", id(&columns["results"][1])),
        &ws.token,
        None,
    )
    .await;
    assert_eq!(right["results"][0]["paragraph"]["rich_text"], full("right"));
}

#[tokio::test]
async fn mentions_read_back_completed_with_notions_plain_text() {
    let (fake, ws) = setup();
    let user = fake
        .add_user(ws.workspace_id, "Ada Lovelace", "ada@example.com")
        .unwrap();
    let page = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(json!({
            "parent": {"page_id": ws.root_page_id.to_string()},
            "properties": {"title": text("Roadmap")},
        })),
    )
    .await;
    let page_id = id(&page);
    let db = ok(
        &fake,
        Method::Post,
        "/v1/databases",
        &ws.token,
        Some(json!({
            "parent": {"type": "page_id", "page_id": ws.root_page_id.to_string()},
            "title": text("Tasks"),
            "initial_data_source": {"properties": {"Name": {"title": {}}}},
        })),
    )
    .await;
    let db_id = id(&db);
    let emoji = "5a1b6c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
    let simple = |s: &str| s.replace('-', "");
    // (request mention, the mention Notion stores, its plain_text, its href)
    let cases: Vec<(Value, Value, &str, Value)> = vec![
        (
            json!({"user": {"id": simple(&user.to_string())}}),
            json!({"type": "user", "user": {"object": "user", "id": user.to_string(), "name": "Ada Lovelace", "avatar_url": null, "type": "person", "person": {"email": "ada@example.com", "email_verified": true}}}),
            "@Ada Lovelace",
            Value::Null,
        ),
        (
            json!({"type": "date", "date": {"start": "2022-12-16"}}),
            json!({"type": "date", "date": {"start": "2022-12-16", "end": null, "time_zone": null}}),
            "2022-12-16",
            Value::Null,
        ),
        (
            json!({"date": {"start": "2026-01-05T09:00:00.000+01:00", "end": "2026-01-06", "time_zone": "Europe/Paris"}}),
            json!({"type": "date", "date": {"start": "2026-01-05T09:00:00.000+01:00", "end": "2026-01-06", "time_zone": "Europe/Paris"}}),
            "2026-01-05T09:00:00.000+01:00 → 2026-01-06",
            Value::Null,
        ),
        (
            json!({"page": {"id": simple(&page_id)}}),
            json!({"type": "page", "page": {"id": page_id}}),
            "Roadmap",
            json!(format!("https://app.notion.com/p/{}", simple(&page_id))),
        ),
        (
            json!({"database": {"id": db_id}}),
            json!({"type": "database", "database": {"id": db_id}}),
            "Tasks",
            json!(format!("https://app.notion.com/p/{}", simple(&db_id))),
        ),
        (
            json!({"page": {"id": "00000000-0000-0000-0000-000000000001"}}),
            json!({"type": "page", "page": {"id": "00000000-0000-0000-0000-000000000001"}}),
            "Untitled",
            json!("https://app.notion.com/p/00000000000000000000000000000001"),
        ),
        (
            json!({"template_mention": {"template_mention_date": "today"}}),
            json!({"type": "template_mention", "template_mention": {"type": "template_mention_date", "template_mention_date": "today"}}),
            "@Today",
            Value::Null,
        ),
        (
            json!({"template_mention": {"type": "template_mention_date", "template_mention_date": "now"}}),
            json!({"type": "template_mention", "template_mention": {"type": "template_mention_date", "template_mention_date": "now"}}),
            "@Now",
            Value::Null,
        ),
        (
            json!({"template_mention": {"template_mention_user": "me"}}),
            json!({"type": "template_mention", "template_mention": {"type": "template_mention_user", "template_mention_user": "me"}}),
            "@Me",
            Value::Null,
        ),
        (
            json!({"custom_emoji": {"id": emoji, "name": "party", "url": "https://example.com/party.png"}}),
            json!({"type": "custom_emoji", "custom_emoji": {"id": emoji, "name": "party", "url": "https://example.com/party.png"}}),
            ":party:",
            Value::Null,
        ),
    ];
    for (request, stored, plain, href) in cases {
        // A sender's plain_text is never kept.
        let item = json!({"mention": request, "plain_text": "Untitled sender text", "annotations": {"italic": true}});
        let made = append(&fake, &ws, json!([{"paragraph": {"rich_text": [item]}}])).await;
        let read = ok(
            &fake,
            Method::Get,
            &format!("/v1/blocks/{}", id(&made[0])),
            &ws.token,
            None,
        )
        .await;
        let got = &read["paragraph"]["rich_text"][0];
        assert_eq!(got["type"], "mention", "{request}");
        assert_eq!(got["mention"], stored, "{request}");
        assert_eq!(got["plain_text"], plain, "{request}");
        assert_eq!(got["href"], href, "{request}");
        assert_eq!(got["annotations"]["italic"], true);
        assert_eq!(got["annotations"]["color"], "default");
    }
}

#[tokio::test]
async fn a_mention_reads_what_it_names_now() {
    let (fake, ws) = setup();
    let user = fake
        .add_user(ws.workspace_id, "Ada", "ada@example.com")
        .unwrap();
    let page = ok(
        &fake,
        Method::Post,
        "/v1/pages",
        &ws.token,
        Some(json!({
            "parent": {"page_id": ws.root_page_id.to_string()},
            "properties": {"title": text("Draft")},
        })),
    )
    .await;
    let made = append(
        &fake,
        &ws,
        json!([{"paragraph": {"rich_text": [
            {"mention": {"page": {"id": id(&page)}}},
            {"text": {"content": " by "}},
            {"mention": {"user": {"id": user.to_string()}}},
        ]}}]),
    )
    .await;
    let block = format!("/v1/blocks/{}", id(&made[0]));
    let read = |path: String| {
        let fake = &fake;
        let token = &ws.token;
        async move { ok(fake, Method::Get, &path, token, None).await }
    };
    let plain = |block: &Value| -> Vec<String> {
        block["paragraph"]["rich_text"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["plain_text"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(plain(&read(block.clone()).await), ["Draft", " by ", "@Ada"]);
    ok(
        &fake,
        Method::Patch,
        &format!("/v1/pages/{}", id(&page)),
        &ws.token,
        Some(json!({"properties": {"title": {"title": text("Final")}}})),
    )
    .await;
    assert_eq!(plain(&read(block.clone()).await), ["Final", " by ", "@Ada"]);
    // A page the integration cannot see is "Untitled", its link kept.
    fake.unshare(
        &ws.token,
        notion_xws_core::PageId::parse(&id(&page)).unwrap(),
    )
    .unwrap();
    let got = read(block.clone()).await;
    assert_eq!(plain(&got), ["Untitled", " by ", "@Ada"]);
    assert_eq!(
        got["paragraph"]["rich_text"][0]["href"],
        format!("https://app.notion.com/p/{}", id(&page).replace('-', ""))
    );
}

#[tokio::test(start_paused = true)]
async fn an_uploaded_icon_is_stored_as_a_file_hosted_by_notion() {
    let (fake, ws) = setup();
    let upload = ok(&fake, Method::Post, "/v1/file_uploads", &ws.token, Some(json!({
        "mode": "external_url", "filename": "star.png", "external_url": "https://example.com/star.png",
    }))).await;
    let callout = |upload: &str| json!([{"callout": {"rich_text": text("c"), "icon": {"type": "file_upload", "file_upload": {"id": upload}}}}]);
    let path = format!("/v1/blocks/{}/children", ws.root_page_id);
    let pending = refused(
        &fake,
        &ws,
        &path,
        Method::Patch,
        json!({"children": callout(&id(&upload))}),
    )
    .await;
    assert!(pending.contains("is in status `pending`"), "{pending}");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let made = append(&fake, &ws, callout(&id(&upload))).await;
    let icon = &made[0]["callout"]["icon"];
    assert_eq!(icon["type"], "file", "{icon}");
    let url = icon["file"]["url"].as_str().unwrap();
    assert!(
        url.contains("star.png") && url.contains("X-Amz-Signature="),
        "{url}"
    );
    assert!(icon["file"]["expiry_time"].is_string(), "{icon}");
    let missing = refused(
        &fake,
        &ws,
        &path,
        Method::Patch,
        json!({"children": callout("00000000-0000-0000-0000-000000000009")}),
    )
    .await;
    assert_eq!(
        missing,
        "Could not find file upload with ID: 00000000-0000-0000-0000-000000000009."
    );
}

#[tokio::test]
async fn invalid_blocks_are_refused_with_notions_answer() {
    let (fake, ws) = setup();
    let path = format!("/v1/blocks/{}/children", ws.root_page_id);
    let p = json!({"paragraph": {"rich_text": text("p")}});
    let long = "x".repeat(2001);
    // (the body's `children`, or the whole body, and Notion's message)
    let cases: Vec<(Value, String)> = vec![
        (json!({"children": [{"paragraph": {"rich_text": text("p"), "color": "default", "icon": null}}]}),
            "body failed validation: body.children[0].paragraph.icon should be an object or `undefined`, instead was `null`.".into()),
        (json!({"children": [{"toggle": {"rich_text": [], "children": [{"callout": {"rich_text": [], "icon": null}}]}}]}),
            "body failed validation: body.children[0].toggle.children[0].callout.icon should be an object or `undefined`, instead was `null`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": text("p"), "icon": "💡"}}]}),
            "body failed validation: body.children[0].paragraph.icon should be an object or `undefined`, instead was `\"💡\"`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": text("p")}, "id": "x"}]}),
            fix_one("body.children[0]", &FIRST_LEVEL, &[("paragraph", "body.children[0].id should be not present, instead was `\"x\"`.".into())])),
        (json!({"children": [{"paragraph": {"rich_text": text("p")}, "has_children": false}]}),
            fix_one("body.children[0]", &FIRST_LEVEL, &[("paragraph", "body.children[0].has_children should be not present, instead was `false`.".into())])),
        (json!({"children": [{"paragraph": {"rich_text": text("p")}, "archived": false}]}),
            fix_one("body.children[0]", &FIRST_LEVEL, &[("paragraph", "body.children[0].archived should be not present, instead was `false`.".into())])),
        (json!({"children": [{"paragraph": {"rich_text": text("p")}, "created_time": "2026-01-01T00:00:00.000Z"}]}),
            fix_one("body.children[0]", &FIRST_LEVEL, &[("paragraph", "body.children[0].created_time should be not present, instead was `\"2026-01-01T00:00:00.000Z\"`.".into())])),
        (json!({"children": [{"paragraph": {"rich_text": text("p")}, "children": [p.clone()]}]}),
            fix_one("body.children[0]", &FIRST_LEVEL, &[("paragraph", "body.children[0].children should be not present, instead was `[{\"paragraph\":{\"rich_text\":[{\"text\":{\"content\":\"p\"}}]}}]`.".into())])),
        (json!({"children": [{"object": "page", "paragraph": {"rich_text": text("p")}}]}),
            "body failed validation: body.children[0].object should be `\"block\"`, instead was `\"page\"`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": text("p"), "is_toggleable": true}}]}),
            "body failed validation: body.children[0].paragraph.is_toggleable should be not present, instead was `true`.".into()),
        (json!({"children": [{"paragraph": {}}]}),
            "body failed validation: body.children[0].paragraph.rich_text should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"paragraph": null}]}),
            "body failed validation: body.children[0].paragraph should be an object, instead was `null`.".into()),
        (json!({"children": [{"type": "divider"}]}),
            "body failed validation: body.children[0].divider should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"divider": {"color": "red"}}]}),
            "body failed validation: body.children[0].divider.color should be not present, instead was `\"red\"`.".into()),
        (json!({"children": [{"type": "paragraph", "heading_1": {"rich_text": []}, "paragraph": {"rich_text": []}}]}),
            fix_one("body.children[0]", &FIRST_LEVEL, &[
                ("paragraph", "body.children[0].heading_1 should be not present, instead was `{\"rich_text\":[]}`.".into()),
                ("heading_1", "body.children[0].paragraph should be not present, instead was `{\"rich_text\":[]}`.".into()),
            ])),
        (json!({"children": [{"heading_1": {"rich_text": text("h"), "color": "teal"}}]}),
            "body failed validation: body.children[0].heading_1.color should be `\"default\"`, `\"gray\"`, `\"brown\"`, `\"orange\"`, `\"yellow\"`, `\"green\"`, `\"blue\"`, `\"purple\"`, `\"pink\"`, `\"red\"`, `\"default_background\"`, `\"gray_background\"`, `\"brown_background\"`, `\"orange_background\"`, `\"yellow_background\"`, `\"green_background\"`, `\"blue_background\"`, `\"purple_background\"`, `\"pink_background\"`, or `\"red_background\"`, instead was `\"teal\"`.".into()),
        (json!({"children": [{"to_do": {"rich_text": text("t"), "checked": "yes"}}]}),
            "body failed validation: body.children[0].to_do.checked should be a boolean, instead was `\"yes\"`.".into()),
        (json!({"children": [{"code": {"rich_text": text("x")}}]}),
            "body failed validation: body.children[0].code.language should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"equation": {"expression": "x".repeat(1001)}}]}),
            "body failed validation: body.children[0].equation.expression.length should be ≤ `1000`, instead was `1001`.".into()),
        (json!({"children": [{"bookmark": {}}]}),
            "body failed validation: body.children[0].bookmark.url should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"embed": {"url": format!("https://example.com/{}", "a".repeat(2000))}}]}),
            "body failed validation: body.children[0].embed.url.length should be ≤ `2000`, instead was `2020`.".into()),
        (json!({"children": [{"image": {"file": {"url": "https://example.com/i.png"}}}]}),
            "body failed validation: body.children[0].image.file should be not present, instead was `{\"url\":\"https://example.com/i.png\"}`.".into()),
        (json!({"children": [{"image": {"caption": []}}]}),
            "body failed validation. Fix one:\nbody.children[0].image.external should be defined, instead was `undefined`.\nbody.children[0].image.file_upload should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"table": {"table_width": 1}}]}),
            "body failed validation: body.children[0].table.children should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"table": {"table_width": 1, "children": []}}]}),
            "body failed validation: body.children[0].table.children.length should be ≥ `1`, instead was `0`.".into()),
        (json!({"children": [{"column_list": {"children": [{"column": {"children": [p.clone()]}}]}}]}),
            "body failed validation: body.children[0].column_list.children.length should be ≥ `2`, instead was `1`.".into()),
        (json!({"children": [p.clone()], "position": {"after_block": {"id": ws.root_page_id.to_string()}}}),
            "body failed validation: body.position.type should be defined, instead was `undefined`.".into()),
        (json!({"children": [p.clone()], "position": {"type": "before_block"}}),
            "body failed validation: body.position.type should be `\"after_block\"`, `\"start\"`, or `\"end\"`, instead was `\"before_block\"`.".into()),
        (json!({"children": [p.clone()], "position": {"type": "start", "after_block": {"id": ws.root_page_id.to_string()}}}),
            format!("body failed validation: body.position.after_block should be not present, instead was `{{\"id\":\"{}\"}}`.", ws.root_page_id)),
        (json!({"children": [p.clone()], "position": {"type": "after_block", "after_block": {}}}),
            "body failed validation: body.position.after_block.id should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"table": {"table_width": 0, "children": [{"table_row": {"cells": []}}]}}]}),
            "body failed validation: body.children[0].table.table_width should be a positive integer, instead was `0`.".into()),
        (json!({"children": [{"table": {"table_width": 1, "children": [p.clone()]}}]}),
            "body failed validation: body.children[0].table.children[0].table_row should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"column_list": {"children": [p.clone()]}}]}),
            "body failed validation: body.children[0].column_list.children[0].column should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"column": {"width_ratio": 2, "children": [p.clone()]}}]}),
            "body failed validation: body.children[0].column.width_ratio should be a number between 0 and 1, instead was `2`.".into()),
        (json!({"children": [{"toggle": {"rich_text": [], "children": [{"column_list": {"children": []}}]}}]}),
            format!("body failed validation. Fix one:\n{}", SECOND_LEVEL.iter().map(|k| format!("body.children[0].toggle.children[0].{k} should be defined, instead was `undefined`.")).collect::<Vec<_>>().join("\n"))),
        (json!({"children": [{"type": "child_page", "child_page": {"title": "x"}}]}),
            "body failed validation: body.children[0].type should be `\"embed\"`, `\"bookmark\"`, `\"image\"`, `\"video\"`, `\"pdf\"`, `\"file\"`, `\"audio\"`, `\"code\"`, `\"equation\"`, `\"divider\"`, `\"breadcrumb\"`, `\"tab\"`, `\"table_of_contents\"`, `\"link_to_page\"`, `\"table_row\"`, `\"table\"`, `\"column_list\"`, `\"column\"`, `\"heading_1\"`, `\"heading_2\"`, `\"heading_3\"`, `\"paragraph\"`, `\"bulleted_list_item\"`, `\"numbered_list_item\"`, `\"quote\"`, `\"to_do\"`, `\"toggle\"`, `\"template\"`, `\"callout\"`, or `\"synced_block\"`, instead was `\"child_page\"`.".into()),
        (json!({"children": [{"link_to_page": {"url": "https://example.com"}}]}),
            "body failed validation. Fix one:\nbody.children[0].link_to_page.page_id should be defined, instead was `undefined`.\nbody.children[0].link_to_page.database_id should be defined, instead was `undefined`.\nbody.children[0].link_to_page.comment_id should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"synced_block": {}}]}),
            "body failed validation: body.children[0].synced_block.synced_from should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"callout": {"rich_text": [], "icon": {"emoji": "💡", "external": {"url": "https://example.com"}}}}]}),
            fix_one("body.children[0].callout.icon", &["file_upload", "emoji", "external", "custom_emoji", "icon"], &[
                ("emoji", "body.children[0].callout.icon.external should be not present, instead was `{\"url\":\"https://example.com\"}`.".into()),
                ("external", "body.children[0].callout.icon.emoji should be not present, instead was `\"💡\"`.".into()),
            ])),
        // Rich text.
        (json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": long}}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`, instead was `2001`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": vec![json!({"text": {"content": "x"}}); 101]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text.length should be ≤ `100`, instead was `101`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "x", "annotations": {"bold": true}}}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].text.annotations should be not present, instead was `{\"bold\":true}`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "x"}, "annotations": {"bold": "yes"}}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].annotations.bold should be a boolean, instead was `\"yes\"`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "x", "link": {"url": format!("https://e.x/{}", "a".repeat(1990))}}}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].text.link.url.length should be ≤ `2000`, instead was `2002`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"type": "text", "text": {"content": "x"}, "link": {"url": "https://example.com"}}]}}]}),
            fix_one("body.children[0].paragraph.rich_text[0]", &["text", "mention", "equation"], &[
                ("text", "body.children[0].paragraph.rich_text[0].link should be not present, instead was `{\"url\":\"https://example.com\"}`.".into()),
            ])),
        (json!({"children": [{"paragraph": {"rich_text": [{"text": {"content": "x", "link": {"url": "docs/readme.md"}}}]}}]}),
            "Content creation Failed. Fix the following: \nInvalid URL for link.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"type": "emoji", "emoji": "x"}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].type should be `\"text\"`, `\"mention\"`, or `\"equation\"`, instead was `\"emoji\"`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"content": "x"}]}}]}),
            "body failed validation. Fix one:\nbody.children[0].paragraph.rich_text[0].text should be defined, instead was `undefined`.\nbody.children[0].paragraph.rich_text[0].mention should be defined, instead was `undefined`.\nbody.children[0].paragraph.rich_text[0].equation should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"mention": {"link_preview": {"url": "https://example.com"}}}]}}]}),
            "body failed validation. Fix one:\nbody.children[0].paragraph.rich_text[0].mention.user should be defined, instead was `undefined`.\nbody.children[0].paragraph.rich_text[0].mention.date should be defined, instead was `undefined`.\nbody.children[0].paragraph.rich_text[0].mention.page should be defined, instead was `undefined`.\nbody.children[0].paragraph.rich_text[0].mention.database should be defined, instead was `undefined`.\nbody.children[0].paragraph.rich_text[0].mention.template_mention should be defined, instead was `undefined`.\nbody.children[0].paragraph.rich_text[0].mention.custom_emoji should be defined, instead was `undefined`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"mention": {"date": {"start": "soon"}}}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].mention.date.start should be a valid ISO 8601 date string, instead was `\"soon\"`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"mention": {"page": {"id": "nope"}}}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].mention.page.id should be a valid uuid, instead was `\"nope\"`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"mention": {"user": {"id": ws.owner_id.to_string(), "name": "Ada"}}}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].mention.user.name should be not present, instead was `\"Ada\"`.".into()),
        (json!({"children": [{"paragraph": {"rich_text": [{"mention": {"template_mention": {"template_mention_date": "tomorrow"}}}]}}]}),
            "body failed validation: body.children[0].paragraph.rich_text[0].mention.template_mention.template_mention_date should be `\"today\"` or `\"now\"`, instead was `\"tomorrow\"`.".into()),
        // The body itself.
        (json!({"children": [p.clone()], "parent": {"page_id": ws.root_page_id.to_string()}}),
            format!("body failed validation: body.parent should be not present, instead was `{{\"page_id\":\"{}\"}}`.", ws.root_page_id)),
    ];
    for (body, message) in cases {
        assert_eq!(
            refused(&fake, &ws, &path, Method::Patch, body.clone()).await,
            message,
            "{body}"
        );
    }
    // Nothing refused was written.
    let listed = ok(&fake, Method::Get, &path, &ws.token, None).await;
    assert_eq!(listed["results"], json!([]));
}

#[tokio::test]
async fn after_is_gone_from_2026_03_11_and_position_places_the_blocks() {
    let (fake, ws) = setup();
    let path = format!("/v1/blocks/{}/children", ws.root_page_id);
    let para = |t: &str| json!({"paragraph": {"rich_text": text(t)}});
    let first = append(&fake, &ws, json!([para("a"), para("c")])).await;
    let after = json!({"children": [para("b")], "after": id(&first[0])});
    let request = ApiRequest::new(Method::Patch, &path, ws.token.clone(), "2026-03-11")
        .with_body(after.clone());
    let answer = fake.send(request).await.unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body["message"],
        format!(
            "body failed validation: body.after should be not present, instead was `\"{}\"`.",
            id(&first[0])
        )
    );
    // Under 2025-09-03 `after` still places the blocks; `position` does in both versions.
    ok(&fake, Method::Patch, &path, &ws.token, Some(after)).await;
    let start = json!({"children": [para("0")], "position": {"type": "start"}});
    let request =
        ApiRequest::new(Method::Patch, &path, ws.token.clone(), "2026-03-11").with_body(start);
    assert_eq!(fake.send(request).await.unwrap().status, 200);
    ok(
        &fake,
        Method::Patch,
        &path,
        &ws.token,
        Some(json!({"children": [para("d")], "position": {"type": "end"}})),
    )
    .await;
    let listed = ok(&fake, Method::Get, &path, &ws.token, None).await;
    let texts: Vec<&str> = listed["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            b["paragraph"]["rich_text"][0]["plain_text"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(texts, ["0", "a", "b", "c", "d"]);
    // So is `archived` on a block's update; `in_trash` trashes it.
    let block = format!("/v1/blocks/{}", id(&first[0]));
    let request = ApiRequest::new(Method::Patch, &block, ws.token.clone(), "2026-03-11")
        .with_body(json!({"archived": true}));
    let answer = fake.send(request).await.unwrap();
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.body["message"],
        "body failed validation: body.archived should be not present, instead was `true`."
    );
    let request = ApiRequest::new(Method::Patch, &block, ws.token.clone(), "2026-03-11")
        .with_body(json!({"in_trash": true}));
    let answer = fake.send(request).await.unwrap();
    assert_eq!(answer.body["in_trash"], true, "{}", answer.body);
}

#[tokio::test]
async fn echoed_rich_text_is_accepted_and_its_plain_text_recomputed() {
    let (fake, ws) = setup();
    // Rich text as Notion answers it: `plain_text`, `href`, `link: null`, every annotation.
    let mut echoed = full("as read");
    echoed[0]["plain_text"] = json!("stale");
    echoed[0]["href"] = json!("https://stale.example.com");
    let made = append(&fake, &ws, json!([{"type": "paragraph", "object": "block", "paragraph": {"rich_text": echoed, "color": "blue"}}])).await;
    assert_eq!(made[0]["paragraph"]["rich_text"], full("as read"));
    assert_eq!(made[0]["paragraph"]["color"], "blue");
}

#[tokio::test]
async fn updates_take_their_types_fields_and_refuse_the_rest() {
    let (fake, ws) = setup();
    let made = append(&fake, &ws, json!([
        {"paragraph": {"rich_text": text("p")}},
        {"table": {"table_width": 2, "children": [{"table_row": {"cells": [text("a"), text("b")]}}]}},
        {"image": {"external": {"url": "https://example.com/i.png"}, "caption": text("cap")}},
        {"to_do": {"rich_text": text("t")}},
    ])).await;
    let at = |i: usize| format!("/v1/blocks/{}", id(&made[i]));
    let updated = ok(&fake, Method::Patch, &at(0), &ws.token, Some(json!({"paragraph": {"rich_text": [{"text": {"content": "new"}, "annotations": {"bold": true, "color": "red_background"}}]}}))).await;
    assert_eq!(updated["paragraph"]["rich_text"][0]["plain_text"], "new");
    assert_eq!(
        updated["paragraph"]["rich_text"][0]["annotations"]["bold"],
        true
    );
    assert_eq!(updated["paragraph"]["color"], "default");
    assert_eq!(updated["paragraph"]["icon"], Value::Null);
    let iconned = ok(
        &fake,
        Method::Patch,
        &at(0),
        &ws.token,
        Some(json!({"paragraph": {"icon": {"emoji": "✅"}}})),
    )
    .await;
    assert_eq!(
        iconned["paragraph"]["icon"],
        json!({"type": "emoji", "emoji": "✅"})
    );
    assert_eq!(iconned["paragraph"]["rich_text"][0]["plain_text"], "new");
    let checked = ok(
        &fake,
        Method::Patch,
        &at(3),
        &ws.token,
        Some(json!({"type": "to_do", "to_do": {"checked": true}})),
    )
    .await;
    assert_eq!(checked["to_do"]["checked"], true);
    // A new file keeps the caption it does not name.
    let image = ok(
        &fake,
        Method::Patch,
        &at(2),
        &ws.token,
        Some(json!({"image": {"external": {"url": "https://example.com/j.png"}}})),
    )
    .await;
    assert_eq!(
        image["image"]["external"]["url"],
        "https://example.com/j.png"
    );
    assert_eq!(image["image"]["caption"], full("cap"));
    let cases: Vec<(usize, Value, &str)> = vec![
        (
            0,
            json!({"paragraph": {"icon": null}}),
            "body failed validation: body.paragraph.icon should be an object or `undefined`, instead was `null`.",
        ),
        (
            0,
            json!({"paragraph": {"children": []}}),
            "body failed validation: body.paragraph.children should be not present, instead was `[]`.",
        ),
        (
            0,
            json!({"heading_1": {"rich_text": []}}),
            "body failed validation: body.heading_1 should be not present, instead was `{\"rich_text\":[]}`.",
        ),
        (
            0,
            json!({"type": "heading_1"}),
            "body failed validation: body.type should be `\"paragraph\"`, instead was `\"heading_1\"`.",
        ),
        (
            0,
            json!({"paragraph": {"rich_text": []}, "id": "x"}),
            "body failed validation: body.id should be not present, instead was `\"x\"`.",
        ),
        (
            1,
            json!({"table": {"table_width": 3}}),
            "body failed validation: body.table.table_width should be not present, instead was `3`.",
        ),
        (
            2,
            json!({"image": {"type": "external"}}),
            "body failed validation: body.image.type should be not present, instead was `\"external\"`.",
        ),
        (
            3,
            json!({"to_do": {"checked": 1}}),
            "body failed validation: body.to_do.checked should be a boolean, instead was `1`.",
        ),
    ];
    for (i, body, message) in cases {
        assert_eq!(
            refused(&fake, &ws, &at(i), Method::Patch, body.clone()).await,
            message,
            "{body}"
        );
    }
}

#[tokio::test]
async fn recorded_block_requests_are_answered_as_notion_answered_them() {
    let dir = format!(
        "{}/tests/fixtures/cassettes/json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut compared = 0;
    for name in [
        "test_blocks_children_create",
        "test_blocks_update",
        "test_is_mention_rich_text_item_response",
        "test_is_equation_rich_text_item_response",
    ] {
        let (fake, ws) = setup();
        let t: &dyn Transport = &fake;
        let path = format!("{dir}/{name}.json");
        let interactions: Vec<Value> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut last_block = String::new();
        for interaction in interactions {
            let uri = interaction["uri"].as_str().unwrap_or_default();
            let (Some(request), Some(response)) = (
                interaction["request_body"].as_str(),
                interaction["response_body"].as_str(),
            ) else {
                continue;
            };
            let request: Value = serde_json::from_str(request).unwrap();
            let response: Value = serde_json::from_str(response).unwrap();
            let (answer, expected) =
                if uri.ends_with("/children") && interaction["method"] == "PATCH" {
                    let made = append(&fake, &ws, request["children"].clone()).await;
                    last_block = id(&made[0]);
                    (made[0].clone(), response["results"][0].clone())
                } else if interaction["method"] == "PATCH" && uri.contains("/v1/blocks/") {
                    (
                        ok(
                            t,
                            Method::Patch,
                            &format!("/v1/blocks/{last_block}"),
                            &ws.token,
                            Some(request),
                        )
                        .await,
                        response,
                    )
                } else {
                    continue;
                };
            let kind = expected["type"].as_str().unwrap();
            assert_eq!(answer[kind], expected[kind], "{name}");
            let (mut answer, mut expected) = (answer, expected);
            for body in [&mut answer, &mut expected] {
                if let Some(map) = body.as_object_mut() {
                    map.remove("request_id");
                }
            }
            let keys = |v: &Value| {
                v.as_object()
                    .map(|m| m.keys().cloned().collect::<std::collections::BTreeSet<_>>())
            };
            assert_eq!(keys(&answer), keys(&expected), "{name}");
            compared += 1;
        }
    }
    assert_eq!(compared, 5);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, rng_seed: proptest::test_runner::RngSeed::Fixed(14), ..ProptestConfig::default() })]
    /// Text of any length up to 2,000 characters is taken and read back as it was; longer is refused.
    #[test]
    fn text_content_is_taken_up_to_2000_characters(content in "[a-zé😀 ]{0,40}", repeat in 1usize..80) {
        let content = content.repeat(repeat);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (fake, ws) = setup();
            let path = format!("/v1/blocks/{}/children", ws.root_page_id);
            let body = json!({"children": [{"paragraph": {"rich_text": text(&content)}}]});
            let answer = send(&fake, Method::Patch, &path, &ws.token, Some(body)).await;
            let len = content.chars().count();
            if len <= 2000 {
                prop_assert_eq!(answer.status, 200);
                prop_assert_eq!(&answer.body["results"][0]["paragraph"]["rich_text"][0]["plain_text"], &json!(content));
            } else {
                prop_assert_eq!(answer.status, 400);
                let expected = format!("body failed validation: body.children[0].paragraph.rich_text[0].text.content.length should be ≤ `2000`, instead was `{len}`.");
                prop_assert_eq!(answer.body["message"].as_str().unwrap(), expected.as_str());
            }
            Ok(())
        })?;
    }
}
