//! Runnable examples of `notion-xws-core`: `cargo run -p examples --example <name>`.
