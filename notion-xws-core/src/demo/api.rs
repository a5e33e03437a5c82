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
use crate::ids::{DataSourceId, DatabaseId, ObjectId, PageId};
use crate::secret::NotionToken;
use crate::transport::Method;

/// One integration's calls.
#[derive(Debug, Clone)]
pub(super) struct DemoApi {
    client: NotionClient,
}

/// The ID at `pointer` in an answer to `what`.
fn id_at(body: &Value, pointer: &str, what: &str) -> Result<ObjectId> {
    let text = body
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Decode {
            what: what.to_owned(),
            message: format!("no `{pointer}` in the answer"),
        })?;
    Ok(ObjectId::parse(text)?)
}

impl DemoApi {
    /// The calls of `token`'s integration on `fake`.
    pub(super) fn new(fake: &FakeNotion, token: &NotionToken) -> Self {
        Self {
            client: NotionClient::new(Arc::new(fake.clone()), token.clone()),
        }
    }

    async fn call(&self, method: Method, path: String, body: Value) -> Result<Value> {
        let request = self.client.request(method, path).with_body(body);
        self.client.send(request).await
    }

    /// `POST /v1/pages`: a page titled `title` under `parent`.
    pub(super) async fn page(&self, parent: PageId, title: &str) -> Result<PageId> {
        let body = json!({
            "parent": {"page_id": parent.to_string()},
            "properties": {"title": text(title)},
        });
        let page = self.call(Method::Post, "/v1/pages".into(), body).await?;
        Ok(id_at(&page, "/id", "a new page")?.into())
    }

    /// `POST /v1/databases`: a database titled `title` under `parent`, with `properties` as the
    /// schema of its first data source.
    pub(super) async fn database(
        &self,
        parent: PageId,
        title: &str,
        properties: Value,
    ) -> Result<DemoDatabase> {
        let body = json!({
            "parent": {"type": "page_id", "page_id": parent.to_string()},
            "title": text(title),
            "initial_data_source": {"properties": properties},
        });
        let database = self
            .call(Method::Post, "/v1/databases".into(), body)
            .await?;
        let what = format!("the new database {title:?}");
        Ok(DemoDatabase {
            database_id: DatabaseId::from(id_at(&database, "/id", &what)?),
            data_source_id: DataSourceId::from(id_at(&database, "/data_sources/0/id", &what)?),
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
        let source = self
            .call(Method::Post, "/v1/data_sources".into(), body)
            .await?;
        Ok(id_at(&source, "/id", "a new data source")?.into())
    }

    /// `PATCH /v1/data_sources/{id}`: adds (or changes) the columns `properties` of `source`.
    pub(super) async fn add_columns(&self, source: DataSourceId, properties: Value) -> Result<()> {
        let body = json!({ "properties": properties });
        self.call(Method::Patch, format!("/v1/data_sources/{source}"), body)
            .await?;
        Ok(())
    }

    /// `POST /v1/pages`: a row of `source` with `properties`.
    pub(super) async fn row(&self, source: DataSourceId, properties: Value) -> Result<PageId> {
        let body = json!({
            "parent": {"type": "data_source_id", "data_source_id": source.to_string()},
            "properties": properties,
        });
        let page = self.call(Method::Post, "/v1/pages".into(), body).await?;
        Ok(id_at(&page, "/id", "a new row")?.into())
    }
}
