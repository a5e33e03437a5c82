//! Fixtures the integration tests share, one module per kind.
//!
//! - `fake`: raw requests to the fake Notion and the checks on their answers.
//! - `world`: a fake Notion with a control workspace and its registry ([`world::World`]).
//! - `sync`: what the sync's tests share (a small world, a crashing transport, row helpers).
//! - `served`: any transport served over HTTP, for the command to talk to.

pub(crate) mod fake;
#[cfg(all(feature = "fake", feature = "http"))]
pub(crate) mod served;
#[cfg(feature = "fake")]
pub(crate) mod sync;
#[cfg(feature = "fake")]
pub(crate) mod world;
