//! The core's integration tests, in one binary so that the crate links once.

mod client_http;
mod fixtures;
mod secrets;
