//! The writes the sync and the repair send, with bodies in raw JSON where a planner made them,
//! and the one rule for a write whose outcome is unknown.
//!
//! A write whose answer never came (a timeout, a 5xx: [`Error::AmbiguousWrite`]) may or may
//! not have been applied. What may be done about it depends on the write alone, and is decided
//! here, by [`Write::on_unknown`]:
//!
//! | write | outcome unknown | why |
//! |---|---|---|
//! | update a page (its properties, or `in_trash` without a mark) | send again, once | it sets values: twice is once |
//! | update a data source's schema | send again, once | it sets the columns it names |
//! | trash a page (with its mark) | read the page back; send again only if it is not in the trash | a page in the trash takes no edit |
//! | create a page | read back: look its key up, after Notion's read-after-write lag | a second create would duplicate the row |
//! | create a database | read back: find it among the parent's children by its marker | a second create would duplicate the copy |
//! | update a block (`PATCH /v1/blocks/{id}` with its type's fields) | send again, once | it sets values: twice is once |
//! | append blocks | never again in this run: the body is brought up to date from a fresh read | a second append would duplicate the blocks |
//! | delete a block | never again in this run: the next run deletes what is left | a deleted block answers 404 |
//!
//! The test `unknown_outcomes_follow_the_table` checks [`Write::on_unknown`] against it. Sending
//! again is [`again_if_unknown`]; reading back needs what the caller knows (a key, a marker), so
//! it is the caller's, following the rule.

use std::future::Future;

use serde_json::{Value, json};

use super::{NotionClient, NotionVersion};
use crate::error::{Error, Result};
use crate::ids::{BlockId, DataSourceId, PageId};
use crate::model::params::BlockPosition;
use crate::model::{Block, Database, List, Page};
use crate::transport::Method;

/// A write the product sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Write {
    /// `PATCH /v1/pages/{id}` with properties, or `in_trash` without a mark.
    UpdatePage,
    /// `PATCH /v1/data_sources/{id}` with properties.
    UpdateDataSource,
    /// `PATCH /v1/pages/{id}` with `in_trash: true` and the mark of a row the sync trashed.
    TrashPage,
    /// `POST /v1/pages`.
    CreatePage,
    /// `POST /v1/databases`.
    CreateDatabase,
    /// `PATCH /v1/blocks/{id}` with the fields of its type.
    UpdateBlock,
    /// `PATCH /v1/blocks/{id}/children`.
    AppendBlocks,
    /// `DELETE /v1/blocks/{id}`.
    DeleteBlock,
}

/// What may be done about a write whose outcome is unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnUnknown {
    /// Send it again, once: it sets values, so twice is the same as once.
    SendAgain,
    /// Read the target back to learn whether it was applied; send again only if it was not.
    ReadBack,
    /// Do not send it again in this run; the next run finds what is left and finishes.
    LeaveToNextRun,
}

impl Write {
    /// The rule for this write when its outcome is unknown (see the [module documentation](self)).
    pub const fn on_unknown(self) -> OnUnknown {
        match self {
            Self::UpdatePage | Self::UpdateDataSource | Self::UpdateBlock => OnUnknown::SendAgain,
            Self::TrashPage | Self::CreatePage | Self::CreateDatabase => OnUnknown::ReadBack,
            Self::AppendBlocks | Self::DeleteBlock => OnUnknown::LeaveToNextRun,
        }
    }
}

/// Sends a write whose rule is [`OnUnknown::SendAgain`], and once more if its outcome is
/// unknown. Returns whether it had to (the write was settled).
pub async fn again_if_unknown<T, F, Fut>(write: Write, send: F) -> Result<(T, bool)>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    debug_assert_eq!(write.on_unknown(), OnUnknown::SendAgain, "{write:?}");
    match send().await {
        Ok(answer) => Ok((answer, false)),
        Err(Error::AmbiguousWrite { .. }) => send().await.map(|answer| (answer, true)),
        Err(error) => Err(error),
    }
}

impl NotionClient {
    /// `POST /v1/pages` with a body made by a planner. Sent once ([`Write::CreatePage`]).
    pub async fn create_page_json(&self, body: Value) -> Result<Page> {
        self.send(self.request(Method::Post, "/v1/pages").with_body(body))
            .await
    }

    /// `PATCH /v1/pages/{id}` with a body made by a planner (properties, `in_trash`). Sent once;
    /// see [`Write::UpdatePage`] and [`Write::TrashPage`] for what to do when its outcome is
    /// unknown.
    pub async fn update_page_json(&self, page: PageId, body: Value) -> Result<Value> {
        self.send(
            self.request(Method::Patch, format!("/v1/pages/{page}"))
                .with_body(body),
        )
        .await
    }

    /// Sets fields of a page (`properties`, `in_trash`), sent once more if the outcome is
    /// unknown ([`Write::UpdatePage`]). Returns whether it had to.
    pub async fn set_page(&self, page: PageId, body: Value) -> Result<bool> {
        again_if_unknown(Write::UpdatePage, || {
            self.update_page_json(page, body.clone())
        })
        .await
        .map(|(_, settled)| settled)
    }

    /// Sets properties of a page, as [`set_page`](Self::set_page) does.
    pub async fn set_page_properties(&self, page: PageId, properties: Value) -> Result<bool> {
        self.set_page(page, json!({ "properties": properties }))
            .await
    }

    /// Sets columns of a data source's schema, sent once more if the outcome is unknown
    /// ([`Write::UpdateDataSource`]). Returns whether it had to.
    pub async fn set_data_source_properties(
        &self,
        data_source: DataSourceId,
        properties: Value,
    ) -> Result<bool> {
        self.change_columns(data_source, properties)
            .await
            .map(|(_, settled)| settled)
    }

    /// [`set_data_source_properties`](Self::set_data_source_properties), with the data source
    /// as Notion answers it (its schema after the change).
    pub async fn change_columns(
        &self,
        data_source: DataSourceId,
        properties: Value,
    ) -> Result<(crate::model::DataSource, bool)> {
        let body = json!({ "properties": properties });
        again_if_unknown(Write::UpdateDataSource, || async {
            self.send(
                self.request(Method::Patch, format!("/v1/data_sources/{data_source}"))
                    .with_body(body.clone()),
            )
            .await
        })
        .await
    }

    /// `POST /v1/databases` with a body made by a planner. Sent once ([`Write::CreateDatabase`]).
    pub async fn create_database_json(&self, body: Value) -> Result<Database> {
        self.send(self.request(Method::Post, "/v1/databases").with_body(body))
            .await
    }

    /// `PATCH /v1/blocks/{id}/children` with blocks made by a planner (at most 100). Sent once
    /// ([`Write::AppendBlocks`]).
    pub async fn append_block_children_json(
        &self,
        parent: BlockId,
        children: Value,
    ) -> Result<List<Block>> {
        self.send(
            self.request(Method::Patch, format!("/v1/blocks/{parent}/children"))
                .with_body(json!({ "children": children })),
        )
        .await
    }

    /// `PATCH /v1/blocks/{id}/children` with blocks made by a planner (at most 100), placed at
    /// `position` (`None`: at the end). API 2026-03-11 and later take `position`; older versions
    /// take `after` (a block to follow) and have no way to say "first": there the blocks go at the
    /// end. Sent once ([`Write::AppendBlocks`]).
    pub async fn append_block_children_at(
        &self,
        parent: BlockId,
        children: Value,
        position: Option<BlockPosition>,
    ) -> Result<List<Block>> {
        let mut body = json!({ "children": children });
        let positioned = self.version().as_str() >= NotionVersion::LATEST;
        match (position, positioned) {
            (Some(BlockPosition::AfterBlock { after_block }), true) => {
                body["position"] =
                    json!({"type": "after_block", "after_block": {"id": after_block.id}});
            }
            (Some(BlockPosition::AfterBlock { after_block }), false) => {
                body["after"] = json!(after_block.id);
            }
            (Some(BlockPosition::Start), true) => body["position"] = json!({"type": "start"}),
            _ => {}
        }
        self.send(
            self.request(Method::Patch, format!("/v1/blocks/{parent}/children"))
                .with_body(body),
        )
        .await
    }

    /// `PATCH /v1/blocks/{id}` with the fields of its type (`{"paragraph": {"rich_text": …}}`),
    /// sent once more if the outcome is unknown ([`Write::UpdateBlock`]).
    pub async fn set_block(&self, block: BlockId, body: Value) -> Result<Block> {
        again_if_unknown(Write::UpdateBlock, || async {
            self.send::<Block>(
                self.request(Method::Patch, format!("/v1/blocks/{block}"))
                    .with_body(body.clone()),
            )
            .await
        })
        .await
        .map(|(block, _)| block)
    }

    /// `DELETE /v1/blocks/{id}`: moves a block to the trash. Sent once ([`Write::DeleteBlock`]).
    pub async fn delete_block(&self, block: BlockId) -> Result<Value> {
        self.send(self.request(Method::Delete, format!("/v1/blocks/{block}")))
            .await
    }

    /// `GET /v1/blocks/{id}`: one block (a media block's fresh file link, say).
    pub async fn block(&self, block: BlockId) -> Result<Block> {
        self.send(self.request(Method::Get, format!("/v1/blocks/{block}")))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_outcomes_follow_the_table() {
        use OnUnknown::*;
        for (write, rule) in [
            (Write::UpdatePage, SendAgain),
            (Write::UpdateDataSource, SendAgain),
            (Write::UpdateBlock, SendAgain),
            (Write::TrashPage, ReadBack),
            (Write::CreatePage, ReadBack),
            (Write::CreateDatabase, ReadBack),
            (Write::AppendBlocks, LeaveToNextRun),
            (Write::DeleteBlock, LeaveToNextRun),
        ] {
            assert_eq!(write.on_unknown(), rule, "{write:?}");
        }
    }
}
