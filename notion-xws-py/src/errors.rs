//! The one mapping from the core's [`Error`] to Python exceptions.
//!
//! The exception classes are defined in `notion_xws/errors.py` (so that they have docstrings and
//! can inherit from both `NotionXwsError` and a built-in such as `ValueError`); this module picks
//! the class for each variant, exhaustively, and fills the attributes `code`, `status` and
//! `request_id` (and the variant's own, such as `retry_after`) from the error.

use notion_xws_core::Error;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

/// A core error on its way to Python (the orphan rule wants a local type for `From`).
#[derive(Debug)]
pub(crate) struct PyXwsError(pub(crate) Error);

impl From<Error> for PyXwsError {
    fn from(error: Error) -> Self {
        Self(error)
    }
}

impl From<PyXwsError> for PyErr {
    fn from(error: PyXwsError) -> Self {
        Python::attach(|py| to_pyerr(py, &error.0, class_name(&error.0)))
    }
}

/// A core error about the value of a keyword argument (a policy outside its list, a negative
/// number of seconds, a budget of 0): a configuration error becomes `InvalidOptionError`, a
/// `ConfigError` that is also a `ValueError`; other errors map as [`PyXwsError`] does.
#[derive(Debug)]
pub(crate) struct PyOptionError(pub(crate) Error);

impl From<PyOptionError> for PyErr {
    fn from(error: PyOptionError) -> Self {
        let class = match &error.0 {
            Error::Config(_) => "InvalidOptionError",
            other => class_name(other),
        };
        Python::attach(|py| to_pyerr(py, &error.0, class))
    }
}

/// The name of the class in `notion_xws.errors` for each variant.
fn class_name(error: &Error) -> &'static str {
    match error {
        Error::InvalidId(_) => "InvalidIdError",
        Error::InvalidLink(_) => "InvalidLinkError",
        Error::InvalidToken(_) => "InvalidTokenError",
        Error::Unauthorized(_) => "UnauthorizedError",
        Error::Forbidden(_) => "ForbiddenError",
        Error::NotFound(_) => "NotFoundError",
        Error::Validation(_) => "ValidationError",
        Error::Conflict(_) => "ConflictError",
        Error::RateLimited { .. } => "RateLimitedError",
        Error::Unavailable(_) => "UnavailableError",
        Error::AmbiguousWrite { .. } => "AmbiguousWriteError",
        Error::Api(_) => "ApiError",
        Error::Transport { .. } => "TransportError",
        Error::Decode { .. } => "DecodeError",
        Error::Config(_) => "ConfigError",
        Error::Registry(_) => "RegistryError",
        Error::Protected(_) => "ProtectedError",
        Error::Cancelled => "CancelledError",
        Error::PlanStale(_) => "PlanStaleError",
        // The core's enum is non-exhaustive; a variant added there lands here until mapped.
        _ => "NotionXwsError",
    }
}

fn to_pyerr(py: Python<'_>, error: &Error, class: &str) -> PyErr {
    build(py, error, class).unwrap_or_else(|failure| {
        PyRuntimeError::new_err(format!("{error} (and mapping it failed: {failure})"))
    })
}

fn build(py: Python<'_>, error: &Error, class: &str) -> PyResult<PyErr> {
    let class = py
        .import("notion_xws.errors")?
        .getattr(class)?
        .cast_into::<PyType>()?;
    let kwargs = PyDict::new(py);
    if let Some(api) = error.api() {
        kwargs.set_item("code", api.code.as_str())?;
        kwargs.set_item("status", api.status)?;
        kwargs.set_item("request_id", api.request_id.map(|id| id.to_string()))?;
    }
    match error {
        Error::RateLimited { retry_after, .. } => {
            kwargs.set_item("retry_after", retry_after.map(|d| d.as_secs_f64()))?;
        }
        Error::AmbiguousWrite {
            committed_resource_id,
            ..
        } => {
            kwargs.set_item(
                "committed_resource_id",
                committed_resource_id.map(|id| id.to_string()),
            )?;
        }
        Error::Transport { kind, .. } => {
            kwargs.set_item(
                "kind",
                serde_json::to_value(kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned)),
            )?;
        }
        _ => {}
    }
    let instance = class.call((error.to_string(),), Some(&kwargs))?;
    Ok(PyErr::from_value(instance))
}
