//! Shared set-up: a fake server on 127.0.0.1 and a client pointed at it with short retry delays.
#![allow(dead_code)]

use std::time::Duration;

use gcore_billing::{Client, RetryPolicy};
use gcore_billing_fake::{Config, FakeServer};

pub mod hostile;

pub const KEY: &str = "test-key-0123456789";

pub async fn server(resources: usize) -> FakeServer {
    FakeServer::start(Config {
        resources,
        ..Config::default()
    })
    .await
    .expect("fake server starts")
}

pub fn fast_retries(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        jitter: false,
    }
}

pub fn client(server: &FakeServer) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(server.base_url())
        .retry_policy(fast_retries(2))
        .build()
        .expect("client builds")
}

pub fn at(text: &str) -> chrono::DateTime<chrono::Utc> {
    text.parse().expect("RFC 3339 time")
}

/// A detailed cost report request for August 2024, with every other field left to its default.
pub fn detailed() -> gcore_billing::types::builder::CostReportDetailedRequest {
    gcore_billing::types::CostReportDetailedRequest::builder()
        .time_from(at("2024-08-01T00:00:00Z"))
        .time_to(at("2024-09-01T00:00:00Z"))
}
