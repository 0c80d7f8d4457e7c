//! `gcore-billing sync`: a Parquet dataset, one file per account and month, kept current from the
//! dataset's own manifest; reruns and failures never duplicate or lose a row.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{parquet_rows, path_arg, run, server_env, server_of, stderr, strings, temp_dir};
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
    let second_pages = || {
        server
            .requests()
            .iter()
            .filter(|r| r.body.as_ref().and_then(|b| b.get("offset")) == Some(&1000.into()))
            .count()
    };
    let started = Instant::now();
    while second_pages() < 2 && started.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(second_pages(), 2, "the sync reached July's second page");
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
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
