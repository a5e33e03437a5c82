//! The fake's memory: workspaces, integrations, users and every object, with sharing.
//!
//! All objects (pages, databases, data sources, blocks) live in one map keyed by their 128-bit ID,
//! each with a parent, so "is this object shared with this integration?" is a walk up the parents
//! to a page shared with it. IDs, tokens and property IDs come from one seeded RNG, so the same
//! seed and the same requests give the same IDs. Nothing here is async: the fake locks the state,
//! calls in, and unlocks before any `.await`.

use std::collections::{BTreeMap, HashMap, HashSet};

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Map, Value};
use tokio::time::Instant;

use super::clock::Clock;
use super::faults::FaultState;
use super::limits::Limits;
use super::log::LoggedRequest;
use super::reply::Fail;
use crate::ids::ObjectId;

/// Where an object sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parent {
    /// At the top of a workspace.
    Workspace,
    /// Under a page.
    Page(u128),
    /// A data source under its database.
    Database(u128),
    /// A row of a data source.
    DataSource(u128),
    /// Under a block.
    Block(u128),
}

/// A workspace.
#[derive(Debug)]
pub(crate) struct Workspace {
    pub(crate) id: u128,
    pub(crate) name: String,
    pub(crate) root_page: u128,
    /// The per-file upload limit, in bytes (`workspace_limits.max_file_upload_size_in_bytes`).
    pub(crate) upload_limit: u64,
    /// Its owner, the person made with it.
    pub(crate) owner: u128,
}

/// An integration of a workspace (internal, or a public integration's installation), with its bot
/// user and its token.
#[derive(Debug)]
pub(crate) struct Integration {
    pub(crate) workspace: usize,
    pub(crate) name: String,
    pub(crate) bot_id: u128,
    pub(crate) token: crate::secret::NotionToken,
    pub(crate) revoked: bool,
    /// Objects shared with the integration (and so everything under them).
    pub(crate) shared: HashSet<u128>,
    /// Objects unshared from the integration (and so everything under them), even when a parent
    /// is shared: the closest of the two on the way up decides.
    pub(crate) unshared: HashSet<u128>,
    /// For a public integration's installation: its client and tokens (`None`: internal).
    pub(crate) grant: Option<super::oauth::Grant>,
}

/// A user of a workspace: a person or an integration's bot.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) id: u128,
    pub(crate) workspace: usize,
    pub(crate) name: String,
    /// The email of a person; `None` for a bot.
    pub(crate) email: Option<String>,
    /// The integration of a bot.
    pub(crate) integration: Option<usize>,
}

/// A property of a data source's schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PropDef {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: String,
    pub(crate) config: Value,
    pub(crate) description: Value,
}

/// A page (a row when its parent is a data source).
#[derive(Debug, Clone)]
pub(crate) struct Page {
    /// Values by property ID (a page outside a data source has only `title`).
    pub(crate) values: Map<String, Value>,
    pub(crate) icon: Value,
    pub(crate) cover: Value,
    pub(crate) is_locked: bool,
    pub(crate) children: Vec<u128>,
}

/// A database: the container of data sources.
#[derive(Debug, Clone)]
pub(crate) struct Database {
    pub(crate) title: Value,
    pub(crate) description: Value,
    pub(crate) is_inline: bool,
    pub(crate) icon: Value,
    pub(crate) cover: Value,
    pub(crate) is_locked: bool,
    pub(crate) data_sources: Vec<u128>,
}

/// A data source: a schema and rows.
#[derive(Debug, Clone)]
pub(crate) struct DataSource {
    pub(crate) title: Value,
    pub(crate) description: Value,
    pub(crate) icon: Value,
    pub(crate) cover: Value,
    pub(crate) props: Vec<PropDef>,
    pub(crate) rows: Vec<u128>,
    pub(crate) next_unique: u64,
}

/// A block of content (not a page, not a database).
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) kind: String,
    pub(crate) content: Value,
    pub(crate) children: Vec<u128>,
}

/// What an object is.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Page(Page),
    Database(Database),
    DataSource(DataSource),
    Block(Block),
}

/// Any object, with what all objects have.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    pub(crate) id: u128,
    pub(crate) workspace: usize,
    pub(crate) seq: u64,
    pub(crate) parent: Parent,
    pub(crate) created_ms: i64,
    pub(crate) edited_ms: i64,
    pub(crate) created_by: u128,
    pub(crate) edited_by: u128,
    /// When it was made, on tokio's clock (for read-after-write lag).
    pub(crate) created_at: Instant,
    pub(crate) in_trash: bool,
    pub(crate) kind: Kind,
}

impl Object {
    pub(crate) fn page(&self) -> Option<&Page> {
        match &self.kind {
            Kind::Page(p) => Some(p),
            _ => None,
        }
    }
    pub(crate) fn page_mut(&mut self) -> Option<&mut Page> {
        match &mut self.kind {
            Kind::Page(p) => Some(p),
            _ => None,
        }
    }
    pub(crate) fn data_source(&self) -> Option<&DataSource> {
        match &self.kind {
            Kind::DataSource(d) => Some(d),
            _ => None,
        }
    }
    pub(crate) fn data_source_mut(&mut self) -> Option<&mut DataSource> {
        match &mut self.kind {
            Kind::DataSource(d) => Some(d),
            _ => None,
        }
    }
    pub(crate) fn database(&self) -> Option<&Database> {
        match &self.kind {
            Kind::Database(d) => Some(d),
            _ => None,
        }
    }
    pub(crate) fn database_mut(&mut self) -> Option<&mut Database> {
        match &mut self.kind {
            Kind::Database(d) => Some(d),
            _ => None,
        }
    }
    /// The content children (pages, databases and blocks under it), when it can have any.
    pub(crate) fn children_mut(&mut self) -> Option<&mut Vec<u128>> {
        match &mut self.kind {
            Kind::Page(p) => Some(&mut p.children),
            Kind::Block(b) => Some(&mut b.children),
            _ => None,
        }
    }
    pub(crate) fn children(&self) -> &[u128] {
        match &self.kind {
            Kind::Page(p) => &p.children,
            Kind::Block(b) => &b.children,
            _ => &[],
        }
    }
}

/// A file upload.
#[derive(Debug, Clone)]
pub(crate) struct FileUpload {
    pub(crate) id: u128,
    pub(crate) workspace: usize,
    pub(crate) created_by: u128,
    pub(crate) created_ms: i64,
    pub(crate) filename: String,
    pub(crate) content_type: Value,
    /// Its creation order (lists show the newest first).
    pub(crate) seq: u64,
    /// How its content arrives.
    pub(crate) mode: super::files::UploadMode,
    /// The import of `external_url` (mode `external_url` only).
    pub(crate) import: Option<super::files::Import>,
    /// The parts sent so far, by `part_number` (mode `multi_part`, until completed).
    pub(crate) parts: BTreeMap<u32, Vec<u8>>,
    /// The whole file, once sent (single part) or completed (multi-part).
    pub(crate) content: Option<Vec<u8>>,
    /// Whether it was attached (an attached upload no longer expires).
    pub(crate) attached: bool,
    /// The status its webhook events last announced (`pending` once created).
    pub(crate) announced: &'static str,
}

/// A comment on a page or a block.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub(crate) id: u128,
    pub(crate) workspace: usize,
    /// The page or block it is on.
    pub(crate) parent: Parent,
    pub(crate) discussion: u128,
    pub(crate) created_ms: i64,
    pub(crate) edited_ms: i64,
    pub(crate) created_by: u128,
    /// Read-shaped rich text.
    pub(crate) rich_text: Value,
    /// `display_name` as answered (`type` and `resolved_name`).
    pub(crate) display_name: Value,
    /// `attachments` as answered (`category` and `file`).
    pub(crate) attachments: Vec<Value>,
}

/// A template of a data source: a page under it that is not one of its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Template {
    pub(crate) page: u128,
    pub(crate) is_default: bool,
}

/// A view of a database: a data source seen through a filter, sorts and a layout.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub(crate) id: u128,
    pub(crate) database: u128,
    pub(crate) data_source: u128,
    pub(crate) name: String,
    /// `table`, `board`, …
    pub(crate) kind: String,
    pub(crate) created_ms: i64,
    pub(crate) edited_ms: i64,
    pub(crate) created_by: u128,
    pub(crate) edited_by: u128,
    /// The filter as given (`null`: none).
    pub(crate) filter: Value,
    /// The sorts as given (`null`: none).
    pub(crate) sorts: Value,
    /// The quick filters as given (`null`: none).
    pub(crate) quick_filters: Value,
    /// The configuration, with its `type`.
    pub(crate) configuration: Value,
}

/// The cached results of a view query.
#[derive(Debug, Clone)]
pub(crate) struct ViewQuery {
    pub(crate) id: u128,
    pub(crate) view: u128,
    pub(crate) rows: Vec<u128>,
    pub(crate) expires_ms: i64,
}

/// A custom emoji of a workspace.
#[derive(Debug, Clone)]
pub(crate) struct CustomEmoji {
    pub(crate) id: u128,
    pub(crate) workspace: usize,
    pub(crate) name: String,
    pub(crate) url: String,
}

/// The whole fake Notion.
#[derive(Debug)]
pub(crate) struct State {
    pub(crate) config: super::FakeConfig,
    pub(crate) clock: Clock,
    rng: StdRng,
    pub(crate) workspaces: Vec<Workspace>,
    pub(crate) integrations: Vec<Integration>,
    pub(crate) users: BTreeMap<u128, User>,
    pub(crate) objects: HashMap<u128, Object>,
    pub(crate) file_uploads: HashMap<u128, FileUpload>,
    /// Every comment, in creation order (deleted ones removed).
    pub(crate) comments: Vec<Comment>,
    /// The templates of each data source, in the order they were made.
    pub(crate) templates: HashMap<u128, Vec<Template>>,
    /// Every workspace's custom emojis, in the order they were made.
    pub(crate) custom_emojis: Vec<CustomEmoji>,
    /// Every view, in the order they are listed (deleted ones removed).
    pub(crate) views: Vec<View>,
    /// The view queries not deleted.
    pub(crate) view_queries: Vec<ViewQuery>,
    /// The async tasks started (page markdown updates with `allow_async`).
    pub(crate) async_tasks: Vec<super::handlers::AsyncTask>,
    /// The public integrations (OAuth clients).
    pub(crate) clients: Vec<super::oauth::Client>,
    /// The authorization codes given by consents.
    pub(crate) codes: Vec<super::oauth::Code>,
    /// The webhook subscriptions.
    pub(crate) subscriptions: Vec<super::webhooks::Subscription>,
    /// The webhook deliveries waiting (first attempts and retries).
    pub(crate) pending: Vec<super::webhooks::Pending>,
    /// The delay before a failed delivery's second attempt.
    pub(crate) webhook_retry_delay: std::time::Duration,
    /// The bytes of hosted files, by stable address (see `files`).
    pub(crate) hosted: HashMap<String, Vec<u8>>,
    /// File names whose `external_url` imports end `failed` (a fault knob).
    pub(crate) failing_imports: std::collections::HashSet<String>,
    pub(crate) seq: u64,
    pub(crate) log: Vec<LoggedRequest>,
    pub(crate) requests: u64,
    pub(crate) limits: Limits,
    pub(crate) faults: FaultState,
}

/// How an ID of a kind is written: Notion's newer IDs have version digit 8, database IDs 4.
#[derive(Debug, Clone, Copy)]
pub(crate) enum IdStyle {
    V4,
    V8,
}

const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl State {
    pub(crate) fn new(config: super::FakeConfig) -> Self {
        let rng = StdRng::seed_from_u64(config.seed);
        let faults = FaultState::new(&config.faults);
        Self {
            clock: Clock::new(config.base_time_ms),
            rng,
            workspaces: Vec::new(),
            integrations: Vec::new(),
            users: BTreeMap::new(),
            objects: HashMap::new(),
            file_uploads: HashMap::new(),
            comments: Vec::new(),
            templates: HashMap::new(),
            custom_emojis: Vec::new(),
            views: Vec::new(),
            view_queries: Vec::new(),
            async_tasks: Vec::new(),
            clients: Vec::new(),
            codes: Vec::new(),
            subscriptions: Vec::new(),
            pending: Vec::new(),
            webhook_retry_delay: super::webhooks::DEFAULT_RETRY_DELAY,
            hosted: HashMap::new(),
            failing_imports: std::collections::HashSet::new(),
            seq: 0,
            log: Vec::new(),
            requests: 0,
            limits: Limits::default(),
            faults,
            config,
        }
    }

    /// A new random ID.
    pub(crate) fn new_id(&mut self, style: IdStyle) -> u128 {
        loop {
            let raw: u128 = self.rng.random();
            let version: u128 = match style {
                IdStyle::V4 => 4,
                IdStyle::V8 => 8,
            };
            let id = (raw & !(0xf << 76) & !(0x3 << 62)) | (version << 76) | (0x2 << 62);
            if id != 0 && !self.objects.contains_key(&id) && !self.users.contains_key(&id) {
                return id;
            }
        }
    }

    /// A random alphanumeric string.
    pub(crate) fn random_text(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| char::from(ALNUM[self.rng.random_range(0..ALNUM.len())]))
            .collect()
    }

    /// A random `u64`.
    pub(crate) fn random_number(&mut self) -> u64 {
        self.rng.random()
    }

    /// A random number in `0..n`.
    pub(crate) fn random_below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            self.rng.random_range(0..n)
        }
    }

    /// The next creation sequence number.
    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Inserts a new object made now by `by` and returns its ID.
    pub(crate) fn insert(
        &mut self,
        id: u128,
        workspace: usize,
        parent: Parent,
        by: u128,
        kind: Kind,
    ) -> u128 {
        let now = self.clock.now_minute_ms();
        let seq = self.next_seq();
        self.objects.insert(
            id,
            Object {
                id,
                workspace,
                seq,
                parent,
                created_ms: now,
                edited_ms: now,
                created_by: by,
                edited_by: by,
                created_at: Instant::now(),
                in_trash: false,
                kind,
            },
        );
        id
    }

    /// Marks an object edited now by `by`.
    pub(crate) fn touch(&mut self, id: u128, by: u128) {
        let now = self.clock.now_minute_ms();
        if let Some(object) = self.objects.get_mut(&id) {
            object.edited_ms = now;
            object.edited_by = by;
        }
    }

    /// Marks a block (or page) edited, and the page whose content it is: Notion shows an edit of
    /// a page's content in the page's `last_edited_time`.
    pub(crate) fn touch_content(&mut self, id: u128, by: u128) {
        self.touch(id, by);
        let mut current = id;
        for _ in 0..10_000 {
            let Some(object) = self.objects.get(&current) else {
                return;
            };
            if !matches!(object.kind, Kind::Block(_)) {
                if current != id {
                    self.touch(current, by);
                }
                return;
            }
            current = match object.parent {
                Parent::Page(p) | Parent::Block(p) => p,
                _ => return,
            };
        }
    }

    /// The integration a token belongs to, unless unknown or revoked.
    pub(crate) fn integration_for(&self, token: &crate::secret::NotionToken) -> Option<usize> {
        self.integrations
            .iter()
            .position(|i| i.token == *token && !i.revoked)
    }

    /// Whether `integration` sees `id`: it is in its workspace, and it or a parent is shared,
    /// with no unshared object nearer on the way up.
    pub(crate) fn visible(&self, integration: usize, id: u128) -> bool {
        let Some(integ) = self.integrations.get(integration) else {
            return false;
        };
        let mut current = id;
        for _ in 0..10_000 {
            let Some(object) = self.objects.get(&current) else {
                return false;
            };
            if object.workspace != integ.workspace {
                return false;
            }
            if integ.unshared.contains(&current) {
                return false;
            }
            if integ.shared.contains(&current) {
                return true;
            }
            current = match object.parent {
                Parent::Workspace => return false,
                Parent::Page(p)
                | Parent::Database(p)
                | Parent::DataSource(p)
                | Parent::Block(p) => p,
            };
        }
        false
    }

    /// The 404 of an object `integration` cannot see.
    pub(crate) fn not_found(&self, integration: usize, kind: &str, id: u128) -> Fail {
        let (name, bot) = self
            .integrations
            .get(integration)
            .map(|i| (i.name.as_str(), i.bot_id))
            .unwrap_or(("", 0));
        Fail::not_found(
            kind,
            &ObjectId::from_u128(id).to_string(),
            name,
            &ObjectId::from_u128(bot).to_string(),
        )
    }

    /// The object `id` if `integration` sees it and `accept` says it is of the wanted kind,
    /// else Notion's 404 for `kind`.
    pub(crate) fn get_visible(
        &self,
        integration: usize,
        id: u128,
        kind: &str,
        accept: impl Fn(&Object) -> bool,
    ) -> Result<&Object, Fail> {
        match self.objects.get(&id) {
            Some(object) if accept(object) && self.visible(integration, id) => Ok(object),
            _ => Err(self.not_found(integration, kind, id)),
        }
    }

    /// The bot user ID of an integration.
    pub(crate) fn bot(&self, integration: usize) -> u128 {
        self.integrations.get(integration).map_or(0, |i| i.bot_id)
    }

    /// The data source that `page` is a row of.
    pub(crate) fn row_source(&self, page: u128) -> Option<u128> {
        match self.objects.get(&page)?.parent {
            Parent::DataSource(ds) => Some(ds),
            _ => None,
        }
    }

    /// The database that holds data source `ds`.
    pub(crate) fn database_of(&self, ds: u128) -> u128 {
        match self.objects.get(&ds).map(|o| o.parent) {
            Some(Parent::Database(db)) => db,
            _ => 0,
        }
    }

    /// Whether `id` or one of its parents is in the trash.
    pub(crate) fn trashed(&self, id: u128) -> bool {
        let mut current = id;
        for _ in 0..10_000 {
            let Some(object) = self.objects.get(&current) else {
                return false;
            };
            if object.in_trash {
                return true;
            }
            current = match object.parent {
                Parent::Workspace => return false,
                Parent::Page(p)
                | Parent::Database(p)
                | Parent::DataSource(p)
                | Parent::Block(p) => p,
            };
        }
        false
    }

    /// Whether an object is still hidden from queries by the configured read-after-write lag.
    pub(crate) fn lagging(&self, object: &Object, lag: std::time::Duration) -> bool {
        !lag.is_zero() && object.created_at.elapsed() < lag
    }
}

/// The canonical dashed form of an ID.
pub(crate) fn uuid(id: u128) -> String {
    ObjectId::from_u128(id).to_string()
}
