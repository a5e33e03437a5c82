//! Setting up the fake: workspaces, integrations with their tokens, people, sharing, the
//! templates of data sources, custom emojis and meeting notes.
//!
//! These are the things a person does in Notion's UI, not through the API: make a workspace,
//! create an internal integration and copy its token, invite a member, share a page with an
//! integration. A new workspace gets one member (its owner), one integration and a root page
//! shared with that integration.

use serde_json::json;

use crate::secret::NotionToken;

use super::state::{
    Block, CustomEmoji, IdStyle, Integration, Kind, Object, Page, Parent, State, Template, User,
    Workspace,
};

/// Plain text as Notion's rich text answers it: one `text` item, no annotations.
fn plain_rich_text(text: &str) -> serde_json::Value {
    json!([{
        "type": "text",
        "text": {"content": text, "link": null},
        "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"},
        "plain_text": text,
        "href": null,
    }])
}

impl State {
    /// Makes a workspace with an owner, an integration and a root page shared with it; returns
    /// the workspace's index and the integration's.
    pub(crate) fn add_workspace(&mut self, name: &str) -> (usize, usize) {
        let index = self.workspaces.len();
        let id = self.new_id(IdStyle::V4);
        self.workspaces.push(Workspace {
            id,
            name: name.to_owned(),
            root_page: 0,
            upload_limit: super::files::DEFAULT_UPLOAD_LIMIT,
            owner: 0,
        });
        let slug: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase();
        let owner = self.add_person(
            index,
            &format!("{name} Owner"),
            &format!("owner@{slug}.example"),
        );
        self.workspaces[index].owner = owner;
        let integration = self.add_integration(index, &format!("{name} sync"));
        let bot = self.integrations[integration].bot_id;
        let root = self.new_id(IdStyle::V8);
        let title = plain_rich_text(name);
        let mut values = serde_json::Map::new();
        values.insert("title".into(), title);
        self.insert(
            root,
            index,
            Parent::Workspace,
            bot,
            Kind::Page(Page {
                values,
                icon: serde_json::Value::Null,
                cover: serde_json::Value::Null,
                is_locked: false,
                children: Vec::new(),
            }),
        );
        self.workspaces[index].root_page = root;
        self.integrations[integration].shared.insert(root);
        (index, integration)
    }

    /// Adds an internal integration (and its bot user) to a workspace; returns its index.
    pub(crate) fn add_integration(&mut self, workspace: usize, name: &str) -> usize {
        let index = self.integrations.len();
        let bot = self.new_id(IdStyle::V4);
        let token = self.new_token();
        self.integrations.push(Integration {
            workspace,
            name: name.to_owned(),
            bot_id: bot,
            token,
            revoked: false,
            shared: std::collections::HashSet::new(),
            unshared: std::collections::HashSet::new(),
            grant: None,
        });
        self.users.insert(
            bot,
            User {
                id: bot,
                workspace,
                name: name.to_owned(),
                email: None,
                integration: Some(index),
            },
        );
        index
    }

    /// A new integration token (`ntn_…`, random-looking, from the seed).
    fn new_token(&mut self) -> NotionToken {
        loop {
            let digits = self.random_number() % 100_000_000_000;
            let text = format!("ntn_{digits:011}{}", self.random_text(35));
            if let Ok(token) = NotionToken::new(&text) {
                break token;
            }
        }
    }

    /// Refreshes an integration's secret, as its settings page does: the integration (its bot,
    /// what is shared with it) keeps everything, under a new token; the old token is unknown
    /// from now on (401). Returns the new token, or `None` for a token the fake does not know.
    pub(crate) fn refresh_token(&mut self, token: &NotionToken) -> Option<NotionToken> {
        let index = self.integration_by_token(token)?;
        let fresh = self.new_token();
        self.integrations[index].token = fresh.clone();
        Some(fresh)
    }

    /// Adds a person to a workspace; returns their user ID.
    pub(crate) fn add_person(&mut self, workspace: usize, name: &str, email: &str) -> u128 {
        let id = self.new_id(IdStyle::V4);
        self.users.insert(
            id,
            User {
                id,
                workspace,
                name: name.to_owned(),
                email: Some(email.to_owned()),
                integration: None,
            },
        );
        id
    }

    /// The owner of workspace `ws`: the person made with it.
    pub(crate) fn owner_of(&self, ws: usize) -> Option<u128> {
        self.workspaces.get(ws).map(|w| w.owner)
    }

    /// The integration holding `token` (revoked or not).
    pub(crate) fn integration_by_token(&self, token: &NotionToken) -> Option<usize> {
        self.integrations.iter().position(|i| i.token == *token)
    }

    /// Makes a template of data source `ds` titled `title` (the default template if
    /// `is_default`, which then replaces the previous default); `None` when `ds` is not a data
    /// source.
    pub(crate) fn add_template(&mut self, ds: u128, title: &str, is_default: bool) -> Option<u128> {
        let (ws, by, key) = {
            let object = self.objects.get(&ds)?;
            let source = object.data_source()?;
            let key = source
                .props
                .iter()
                .find(|p| p.kind == "title")
                .map_or_else(|| "title".to_owned(), |p| p.id.clone());
            (object.workspace, object.created_by, key)
        };
        let id = self.new_id(IdStyle::V8);
        let mut values = serde_json::Map::new();
        values.insert(key, plain_rich_text(title));
        self.insert(
            id,
            ws,
            Parent::DataSource(ds),
            by,
            Kind::Page(Page {
                values,
                icon: serde_json::Value::Null,
                cover: serde_json::Value::Null,
                is_locked: false,
                children: Vec::new(),
            }),
        );
        let list = self.templates.entry(ds).or_default();
        if is_default {
            for template in list.iter_mut() {
                template.is_default = false;
            }
        }
        list.push(Template {
            page: id,
            is_default,
        });
        Some(id)
    }

    /// Adds a meeting note under page `page`, as a person's recording with Notion's AI meeting
    /// notes makes one: a `meeting_notes` block titled `title`, its notes ready, made by the
    /// workspace's owner; `None` when `page` is not a page.
    pub(crate) fn add_meeting_note(&mut self, page: u128, title: &str) -> Option<u128> {
        let ws = self
            .objects
            .get(&page)
            .filter(|o| o.page().is_some())?
            .workspace;
        let owner = self.owner_of(ws).unwrap_or(0);
        let id = self.new_id(IdStyle::V8);
        self.insert(
            id,
            ws,
            Parent::Page(page),
            owner,
            Kind::Block(Block {
                kind: "meeting_notes".to_owned(),
                content: json!({"title": plain_rich_text(title), "status": "notes_ready"}),
                children: Vec::new(),
            }),
        );
        if let Some(children) = self.objects.get_mut(&page).and_then(Object::children_mut) {
            children.push(id);
        }
        self.touch(page, owner);
        Some(id)
    }

    /// Adds a custom emoji to a workspace; returns its ID.
    pub(crate) fn add_custom_emoji(&mut self, workspace: usize, name: &str, url: &str) -> u128 {
        let id = self.new_id(IdStyle::V8);
        self.custom_emojis.push(CustomEmoji {
            id,
            workspace,
            name: name.to_owned(),
            url: url.to_owned(),
        });
        id
    }
}
