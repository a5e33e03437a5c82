//! The `notion-xws` command, as the Python package's script runs it: the core's
//! [`notion_xws_core::cli`] on the binding's runtime.
//!
//! Python's `notion_xws.__main__` hands `sys.argv` to [`main`]; the arguments, the output and
//! the exit statuses are the core's, the same as the `notion-xws` binary's. Only the runtime is
//! the binding's: Ctrl-C is seen by Python's signal handlers ([`runtime::run`]), which raise
//! `KeyboardInterrupt` (but for `watch`, which handles SIGINT and SIGTERM itself), and the
//! core's logs go to Python's `logging` (shown on stderr from the level `-v` or `--log-level`
//! asks for; `--log-format json` shapes `watch`'s lines only).

use notion_xws_core::cli::Cli;
use pyo3::prelude::*;

use crate::runtime;

/// Runs the command line `argv` (program name first) and returns the exit status. The
/// arguments are taken as the OS gave them (Python's `sys.argv` keeps bytes that are not UTF-8
/// as surrogates), so that such an argument is the command's usage error, not a traceback.
#[pyfunction]
pub(crate) fn main(py: Python<'_>, argv: Vec<std::ffi::OsString>) -> PyResult<i32> {
    let cli = Cli::from_argv(argv);
    if let Ok(cli) = &cli
        && let Some(level) = cli.log_level_asked()
    {
        show_logs(py, level)?;
    }
    match cli {
        // `watch` stops between two writes on SIGINT and SIGTERM by itself (its handlers call
        // Python's too: the interrupt is raised once the command has returned).
        Ok(cli) if cli.handles_signals() => {
            Ok(runtime::block_on(py, || async move { cli.run().await }))
        }
        Ok(cli) => runtime::run(py, || async move { cli.run().await }),
        Err(status) => Ok(status),
    }
}

/// `-v` or `--log-level` in the script: the `notion_xws` loggers' records of `level` and above
/// on stderr (Python's `logging`, configured as a script configures it; without the options,
/// Python shows warnings as it does for any library).
fn show_logs(py: Python<'_>, level: &str) -> PyResult<()> {
    let logging = py.import("logging")?;
    let number = match level {
        "error" => 40,
        "warn" => 30,
        "info" => 20,
        "debug" => 10,
        _ => 5,
    };
    let kwargs = pyo3::types::PyDict::new(py);
    kwargs.set_item("format", "%(levelname)s %(name)s: %(message)s")?;
    logging.call_method("basicConfig", (), Some(&kwargs))?;
    logging
        .call_method1("getLogger", (crate::logging::LOGGER,))?
        .call_method1("setLevel", (number,))?;
    Ok(())
}
