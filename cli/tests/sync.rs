//! `gcore-billing sync`: a Parquet dataset, one file per account and month, kept current from the
//! dataset's own manifest; reruns and failures never duplicate or lose a row.

mod common;

use std::path::Path;

use common::{parquet_rows, path_arg, run, server_env, server_of, stderr, strings, temp_dir};
use gcore_billing_fake::Fault;
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

    let output = run(
        strings(&["sync", "postgres://localhost/costs"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("postgres:// destinations are not supported yet"));
}
