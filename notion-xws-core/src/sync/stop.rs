//! Stopping a run between writes: a [`StopFlag`] that the executors look at before each write.
//!
//! A run given a flag ([`SyncOptions::stop`](super::SyncOptions::stop)) goes on as usual until
//! the flag is raised ([`StopFlag::stop`]); from then on no write starts: the writes in flight
//! finish (none is cut half-way), a pair that has not written yet writes nothing (it is
//! `skipped`, saying so), a pair that was writing leaves the rest of its plan to the next run (it
//! is `failed`, naming how many writes were not attempted, none counted as failed), every lease
//! taken is released, and a pair's link row stays `running`, which the next run finishes as it
//! finishes any run that stopped half-way. What only reads is dropped where it stands
//! ([`StopFlag::unless_stopped`]): the registry's read and audit (the run then ends with
//! [`Error::Cancelled`](crate::Error::Cancelled)) and each pair's read (the pair is `skipped`).
//!
//! A second [`stop`](StopFlag::stop) **forces** the stop ([`StopFlag::is_forced`]): a caller
//! that drives the run (the [`watch`](super::watch) loop) then drops it at once, between two
//! requests, as a run that dies; its leases lapse by themselves.

use serde::Serialize;
use tokio::sync::watch;

/// Why a run was asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StopReason {
    /// SIGINT (Ctrl-C, or Python's `KeyboardInterrupt`): exit status 130.
    Interrupt,
    /// SIGTERM (a service manager stopping the service): exit status 143.
    Terminate,
    /// The program that runs the sync asked for it: exit status 0.
    Requested,
}

impl StopReason {
    /// The exit status of a command stopped for this reason: 130 for SIGINT and 143 for SIGTERM
    /// (128 plus the signal's number, as a shell reports a process a signal ended), 0 when the
    /// program itself asked.
    pub fn exit_status(self) -> i32 {
        match self {
            Self::Interrupt => 130,
            Self::Terminate => 143,
            Self::Requested => 0,
        }
    }

    /// The reason in a word: `SIGINT`, `SIGTERM` or `a request`.
    pub fn word(self) -> &'static str {
        match self {
            Self::Interrupt => "SIGINT",
            Self::Terminate => "SIGTERM",
            Self::Requested => "a request",
        }
    }
}

/// What a [`StopFlag`] says.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct StopState {
    /// The first reason given, once a stop was asked for.
    reason: Option<StopReason>,
    /// Whether a stop was asked for again.
    forced: bool,
}

/// Asks a run to stop between writes (see the [module documentation](self)). Clones share the
/// flag; two flags are equal when they say the same.
#[derive(Debug, Clone)]
pub struct StopFlag(watch::Sender<StopState>);

impl Default for StopFlag {
    fn default() -> Self {
        Self(watch::Sender::new(StopState::default()))
    }
}

impl PartialEq for StopFlag {
    fn eq(&self, other: &Self) -> bool {
        *self.0.borrow() == *other.0.borrow()
    }
}

impl StopFlag {
    /// A flag that is not raised.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the run to stop between writes, for `reason`; asked again (for any reason), the
    /// stop is forced. The first reason is the one kept.
    pub fn stop(&self, reason: StopReason) {
        self.0.send_modify(|state| match state.reason {
            None => state.reason = Some(reason),
            Some(_) => state.forced = true,
        });
    }

    /// Why a stop was asked for, if it was.
    pub fn reason(&self) -> Option<StopReason> {
        self.0.borrow().reason
    }

    /// Whether a stop was asked for: no write may start.
    pub fn is_stopped(&self) -> bool {
        self.reason().is_some()
    }

    /// Whether a stop was asked for twice: the run is to be dropped at once.
    pub fn is_forced(&self) -> bool {
        self.0.borrow().forced
    }

    /// Waits until a stop is asked for; its reason.
    pub async fn stopped(&self) -> StopReason {
        let mut receiver = self.0.subscribe();
        let state = receiver.wait_for(|state| state.reason.is_some()).await;
        // The sender is `self`: the channel cannot close while this waits.
        state
            .ok()
            .and_then(|s| s.reason)
            .unwrap_or(StopReason::Requested)
    }

    /// Waits until the stop is forced.
    pub async fn forced(&self) {
        let mut receiver = self.0.subscribe();
        let _ = receiver.wait_for(|state| state.forced).await;
    }

    /// Runs `read` unless a stop is asked for first (then `None`, and `read` is dropped where
    /// it stands): only for steps that read, never for one that writes.
    pub async fn unless_stopped<T>(&self, read: impl Future<Output = T>) -> Option<T> {
        if self.is_stopped() {
            return None;
        }
        tokio::select! {
            biased;
            _ = self.stopped() => None,
            output = read => Some(output),
        }
    }

    /// What a pair that the stop kept from writing says, as its `skipped` reason.
    pub(crate) fn skipped_reason(&self) -> String {
        format!(
            "the run was stopped ({}) before this pair wrote anything; the next run syncs it",
            self.reason().unwrap_or(StopReason::Requested).word()
        )
    }

    /// What a pair that the stop cut short says: `left` of `planned` `what` (`"row write(s)"`,
    /// say) not attempted.
    pub(crate) fn cut_short(&self, left: usize, planned: usize, what: &str) -> String {
        format!(
            "the run was stopped ({}) between writes: {left} of {planned} {what} not attempted \
             (none failed); the next run makes them",
            self.reason().unwrap_or(StopReason::Requested).word()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_first_stop_asks_the_second_forces() {
        let flag = StopFlag::new();
        let clone = flag.clone();
        assert!(!flag.is_stopped() && !flag.is_forced());
        assert_eq!(flag, StopFlag::new());
        let waiter = tokio::spawn(async move { clone.stopped().await });
        flag.stop(StopReason::Terminate);
        assert_eq!(waiter.await.unwrap(), StopReason::Terminate);
        assert!(flag.is_stopped() && !flag.is_forced());
        assert_ne!(flag, StopFlag::new());
        flag.stop(StopReason::Interrupt);
        flag.forced().await;
        assert_eq!(flag.reason(), Some(StopReason::Terminate));
        assert!(flag.is_forced());
        assert_eq!(StopReason::Interrupt.exit_status(), 130);
        assert_eq!(StopReason::Terminate.exit_status(), 143);
        assert_eq!(StopReason::Requested.exit_status(), 0);
    }
}
