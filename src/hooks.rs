//! The one place where requests are sent: progenitor's `ClientHooks::exec`, implemented with retries,
//! backoff (backon), `Retry-After`, a capped body read, and a tracing span per attempt. Every generated
//! method, the CSV methods and the pager go through it.
//!
//! The whole body is read inside the attempt, up to the client's [`crate::ClientBuilder::max_body_bytes`]: a connection reset or a
//! timeout halfway through a body is retried like any other transport failure, and a body over the
//! limit ends the call with [`crate::Error::ResponseTooLarge`] instead of taking unbounded memory.

use std::time::Duration;

use crate::runtime::{ClientHooks, ClientInfo, OperationInfo};
use backon::{BackoffBuilder, ExponentialBuilder};
use bytes::{Bytes, BytesMut};
use reqwest::header::HeaderMap;
use reqwest::{Request, Response, StatusCode};
use tracing::Instrument;

use crate::error::{BodyFailure, is_retryable_status, is_retryable_transport};
use crate::generated::Client as GeneratedClient;

/// Longest `Retry-After` the client will honour; a longer one falls back to its own backoff.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Default cap on one response body: 256 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;

/// How much of an error body is kept for [`crate::Error::Api`]: 64 KiB.
pub(crate) const ERROR_EXCERPT_BYTES: usize = 64 * 1024;

/// Most memory reserved up front for a body whose length the server declares (it is at most the
/// body limit anyway). Reserving the declared length spares the copies of a growing buffer; a lying
/// `Content-Length` reserves address space, which is not touched, and the read stays capped.
const INITIAL_BODY_CAPACITY: usize = 16 * 1024 * 1024;

/// How failed attempts are retried.
///
/// One call takes at most `(max_retries + 1) × timeout` in attempts plus `max_retries` waits, each
/// wait at most `max(max_delay, 60 s)`: the computed backoff is capped at `max_delay`, and a server's
/// `Retry-After` is honoured only up to [`MAX_RETRY_AFTER`] (a longer, negative or unreadable one is
/// ignored in favour of the backoff). With the defaults (2 retries, 120 s timeout) that is at most
/// 6 min 2 s, and far less in practice.
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
            .with_max_times(usize::try_from(self.max_retries).unwrap_or(usize::MAX));
        if self.jitter {
            builder = builder.with_jitter();
        }
        builder.build()
    }
}

/// State the generated client carries for the hooks (progenitor's "inner type").
#[derive(Clone, Debug)]
pub struct Hooks {
    pub(crate) retry: RetryPolicy,
    /// Largest body one response may have.
    pub(crate) max_body_bytes: u64,
}

impl Default for Hooks {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }
}

/// What the last attempt of a call saw, for errors whose body did not parse.
#[derive(Clone, Debug, Default)]
pub(crate) struct LastResponse {
    pub status: Option<StatusCode>,
    pub request_id: Option<String>,
    /// The first [`ERROR_EXCERPT_BYTES`] of an error status's body.
    pub error_excerpt: Option<Bytes>,
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
/// sensible: a negative, non-finite, unreadable value or one over [`MAX_RETRY_AFTER`] gives `None`,
/// and the caller falls back to its own backoff. Never panics, whatever the header holds.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = |name: &str| headers.get(name)?.to_str().ok().map(str::trim);
    if let Some(millis) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return bounded_wait(millis / 1000.0);
    }
    let value = text(reqwest::header::RETRY_AFTER.as_str())?;
    if let Ok(seconds) = value.parse::<f64>() {
        return bounded_wait(seconds);
    }
    // An HTTP date (`Wed, 21 Oct 2015 07:28:00 GMT`) is RFC 2822 with the zone spelled GMT.
    // A date already past (clock skew, most likely) falls back to the computed backoff.
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = (at.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .to_std()
        .ok()?;
    (!wait.is_zero() && wait <= MAX_RETRY_AFTER).then_some(wait)
}

/// `seconds` as a wait, if it is a number of seconds between 0 and [`MAX_RETRY_AFTER`].
fn bounded_wait(seconds: f64) -> Option<Duration> {
    if !(seconds.is_finite() && seconds >= 0.0 && seconds <= MAX_RETRY_AFTER.as_secs_f64()) {
        return None;
    }
    Duration::try_from_secs_f64(seconds).ok()
}

/// What one attempt came to, once its body has been read.
enum Attempt {
    /// Status, headers and the whole body, in memory (the body also given apart, to keep an excerpt).
    Answered(Response, Bytes),
    /// The body was over the limit: not retried, since the same body would come back.
    TooLarge(Response),
    /// The connection failed before or during the body.
    Failed(reqwest::Error),
}

/// Reads the body of `response` into memory, up to `limit` bytes, and rebuilds the response around it.
async fn read_body(mut response: Response, limit: u64) -> Attempt {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let rebuild = |body: reqwest::Body| {
        let mut rebuilt = http::Response::new(body);
        *rebuilt.status_mut() = status;
        *rebuilt.version_mut() = version;
        *rebuilt.headers_mut() = headers.clone();
        Response::from(rebuilt)
    };
    let too_large = || {
        let failure = futures::stream::once(async move {
            Err::<Bytes, BodyFailure>(BodyFailure::TooLarge { limit })
        });
        Attempt::TooLarge(rebuild(reqwest::Body::wrap_stream(failure)))
    };
    if response
        .content_length()
        .is_some_and(|declared| declared > limit)
    {
        return too_large();
    }
    let capacity = response
        .content_length()
        .map_or(0, |declared| {
            usize::try_from(declared).unwrap_or(usize::MAX)
        })
        .min(INITIAL_BODY_CAPACITY);
    let mut body = BytesMut::with_capacity(capacity);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let size = body.len().saturating_add(chunk.len());
                if u64::try_from(size).map_or(true, |size| size > limit) {
                    return too_large();
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => {
                let body = body.freeze();
                return Attempt::Answered(rebuild(reqwest::Body::from(body.clone())), body);
            }
            Err(error) => return Attempt::Failed(error),
        }
    }
}

impl ClientHooks<Hooks> for GeneratedClient {
    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let mut delays = self.inner().retry.delays();
        let limit = self.inner().max_body_bytes;
        let mut attempt: u32 = 0;
        let mut template = request;
        loop {
            attempt = attempt.saturating_add(1);
            // The body is bytes (JSON), so it can be cloned; keep the original for the next attempt.
            let copy = template.try_clone();
            let (this_attempt, next) = match copy {
                Some(copy) => (copy, Some(template)),
                None => (template, None),
            };
            // The method and URL only: the Authorization header is never recorded.
            let span = tracing::info_span!(
                "gcore_billing.request",
                operation = info.operation_id,
                method = %this_attempt.method(),
                url = %this_attempt.url(),
                attempt,
                status = tracing::field::Empty,
            );
            span.in_scope(|| tracing::debug!("sending"));
            let outcome = async {
                match self.client().execute(this_attempt).await {
                    Ok(response) => read_body(response, limit).await,
                    Err(error) => Attempt::Failed(error),
                }
            }
            .instrument(span.clone())
            .await;
            let (outcome, wait) = match outcome {
                Attempt::TooLarge(response) => {
                    span.record("status", response.status().as_u16());
                    remember(&response, None);
                    return Ok(response);
                }
                Attempt::Answered(response, body) => {
                    span.record("status", response.status().as_u16());
                    span.in_scope(|| tracing::debug!(bytes = body.len(), "answered"));
                    remember(&response, Some(&body));
                    if !is_retryable_status(response.status()) {
                        return Ok(response);
                    }
                    let wait = retry_after(response.headers());
                    (Ok(response), wait)
                }
                Attempt::Failed(error) => {
                    span.in_scope(|| tracing::debug!(error = %error, "attempt failed"));
                    if !is_retryable_transport(&error) {
                        return Err(error);
                    }
                    (Err(error), None)
                }
            };
            let (Some(backoff), Some(next)) = (delays.next(), next) else {
                return outcome;
            };
            let delay = wait.unwrap_or(backoff);
            span.in_scope(|| {
                tracing::info!(
                    delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "retrying"
                )
            });
            drop(outcome);
            template = next;
            tokio::time::sleep(delay).await;
        }
    }
}

/// Keeps what a caller needs when the body does not parse: the status, the request id, and for an
/// error status a bounded excerpt of the body (`body` is None when the body was not read).
fn remember(response: &Response, body: Option<&Bytes>) {
    let excerpt = body
        .filter(|_| !response.status().is_success())
        .map(|body| body.slice(..body.len().min(ERROR_EXCERPT_BYTES)));
    let _ = LAST_RESPONSE.try_with(|last| {
        *last.borrow_mut() = LastResponse {
            status: Some(response.status()),
            request_id: request_id(response.headers()),
            error_excerpt: excerpt,
        };
    });
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
