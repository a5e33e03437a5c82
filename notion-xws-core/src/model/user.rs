//! Users: people, bots (integrations) and the partial users that `created_by`, `people` values
//! and mentions carry.
//!
//! A full user is `{"object": "user", "id", "name", "avatar_url", "type": "person" | "bot", …}`;
//! a partial user may be only `{"object": "user", "id"}` or `{"id", "type": "bot"}`. `people`
//! values may also hold groups (`"object": "group"`). User IDs are per workspace membership.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::wire::{
    self, JsonMap, JsonObject, Nullable, kind_object, nullable, open_string_enum, put_some,
    serde_via_json_object, typed_payload,
};
use crate::ids::{UserId, WorkspaceId};

open_string_enum! {
    /// The `object` of a user-like value: a user or (in `people` values) a group.
    UserObject {
        /// `"user"`.
        User = "user",
        /// `"group"`.
        Group = "group",
    }
}

/// A user, bot or group, full or partial.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The user's ID (per workspace).
    pub id: UserId,
    /// `object`: `user` or `group`; absent in some partial users and in request bodies.
    pub object: Option<UserObject>,
    /// The display name (absent in partial users).
    pub name: Nullable<String>,
    /// The avatar's URL (absent in partial users).
    pub avatar_url: Nullable<String>,
    /// Person or bot, with its details (absent in partial users).
    pub kind: Option<UserKind>,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// Whether a [`User`] is a person or a bot, with the details Notion sent.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum UserKind {
    /// A person; the details are absent when Notion sent only `"type": "person"`.
    Person(Option<Person>),
    /// A bot (an integration); the details are absent in partial users.
    Bot(Option<Box<Bot>>),
    /// A kind this library does not know, kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

/// The details of a person.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Person {
    /// The person's email (only with the "read user information including email" capability).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub email: Nullable<String>,
    /// Keys this library does not know (`email_verified`, …), kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The details of a bot: who owns it and which workspace it is in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bot {
    /// Who owns the integration: the workspace (internal integrations) or a user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<BotOwner>,
    /// The workspace of the token (a good per-token identity check).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<WorkspaceId>,
    /// The workspace's name.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "nullable")]
    pub workspace_name: Nullable<String>,
    /// Keys this library does not know (`workspace_limits`, …), kept as they came.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// The owner of a bot.
#[derive(Debug, Clone, PartialEq)]
pub struct BotOwner {
    /// Who the owner is.
    pub kind: BotOwnerKind,
    /// Whether the `type` key is written.
    pub explicit_type: bool,
    /// Keys this library does not know, kept as they came.
    pub extra: JsonMap,
}

/// Who owns a bot.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BotOwnerKind {
    /// The workspace (`{"type": "workspace", "workspace": true}`): an internal integration.
    Workspace,
    /// A user (`{"type": "user", "user": {…}}`): a user-owned integration.
    User(Box<User>),
    /// An owner kind this library does not know, kept raw.
    Unknown {
        /// The `type` as Notion wrote it.
        type_name: String,
        /// The value under the key named by `type`, if present.
        payload: Option<Value>,
    },
}

impl User {
    /// A partial user (`{"object": "user", "id": …}`), as `created_by` and `people` carry.
    pub fn partial(id: UserId) -> Self {
        Self {
            id,
            object: Some(UserObject::User),
            name: None,
            avatar_url: None,
            kind: None,
            explicit_type: true,
            extra: JsonMap::new(),
        }
    }

    /// The name, if Notion sent one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_ref()?.as_deref()
    }

    /// The person's email, if Notion sent one.
    pub fn email(&self) -> Option<&str> {
        match &self.kind {
            Some(UserKind::Person(Some(person))) => person.email.as_ref()?.as_deref(),
            _ => None,
        }
    }

    /// The bot's details, if this is a bot and Notion sent them.
    pub fn bot(&self) -> Option<&Bot> {
        match &self.kind {
            Some(UserKind::Bot(bot)) => bot.as_deref(),
            _ => None,
        }
    }
}

typed_payload! {
    UserKind {
        Person = optional "person",
        Bot = optional "bot",
    }
}

impl JsonObject for User {
    fn from_map(mut map: JsonMap) -> Result<Self, serde_json::Error> {
        let id = wire::take_required(&mut map, "id")?;
        let object = wire::take(&mut map, "object")?;
        let name = wire::take(&mut map, "name")?;
        let avatar_url = wire::take(&mut map, "avatar_url")?;
        let (kind, explicit_type) = match wire::read_kind(&mut map)? {
            Some((kind, explicit_type)) => (Some(kind), explicit_type),
            None => (None, false),
        };
        Ok(Self {
            id,
            object,
            name,
            avatar_url,
            kind,
            explicit_type,
            extra: map,
        })
    }

    fn to_map(&self) -> Result<JsonMap, serde_json::Error> {
        let mut map = self.extra.clone();
        put_some(&mut map, "object", &self.object)?;
        wire::put(&mut map, "id", &self.id)?;
        put_some(&mut map, "name", &self.name)?;
        put_some(&mut map, "avatar_url", &self.avatar_url)?;
        if let Some(kind) = &self.kind {
            wire::write_kind(kind, self.explicit_type, &mut map)?;
        }
        Ok(map)
    }
}

typed_payload! {
    BotOwnerKind {
        "workspace",
        "user",
    }
    read(type_name, payload, _rest) {
        "workspace" => match payload {
            Some(Value::Bool(true)) => Self::Workspace,
            payload => Self::Unknown {
                type_name: type_name.to_owned(),
                payload,
            },
        },
        "user" => match payload {
            Some(user) => Self::User(Box::new(wire::payload(type_name, Some(user))?)),
            None => Self::Unknown {
                type_name: type_name.to_owned(),
                payload: None,
            },
        },
    }
    write(out) {
        Self::Workspace => wire::write_payload(out, "workspace", &Some(true)),
        Self::User(user) => wire::write_payload(out, "user", &Some(user)),
    }
}

kind_object!(BotOwner { @kind: "a bot owner" });

serde_via_json_object!(User, BotOwner);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(value: Value) -> User {
        let user: User = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&user).unwrap(), value);
        user
    }

    #[test]
    fn person_with_email() {
        let user = round_trip(json!({
            "object": "user", "id": "a4f789cc-7bc8-4cf0-82b9-a8ba7d985ecf",
            "name": "Guillaume Gelin", "avatar_url": null, "type": "person",
            "person": {"email": "notion@ramnes.eu", "email_verified": true}
        }));
        assert_eq!(user.email(), Some("notion@ramnes.eu"));
        assert_eq!(user.name(), Some("Guillaume Gelin"));
    }

    #[test]
    fn bot_owned_by_the_workspace() {
        let user = round_trip(json!({
            "object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78",
            "name": "notion-sdk-py", "avatar_url": null, "type": "bot",
            "bot": {"owner": {"type": "workspace", "workspace": true},
                    "workspace_name": "notion-sdk-py",
                    "workspace_id": "231674b6-2cc1-46bc-b742-c5c9fe4b9c73",
                    "workspace_limits": {"max_file_upload_size_in_bytes": 5242880}}
        }));
        let bot = user.bot().unwrap();
        assert_eq!(bot.owner.as_ref().unwrap().kind, BotOwnerKind::Workspace);
        assert_eq!(bot.workspace_name, Some(Some("notion-sdk-py".to_owned())));
    }

    #[test]
    fn partial_users_and_groups() {
        round_trip(json!({"object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78"}));
        let bot = round_trip(json!({"id": "7775f3a3-893f-43fa-b625-460c61094c78", "type": "bot"}));
        assert_eq!(bot.kind, Some(UserKind::Bot(None)));
        let group = round_trip(json!({
            "object": "group", "id": "7775f3a3-893f-43fa-b625-460c61094c78", "name": "Team"
        }));
        assert_eq!(group.object, Some(UserObject::Group));
        let unknown = round_trip(json!({
            "object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78",
            "type": "agent", "agent": {"x": 1}
        }));
        assert!(matches!(unknown.kind, Some(UserKind::Unknown { .. })));
    }
}
