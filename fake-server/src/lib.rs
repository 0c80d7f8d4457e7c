//! A local stand-in for Gcore's billing API, for tests, examples and benchmarks.
//!
//! It reads `openapi/gcore-billing.yaml` to learn every resource type and the fields each one has, and
//! serves deterministic rows made from a seed: all 25 types, tags, null costs, several regions and
//! projects. It honours `limit`/`offset`, the `types`/`regions`/`projects`/`tags` filters and the CSV
//! `response_format`s, records every request, and injects faults on demand (statuses with
//! `Retry-After`, delays, dropped connections, arbitrary bodies).

mod data;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use data::{Dataset, SPEC};

/// How the server is set up.
#[derive(Clone, Debug)]
pub struct Config {
    /// Number of resources in the detailed and usage reports (up to 1,000,000 is fine).
    pub resources: usize,
    /// Seed of the data.
    pub seed: u64,
    /// Largest page the server returns, whatever `limit` asks for.
    pub max_page: usize,
    /// The spec the data is shaped after: a file, or (None) the spec compiled into the server.
    pub spec_path: Option<PathBuf>,
    /// Resources per fleet (see [`Dataset::with_fleets`]); 1 makes every resource different.
    pub fleet: usize,
    /// `price_status` of every report answer: `show`, `hide` or `error`.
    pub price_status: String,
    /// The port on 127.0.0.1 to listen on; 0 (the default) takes a free one.
    pub port: u16,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            resources: 1000,
            seed: 42,
            max_page: 1000,
            spec_path: None,
            fleet: 1,
            price_status: "show".to_string(),
            port: 0,
        }
    }
}

impl Config {
    /// The data `gcore-billing --demo` serves: `resources` resources in fleets of four, because
    /// real accounts run fleets of machines that differ only in ID and name, and an export must
    /// keep every one of them.
    pub fn demo(resources: usize) -> Self {
        Self {
            resources,
            fleet: 4,
            ..Self::default()
        }
    }
}

/// Something to do instead of (or before) answering normally.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Answer with this status and a JSON error body, and `Retry-After` if given.
    Status {
        status: u16,
        retry_after: Option<String>,
    },
    /// Answer with this status, content type and body, verbatim (HTML pages, truncated JSON).
    Body {
        status: u16,
        content_type: String,
        body: String,
    },
    /// Wait, then answer normally.
    Delay(Duration),
    /// Close the connection without answering.
    Drop,
}

/// A fault for the next matching request(s).
#[derive(Clone, Debug)]
struct FaultRule {
    /// Only requests whose JSON body has this `offset`.
    offset: Option<u64>,
    times: usize,
    fault: Fault,
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Option<Value>,
}

struct Shared {
    /// Replaceable, so that a test can make the report change between two runs.
    data: std::sync::RwLock<Arc<Dataset>>,
    faults: Mutex<VecDeque<FaultRule>>,
    requests: Mutex<Vec<RecordedRequest>>,
    max_page: usize,
}

impl Shared {
    fn data(&self) -> Arc<Dataset> {
        self.data
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// A running server on 127.0.0.1. Stops when dropped.
pub struct FakeServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Per-connection switch that a `Fault::Drop` pulls.
#[derive(Clone)]
struct KillSwitch(Arc<Notify>);

impl FakeServer {
    /// Starts a server on 127.0.0.1, on `config.port` (a free port when 0).
    pub async fn start(config: Config) -> std::io::Result<Self> {
        let data = match &config.spec_path {
            Some(path) => Dataset::load(path, config.resources, config.seed),
            None => Dataset::embedded(config.resources, config.seed),
        }
        .map_err(|e| std::io::Error::other(format!("fake server: {e}")))?
        .with_fleets(config.fleet)
        .with_price_status(&config.price_status);
        let shared = Arc::new(Shared {
            data: std::sync::RwLock::new(Arc::new(data)),
            faults: Mutex::new(VecDeque::new()),
            requests: Mutex::new(Vec::new()),
            max_page: config.max_page.max(1),
        });
        let router = Router::new()
            .route(
                DETAILED,
                report_route(DETAILED, |s, b| s.data().detailed(b, s.max_page)),
            )
            .route(
                AGGREGATED,
                report_route(AGGREGATED, |s, b| s.data().totals(b, false)),
            )
            .route(
                MONTHLY,
                report_route(MONTHLY, |s, b| s.data().totals(b, true)),
            )
            .route(
                USAGE,
                report_route(USAGE, |s, b| s.data().usage(b, s.max_page)),
            )
            .route(
                "/cloud/v1/pricing/{region_id}/billing_reservation",
                post(pricing),
            )
            .route(RESERVATIONS, get(reservations))
            .route(REGIONS, get(regions))
            .with_state(shared.clone())
            // gzip, br or zstd, whichever the request's Accept-Encoding prefers; none when it has none.
            .layer(tower_http::compression::CompressionLayer::new());
        let listener = TcpListener::bind(("127.0.0.1", config.port)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(accept_loop(listener, router));
        Ok(Self { addr, shared, task })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The data the server answers from.
    pub fn data(&self) -> Arc<Dataset> {
        self.shared.data()
    }

    /// Answers from `data` from now on: the report changes under a reader, as a revised day does.
    pub fn replace_data(&self, data: Dataset) {
        *self
            .shared
            .data
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(data);
    }

    /// The next request gets `fault`.
    pub fn push_fault(&self, fault: Fault) {
        self.push_rule(FaultRule {
            offset: None,
            times: 1,
            fault,
        });
    }

    /// The next `times` requests whose body has `offset` get `fault`.
    pub fn fault_at_offset(&self, offset: u64, times: usize, fault: Fault) {
        self.push_rule(FaultRule {
            offset: Some(offset),
            times,
            fault,
        });
    }

    /// Queues a rule; one for zero requests does nothing (and is not kept).
    fn push_rule(&self, rule: FaultRule) {
        if rule.times == 0 {
            return;
        }
        self.shared
            .faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push_back(rule);
    }

    /// Forgets the requests so far: [`FakeServer::requests`] then lists only later ones.
    pub fn clear_requests(&self) {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared
            .requests
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

async fn accept_loop(listener: TcpListener, router: Router) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // A compressed answer goes out in many small writes (one per compressed block); with
        // Nagle's algorithm each waited for the client's delayed ACK, 40 ms a page.
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        tokio::spawn(async move {
            let kill = KillSwitch(Arc::new(Notify::new()));
            let switch = kill.clone();
            let service = hyper::service::service_fn(
                move |mut request: hyper::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(switch.clone());
                    let router = router.clone();
                    async move { tower::ServiceExt::oneshot(router, request).await }
                },
            );
            let builder =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            let connection =
                builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = kill.0.notified() => {} // dropping the connection closes the socket unanswered
            }
        });
    }
}

fn json_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({"exception_class": "FakeServerError", "message": message})),
    )
        .into_response()
}

/// Records the request, checks the API key, and applies any fault. `Err` is the answer to give instead.
async fn admit(
    shared: &Shared,
    request: &RecordedRequest,
    kill: Option<&KillSwitch>,
) -> Result<(), Response> {
    shared
        .requests
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(request.clone());
    let authorised = request
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.strip_prefix("APIKey ")
                .is_some_and(|key| !key.trim().is_empty())
        });
    if !authorised {
        return Err(json_error(
            StatusCode::UNAUTHORIZED,
            "missing or malformed Authorization: APIKey header",
        ));
    }
    let offset = request
        .body
        .as_ref()
        .and_then(|b| b.get("offset"))
        .and_then(Value::as_u64);
    let fault = {
        let mut faults = shared
            .faults
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let position = faults
            .iter()
            .position(|rule| rule.offset.is_none_or(|o| Some(o) == offset));
        position.map(|i| {
            let rule = &mut faults[i];
            // Rules with `times == 0` are never queued (push_rule), so this does not wrap.
            rule.times = rule.times.saturating_sub(1);
            let fault = rule.fault.clone();
            if rule.times == 0 {
                faults.remove(i);
            }
            fault
        })
    };
    match fault {
        None => Ok(()),
        Some(Fault::Delay(duration)) => {
            tokio::time::sleep(duration).await;
            Ok(())
        }
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut response = json_error(status, "injected fault");
            if let Some(value) = retry_after.and_then(|v| v.parse().ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response.headers_mut().insert(
                "x-request-id",
                header::HeaderValue::from_static("fake-req-1"),
            );
            Err(response)
        }
        Some(Fault::Body {
            status,
            content_type,
            body,
        }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            Err((status, [(header::CONTENT_TYPE, content_type)], body).into_response())
        }
        Some(Fault::Drop) => {
            if let Some(kill) = kill {
                kill.0.notify_one();
            }
            // The connection task drops this future with the connection, so it never resumes.
            std::future::pending::<()>().await;
            Ok(())
        }
    }
}

fn record(
    method: Method,
    path: &str,
    query: Option<String>,
    headers: HeaderMap,
    body: &Bytes,
) -> RecordedRequest {
    RecordedRequest {
        method: method.to_string(),
        path: path.to_string(),
        query,
        headers,
        body: serde_json::from_slice(body).ok(),
    }
}

const DETAILED: &str = "/cloud/v1/cost_report/resources";
const AGGREGATED: &str = "/cloud/v1/cost_report/totals";
const MONTHLY: &str = "/cloud/v1/reservation_cost_report/totals";
const USAGE: &str = "/cloud/v1/usage_report";
const RESERVATIONS: &str = "/cloud/v2/reservations";
const REGIONS: &str = "/cloud/v1/regions";

async fn report(
    shared: Arc<Shared>,
    path: &str,
    headers: HeaderMap,
    kill: Option<KillSwitch>,
    body: Bytes,
    answer: impl FnOnce(&Shared, &Value) -> Result<Response, String>,
) -> Response {
    let recorded = record(Method::POST, path, None, headers, &body);
    if let Err(response) = admit(&shared, &recorded, kill.as_ref()).await {
        return response;
    }
    let Some(body) = recorded.body else {
        return json_error(StatusCode::BAD_REQUEST, "body is not JSON");
    };
    match answer(&shared, &body) {
        Ok(response) => response,
        Err(message) => json_error(StatusCode::BAD_REQUEST, &message),
    }
}

/// How a report is answered from the request body alone.
type Answer = fn(&Shared, &Value) -> Result<Response, String>;

/// The POST route for a report at `path`: records the request, applies faults, then answers.
fn report_route(path: &'static str, answer: Answer) -> axum::routing::MethodRouter<Arc<Shared>> {
    post(
        move |State(shared): State<Arc<Shared>>,
              headers: HeaderMap,
              kill: Option<axum::Extension<KillSwitch>>,
              body: Bytes| async move {
            report(shared, path, headers, kill.map(|k| k.0), body, answer).await
        },
    )
}

async fn pricing(
    State(shared): State<Arc<Shared>>,
    Path(region_id): Path<String>,
    headers: HeaderMap,
    kill: Option<axum::Extension<KillSwitch>>,
    body: Bytes,
) -> Response {
    let path = format!("/cloud/v1/pricing/{region_id}/billing_reservation");
    report(shared, &path, headers, kill.map(|k| k.0), body, |_, b| {
        let region: u64 = region_id
            .parse()
            .map_err(|_| format!("region_id {region_id:?} is not a number"))?;
        data::pricing(region, b)
    })
    .await
}

async fn reservations(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    kill: Option<axum::Extension<KillSwitch>>,
) -> Response {
    get_answer(
        RESERVATIONS,
        data::reservations,
        shared,
        query,
        headers,
        kill,
    )
    .await
}

async fn regions(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    kill: Option<axum::Extension<KillSwitch>>,
) -> Response {
    get_answer(REGIONS, data::regions, shared, query, headers, kill).await
}

/// A GET route's answer: records the request, applies faults, then answers from the query.
async fn get_answer(
    path: &'static str,
    answer: fn(&str) -> Result<Response, String>,
    shared: Arc<Shared>,
    query: Option<String>,
    headers: HeaderMap,
    kill: Option<axum::Extension<KillSwitch>>,
) -> Response {
    let recorded = record(Method::GET, path, query.clone(), headers, &Bytes::new());
    if let Err(response) = admit(&shared, &recorded, kill.as_ref().map(|k| &k.0)).await {
        return response;
    }
    match answer(query.as_deref().unwrap_or("")) {
        Ok(response) => response,
        Err(message) => json_error(StatusCode::BAD_REQUEST, &message),
    }
}
