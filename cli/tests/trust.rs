//! Exports a user can trust with a real account's data: fleets of resources identical but for their
//! ID, existing files that must survive a bad run, resumes that must not mix two reports, two runs on
//! one path, crashes, values a format cannot hold, hidden prices, closed pipes, a full disk.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gcore_billing_fake::{Config, Dataset, FakeServer, Fault};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Value, json};

mod common;
use common::*;

async fn fake(config: Config) -> FakeServer {
    FakeServer::start(config).await.expect("fake server")
}

fn export_args(format: &str, out: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = strings(&["export", "detailed", "--format", format, "-q"]);
    args.extend(strings(&AUGUST));
    args.extend(["--output".to_string(), path_arg(out)]);
    args.extend(strings(extra));
    args
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

fn parquet_row_count(path: &Path) -> i64 {
    let file = std::fs::File::open(path).expect("parquet file");
    ParquetRecordBatchReaderBuilder::try_new(file)
        .expect("readable Parquet")
        .metadata()
        .file_metadata()
        .num_rows()
}

/// A fleet of 1,000 resources identical but for `uuid` and name: every page size and concurrency
/// exports each once, with the resource's identity in the default columns.
#[tokio::test]
async fn a_fleet_exports_whole_at_every_page_size_and_concurrency() {
    let server = fake(Config {
        resources: 1000,
        fleet: 1000,
        ..Config::default()
    })
    .await;
    let truth: Vec<Value> = server.data().detailed_rows(0, 1000);
    let tmp = temp_dir("fleet");
    for page_size in ["1", "2", "7", "1000"] {
        for concurrency in ["1", "4"] {
            let out = tmp
                .path()
                .join(format!("fleet-{page_size}-{concurrency}.csv"));
            let args = export_args(
                "csv",
                &out,
                &["--page-size", page_size, "--concurrency", concurrency],
            );
            let output = run(args, server_env(&server)).await;
            assert_eq!(
                output.status.code(),
                Some(0),
                "page size {page_size} x{concurrency}: {}",
                stderr(&output)
            );
            let (header, rows) = read_csv(&out);
            assert_eq!(rows.len(), 1000);
            let uuid = header
                .iter()
                .position(|h| h == "uuid")
                .expect("uuid column");
            let name = header.iter().position(|h| h == "last_name").expect("name");
            for (row, sent) in rows.iter().zip(&truth) {
                assert_eq!(row[uuid], sent["uuid"].as_str().unwrap_or(""));
                assert_eq!(row[name], sent["last_name"].as_str().unwrap_or(""));
            }
            assert!(header.contains(&"tags".to_string()));
            assert!(!header.contains(&"region".to_string()), "{header:?}");
        }
    }
    // JSON lines and the usage report go through the same check.
    let out = tmp.path().join("fleet.jsonl");
    let output = run(
        export_args("jsonl", &out, &["--page-size", "7"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 1000);
    let mut usage = strings(&["export", "usage", "-q", "--page-size", "3"]);
    usage.extend(strings(&AUGUST));
    usage.extend(["--output".into(), path_arg(&tmp.path().join("usage.csv"))]);
    let output = run(usage, server_env(&server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// A bad option, a directory as output, or no key: nothing is sent and the user's file is as it was.
#[tokio::test]
async fn bad_options_leave_an_existing_file_untouched_and_send_nothing() {
    let server = fake(Config::default()).await;
    let tmp = temp_dir("untouched");
    let keep = tmp.path().join("keep.csv");
    std::fs::write(&keep, "precious\n").unwrap();
    for (extra, expected) in [
        (
            vec!["--concurrency", "65"],
            "concurrency must be between 1 and 64",
        ),
        (
            vec!["--page-size", "9223372036854775808"],
            "page_size must be between 1",
        ),
        (vec!["--page-size", "0"], "page_size must be between 1"),
        (
            vec!["--from", "2024-09-01", "--to", "2024-08-01"],
            "--to (2024-08-01 00:00:00Z) must be after --from",
        ),
        (vec!["--resume"], "--resume: cannot read the checkpoint"),
    ] {
        let mut args = strings(&["export", "detailed", "-q", "--output", &path_arg(&keep)]);
        if !extra.contains(&"--from") {
            args.extend(strings(&AUGUST));
        }
        args.extend(strings(&extra));
        let output = run(args, server_env(&server)).await;
        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(expected),
            "{extra:?}: {}",
            stderr(&output)
        );
        assert_eq!(
            std::fs::read_to_string(&keep).unwrap(),
            "precious\n",
            "{extra:?}"
        );
        assert!(!sibling(&keep, ".checkpoint").exists(), "{extra:?}");
        assert!(!sibling(&keep, ".partial").exists(), "{extra:?}");
    }
    let directory = run(export_args("csv", tmp.path(), &[]), server_env(&server)).await;
    assert_eq!(directory.status.code(), Some(2), "{}", stderr(&directory));
    assert!(stderr(&directory).contains("is a directory"));
    let nowhere = run(
        export_args("csv", &tmp.path().join("no/such/dir.csv"), &[]),
        server_env(&server),
    )
    .await;
    assert_eq!(nowhere.status.code(), Some(2), "{}", stderr(&nowhere));
    let no_key = run(export_args("parquet", &keep, &[]), vec![]).await;
    assert_eq!(no_key.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&keep).unwrap(), "precious\n");
    assert!(server.requests().is_empty(), "nothing was sent");
}

/// The output's name only ever holds a whole export: a failed run leaves the user's earlier file as
/// it was and the rows so far in `PATH.partial`.
#[tokio::test]
async fn a_failed_export_leaves_the_earlier_file_and_a_partial_one() {
    let server = fake(Config {
        resources: 3000,
        ..Config::default()
    })
    .await;
    let tmp = temp_dir("partial");
    let out = tmp.path().join("costs.csv");
    std::fs::write(&out, "last month's export\n").unwrap();
    server.fault_at_offset(
        2000,
        3,
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    );
    let failed = run(
        export_args("csv", &out, &["--page-size", "500"]),
        server_env(&server),
    )
    .await;
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "last month's export\n"
    );
    let partial = sibling(&out, ".partial");
    assert!(
        stderr(&failed).contains(&path_arg(&partial)),
        "{}",
        stderr(&failed)
    );
    let (_, rows) = read_csv(&partial);
    assert_eq!(rows.len(), 2000);
    let resumed = run(
        export_args("csv", &out, &["--page-size", "500", "--resume"]),
        server_env(&server),
    )
    .await;
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert_eq!(read_csv(&out).1.len(), 3000);
    assert!(!partial.exists() && !sibling(&out, ".checkpoint").exists());
    assert!(!sibling(&out, ".lock").exists());
}

/// A resume after the report changed (same row count), against another server, or with another
/// key is refused; the checkpoint never holds the key.
#[tokio::test]
async fn a_resume_against_changed_data_another_server_or_key_is_refused() {
    let server = fake(Config {
        resources: 3000,
        ..Config::default()
    })
    .await;
    let tmp = temp_dir("mixed");
    let out = tmp.path().join("costs.jsonl");
    let args = |extra: &[&str]| {
        let mut all = vec!["--page-size", "500"];
        all.extend_from_slice(extra);
        export_args("jsonl", &out, &all)
    };
    server.fault_at_offset(
        1500,
        3,
        Fault::Status {
            status: 503,
            retry_after: None,
        },
    );
    let failed = run(args(&[]), server_env(&server)).await;
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    let checkpoint = std::fs::read_to_string(sibling(&out, ".checkpoint")).unwrap();
    assert!(!checkpoint.contains("test-key"), "{checkpoint}");

    let other = fake(Config {
        resources: 3000,
        ..Config::default()
    })
    .await;
    let elsewhere = run(args(&["--resume"]), server_env(&other)).await;
    assert_eq!(elsewhere.status.code(), Some(2), "{}", stderr(&elsewhere));
    assert!(
        stderr(&elsewhere).contains("came from"),
        "{}",
        stderr(&elsewhere)
    );

    let mut another_key = server_env(&server);
    another_key[0].1 = "another-account-key".into();
    let refused = run(args(&["--resume"]), another_key).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("another API key"),
        "{}",
        stderr(&refused)
    );

    // The same count, other rows: a revised day.
    server.replace_data(Dataset::embedded(3000, 43).expect("dataset"));
    let changed = run(args(&["--resume"]), server_env(&server)).await;
    assert_eq!(changed.status.code(), Some(2), "{}", stderr(&changed));
    assert!(
        stderr(&changed).contains("the report changed since the export started"),
        "{}",
        stderr(&changed)
    );
    assert!(!out.exists(), "nothing under the output's name");

    // A damaged partial file is refused too.
    server.replace_data(Dataset::embedded(3000, Config::default().seed).expect("dataset"));
    let partial = sibling(&out, ".partial");
    let text = std::fs::read_to_string(&partial).unwrap();
    std::fs::write(&partial, &text[..text.len() / 2]).unwrap();
    let damaged = run(args(&["--resume"]), server_env(&server)).await;
    assert_eq!(damaged.status.code(), Some(2), "{}", stderr(&damaged));
    assert!(stderr(&damaged).contains("does not match the checkpoint"));
}

/// A second export to a path another export holds is refused, and the first one's files are left
/// alone.
#[tokio::test]
async fn a_second_export_to_the_same_path_is_refused() {
    let server = fake(Config::default()).await;
    let tmp = temp_dir("lock");
    let out = tmp.path().join("costs.csv");
    // What a running export holds: an exclusive lock on PATH.lock.
    let held = std::fs::File::create(sibling(&out, ".lock")).unwrap();
    held.try_lock().expect("lock");
    let second = run(export_args("csv", &out, &[]), server_env(&server)).await;
    assert_eq!(second.status.code(), Some(3), "{}", stderr(&second));
    assert!(stderr(&second).contains("another export is writing"));
    assert!(!out.exists() && !sibling(&out, ".partial").exists());
    assert!(server.requests().is_empty());
    drop(held);
    let after = run(export_args("csv", &out, &[]), server_env(&server)).await;
    assert_eq!(after.status.code(), Some(0), "{}", stderr(&after));
}

/// `kill -9` in the middle of a Parquet export loses at most the part being written; `--resume`
/// finishes a file with the same rows as a one-shot export.
#[tokio::test]
async fn parquet_killed_mid_export_resumes_from_its_last_complete_part() {
    let server = fake(Config {
        resources: 100_000,
        ..Config::default()
    })
    .await;
    let tmp = temp_dir("kill");
    let whole = tmp.path().join("whole.parquet");
    let out = tmp.path().join("killed.parquet");
    let one_shot = run(export_args("parquet", &whole, &[]), server_env(&server)).await;
    assert_eq!(one_shot.status.code(), Some(0), "{}", stderr(&one_shot));
    // The export stalls at row 80,000, after its first 65,536-row part is closed.
    server.fault_at_offset(80_000, 1, Fault::Delay(Duration::from_secs(60)));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gcore-billing"))
        .args(export_args("parquet", &out, &[]))
        .envs(server_env(&server))
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    let checkpoint = sibling(&out, ".checkpoint");
    // A checkpoint exists from the start; wait until it records the first closed part.
    let parts_closed = || {
        std::fs::read_to_string(&checkpoint)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|recorded| recorded["parts"].as_u64())
            .unwrap_or(0)
    };
    let started = Instant::now();
    while parts_closed() < 1 && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(parts_closed(), 1, "a checkpoint once the first part closed");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(
        !out.exists(),
        "no valid-looking file under the output's name"
    );
    let recorded: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(recorded["parts"], 1);
    assert_eq!(recorded["written"], 65_536);
    let resumed = run(
        export_args("parquet", &out, &["--resume"]),
        server_env(&server),
    )
    .await;
    assert_eq!(resumed.status.code(), Some(0), "{}", stderr(&resumed));
    assert_eq!(parquet_row_count(&out), 100_000);
    assert!(std::fs::read(&out).is_ok_and(|b| !b.is_empty()));
    let rows = |path: &Path| {
        let file = std::fs::File::open(path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        reader
            .map(|b| format!("{:?}", b.unwrap().columns()))
            .collect::<String>()
    };
    assert!(
        rows(&out) == rows(&whole),
        "the same rows, once each, in order"
    );
    assert!(!sibling(&out, ".parts").exists());
    // The parts' row groups are joined as they were encoded, with the Arrow schema kept.
    let joined = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&out).unwrap())
        .expect("a Parquet file");
    assert!(joined.metadata().num_row_groups() >= 2);
    let first_seen = joined
        .schema()
        .field_with_name("first_seen")
        .expect("first_seen");
    assert_eq!(
        first_seen.data_type(),
        &arrow_schema::DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, Some("UTC".into()))
    );
}

/// The detailed report's page at offset 0, from the server's data, with `edit` applied to it.
fn edited_page(server: &FakeServer, rows: usize, edit: impl Fn(&mut Vec<Value>)) -> String {
    let mut results = server.data().detailed_rows(0, rows);
    edit(&mut results);
    json!({"count": rows, "price_status": "show", "results": results}).to_string()
}

/// A value that does not fit its Parquet column ends the export naming the row, the column and the
/// value; the complete rows stay resumable and the columns never fall out of step.
#[tokio::test]
async fn a_value_parquet_cannot_hold_names_row_and_field_and_is_not_a_resume_case() {
    let server = fake(Config::default()).await;
    let body = edited_page(&server, 10, |rows| {
        for row in rows.iter_mut() {
            row["cost"] = json!(1.5);
            row["currency"] = json!("EUR");
        }
        // A marker, replaced below by digits no f64 holds (a JSON value would round them).
        rows[3]["billing_value"] = json!(777.125);
    })
    .replacen("777.125", "123456789012345678901234", 1);
    server.fault_at_offset(
        0,
        2,
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body,
        },
    );
    let tmp = temp_dir("bad-cell");
    let out = tmp.path().join("focus.parquet");
    let output = run(
        export_args("focus-parquet", &out, &["--billing-account-id", "a-1"]),
        server_env(&server),
    )
    .await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("row 3"), "{err}");
    assert!(err.contains("123456789012345678901234"), "{err}");
    assert!(err.contains("Quantity"), "the column: {err}");
    assert!(!err.contains("--resume"), "{err}");
    assert!(!err.contains("same length"), "{err}");
    let checkpoint: Value =
        serde_json::from_str(&std::fs::read_to_string(sibling(&out, ".checkpoint")).unwrap())
            .unwrap();
    assert_eq!(checkpoint["written"], 3);
    let part = sibling(&out, ".parts").join("part-000000.parquet");
    assert_eq!(parquet_row_count(&part), 3, "the rows before it, whole");
}

/// Rows FOCUS cannot hold are listed exactly as the server sent them: key order, digits, all.
#[tokio::test]
async fn left_out_rows_are_the_servers_bytes() {
    let server = fake(Config::default()).await;
    let unpriced = r#"{"uuid":"u-9","type":"floating_ip","cost":null,"err":"no price","billing_value":123456789.123456789123,"billing_value_unit":"minutes","billing_metric_name":"fip","billing_feature_name":null,"currency":null,"first_seen":"2024-08-01T00:00:30Z","last_seen":"2024-08-02T00:00:30Z","project_id":1,"region":1,"region_id":1,"last_name":"ip-9","ip_address":"203.0.113.9","zz_unlisted":12345678901234567890123,"tags":null}"#;
    let mut page = edited_page(&server, 2, |rows| {
        for row in rows.iter_mut() {
            row["cost"] = json!(2.25);
            row["currency"] = json!("EUR");
        }
    });
    // Third row, spliced in as text so that nothing re-writes it.
    page = page.replacen(r#""count":2"#, r#""count":3"#, 1);
    let at = page.rfind(']').unwrap();
    page.insert_str(at, &format!(",{unpriced}"));
    server.fault_at_offset(
        0,
        2,
        Fault::Body {
            status: 200,
            content_type: "application/json".into(),
            body: page,
        },
    );
    let tmp = temp_dir("left-out");
    let out = tmp.path().join("focus.csv");
    let output = run(
        export_args("focus-csv", &out, &["--billing-account-id", "a-1"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let listed = std::fs::read_to_string(sibling(&out, ".left-out.jsonl")).unwrap();
    assert_eq!(
        listed,
        format!(
            "{{\"offset\":2,\"reason\":\"no price (cost is null): no price\",\"row\":{unpriced}}}\n"
        )
    );
}

/// Hidden or failed prices are never silent: a warning with the status and the rows; FOCUS refuses
/// unless told, then marks each row.
#[tokio::test]
async fn hidden_prices_warn_and_focus_refuses_unless_allowed() {
    for status in ["hide", "error"] {
        let server = fake(Config {
            resources: 40,
            price_status: status.into(),
            ..Config::default()
        })
        .await;
        let tmp = temp_dir("hidden");
        let csv = run(
            export_args("csv", &tmp.path().join("c.csv"), &[]),
            server_env(&server),
        )
        .await;
        assert_eq!(csv.status.code(), Some(0));
        assert!(
            stderr(&csv).contains(&format!("price_status is {status}"))
                && stderr(&csv).contains("40 rows"),
            "{}",
            stderr(&csv)
        );
        let focus = tmp.path().join("f.csv");
        let refused = run(
            export_args("focus-csv", &focus, &["--billing-account-id", "a"]),
            server_env(&server),
        )
        .await;
        assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
        assert!(
            stderr(&refused).contains("price_status")
                && stderr(&refused).contains("--allow-unpriced")
        );
        assert!(!focus.exists());
        let allowed = run(
            export_args(
                "focus-csv",
                &focus,
                &["--billing-account-id", "a", "--allow-unpriced"],
            ),
            server_env(&server),
        )
        .await;
        assert_eq!(allowed.status.code(), Some(0), "{}", stderr(&allowed));
        let (header, rows) = read_csv(&focus);
        let column = header
            .iter()
            .position(|h| h == "x_PriceStatus")
            .expect("column");
        assert!(!rows.is_empty() && rows.iter().all(|r| r[column] == status));
    }
}

/// A reader that goes away (`| head`) ends any command quietly with exit 0, never a panic.
#[tokio::test]
async fn a_closed_stdout_ends_quietly() {
    let server = fake(Config {
        resources: 20_000,
        ..Config::default()
    })
    .await;
    let mut export = strings(&["export", "detailed", "-q", "--output", "-"]);
    export.extend(strings(&AUGUST));
    let api = strings(&[
        "api",
        "list_billing_reservations",
        "--time_from",
        "2024-08-01T00:00:00Z",
        "--time_to",
        "2024-08-31T00:00:00Z",
    ]);
    for args in [export, api] {
        let env = server_env(&server);
        let output = tokio::task::spawn_blocking(move || {
            let mut child = Command::new(env!("CARGO_BIN_EXE_gcore-billing"))
                .args(&args)
                .envs(env)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("runs");
            // Read one byte, then close the pipe, as `head -c 1` does.
            let mut stdout = child.stdout.take().expect("stdout");
            let mut byte = [0u8; 1];
            let _ = stdout.read(&mut byte);
            drop(stdout);
            child.wait_with_output().expect("exits")
        })
        .await
        .unwrap();
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "{err}");
        assert!(!err.contains("panicked") && !err.contains("error"), "{err}");
    }
}

/// The key never crosses the network in clear: a plain-http base URL to another host is refused
/// before anything is sent.
#[test]
fn plain_http_to_another_host_is_refused() {
    let tmp = temp_dir("http");
    let out = tmp.path().join("x.csv");
    let args = export_args("csv", &out, &[]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = gcore_billing(
        &args,
        &[
            ("GCORE_API_KEY", "secret-key-1"),
            ("GCORE_BASE_URL", "http://billing.example.com"),
        ],
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--allow-insecure-http"));
    assert!(!stderr(&output).contains("secret-key-1"));
    assert!(!out.exists());
}

/// A disk that fills (here a file-size limit) is a local error, exit 3, with the path, the rows
/// reached and how to resume.
#[tokio::test]
async fn a_full_disk_is_exit_3_with_the_path_and_the_resume_hint() {
    use std::os::unix::process::CommandExt;
    let server = fake(Config {
        resources: 5000,
        ..Config::default()
    })
    .await;
    let tmp = temp_dir("disk-full");
    let out = tmp.path().join("costs.csv");
    let args = export_args("csv", &out, &[]);
    let env = server_env(&server);
    let output = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(env!("CARGO_BIN_EXE_gcore-billing"));
        command.args(&args).envs(env);
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(|| {
                // Files may not grow past 256 KiB; writing past it fails with EFBIG instead of
                // killing the process.
                libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                let limit = libc::rlimit {
                    rlim_cur: 256 * 1024,
                    rlim_max: 256 * 1024,
                };
                if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command.output().expect("runs")
    })
    .await
    .unwrap();
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(3), "{err}");
    assert!(err.contains(&path_arg(&sibling(&out, ".partial"))), "{err}");
    assert!(
        err.contains("rows were read") && err.contains("--resume"),
        "{err}"
    );
    assert!(err.contains("row "), "{err}");
}

/// The demo server needs no checkout: the spec is compiled in, so it runs from any directory.
#[test]
fn demo_runs_from_anywhere() {
    let tmp = temp_dir("demo-anywhere");
    let output = Command::new(env!("CARGO_BIN_EXE_gcore-billing"))
        .current_dir(tmp.path())
        .args([
            "export",
            "detailed",
            "--demo",
            "--demo-resources",
            "50",
            "-q",
            "-o",
            "d.csv",
        ])
        .env_remove("GCORE_API_KEY")
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(read_csv(&tmp.path().join("d.csv")).1.len(), 50);
}

/// Money is exact in every format: a cost with 18 significant digits and a billed quantity of
/// 10^-9 order (neither of which an f64 holds) come out of CSV, JSON lines and Parquet with the
/// server's digits.
#[tokio::test]
async fn an_18_digit_cost_and_a_tiny_quantity_keep_their_digits_in_every_format() {
    const COST: &str = "1234567890.12345678";
    const QUANTITY: &str = "0.000000001234567891";
    let server = fake(Config::default()).await;
    let body = edited_page(&server, 1, |rows| {
        // Markers, replaced below by digits no f64 holds (a JSON value would round them).
        rows[0]["cost"] = json!(777.125);
        rows[0]["billing_value"] = json!(555.25);
        rows[0]["currency"] = json!("EUR");
    })
    .replacen("777.125", COST, 1)
    .replacen("555.25", QUANTITY, 1);
    let tmp = temp_dir("exact-money");
    for format in ["csv", "jsonl", "parquet"] {
        server.fault_at_offset(
            0,
            2,
            Fault::Body {
                status: 200,
                content_type: "application/json".into(),
                body: body.clone(),
            },
        );
        let out = tmp.path().join(format!("exact.{format}"));
        let output = run(
            export_args(format, &out, &["--no-rounding"]),
            server_env(&server),
        )
        .await;
        assert_eq!(
            output.status.code(),
            Some(0),
            "{format}: {}",
            stderr(&output)
        );
        let (cost, quantity) = match format {
            "csv" => {
                let (header, rows) = read_csv(&out);
                let at = |name: &str| header.iter().position(|h| h == name).expect("column");
                (
                    rows[0][at("cost")].clone(),
                    rows[0][at("billing_value")].clone(),
                )
            }
            "jsonl" => {
                // The line's own text: a JSON reader would turn the numbers into floats.
                let text = std::fs::read_to_string(&out).expect("JSONL");
                let number = |name: &str| {
                    let start = text.find(&format!("\"{name}\":")).expect("field") + name.len() + 3;
                    let end = text[start..].find([',', '}']).expect("end") + start;
                    text[start..end].to_string()
                };
                (number("cost"), number("billing_value"))
            }
            _ => {
                use arrow_array::{Array, Decimal128Array};
                let reader = ParquetRecordBatchReaderBuilder::try_new(
                    std::fs::File::open(&out).expect("file"),
                )
                .expect("reader")
                .build()
                .expect("batches");
                let batch = reader.into_iter().next().expect("a batch").expect("batch");
                let decimal = |name: &str| {
                    let column = batch.column_by_name(name).expect("column");
                    let values = column
                        .as_any()
                        .downcast_ref::<Decimal128Array>()
                        .expect("Decimal128");
                    rust_decimal::Decimal::from_i128_with_scale(values.value(0), 18)
                        .normalize()
                        .to_string()
                };
                (decimal("cost"), decimal("billing_value"))
            }
        };
        assert_eq!(
            (cost.as_str(), quantity.as_str()),
            (COST, QUANTITY),
            "{format}"
        );
    }
}
