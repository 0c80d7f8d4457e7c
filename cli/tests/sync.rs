//! `gcore-billing sync`: a Parquet dataset, one file per account and month, kept current from the
//! dataset's own manifest; reruns and failures never duplicate or lose a row.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{
    kill_at_page, parquet_rows, path_arg, run, server_env, server_of, stderr, strings, temp_dir,
};
use gcore_billing_fake::{FakeServer, Fault};
use serde_json::Value;

fn partition(dataset: &Path, month: &str) -> std::path::PathBuf {
    dataset.join(format!(
        "report=detailed/account=default/month={month}/part-0.parquet"
    ))
}

fn manifest(dataset: &Path) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(dataset.join("_manifest.json")).expect("manifest"),
    )
    .expect("JSON")
}

/// Every `.parquet` file under `dataset`, as a reader globbing `**/*.parquet` would find them.
fn parquet_files(dataset: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if path.extension().is_some_and(|e| e == "parquet") {
                out.push(
                    path.strip_prefix(root)
                        .expect("inside")
                        .display()
                        .to_string(),
                );
            }
        }
    }
    let mut out = Vec::new();
    walk(dataset, dataset, &mut out);
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backfill_writes_a_file_per_month_and_a_second_run_fetches_nothing_final() {
    let server = server_of(12).await;
    let dir = temp_dir("sync-backfill");
    let dataset = dir.path().join("costs");
    let sync = strings(&[
        "sync",
        &path_arg(&dataset),
        "--from",
        "2024-06-01",
        "--to",
        "2024-09-01",
    ]);
    let output = run(sync.clone(), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("3 added, 0 replaced, 0 unchanged; 36 rows"),
        "{err}"
    );
    assert_eq!(
        parquet_files(&dataset),
        [
            "report=detailed/account=default/month=2024-06/part-0.parquet",
            "report=detailed/account=default/month=2024-07/part-0.parquet",
            "report=detailed/account=default/month=2024-08/part-0.parquet",
        ]
    );
    // Each month holds what `export` gives for that month, row for row.
    let august = dir.path().join("august.parquet");
    let export = run(
        strings(&[
            "export",
            "detailed",
            "--from",
            "2024-08-01",
            "--to",
            "2024-09-01",
            "--format",
            "parquet",
            "--other-fields",
            "--quiet",
            "--output",
            &path_arg(&august),
        ]),
        server_env(&server),
    )
    .await;
    assert_eq!(export.status.code(), Some(0), "{}", stderr(&export));
    assert_eq!(
        parquet_rows(&partition(&dataset, "2024-08")),
        parquet_rows(&august)
    );
    let listed = manifest(&dataset);
    let june = &listed["partitions"]["report=detailed/account=default/month=2024-06"];
    assert_eq!(june["rows"], 12);
    assert_eq!(june["from"], "2024-06-01T00:00:00Z");
    assert_eq!(june["to"], "2024-07-01T00:00:00Z");
    assert!(
        june["cost"].as_object().is_some_and(|c| !c.is_empty()),
        "{june}"
    );

    // Months fetched long after they ended are final: the second run asks the server nothing.
    server.clear_requests();
    let output = run(sync, server_env(&server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("0 added, 0 replaced, 3 unchanged; 36 rows"),
        "{}",
        stderr(&output)
    );
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_month_is_replaced_on_each_run_never_appended_to() {
    let server = server_of(7).await;
    let dir = temp_dir("sync-current");
    let dataset = dir.path().join("costs");
    // Default period: from the start of the month that was current 3 days ago to tomorrow.
    let sync = strings(&["sync", &path_arg(&dataset), "--quiet"]);
    let first = run(sync.clone(), server_env(&server)).await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before = manifest(&dataset);
    let second = run(sync, server_env(&server)).await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    let err = stderr(&second);
    assert!(
        err.contains("0 added,") && err.contains("replaced, 0 unchanged"),
        "{err}"
    );
    let after = manifest(&dataset);
    let partitions = after["partitions"].as_object().expect("partitions");
    assert!(!partitions.is_empty());
    for (key, entry) in partitions {
        assert_eq!(entry["rows"], 7, "{key}: replaced whole, not appended to");
        assert_ne!(
            entry["fetched_at"], before["partitions"][key]["fetched_at"],
            "{key}"
        );
        let file = dataset.join(key).join("part-0.parquet");
        assert_eq!(parquet_rows(&file).len(), 7, "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_month_leaves_the_earlier_ones_and_a_rerun_completes_the_dataset() {
    let server = server_of(5).await;
    let dir = temp_dir("sync-failure");
    let dataset = dir.path().join("costs");
    let june = [
        "sync",
        &path_arg(&dataset),
        "--from",
        "2024-06-01",
        "--to",
        "2024-07-01",
    ];
    let output = run(strings(&june), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let june_rows = parquet_rows(&partition(&dataset, "2024-06"));

    // June is final, so the first request of this run is July's: it fails, retries off.
    server.push_fault(Fault::Status {
        status: 500,
        retry_after: None,
    });
    let both = [
        "--max-retries",
        "0",
        "sync",
        &path_arg(&dataset),
        "--from",
        "2024-06-01",
        "--to",
        "2024-08-01",
    ];
    let output = run(strings(&both), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("month=2024-07"),
        "{}",
        stderr(&output)
    );
    // June as it was; no July file where a reader would find it; the manifest lists June only.
    assert_eq!(parquet_rows(&partition(&dataset, "2024-06")), june_rows);
    assert!(!partition(&dataset, "2024-07").exists());
    assert!(
        parquet_files(&dataset)
            .iter()
            .all(|f| f.starts_with("report=") || f.starts_with(".staging/")),
        "{:?}",
        parquet_files(&dataset)
    );
    let listed = manifest(&dataset);
    assert_eq!(listed["partitions"].as_object().map(|p| p.len()), Some(1));

    let output = run(strings(&both), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("1 added, 0 replaced, 1 unchanged; 10 rows"),
        "{}",
        stderr(&output)
    );
    assert_eq!(parquet_rows(&partition(&dataset, "2024-07")).len(), 5);
    assert_eq!(
        parquet_files(&dataset),
        [
            "report=detailed/account=default/month=2024-06/part-0.parquet",
            "report=detailed/account=default/month=2024-07/part-0.parquet",
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_plan_and_touches_nothing_and_a_held_lock_refuses_a_second_sync() {
    let server = server_of(3).await;
    let dir = temp_dir("sync-dry");
    let dataset = dir.path().join("costs");
    let output = run(
        strings(&[
            "sync",
            &path_arg(&dataset),
            "--from",
            "2024-07-01",
            "--to",
            "2024-09-01",
            "--dry-run",
        ]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let plan = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = plan.lines().collect();
    assert_eq!(lines.len(), 2, "{plan}");
    assert!(lines[0].starts_with("add      report=detailed/account=default/month=2024-07"));
    assert!(lines[1].contains("month=2024-08"));
    assert!(!dataset.exists(), "a dry run creates nothing");
    assert!(server.requests().is_empty());

    std::fs::create_dir_all(&dataset).expect("dataset");
    let lock = std::fs::File::create(dataset.join(".sync.lock")).expect("lock file");
    lock.lock().expect("lock");
    let output = run(
        strings(&[
            "sync",
            &path_arg(&dataset),
            "--from",
            "2024-07-01",
            "--to",
            "2024-08-01",
        ]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("another sync is writing"),
        "{}",
        stderr(&output)
    );
    assert!(server.requests().is_empty());

    let output = run(strings(&["sync", "s3://bucket/costs"]), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("s3:// destinations are not supported"));
}

/// Writes a config file with one profile per `(name, key, base URL)` and returns the
/// XDG_CONFIG_HOME that finds it.
fn config_home(dir: &Path, profiles: &[(&str, &str, &str)]) -> String {
    let folder = dir.join("config/gcore-billing");
    std::fs::create_dir_all(&folder).expect("config folder");
    let mut text = String::new();
    for (name, key, url) in profiles {
        let key_file = folder.join(format!("{name}.key"));
        std::fs::write(&key_file, format!("{key}\n")).expect("key file");
        text.push_str(&format!(
            "[profiles.{name}]\napi_key_file = \"{name}.key\"\nbase_url = \"{url}\"\n\n"
        ));
    }
    std::fs::write(folder.join("config.toml"), text).expect("config file");
    path_arg(&dir.join("config"))
}

/// The `Authorization` headers a server saw.
fn keys_seen(server: &gcore_billing_fake::FakeServer) -> Vec<String> {
    let mut keys: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| r.headers.get("authorization"))
        .map(|v| v.to_str().expect("ASCII").to_string())
        .collect();
    keys.dedup();
    keys
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_of_the_config_file_sync_into_one_dataset_each_with_its_own_key() {
    let (prod, staging) = (server_of(6).await, server_of(4).await);
    let dir = temp_dir("sync-accounts");
    let dataset = dir.path().join("costs");
    let home = config_home(
        dir.path(),
        &[
            ("prod", "prod-key", &prod.base_url()),
            ("staging", "staging-key", &staging.base_url()),
        ],
    );
    // A key and URL in the environment (for other commands) must not override the profiles'.
    let env = vec![
        ("XDG_CONFIG_HOME".to_string(), home),
        ("GCORE_API_KEY".to_string(), "exported-key".to_string()),
        (
            "GCORE_BASE_URL".to_string(),
            "http://127.0.0.1:9".to_string(),
        ),
    ];
    let sync = strings(&[
        "sync",
        &path_arg(&dataset),
        "--accounts",
        "all",
        "--from",
        "2024-06-01",
        "--to",
        "2024-09-01",
    ]);
    let output = run(sync.clone(), env.clone()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("6 added, 0 replaced, 0 unchanged; 30 rows"),
        "{}",
        stderr(&output)
    );
    assert_eq!(keys_seen(&prod), ["APIKey prod-key"]);
    assert_eq!(keys_seen(&staging), ["APIKey staging-key"]);
    let files = parquet_files(&dataset);
    assert_eq!(files.len(), 6, "{files:?}");
    for month in ["2024-06", "2024-07", "2024-08"] {
        let file = |account: &str| {
            dataset.join(format!(
                "report=detailed/account={account}/month={month}/part-0.parquet"
            ))
        };
        assert_eq!(parquet_rows(&file("prod")).len(), 6);
        assert_eq!(parquet_rows(&file("staging")).len(), 4);
    }
    let listed = manifest(&dataset);
    assert_eq!(
        listed["partitions"]["report=detailed/account=staging/month=2024-07"]["account"],
        "staging"
    );

    // Second run: all final, nothing asked. Then one account fails: the other is still synced,
    // the failure is named and sets the exit code.
    prod.clear_requests();
    staging.clear_requests();
    let output = run(sync, env.clone()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("0 added, 0 replaced, 6 unchanged; 30 rows"));
    assert!(prod.requests().is_empty() && staging.requests().is_empty());

    staging.push_fault(Fault::Status {
        status: 403,
        retry_after: None,
    });
    let september = strings(&[
        "--max-retries",
        "0",
        "sync",
        &path_arg(&dataset),
        "--accounts",
        "prod,staging",
        "--from",
        "2024-06-01",
        "--to",
        "2024-10-01",
    ]);
    let output = run(september, env).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("1 added, 0 replaced, 6 unchanged")
            && err.contains("1 account(s) failed: staging"),
        "{err}"
    );
    assert!(err.contains("(account staging)"), "{err}");
    assert!(
        dataset
            .join("report=detailed/account=prod/month=2024-09/part-0.parquet")
            .exists()
    );
    assert!(
        !dataset
            .join("report=detailed/account=staging/month=2024-09")
            .exists()
    );
}

/// Days from `date` (YYYY-MM-DD) to now, rounded down.
fn days_since(date: &str) -> i64 {
    let start = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    (chrono::Utc::now() - start).num_days()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revised_month_inside_the_lookback_is_replaced_and_a_final_one_is_kept() {
    let server = server_of(8).await;
    let dir = temp_dir("sync-revised");
    let dataset = dir.path().join("costs");
    let first = run(
        strings(&[
            "sync",
            &path_arg(&dataset),
            "--from",
            "2024-06-01",
            "--to",
            "2024-08-01",
        ]),
        server_env(&server),
    )
    .await;
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let june = parquet_rows(&partition(&dataset, "2024-06"));
    let july_before = parquet_rows(&partition(&dataset, "2024-07"));
    let cost_before =
        manifest(&dataset)["partitions"]["report=detailed/account=default/month=2024-07"]["cost"]
            .clone();

    // Gcore revises its costs: the same resources, other figures.
    server.replace_data(gcore_billing_fake::Dataset::embedded(8, 7).expect("data"));
    // A look-back reaching from today back to mid-July: July (ended 1 August) may still be
    // revised, June (ended 1 July) is final.
    let lookback = format!("{}d", days_since("2024-07-15"));
    let second = run(
        strings(&[
            "sync",
            &path_arg(&dataset),
            "--from",
            "2024-06-01",
            "--to",
            "2024-08-01",
            "--lookback",
            &lookback,
        ]),
        server_env(&server),
    )
    .await;
    let err = stderr(&second);
    assert_eq!(second.status.code(), Some(0), "{err}");
    assert!(
        err.contains("0 added, 1 replaced, 1 unchanged; 16 rows"),
        "{err}"
    );
    assert_eq!(parquet_rows(&partition(&dataset, "2024-06")), june);
    let july = parquet_rows(&partition(&dataset, "2024-07"));
    assert_eq!(july.len(), 8, "replaced, not appended to");
    assert_ne!(july, july_before);
    // July holds exactly what an export of the revised July gives.
    let export = dir.path().join("july.parquet");
    let output = run(
        strings(&[
            "export",
            "detailed",
            "--from",
            "2024-07-01",
            "--to",
            "2024-08-01",
            "--format",
            "parquet",
            "--other-fields",
            "--quiet",
            "--output",
            &path_arg(&export),
        ]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(july, parquet_rows(&export));
    let cost_after =
        manifest(&dataset)["partitions"]["report=detailed/account=default/month=2024-07"]["cost"]
            .clone();
    assert_ne!(cost_after, cost_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_killed_mid_partition_and_rerun_holds_exactly_the_rows_of_a_clean_run() {
    let server = FakeServer::start(gcore_billing_fake::Config {
        resources: 2500,
        max_page: 1000,
        ..gcore_billing_fake::Config::default()
    })
    .await
    .expect("server");
    let dir = temp_dir("sync-killed");
    let (clean, killed) = (dir.path().join("clean"), dir.path().join("killed"));
    let sync = |dataset: &Path| {
        strings(&[
            "sync",
            &path_arg(dataset),
            "--from",
            "2024-06-01",
            "--to",
            "2024-09-01",
        ])
    };
    let output = run(sync(&clean), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // June's second page answers at once; July's second page hangs: the sync is killed there,
    // with June in place and July half-fetched.
    server.clear_requests();
    server.fault_at_offset(1000, 1, Fault::Delay(Duration::ZERO));
    server.fault_at_offset(1000, 1, Fault::Delay(Duration::from_secs(120)));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gcore-billing"))
        .args(sync(&killed))
        .envs(server_env(&server))
        .env("XDG_CONFIG_HOME", "/nonexistent/gcore-billing-tests")
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    // July's second page (offset 1000) asked for twice: June's and July's.
    kill_at_page(&server, &mut child, 1000, 2).await;
    let listed = manifest(&killed);
    let partitions: Vec<&String> = listed["partitions"]
        .as_object()
        .expect("map")
        .keys()
        .collect();
    assert_eq!(
        partitions,
        ["report=detailed/account=default/month=2024-06"]
    );
    assert!(!partition(&killed, "2024-07").exists());

    let output = run(sync(&killed), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("2 added, 0 replaced, 1 unchanged; 7500 rows"),
        "{}",
        stderr(&output)
    );
    assert_eq!(parquet_files(&killed), parquet_files(&clean));
    for month in ["2024-06", "2024-07", "2024-08"] {
        assert_eq!(
            parquet_rows(&partition(&killed, month)),
            parquet_rows(&partition(&clean, month)),
            "{month}"
        );
    }
    assert!(
        !killed.join(".staging").exists(),
        "no staging left once done"
    );
}

/// The summary's cost of one dataset, `detailed 12.5 EUR` -> `12.5 EUR` (or the whole cost when
/// the summary names no dataset).
fn summary_cost(err: &str, dataset: Option<&str>) -> String {
    let line = err
        .lines()
        .find(|l| l.starts_with("sync of "))
        .expect("summary line");
    let cost = line.split("; cost ").nth(1).expect("cost").to_string();
    match dataset {
        None => cost,
        Some(name) => cost
            .split("; ")
            .find_map(|part| part.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {line}"))
            .to_string(),
    }
}

/// The text values of one column of a Parquet file.
fn text_column(path: &Path, name: &str) -> Vec<Option<String>> {
    use arrow_array::{Array, StringArray};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).expect("file"))
        .expect("reader")
        .build()
        .expect("batches");
    let mut values = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        let column = batch.column_by_name(name).expect("column");
        let column = column.as_any().downcast_ref::<StringArray>().expect("text");
        for i in 0..column.len() {
            values.push((!column.is_null(i)).then(|| column.value(i).to_string()));
        }
    }
    values
}

/// The month's rows as `export` writes them, for comparing with a partition.
async fn exported(server: &FakeServer, dir: &Path, args: &[&str]) -> Vec<String> {
    let file = dir.join(format!(
        "export-{}.parquet",
        args.join("_").replace('-', "")
    ));
    let mut argv = vec!["export"];
    argv.extend(args);
    argv.extend(["--from", "2024-08-01", "--to", "2024-09-01", "--quiet"]);
    argv.extend(["--output", file.to_str().expect("UTF-8")]);
    let output = run(strings(&argv), server_env(server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    parquet_rows(&file)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_report_and_focus_is_a_dataset_of_its_own_holding_what_export_gives() {
    let server = server_of(12).await;
    let dir = temp_dir("sync-reports");
    let dataset = dir.path().join("costs");
    let months = ["--from", "2024-07-01", "--to", "2024-09-01"];
    let mut sync = vec!["sync", dataset.to_str().expect("UTF-8")];
    sync.extend(["--reports", "detailed,usage,aggregated"]);
    sync.extend(months);
    let output = run(strings(&sync), server_env(&server)).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("6 added, 0 replaced, 0 unchanged"), "{err}");
    let mut expected = Vec::new();
    for report in ["aggregated", "detailed", "usage"] {
        for month in ["2024-07", "2024-08"] {
            expected.push(format!(
                "report={report}/account=default/month={month}/part-0.parquet"
            ));
        }
    }
    assert_eq!(parquet_files(&dataset), expected);
    // Each partition is the export of its report with the other fields kept, row for row.
    let august = |report: &str| {
        dataset.join(format!(
            "report={report}/account=default/month=2024-08/part-0.parquet"
        ))
    };
    for report in ["detailed", "usage", "aggregated"] {
        let rows = exported(
            &server,
            dir.path(),
            &[report, "--format", "parquet", "--other-fields"],
        )
        .await;
        assert!(!rows.is_empty(), "{report}");
        assert_eq!(parquet_rows(&august(report)), rows, "{report}");
    }
    // A resource type's own fields, which no default column takes, are kept.
    let other = text_column(&august("detailed"), "other_fields");
    assert!(
        other.iter().flatten().any(|o| o.contains("\"flavor\"")),
        "{other:?}"
    );
    // The aggregated report sums the detailed one: the summary says both, each named.
    let detailed = summary_cost(&err, Some("detailed"));
    assert!(detailed.ends_with(" EUR"), "{err}");
    assert_eq!(summary_cost(&err, Some("aggregated")), detailed, "{err}");
    let listed = manifest(&dataset);
    let usage = &listed["partitions"]["report=usage/account=default/month=2024-08"];
    assert_eq!(usage["report"], "usage");
    assert_eq!(usage["cost"], serde_json::json!({}));

    // FOCUS needs the account billed; refused before anything is fetched.
    server.clear_requests();
    let mut focus = vec![
        "sync",
        dataset.to_str().expect("UTF-8"),
        "--format",
        "focus",
    ];
    focus.extend(months);
    let refused = run(strings(&focus), server_env(&server)).await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(
        stderr(&refused).contains("--billing-account-id"),
        "{}",
        stderr(&refused)
    );
    assert!(server.requests().is_empty());
    let refused = run(
        strings(&[
            "sync",
            &path_arg(&dataset),
            "--format",
            "focus",
            "--reports",
            "usage",
        ]),
        server_env(&server),
    )
    .await;
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));

    // With it, FOCUS months go to report=focus beside the native ones, which stay as they were.
    let before = parquet_rows(&august("detailed"));
    focus.extend(["--billing-account-id", "acct-42"]);
    let output = run(strings(&focus), server_env(&server)).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("2 added, 0 replaced, 0 unchanged"), "{err}");
    assert_eq!(summary_cost(&err, None), detailed, "{err}");
    assert_eq!(parquet_rows(&august("detailed")), before);
    let rows = exported(
        &server,
        dir.path(),
        &[
            "detailed",
            "--format",
            "focus-parquet",
            "--billing-account-id",
            "acct-42",
        ],
    )
    .await;
    assert_eq!(parquet_rows(&august("focus")), rows);
    assert!(
        text_column(&august("focus"), "BillingAccountId")
            .iter()
            .all(|id| id.as_deref() == Some("acct-42"))
    );
    assert_eq!(parquet_files(&dataset).len(), 8);
}

/// Runs the command on a pseudo-terminal (util-linux `script`), as a user at a shell sees it;
/// returns what the terminal received.
fn on_a_terminal(args: &[&str], env: &[(String, String)]) -> String {
    let mut line = String::from(env!("CARGO_BIN_EXE_gcore-billing"));
    for arg in args {
        assert!(
            arg.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_./:=".contains(c)),
            "{arg}"
        );
        line.push(' ');
        line.push_str(arg);
    }
    let output = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("XDG_CONFIG_HOME", "/nonexistent/gcore-billing-tests")
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs");
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_each_month_shows_a_progress_bar_and_quiet_shows_only_the_summary() {
    let server = server_of(3000).await;
    let dir = temp_dir("sync-tty");
    let dataset = dir.path().join("costs");
    let env = server_env(&server);
    let shown = tokio::task::block_in_place(|| {
        on_a_terminal(
            &[
                "sync",
                &path_arg(&dataset),
                "--from",
                "2024-07-01",
                "--to",
                "2024-09-01",
            ],
            &env,
        )
    });
    for month in ["2024-07", "2024-08"] {
        assert!(
            shown.contains(&format!("detailed default {month} ")),
            "{shown}"
        );
        assert!(
            shown.contains(&format!(
                "added report=detailed/account=default/month={month} (3000 rows)"
            )),
            "{shown}"
        );
    }
    assert!(shown.contains("/3,000 rows"), "{shown}");
    assert!(!shown.contains("wrote "), "{shown}");
    let quiet = tokio::task::block_in_place(|| {
        on_a_terminal(
            &[
                "sync",
                &path_arg(&dir.path().join("other")),
                "--from",
                "2024-08-01",
                "--to",
                "2024-09-01",
                "--quiet",
            ],
            &env,
        )
    });
    assert!(!quiet.contains("rows/s"), "{quiet}");
    assert!(quiet.starts_with("sync of "), "{quiet}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn focus_rows_without_a_price_are_kept_in_the_partitions_left_out_list_never_lost() {
    // Some resources of a 2,000-resource account have no price: FOCUS cannot hold them.
    let server = server_of(2000).await;
    let dir = temp_dir("sync-left-out");
    let dataset = dir.path().join("costs");
    let sync = |lookback: &str| {
        strings(&[
            "sync",
            &path_arg(&dataset),
            "--format",
            "focus",
            "--billing-account-id",
            "acct-1",
            "--from",
            "2024-08-01",
            "--to",
            "2024-09-01",
            "--lookback",
            lookback,
        ])
    };
    let output = run(sync("3d"), server_env(&server)).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let folder = dataset.join("report=focus/account=default/month=2024-08");
    let written = parquet_rows(&folder.join("part-0.parquet")).len();
    let list = std::fs::read_to_string(folder.join("_left-out.jsonl")).expect("the list");
    let listed: Vec<Value> = list
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert!(!listed.is_empty());
    assert_eq!(
        written + listed.len(),
        2000,
        "every row in one file or the other"
    );
    assert!(listed.iter().all(|e| e["row"]["cost"].is_null()), "{list}");
    assert!(
        err.contains(&format!(
            "; {written} rows ({} more left out, kept in the left-out lists)",
            listed.len()
        )),
        "{err}"
    );
    assert!(err.contains("_left-out.jsonl"), "{err}");
    let recorded = &manifest(&dataset)["partitions"]["report=focus/account=default/month=2024-08"];
    assert_eq!(recorded["left_out"], listed.len());
    assert_eq!(recorded["rows"], written);
    // Nothing is left in staging; the list is not a Parquet file a reader would take.
    assert!(!dataset.join(".staging").exists());
    assert_eq!(
        parquet_files(&dataset),
        ["report=focus/account=default/month=2024-08/part-0.parquet"]
    );

    // Replacing the month replaces its list too: the same rows once, not appended.
    let output = run(sync("100000d"), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("0 added, 1 replaced"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(folder.join("_left-out.jsonl")).expect("the list"),
        list
    );
}
