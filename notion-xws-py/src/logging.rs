//! Logs to Python: the core's `tracing` events, forwarded to one logger per module of the core
//! under `notion_xws` (`notion_xws.sync`, `notion_xws.transport`, `notion_xws.client`, …; this
//! crate's own to `notion_xws`), so that a program can choose per module what it hears.
//!
//! [`install`] sets, once per process, a global `tracing` subscriber made of one layer that
//! turns each event of the library's crates (`notion_xws_core`, and this one) into a Python log
//! record: the level maps onto Python's (`TRACE` to 5, `DEBUG` to `logging.DEBUG`, ...), the
//! message and the event's fields make the text, and the event's target goes in the record's
//! `notion_xws_target` attribute. The Python side decides what is shown (the logger's level
//! and handlers), as with any library. Nothing here adds a field: the core never logs a token,
//! so no record carries one. When another subscriber was installed first (by an embedding Rust
//! program), that one is kept.

use std::fmt::{self, Write as _};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

/// The Python logger the records go to, and the parent of each module's.
pub(crate) const LOGGER: &str = "notion_xws";

/// The logger of an event's target: `notion_xws_core::sync::run` goes to `notion_xws.sync`,
/// anything else (this crate's events, the core's root) to `notion_xws`.
fn logger_name(target: &str) -> String {
    match target.strip_prefix("notion_xws_core::") {
        Some(path) => {
            let module = path.split("::").next().unwrap_or(path);
            format!("{LOGGER}.{module}")
        }
        None => LOGGER.to_owned(),
    }
}

/// Installs the forwarding subscriber (once; later calls and a subscriber already set are fine).
pub(crate) fn install() {
    let targets = Targets::new()
        .with_target("notion_xws_core", LevelFilter::TRACE)
        .with_target(
            module_path!().split("::").next().unwrap_or("_native"),
            LevelFilter::TRACE,
        );
    let subscriber = tracing_subscriber::registry().with(PythonLogging.with_filter(targets));
    // Fails only when a global subscriber exists already: then that one is used.
    let _ = tracing::subscriber::set_global_default(subscriber);
}

/// The layer that hands each event to Python's `logging`.
#[derive(Debug, Clone, Copy)]
struct PythonLogging;

/// Python's level number for a `tracing` level.
fn python_level(level: Level) -> u8 {
    match level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// Collects an event's message and fields into one line: `message key=value ...`.
#[derive(Debug, Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
        let metadata = event.metadata();
        let level = python_level(*metadata.level());
        // No Python (the interpreter is finalizing): the record is dropped.
        let _ = Python::try_attach(|py| {
            let logger = py
                .import("logging")?
                .call_method1("getLogger", (logger_name(metadata.target()),))?;
            if !logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                return Ok(());
            }
            let mut text = Text::default();
            event.record(&mut text);
            let extra = PyDict::new(py);
            extra.set_item("notion_xws_target", metadata.target())?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("extra", extra)?;
            logger.call_method(
                "log",
                (level, "%s", format!("{}{}", text.message, text.fields)),
                Some(&kwargs),
            )?;
            Ok::<(), PyErr>(())
        });
    }
}
