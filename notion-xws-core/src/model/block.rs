//! Blocks: the content of pages (paragraphs, headings, child pages, child databases, …).
//!
//! The common fields are typed (`id`, `type`, `has_children`, `in_trash`, `parent`, times and
//! users); the type's payload (`"paragraph": {…}`) is kept as JSON, since the sync copies rows,
//! not page content. API version 2026-03-11 renamed the block type `transcription` to
//! `meeting_notes`; both are kept as they came.

use serde_json::Value;

use super::parent::Parent;
use super::trash::TrashFlags;
use super::user::User;
use super::wire::{self, JsonMap, JsonObject, object_tag, put_some, serde_via_json_object};
use crate::ids::BlockId;

object_tag!(
    /// The `object` of a block: `"block"`.
    BlockObject = "block"
);

/// A block object.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// The block's ID (a page's ID is also a block ID).
    pub id: BlockId,
    /// The block's parent.
    pub parent: Option<Parent>,
    /// When the block was created (ISO 8601).
    pub created_time: Option<String>,
    /// When the block was last edited (ISO 8601).
    pub last_edited_time: Option<String>,
    /// Who created the block (a partial user).
    pub created_by: Option<User>,
    /// Who last edited the block (a partial user).
    pub last_edited_by: Option<User>,
    /// Whether the block has children (list them to recurse).
    pub has_children: bool,
    /// `in_trash` / `archived`.
    pub trash: TrashFlags,
    /// The block type (`paragraph`, `child_page`, `child_database`, …).
    pub block_type: String,
    /// The payload under the key named by the type, as JSON.
    pub content: Option<Value>,
    /// Keys this library does not know (`request_id`, …), kept as they came.
    pub extra: JsonMap,
}

impl Block {
    /// Whether the block is in the trash (`in_trash`, else `archived`).
    pub fn in_trash(&self) -> bool {
        self.trash.in_trash()
    }
}

impl JsonObject for Block {
    fn from_map(mut map: JsonMap) -> Result<Self, serde_json::Error> {
        let _: BlockObject = wire::take_required(&mut map, "object")?;
        let block_type: String = wire::take_required(&mut map, "type")?;
        Ok(Self {
            id: wire::take_required(&mut map, "id")?,
            parent: wire::take(&mut map, "parent")?,
            created_time: wire::take(&mut map, "created_time")?,
            last_edited_time: wire::take(&mut map, "last_edited_time")?,
            created_by: wire::take(&mut map, "created_by")?,
            last_edited_by: wire::take(&mut map, "last_edited_by")?,
            has_children: wire::take_required(&mut map, "has_children")?,
            trash: TrashFlags {
                in_trash: wire::take(&mut map, "in_trash")?,
                archived: wire::take(&mut map, "archived")?,
            },
            content: map.remove(&block_type),
            block_type,
            extra: map,
        })
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        let mut map = self.extra.clone();
        wire::put(&mut map, "object", &BlockObject)?;
        wire::put(&mut map, "id", &self.id)?;
        put_some(&mut map, "parent", &self.parent)?;
        put_some(&mut map, "created_time", &self.created_time)?;
        put_some(&mut map, "last_edited_time", &self.last_edited_time)?;
        put_some(&mut map, "created_by", &self.created_by)?;
        put_some(&mut map, "last_edited_by", &self.last_edited_by)?;
        wire::put(&mut map, "has_children", &self.has_children)?;
        put_some(&mut map, "in_trash", &self.trash.in_trash)?;
        put_some(&mut map, "archived", &self.trash.archived)?;
        wire::put(&mut map, "type", &self.block_type)?;
        put_some(&mut map, &self.block_type, &self.content)?;
        Ok(map)
    }
}

serde_via_json_object!(Block);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_keeps_its_payload_and_trash_keys() {
        let value = json!({
            "object": "block", "id": "393abc1e-edcd-8181-8d59-e30a27148c69",
            "parent": {"type": "page_id", "page_id": "393abc1e-edcd-80f3-813b-e205934558c6"},
            "created_time": "2026-07-04T09:08:00.000Z", "last_edited_time": "2026-07-04T09:08:00.000Z",
            "created_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
            "last_edited_by": {"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"},
            "has_children": false, "in_trash": true, "type": "child_page",
            "child_page": {"title": "Test Page"}, "archived": true,
            "request_id": "3103b265-8480-4874-ae94-746a57ba5f61"
        });
        let block: Block = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(block.block_type, "child_page");
        assert!(block.in_trash());
        assert_eq!(block.content, Some(json!({"title": "Test Page"})));
        assert_eq!(serde_json::to_value(&block).unwrap(), value);
    }
}
