//! The native module `notion_xws._native`: a thin layer over `notion-xws-core`.
//!
//! It converts arguments and results, maps the core's errors onto the Python exception hierarchy
//! (in `errors.rs`, one place), runs the core's async calls on one tokio runtime with the GIL
//! released (`runtime.rs`), forwards the core's logs to Python's `logging` (`logging.rs`), and
//! nothing else: every rule lives in the core. The Python package
//! `notion_xws` re-exports what is public.

mod cli;
mod client;
mod errors;
mod fake;
mod link;
mod logging;
mod report;
mod runtime;

use pyo3::prelude::*;

/// The native module. Import `notion_xws`, not this.
#[pymodule(gil_used = false)]
mod _native {
    #[pymodule_export]
    use super::cli::main;
    #[pymodule_export]
    use super::client::PyClient;
    #[pymodule_export]
    use super::fake::{PyFakeNotion, PyFakeWorkspace};
    #[pymodule_export]
    use super::link::{PyNotionLink, parse_notion_url};
    #[pymodule_export]
    use super::report::{
        PyAuditReport, PyAuditSummary, PyFinding, PyRepairPlan, PyRepairReport, PyRunReport,
    };

    use pyo3::prelude::*;

    #[pymodule_init]
    fn init(module: &Bound<'_, PyModule>) -> PyResult<()> {
        super::logging::install();
        module.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
