//! Tracing: one span per request attempt, naming the operation, the attempt number and the status,
//! and never the API key.

mod common;

use std::sync::{Arc, Mutex};

use common::{KEY, at, client, server};
use gcore_billing::types;
use gcore_billing_fake::Fault;
use tracing_subscriber::fmt::format::FmtSpan;

/// Collects everything the fmt subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn each_attempt_has_a_span_with_operation_attempt_and_status() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded, so the thread's default subscriber sees every event.
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server(3).await;
    server.push_fault(Fault::Status {
        status: 503,
        retry_after: None,
    });
    let request = types::CostReportDetailedRequest::builder()
        .time_from(at("2024-08-01T00:00:00Z"))
        .time_to(at("2024-09-01T00:00:00Z"));
    client(&server)
        .detailed_cost_report(request)
        .await
        .expect("second attempt succeeds");

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let closed: Vec<&str> = log.lines().filter(|l| l.contains("close")).collect();
    let spans: Vec<&str> = closed
        .iter()
        .copied()
        .filter(|l| l.contains("gcore_billing.request"))
        .collect();
    assert_eq!(spans.len(), 2, "{log}");
    for (line, (attempt, status)) in spans.iter().zip([(1, 503), (2, 200)]) {
        assert!(
            line.contains("operation=\"get_detailed_cost_report\""),
            "{line}"
        );
        assert!(line.contains(&format!("attempt={attempt}")), "{line}");
        assert!(line.contains(&format!("status={status}")), "{line}");
    }
    assert!(log.contains("retrying"), "{log}");
    assert!(!log.contains(KEY), "the key leaked into the log: {log}");
}
