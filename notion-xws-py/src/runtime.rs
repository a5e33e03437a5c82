//! The binding's one tokio runtime, and the bridge from Python's threads into it.
//!
//! Every async call of the core runs on a single multi-thread runtime, built lazily the first
//! time it is needed and kept for the life of the process (tasks spawned on it, such as the fake
//! Notion's HTTP server, keep running in the background between calls). [`block_on`] runs a
//! future to completion with the GIL released, so other Python threads run meanwhile and the
//! runtime's workers never wait on Python. [`run`] does the same for the long calls (the audit,
//! the repair) and also watches for Ctrl-C: Python's signal handlers run every
//! [`SIGNAL_POLL`] on the calling thread, and when one raises (`KeyboardInterrupt`), the
//! future is dropped, which cancels the run between two requests, and the exception propagates.
//! [`run_stopping`] is for the runs that can stop between two writes (`Client.watch`): the first
//! exception raises the run's stop flag and lets the run finish its writes in flight, then
//! propagates; a second one drops the run at once.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use notion_xws_core::sync::stop::{StopFlag, StopReason};
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

/// Runs the future `make` returns on the global runtime to completion, with the GIL released.
///
/// The future is made and driven on the calling thread, so it need not be `Send` (the core's
/// audit, whose stream combinators borrow, is not provably so); `make` and the output must be.
pub(crate) fn block_on<M, F>(py: Python<'_>, make: M) -> F::Output
where
    M: FnOnce() -> F + Send,
    F: Future,
    F::Output: Send,
{
    py.detach(|| runtime().block_on(make()))
}

/// How often [`run`] lets Python's signal handlers run.
pub(crate) const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// Runs `future` on the global runtime with the GIL released, like [`block_on`], and stops it
/// when a signal handler raises (Ctrl-C: `KeyboardInterrupt`), returning that exception.
/// Signals are only seen on the main thread; elsewhere this is [`block_on`].
pub(crate) fn run<M, F>(py: Python<'_>, make: M) -> PyResult<F::Output>
where
    M: FnOnce() -> F + Send,
    F: Future,
    F::Output: Send,
{
    block_on(py, || async {
        let mut future = std::pin::pin!(make());
        let mut poll = tokio::time::interval(SIGNAL_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                output = &mut future => return Ok(output),
                _ = poll.tick() => Python::attach(|py| py.check_signals())?,
            }
        }
    })
}

/// Runs `future` like [`run`], but the first exception a signal handler raises (Ctrl-C:
/// `KeyboardInterrupt`) only raises `stop`, so that the run stops between two writes and ends by
/// itself; that exception is returned then. A second one drops the run at once and is returned.
pub(crate) fn run_stopping<M, F>(py: Python<'_>, stop: &StopFlag, make: M) -> PyResult<F::Output>
where
    M: FnOnce() -> F + Send,
    F: Future,
    F::Output: Send,
{
    block_on(py, || async {
        let mut future = std::pin::pin!(make());
        let mut poll = tokio::time::interval(SIGNAL_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut raised: Option<PyErr> = None;
        loop {
            tokio::select! {
                output = &mut future => return match raised {
                    Some(error) => Err(error),
                    None => Ok(output),
                },
                _ = poll.tick() => {
                    if let Err(error) = Python::attach(|py| py.check_signals()) {
                        if raised.is_some() {
                            return Err(error);
                        }
                        stop.stop(StopReason::Interrupt);
                        raised = Some(error);
                    }
                }
            }
        }
    })
}
