//! The core's integration tests, in one binary so that the crate links once.
//! Run them all with `cargo test -p notion-xws-core --all-features`.

#[cfg(all(feature = "fake", feature = "http"))]
mod alerts;
#[cfg(feature = "fake")]
mod audit;
#[cfg(feature = "cli")]
mod cli;
#[cfg(feature = "cli")]
mod cli_command;
#[cfg(feature = "fake")]
mod client_fake;
#[cfg(feature = "http")]
mod client_http;
#[cfg(feature = "fake")]
mod columns;
#[cfg(feature = "fake")]
mod content;
#[cfg(feature = "fake")]
mod corpus;
#[cfg(feature = "fake")]
mod day_two;
#[cfg(feature = "fake")]
mod demo_world;
#[cfg(all(feature = "fake", feature = "cli", feature = "http"))]
mod duplicates;
#[cfg(feature = "fake")]
mod early_reads;
#[cfg(feature = "fake")]
mod exit_status;
#[cfg(all(feature = "fake", feature = "http"))]
mod fake_behaviour;
#[cfg(feature = "fake")]
mod fake_blocks;
#[cfg(all(feature = "fake", feature = "http"))]
mod fake_contract;
#[cfg(all(feature = "fake", feature = "http"))]
mod fake_database_move;
#[cfg(all(feature = "fake", feature = "http"))]
mod fake_endpoints;
#[cfg(all(feature = "fake", feature = "http"))]
mod fake_file_uploads;
#[cfg(feature = "fake")]
mod fake_request_bodies;
#[cfg(all(feature = "fake", feature = "http"))]
mod fake_routes;
#[cfg(feature = "fake")]
mod fake_shapes;
#[cfg(all(feature = "fake", feature = "http"))]
mod fake_v2022;
#[cfg(feature = "fake")]
mod fake_webhooks;
#[cfg(feature = "fake")]
mod files;
mod fixtures;
#[cfg(feature = "fake")]
mod incremental;
#[cfg(feature = "cli")]
mod init;
#[cfg(feature = "fake")]
mod large_sources;
#[cfg(feature = "fake")]
mod leases;
#[cfg(all(feature = "fake", feature = "cli", feature = "http"))]
mod limits;
#[cfg(feature = "fake")]
mod progress;
#[cfg(feature = "fake")]
mod protected;
#[cfg(feature = "fake")]
mod references;
#[cfg(all(feature = "fake", feature = "cli", feature = "http"))]
mod registry_shape;
#[cfg(feature = "fake")]
mod registry_trash;
#[cfg(feature = "fake")]
mod repair;
#[cfg(all(feature = "fake", feature = "cli", feature = "http"))]
mod reports;
#[cfg(feature = "http")]
mod secrets;
#[cfg(feature = "fake")]
mod support;
#[cfg(feature = "fake")]
mod sync;
#[cfg(feature = "fake")]
mod tables;
#[cfg(feature = "fake")]
mod trash;
#[cfg(feature = "fake")]
mod two_way;
#[cfg(feature = "fake")]
mod unknown_kinds;
#[cfg(feature = "fake")]
mod waits;
#[cfg(feature = "fake")]
mod watch;
