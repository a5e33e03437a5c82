//! Benchmarks of `notion-xws-core`; see `benches/README.md` for the command and the figures.
