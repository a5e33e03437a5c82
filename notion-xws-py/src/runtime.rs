//! The binding's one tokio runtime, and the bridge from Python's threads into it.
//!
//! Every async call of the core runs on a single multi-thread runtime, built lazily the first
//! time it is needed and kept for the life of the process (tasks spawned on it, such as the fake
//! Notion's HTTP server, keep running in the background between calls). [`block_on`] runs a
//! future to completion with the GIL released, so other Python threads run meanwhile and the
//! runtime's workers never wait on Python.

use std::future::Future;
use std::sync::OnceLock;

use pyo3::prelude::*;
use tokio::runtime::Runtime;

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The global runtime, built on first use.
pub(crate) fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("notion-xws")
            .enable_all()
            .build()
            // Building fails only when the OS refuses threads: nothing can work then.
            .expect("notion_xws cannot start its tokio runtime")
    })
}

/// Runs `future` on the global runtime to completion, with the GIL released.
pub(crate) fn block_on<F>(py: Python<'_>, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    py.detach(|| runtime().block_on(future))
}
