//! Typed wire models of the Notion API (serde): pages, databases, data sources, property schemas
//! and values, rich text, users, files, blocks, file uploads, property items, lists, errors, and
//! the request bodies in [`params`].
//!
//! The models follow API version 2026-03-11 and also read 2025-09-03 responses (which add
//! `archived` next to `in_trash`). They are **lossless**: every struct keeps the keys it does not
//! know in an `extra` map, every tagged enum keeps kinds it does not know raw (`Unknown`), and
//! keys that were absent stay absent, so a value read from Notion serialises back to the same
//! JSON. That is what lets the sync copy what it does not understand, and what the fixture tests
//! check against recorded responses.
//!
//! ```
//! use notion_xws_core::model::{Page, PropertyValueKind};
//!
//! let json = serde_json::json!({
//!     "object": "page", "id": "393abc1e-edcd-8181-8d59-e30a27148c69",
//!     "created_time": "2026-07-04T09:08:00.000Z", "last_edited_time": "2026-07-04T09:08:00.000Z",
//!     "parent": {"type": "data_source_id", "data_source_id": "393abc1e-edcd-8179-9372-000bd163e729",
//!                "database_id": "3e631832-5efa-4702-8171-8b8a0e6651ba"},
//!     "properties": {"Hours": {"id": "h", "type": "number", "number": 3},
//!                    "Mood": {"id": "m", "type": "vibes", "vibes": {"level": 11}}},
//!     "icon": null, "cover": null, "url": "https://app.notion.com/p/393abc1eedcd81818d59e30a27148c69",
//!     "public_url": null, "in_trash": false, "archived": false
//! });
//! let page: Page = serde_json::from_value(json.clone())?;
//! assert!(matches!(page.properties["Hours"].value, PropertyValueKind::Number(Some(_))));
//! assert_eq!(page.properties["Mood"].type_name(), "vibes"); // unknown type, kept raw
//! assert_eq!(serde_json::to_value(&page)?, json); // written back unchanged
//! # Ok::<(), serde_json::Error>(())
//! ```

mod block;
mod data_source;
mod database;
mod file;
mod file_upload;
mod list;
mod object;
mod page;
pub mod params;
mod parent;
mod property;
mod property_item;
mod reference;
mod rich_text;
mod search;
mod trash;
mod user;
mod value;
mod wire;

pub use block::{Block, BlockObject};
pub use data_source::{DataSource, DataSourceObject};
pub use database::{DataSourceRef, Database, DatabaseObject};
pub use file::{Cover, CustomEmoji, ExternalFile, FileObject, FileSource, HostedFile, Icon};
pub use file_upload::{FileUpload, FileUploadObject, FileUploadStatus};
pub use list::{List, ListObject, RequestStatus, RequestStatusType};
pub use object::{ErrorObject, ErrorResponse, NotionObject};
pub use page::{Page, PageObject};
pub use parent::{Parent, ParentKind};
pub use property::{
    DualPropertyRelation, EmptyConfig, FormulaConfig, NumberConfig, PropertyConfig,
    PropertyConfigKind, RelationConfig, RelationKind, RollupConfig, SelectConfig, SelectOption,
    StatusConfig, StatusGroup, UniqueIdConfig,
};
pub use property_item::{
    PropertyItem, PropertyItemKind, PropertyItemList, PropertyItemListInfo, PropertyItemObject,
    PropertyItemResponse,
};
pub use reference::Reference;
pub use rich_text::{
    Annotations, Equation, Link, Mention, MentionKind, RichText, RichTextContent, TEXT_ITEM_LIMIT,
    TEXT_ITEMS_LIMIT, TextContent, split_utf16,
};
pub use search::SearchResult;
pub use trash::TrashFlags;
pub use user::{Bot, BotOwner, BotOwnerKind, Person, User, UserKind, UserObject};
pub use value::{
    DateValue, FormulaResult, FormulaValue, PlaceValue, PropertyValue, PropertyValueKind,
    RollupResult, RollupValue, SelectValue, UniqueIdValue, VerificationValue,
};
pub use wire::{JsonMap, Nullable};
