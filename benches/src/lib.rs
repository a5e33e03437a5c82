//! Shared pieces of the benchmarks of `notion-xws-core`: requests to the fake Notion, the
//! simulated world the sync benchmarks run in, synthetic rows, and the process's CPU time and
//! peak memory. See `benches/README.md` for the command and the figures.

pub mod api;
pub mod resources;
pub mod sample;
pub mod world;
