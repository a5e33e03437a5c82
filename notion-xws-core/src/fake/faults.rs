//! Faults: the failures a real Notion produces, injected at a seeded rate or by script.
//!
//! [`FaultConfig`] sets a probability per kind of [`Fault`] (rolled once per request on an RNG of
//! its own seed, so a seed replays the same faults for the same requests). A test can also script
//! faults exactly with [`FakeNotion::fail_request`](super::FakeNotion::fail_request) ("the 3rd
//! request fails with 503") and [`FakeNotion::fail_next`](super::FakeNotion::fail_next) ("the next
//! `POST /v1/pages` times out after the write"). Scripted faults come before random ones.
//!
//! Faults are decided after the token and the rate limits are checked, so a faulted request is
//! still logged with its workspace and integration.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

use crate::transport::Method;

/// A failure the fake can answer with instead of (or after) doing the request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// 429 `rate_limited` (`public_api_request_rate_limit`) with this `Retry-After`, in seconds.
    RateLimited {
        /// The `Retry-After`, in seconds.
        retry_after: u64,
    },
    /// 529 `service_overload`, with a `Retry-After` of this many seconds.
    ServiceOverload {
        /// The `Retry-After`, in seconds.
        retry_after: u64,
    },
    /// 500 `internal_server_error`; nothing applied.
    InternalServerError,
    /// 503 `service_unavailable`; nothing applied.
    ServiceUnavailable,
    /// 504 `gateway_timeout`; nothing applied.
    GatewayTimeout,
    /// 409 `conflict_error`; nothing applied.
    Conflict,
    /// 400 `validation_error`; nothing applied: Notion refusing a request for a rule the fake
    /// does not hold (a type conversion it declines, say), scripted with [`fail_next`].
    ///
    /// [`fail_next`]: super::FakeNotion::fail_next
    ValidationError,
    /// No answer, and nothing applied. In memory the transport returns a timeout error; over
    /// HTTP the server holds the request for [`FaultConfig::hang`] and the client times out.
    TimeoutBeforeWrite,
    /// No answer, but the request *was* applied (the worst case for a client).
    TimeoutAfterWrite,
    /// The request is applied, then answered 503 `service_unavailable` with
    /// `additional_data.committed_resource_id` naming what was created (for creates; other
    /// requests get a plain 503 after being applied).
    CommittedUnavailable,
}

impl Fault {
    /// The fault's name, as the request log shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::RateLimited { .. } => "rate_limited",
            Self::ServiceOverload { .. } => "service_overload",
            Self::InternalServerError => "internal_server_error",
            Self::ServiceUnavailable => "service_unavailable",
            Self::GatewayTimeout => "gateway_timeout",
            Self::Conflict => "conflict_error",
            Self::ValidationError => "validation_error",
            Self::TimeoutBeforeWrite => "timeout_before_write",
            Self::TimeoutAfterWrite => "timeout_after_write",
            Self::CommittedUnavailable => "committed_unavailable",
        }
    }

    /// The fault of this [`name`](Self::name) (`conflict` also names [`Fault::Conflict`]), with
    /// `retry_after` seconds for the two that carry a `Retry-After`. Another name is refused with
    /// [`Error::Config`](crate::Error::Config).
    pub fn named(name: &str, retry_after: u64) -> crate::error::Result<Self> {
        Ok(match name {
            "rate_limited" => Self::RateLimited { retry_after },
            "service_overload" => Self::ServiceOverload { retry_after },
            "internal_server_error" => Self::InternalServerError,
            "service_unavailable" => Self::ServiceUnavailable,
            "gateway_timeout" => Self::GatewayTimeout,
            "conflict" | "conflict_error" => Self::Conflict,
            "validation_error" => Self::ValidationError,
            "timeout_before_write" => Self::TimeoutBeforeWrite,
            "timeout_after_write" => Self::TimeoutAfterWrite,
            "committed_unavailable" => Self::CommittedUnavailable,
            other => {
                return Err(crate::error::Error::Config(format!(
                    "{other:?} is not a fault of the fake"
                )));
            }
        })
    }
}

/// Random faults: a probability (0.0 to 1.0) per kind, rolled once per request.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultConfig {
    /// The seed of the fault RNG.
    pub seed: u64,
    /// 429 `rate_limited` (Retry-After drawn from [`FaultConfig::retry_after_secs`]).
    pub rate_limited: f64,
    /// 529 `service_overload`.
    pub service_overload: f64,
    /// 500, 503 or 504 (one of the three, evenly), nothing applied.
    pub server_error: f64,
    /// 409 `conflict_error`, nothing applied (never on a `GET`).
    pub conflict: f64,
    /// A timeout after the request was applied.
    pub timeout_after_write: f64,
    /// A timeout before the request was applied.
    pub timeout_before_write: f64,
    /// A 503 with `committed_resource_id` after a create was applied (creates only).
    pub committed_unavailable: f64,
    /// The range of `Retry-After` seconds of random 429s and 529s (inclusive).
    pub retry_after_secs: (u64, u64),
    /// How long the HTTP server holds a request that times out (default 120 s).
    pub hang: Duration,
}

impl Default for FaultConfig {
    /// No random faults; Retry-After 1–60 s; HTTP timeouts hold the request for 120 s.
    fn default() -> Self {
        Self {
            seed: 0,
            rate_limited: 0.0,
            service_overload: 0.0,
            server_error: 0.0,
            conflict: 0.0,
            timeout_after_write: 0.0,
            timeout_before_write: 0.0,
            committed_unavailable: 0.0,
            retry_after_secs: (1, 60),
            hang: Duration::from_secs(120),
        }
    }
}

/// When a scripted fault fires.
#[derive(Debug, Clone)]
enum Trigger {
    /// The n-th request the fake receives (from 1).
    Nth(u64),
    /// The next request with this method (any if `None`) whose path contains this text.
    Next {
        method: Option<Method>,
        path_contains: String,
    },
}

/// The scripted faults still to fire, and the fault RNG.
#[derive(Debug)]
pub(crate) struct FaultState {
    rng: StdRng,
    config: FaultConfig,
    scripted: Vec<(Trigger, Fault)>,
}

/// Whether a request creates something (and can carry a `committed_resource_id`).
pub(crate) fn is_create(method: Method, path: &str) -> bool {
    matches!(
        (method, path.trim_end_matches('/')),
        (
            Method::Post,
            "/v1/pages" | "/v1/databases" | "/v1/data_sources" | "/v1/file_uploads"
        )
    ) || (method == Method::Patch && path.ends_with("/children"))
}

impl FaultState {
    pub(crate) fn new(config: &FaultConfig) -> Self {
        Self {
            rng: StdRng::seed_from_u64(config.seed),
            config: config.clone(),
            scripted: Vec::new(),
        }
    }

    pub(crate) fn script_nth(&mut self, n: u64, fault: Fault) {
        self.scripted.push((Trigger::Nth(n), fault));
    }

    pub(crate) fn script_next(
        &mut self,
        method: Option<Method>,
        path_contains: &str,
        fault: Fault,
    ) {
        self.scripted.push((
            Trigger::Next {
                method,
                path_contains: path_contains.to_owned(),
            },
            fault,
        ));
    }

    /// The fault for request number `n`, if any.
    pub(crate) fn decide(&mut self, n: u64, method: Method, path: &str) -> Option<Fault> {
        let hit = self.scripted.iter().position(|(trigger, _)| match trigger {
            Trigger::Nth(k) => *k == n,
            Trigger::Next {
                method: m,
                path_contains,
            } => m.is_none_or(|m| m == method) && path.contains(path_contains.as_str()),
        });
        if let Some(index) = hit {
            return Some(self.scripted.remove(index).1);
        }
        let c = &self.config;
        let total = c.rate_limited
            + c.service_overload
            + c.server_error
            + c.conflict
            + c.timeout_after_write
            + c.timeout_before_write
            + c.committed_unavailable;
        if total <= 0.0 {
            return None;
        }
        let roll: f64 = self.rng.random();
        let (lo, hi) = c.retry_after_secs;
        let retry_after = if hi > lo {
            self.rng.random_range(lo..=hi)
        } else {
            lo
        };
        let pick: u8 = self.rng.random_range(0..3);
        let mut edge = 0.0;
        let table: [(f64, Fault); 7] = [
            (c.rate_limited, Fault::RateLimited { retry_after }),
            (c.service_overload, Fault::ServiceOverload { retry_after }),
            (
                c.server_error,
                match pick {
                    0 => Fault::InternalServerError,
                    1 => Fault::ServiceUnavailable,
                    _ => Fault::GatewayTimeout,
                },
            ),
            (c.conflict, Fault::Conflict),
            (c.timeout_after_write, Fault::TimeoutAfterWrite),
            (c.timeout_before_write, Fault::TimeoutBeforeWrite),
            (c.committed_unavailable, Fault::CommittedUnavailable),
        ];
        for (p, fault) in table {
            edge += p.max(0.0);
            if roll < edge {
                if fault == Fault::CommittedUnavailable && !is_create(method, path) {
                    return None;
                }
                // Notion answers 409 to saves, not to reads.
                if fault == Fault::Conflict && method == Method::Get {
                    return None;
                }
                return Some(fault);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Fault;

    #[test]
    fn a_fault_is_named_as_the_request_log_names_it() {
        for fault in [
            Fault::RateLimited { retry_after: 2 },
            Fault::ServiceOverload { retry_after: 2 },
            Fault::InternalServerError,
            Fault::ServiceUnavailable,
            Fault::GatewayTimeout,
            Fault::Conflict,
            Fault::ValidationError,
            Fault::TimeoutBeforeWrite,
            Fault::TimeoutAfterWrite,
            Fault::CommittedUnavailable,
        ] {
            assert_eq!(Fault::named(fault.name(), 2).unwrap(), fault);
        }
        assert_eq!(Fault::named("conflict", 0).unwrap(), Fault::Conflict);
        assert!(Fault::named("meteor", 0).is_err());
    }
}
