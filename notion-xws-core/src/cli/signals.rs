//! SIGINT and SIGTERM for `watch`: each raises the run's [`StopFlag`] (the first stops the run
//! between two writes, the second at once), and says so on stderr.

use tokio::task::JoinHandle;

use super::output::err;
use crate::error::{Error, Result};
use crate::sync::stop::{StopFlag, StopReason};

/// Listens for SIGINT and SIGTERM (on Windows, Ctrl-C) until the returned task is aborted; each
/// one raises `stop`. The handlers are in place when this returns.
pub(super) fn stop_on_signals(stop: StopFlag) -> Result<JoinHandle<()>> {
    let cannot =
        |error: std::io::Error| Error::Config(format!("cannot listen for signals: {error}"));
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).map_err(cannot)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(cannot)?;
        Ok(tokio::spawn(async move {
            loop {
                let reason = tokio::select! {
                    _ = interrupt.recv() => StopReason::Interrupt,
                    _ = terminate.recv() => StopReason::Terminate,
                };
                raise(&stop, reason);
            }
        }))
    }
    #[cfg(not(unix))]
    {
        let _ = cannot;
        Ok(tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                raise(&stop, StopReason::Interrupt);
            }
        }))
    }
}

/// Raises `stop` for `reason`, and says what happens now.
fn raise(stop: &StopFlag, reason: StopReason) {
    if stop.is_stopped() {
        stop.stop(reason);
        err!(
            "notion-xws: {}: stopping now; the writes in flight are dropped and the leases lapse \
             by themselves",
            reason.word()
        );
    } else {
        stop.stop(reason);
        err!(
            "notion-xws: {}: stopping after the writes in flight (send it again to stop at once)",
            reason.word()
        );
    }
}
