//! Property tests and bounded fuzzing of every parser that reads what a server sends: the open unions
//! and enums (mutated real pages: flipped bytes, truncation, huge numbers, deep nesting, invalid
//! UTF-8), Retry-After, CSV, the pager's window arithmetic, and the pager against randomly broken
//! servers. No case may panic, hang or allocate without bound.
//!
//! `FUZZ_CASES` sets the number of cases per property (default 2,000; the randomized-server property
//! runs a tenth of that). `FUZZ_CASES=100000 cargo test --release --test fuzz` for a longer run.

mod common;

use futures::StreamExt;
use gcore_billing::pagination::windows;
use gcore_billing::types::{self, BillingValueUnit, CostReportResource, PriceStatus};
use gcore_billing::{Client, Error, PageOptions, RetryPolicy};
use gcore_billing_fake::Dataset;
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use common::hostile::{self, Reply};

fn cases(divisor: u32) -> ProptestConfig {
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(2000);
    ProptestConfig {
        cases: (cases / divisor).max(1),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn dataset() -> &'static Dataset {
    static DATA: std::sync::OnceLock<Dataset> = std::sync::OnceLock::new();
    DATA.get_or_init(|| Dataset::embedded(3000, 11).expect("dataset"))
}

/// A real detailed page of 60 rows (every resource type appears) as bytes.
fn real_page() -> &'static [u8] {
    static PAGE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PAGE.get_or_init(|| {
        let rows = dataset().detailed_rows(0, 60);
        serde_json::to_vec(&json!({"count": 60, "price_status": "show", "results": rows}))
            .expect("JSON")
    })
}

/// One way to damage a page.
#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Truncate { at: usize },
    Insert { at: usize, text: String },
    Replace { at: usize, len: usize, text: String },
}

fn nasty_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1e400".to_string()),
        Just("-1e400".to_string()),
        Just("99999999999999999999999999999".to_string()),
        Just("-9223372036854775809".to_string()),
        Just("null".to_string()),
        Just("\"\\ud800\"".to_string()),
        Just("{}".to_string()),
        Just("[]".to_string()),
        (1usize..5000).prop_map(|depth| "[".repeat(depth)),
        (1usize..5000).prop_map(|depth| format!("{}1{}", "[".repeat(depth), "]".repeat(depth))),
        "\\PC{0,40}",
    ]
}

fn mutation(len: usize) -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (0..len, any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        (0..len).prop_map(|at| Mutation::Truncate { at }),
        (0..len, nasty_text()).prop_map(|(at, text)| Mutation::Insert { at, text }),
        (0..len, 1usize..40, nasty_text()).prop_map(|(at, len, text)| Mutation::Replace {
            at,
            len,
            text
        }),
    ]
}

fn mutate(page: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut bytes = page.to_vec();
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Flip { at, byte } if *at < len => bytes[*at] = *byte,
            Mutation::Truncate { at } => bytes.truncate(*at),
            Mutation::Insert { at, text } => {
                let at = (*at).min(len);
                bytes.splice(at..at, text.bytes());
            }
            Mutation::Replace { at, len: n, text } => {
                let at = (*at).min(len);
                let end = (at + n).min(len);
                bytes.splice(at..end, text.bytes());
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(cases(1))]

    #[test]
    fn mutated_real_pages_parse_or_fail_cleanly(
        mutations in proptest::collection::vec(mutation(real_page().len()), 1..6)
    ) {
        let bytes = mutate(real_page(), &mutations);
        match serde_json::from_slice::<types::CostReportDetailed>(&bytes) {
            Ok(page) => {
                // Whatever parsed serializes again and reads back equal (no lossy state).
                let again = serde_json::to_vec(&page).expect("serializes");
                let back: types::CostReportDetailed = serde_json::from_slice(&again).expect("reparses");
                prop_assert_eq!(back, page);
            }
            Err(error) => prop_assert!(error.to_string().len() < 2000, "{}", error),
        }
        // The same bytes as other answers the unions appear in.
        let _ = serde_json::from_slice::<types::UsageReport>(&bytes);
        let _ = serde_json::from_slice::<types::CostReportAggregated>(&bytes);
    }

    #[test]
    fn arbitrary_rows_never_panic_the_unions(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = serde_json::from_slice::<CostReportResource>(&raw);
        let _ = serde_json::from_slice::<types::UsageReportResource>(&raw);
        let _ = serde_json::from_slice::<types::CostReportTotal>(&raw);
    }

    #[test]
    fn open_enums_keep_any_value(value in "\\PC{0,30}") {
        let unit: BillingValueUnit = serde_json::from_value(Value::from(value.clone())).expect("open");
        prop_assert_eq!(serde_json::to_value(&unit).expect("serializes"), Value::from(value.clone()));
        let status: PriceStatus = serde_json::from_value(Value::from(value.clone())).expect("open");
        prop_assert_eq!(status.to_string(), value);
    }

    #[test]
    fn retry_after_is_none_or_at_most_a_minute(
        seconds in "\\PC{0,24}",
        millis in proptest::option::of("[-+0-9.eE naNIfity]{0,24}"),
        number in any::<f64>(),
    ) {
        for text in [seconds.clone(), number.to_string(), format!("{number:e}")] {
            let mut headers = HeaderMap::new();
            if let Ok(value) = HeaderValue::from_str(&text) {
                headers.insert("retry-after", value);
            }
            if let Some(Ok(value)) = millis.as_deref().map(HeaderValue::from_str) {
                headers.insert("retry-after-ms", value);
            }
            if let Some(wait) = gcore_billing::hooks::retry_after(&headers) {
                prop_assert!(wait <= gcore_billing::hooks::MAX_RETRY_AFTER, "{:?} from {:?}", wait, text);
            }
        }
    }

    #[test]
    fn csv_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(table) = gcore_billing::parse_csv("fuzz", &bytes) {
            prop_assert!(table.headers.iter().any(|h| !h.trim().is_empty()));
        }
    }

    #[test]
    fn windows_tile_the_range_exactly(from in any::<u64>(), count in any::<u64>(), page_size in 1u64..=u64::MAX) {
        let mut expected = from;
        let mut seen = 0;
        for (start, end) in windows(from, count, page_size).take(1000) {
            prop_assert_eq!(start, expected);
            prop_assert!(start < end && end <= count);
            prop_assert!(end - start <= page_size);
            expected = end;
            seen += 1;
        }
        if seen < 1000 {
            prop_assert!(expected >= count || from >= count);
        }
    }
}

/// How a randomized server misbehaves, from its `at`-th request on.
#[derive(Clone, Debug)]
enum Misbehaviour {
    None,
    CountDrift { at: usize, by: i64 },
    Shift { at: usize, back: u64 },
    EmptyFrom { at: usize },
    Fail { at: usize },
}

fn misbehaviour() -> impl Strategy<Value = Misbehaviour> {
    prop_oneof![
        Just(Misbehaviour::None),
        (1usize..6, prop_oneof![-50i64..-1, 1i64..50])
            .prop_map(|(at, by)| Misbehaviour::CountDrift { at, by }),
        // Overlaps the pager promises to catch: up to one page back (see src/pagination.rs).
        (1usize..6, 1u64..=100).prop_map(|(at, back)| Misbehaviour::Shift { at, back }),
        (1usize..6).prop_map(|at| Misbehaviour::EmptyFrom { at }),
        (1usize..6).prop_map(|at| Misbehaviour::Fail { at }),
    ]
}

proptest! {
    #![proptest_config(cases(10))]

    /// Whatever a server does, the rows a stream yields are exactly the report's first rows in order
    /// (nothing repeated, nothing skipped), and when the stream ends without an error it holds all of them.
    #[test]
    fn the_pager_never_loses_or_repeats_rows_silently(
        count in 0u64..2500,
        server_cap in 100u64..1200,
        page_size in 100u64..1500,
        concurrency in 1usize..5,
        misbehaviour in misbehaviour(),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        runtime.block_on(async move {
            let server = hostile::start({
                let misbehaviour = misbehaviour.clone();
                move |index, seen| {
                    let (offset, limit) = seen.window();
                    let mut claimed = count as i64;
                    let mut first = offset;
                    let mut take = limit.min(server_cap).min(count.saturating_sub(offset));
                    match misbehaviour {
                        Misbehaviour::CountDrift { at, by } if index >= at => claimed += by,
                        Misbehaviour::Shift { at, back } if index >= at => first = offset.saturating_sub(back),
                        Misbehaviour::EmptyFrom { at } if index >= at => take = 0,
                        Misbehaviour::Fail { at } if index >= at => {
                            return Reply::json(500, &json!({"message": "down"}));
                        }
                        _ => {}
                    }
                    let rows = dataset().detailed_rows(first as usize, take as usize);
                    Reply::json(200, &json!({"count": claimed, "price_status": "show", "results": rows}))
                }
            })
            .await;
            let client = Client::builder()
                .api_key(common::KEY)
                .base_url(server.base_url())
                .retry_policy(RetryPolicy::none())
                .build()
                .expect("client");
            let options = PageOptions::default().page_size(page_size).concurrency(concurrency);
            let mut stream = client.detailed_cost_report_stream(common::detailed(), options);
            let truth = dataset().detailed_rows(0, count as usize);
            let mut yielded = 0usize;
            let mut error: Option<Error> = None;
            while let Some(item) = stream.next().await {
                match item {
                    Ok(row) => {
                        let expected: CostReportResource =
                            serde_json::from_value(truth[yielded].clone()).expect("true row");
                        assert_eq!(row, expected, "row {yielded} is the report's row {yielded}");
                        yielded += 1;
                    }
                    Err(e) => {
                        error = Some(e);
                        assert!(stream.next().await.is_none());
                        break;
                    }
                }
            }
            if error.is_none() {
                assert_eq!(yielded as u64, count, "a clean end means every row");
            }
        });
    }
}

/// Found by the fuzzer: serde_json's default float parser can be one ULP off on long mantissas, which
/// a parse, serialize, parse round trip exposes. The crate turns on serde_json's `float_roundtrip`,
/// which parses every number to the nearest f64, exactly as Rust's own parser does.
#[test]
fn long_numbers_parse_to_the_nearest_f64() {
    for text in [
        "577899999999999999999999999999999.2",
        "0.1000000000000000055511151231257827",
        "44640.000000000000000000001",
        "9007199254740993",
    ] {
        let parsed: f64 = serde_json::from_str(text).expect("number");
        assert_eq!(parsed, text.parse::<f64>().expect("number"), "{text}");
    }
}
