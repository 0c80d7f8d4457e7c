//! One error type for every call: what failed, and the evidence (status, parsed body, raw body,
//! request id). It never contains the API key: requests are not kept, and reqwest errors carry the URL only.

use std::fmt;

use bytes::Bytes;
use reqwest::StatusCode;

use crate::types::ErrorResponse;

/// Everything a call can fail with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The client could not be built (missing API key, bad base URL, TLS set-up).
    Config(String),
    /// The request was rejected before anything was sent.
    InvalidRequest {
        /// The spec `operationId` of the call.
        operation: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The connection failed or broke (after the configured retries).
    Network {
        /// The spec `operationId` of the call.
        operation: &'static str,
        /// The connection error.
        source: reqwest::Error,
    },
    /// The server did not answer in time (after the configured retries).
    Timeout {
        /// The spec `operationId` of the call.
        operation: &'static str,
        /// The timeout error.
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    Api {
        /// The spec `operationId` of the call.
        operation: &'static str,
        /// The HTTP status.
        status: StatusCode,
        /// The error body, when it is the documented JSON shape.
        body: Option<Box<ErrorResponse>>,
        /// The raw body, when it is not (an HTML page from a proxy, say).
        raw: Option<Bytes>,
        /// The `x-request-id` header, to quote to Gcore support.
        request_id: Option<String>,
    },
    /// The server answered success, but the body is not what the spec says.
    Decode {
        /// The spec `operationId` of the call.
        operation: &'static str,
        /// The HTTP status, when known.
        status: Option<StatusCode>,
        /// Where or what did not match: the field path (``at `results[2]` ``), or what was
        /// expected instead.
        message: String,
        /// The body as received (its first 64 KiB).
        raw: Bytes,
        /// serde_json's reason, when the body is JSON that does not parse as the spec's type.
        source: Option<serde_json::Error>,
    },
    /// The pager found the server's pages inconsistent (an empty page before `count` rows).
    Pagination {
        /// The spec `operationId` of the call.
        operation: &'static str,
        /// What went wrong.
        message: String,
    },
    /// The response body was larger than [`crate::ClientBuilder::max_body_bytes`] allows.
    ResponseTooLarge {
        /// The spec `operationId` of the call.
        operation: &'static str,
        /// The HTTP status of the answer.
        status: Option<StatusCode>,
        /// The limit in bytes.
        limit: u64,
    },
    /// A CSV answer could not be read.
    Csv {
        /// The spec `operationId` of the call.
        operation: &'static str,
        /// What went wrong, in this crate's words (the parser's own error is the `source`).
        message: String,
        /// The CSV parser's error, when it was the parser that failed.
        source: Option<csv::Error>,
    },
}

impl Error {
    /// True when trying again later may succeed: network errors (except TLS failures), timeouts,
    /// 408, 409, 429 and 5xx. These are the failures the client retries itself.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Network { source, .. } => is_retryable_transport(source),
            Error::Api { status, .. } => is_retryable_status(*status),
            _ => false,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => *status,
            Error::Network { source, .. } | Error::Timeout { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The operation (spec `operationId`) that failed, if any.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            Error::Config(_) => None,
            Error::InvalidRequest { operation, .. }
            | Error::Network { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Api { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Pagination { operation, .. }
            | Error::ResponseTooLarge { operation, .. }
            | Error::Csv { operation, .. } => Some(operation),
        }
    }

    /// The request id the server gave, if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// This error and each of its causes, once each, joined with `: ` (what `anyhow`'s `{:#}` prints):
    /// `<operationId>: network error: error sending request ...: connection refused`.
    pub fn full_message(&self) -> String {
        let mut text = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            text.push_str(": ");
            // A cause may quote what the server sent (serde_json quotes a bad value whole).
            text.push_str(&truncate(&cause.to_string(), MAX_CAUSE));
            source = cause.source();
        }
        text
    }

    /// The unparsed body, when the server sent one that did not parse.
    pub fn raw_body(&self) -> Option<&[u8]> {
        match self {
            Error::Api { raw, .. } => raw.as_deref(),
            Error::Decode { raw, .. } => Some(raw),
            _ => None,
        }
    }
}

/// Transport errors worth another attempt: the connection failed or broke (before or during the
/// body), or it timed out. Not a request that could not be built, a redirect loop, a body over the
/// size limit, or a TLS failure. (reqwest reports a body that broke off as a "decode" error; JSON is
/// decoded by serde_json, never by reqwest, so that kind means the transport here.)
pub(crate) fn is_retryable_transport(error: &reqwest::Error) -> bool {
    !(error.is_builder()
        || error.is_redirect()
        || error.is_status()
        || body_failure(error).is_some()
        || is_tls_failure(error))
}

/// Why a body was not handed on: carried as the source of the error the generated code reports, so
/// that [`crate::Error`] can name it.
#[derive(Debug)]
pub(crate) enum BodyFailure {
    /// The body is larger than the configured limit (declared by `Content-Length`, or as it arrived).
    TooLarge { limit: u64 },
}

impl std::fmt::Display for BodyFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyFailure::TooLarge { limit } => {
                write!(f, "the response body is larger than the {limit}-byte limit")
            }
        }
    }
}

impl std::error::Error for BodyFailure {}

/// The [`BodyFailure`] behind a transport error, if the body was refused by this client.
pub(crate) fn body_failure(error: &reqwest::Error) -> Option<&BodyFailure> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if let Some(failure) = current.downcast_ref::<BodyFailure>() {
            return Some(failure);
        }
        source = current.source();
    }
    None
}

/// True when a transport error comes from TLS (an untrusted or invalid certificate, a failed
/// handshake): trying again would meet the same certificate.
fn is_tls_failure(error: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<rustls::Error>() {
            return true;
        }
        // An io::Error's `source()` skips the error it wraps, so step into that error instead.
        source = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    false
}

/// The statuses worth retrying on a read-only request.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Config(message) => write!(f, "configuration: {message}"),
            Error::InvalidRequest { operation, message } => {
                write!(f, "{operation}: invalid request: {message}")
            }
            // The transport error is the `source`, not repeated here: `{:#}` in anyhow (or
            // [`Error::full_message`]) prints each cause once.
            Error::Network { operation, .. } => write!(f, "{operation}: network error"),
            Error::Timeout { operation, .. } => write!(f, "{operation}: timed out"),
            Error::Api {
                operation,
                status,
                body,
                raw,
                request_id,
            } => {
                write!(f, "{operation}: API error {status}")?;
                if let Some(message) = body.as_ref().and_then(|b| b.message.as_deref()) {
                    write!(f, ": {message}")?;
                } else if let Some(raw) = raw {
                    write!(f, ": {}", snippet(raw))?;
                }
                if let Some(id) = request_id {
                    write!(f, " (request id {id})")?;
                }
                Ok(())
            }
            Error::Decode {
                operation,
                status,
                message,
                raw,
                ..
            } => {
                write!(f, "{operation}: undecodable response")?;
                if let Some(status) = status {
                    write!(f, " ({status})")?;
                }
                // serde_json's reason is the `source`, printed after this by `{:#}` or
                // [`Error::full_message`].
                write!(f, " (body starts {}): {message}", snippet(raw))
            }
            Error::Pagination { operation, message } => {
                write!(f, "{operation}: pagination: {message}")
            }
            Error::ResponseTooLarge {
                operation,
                status,
                limit,
            } => {
                write!(f, "{operation}: response body over the {limit}-byte limit")?;
                if let Some(status) = status {
                    write!(f, " ({status})")?;
                }
                Ok(())
            }
            Error::Csv {
                operation, message, ..
            } => write!(f, "{operation}: CSV: {message}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Network { source, .. } | Error::Timeout { source, .. } => Some(source),
            Error::Csv {
                source: Some(source),
                ..
            } => Some(source),
            Error::Decode {
                source: Some(source),
                ..
            } => Some(source),
            _ => None,
        }
    }
}

/// The first 200 bytes of a body, quoted, for a one-line message.
fn snippet(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw.get(..raw.len().min(200)).unwrap_or(raw));
    format!("{:?}", text.trim())
}

/// `text` cut to at most `max` bytes (on a character boundary), with a note of how much was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    // `end` is a char boundary (index 0 always is), so the slice cannot panic.
    format!("{}… ({} more bytes)", &text[..end], text.len() - end)
}

/// Longest piece of a serde message quoted in an error (a bad value can be megabytes long).
const MAX_DETAIL: usize = 300;

/// Longest cause [`Error::full_message`] prints.
const MAX_CAUSE: usize = 1000;

/// Why `raw` (one JSON row) does not parse as `T`: the field path and serde's reason, without the
/// position (relative to the row, so misleading) and cut to a few hundred bytes. Used by the
/// generated open unions.
#[doc(hidden)]
pub fn describe_row_error<T: serde::de::DeserializeOwned>(what: &str, raw: &str) -> String {
    let mut reader = serde_json::Deserializer::from_str(raw);
    match serde_path_to_error::deserialize::<_, T>(&mut reader) {
        Ok(_) => format!("{what}: does not parse"),
        Err(error) => {
            let path = error.path().to_string();
            let message = error.inner().to_string();
            let reason = without_position(&message);
            if path == "." {
                format!("{what}: {}", truncate(reason, MAX_DETAIL))
            } else {
                format!("{what}: field `{path}`: {}", truncate(reason, MAX_DETAIL))
            }
        }
    }
}

/// `what: reason`, the reason cut to a few hundred bytes (a bad value can be megabytes long).
pub(crate) fn row_failure(what: &str, reason: &str) -> String {
    format!("{what}: {}", truncate(reason, MAX_DETAIL))
}

/// Where in a whole body `raw` stops parsing as `T`: the field path (`results[3]`, say); the
/// reason is the error's `source`. None when it parses (the failure was elsewhere).
pub(crate) fn describe_body_error<T: serde::de::DeserializeOwned>(raw: &[u8]) -> Option<String> {
    let mut reader = serde_json::Deserializer::from_slice(raw);
    let error = serde_path_to_error::deserialize::<_, T>(&mut reader).err()?;
    Some(format!(
        "at `{}`",
        truncate(&error.path().to_string(), MAX_DETAIL)
    ))
}

/// serde_json's message without its trailing ` at line L column C`.
pub(crate) fn without_position(message: &str) -> &str {
    // `at` comes from `rfind`, so it is a char boundary and both slices are safe.
    match message.rfind(" at line ") {
        Some(at) if message[at..].contains(" column ") => &message[..at],
        _ => message,
    }
}
