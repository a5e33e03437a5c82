//! The few API calls the demo is built with, as one integration would make them: pages under
//! pages, databases with their first data source, a further data source, columns added, rows.
//! Every call goes through [`NotionClient`] over the fake, so every object of the demo is made
//! through the API (and counted in the fake's request log).

use std::sync::Arc;

use serde_json::{Value, json};

use super::DemoDatabase;
use super::content::text;
use crate::client::NotionClient;
use crate::error::{Error, Result};
use crate::fake::FakeNotion;
use crate::ids::{DataSourceId, DatabaseId, FileUploadId, PageId};
use crate::model::params::{
    AppendBlockChildren, CreateDataSource, CreateDatabase, CreateFileUpload, InitialDataSource,
};
use crate::model::{FileUploadStatus, Parent, RichText};
use crate::secret::NotionToken;

/// One integration's calls.
#[derive(Debug, Clone)]
pub(super) struct DemoApi {
    client: NotionClient,
}

impl DemoApi {
    /// The calls of `token`'s integration on `fake`.
    pub(super) fn new(fake: &FakeNotion, token: &NotionToken) -> Self {
        Self {
            client: NotionClient::new(Arc::new(fake.clone()), token.clone()),
        }
    }

    /// `POST /v1/pages`: a page titled `title` under `parent`.
    pub(super) async fn page(&self, parent: PageId, title: &str) -> Result<PageId> {
        let body = json!({
            "parent": {"page_id": parent.to_string()},
            "properties": {"title": text(title)},
        });
        Ok(self.client.create_page_json(body).await?.id)
    }

    /// `POST /v1/databases`: a database titled `title` under `parent`, with `properties` as the
    /// schema of its first data source.
    pub(super) async fn database(
        &self,
        parent: PageId,
        title: &str,
        properties: Value,
    ) -> Result<DemoDatabase> {
        let properties = serde_json::from_value(properties).map_err(|e| Error::Decode {
            what: format!("the schema of the database {title:?} to create"),
            message: e.to_string(),
        })?;
        let mut body = CreateDatabase::new(Parent::page(parent));
        body.title = Some(vec![RichText::text(title)]);
        body.initial_data_source = Some(InitialDataSource {
            properties,
            ..InitialDataSource::default()
        });
        let database = self.client.create_database(&body).await?;
        let data_source_id =
            database
                .data_source_ids()
                .first()
                .copied()
                .ok_or_else(|| Error::Decode {
                    what: format!("the new database {title:?}"),
                    message: "it lists no data source".into(),
                })?;
        Ok(DemoDatabase {
            database_id: database.id,
            data_source_id,
        })
    }

    /// `POST /v1/data_sources`: a further data source of `database`.
    pub(super) async fn data_source(
        &self,
        database: DatabaseId,
        title: &str,
        properties: Value,
    ) -> Result<DataSourceId> {
        let body = json!({
            "parent": {"type": "database_id", "database_id": database.to_string()},
            "title": text(title),
            "properties": properties,
        });
        let body: CreateDataSource = serde_json::from_value(body).map_err(|e| Error::Decode {
            what: format!("the data source {title:?} to create"),
            message: e.to_string(),
        })?;
        Ok(self.client.create_data_source(&body).await?.id)
    }

    /// `PATCH /v1/data_sources/{id}`: adds (or changes) the columns `properties` of `source`.
    pub(super) async fn add_columns(&self, source: DataSourceId, properties: Value) -> Result<()> {
        self.client
            .set_data_source_properties(source, properties)
            .await
            .map(drop)
    }

    /// `POST /v1/pages`: a row of `source` with `properties`.
    pub(super) async fn row(&self, source: DataSourceId, properties: Value) -> Result<PageId> {
        let body = json!({
            "parent": {"type": "data_source_id", "data_source_id": source.to_string()},
            "properties": properties,
        });
        Ok(self.client.create_page_json(body).await?.id)
    }

    /// `POST /v1/file_uploads`: a file Notion fetches from `url`, named `name`.
    pub(super) async fn upload_from_url(&self, url: &str, name: &str) -> Result<FileUploadId> {
        let upload = CreateFileUpload::from_external_url(url, name);
        Ok(self.client.create_file_upload(&upload).await?.id)
    }

    /// `GET /v1/file_uploads/{id}` until the upload is `uploaded` (an import takes a moment), or
    /// an error when it ends otherwise.
    pub(super) async fn wait_uploaded(&self, id: FileUploadId) -> Result<()> {
        loop {
            let upload = self.client.file_upload(id).await?;
            match upload.status {
                FileUploadStatus::Uploaded => return Ok(()),
                FileUploadStatus::Pending => {
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                other => {
                    return Err(Error::Config(format!(
                        "the demo's upload {id} ended {other:?}"
                    )));
                }
            }
        }
    }

    /// `PATCH /v1/blocks/{id}/children`: `children` appended to the page `page`.
    pub(super) async fn append(&self, page: PageId, children: Vec<Value>) -> Result<()> {
        let children = AppendBlockChildren {
            children,
            position: None,
            extra: Default::default(),
        };
        self.client
            .append_block_children(page.into(), &children)
            .await
            .map(drop)
    }
}
