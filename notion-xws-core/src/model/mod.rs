//! Typed wire models of the Notion API (serde): pages, databases, data sources, property schemas
//! and values, rich text, users, files, blocks, errors and lists.
