//! The `notion-xws` command, as the Python package's script runs it: the core's
//! [`notion_xws_core::cli`] on the binding's runtime.
//!
//! Python's `notion_xws.__main__` hands `sys.argv` to [`main`]; the arguments, the output and
//! the exit statuses are the core's, the same as the `notion-xws` binary's. Only the runtime is
//! the binding's: Ctrl-C is seen by Python's signal handlers ([`runtime::run`]), which raise
//! `KeyboardInterrupt` (but for `watch`, which handles SIGINT and SIGTERM itself), and the
//! core's logs go to Python's `logging`.

use notion_xws_core::cli::Cli;
use pyo3::prelude::*;

use crate::runtime;

/// Runs the command line `argv` (program name first) and returns the exit status. The
/// arguments are taken as the OS gave them (Python's `sys.argv` keeps bytes that are not UTF-8
/// as surrogates), so that such an argument is the command's usage error, not a traceback.
#[pyfunction]
pub(crate) fn main(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> PyResult<i32> {
    match Cli::from_argv(argv) {
        // `watch` stops between two writes on SIGINT and SIGTERM by itself (its handlers call
        // Python's too: the interrupt is raised once the command has returned).
        Ok(cli) if cli.handles_signals() => {
            Ok(runtime::block_on(py, || async move { cli.run().await }))
        }
        Ok(cli) => runtime::run(py, || async move { cli.run().await }),
        Err(status) => Ok(status),
    }
}
