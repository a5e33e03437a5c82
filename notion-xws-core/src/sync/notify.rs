//! Alerts (feature `http`): when a run needs a person (exit status 3) or failed (1), a JSON
//! summary of its [`RunReport`] is posted to a webhook (`sync --notify URL`), for a person to
//! read in their chat or for a program to act on.
//!
//! The body ([`Alert`]) has a `text` that Slack's incoming webhooks (and Mattermost's, Discord's
//! `/slack` endpoint…) show as it is (`&`, `<` and `>` escaped as Slack asks): one line with the
//! counts, then one line per pair that needs a person with its fix and one per failed pair with
//! its reason; and, for
//! programs, `exit_status`, `counts`, `needs_person` (as the report's JSON has it), `failed` (each
//! pair with its reason and first errors), `host` and `run_id`. A run that went well (exit 0)
//! posts nothing. Reports never hold a token; the body is masked once more all the same
//! ([`mask_secrets`](crate::secret::mask_secrets)).
//!
//! [`Notifier::send`] makes at most [`NotifyOptions::attempts`] attempts, each within
//! [`NotifyOptions::timeout`], with a backoff between them (doubled each time, or the server's
//! `Retry-After` up to a minute), again only after a timeout, a connection error, a 429 or a 5xx;
//! another status (a 404, say) is an answer. Whatever becomes of the alert, the run's own outcome
//! and exit status stay the run's: the command prints a warning on stderr. The URL must be
//! `https://`, or `http://` to a loopback address, as for `--base-url`; it is never printed (a
//! webhook's path is its secret), only its host.

use std::time::Duration;

use serde::Serialize;
use url::Url;

use super::report::{NeedsPerson, PairClass, RunReport};
use crate::error::{Error, Result, TransportErrorKind};

/// How alerts are posted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyOptions {
    /// Attempts at most (default 3).
    pub attempts: u32,
    /// How long one attempt may take, from connecting to the end of the answer (default 10 s).
    pub timeout: Duration,
    /// The wait before the second attempt, doubled before each next one (default 2 s).
    pub backoff: Duration,
}

impl Default for NotifyOptions {
    fn default() -> Self {
        Self {
            attempts: 3,
            timeout: Duration::from_secs(10),
            backoff: Duration::from_secs(2),
        }
    }
}

/// The counts of an alert: pairs by class.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AlertCounts {
    /// Pairs synced.
    pub synced: usize,
    /// Pairs planned (a dry run).
    pub planned: usize,
    /// Pairs that failed.
    pub failed: usize,
    /// Pairs that need a person.
    pub needs_person: usize,
    /// Pairs left out by the registry's design.
    pub skipped: usize,
    /// Pairs left to another run that is writing them.
    pub busy: usize,
}

/// A pair that failed, in an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedPair {
    /// The pair (`database → environment`).
    pub pair: String,
    /// Why it failed.
    pub reason: String,
    /// Its first errors (at most [`Alert::MAX_ERRORS`]).
    pub errors: Vec<String>,
}

/// The JSON body of an alert. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// A summary for people, as Slack shows it.
    pub text: String,
    /// The run's exit status (1 or 3).
    pub exit_status: i32,
    /// Whether the run was a dry run.
    pub dry_run: bool,
    /// Pairs by class.
    pub counts: AlertCounts,
    /// The pairs that need a person, each with its fix.
    pub needs_person: Vec<NeedsPerson>,
    /// The pairs that failed.
    pub failed: Vec<FailedPair>,
    /// The machine the run ran on.
    pub host: String,
    /// The run's ID.
    pub run_id: String,
}

impl Alert {
    /// The most errors listed per failed pair.
    pub const MAX_ERRORS: usize = 5;

    /// The alert of `report`, a run `run_id` on `host`; `None` when the run went well (exit
    /// status 0): nothing to post.
    pub fn of(report: &RunReport, run_id: &str, host: &str) -> Option<Self> {
        let exit_status = report.exit_status();
        if exit_status == 0 {
            return None;
        }
        let mut counts = AlertCounts::default();
        for pair in &report.pairs {
            *match pair.class() {
                PairClass::Synced => &mut counts.synced,
                PairClass::Planned => &mut counts.planned,
                PairClass::Failed => &mut counts.failed,
                PairClass::NeedsPerson => &mut counts.needs_person,
                PairClass::Skipped => &mut counts.skipped,
                PairClass::Busy => &mut counts.busy,
            } += 1;
        }
        let failed: Vec<FailedPair> = report
            .pairs
            .iter()
            .filter(|p| p.class() == PairClass::Failed)
            .map(|p| FailedPair {
                pair: p.pair.label(),
                reason: p.reason().unwrap_or("failed").to_owned(),
                errors: p.errors.iter().take(Self::MAX_ERRORS).cloned().collect(),
            })
            .collect();
        let needs_person = report.needs_person();
        let text = summary_text(report, &counts, &needs_person, &failed, run_id, host);
        Some(Self {
            text,
            exit_status,
            dry_run: report.dry_run,
            counts,
            needs_person,
            failed,
            host: host.to_owned(),
            run_id: run_id.to_owned(),
        })
    }

    /// The alert as the JSON body posted, masked once more for anything shaped like a token.
    pub fn to_json(&self) -> Result<String> {
        let json = serde_json::to_string(self).map_err(|e| Error::Decode {
            what: "an alert".into(),
            message: e.to_string(),
        })?;
        Ok(crate::secret::mask_secrets(&json))
    }
}

/// The alert's `text`: the counts in one line, then a line per pair that needs a person (its
/// fix) and per failed pair (its reason).
fn summary_text(
    report: &RunReport,
    counts: &AlertCounts,
    needs_person: &[NeedsPerson],
    failed: &[FailedPair],
    run_id: &str,
    host: &str,
) -> String {
    let what = if report.dry_run { "plan" } else { "sync" };
    let verdict = if failed.is_empty() {
        "needs a person"
    } else {
        "failed"
    };
    let done = if report.dry_run {
        format!("{} planned", counts.planned)
    } else {
        format!("{} synced", counts.synced)
    };
    let mut text = format!(
        "notion-xws {what} {verdict} (exit {}) on {host}, run {run_id}: {} pair(s): {done}, {} \
         failed, {} need a person",
        report.exit_status(),
        report.pairs.len(),
        counts.failed,
        counts.needs_person,
    );
    if counts.skipped + counts.busy > 0 {
        text.push_str(&format!(
            ", {} left out by design, {} left to another run",
            counts.skipped, counts.busy
        ));
    }
    text.push('.');
    for need in needs_person {
        text.push_str(&format!("\n• {}: {}", need.pair, need.fix));
    }
    for pair in failed {
        text.push_str(&format!("\n• {} failed: {}", pair.pair, pair.reason));
    }
    slack_escaped(&text)
}

/// `text` with the three characters Slack reads as markup (`&`, `<`, `>`) escaped, as its
/// message formatting asks, so that a reason is shown as it is.
fn slack_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Posts alerts to one webhook. See the [module documentation](self).
#[derive(Debug, Clone)]
pub struct Notifier {
    client: reqwest::Client,
    url: Url,
    options: NotifyOptions,
}

/// What became of an alert that was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The status the webhook answered.
    pub status: u16,
    /// Attempts made.
    pub attempts: u32,
}

impl Notifier {
    /// A notifier to `url` (`https://`, or `http://` to a loopback address), with the default
    /// options. A URL that is not one is [`Error::Config`].
    pub fn new(url: &str) -> Result<Self> {
        Self::with_options(url, NotifyOptions::default())
    }

    /// A notifier to `url` with these options.
    pub fn with_options(url: &str, options: NotifyOptions) -> Result<Self> {
        let url = crate::transport::http::check_url(url, "the --notify URL")?;
        let client = crate::transport::http::http_client(options.timeout, options.timeout)?;
        Ok(Self {
            client,
            url,
            options,
        })
    }

    /// Where alerts go, as it may be shown: the scheme and the host (a webhook's path is its
    /// secret).
    pub fn shown(&self) -> String {
        format!(
            "{}://{}/…",
            self.url.scheme(),
            self.url.host_str().unwrap_or_default()
        )
    }

    /// Posts the alert of `report` (see [`Alert::of`]) when the run needs a person or failed:
    /// `Ok(None)` when there was nothing to post. An alert that could not be delivered after
    /// the attempts is an error that says why (never the URL's path).
    pub async fn notify(
        &self,
        report: &RunReport,
        run_id: &str,
        host: &str,
    ) -> Result<Option<Delivered>> {
        match Alert::of(report, run_id, host) {
            Some(alert) => self.send(&alert).await.map(Some),
            None => Ok(None),
        }
    }

    /// Posts `alert`, in at most [`NotifyOptions::attempts`] attempts.
    pub async fn send(&self, alert: &Alert) -> Result<Delivered> {
        let body = alert.to_json()?;
        let attempts = self.options.attempts.max(1);
        let mut backoff = self.options.backoff;
        let mut last = String::new();
        for attempt in 1..=attempts {
            let wait = match self.post(&body).await {
                Ok(Answer::Delivered(status)) => {
                    return Ok(Delivered {
                        status,
                        attempts: attempt,
                    });
                }
                Ok(Answer::Refused(status)) => {
                    return Err(Error::Transport {
                        kind: TransportErrorKind::InvalidResponse,
                        message: format!(
                            "the webhook at {} refused the alert with status {status}",
                            self.shown()
                        ),
                    });
                }
                Ok(Answer::Busy(status, retry_after)) => {
                    last = format!("status {status}");
                    retry_after.map_or(backoff, |after| after.min(Duration::from_secs(60)))
                }
                Err(error) => {
                    last = error;
                    backoff
                }
            };
            if attempt < attempts {
                tracing::debug!(attempt, %last, "alert not delivered; trying again");
                tokio::time::sleep(wait).await;
                backoff = backoff.saturating_mul(2);
            }
        }
        Err(Error::Transport {
            kind: TransportErrorKind::Request,
            message: format!(
                "the alert could not be posted to {} in {attempts} attempt(s) of at most {} \
                 each: {last}",
                self.shown(),
                humantime::format_duration(self.options.timeout)
            ),
        })
    }

    /// One attempt.
    async fn post(&self, body: &str) -> std::result::Result<Answer, String> {
        let answer = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
            .await;
        let response = match answer {
            Ok(response) => response,
            // (reqwest's error names the URL: left out.)
            Err(error) if error.is_timeout() => return Err("no answer in time".to_owned()),
            Err(error) => return Err(error.without_url().to_string()),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // The answer's body is read (within the timeout) so that the connection is reused.
        let _ = response.bytes().await;
        Ok(if status.is_success() {
            Answer::Delivered(status.as_u16())
        } else if status.as_u16() == 429 || status.is_server_error() {
            Answer::Busy(status.as_u16(), retry_after)
        } else {
            Answer::Refused(status.as_u16())
        })
    }
}

/// What a webhook answered to one attempt.
enum Answer {
    /// 2xx.
    Delivered(u16),
    /// 429 or 5xx: try again (after `Retry-After`, when it says).
    Busy(u16, Option<Duration>),
    /// Another status: the alert was refused.
    Refused(u16),
}

#[cfg(test)]
mod tests {
    use super::slack_escaped;

    #[test]
    fn slack_markup_is_escaped() {
        assert_eq!(
            slack_escaped("a <b> & <!channel>"),
            "a &lt;b&gt; &amp; &lt;!channel&gt;"
        );
    }
}
