//! The `notion-xws` command (feature `cli`): [`notion_xws_core::cli`] on a tokio runtime of its
//! own, with the library's logs on stderr (`--log-level` or `-v`, else `RUST_LOG`, chooses which;
//! warnings by default; `--log-format json` writes them as JSON lines) and
//! Ctrl-C stopping the run between two requests (exit status 130); `watch` handles SIGINT and
//! SIGTERM itself, stopping between two writes.

use std::io::Write as _;
use std::process::ExitCode;

use notion_xws_core::cli::{Cli, LogWriter};
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = match Cli::from_argv(std::env::args_os()) {
        Ok(cli) => cli,
        Err(status) => return exit_code(status),
    };
    let filter = match cli.log_filter() {
        Some(directives) => EnvFilter::new(directives),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
    };
    let logs = tracing_subscriber::fmt()
        .with_writer(LogWriter::default)
        .with_env_filter(filter);
    if cli.json_logs() {
        logs.json().init();
    } else {
        logs.init();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "notion-xws: cannot start the tokio runtime: {error}"
            );
            return exit_code(1);
        }
    };
    let status = runtime.block_on(async {
        if cli.handles_signals() {
            // `watch` stops between two writes on SIGINT and SIGTERM, by itself.
            return cli.run().await;
        }
        tokio::select! {
            status = cli.run() => status,
            _ = tokio::signal::ctrl_c() => {
                let _ = writeln!(std::io::stderr(), "notion-xws: interrupted");
                130
            }
        }
    });
    exit_code(status)
}

/// The process's exit code for a status (0–255).
fn exit_code(status: i32) -> ExitCode {
    ExitCode::from(u8::try_from(status).unwrap_or(1))
}
