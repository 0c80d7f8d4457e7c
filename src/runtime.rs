//! What the generated client calls at run time: the answer wrapper, the generated client's error,
//! the hook traits that `src/hooks.rs` implements, path and query encoding.
//!
//! progenitor's generated code names these items in its `progenitor-client` crate; the generator
//! points those paths here instead (`tidy::use_own_runtime`). That crate asks for serde's `derive`
//! feature without deriving anything, which made every build of this crate compile `syn` and
//! serde's derive macro (benches/README.md, section 4, fifth round). Only what the generated code
//! uses is here.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// The body of an answer that is not parsed (a CSV report), as the chunks arrive.
pub struct ByteStream(Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>);

impl ByteStream {
    /// The stream of chunks.
    pub fn into_inner(self) -> Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>> {
        self.0
    }
}

impl fmt::Debug for ByteStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ByteStream")
    }
}

/// An answer of the generated client: the parsed value (or [`ByteStream`]) with the status and
/// headers it came with. It dereferences to the value.
#[derive(Debug)]
pub struct ResponseValue<T> {
    inner: T,
    status: reqwest::StatusCode,
    headers: reqwest::header::HeaderMap,
}

impl<T> ResponseValue<T> {
    /// A value with the status and headers it came with (for tests, and for code that builds an
    /// answer from another one).
    pub fn new(inner: T, status: reqwest::StatusCode, headers: reqwest::header::HeaderMap) -> Self {
        Self {
            inner,
            status,
            headers,
        }
    }

    /// The value, without status and headers.
    pub fn into_inner(self) -> T {
        self.inner
    }

    /// The answer's HTTP status.
    pub fn status(&self) -> reqwest::StatusCode {
        self.status
    }

    /// The answer's headers.
    pub fn headers(&self) -> &reqwest::header::HeaderMap {
        &self.headers
    }
}

impl<T: DeserializeOwned> ResponseValue<T> {
    /// Reads the whole body and parses it as JSON. A body that does not parse is kept in the error
    /// with serde's reason, for the caller to report.
    pub async fn from_response<E>(response: reqwest::Response) -> Result<Self, Error<E>> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
        match serde_json::from_slice(&body) {
            Ok(inner) => Ok(Self::new(inner, status, headers)),
            Err(e) => Err(Error::InvalidResponsePayload(body, e)),
        }
    }
}

/// An operation's check of a JSON request body: its parse into the generated request type, then
/// that type's checks (ranges, lengths, `x-gcore-checks`); the error says what failed.
pub type BodyCheck = fn(&serde_json::Value) -> Result<(), String>;

/// A GET's check of its parameters given as text: read into its query struct, then that struct's
/// checks; the error says what failed.
pub type QueryCheck = fn(&[(String, String)]) -> Result<(), String>;

/// An operation's check of an answer's bytes: their parse into the generated response type.
pub type AnswerCheck = fn(&[u8]) -> Result<(), serde_json::Error>;

impl ResponseValue<serde_json::Value> {
    /// Reads the whole body (already in memory and within the client's size limit: the `exec`
    /// hook of src/hooks.rs read it), checks it with `check` (the operation's typed parse), and
    /// keeps the JSON as the server sent it. A body that fails either parse is kept in the error with serde's
    /// reason, as [`ResponseValue::from_response`] keeps it.
    pub async fn checked_json<E>(
        response: reqwest::Response,
        check: AnswerCheck,
    ) -> Result<Self, Error<E>> {
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(Error::ResponseBodyError)?;
        if let Err(e) = check(&body) {
            return Err(Error::InvalidResponsePayload(body, e));
        }
        match serde_json::from_slice(&body) {
            Ok(inner) => Ok(Self::new(inner, status, headers)),
            Err(e) => Err(Error::InvalidResponsePayload(body, e)),
        }
    }
}

impl ResponseValue<ByteStream> {
    /// The answer with its body left unread, as a stream of chunks.
    pub fn stream(response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        Self::new(
            ByteStream(Box::pin(response.bytes_stream())),
            status,
            headers,
        )
    }

    /// The body's stream of chunks.
    pub fn into_inner_stream(
        self,
    ) -> Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>> {
        self.inner.into_inner()
    }
}

impl<T> Deref for ResponseValue<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> DerefMut for ResponseValue<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

/// Why a call of the generated client failed. `E` is the operation's error body. The crate's own
/// [`crate::Error`] is made from it (with the operation's name, the request id and an excerpt of
/// the body); this type is what `Client::generated()`'s builders return.
#[derive(Debug)]
pub enum Error<E = ()> {
    /// The request was refused before it was sent: a builder field missing or invalid, a body
    /// that is not the operation's type, a parameter the operation does not have.
    InvalidRequest(String),
    /// The request could not be built or sent, or no answer came.
    CommunicationError(reqwest::Error),
    /// The server answered with an error status and the error body the spec describes.
    ErrorResponse(ResponseValue<E>),
    /// The answer's body could not be read to its end.
    ResponseBodyError(reqwest::Error),
    /// The answer's body is not the JSON the spec describes: the body, and serde's reason.
    InvalidResponsePayload(Bytes, serde_json::Error),
    /// The answer has a status the spec does not list.
    UnexpectedResponse(reqwest::Response),
}

impl<E> From<reqwest::Error> for Error<E> {
    fn from(e: reqwest::Error) -> Self {
        Self::CommunicationError(e)
    }
}

/// Each message says what failed; the cause, where there is one, is [`std::error::Error::source`]
/// and is not repeated here (so a report of the chain prints it once).
impl<E> fmt::Display for Error<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidRequest(message) => write!(f, "invalid request: {message}"),
            Self::CommunicationError(_) => f.write_str("the request could not be sent"),
            Self::ErrorResponse(response) => {
                write!(f, "error response, status {}", response.status())
            }
            Self::ResponseBodyError(_) => f.write_str("the answer's body could not be read"),
            Self::InvalidResponsePayload(body, _) => write!(
                f,
                "the answer's body ({} bytes) is not the JSON the spec describes",
                body.len()
            ),
            Self::UnexpectedResponse(response) => {
                write!(f, "status {} is not in the spec", response.status())
            }
        }
    }
}

impl<E: fmt::Debug> std::error::Error for Error<E> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::CommunicationError(e) | Self::ResponseBodyError(e) => Some(e),
            Self::InvalidResponsePayload(_, e) => Some(e),
            _ => None,
        }
    }
}

/// What the generated client carries: its base URL, its HTTP client and the hooks' state.
pub trait ClientInfo<Inner> {
    /// The spec's `info.version`.
    fn api_version() -> &'static str;
    /// The base URL that operation paths are appended to.
    fn baseurl(&self) -> &str;
    /// The HTTP client requests go through.
    fn client(&self) -> &reqwest::Client;
    /// The state the hooks read (retry policy, body limit).
    fn inner(&self) -> &Inner;
}

/// Which operation a request belongs to, for the hooks.
pub struct OperationInfo {
    /// The operation's `operationId` in the spec.
    pub operation_id: &'static str,
}

/// What the generated client calls around every request: `pre` before it is sent, `exec` to
/// send it, `post` with the result. `src/hooks.rs` implements them (retries, limits, tracing).
pub(crate) trait ClientHooks<Inner>: ClientInfo<Inner> {
    /// Changes the request before it is sent; by default, nothing.
    fn pre<E>(
        &self,
        _request: &mut reqwest::Request,
        _info: &OperationInfo,
    ) -> impl Future<Output = Result<(), Error<E>>> + Send {
        async { Ok(()) }
    }

    /// Sends the request and returns the answer.
    fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> impl Future<Output = reqwest::Result<reqwest::Response>> + Send;

    /// Sees the result before the generated code reads it; by default, nothing.
    fn post<E>(
        &self,
        _result: &reqwest::Result<reqwest::Response>,
        _info: &OperationInfo,
    ) -> impl Future<Output = Result<(), Error<E>>> + Send {
        async { Ok(()) }
    }
}

/// The characters a path segment keeps as they are (RFC 3986's unreserved ones); every other
/// byte is percent-encoded, `/` and `?` included, so a value stays one segment.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A path parameter's value, encoded as one path segment.
pub fn encode_path(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, PATH_SEGMENT).to_string()
}

/// A list query parameter's values as the element type the generated request builder takes
/// (typify may pick a narrower one than the query struct's, such as `NonZeroU64` for an integer
/// with `minimum: 1`); a value that does not fit is an error naming it.
pub fn list_into<T: fmt::Debug + Clone, U: TryFrom<T>>(
    name: &str,
    values: Vec<T>,
) -> Result<Vec<U>, String>
where
    U::Error: fmt::Display,
{
    values
        .into_iter()
        .map(|value| {
            U::try_from(value.clone())
                .map_err(|e| format!("query parameter {name}: {value:?} does not fit: {e}"))
        })
        .collect()
}

/// One query parameter, for `reqwest::RequestBuilder::query`: `None` sends nothing, a list
/// sends one `name=value` pair per element, a string, number or boolean one pair with its
/// text. An object (or a list of lists) is refused with an error that names the parameter.
pub struct QueryParam<'a, T> {
    name: &'a str,
    value: &'a T,
}

impl<'a, T> QueryParam<'a, T> {
    /// The parameter `name` with `value`.
    pub fn new(name: &'a str, value: &'a T) -> Self {
        Self { name, value }
    }
}

impl<T: Serialize> Serialize for QueryParam<'_, T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeMap as _};
        let value = serde_json::to_value(self.value).map_err(S::Error::custom)?;
        let values = match value {
            serde_json::Value::Array(values) => values,
            single => vec![single],
        };
        let mut pairs = serializer.serialize_map(None)?;
        for value in values {
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) => text,
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                    return Err(S::Error::custom(format!(
                        "query parameter {}: a list of lists or an object cannot be sent",
                        self.name
                    )));
                }
            };
            pairs.serialize_entry(self.name, &text)?;
        }
        pairs.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query text reqwest's `query` appends (it serializes with serde_urlencoded too).
    fn query<T: Serialize>(name: &str, value: &T) -> Result<String, String> {
        serde_urlencoded::to_string(QueryParam::new(name, value)).map_err(|e| e.to_string())
    }

    #[test]
    fn query_params_send_set_values_once_and_lists_as_repeated_pairs() {
        assert_eq!(query("region_id", &Some(7u64)).unwrap(), "region_id=7");
        assert_eq!(query("region_id", &None::<u64>).unwrap(), "");
        assert_eq!(query("show_inactive", &true).unwrap(), "show_inactive=true");
        assert_eq!(query("name", &"a b&c").unwrap(), "name=a+b%26c");
        assert_eq!(query("id", &vec![1, 2]).unwrap(), "id=1&id=2");
        let error = query("filter", &serde_json::json!({"a": 1})).unwrap_err();
        assert!(error.contains("query parameter filter"), "{error}");
    }

    #[test]
    fn list_values_take_the_builders_element_type_or_say_which_does_not_fit() {
        let ids: Result<Vec<std::num::NonZeroU64>, String> = list_into("ids", vec![3u64, 1]);
        assert_eq!(
            ids.map(|v| v.iter().map(|n| n.get()).collect::<Vec<_>>()),
            Ok(vec![3, 1])
        );
        let zero: Result<Vec<std::num::NonZeroU64>, String> = list_into("ids", vec![2u64, 0]);
        let error = zero.unwrap_err();
        assert!(
            error.contains("query parameter ids: 0 does not fit"),
            "{error}"
        );
        let names: Result<Vec<String>, String> = list_into("names", vec!["a".to_string()]);
        assert_eq!(names, Ok(vec!["a".to_string()]));
    }

    #[test]
    fn path_values_stay_one_segment() {
        assert_eq!(encode_path("a/b?c d"), "a%2Fb%3Fc%20d");
        assert_eq!(encode_path("ok-1.2_~"), "ok-1.2_~");
        assert_eq!(encode_path("é"), "%C3%A9");
    }
}
