//! The one place where requests are sent: progenitor's `ClientHooks::exec`, implemented with retries,
//! backoff (backon), `Retry-After`, and a tracing span per attempt. Every generated method, the CSV
//! methods and the pager go through it.

use std::time::Duration;

use backon::{BackoffBuilder, ExponentialBuilder};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::header::HeaderMap;
use reqwest::{Request, Response, StatusCode};
use tracing::Instrument;

use crate::error::{is_retryable_status, is_retryable_transport};
use crate::generated::Client as GeneratedClient;

/// Longest `Retry-After` the client will honour; a longer one falls back to its own backoff.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// How failed attempts are retried.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: u32,
    /// Delay before the first retry; it doubles on every retry.
    pub initial_delay: Duration,
    /// Cap on one delay.
    pub max_delay: Duration,
    /// Randomise each delay (recommended when many clients retry at once).
    pub jitter: bool,
}

impl Default for RetryPolicy {
    /// 2 retries, 0.5 s doubling, capped at 8 s, with jitter: the official Python SDK's policy.
    fn default() -> Self {
        Self {
            max_retries: 2,
            initial_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    fn delays(&self) -> impl Iterator<Item = Duration> + use<> {
        let mut builder = ExponentialBuilder::default()
            .with_min_delay(self.initial_delay)
            .with_max_delay(self.max_delay)
            .with_factor(2.0)
            .with_max_times(self.max_retries as usize);
        if self.jitter {
            builder = builder.with_jitter();
        }
        builder.build()
    }
}

/// State the generated client carries for the hooks (progenitor's "inner type").
#[derive(Clone, Debug, Default)]
pub struct Hooks {
    pub(crate) retry: RetryPolicy,
}

/// What the last attempt of a call saw, for errors whose body did not parse.
#[derive(Clone, Debug, Default)]
pub(crate) struct LastResponse {
    pub status: Option<StatusCode>,
    pub request_id: Option<String>,
}

tokio::task_local! {
    pub(crate) static LAST_RESPONSE: std::cell::RefCell<LastResponse>;
}

fn request_id(headers: &HeaderMap) -> Option<String> {
    ["x-request-id", "request-id"]
        .iter()
        .find_map(|name| headers.get(*name)?.to_str().ok().map(str::to_string))
}

/// `retry-after-ms` (milliseconds) or `Retry-After` (seconds, or an HTTP date), when present and
/// not absurd (negative, or over a minute).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let millis = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok()?.trim().parse::<f64>().ok())
        .map(|ms| ms / 1000.0);
    let seconds = || {
        let value = headers
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim();
        value.parse::<f64>().ok().or_else(|| {
            // An HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) is RFC 2822 with the zone spelled GMT.
            // A date already past (clock skew, most likely) falls back to the computed backoff.
            let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
            let wait = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
            (wait.num_milliseconds() > 0).then(|| wait.num_milliseconds() as f64 / 1000.0)
        })
    };
    let wait = millis.or_else(seconds)?;
    (wait.is_finite() && wait >= 0.0)
        .then(|| Duration::from_secs_f64(wait))
        .filter(|d| *d <= MAX_RETRY_AFTER)
}

impl ClientHooks<Hooks> for GeneratedClient {
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let mut delays = self.inner().retry.delays();
        let mut attempt: u32 = 0;
        let mut request = Some(request);
        loop {
            attempt += 1;
            let template = request.take().expect("a request is kept for every attempt");
            // The body is bytes (JSON), so it can be cloned; keep a copy while retries remain.
            let this_attempt = match template.try_clone() {
                Some(copy) => {
                    request = Some(template);
                    copy
                }
                None => template,
            };
            let span = tracing::info_span!(
                "gcore_billing.request",
                operation = info.operation_id,
                attempt,
                status = tracing::field::Empty,
            );
            let outcome = self
                .client()
                .execute(this_attempt)
                .instrument(span.clone())
                .await;
            let wait = match &outcome {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    let _ = LAST_RESPONSE.try_with(|last| {
                        *last.borrow_mut() = LastResponse {
                            status: Some(response.status()),
                            request_id: request_id(response.headers()),
                        };
                    });
                    if !is_retryable_status(response.status()) {
                        return outcome;
                    }
                    retry_after(response.headers())
                }
                Err(error) => {
                    span.in_scope(|| tracing::debug!(error = %error, "attempt failed"));
                    if !is_retryable_transport(error) {
                        return outcome;
                    }
                    None
                }
            };
            let (Some(backoff), true) = (delays.next(), request.is_some()) else {
                return outcome;
            };
            let delay = wait.unwrap_or(backoff);
            span.in_scope(|| tracing::info!(delay_ms = delay.as_millis() as u64, "retrying"));
            drop(outcome);
            tokio::time::sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    reqwest::header::HeaderName::from_static(k),
                    v.parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn retry_after_prefers_milliseconds_then_seconds_and_ignores_absurd_values() {
        assert_eq!(
            retry_after(&headers(&[("retry-after-ms", "250"), ("retry-after", "9")])),
            Some(Duration::from_millis(250))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "2")])),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1.5")])),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "3600")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "-1")])), None);
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            None
        );
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }

    #[test]
    fn retry_after_as_an_http_date_waits_until_then() {
        let date = |from_now: chrono::Duration| {
            (chrono::Utc::now() + from_now)
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
        };
        let soon = date(chrono::Duration::seconds(10));
        let wait = retry_after(&headers(&[("retry-after", soon.as_str())])).expect("a wait");
        // The date has whole seconds, so the wait is a little under 10 s.
        assert!(
            wait > Duration::from_secs(8) && wait <= Duration::from_secs(10),
            "{wait:?}"
        );
        let late = date(chrono::Duration::hours(2));
        assert_eq!(
            retry_after(&headers(&[("retry-after", late.as_str())])),
            None
        );
    }

    #[test]
    fn default_policy_doubles_from_half_a_second_up_to_eight() {
        let policy = RetryPolicy {
            max_retries: 6,
            jitter: false,
            ..RetryPolicy::default()
        };
        let delays: Vec<u64> = policy.delays().map(|d| d.as_millis() as u64).collect();
        assert_eq!(delays, [500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(RetryPolicy::none().delays().count(), 0);
    }
}
