//! The fake Notion: an in-memory Notion of many workspaces, a [`Transport`](crate::transport::Transport)
//! and an HTTP server on 127.0.0.1.
