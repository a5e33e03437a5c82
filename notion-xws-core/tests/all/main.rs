//! The core's integration tests, in one binary so that the crate links once.

#[cfg(all(feature = "fake", feature = "http"))]
mod fake_behaviour;
#[cfg(all(feature = "fake", feature = "http"))]
mod fake_contract;
#[cfg(feature = "fake")]
mod fake_shapes;
#[cfg(feature = "fake")]
mod fake_support;
