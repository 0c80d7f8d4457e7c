//! [`Client`]: configuration and authentication, and the helpers (`prepare`, `call`) that the
//! generated operation methods (in `generated/`, one per operation) go through: each call checks
//! its input ([`crate::validate`]), sends through the retrying hooks, and turns the generated
//! client's error into [`Error`].

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use crate::Error;
use crate::error::{body_failure, describe_body_error};
use crate::generated::{Client as GeneratedClient, Error as GeneratedError, ResponseValue};
use crate::hooks::{
    DEFAULT_MAX_BODY_BYTES, ERROR_EXCERPT_BYTES, Hooks, LAST_RESPONSE, LastResponse, RetryPolicy,
};
use crate::types;
use crate::validate::Validate;

/// Gcore's production API.
pub const DEFAULT_BASE_URL: &str = "https://api.gcore.com";

/// The API key, kept out of `Debug` output.
#[derive(Clone)]
struct ApiKey(String);

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
}

/// PEM text of extra trusted root certificates, shown in `Debug` by size only.
#[derive(Clone)]
struct Pem(Vec<u8>);

impl fmt::Debug for Pem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pem({} bytes)", self.0.len())
    }
}

/// A base URL as given, shown in `Debug` without any user name or password it may carry.
#[derive(Clone)]
struct BaseUrl(String);

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match reqwest::Url::parse(&self.0) {
            Ok(url) if !url.username().is_empty() || url.password().is_some() => {
                write!(f, "{:?}", redact_userinfo(url))
            }
            Ok(_) => write!(f, "{:?}", self.0),
            Err(_) => f.write_str("<unparsable URL>"),
        }
    }
}

/// `url` with its user name and password replaced by `redacted`.
/// TLS for every connection: rustls with the *ring* provider, verifying certificates against the
/// platform's roots (rustls-platform-verifier, as reqwest does) plus the caller's extra roots. The
/// provider is passed in, never installed process-wide, so the host's own rustls set-up is untouched.
fn tls_config(extra_roots: &[Pem]) -> Result<rustls::ClientConfig, Error> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = Vec::new();
    for (i, pem) in extra_roots.iter().enumerate() {
        let certs = CertificateDer::pem_slice_iter(&pem.0)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Error::Config(format!("root certificate PEM #{}: {e}", i + 1)))?;
        if certs.is_empty() {
            return Err(Error::Config(format!(
                "root certificate PEM #{} holds no certificate",
                i + 1
            )));
        }
        roots.extend(certs);
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let verifier =
        rustls_platform_verifier::Verifier::new_with_extra_roots(roots, provider.clone()).map_err(
            |e| Error::Config(format!("cannot load the platform's root certificates: {e}")),
        )?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("TLS set-up: {e}")))?
        .dangerous() // a custom verifier: the platform's, which does verify
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

fn redact_userinfo(mut url: reqwest::Url) -> String {
    // Both setters fail only for URLs that cannot have userinfo, which then have none to hide.
    let _ = url.set_username("redacted");
    let _ = url.set_password(None);
    url.to_string()
}

/// Builds a [`Client`]. Every setting has a default except the API key.
#[derive(Clone, Debug)]
pub struct ClientBuilder {
    api_key: Option<ApiKey>,
    base_url: BaseUrl,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    extra_roots: Vec<Pem>,
    max_body_bytes: u64,
    allow_insecure_http: bool,
    compression: bool,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            api_key: None,
            base_url: BaseUrl(DEFAULT_BASE_URL.to_string()),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            user_agent: concat!("gcore-billing-rust/", env!("CARGO_PKG_VERSION")).to_string(),
            extra_roots: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            allow_insecure_http: false,
            compression: true,
        }
    }
}

impl ClientBuilder {
    /// The API key (sent as `Authorization: APIKey <key>`).
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey(key.into()));
        self
    }

    /// Where the API lives. Default `https://api.gcore.com`. It must be `http` or `https`, with no
    /// user name or password (the API key is the only credential) and no query or fragment.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = BaseUrl(url.into());
        self
    }

    /// Lets [`build`](Self::build) accept an `http://` base URL whose host is not a loopback
    /// address. The API key then crosses the network in clear text, readable by anyone on the
    /// path: only for a proxy you trust on a network you control. Loopback hosts (`127.0.0.0/8`,
    /// `[::1]`, `localhost`) are accepted without it.
    pub fn allow_insecure_http(mut self) -> Self {
        self.allow_insecure_http = true;
        self
    }

    /// Largest response body accepted, in bytes. Default 256 MiB. A larger body (declared by
    /// `Content-Length`, or as it arrives) ends the call with [`Error::ResponseTooLarge`] without
    /// holding more than this in memory. It applies to JSON and CSV answers alike.
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// Asks for compressed answers (`Accept-Encoding: gzip, br, zstd`) and decompresses them, which
    /// is the default: report JSON shrinks about tenfold on the wire. The body limit
    /// ([`ClientBuilder::max_body_bytes`]) counts decompressed bytes, so a small compressed body
    /// that inflates past it ends with [`Error::ResponseTooLarge`]. `false` asks for plain bodies.
    pub fn compression(mut self, on: bool) -> Self {
        self.compression = on;
        self
    }

    /// Limit on establishing a connection. Default 5 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Limit on one whole attempt, body included. Default 120 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// How many times a failed attempt is retried. Default 2; 0 turns retrying off.
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.retry.max_retries = retries;
        self
    }

    /// The whole retry policy (delays, cap, jitter).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts the root certificates in `pem` (one or more PEM blocks) as well as the system's, for
    /// HTTPS through a proxy or gateway with its own certificate authority. A PEM that does not
    /// parse is an [`Error::Config`] from [`build`](Self::build).
    pub fn add_root_certificates_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.extra_roots.push(Pem(pem.into()));
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let key = self.api_key.ok_or_else(|| {
            Error::Config("no API key: set GCORE_API_KEY or call ClientBuilder::api_key".into())
        })?;
        if key.0.trim().is_empty() {
            return Err(Error::Config("the API key is empty".into()));
        }
        let mut auth = HeaderValue::from_str(&format!("APIKey {}", key.0)).map_err(|_| {
            Error::Config("the API key contains characters that cannot go in an HTTP header".into())
        })?;
        auth.set_sensitive(true);
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth);
        let base_url = check_base_url(&self.base_url.0, self.allow_insecure_http)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(&self.extra_roots)?)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.clone())
            .gzip(self.compression)
            .brotli(self.compression)
            .zstd(self.compression)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        let hooks = Hooks {
            retry: self.retry.clone(),
            max_body_bytes: self.max_body_bytes,
        };
        Ok(Client {
            raw: GeneratedClient::new_with_client(&base_url, http, hooks),
            settings: Arc::new(Settings {
                base_url,
                max_body_bytes: self.max_body_bytes,
                connect_timeout: self.connect_timeout,
                timeout: self.timeout,
                retry: self.retry,
                user_agent: self.user_agent,
                compression: self.compression,
            }),
        })
    }
}

/// The base URL with any trailing `/` removed, once it is known to be one requests can go to: `https`,
/// or `http` to a loopback host (or to any host when `insecure_http` is allowed).
fn check_base_url(given: &str, insecure_http: bool) -> Result<String, Error> {
    let base_url = given.trim_end_matches('/').to_string();
    // The message does not quote a URL that does not parse: it might hold a password.
    let parsed = reqwest::Url::parse(&base_url)
        .map_err(|e| Error::Config(format!("the base URL does not parse: {e}")))?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::Config(format!(
            "the base URL {} carries a user name or password; remove it (the API key is the only \
             credential)",
            redact_userinfo(parsed)
        )));
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "base URL {base_url:?} must be http or https"
        )));
    }
    if parsed.scheme() == "http" && !insecure_http && !is_loopback(&parsed) {
        return Err(Error::Config(format!(
            "base URL {base_url:?} is plain http to a host that is not this machine: the API key \
             would cross the network unencrypted. Use https, or allow it explicitly \
             (ClientBuilder::allow_insecure_http; the CLI's --allow-insecure-http)"
        )));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::Config(format!(
            "base URL {base_url:?} must not have a query (?...) or fragment (#...): request paths \
             are appended to it"
        )));
    }
    Ok(base_url)
}

/// Whether the URL's host is this machine: `localhost`, or a loopback IPv4 or IPv6 address.
fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[derive(Debug)]
#[allow(dead_code)] // read through Debug only
struct Settings {
    base_url: String,
    max_body_bytes: u64,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    compression: bool,
}

/// The Gcore billing client. Cheap to clone; clones share one connection pool.
#[derive(Clone)]
pub struct Client {
    pub(crate) raw: GeneratedClient,
    settings: Arc<Settings>,
}

impl fmt::Debug for Client {
    /// Shows the settings; the API key is never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("settings", &self.settings)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// A CSV report: the header and every row.
#[derive(Clone, Debug, PartialEq)]
pub struct CsvTable {
    /// Column names.
    pub headers: csv::StringRecord,
    /// Rows, in the server's order.
    pub rows: Vec<csv::StringRecord>,
}

impl CsvTable {
    /// The value of `column` in row `row`, if both exist.
    pub fn get(&self, row: usize, column: &str) -> Option<&str> {
        let index = self.headers.iter().position(|h| h == column)?;
        self.rows.get(row)?.get(index)
    }
}

/// Turns a request (or its builder) into the checked request type.
#[doc(hidden)]
pub fn prepare<T: Validate, B>(operation: &'static str, body: B) -> Result<T, Error>
where
    B: TryInto<T>,
    B::Error: fmt::Display,
{
    let body = body.try_into().map_err(|e| Error::InvalidRequest {
        operation,
        message: e.to_string(),
    })?;
    body.validate()
        .map_err(|message| Error::InvalidRequest { operation, message })?;
    Ok(body)
}

/// Runs one generated call whose answer is JSON and converts its error, with what the last attempt
/// saw. A body that does not parse as `T` is read again to name the field path that failed.
#[doc(hidden)]
pub async fn call<T, F>(operation: &'static str, request: F) -> Result<ResponseValue<T>, Error>
where
    T: DeserializeOwned,
    F: Future<Output = Result<ResponseValue<T>, GeneratedError<types::ErrorResponse>>>,
{
    call_with(operation, request, describe_body_error::<T>).await
}

/// [`call`] for an answer that is not JSON (a CSV stream).
#[doc(hidden)]
pub async fn call_bytes<F>(
    operation: &'static str,
    request: F,
) -> Result<ResponseValue<crate::generated::ByteStream>, Error>
where
    F: Future<
        Output = Result<
            ResponseValue<crate::generated::ByteStream>,
            GeneratedError<types::ErrorResponse>,
        >,
    >,
{
    call_with(operation, request, |_| None).await
}

async fn call_with<T, F>(
    operation: &'static str,
    request: F,
    explain: fn(&[u8]) -> Option<String>,
) -> Result<ResponseValue<T>, Error>
where
    F: Future<Output = Result<ResponseValue<T>, GeneratedError<types::ErrorResponse>>>,
{
    let (result, last) = LAST_RESPONSE
        .scope(RefCell::new(LastResponse::default()), async {
            let result = request.await;
            (result, LAST_RESPONSE.with(|last| last.take()))
        })
        .await;
    match result {
        Ok(value) => Ok(value),
        Err(error) => Err(convert_error(operation, error, last, explain).await),
    }
}

pub(crate) fn transport(operation: &'static str, source: reqwest::Error) -> Error {
    if let Some(crate::error::BodyFailure::TooLarge { limit }) = body_failure(&source) {
        return Error::ResponseTooLarge {
            operation,
            status: source.status(),
            limit: *limit,
        };
    }
    if source.is_timeout() {
        Error::Timeout { operation, source }
    } else {
        Error::Network { operation, source }
    }
}

/// At most [`ERROR_EXCERPT_BYTES`] of a body, for an error to carry.
fn excerpt(raw: Bytes) -> Bytes {
    raw.slice(..raw.len().min(ERROR_EXCERPT_BYTES))
}

async fn convert_error(
    operation: &'static str,
    error: GeneratedError<types::ErrorResponse>,
    last: LastResponse,
    explain: fn(&[u8]) -> Option<String>,
) -> Error {
    match error {
        GeneratedError::InvalidRequest(message) => Error::InvalidRequest { operation, message },
        GeneratedError::CommunicationError(e) | GeneratedError::ResponseBodyError(e) => {
            match (transport(operation, e), last.status) {
                (Error::ResponseTooLarge { limit, .. }, status) => Error::ResponseTooLarge {
                    operation,
                    status,
                    limit,
                },
                (other, _) => other,
            }
        }
        GeneratedError::ErrorResponse(response) => Error::Api {
            operation,
            status: response.status(),
            request_id: last.request_id,
            body: Some(Box::new(response.into_inner())),
            raw: last.error_excerpt,
        },
        GeneratedError::InvalidResponsePayload(raw, e) => match last.status {
            Some(status) if !status.is_success() => Error::Api {
                operation,
                status,
                body: None,
                raw: Some(excerpt(raw)),
                request_id: last.request_id,
            },
            status => Error::Decode {
                operation,
                status,
                message: explain(&raw)
                    .unwrap_or_else(|| "the body does not parse as the spec's type".into()),
                raw: excerpt(raw),
                source: Some(e),
            },
        },
        GeneratedError::UnexpectedResponse(response) => {
            let status = response.status();
            // The hooks have already read the body into memory, within the size limit.
            let raw = response.bytes().await.ok().map(excerpt);
            if status.is_success() {
                Error::Decode {
                    operation,
                    status: Some(status),
                    message: "status not in the spec".into(),
                    raw: raw.unwrap_or_default(),
                    source: None,
                }
            } else {
                Error::Api {
                    operation,
                    status,
                    body: None,
                    raw,
                    request_id: last.request_id,
                }
            }
        }
    }
}

/// The body of a CSV answer, once it is known to be CSV: a `text/csv` content type and a header row.
#[doc(hidden)]
pub async fn collect_csv(
    operation: &'static str,
    response: ResponseValue<crate::generated::ByteStream>,
) -> Result<Bytes, Error> {
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let status = response.status();
    let mut stream = response.into_inner_stream();
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        body.extend_from_slice(&chunk.map_err(|e| transport(operation, e))?);
    }
    let body = body.freeze();
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media_type != "text/csv" {
        let got = if media_type.is_empty() {
            "no content type".to_string()
        } else {
            media_type
        };
        return Err(Error::Decode {
            operation,
            status: Some(status),
            message: format!("asked for text/csv, got {got}"),
            raw: excerpt(body),
            source: None,
        });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Decode {
            operation,
            status: Some(status),
            message: "the CSV answer is empty: not even a header row".into(),
            raw: body,
            source: None,
        });
    }
    Ok(body)
}

/// Parses CSV bytes into a [`CsvTable`].
pub fn parse_csv(operation: &'static str, bytes: &[u8]) -> Result<CsvTable, Error> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let csv_error = |e: csv::Error| Error::Csv {
        operation,
        message: "the answer is not valid CSV".into(),
        source: Some(e),
    };
    let headers = reader.headers().map_err(csv_error)?.clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(Error::Csv {
            operation,
            message: "no header row".into(),
            source: None,
        });
    }
    let rows = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .map_err(csv_error)?;
    Ok(CsvTable { headers, rows })
}

impl Client {
    /// A builder with every default set, and no API key.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Reads `GCORE_API_KEY` (required) and `GCORE_BASE_URL` (default `https://api.gcore.com`).
    pub fn from_env() -> Result<Self, Error> {
        let mut builder = Self::builder();
        match std::env::var("GCORE_API_KEY") {
            Ok(key) => builder = builder.api_key(key),
            Err(_) => return Err(Error::Config("GCORE_API_KEY is not set".into())),
        }
        if let Ok(url) = std::env::var("GCORE_BASE_URL")
            && !url.trim().is_empty()
        {
            builder = builder.base_url(url);
        }
        builder.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.settings.base_url
    }

    /// The generated client, for progenitor's builder-style calls. Retries and tracing still apply;
    /// errors are progenitor's own.
    pub fn generated(&self) -> &GeneratedClient {
        &self.raw
    }

    /// Calls any operation of the spec by its `operationId` ([`crate::OPERATIONS`] lists them), with
    /// parameters as text and a JSON body, and returns the answer's JSON as the server sent it
    /// (fields the spec does not list included), once it has parsed as the operation's response
    /// type. Parameters and body are checked before anything is sent. This is what the CLI's `api`
    /// command runs; typed code should prefer the typed methods.
    pub async fn call_operation(
        &self,
        operation_id: &str,
        parameters: &[(String, String)],
        body: Option<serde_json::Value>,
    ) -> Result<serde_json::Value, Error> {
        let Some(operation) = crate::OPERATIONS.iter().find(|o| o.id == operation_id) else {
            return Err(Error::InvalidRequest {
                operation: "call_operation",
                message: format!("no operation {operation_id} in the spec"),
            });
        };
        let answer = call(
            operation.id,
            self.raw.call_operation(operation.id, parameters, body),
        )
        .await?;
        Ok(answer.into_inner())
    }
}
