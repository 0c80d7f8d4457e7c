//! Parsing a 10,000-row detailed cost report page: the generated types (open unions, typed variants)
//! against `serde_json::Value` and against a flat hand-written struct that keeps only common fields.
//!
//! `cargo bench --bench parse`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gcore_billing::types;
use serde::Deserialize;

/// The page, as fetched from the local fake server (10,000 rows of all 25 types).
fn page_bytes() -> Vec<u8> {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let server = gcore_billing_fake::FakeServer::start(gcore_billing_fake::Config {
            resources: 10_000,
            max_page: 10_000,
            ..Default::default()
        })
        .await
        .expect("fake server");
        let body = serde_json::json!({
            "time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "limit": 10_000, "offset": 0
        });
        // reqwest comes without a default TLS provider here (the library sets rustls up with ring
        // itself), so a bare reqwest client needs one installed first.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let response = reqwest::Client::new()
            .post(format!("{}/cloud/v1/cost_report/resources", server.base_url()))
            .header("Authorization", "APIKey bench")
            .json(&body)
            .send()
            .await
            .expect("page");
        response.bytes().await.expect("body").to_vec()
    })
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FlatPage {
    count: u64,
    price_status: String,
    results: Vec<FlatRow>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct FlatRow {
    #[serde(rename = "type")]
    kind: String,
    billing_metric_name: String,
    billing_value: f64,
    billing_value_unit: String,
    cost: Option<f64>,
    currency: Option<String>,
    region_id: i64,
    project_id: i64,
    uuid: Option<String>,
    last_name: Option<String>,
    first_seen: String,
    last_seen: String,
}

fn parse(c: &mut Criterion) {
    let bytes = page_bytes();
    let mut group = c.benchmark_group("parse 10,000-row detailed cost report");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.sample_size(20);
    group.bench_function("generated types", |b| {
        b.iter(|| {
            let page: types::CostReportDetailed = serde_json::from_slice(&bytes).expect("parses");
            assert_eq!(page.results.len(), 10_000);
            page
        })
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(&bytes).expect("parses"))
    });
    group.bench_function("hand-written flat struct", |b| {
        b.iter(|| serde_json::from_slice::<FlatPage>(&bytes).expect("parses"))
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
