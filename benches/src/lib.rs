//! Shared pieces of the benchmarks of `notion-xws-core`: requests to the fake Notion, the
//! simulated worlds the sync benchmarks run in (one source; projects and tasks with relations
//! and people), synthetic rows, and the process's CPU time and peak memory. See `benches/README.md` for the command and the figures.

pub mod api;
pub mod relations;
pub mod resources;
pub mod sample;
pub mod tally;
pub mod timeline;
pub mod world;
