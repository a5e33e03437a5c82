//! Rich text as Notion takes it in a request and stores it.
//!
//! A request's rich-text array holds at most 100 items. Each item is one of the SDK's
//! `RichTextItemRequest` (`makenotion/notion-sdk-js` `src/api-endpoints/common.ts`): a `text`
//! (`content` ≤ 2,000 characters, an optional `link` whose URL is ≤ 2,000 characters, or `null`),
//! an `equation` (`expression` ≤ 1,000 characters) or a `mention` of a user, a date, a page, a
//! database, a template value or a custom emoji, with optional `annotations`. Anything else is
//! refused with Notion's 400 `validation_error` naming the JSON path ("… should be not present,
//! instead was …", "… should be defined, instead was `undefined`.", "… should be `"a"`, `"b"`, or
//! `"c"`, instead was …", and `Fix one:` with every member's failure when a union's member cannot
//! be told).
//!
//! What is stored is the full, read-shaped item, as Notion answers it: `annotations` completed
//! with Notion's defaults, `href` (a link's URL, a mentioned page's or database's URL) and
//! `plain_text` computed by Notion, never the sender's: the content, the expression, `@Name` for
//! a user, the date as written (`start → end` for a range), a page's or database's title
//! (`Untitled` when it has none or is unknown), `@Today`, `@Now` or `@Me` for a template mention,
//! `:name:` for a custom emoji. Mentions are completed: a user as a user object, a date with `end`
//! and `time_zone` (`null` when absent), IDs hyphenated.

use serde_json::{Map, Value, json};

use super::clock::parse_iso;
use super::reply::{Fail, Reply, only_keys};
use super::state::{State, uuid};
use super::urls::object_url;
use super::validate::{array, parse_id};
use crate::ids::ObjectId;

/// The most characters of one rich-text `content` (and of a link's URL).
pub(crate) const MAX_TEXT: usize = 2000;
/// The most characters of an equation's expression.
pub(crate) const MAX_EXPRESSION: usize = 1000;

/// The colours of text and blocks (the SDK's `ApiColor`), in its order.
pub(crate) const API_COLORS: [&str; 20] = [
    "default",
    "gray",
    "brown",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "red",
    "default_background",
    "gray_background",
    "brown_background",
    "orange_background",
    "yellow_background",
    "green_background",
    "blue_background",
    "purple_background",
    "pink_background",
    "red_background",
];

/// Notion's answer to a link whose URL is not absolute (`tryfabric/martian` #41 quotes
/// "Content creation Failed. Fix the following: \nInvalid URL for link." for a link to `url`;
/// Notion writes the last line once per such link, the fake once).
const INVALID_LINK: &str = "Content creation Failed. Fix the following: \nInvalid URL for link.";

/// The kinds of rich-text item a request may hold.
const ITEM_KINDS: [&str; 3] = ["text", "mention", "equation"];

/// The kinds of mention a request may hold (`link_preview` and `link_mention` are answered,
/// never accepted: the SDK's `MentionRichTextItemRequest` has neither).
const MENTION_KINDS: [&str; 6] = [
    "user",
    "date",
    "page",
    "database",
    "template_mention",
    "custom_emoji",
];

/// The boolean annotations, in Notion's order (`color` follows them).
const FLAGS: [&str; 5] = ["bold", "italic", "strikethrough", "underline", "code"];

/// Keys of a request's rich-text item besides its kind's. `plain_text` and `href` are not in the
/// SDK's request type, yet Notion accepts them and ignores them: scripts that write back rich text
/// as they read it (with `plain_text`, `href` and `link: null`) and strip only a paragraph's
/// `icon: null` were run against Notion and worked (for example a public Notion MCP worker's
/// `duplicate_page` fix, "strip response-only null fields (icon, color) from block request
/// bodies … Caught live", and the `notion_sync` block fetcher that strips only `icon: null`).
const ITEM_EXTRAS: [&str; 3] = ["annotations", "plain_text", "href"];

/// The default annotations of rich text.
fn default_annotations() -> Map<String, Value> {
    let mut out: Map<String, Value> = FLAGS.iter().map(|f| ((*f).into(), json!(false))).collect();
    out.insert("color".into(), json!("default"));
    out
}

/// A string field of at most `max` characters, or a 400 naming it.
pub(crate) fn short_text<'a>(path: &str, value: &'a Value, max: usize) -> Reply<&'a str> {
    let text = value
        .as_str()
        .ok_or_else(|| Fail::body(path, "a string", value))?;
    let len = text.chars().count();
    if len > max {
        return Err(Fail::validation(format!(
            "body failed validation: {path}.length should be ≤ `{max}`, instead was `{len}`."
        )));
    }
    Ok(text)
}

/// A required field of `map`, or "`{path}.{key}` should be defined".
fn required<'a>(path: &str, map: &'a Map<String, Value>, key: &str) -> Reply<&'a Value> {
    map.get(key)
        .ok_or_else(|| Fail::missing(&format!("{path}.{key}")))
}

/// The kind of a union member at `path`: its `type` (one of `kinds`), else the one of `kinds` it
/// holds as a key. Besides its kind's key it may hold `type` and `extras`. A key it may not hold
/// (another kind's, or an unknown one) leaves Notion unable to tell which member was meant, so it
/// answers with every member's failure (`Fix one:`, in the union's order): the key for the member
/// that holds its kind, "should be defined" for the others. A union of one member answers with
/// its own failure. (Evidence: `markomanninen/md2notion` #15 quotes "body failed validation. Fix
/// one:\nbody.children[0].bulleted_list_item.rich_text[1].link should be not present, …\n….mention
/// should be defined, …\n….equation should be defined, …" for a `link` beside `text`.)
pub(crate) fn member_kind(
    path: &str,
    map: &Map<String, Value>,
    kinds: &[&str],
    extras: &[&str],
) -> Reply<String> {
    let missing = |k: &str| Fail::missing(&format!("{path}.{k}"));
    // Every member's failure: `failure` for `own`; for a member whose key the map also holds,
    // `own`'s key is the one it may not hold; for the others, their key is missing.
    let union = |own: &str, failure: Fail| {
        let mut members: Vec<Fail> = kinds
            .iter()
            .map(|k| match map.get(*k) {
                _ if *k == own => failure.clone(),
                Some(_) => Fail::not_present(&format!("{path}.{own}"), &map[own]),
                None => missing(k),
            })
            .collect();
        match members.len() {
            1 => members.remove(0),
            _ => Fail::one_of(members),
        }
    };
    let kind = match map.get("type") {
        Some(Value::String(kind)) if kinds.contains(&kind.as_str()) => kind.clone(),
        Some(other) => return Err(Fail::enumeration(&format!("{path}.type"), kinds, other)),
        None => match kinds.iter().find(|k| map.contains_key(**k)) {
            Some(kind) => (*kind).to_owned(),
            None => {
                let mut members: Vec<Fail> = kinds.iter().map(|k| missing(k)).collect();
                return Err(match members.len() {
                    1 => members.remove(0),
                    _ => Fail::one_of(members),
                });
            }
        },
    };
    if !map.contains_key(&kind) {
        return Err(missing(&kind));
    }
    let stray = map
        .iter()
        .find(|(key, _)| *key != "type" && **key != kind && !extras.contains(&key.as_str()));
    if let Some((key, value)) = stray {
        return Err(union(
            &kind,
            Fail::not_present(&format!("{path}.{key}"), value),
        ));
    }
    Ok(kind)
}

/// The annotations of a request's item, completed with Notion's defaults.
fn annotations(path: &str, given: Option<&Value>) -> Reply<Map<String, Value>> {
    let mut out = default_annotations();
    let Some(given) = given else {
        return Ok(out);
    };
    let map = given
        .as_object()
        .ok_or_else(|| Fail::body(path, "an object", given))?;
    for (key, value) in map {
        let at = format!("{path}.{key}");
        if FLAGS.contains(&key.as_str()) {
            if !value.is_boolean() {
                return Err(Fail::body(&at, "a boolean", value));
            }
        } else if key == "color" {
            if !value.as_str().is_some_and(|c| API_COLORS.contains(&c)) {
                return Err(Fail::enumeration(&at, &API_COLORS, value));
            }
        } else {
            return Err(Fail::not_present(&at, value));
        }
        out.insert(key.clone(), value.clone());
    }
    Ok(out)
}

/// How Notion writes a date mention as plain text: the start as written, and ` → end` for a
/// range (the recorded `test_is_mention_rich_text_item_response` shows `2022-12-16`).
fn date_text(start: &str, end: Option<&str>) -> String {
    match end {
        Some(end) => format!("{start} → {end}"),
        None => start.to_owned(),
    }
}

/// A date of a request (`{start, end?, time_zone?}`), completed: `{start, end, time_zone}`.
pub(crate) fn date_value(path: &str, value: &Value) -> Reply<Value> {
    let map = value
        .as_object()
        .ok_or_else(|| Fail::body(path, "an object", value))?;
    only_keys(path, map, &["start", "end", "time_zone"])?;
    let start = required(path, map, "start")?;
    if start.as_str().is_none_or(|s| parse_iso(s).is_none()) {
        return Err(Fail::body(
            &format!("{path}.start"),
            "a valid ISO 8601 date string",
            start,
        ));
    }
    let end = map.get("end").cloned().unwrap_or(Value::Null);
    if !end.is_null() && end.as_str().is_none_or(|s| parse_iso(s).is_none()) {
        return Err(Fail::body(
            &format!("{path}.end"),
            "a valid ISO 8601 date string",
            &end,
        ));
    }
    let zone = map.get("time_zone").cloned().unwrap_or(Value::Null);
    if !zone.is_null() && !zone.is_string() {
        return Err(Fail::body(&format!("{path}.time_zone"), "a string", &zone));
    }
    Ok(json!({"start": start, "end": end, "time_zone": zone}))
}

impl State {
    /// Rich text as written in a request, checked as Notion checks it and made read-shaped (see
    /// the [module documentation](self)).
    pub(crate) fn rich_text(&self, path: &str, value: &Value) -> Reply<Value> {
        let items = array(path, value)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(self.rich_text_item(&format!("{path}[{i}]"), item)?);
        }
        Ok(Value::Array(out))
    }

    fn rich_text_item(&self, at: &str, item: &Value) -> Reply<Value> {
        let map = item
            .as_object()
            .ok_or_else(|| Fail::body(at, "an object", item))?;
        let kind = member_kind(at, map, &ITEM_KINDS, &ITEM_EXTRAS)?;
        if let Some(plain) = map.get("plain_text")
            && !plain.is_string()
        {
            return Err(Fail::body(&format!("{at}.plain_text"), "a string", plain));
        }
        if let Some(href) = map.get("href")
            && !href.is_null()
            && !href.is_string()
        {
            return Err(Fail::body(&format!("{at}.href"), "a string", href));
        }
        let annotations = annotations(&format!("{at}.annotations"), map.get("annotations"))?;
        let inner_path = format!("{at}.{kind}");
        let inner = map[&kind]
            .as_object()
            .ok_or_else(|| Fail::body(&inner_path, "an object", &map[&kind]))?;
        let (content, plain, href) = match kind.as_str() {
            "text" => {
                only_keys(&inner_path, inner, &["content", "link"])?;
                let content = short_text(
                    &format!("{inner_path}.content"),
                    required(&inner_path, inner, "content")?,
                    MAX_TEXT,
                )?;
                let link = match inner.get("link") {
                    None | Some(Value::Null) => Value::Null,
                    Some(link) => {
                        let link_path = format!("{inner_path}.link");
                        let fields = link
                            .as_object()
                            .ok_or_else(|| Fail::body(&link_path, "an object", link))?;
                        only_keys(&link_path, fields, &["url"])?;
                        let url = short_text(
                            &format!("{link_path}.url"),
                            required(&link_path, fields, "url")?,
                            MAX_TEXT,
                        )?;
                        if url::Url::parse(url).is_err() {
                            return Err(Fail::validation(INVALID_LINK));
                        }
                        json!({"url": url})
                    }
                };
                let href = link.get("url").cloned().unwrap_or(Value::Null);
                (
                    json!({"content": content, "link": link}),
                    content.to_owned(),
                    href,
                )
            }
            "equation" => {
                only_keys(&inner_path, inner, &["expression"])?;
                let expression = short_text(
                    &format!("{inner_path}.expression"),
                    required(&inner_path, inner, "expression")?,
                    MAX_EXPRESSION,
                )?;
                (
                    json!({"expression": expression}),
                    expression.to_owned(),
                    Value::Null,
                )
            }
            _ => self.mention(&inner_path, inner)?,
        };
        let mut out = Map::new();
        out.insert("type".into(), json!(kind));
        out.insert(kind, content);
        out.insert("annotations".into(), Value::Object(annotations));
        out.insert("plain_text".into(), json!(plain));
        out.insert("href".into(), href);
        Ok(Value::Object(out))
    }

    /// A mention of a request, completed, with its plain text and `href`.
    fn mention(&self, path: &str, map: &Map<String, Value>) -> Reply<(Value, String, Value)> {
        let kind = member_kind(path, map, &MENTION_KINDS, &[])?;
        let at = format!("{path}.{kind}");
        let value = &map[&kind];
        let fields = || {
            value
                .as_object()
                .ok_or_else(|| Fail::body(&at, "an object", value))
        };
        let (inner, plain, href) = match kind.as_str() {
            "user" => {
                let user = fields()?;
                only_keys(&at, user, &["id", "object"])?;
                if let Some(object) = user.get("object")
                    && object != "user"
                {
                    return Err(Fail::enumeration(
                        &format!("{at}.object"),
                        &["user"],
                        object,
                    ));
                }
                let id = parse_id(&format!("{at}.id"), required(&at, user, "id")?)?;
                match self.users.get(&id) {
                    Some(found) => (
                        self.user_json(found, false),
                        format!("@{}", found.name),
                        Value::Null,
                    ),
                    None => (
                        json!({"object": "user", "id": uuid(id)}),
                        "@Anonymous".to_owned(),
                        Value::Null,
                    ),
                }
            }
            "date" => {
                let date = date_value(&at, value)?;
                let plain = date_text(
                    date["start"].as_str().unwrap_or_default(),
                    date["end"].as_str(),
                );
                (date, plain, Value::Null)
            }
            "page" | "database" => {
                let target = fields()?;
                only_keys(&at, target, &["id"])?;
                let id = parse_id(&format!("{at}.id"), required(&at, target, "id")?)?;
                (
                    json!({"id": uuid(id)}),
                    self.title_of(id),
                    json!(object_url(id, "")),
                )
            }
            "template_mention" => {
                let template = fields()?;
                let which = member_kind(
                    &at,
                    template,
                    &["template_mention_date", "template_mention_user"],
                    &[],
                )?;
                let given = &template[&which];
                let (allowed, plain): (&[&str], &str) = match (which.as_str(), given.as_str()) {
                    ("template_mention_date", Some("today")) => (&["today", "now"], "@Today"),
                    ("template_mention_date", Some("now")) => (&["today", "now"], "@Now"),
                    ("template_mention_user", Some("me")) => (&["me"], "@Me"),
                    ("template_mention_date", _) => (&["today", "now"], ""),
                    _ => (&["me"], ""),
                };
                if plain.is_empty() {
                    return Err(Fail::enumeration(&format!("{at}.{which}"), allowed, given));
                }
                (
                    json!({"type": which, which.clone(): given}),
                    plain.to_owned(),
                    Value::Null,
                )
            }
            _ => {
                let emoji = fields()?;
                only_keys(&at, emoji, &["id", "name", "url"])?;
                let id = parse_id(&format!("{at}.id"), required(&at, emoji, "id")?)?;
                let name = match emoji.get("name") {
                    None => "",
                    Some(name) => short_text(&format!("{at}.name"), name, MAX_TEXT)?,
                };
                let url = match emoji.get("url") {
                    None => Value::Null,
                    Some(url) => json!(short_text(&format!("{at}.url"), url, MAX_TEXT)?),
                };
                (
                    json!({"id": uuid(id), "name": name, "url": url}),
                    format!(":{name}:"),
                    Value::Null,
                )
            }
        };
        Ok((json!({"type": kind, kind.clone(): inner}), plain, href))
    }
}

impl State {
    /// The title a mention of page or database `id` shows: its title, `Untitled` when it has
    /// none or is unknown.
    fn title_of(&self, id: u128) -> String {
        let title = self.objects.get(&id).map(|o| match o.database() {
            Some(d) => plain_text(&d.title),
            None => self.page_title(o),
        });
        title
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "Untitled".to_owned())
    }

    /// Stored rich text as `integration` reads it: a mention shows what it names now (a page's
    /// or database's current title, `Untitled` when the integration cannot see it; a user's
    /// current name), as Notion renders mentions when it answers.
    pub(crate) fn read_rich_text(&self, integration: usize, value: &mut Value) {
        for item in value.as_array_mut().into_iter().flatten() {
            let Some(mention) = item.get("mention") else {
                continue;
            };
            let kind = mention
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let id = mention
                .get(kind)
                .and_then(|m| m.get("id"))
                .and_then(Value::as_str)
                .and_then(|id| ObjectId::parse(id).ok())
                .map(ObjectId::as_u128);
            let Some(id) = id else {
                continue;
            };
            let plain = match kind {
                "page" | "database" if self.visible(integration, id) => self.title_of(id),
                "page" | "database" => "Untitled".to_owned(),
                "user" => match self.users.get(&id) {
                    Some(user) => {
                        item["mention"]["user"] = self.user_json(user, false);
                        format!("@{}", user.name)
                    }
                    None => continue,
                },
                _ => continue,
            };
            item["plain_text"] = json!(plain);
        }
    }
}

/// The plain text of read-shaped rich text.
pub(crate) fn plain_text(value: &Value) -> String {
    value
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.get("plain_text").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default()
}
