//! The typed operations of [`NotionClient`], one method per Notion endpoint the library uses.

use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde::Serialize;

use super::NotionClient;
use super::pagination::{paginate, query_all, query_changed_since};
use crate::error::{Error, Result};
use crate::ids::{BlockId, DataSourceId, DatabaseId, FileUploadId, PageId, PropertyId};
use crate::model::params::{
    AppendBlockChildren, CreateDataSource, CreateDatabase, CreateFileUpload, CreatePage, Filter,
    QueryDataSource, Search, SearchFilter, SearchObjectKind, UpdateDataSource, UpdateDatabase,
    UpdatePage,
};
use crate::model::{
    Block, DataSource, Database, FileUpload, List, Page, Parent, PropertyItemResponse,
    SearchResult, User,
};
use crate::transport::{FormData, Method};

/// Serialises a request body.
fn body<T: Serialize>(what: &str, value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::Decode {
        what: what.to_owned(),
        message: e.to_string(),
    })
}

/// Who a token is, as `notion-xws me` and Python's `Client.me()` say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identity {
    /// The bot's user ID.
    pub id: String,
    /// The bot's name.
    pub name: Option<String>,
    /// The workspace of the token.
    pub workspace_id: Option<String>,
    /// That workspace's name.
    pub workspace_name: Option<String>,
}

impl NotionClient {
    /// `GET /v1/users/me`: the token's bot, with its workspace. The way to check a token.
    pub async fn me(&self) -> Result<User> {
        self.send(self.request(Method::Get, "/v1/users/me")).await
    }

    /// The ID of the token's bot user: asked once ([`me`](Self::me)) unless the client was made
    /// knowing it ([`knowing_bot`](Self::knowing_bot)), then known to this client, its clones
    /// and the clients made from it over another transport ([`over`](Self::over)). A token's
    /// bot does not change; to check that a token still works, ask [`me`](Self::me).
    pub async fn bot_id(&self) -> Result<crate::ids::UserId> {
        self.bot
            .get_or_try_init(|| async { Ok(self.me().await?.id) })
            .await
            .copied()
    }

    /// Who the token is ([`me`](Self::me), in short).
    pub async fn identity(&self) -> Result<Identity> {
        let user = self.me().await?;
        let bot = user.bot();
        Ok(Identity {
            id: user.id.to_string(),
            name: user.name.clone().flatten(),
            workspace_id: bot.and_then(|b| b.workspace_id).map(|id| id.to_string()),
            workspace_name: bot.and_then(|b| b.workspace_name.clone().flatten()),
        })
    }

    /// `GET /v1/users`: every user of the workspace (emails only with the capability to read
    /// them).
    pub fn users(&self) -> BoxStream<'static, Result<User>> {
        paginate(self, self.request(Method::Get, "/v1/users")).boxed()
    }

    /// `POST /v1/search`: every page and data source shared with the integration whose title
    /// matches `search.query`.
    pub fn search(&self, search: &Search) -> Result<BoxStream<'static, Result<SearchResult>>> {
        let request = self
            .request(Method::Post, "/v1/search")
            .with_body(body("a search", search)?);
        Ok(paginate(self, request).boxed())
    }

    /// Every data source whose (database) title contains `query`.
    pub fn search_data_sources(&self, query: &str) -> BoxStream<'static, Result<DataSource>> {
        self.search_kind(query, SearchObjectKind::DataSource, |result| match result {
            SearchResult::DataSource(source) => Some(*source),
            _ => None,
        })
    }

    /// Every page whose title contains `query`.
    pub fn search_pages(&self, query: &str) -> BoxStream<'static, Result<Page>> {
        self.search_kind(query, SearchObjectKind::Page, |result| match result {
            SearchResult::Page(page) => Some(*page),
            _ => None,
        })
    }

    fn search_kind<T: Send + 'static>(
        &self,
        query: &str,
        kind: SearchObjectKind,
        pick: fn(SearchResult) -> Option<T>,
    ) -> BoxStream<'static, Result<T>> {
        let search = Search {
            query: Some(query.to_owned()),
            filter: Some(SearchFilter::only(kind)),
            ..Search::default()
        };
        let skipped = self.skipped().clone();
        match self.search(&search) {
            Ok(results) => results
                .filter_map(move |result| {
                    if let Ok(other @ SearchResult::Other(_)) = &result {
                        skipped.note(other.object(), "POST /v1/search");
                    }
                    async move { result.map(pick).transpose() }
                })
                .boxed(),
            Err(error) => futures::stream::once(async { Err(error) }).boxed(),
        }
    }

    /// `GET /v1/databases/{id}`: the database, with the IDs of its data sources.
    pub async fn database(&self, id: DatabaseId) -> Result<Database> {
        self.send(self.request(Method::Get, format!("/v1/databases/{id}")))
            .await
    }

    /// `POST /v1/databases`: a new database and its first data source.
    pub async fn create_database(&self, database: &CreateDatabase) -> Result<Database> {
        let request = self
            .request(Method::Post, "/v1/databases")
            .with_body(body("a database", database)?);
        self.send(request).await
    }

    /// `PATCH /v1/databases/{id}`: changes the container (title, icon, trash, lock, parent).
    pub async fn update_database(
        &self,
        id: DatabaseId,
        update: &UpdateDatabase,
    ) -> Result<Database> {
        let request = self
            .request(Method::Patch, format!("/v1/databases/{id}"))
            .with_body(body("a database change", update)?);
        self.send(request).await
    }

    /// Moves a database under another page (`PATCH /v1/databases/{id}` with `parent`): it leaves
    /// its old page's children and reads the new parent from then on.
    pub async fn move_database(&self, id: DatabaseId, page: PageId) -> Result<Database> {
        let update = UpdateDatabase {
            parent: Some(Parent::page(page)),
            ..UpdateDatabase::default()
        };
        self.update_database(id, &update).await
    }

    /// `POST /v1/data_sources`: a further data source of a database.
    pub async fn create_data_source(&self, data_source: &CreateDataSource) -> Result<DataSource> {
        let request = self
            .request(Method::Post, "/v1/data_sources")
            .with_body(body("a data source", data_source)?);
        self.send(request).await
    }

    /// `GET /v1/data_sources/{id}`: the data source and its schema.
    pub async fn data_source(&self, id: DataSourceId) -> Result<DataSource> {
        self.send(self.request(Method::Get, format!("/v1/data_sources/{id}")))
            .await
    }

    /// `PATCH /v1/data_sources/{id}`: changes the schema (add, rename, retype, delete).
    pub async fn update_data_source(
        &self,
        id: DataSourceId,
        update: &UpdateDataSource,
    ) -> Result<DataSource> {
        let request = self
            .request(Method::Patch, format!("/v1/data_sources/{id}"))
            .with_body(body("a schema change", update)?);
        self.send(request).await
    }

    /// `POST /v1/data_sources/{id}/query`, one page: the rows of `query` from its cursor.
    pub async fn query_page(
        &self,
        id: DataSourceId,
        query: &QueryDataSource,
        filter_properties: &[String],
    ) -> Result<List<Page>> {
        let mut request = self
            .request(Method::Post, format!("/v1/data_sources/{id}/query"))
            .with_body(body("a query", query)?);
        for property in filter_properties {
            request = request.with_query("filter_properties", property.clone());
        }
        self.send(request).await
    }

    /// The rows of the data source edited at or after `since`, the live ones and those in the
    /// trash, each turned by its function as it comes (so that no page is held longer); with no
    /// `since`, every live row ([`query_all`](Self::query_all)). See [`query_changed_since`] for
    /// how many queries that takes.
    pub async fn rows_since<L, T>(
        &self,
        id: DataSourceId,
        since: Option<&str>,
        mut live: impl FnMut(&Page) -> L,
        mut trashed: impl FnMut(&Page) -> T,
    ) -> Result<(Vec<L>, Vec<T>)> {
        let mut rows: BoxStream<'static, Result<Page>> = match since {
            Some(since) => query_changed_since(self, id, since).boxed(),
            None => query_all(self, id, None, &[]).boxed(),
        };
        let (mut live_rows, mut trashed_rows) = (Vec::new(), Vec::new());
        while let Some(page) = rows.try_next().await? {
            if page.in_trash() {
                trashed_rows.push(trashed(&page));
            } else {
                live_rows.push(live(&page));
            }
        }
        Ok((live_rows, trashed_rows))
    }

    /// Every row of the data source that matches `filter`, past the 10,000-result cap, in
    /// `created_time` order (see [`query_all`]).
    pub fn query_all(
        &self,
        id: DataSourceId,
        filter: Option<Filter>,
        filter_properties: &[String],
    ) -> BoxStream<'static, Result<Page>> {
        query_all(self, id, filter, filter_properties).boxed()
    }

    /// `GET /v1/pages/{id}`.
    pub async fn page(&self, id: PageId) -> Result<Page> {
        self.send(self.request(Method::Get, format!("/v1/pages/{id}")))
            .await
    }

    /// `POST /v1/pages`: a new page or row.
    pub async fn create_page(&self, page: &CreatePage) -> Result<Page> {
        let request = self
            .request(Method::Post, "/v1/pages")
            .with_body(body("a page", page)?);
        self.send(request).await
    }

    /// `PATCH /v1/pages/{id}`: properties, icon, cover, trash.
    pub async fn update_page(&self, id: PageId, update: &UpdatePage) -> Result<Page> {
        let request = self
            .request(Method::Patch, format!("/v1/pages/{id}"))
            .with_body(body("a page update", update)?);
        self.send(request).await
    }

    /// Moves the page to the trash (`in_trash: true`), or out of it.
    pub async fn set_page_in_trash(&self, id: PageId, in_trash: bool) -> Result<Page> {
        let request = self
            .request(Method::Patch, format!("/v1/pages/{id}"))
            .with_body(serde_json::json!({ "in_trash": in_trash }));
        self.send(request).await
    }

    /// `GET /v1/pages/{id}/properties/{property}`, every page of it: the whole value of a
    /// relation, people, title or rich-text property, past the 25 references a page object shows.
    pub fn page_property(
        &self,
        page: PageId,
        property: &PropertyId,
    ) -> BoxStream<'static, Result<PropertyItemResponse>> {
        let path = format!(
            "/v1/pages/{page}/properties/{}",
            utf8_percent(property.as_str())
        );
        paginate_items(self, self.request(Method::Get, path))
    }

    /// `GET /v1/blocks/{id}/children`: every child block.
    pub fn block_children(&self, id: BlockId) -> BoxStream<'static, Result<Block>> {
        paginate(
            self,
            self.request(Method::Get, format!("/v1/blocks/{id}/children")),
        )
        .boxed()
    }

    /// `PATCH /v1/blocks/{id}/children`: appends up to 100 blocks (Notion's limit per call).
    pub async fn append_block_children(
        &self,
        id: BlockId,
        children: &AppendBlockChildren,
    ) -> Result<List<Block>> {
        if children.children.len() > AppendBlockChildren::MAX_CHILDREN {
            return Err(Error::Config(format!(
                "{} blocks in one append; Notion takes at most 100 (split them: sync::content::append_calls)",
                children.children.len()
            )));
        }
        let request = self
            .request(Method::Patch, format!("/v1/blocks/{id}/children"))
            .with_body(body("block children", children)?);
        self.send(request).await
    }

    /// `POST /v1/file_uploads`: a file upload (in `external_url` mode, Notion fetches the file).
    pub async fn create_file_upload(&self, upload: &CreateFileUpload) -> Result<FileUpload> {
        let request = self
            .request(Method::Post, "/v1/file_uploads")
            .with_body(body("a file upload", upload)?);
        self.send(request).await
    }

    /// `POST /v1/file_uploads/{id}/send`: the file's bytes (single part), or the part
    /// `part_number` of a multi-part upload, as `multipart/form-data`.
    pub async fn send_file_upload(
        &self,
        id: FileUploadId,
        filename: &str,
        content_type: Option<&str>,
        bytes: Vec<u8>,
        part_number: Option<u32>,
    ) -> Result<FileUpload> {
        let mut form =
            FormData::new().with_file("file", filename, content_type.map(str::to_owned), bytes);
        if let Some(n) = part_number {
            form = form.with_text("part_number", n.to_string());
        }
        let request = self
            .request(Method::Post, format!("/v1/file_uploads/{id}/send"))
            .with_form(form);
        self.send(request).await
    }

    /// `POST /v1/file_uploads/{id}/complete`: ends a multi-part upload once every part is sent.
    pub async fn complete_file_upload(&self, id: FileUploadId) -> Result<FileUpload> {
        self.send(self.request(Method::Post, format!("/v1/file_uploads/{id}/complete")))
            .await
    }

    /// The bytes of a Notion-hosted file at its signed `url` (through the transport, without
    /// the token).
    pub async fn download(&self, url: &str) -> Result<Vec<u8>> {
        self.transport().download(url).await
    }

    /// `GET /v1/file_uploads/{id}`: the upload and its status.
    pub async fn file_upload(&self, id: FileUploadId) -> Result<FileUpload> {
        self.send(self.request(Method::Get, format!("/v1/file_uploads/{id}")))
            .await
    }
}

/// Property IDs are URL-encoded already (`f%5C%5C%3Ap`); anything else is encoded for the path.
fn utf8_percent(id: &str) -> String {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const PATH: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'/')
        .add(b'?')
        .add(b'<')
        .add(b'>')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    utf8_percent_encode(id, PATH).to_string()
}

/// The pages of a property item: each answer is one item or one page of a list of items.
fn paginate_items(
    client: &NotionClient,
    request: crate::transport::ApiRequest,
) -> BoxStream<'static, Result<PropertyItemResponse>> {
    let client = client.clone();
    futures::stream::try_unfold(Some(None::<String>), move |cursor| {
        let client = client.clone();
        let request = request.clone();
        async move {
            let Some(cursor) = cursor else {
                return Ok::<_, Error>(None);
            };
            let mut request = request.with_query("page_size", "100");
            if let Some(cursor) = cursor {
                request = request.with_query("start_cursor", cursor);
            }
            let answer: PropertyItemResponse = client.send(request).await?;
            let next = match &answer {
                PropertyItemResponse::List(list) => {
                    list.list.next_page_cursor().map(|c| Some(c.to_owned()))
                }
                PropertyItemResponse::Item(_) => None,
            };
            Ok(Some((answer, next)))
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_ids_keep_their_encoding() {
        assert_eq!(utf8_percent("f%5C%5C%3Ap"), "f%5C%5C%3Ap");
        assert_eq!(utf8_percent("title"), "title");
        assert_eq!(utf8_percent("a/b c"), "a%2Fb%20c");
    }
}
