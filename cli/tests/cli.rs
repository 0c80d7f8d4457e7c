//! The `gcore-billing` command, run as a user runs it: exit codes, messages, every format read back,
//! resuming an interrupted export, and the `api` command.

use std::path::{Path, PathBuf};
use std::process::Command;

use arrow_array::{Array, Decimal128Array, Int64Array, StringArray, TimestampMicrosecondArray};
use arrow_schema::{DataType, TimeUnit};
use gcore_billing::columns::Columns;
use gcore_billing::types::CostReportResource;
use gcore_billing_fake::{Config, Dataset, FakeServer, Fault};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

mod common;
use common::*;

#[test]
fn no_key_and_no_demo_is_a_usage_error_naming_both() {
    let output = gcore_billing(&["export", "detailed", "--output", "x.csv"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("GCORE_API_KEY") && err.contains("--demo"),
        "{err}"
    );
    assert!(!Path::new("x.csv").exists(), "nothing written");

    let output = gcore_billing(
        &["export", "detailed", "--demo", "--from", "last week"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("neither RFC 3339"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_demo_csv_export_has_the_common_columns_and_every_row_as_the_server_sent_it() {
    let tmp = temp_dir("csv");
    let dir = tmp.path();
    let out = dir.join("report.csv");
    let output = gcore_billing(
        &[
            "export",
            "detailed",
            "--demo",
            "--demo-resources",
            "2500",
            // The period the dataset's `detailed_rows` shapes its rows after.
            "--from",
            "2024-08-01",
            "--to",
            "2024-09-01",
            "--output",
            &path_arg(&out),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (header, rows) = read_csv(&out);
    let expected: Vec<&str> = CostReportResource::COMMON_COLUMNS
        .iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(header, expected);
    assert_eq!(rows.len(), 2500);
    let demo = Config::demo(2500);
    let truth = Dataset::embedded(demo.resources, demo.seed)
        .expect("dataset")
        .with_fleets(demo.fleet)
        .detailed_rows(0, 2500);
    let column = |name: &str| header.iter().position(|h| h == name).expect("column");
    for (row, want) in rows.iter().zip(&truth) {
        assert_eq!(row[column("type")], want["type"].as_str().unwrap_or(""));
        assert_eq!(
            row[column("first_seen")],
            want["first_seen"].as_str().unwrap_or("")
        );
        match want["cost"].as_f64() {
            Some(cost) => assert_eq!(
                row[column("cost")].parse::<f64>().ok(),
                Some(cost),
                "exact cost"
            ),
            None => assert_eq!(row[column("cost")], ""),
        }
        assert_eq!(row[column("project_id")], want["project_id"].to_string());
    }
}

#[test]
fn jsonl_and_parquet_read_back_with_their_types_and_the_same_values() {
    let tmp = temp_dir("formats");
    let dir = tmp.path();
    let export = |format: &str, file: &str, wide: bool| {
        let path = dir.join(file);
        let mut args = vec![
            "export",
            "detailed",
            "--demo",
            "--demo-resources",
            "700",
            "--format",
            format,
        ];
        if wide {
            args.push("--wide");
        }
        let path_text = path_arg(&path);
        args.extend(["--output", &path_text]);
        let output = gcore_billing(&args, &[]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        path
    };
    let (_, csv_rows) = read_csv(&export("csv", "r.csv", false));

    let lines: Vec<Value> = std::fs::read_to_string(export("jsonl", "r.jsonl", true))
        .expect("JSONL")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 700);
    let all = CostReportResource::ALL_COLUMNS.len();
    assert!(
        lines
            .iter()
            .all(|l| l.as_object().map(|o| o.len()) == Some(all)),
        "--wide has every column"
    );
    assert!(
        lines.iter().any(|l| l["tags"].is_array()),
        "tags stay JSON arrays"
    );
    assert!(
        lines.iter().any(|l| l["flavor"].is_null())
            && lines.iter().any(|l| l["flavor"].is_string())
    );

    let file = std::fs::File::open(export("parquet", "r.parquet", false)).expect("parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("reader");
    let schema = reader.schema().clone();
    let kind = |name: &str| {
        schema
            .field_with_name(name)
            .expect("field")
            .data_type()
            .clone()
    };
    assert_eq!(
        kind("first_seen"),
        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    // Money is exact: Decimal128 with the server's digits, equal to the CSV's text.
    assert_eq!(kind("cost"), DataType::Decimal128(38, 18));
    assert_eq!(kind("billing_value"), DataType::Decimal128(38, 18));
    assert_eq!(kind("project_id"), DataType::Int64);
    assert_eq!(kind("type"), DataType::Utf8);
    let mut row = 0;
    for batch in reader.build().expect("batches") {
        let batch = batch.expect("batch");
        let cost = batch
            .column_by_name("cost")
            .expect("cost")
            .as_any()
            .downcast_ref::<Decimal128Array>()
            .expect("decimal");
        let project = batch
            .column_by_name("project_id")
            .expect("p")
            .as_any()
            .downcast_ref::<Int64Array>()
            .expect("i64");
        let kind = batch
            .column_by_name("type")
            .expect("t")
            .as_any()
            .downcast_ref::<StringArray>()
            .expect("utf8");
        let seen = batch
            .column_by_name("first_seen")
            .expect("first_seen")
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .expect("timestamp");
        for i in 0..batch.num_rows() {
            let csv = &csv_rows[row];
            assert_eq!(kind.value(i), csv[0]);
            let csv_cost = csv[5].parse::<rust_decimal::Decimal>().ok();
            assert_eq!(
                if cost.is_null(i) {
                    None
                } else {
                    Some(rust_decimal::Decimal::from_i128_with_scale(cost.value(i), 18).normalize())
                },
                csv_cost.map(|c| c.normalize())
            );
            assert_eq!(project.value(i).to_string(), csv[10]);
            let at = chrono::DateTime::from_timestamp_micros(seen.value(i)).expect("time");
            assert_eq!(
                at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                csv[8]
            );
            row += 1;
        }
    }
    assert_eq!(row, 700);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_that_fails_midway_resumes_to_the_same_file_as_a_one_shot_export() {
    for (format, concurrency) in [
        ("csv", "1"),
        ("jsonl", "3"),
        ("parquet", "2"),
        ("focus-csv", "2"),
        ("focus-parquet", "1"),
    ] {
        let server = server_of(5000).await;
        let tmp = temp_dir(&format!("resume-{format}"));
        let dir = tmp.path();
        let whole = dir.join(format!("whole.{format}"));
        let part = dir.join(format!("part.{format}"));
        let args = |out: &Path, extra: &[&str]| {
            let mut args = strings(&[
                "export",
                "detailed",
                "--page-size",
                "500",
                "--concurrency",
                concurrency,
                "--format",
                format,
                "--billing-account-id",
                "acct-7",
            ]);
            args.extend(strings(&AUGUST));
            args.extend(["--output".to_string(), path_arg(out)]);
            args.extend(strings(extra));
            args
        };
        let one_shot = run(args(&whole, &[]), server_env(&server)).await;
        assert_eq!(one_shot.status.code(), Some(0), "{}", stderr(&one_shot));

        // The page at offset 2000 fails three times: the first attempt and both retries.
        server.fault_at_offset(
            2000,
            3,
            Fault::Status {
                status: 503,
                retry_after: None,
            },
        );
        let failed = run(args(&part, &[]), server_env(&server)).await;
        assert_eq!(failed.status.code(), Some(1), "{format}");
        let err = stderr(&failed);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(
            err.contains("503") && err.contains("fake-req-1"),
            "status and request id: {err}"
        );
        assert!(
            err.contains("2000 of 5000 rows") && err.contains("--resume"),
            "{err}"
        );
        let checkpoint = PathBuf::from(format!("{}.checkpoint", part.display()));
        assert!(checkpoint.exists());

        // A resume with other filters is refused; the right one finishes the file.
        let mut other = args(&part, &["--resume"]);
        other.extend(strings(&["--regions", "1"]));
        let refused = run(other, server_env(&server)).await;
        assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
        let before = server.requests().len();
        let resumed = run(args(&part, &["--resume"]), server_env(&server)).await;
        assert_eq!(
            resumed.status.code(),
            Some(0),
            "{format}: {}",
            stderr(&resumed)
        );
        assert!(
            !checkpoint.exists(),
            "the checkpoint goes once the export is whole"
        );
        // Besides a one-row count request, the resumed run asks only for rows from 2000 on.
        let offsets: Vec<u64> = server.requests()[before..]
            .iter()
            .filter_map(|r| r.body.as_ref())
            .filter(|b| b["limit"] != 1)
            .filter_map(|b| b["offset"].as_u64())
            .collect();
        assert_eq!(offsets.iter().min(), Some(&2000), "{format}: {offsets:?}");

        let left_out = |path: &Path| {
            std::fs::read_to_string(format!("{}.left-out.jsonl", path.display()))
                .unwrap_or_default()
        };
        // FOCUS leaves unpriced rows out of the file and lists them beside it: together, every row.
        let listed = left_out(&whole).lines().count();
        assert_eq!(
            left_out(&part),
            left_out(&whole),
            "{format}: the same rows left out"
        );
        assert_eq!(listed > 0, format.starts_with("focus"), "{format}");
        if format.ends_with("parquet") {
            let rows = parquet_rows(&part);
            assert_eq!(rows.len() + listed, 5000);
            assert_eq!(rows, parquet_rows(&whole), "same rows, once each, in order");
        } else {
            assert_eq!(
                std::fs::read(&part).expect("part"),
                std::fs::read(&whole).expect("whole"),
                "{format}: byte for byte"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_server_ends_the_export_with_exit_1_and_one_line() {
    let server = server_of(50).await;
    for _ in 0..3 {
        server.fault_at_offset(
            0,
            1,
            Fault::Body {
                status: 200,
                content_type: "application/json".into(),
                body: r#"{"count": 50, "resu"#.into(),
            },
        );
    }
    let mut args = strings(&["export", "detailed", "-q"]);
    args.extend(strings(&AUGUST));
    let output = run(args, server_env(&server)).await;
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("error: get_detailed_cost_report: undecodable response"),
        "{err}"
    );
}

#[test]
fn the_api_command_has_a_subcommand_per_operation() {
    let output = gcore_billing(
        &[
            "api",
            "--demo",
            "list_billing_reservations",
            "--time_from",
            "2024-08-01T00:00:00Z",
            "--time_to",
            "2024-08-20T00:00:00Z",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        answer["count"].as_u64(),
        answer["results"].as_array().map(|r| r.len() as u64)
    );

    let body =
        r#"{"time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "limit": 2}"#;
    let output = gcore_billing(
        &[
            "api",
            "--demo",
            "--demo-resources",
            "9",
            "detailed_cost_report",
            "--body",
            body,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let answer: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        (
            answer["count"].as_u64(),
            answer["results"].as_array().map(Vec::len)
        ),
        (Some(9), Some(2))
    );

    let output = gcore_billing(
        &[
            "api",
            "--demo",
            "list_billing_reservations",
            "--time_from",
            "soon",
            "--time_to",
            "2024-08-20T00:00:00Z",
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("time_from must be an RFC 3339 date-time"),
        "{}",
        stderr(&output)
    );
    let output = gcore_billing(&["api", "--demo", "no_such_operation"], &[]);
    assert_eq!(output.status.code(), Some(2));
}

/// A FOCUS export of the fake server's August, with these extra arguments.
async fn focus_export(server: &FakeServer, dir: &Path, name: &str, extra: &[String]) -> PathBuf {
    let out = dir.join(name);
    let format = if name.ends_with(".parquet") {
        "focus-parquet"
    } else {
        "focus-csv"
    };
    let mut args = strings(&[
        "export",
        "detailed",
        "--format",
        format,
        "--billing-account-id",
        "acct-7",
        "--billing-account-name",
        "Acme",
        "--page-size",
        "700",
    ]);
    args.extend(strings(&AUGUST));
    args.extend(["--output".to_string(), path_arg(&out)]);
    args.extend(extra.iter().cloned());
    let output = run(args, server_env(server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    out
}

fn decimal(text: &str) -> rust_decimal::Decimal {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} is not a decimal: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focus_billed_cost_sums_to_the_aggregated_total_to_the_cent() {
    let server = server_of(4000).await;
    let client = gcore_billing::Client::builder()
        .api_key("test-key")
        .base_url(server.base_url())
        .build()
        .expect("client");
    let tmp = temp_dir("focus-sum");
    let dir = tmp.path();
    let cases: [(&[&str], Value); 3] = [
        (&[], serde_json::json!({})),
        (
            &[
                "--types",
                "instance,volume,egress_traffic",
                "--regions",
                "1,4",
            ],
            serde_json::json!({"types": ["instance", "volume", "egress_traffic"], "regions": [1, 4]}),
        ),
        (
            &["--tag", "env=prod"],
            serde_json::json!({"tags": {"condition_type": "OR",
                "conditions": [{"key": "env", "value": "prod", "strict": true}]}}),
        ),
    ];
    for (i, (filters, aggregated_filters)) in cases.into_iter().enumerate() {
        let csv = focus_export(&server, dir, &format!("f{i}.csv"), &strings(filters)).await;
        let (header, rows) = read_csv(&csv);
        let column = |name: &str| header.iter().position(|h| h == name).expect(name);
        let (billed, currency) = (column("BilledCost"), column("BillingCurrency"));
        assert!(rows.len() > 100, "{} rows", rows.len());
        assert!(rows.iter().all(|r| r[currency] == "EUR"));
        let sum: rust_decimal::Decimal = rows.iter().map(|r| decimal(&r[billed])).sum();

        let mut request = serde_json::json!({
            "time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z",
        });
        for (key, value) in aggregated_filters.as_object().expect("object") {
            request[key] = value.clone();
        }
        let request: gcore_billing::types::CostReportAggregatedRequest =
            serde_json::from_value(request).expect("request");
        let totals = client
            .aggregated_cost_report(request)
            .await
            .expect("totals");
        // The totals' costs have five decimals; the shortest text of each f64 is that decimal.
        let total: rust_decimal::Decimal = totals
            .results
            .iter()
            .filter_map(|t| serde_json::to_value(t).expect("json")["cost"].as_f64())
            .map(|c| decimal(&c.to_string()))
            .sum();
        assert!(total > rust_decimal::Decimal::ZERO);
        // EUR's minor unit is the cent.
        assert_eq!(sum.round_dp(2), total.round_dp(2), "case {i}: {filters:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focus_region_name_is_the_regions_display_name_fetched_once() {
    let server = server_of(800).await;
    let tmp = temp_dir("focus-regions");
    let csv = focus_export(&server, tmp.path(), "f.csv", &[]).await;
    let (header, rows) = read_csv(&csv);
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let (id, name) = (column("RegionId"), column("RegionName"));
    let mut pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r[id].clone(), r[name].clone()))
        .collect();
    pairs.sort();
    pairs.dedup();
    // The fake server's names for the four regions its data uses.
    assert_eq!(
        pairs,
        [
            ("1", "Luxembourg"),
            ("18", "Amsterdam"),
            ("4", "Frankfurt"),
            ("76", "Luxembourg-2")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let listed: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/cloud/v1/regions")
        .collect();
    assert_eq!(listed.len(), 1, "the names are fetched once per export");
    assert_eq!(listed[0].query.as_deref(), Some("limit=1000&offset=0"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_list_that_fails_stops_a_focus_export_before_any_file_is_touched() {
    let server = server_of(50).await;
    let tmp = temp_dir("focus-regions-fail");
    let out = tmp.path().join("f.csv");
    std::fs::write(&out, "precious\n").expect("write");
    // The first request of a FOCUS export is the region list.
    server.push_fault(Fault::Status {
        status: 403,
        retry_after: None,
    });
    let mut args = strings(&[
        "export",
        "detailed",
        "--format",
        "focus-csv",
        "--billing-account-id",
        "a",
        "--output",
    ]);
    args.push(path_arg(&out));
    args.extend(strings(&AUGUST));
    let output = run(args, server_env(&server)).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("listing regions for the FOCUS RegionName column"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/cloud/v1/regions"], "no report was asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focus_parquet_reads_back_with_the_declared_schema_and_the_csv_values() {
    let server = server_of(1500).await;
    let tmp = temp_dir("focus-parquet");
    let dir = tmp.path();
    let csv = focus_export(&server, dir, "f.csv", &[]).await;
    let parquet = focus_export(&server, dir, "f.parquet", &[]).await;
    let (header, rows) = read_csv(&csv);

    let file = std::fs::File::open(&parquet).expect("parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).expect("reader");
    let schema = reader.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, header, "the same columns, in order");
    let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    for (name, expected) in [
        ("BilledCost", DataType::Decimal128(38, 18)),
        ("EffectiveCost", DataType::Decimal128(38, 18)),
        ("ListCost", DataType::Decimal128(38, 18)),
        ("ContractedCost", DataType::Decimal128(38, 18)),
        ("ConsumedQuantity", DataType::Decimal128(38, 18)),
        ("PricingQuantity", DataType::Decimal128(38, 18)),
        ("BillingPeriodStart", utc.clone()),
        ("ChargePeriodEnd", utc.clone()),
        ("x_FirstSeen", utc.clone()),
        ("BillingCurrency", DataType::Utf8),
        ("Tags", DataType::Utf8),
    ] {
        assert_eq!(
            schema.field_with_name(name).expect(name).data_type(),
            &expected,
            "{name}"
        );
    }
    let mut billed = Vec::new();
    let mut periods = Vec::new();
    let mut accounts = Vec::new();
    for batch in reader.build().expect("batches") {
        let batch = batch.expect("batch");
        let cost = batch
            .column_by_name("BilledCost")
            .and_then(|c| c.as_any().downcast_ref::<Decimal128Array>())
            .expect("decimal column");
        billed.extend((0..cost.len()).map(|i| cost.value_as_string(i)));
        let start = batch
            .column_by_name("BillingPeriodStart")
            .and_then(|c| c.as_any().downcast_ref::<TimestampMicrosecondArray>())
            .expect("timestamps");
        periods.extend((0..start.len()).map(|i| start.value(i)));
        let account = batch
            .column_by_name("BillingAccountName")
            .and_then(|c| c.as_any().downcast_ref::<StringArray>())
            .expect("text");
        accounts.extend((0..account.len()).map(|i| account.value(i).to_string()));
    }
    assert_eq!(billed.len(), rows.len());
    let at = header
        .iter()
        .position(|h| h == "BilledCost")
        .expect("BilledCost");
    for (parquet_value, row) in billed.iter().zip(&rows) {
        assert_eq!(
            decimal(parquet_value),
            decimal(&row[at]),
            "exact, row for row"
        );
    }
    // 2024-08-01T00:00:00Z in microseconds.
    assert!(periods.iter().all(|p| *p == 1_722_470_400_000_000));
    assert!(accounts.iter().all(|a| a == "Acme"));
}

#[test]
fn focus_needs_an_account_a_single_month_and_the_detailed_report() {
    let env = [
        ("GCORE_API_KEY", "k"),
        ("GCORE_BASE_URL", "http://127.0.0.1:9"),
    ];
    let cases: [(&[&str], &str); 4] = [
        (
            &["export", "detailed", "--format", "focus-csv"],
            "GCORE_BILLING_ACCOUNT_ID",
        ),
        (
            &[
                "export",
                "detailed",
                "--format",
                "focus-csv",
                "--billing-account-id",
                "a",
                "--from",
                "2024-08-05",
                "--to",
                "2024-09-02",
            ],
            "one billing period",
        ),
        (
            &[
                "export",
                "usage",
                "--format",
                "focus-parquet",
                "--billing-account-id",
                "a",
            ],
            "detailed report",
        ),
        (
            &[
                "export",
                "detailed",
                "--format",
                "focus-csv",
                "--billing-account-id",
                "a",
                "--wide",
            ],
            "x_Details",
        ),
    ];
    for (args, expected) in cases {
        let output = gcore_billing(args, &env);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = stderr(&output);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpriced_rows_are_listed_beside_a_focus_file_never_dropped() {
    let server = server_of(2000).await;
    let tmp = temp_dir("focus-left-out");
    let dir = tmp.path();
    let csv = focus_export(&server, dir, "f.csv", &[]).await;
    let (header, rows) = read_csv(&csv);
    let list = std::fs::read_to_string(dir.join("f.csv.left-out.jsonl")).expect("the list");
    let listed: Vec<Value> = list
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(!listed.is_empty());
    assert_eq!(
        rows.len() + listed.len(),
        2000,
        "every row is in one file or the other"
    );
    let dataset = Dataset::embedded(2000, Config::default().seed).expect("dataset");
    for entry in &listed {
        let offset = entry["offset"].as_u64().expect("offset") as usize;
        // The row exactly as the server sent it, and why it is not in the FOCUS file.
        assert_eq!(entry["row"], dataset.detailed_rows(offset, 1)[0]);
        assert_eq!(entry["row"]["cost"], Value::Null);
        assert_eq!(
            entry["reason"], "no price (cost is null): price not found",
            "{entry}"
        );
    }
    let resource = header
        .iter()
        .position(|h| h == "ResourceId")
        .expect("ResourceId");
    let listed_ids: Vec<&str> = listed
        .iter()
        .filter_map(|e| e["row"]["uuid"].as_str())
        .collect();
    assert!(
        rows.iter()
            .all(|r| !listed_ids.contains(&r[resource].as_str()))
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_mid_export_leaves_a_checkpoint_and_resume_finishes_the_same_file() {
    let server = server_of(5000).await;
    let tmp = temp_dir("ctrl-c");
    let dir = tmp.path();
    let whole = dir.join("whole.csv");
    let part = dir.join("part.csv");
    let args = |out: &Path, extra: &[&str]| {
        let mut args = strings(&["export", "detailed", "--page-size", "500"]);
        args.extend(strings(&AUGUST));
        args.extend(["--output".to_string(), path_arg(out)]);
        args.extend(strings(extra));
        args
    };
    let one_shot = run(args(&whole, &[]), server_env(&server)).await;
    assert_eq!(one_shot.status.code(), Some(0), "{}", stderr(&one_shot));

    // The page at offset 2000 hangs; once the command has asked for it, it gets SIGINT (Ctrl-C).
    server.fault_at_offset(2000, 1, Fault::Delay(std::time::Duration::from_secs(20)));
    let before = server.requests().len();
    let child = Command::new(env!("CARGO_BIN_EXE_gcore-billing"))
        .args(args(&part, &[]))
        .envs(server_env(&server))
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let asked = |server: &FakeServer| {
        server.requests()[before..]
            .iter()
            .any(|r| r.body.as_ref().is_some_and(|b| b["offset"] == 2000))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !asked(&server) {
        assert!(
            std::time::Instant::now() < deadline,
            "the export never reached offset 2000"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let pid = i32::try_from(child.id()).expect("pid");
    // SAFETY: `kill` with a child's pid and SIGINT only sends a signal.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let interrupted = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("joins")
        .expect("exits");
    assert_eq!(
        interrupted.status.code(),
        Some(130),
        "{}",
        stderr(&interrupted)
    );
    let err = stderr(&interrupted);
    assert!(
        err.contains("interrupted") && err.contains("--resume"),
        "{err}"
    );
    let checkpoint = PathBuf::from(format!("{}.checkpoint", part.display()));
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).expect("a checkpoint"))
            .expect("JSON");
    let done = saved["rows"].as_u64().expect("rows");
    assert!(done > 0 && done <= 2000, "{saved}");

    let resumed = run(args(&part, &["--resume"]), server_env(&server)).await;
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert!(!checkpoint.exists());
    assert_eq!(
        std::fs::read(&part).expect("part"),
        std::fs::read(&whole).expect("whole"),
        "every row once, byte for byte"
    );
}

#[test]
fn completions_cover_the_commands_and_every_api_operation_and_refuse_an_unknown_shell() {
    let output = gcore_billing(&["completions", "bash"], &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let script = String::from_utf8(output.stdout).expect("UTF-8");
    assert!(script.contains("complete -F _gcore__billing"), "{script}");
    let zsh = gcore_billing(&["completions", "zsh"], &[]);
    let zsh = String::from_utf8(zsh.stdout).expect("UTF-8");
    assert!(zsh.starts_with("#compdef gcore-billing"));
    let fish = gcore_billing(&["completions", "fish"], &[]);
    let fish = String::from_utf8(fish.stdout).expect("UTF-8");
    assert!(fish.contains("complete -c gcore-billing"), "{fish}");
    for (shell, script) in [("bash", &script), ("zsh", &zsh), ("fish", &fish)] {
        for word in [
            "export",
            "detailed",
            "demo",
            "no-rounding",
            "profile",
            "error-format",
        ] {
            assert!(script.contains(word), "{shell} completes {word}");
        }
        // The api subcommands come from the spec: every operation is completed, by its
        // kebab-case name.
        for operation in gcore_billing::OPERATIONS {
            let name = operation.id.replace('_', "-");
            assert!(script.contains(&name), "{shell} completes {name}");
        }
    }
    let unknown = gcore_billing(&["completions", "tcsh"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("possible values: bash, elvish, fish, powershell, zsh"));
}

#[test]
fn key_and_body_files_are_read_with_a_limit_and_a_clear_error() {
    let tmp = temp_dir("limits");
    let dir = tmp.path();
    let export = |key_file: &str| {
        gcore_billing(
            &[
                "export",
                "detailed",
                "--api-key-file",
                key_file,
                "--output",
                "x.csv",
            ],
            &[],
        )
    };
    // An endless file is refused after 64 KiB, not read until memory runs out.
    let output = export("/dev/zero");
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("the API key file /dev/zero is larger than 65536 bytes"),
        "{}",
        stderr(&output)
    );
    // A blank first line is named as such, not as a missing key.
    let blank = dir.join("blank-key");
    std::fs::write(&blank, "\nsecret-on-line-two\n").expect("write");
    let output = export(&path_arg(&blank));
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("has no key on its first line"), "{err}");
    assert!(
        !err.contains("secret-on-line-two"),
        "the key never shows: {err}"
    );

    let output = gcore_billing(
        &["api", "--demo", "get_usage_report", "--body", "@/dev/zero"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("the --body file /dev/zero is larger than 16777216 bytes"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_flags_are_named_with_what_they_take() {
    let run = |args: &[&str]| {
        let mut all = vec!["export"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--demo", "--output", "-"]);
        let output = gcore_billing(&all, &[]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        stderr(&output)
    };
    let err = run(&["monthly", "--month", "2024-13"]);
    assert!(
        err.contains(
            "'--month <MONTH>': expected YYYY-MM with a month from 01 to 12, like 2024-08"
        ),
        "{err}"
    );
    assert!(!err.contains("[0-9]"), "no regex in the message: {err}");
    let err = run(&["detailed", "--types", "instance,bogus"]);
    assert!(
        err.contains("invalid value 'bogus' for '--types <TYPES>'"),
        "{err}"
    );
    assert!(err.contains("possible values: ai_cluster,"), "{err}");
    let err = run(&["detailed", "--from", "2024-09-01", "--to", "2024-08-01"]);
    assert!(
        err.contains("--to (2024-08-01 00:00:00Z) must be after --from (2024-09-01 00:00:00Z)"),
        "{err}"
    );
    assert!(!err.contains("time_to"), "flags, not API fields: {err}");

    // Every command answers --version, as the top level does.
    for args in [
        &["--version"][..],
        &["export", "--version"],
        &["api", "--version"],
    ] {
        let output = gcore_billing(args, &[]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(text.starts_with("gcore-billing"), "{text}");
        assert!(
            text.trim()
                .ends_with(&format!(" {}", env!("CARGO_PKG_VERSION"))),
            "{text}"
        );
    }
    let output = gcore_billing(&["export", "detailed", "--demo", "-o", ""], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--output is empty"),
        "{}",
        stderr(&output)
    );
}

/// `gcore-billing args` against `server`.
async fn run_against(server: &FakeServer, args: &[&str]) -> std::process::Output {
    run(strings(args), server_env(server)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn api_checks_the_body_as_the_library_does_and_refuses_unknown_fields_before_sending() {
    let server = server_of(10).await;
    let pricing = r#"{"period": "MONTHS12", "resources": [{"resource_name": "bm1-hf-medium", "resource_type": "flavor", "resource_value": 200}]}"#;
    let output = run_against(
        &server,
        &[
            "api",
            "get_reservation_prices",
            "--region_id",
            "1",
            "--body",
            pricing,
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("resource_value"), "{err}");
    assert!(err.contains("100"), "names the maximum: {err}");

    let period_backwards =
        r#"{"time_from": "2024-09-01T00:00:00Z", "time_to": "2024-08-01T00:00:00Z"}"#;
    let output = run_against(
        &server,
        &["api", "get_usage_report", "--body", period_backwards],
    )
    .await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("time_to"), "{}", stderr(&output));

    let misspelt = r#"{"time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "regoins": [1]}"#;
    let output = run_against(&server, &["api", "get_usage_report", "--body", misspelt]).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("get_usage_report: --body has fields the UsageReportRequest schema does not list: regoins"),
        "{err}"
    );
    assert!(err.contains("--allow-unknown-fields"), "{err}");
    // A GET's rules between parameters, as the typed method checks them.
    let sixty_days = [
        "api",
        "list_billing_reservations",
        "--time_from",
        "2024-08-01T00:00:00Z",
        "--time_to",
        "2024-09-30T00:00:00Z",
    ];
    let output = run_against(&server, &sixty_days).await;
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "list_billing_reservations: invalid request: time_to must be at most 31 days after time_from"
        ),
        "{}",
        stderr(&output)
    );
    // None of these reached the server.
    assert_eq!(server.requests().len(), 0);

    // Asked for, the unknown field is sent as given.
    let output = run_against(
        &server,
        &[
            "api",
            "get_usage_report",
            "--body",
            misspelt,
            "--allow-unknown-fields",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sent = server.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body.as_ref().and_then(|b| b.get("regoins")),
        Some(&serde_json::json!([1]))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_fields_keeps_in_one_json_column_every_field_no_column_takes() {
    let server = server_of(40).await;
    let tmp = temp_dir("other-fields");
    let file = tmp.path().join("costs.csv");
    let mut args = vec!["export", "detailed", "--other-fields", "--quiet"];
    args.extend(AUGUST);
    args.extend(["--output", file.to_str().expect("UTF-8")]);
    let url = server.base_url();
    let output = gcore_billing(
        &args,
        &[("GCORE_API_KEY", "test-key"), ("GCORE_BASE_URL", &url)],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (header, rows) = read_csv(&file);
    let common: Vec<&str> = CostReportResource::COMMON_COLUMNS
        .iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(header[..common.len()], common[..]);
    assert_eq!(header[common.len()..], ["other_fields"]);
    // Each row's common columns and other fields together are exactly what the server sent.
    let dataset = Dataset::embedded(40, Config::default().seed).expect("dataset");
    let sent = dataset.detailed_rows(0, 40);
    assert_eq!(rows.len(), sent.len());
    for (row, sent) in rows.iter().zip(&sent) {
        let sent = sent.as_object().expect("object");
        let other: serde_json::Map<String, Value> = match row.last().map(String::as_str) {
            Some("") | None => serde_json::Map::new(),
            Some(text) => serde_json::from_str(text).expect("a JSON object"),
        };
        let not_common: Vec<&String> = sent
            .keys()
            .filter(|k| !common.contains(&k.as_str()))
            .collect();
        let mut expected: Vec<&String> = not_common
            .into_iter()
            .filter(|k| !sent[k.as_str()].is_null())
            .collect();
        expected.sort();
        let mut got: Vec<&String> = other.keys().collect();
        got.sort();
        assert_eq!(got, expected, "{sent:?}");
        for (key, value) in &other {
            assert_eq!(&sent[key], value, "{key}");
        }
    }
    assert!(
        rows.iter()
            .any(|r| r.last().is_some_and(|o| o.contains("\"flavor\"")))
    );
}
