//! Property items: the answer of `GET /v1/pages/{id}/properties/{property_id}`.
//!
//! Page objects return at most 25 references per `title`, `rich_text`, `relation`, `people`
//! and rollup value; this endpoint returns the whole value. For those types the answer is a
//! paginated [`PropertyItemList`] whose results hold *one* element each (one rich-text segment,
//! one relation, one user) and whose `property_item` says which property it is; for the other
//! types it is a single [`PropertyItem`] holding the whole value.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::list::List;
use super::reference::Reference;
use super::rich_text::RichText;
use super::user::User;
use super::value::PropertyValueKind;
use super::wire::{
    self, JsonMap, JsonObject, Nullable, TypedPayload, nullable, object_tag, put_some,
    serde_via_json_object,
};
use crate::ids::{PageId, PropertyId};

object_tag!(
    /// The `object` of a property item: `"property_item"`.
    PropertyItemObject = "property_item"
);

/// One property item.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyItem {
    /// The property's ID.
    pub id: Option<PropertyId>,
    /// The item.
    pub item: PropertyItemKind,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// What a [`PropertyItem`] holds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PropertyItemKind {
    /// One segment of a title (paginated).
    Title(RichText),
    /// One segment of a rich-text value (paginated).
    RichText(RichText),
    /// One related page (paginated).
    Relation(Reference<PageId>),
    /// One person (paginated).
    People(User),
    /// A whole value of another type (number, select, rollup, …; unknown types kept raw).
    Value(PropertyValueKind),
}

/// A paginated list of property items, with the property it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyItemList {
    /// Which property the items belong to (and, for rollups, the rolled-up result).
    pub property_item: PropertyItemListInfo,
    /// The list.
    #[serde(flatten)]
    pub list: List<PropertyItem>,
}

/// The `property_item` of a [`PropertyItemList`]: `{"id", "type", "next_url", "<type>": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyItemListInfo {
    /// The property's ID.
    pub id: PropertyId,
    /// The property's type.
    #[serde(rename = "type")]
    pub property_type: String,
    /// The URL of the next page, if any.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub next_url: Nullable<String>,
    /// Keys this library does not know (the `"<type>"` payload, …), kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The answer of `GET /v1/pages/{id}/properties/{property_id}`: one item or a list.
#[derive(Debug, Clone, PartialEq)]
pub enum PropertyItemResponse {
    /// A whole value (`"object": "property_item"`).
    Item(Box<PropertyItem>),
    /// A page of a paginated value (`"object": "list"`).
    List(Box<PropertyItemList>),
}

impl TypedPayload for PropertyItemKind {
    const KNOWN_TYPES: &'static [&'static str] = PropertyValueKind::KNOWN_TYPES;

    fn read(
        type_name: &str,
        payload: Option<Value>,
        rest: &mut JsonMap,
    ) -> Result<Self, serde_json::Error> {
        Ok(match type_name {
            "title" => Self::Title(wire::payload(type_name, payload)?),
            "rich_text" => Self::RichText(wire::payload(type_name, payload)?),
            "relation" => Self::Relation(wire::payload(type_name, payload)?),
            "people" => Self::People(wire::payload(type_name, payload)?),
            _ => Self::Value(PropertyValueKind::read(type_name, payload, rest)?),
        })
    }

    fn write(&self, out: &mut JsonMap) -> Result<String, serde_json::Error> {
        match self {
            Self::Title(text) => wire::write_payload(out, "title", &Some(text)),
            Self::RichText(text) => wire::write_payload(out, "rich_text", &Some(text)),
            Self::Relation(page) => wire::write_payload(out, "relation", &Some(page)),
            Self::People(user) => wire::write_payload(out, "people", &Some(user)),
            Self::Value(value) => value.write(out),
        }
    }
}

impl JsonObject for PropertyItem {
    fn from_map(mut map: JsonMap) -> Result<Self, serde_json::Error> {
        let _: PropertyItemObject = wire::take_required(&mut map, "object")?;
        let id = wire::take(&mut map, "id")?;
        let (item, explicit_type) = wire::read_required_kind(&mut map, "a property item")?;
        Ok(Self {
            id,
            item,
            explicit_type,
            extra: map,
        })
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        let mut map = self.extra.clone();
        wire::put(&mut map, "object", &PropertyItemObject)?;
        put_some(&mut map, "id", &self.id)?;
        wire::write_kind(&self.item, self.explicit_type, &mut map)?;
        Ok(map)
    }
}

impl JsonObject for PropertyItemResponse {
    fn from_map(map: JsonMap) -> Result<Self, serde_json::Error> {
        if map.get("object").and_then(Value::as_str) == Some("list") {
            Ok(Self::List(Box::new(wire::from_map(map)?)))
        } else {
            Ok(Self::Item(Box::new(PropertyItem::from_map(map)?)))
        }
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        match self {
            Self::Item(item) => item.to_map(),
            Self::List(list) => wire::to_map(list),
        }
    }
}

serde_via_json_object!(PropertyItem, PropertyItemResponse);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paginated_title_holds_one_segment_per_item() {
        let value = json!({
            "object": "list",
            "results": [{"object": "property_item", "type": "title", "id": "title",
                         "title": {"type": "text", "text": {"content": "Hello", "link": null},
                                   "plain_text": "Hello", "href": null}}],
            "next_cursor": null, "has_more": false, "type": "property_item",
            "property_item": {"id": "title", "next_url": null, "type": "title", "title": {}},
            "request_id": "30ff7043-c18b-4a02-ba0a-e0a97cf7cf3e"
        });
        let response: PropertyItemResponse = serde_json::from_value(value.clone()).unwrap();
        let PropertyItemResponse::List(list) = &response else {
            panic!("not a list: {response:?}");
        };
        assert_eq!(list.property_item.property_type, "title");
        assert!(matches!(
            list.list.results[0].item,
            PropertyItemKind::Title(_)
        ));
        assert_eq!(serde_json::to_value(&response).unwrap(), value);
    }

    #[test]
    fn single_item_holds_the_whole_value() {
        let value = json!({"object": "property_item", "id": "n", "type": "number", "number": 3});
        let response: PropertyItemResponse = serde_json::from_value(value.clone()).unwrap();
        let PropertyItemResponse::Item(item) = &response else {
            panic!("not an item: {response:?}");
        };
        assert!(matches!(
            item.item,
            PropertyItemKind::Value(PropertyValueKind::Number(Some(_)))
        ));
        assert_eq!(serde_json::to_value(&response).unwrap(), value);
        let relation = json!({"object": "property_item", "id": "r", "type": "relation",
                              "relation": {"id": "393abc1e-edcd-8181-8d59-e30a27148c69"}});
        let item: PropertyItem = serde_json::from_value(relation.clone()).unwrap();
        assert_eq!(serde_json::to_value(&item).unwrap(), relation);
    }
}
