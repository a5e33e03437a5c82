//! The demo (feature `fake`): the agency registry of the gap report, laid out in a
//! [`FakeNotion`](crate::fake::FakeNotion) through the API, and the story the `demo` command tells
//! over it.
//!
//! [`DemoWorld::build`] makes the world the gap report (the audit of the registry this project
//! answers) describes, so that an audit of it finds the report's numbers: a control workspace,
//! "Seren Media", whose `Registry` page holds `system-environments` (18 environments: 7 with a
//! plain-text token, of which 6 are revoked; no `Database-Parent-Page-ID` property),
//! `system-databases` (100 rows: 29 with a Data Source ID, 93 with a Database URL, and one row per
//! defect an audit must report) and `Clients` (whose `Notion-Token` rollup is a second source of
//! the token). Six client workspaces hold what a sync needs or trips on: VibeVessel's one
//! `database-parent-page` among decoys, Ocean Frontiers' two, a page not shared with the
//! integration.
//!
//! The databases synced to VibeVessel carry references a sync has to translate: people (the
//! agency's [`DemoPerson`]s, matched by email in VibeVessel's workspace, where one of them is not
//! a member) and a relation from Tasks to Contacts ([`CONTACT_RELATION`], both pushed to
//! VibeVessel; one task names every contact, more than a page object shows), besides one to a
//! database that is not synced ([`ASSET_RELATION`]). Tasks' page content is synced too (its
//! registry row ticks `Sync Content`): one task in [`BODY_EVERY`] has a body of headings, lists,
//! a toggle, a table, mentions of a date, a person and a contact, and (one in [`IMAGE_EVERY`]) an
//! image hosted by Notion. [`DemoWorld::references`] reads back what a sync made of them.
//!
//! Everything inside the workspaces is created through the API (with [`NotionClient`]
//! over the fake); only what a person does in Notion's UI uses the fake's admin calls: making the
//! workspaces and integrations, sharing and unsharing pages, revoking tokens. The same
//! [`FakeConfig::seed`](crate::fake::FakeConfig::seed) gives the same IDs, tokens and content.
//!
//! ```
//! use notion_xws_core::demo::DemoWorld;
//! use notion_xws_core::fake::FakeNotion;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let fake = FakeNotion::default();
//! let world = DemoWorld::build(&fake).await?;
//! assert_eq!(world.environments.len(), DemoWorld::ENVIRONMENTS);
//! assert_eq!(world.registry_rows.len(), DemoWorld::DATABASES);
//! // Tokens never print.
//! assert!(!format!("{world:?}").contains(world.control_token.expose()));
//! # Ok::<(), notion_xws_core::Error>(())
//! # }).unwrap();
//! ```
//!
//! [`NotionClient`]: crate::client::NotionClient

mod api;
mod bodies;
mod check;
mod content;
mod plan;
mod story;
mod world;

pub use self::bodies::{BODY_EVERY, IMAGE_EVERY};
pub use self::check::{BodyCheck, DemoReferences, PeopleCheck, RelationCheck};
pub use self::story::{DemoReport, run_demo};
pub use self::world::*;
