//! The core's integration tests, in one binary so that the crate links once.

mod client_http;
mod fake_behaviour;
mod fake_contract;
mod fake_shapes;
mod fixtures;
mod secrets;
