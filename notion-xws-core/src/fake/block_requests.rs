//! Block requests as Notion checks them, and the blocks as Notion stores them.
//!
//! The rules are the SDK's request types (`makenotion/notion-sdk-js`
//! `src/api-endpoints/common.ts`: `BlockObjectRequest`, `BlockObjectWithSingleLevelOfChildrenRequest`,
//! `BlockObjectRequestWithoutChildren`; `blocks.ts`: `UpdateBlockBodyParameters`), written once as
//! a table, [`RULES`]: for every block type the API can create, the keys its object may hold, of
//! which JSON shape, which ones an append requires and which ones an update requires or refuses,
//! and the children it may (or must) have. A block of a request holds its type's key, and may
//! hold `type` and `object: "block"`; nothing else: `id`, `created_time`, `has_children`,
//! `archived`, `parent`, `children` beside the type's key, … are "should be not present", in
//! Notion's `Fix one:` answer that lists every block type's failure (see
//! [`member_kind`](super::rich_text::member_kind)). A failure inside the type's object is
//! answered alone ("body.children[0].paragraph.icon should be an object or `undefined`, instead
//! was `null`.").
//!
//! Children nest two levels deep at most: a block of an append may hold children, theirs may hold
//! children, and those may not ("`….children` should be not present", as Notion answers a third
//! level). A `column_list` holds two `column`s or more (at its own level, at the top only: Notion
//! refuses a layout of one column), a `table` its `table_row`s (at the top or the second level),
//! a `tab` its `paragraph`s; those children are required, one at least. A request holds at most 1,000 blocks, nested ones included, and an array at most 100.
//!
//! What is stored is what Notion answers: rich text read-shaped (see [`super::rich_text`]), and
//! the defaults Notion fills in: `color: "default"`, `is_toggleable: false`, `checked: false`,
//! `icon: null` on a paragraph or a callout, `caption: []` on code, embeds, bookmarks and media,
//! `has_column_header`/`has_row_header: false`, a `link_to_page` or `synced_from` with its `type`
//! and a hyphenated ID, a media block's file as [`State::media_payload`] stores it, a `file`
//! block's `name`.

use serde_json::{Map, Value, json};

use super::reply::only_keys;
use super::reply::{Fail, Reply};
use super::rich_text::{API_COLORS, MAX_EXPRESSION, MAX_TEXT, member_kind, short_text};
use super::state::{State, uuid};
use super::validate::{array, object, parse_id};

/// The most block elements one request may hold, nested ones included.
pub(crate) const MAX_BLOCKS_PER_REQUEST: usize = 1000;

/// The deepest level a block of a request may sit at (the top is level 1).
const DEEPEST: u8 = 3;

/// Whether a request must, may or may not hold a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// Required.
    Must,
    /// Optional.
    May,
    /// Refused ("should be not present").
    Not,
}

use Need::{May, Must, Not};

/// The JSON shape of a key of a block's object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// An array of rich text (stored read-shaped; `[]` by default).
    RichText,
    /// An `ApiColor` (`"default"` by default).
    Color,
    /// A boolean (`false` by default).
    Flag,
    /// A code block's language, one of [`LANGUAGES`].
    Language,
    /// An equation's expression (≤ 1,000 characters).
    Expression,
    /// A URL (≤ 2,000 characters).
    Url,
    /// A `PageIconRequest`: an object, or absent (`null` by default).
    Icon,
    /// A table row's cells: an array of rich-text arrays.
    Cells,
    /// A table's width: a positive integer.
    Width,
    /// A column's width ratio: a number in (0, 1].
    Ratio,
    /// A synced block's original: `{block_id}`, or `null` for an original.
    SyncedFrom,
}

/// A key of a block type's object: its shape, and what an append and an update need.
#[derive(Debug, Clone, Copy)]
struct Key {
    name: &'static str,
    field: Field,
    create: Need,
    update: Need,
}

const fn key(name: &'static str, field: Field, create: Need, update: Need) -> Key {
    Key {
        name,
        field,
        create,
        update,
    }
}

/// What a block type's object holds.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// The listed keys.
    Keys(&'static [Key]),
    /// A media block's file (`external` or `file_upload`, with `type`), `caption`, and a `file`
    /// block's `name`.
    Media { named: bool },
    /// A `link_to_page`'s target: `page_id`, `database_id` or `comment_id`, with `type`.
    Target,
}

/// The children a block type may hold in an append.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Children {
    /// None.
    Never,
    /// Any blocks, one level down, optionally.
    Any,
    /// Any blocks, one level down, required (a column's).
    Some,
    /// At least `min` blocks of one type, required: the children sit one level down, or at the
    /// block's own level when `same_level` (a column list's columns).
    Of {
        member: &'static str,
        same_level: bool,
        min: usize,
    },
}

/// The rules of one block type.
#[derive(Debug, Clone, Copy)]
struct Rule {
    kind: &'static str,
    shape: Shape,
    children: Children,
    /// The deepest level of a request it may sit at.
    deepest: u8,
    /// Whether `PATCH /v1/blocks/{id}` takes its key.
    updatable: bool,
}

const TEXT_AND_COLOR: &[Key] = &[
    key("rich_text", Field::RichText, Must, Must),
    key("color", Field::Color, May, May),
];
const HEADING: &[Key] = &[
    key("rich_text", Field::RichText, Must, Must),
    key("is_toggleable", Field::Flag, May, May),
    key("color", Field::Color, May, May),
];
const URL_AND_CAPTION: &[Key] = &[
    key("caption", Field::RichText, May, May),
    key("url", Field::Url, Must, May),
];
const EMPTY: &[Key] = &[];

const fn rule(kind: &'static str, shape: Shape, children: Children) -> Rule {
    Rule {
        kind,
        shape,
        children,
        deepest: DEEPEST,
        updatable: true,
    }
}

/// Every block type a request can create, with its rules, in the SDK's order.
const RULES: &[Rule] = &[
    rule("embed", Shape::Keys(URL_AND_CAPTION), Children::Never),
    rule("bookmark", Shape::Keys(URL_AND_CAPTION), Children::Never),
    rule("image", Shape::Media { named: false }, Children::Never),
    rule("video", Shape::Media { named: false }, Children::Never),
    rule("pdf", Shape::Media { named: false }, Children::Never),
    rule("file", Shape::Media { named: true }, Children::Never),
    rule("audio", Shape::Media { named: false }, Children::Never),
    rule(
        "code",
        Shape::Keys(&[
            key("caption", Field::RichText, May, May),
            key("rich_text", Field::RichText, Must, May),
            key("language", Field::Language, Must, May),
        ]),
        Children::Never,
    ),
    rule(
        "equation",
        Shape::Keys(&[key("expression", Field::Expression, Must, Must)]),
        Children::Never,
    ),
    rule("divider", Shape::Keys(EMPTY), Children::Never),
    rule("breadcrumb", Shape::Keys(EMPTY), Children::Never),
    rule(
        "tab",
        Shape::Keys(EMPTY),
        Children::Of {
            member: "paragraph",
            same_level: false,
            min: 1,
        },
    ),
    rule(
        "table_of_contents",
        Shape::Keys(&[key("color", Field::Color, May, May)]),
        Children::Never,
    ),
    rule("link_to_page", Shape::Target, Children::Never),
    rule(
        "table_row",
        Shape::Keys(&[key("cells", Field::Cells, Must, Must)]),
        Children::Never,
    ),
    Rule {
        deepest: 2,
        ..rule(
            "table",
            Shape::Keys(&[
                key("table_width", Field::Width, Must, Not),
                key("has_column_header", Field::Flag, May, May),
                key("has_row_header", Field::Flag, May, May),
            ]),
            Children::Of {
                member: "table_row",
                same_level: false,
                min: 1,
            },
        )
    },
    Rule {
        deepest: 1,
        updatable: false,
        ..rule(
            "column_list",
            Shape::Keys(EMPTY),
            Children::Of {
                member: "column",
                same_level: true,
                min: 2,
            },
        )
    },
    Rule {
        deepest: 1,
        ..rule(
            "column",
            Shape::Keys(&[key("width_ratio", Field::Ratio, May, May)]),
            Children::Some,
        )
    },
    rule("heading_1", Shape::Keys(HEADING), Children::Any),
    rule("heading_2", Shape::Keys(HEADING), Children::Any),
    rule("heading_3", Shape::Keys(HEADING), Children::Any),
    // The SDK's create type has no `icon` on a paragraph, its update type has one
    // (`ContentWithRichTextColorAndIconUpdateRequest`), and Notion answers `icon: null` on every
    // paragraph. Notion refuses `icon: null` in an append with "body.children[0].paragraph.icon
    // should be an object or `undefined`, instead was `null`." (reported by many scripts that
    // echo read blocks back), so the icon is taken as an object or nothing.
    rule(
        "paragraph",
        Shape::Keys(&[
            key("rich_text", Field::RichText, Must, May),
            key("icon", Field::Icon, May, May),
            key("color", Field::Color, May, May),
        ]),
        Children::Any,
    ),
    rule(
        "bulleted_list_item",
        Shape::Keys(TEXT_AND_COLOR),
        Children::Any,
    ),
    rule(
        "numbered_list_item",
        Shape::Keys(TEXT_AND_COLOR),
        Children::Any,
    ),
    rule("quote", Shape::Keys(TEXT_AND_COLOR), Children::Any),
    rule(
        "to_do",
        Shape::Keys(&[
            key("rich_text", Field::RichText, Must, May),
            key("checked", Field::Flag, May, May),
            key("color", Field::Color, May, May),
        ]),
        Children::Any,
    ),
    rule("toggle", Shape::Keys(TEXT_AND_COLOR), Children::Any),
    rule(
        "template",
        Shape::Keys(&[key("rich_text", Field::RichText, Must, Must)]),
        Children::Any,
    ),
    rule(
        "callout",
        Shape::Keys(&[
            key("rich_text", Field::RichText, Must, May),
            key("icon", Field::Icon, May, May),
            key("color", Field::Color, May, May),
        ]),
        Children::Any,
    ),
    rule(
        "synced_block",
        Shape::Keys(&[key("synced_from", Field::SyncedFrom, Must, Must)]),
        Children::Any,
    ),
];

/// The languages of a code block (the SDK's `LanguageRequest`), in its order.
pub(crate) const LANGUAGES: [&str; 90] = [
    "abap",
    "abc",
    "agda",
    "arduino",
    "ascii art",
    "assembly",
    "bash",
    "basic",
    "bnf",
    "c",
    "c#",
    "c++",
    "clojure",
    "coffeescript",
    "coq",
    "css",
    "dart",
    "dhall",
    "diff",
    "docker",
    "ebnf",
    "elixir",
    "elm",
    "erlang",
    "f#",
    "flow",
    "fortran",
    "gherkin",
    "glsl",
    "go",
    "graphql",
    "groovy",
    "haskell",
    "hcl",
    "html",
    "idris",
    "java",
    "javascript",
    "json",
    "julia",
    "kotlin",
    "latex",
    "less",
    "lisp",
    "livescript",
    "llvm ir",
    "lua",
    "makefile",
    "markdown",
    "markup",
    "matlab",
    "mathematica",
    "mermaid",
    "nix",
    "notion formula",
    "objective-c",
    "ocaml",
    "pascal",
    "perl",
    "php",
    "plain text",
    "powershell",
    "prolog",
    "protobuf",
    "purescript",
    "python",
    "r",
    "racket",
    "reason",
    "ruby",
    "rust",
    "sass",
    "scala",
    "scheme",
    "scss",
    "shell",
    "smalltalk",
    "solidity",
    "sql",
    "swift",
    "toml",
    "typescript",
    "vb.net",
    "verilog",
    "vhdl",
    "visual basic",
    "webassembly",
    "xml",
    "yaml",
    "java/c/c++/c#",
];

/// The kinds of a page icon of a request (the SDK's `PageIconRequest`).
const ICON_KINDS: [&str; 5] = ["file_upload", "emoji", "external", "custom_emoji", "icon"];

/// The colours of a Notion icon (`NoticonColor`).
const ICON_COLORS: [&str; 10] = [
    "gray",
    "lightgray",
    "brown",
    "yellow",
    "orange",
    "green",
    "blue",
    "purple",
    "pink",
    "red",
];

/// The targets of a `link_to_page`.
const TARGETS: [&str; 3] = ["page_id", "database_id", "comment_id"];

/// A block of a request, checked, as Notion stores it, with its children.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckedBlock {
    /// Its type.
    pub(crate) kind: String,
    /// Its type's object, as stored.
    pub(crate) content: Value,
    /// Its children, checked.
    pub(crate) children: Vec<CheckedBlock>,
}

impl CheckedBlock {
    /// This block and every block under it.
    fn count(&self) -> usize {
        1 + self.children.iter().map(Self::count).sum::<usize>()
    }
}

/// The rule of a block type, if a request can create it.
fn rule_of(kind: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.kind == kind)
}

/// The block types a request may hold at `level`.
fn kinds_at(level: u8) -> Vec<&'static str> {
    RULES
        .iter()
        .filter(|r| r.deepest >= level)
        .map(|r| r.kind)
        .collect()
}

/// The default a stored key gets when a request leaves it out.
fn default_of(field: Field) -> Option<Value> {
    match field {
        Field::RichText => Some(json!([])),
        Field::Color => Some(json!("default")),
        Field::Flag => Some(json!(false)),
        Field::Icon => Some(Value::Null),
        _ => None,
    }
}

impl State {
    /// Checks the blocks of a request's array at `path` (level 1 is the top of the request) and
    /// returns them as Notion stores them; media blocks may attach the uploads of workspace `ws`.
    pub(crate) fn block_requests(
        &mut self,
        ws: usize,
        path: &str,
        value: &Value,
        level: u8,
    ) -> Reply<Vec<CheckedBlock>> {
        let blocks = self.blocks_at(ws, path, value, level, None)?;
        if level == 1 {
            let total: usize = blocks.iter().map(CheckedBlock::count).sum();
            if total > MAX_BLOCKS_PER_REQUEST {
                return Err(Fail::validation(format!(
                    "body failed validation: {path} holds {total} block elements (nested ones included); a request may hold at most `{MAX_BLOCKS_PER_REQUEST}`."
                )));
            }
        }
        Ok(blocks)
    }

    /// The blocks of an array at `level`, all of type `only` when given.
    fn blocks_at(
        &mut self,
        ws: usize,
        path: &str,
        value: &Value,
        level: u8,
        only: Option<&'static str>,
    ) -> Reply<Vec<CheckedBlock>> {
        let items = array(path, value)?;
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            out.push(self.block_request(ws, &format!("{path}[{i}]"), item, level, only)?);
        }
        Ok(out)
    }

    /// One block of a request.
    fn block_request(
        &mut self,
        ws: usize,
        at: &str,
        item: &Value,
        level: u8,
        only: Option<&'static str>,
    ) -> Reply<CheckedBlock> {
        let map = object(at, item)?;
        let kinds = match only {
            Some(member) => vec![member],
            None => kinds_at(level),
        };
        let kind = member_kind(at, map, &kinds, &["object"])?;
        if let Some(object) = map.get("object")
            && object != "block"
        {
            return Err(Fail::enumeration(
                &format!("{at}.object"),
                &["block"],
                object,
            ));
        }
        let Some(rule) = rule_of(&kind) else {
            return Err(Fail::enumeration(
                &format!("{at}.type"),
                &kinds,
                &json!(kind),
            ));
        };
        let path = format!("{at}.{kind}");
        let given = &map[&kind];
        let fields = given
            .as_object()
            .ok_or_else(|| Fail::body(&path, "an object", given))?;
        let nested = fields.get("children");
        let may_nest = level < DEEPEST && rule.children != Children::Never;
        let children = match (nested, rule.children) {
            (Some(nested), _) if !may_nest => {
                return Err(Fail::not_present(&format!("{path}.children"), nested));
            }
            (None, Children::Of { .. } | Children::Some) if may_nest => {
                return Err(Fail::missing(&format!("{path}.children")));
            }
            (None, _) => Vec::new(),
            (
                Some(nested),
                Children::Of {
                    member,
                    same_level,
                    min,
                },
            ) => {
                let below = if same_level { level } else { level + 1 };
                let at = format!("{path}.children");
                let checked = self.blocks_at(ws, &at, nested, below, Some(member))?;
                if checked.len() < min {
                    return Err(Fail::validation(format!(
                        "body failed validation: {at}.length should be ≥ `{min}`, instead was `{}`.",
                        checked.len()
                    )));
                }
                checked
            }
            (Some(nested), _) => {
                self.blocks_at(ws, &format!("{path}.children"), nested, level + 1, None)?
            }
        };
        let mut fields = fields.clone();
        fields.remove("children");
        let content = self.block_content(ws, &path, rule, &fields, true)?;
        Ok(CheckedBlock {
            kind,
            content: Value::Object(content),
            children,
        })
    }

    /// The fields of an update (`PATCH /v1/blocks/{id}`) of a block of type `kind`, checked, as
    /// they are stored (to be merged into the block's object); `None` when the body leaves the
    /// block's object alone. The body may hold `type`, `in_trash`, `archived` and the block
    /// type's key, nothing else.
    pub(crate) fn block_update(
        &mut self,
        ws: usize,
        kind: Option<&str>,
        body: &Map<String, Value>,
    ) -> Reply<Option<Map<String, Value>>> {
        let rule = kind.and_then(rule_of).filter(|r| r.updatable);
        let own = rule.map(|r| r.kind);
        let allowed: Vec<&str> = ["type", "in_trash", "archived"]
            .into_iter()
            .chain(own)
            .collect();
        only_keys("body", body, &allowed)?;
        if let Some(given) = body.get("type")
            && let Some(own) = own
            && given != own
        {
            return Err(Fail::enumeration("body.type", &[own], given));
        }
        let Some(rule) = rule else {
            return Ok(None);
        };
        let Some(given) = body.get(rule.kind) else {
            return Ok(None);
        };
        let path = format!("body.{}", rule.kind);
        let fields = given
            .as_object()
            .ok_or_else(|| Fail::body(&path, "an object", given))?;
        self.block_content(ws, &path, rule, fields, false).map(Some)
    }

    /// A block type's object of a request, checked against its rule, as stored: on `create`,
    /// with Notion's defaults for what it leaves out; on update, only what it holds.
    fn block_content(
        &mut self,
        ws: usize,
        path: &str,
        rule: &Rule,
        fields: &Map<String, Value>,
        create: bool,
    ) -> Reply<Map<String, Value>> {
        match rule.shape {
            Shape::Keys(keys) => {
                let names: Vec<&str> = keys
                    .iter()
                    .filter(|k| (if create { k.create } else { k.update }) != Not)
                    .map(|k| k.name)
                    .collect();
                only_keys(path, fields, &names)?;
                let mut out = Map::new();
                for key in keys {
                    let need = if create { key.create } else { key.update };
                    let at = format!("{path}.{}", key.name);
                    match fields.get(key.name) {
                        Some(value) => {
                            let stored = self.field(ws, &at, key.field, value)?;
                            out.insert(key.name.into(), stored);
                        }
                        None if need == Must => return Err(Fail::missing(&at)),
                        None if create => {
                            if let Some(default) = default_of(key.field) {
                                out.insert(key.name.into(), default);
                            }
                        }
                        None => {}
                    }
                }
                Ok(out)
            }
            Shape::Media { named } => {
                self.media_content(ws, path, rule.kind, fields, named, create)
            }
            Shape::Target => {
                let target = member_kind(path, fields, &TARGETS, &[])?;
                let id = parse_id(&format!("{path}.{target}"), &fields[&target])?;
                let mut out = Map::new();
                out.insert("type".into(), json!(target));
                out.insert(target, json!(uuid(id)));
                Ok(out)
            }
        }
    }

    /// A media block's object of a request, as stored.
    fn media_content(
        &mut self,
        ws: usize,
        path: &str,
        kind: &str,
        fields: &Map<String, Value>,
        named: bool,
        create: bool,
    ) -> Reply<Map<String, Value>> {
        let mut allowed = vec!["caption", "external", "file_upload"];
        if create {
            allowed.push("type");
        }
        if named {
            allowed.push("name");
        }
        only_keys(path, fields, &allowed)?;
        let mut out = Map::new();
        if let Some(caption) = fields.get("caption") {
            out.insert(
                "caption".into(),
                self.rich_text(&format!("{path}.caption"), caption)?,
            );
        }
        if let Some(name) = fields.get("name") {
            out.insert(
                "name".into(),
                json!(short_text(&format!("{path}.name"), name, MAX_TEXT)?),
            );
        }
        let file = if create {
            Some(member_kind(
                path,
                fields,
                &["external", "file_upload"],
                &["caption", "name"],
            )?)
        } else if fields.contains_key("external") && fields.contains_key("file_upload") {
            return Err(Fail::not_present(
                &format!("{path}.file_upload"),
                &fields["file_upload"],
            ));
        } else {
            ["external", "file_upload"]
                .into_iter()
                .find(|k| fields.contains_key(*k))
                .map(str::to_owned)
        };
        if let Some(file) = file {
            let given = &fields[&file];
            let inner = given
                .as_object()
                .ok_or_else(|| Fail::body(&format!("{path}.{file}"), "an object", given))?;
            let (only, max) = if file == "external" {
                ("url", MAX_TEXT)
            } else {
                ("id", MAX_TEXT)
            };
            only_keys(&format!("{path}.{file}"), inner, &[only])?;
            let at = format!("{path}.{file}.{only}");
            short_text(&at, inner.get(only).ok_or_else(|| Fail::missing(&at))?, max)?;
            out.insert(file, given.clone());
            self.media_payload(ws, path, kind, &mut out)?;
            if !create && !fields.contains_key("caption") {
                // An update that names a new file keeps the caption it does not name.
                out.remove("caption");
            }
            if create && named && !out.contains_key("name") {
                out.insert("name".into(), json!(file_name(&out)));
            }
        }
        Ok(out)
    }

    /// One key's value of a request, checked, as stored (an icon may attach an upload of
    /// workspace `ws`).
    fn field(&mut self, ws: usize, at: &str, field: Field, value: &Value) -> Reply<Value> {
        match field {
            Field::RichText => self.rich_text(at, value),
            Field::Color => enumerated(at, &API_COLORS, value),
            Field::Language => enumerated(at, &LANGUAGES, value),
            Field::Flag => match value {
                Value::Bool(_) => Ok(value.clone()),
                _ => Err(Fail::body(at, "a boolean", value)),
            },
            Field::Expression => Ok(json!(short_text(at, value, MAX_EXPRESSION)?)),
            Field::Url => Ok(json!(short_text(at, value, MAX_TEXT)?)),
            Field::Icon => self.icon(ws, at, value),
            Field::Cells => {
                let rows = array(at, value)?;
                let mut cells = Vec::with_capacity(rows.len());
                for (i, cell) in rows.iter().enumerate() {
                    cells.push(self.rich_text(&format!("{at}[{i}]"), cell)?);
                }
                Ok(Value::Array(cells))
            }
            Field::Width => match value.as_u64() {
                Some(width) if width >= 1 => Ok(json!(width)),
                _ => Err(Fail::body(at, "a positive integer", value)),
            },
            Field::Ratio => match value.as_f64() {
                Some(ratio) if ratio > 0.0 && ratio <= 1.0 => Ok(value.clone()),
                Some(_) => Err(Fail::body(at, "a number between 0 and 1", value)),
                None => Err(Fail::body(at, "a number", value)),
            },
            Field::SyncedFrom => match value {
                Value::Null => Ok(Value::Null),
                Value::Object(map) => {
                    member_kind(at, map, &["block_id"], &[])?;
                    let id = parse_id(&format!("{at}.block_id"), &map["block_id"])?;
                    Ok(json!({"type": "block_id", "block_id": uuid(id)}))
                }
                _ => Err(Fail::body(at, "an object or `null`", value)),
            },
        }
    }
    /// A block's icon of a request (the SDK's `PageIconRequest`: an object, never `null`), as
    /// stored: an upload (of workspace `ws`) as the hosted file Notion answers
    /// (`{"type": "file", "file": {url, expiry_time}}`), any other as given, with its `type`.
    fn icon(&mut self, ws: usize, at: &str, value: &Value) -> Reply<Value> {
        let Some(map) = value.as_object() else {
            return Err(Fail::body(at, "an object or `undefined`", value));
        };
        let kind = member_kind(at, map, &ICON_KINDS, &[])?;
        let inner_at = format!("{at}.{kind}");
        let inner = &map[&kind];
        let stored = match kind.as_str() {
            "emoji" => json!(short_text(&inner_at, inner, MAX_TEXT)?),
            _ => {
                let fields = inner
                    .as_object()
                    .ok_or_else(|| Fail::body(&inner_at, "an object", inner))?;
                let (keys, required): (&[&str], &str) = match kind.as_str() {
                    "external" => (&["url"], "url"),
                    "file_upload" => (&["id"], "id"),
                    "custom_emoji" => (&["id", "name", "url"], "id"),
                    _ => (&["name", "color"], "name"),
                };
                only_keys(&inner_at, fields, keys)?;
                let need = format!("{inner_at}.{required}");
                short_text(
                    &need,
                    fields.get(required).ok_or_else(|| Fail::missing(&need))?,
                    MAX_TEXT,
                )?;
                if let Some(color) = fields.get("color") {
                    enumerated(&format!("{inner_at}.color"), &ICON_COLORS, color)?;
                }
                if kind == "file_upload" {
                    // Attached as a media block's file is: a completed upload of the workspace,
                    // stored as a file hosted by Notion.
                    let mut hosted = Map::new();
                    hosted.insert(kind.clone(), inner.clone());
                    self.media_payload(ws, at, "image", &mut hosted)?;
                    return Ok(
                        json!({"type": "file", "file": hosted.get("file").cloned().unwrap_or(Value::Null)}),
                    );
                }
                inner.clone()
            }
        };
        Ok(json!({"type": kind, kind.clone(): stored}))
    }
}

/// A string of an enumeration, or Notion's answer listing the enumeration.
fn enumerated(at: &str, values: &[&str], value: &Value) -> Reply<Value> {
    match value.as_str() {
        Some(text) if values.contains(&text) => Ok(value.clone()),
        _ => Err(Fail::enumeration(at, values, value)),
    }
}

/// The name Notion gives a file block that a request does not name: the last segment of its
/// file's URL path.
fn file_name(content: &Map<String, Value>) -> String {
    let url = content
        .get("type")
        .and_then(Value::as_str)
        .and_then(|kind| content.get(kind))
        .and_then(|file| file.get("url"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let path = url.split(['?', '#']).next().unwrap_or(url);
    path.rsplit('/').next().unwrap_or_default().to_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn each_block_type_has_one_rule_and_the_media_types_are_the_fakes_media_blocks() {
        let kinds: HashSet<&str> = RULES.iter().map(|r| r.kind).collect();
        assert_eq!(kinds.len(), RULES.len());
        let media: Vec<&str> = RULES
            .iter()
            .filter(|r| matches!(r.shape, Shape::Media { .. }))
            .map(|r| r.kind)
            .collect();
        let mut expected = super::super::files::MEDIA_BLOCKS.to_vec();
        let mut found = media.clone();
        expected.sort_unstable();
        found.sort_unstable();
        assert_eq!(found, expected);
        for list in [
            &LANGUAGES[..],
            &API_COLORS[..],
            &ICON_KINDS[..],
            &ICON_COLORS[..],
        ] {
            let unique: HashSet<&&str> = list.iter().collect();
            assert_eq!(unique.len(), list.len(), "{list:?}");
        }
    }

    #[test]
    fn the_kinds_of_each_level_follow_the_sdks_three_unions() {
        // `BlockObjectRequest`: every type; `…WithSingleLevelOfChildrenRequest`: no column list
        // or column; `…WithoutChildren`: no table either.
        assert_eq!(kinds_at(1).len(), RULES.len());
        let second = kinds_at(2);
        assert!(!second.contains(&"column_list") && !second.contains(&"column"));
        assert!(second.contains(&"table"));
        let third = kinds_at(3);
        assert!(!third.contains(&"table"));
        assert_eq!(third.len(), RULES.len() - 3);
        // Only what an update may name is updatable, and only through its type's key.
        let frozen: Vec<&str> = RULES
            .iter()
            .filter(|r| !r.updatable)
            .map(|r| r.kind)
            .collect();
        assert_eq!(frozen, ["column_list"]);
    }
}
