//! Shared by the CLI's test files: running the installed-as-built binary, temporary directories,
//! reading outputs back.
#![allow(dead_code)]

pub mod postgres;

use std::path::Path;
use std::process::{Command, Output};

use gcore_billing_fake::FakeServer;

pub const AUGUST: [&str; 4] = ["--from", "2024-08-01", "--to", "2024-09-01"];

pub fn gcore_billing(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gcore-billing"));
    command
        .args(args)
        .env_remove("GCORE_API_KEY")
        .env_remove("GCORE_BASE_URL")
        .env_remove("GCORE_PROFILE")
        .env_remove("GCORE_TIMEOUT")
        .env_remove("GCORE_MAX_RETRIES")
        .env_remove("RUST_LOG")
        .env_remove("GCORE_BILLING_ACCOUNT_ID")
        // No config file of the machine's user: a test that wants one sets XDG_CONFIG_HOME.
        .env("XDG_CONFIG_HOME", "/nonexistent/gcore-billing-tests");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("runs")
}

/// Runs the command off the async runtime, so a server in this process keeps answering.
pub async fn run(args: Vec<String>, env: Vec<(String, String)>) -> Output {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        gcore_billing(&args, &env)
    })
    .await
    .expect("joins")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A new directory under the system's temporary directory, removed with everything in it when
/// the returned guard drops, whether the test passes or fails.
pub fn temp_dir(name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("gcore-cli-{name}-"))
        .tempdir()
        .expect("temp dir")
}

pub fn path_arg(path: &Path) -> String {
    path.to_str().expect("UTF-8 path").to_string()
}

pub fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

pub fn server_env(server: &FakeServer) -> Vec<(String, String)> {
    vec![
        ("GCORE_API_KEY".into(), "test-key".into()),
        ("GCORE_BASE_URL".into(), server.base_url()),
    ]
}

pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("CSV");
    let header = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("row").iter().map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// A fake server with `resources` resources and the rest of the default data.
pub async fn server_of(resources: usize) -> FakeServer {
    FakeServer::start(gcore_billing_fake::Config {
        resources,
        ..gcore_billing_fake::Config::default()
    })
    .await
    .expect("server")
}

/// Waits (two minutes at most) until the server has been asked `times` times for the page at
/// `offset`, then kills `child` with SIGKILL, as a crash or an OOM kill would end it.
pub async fn kill_at_page(
    server: &FakeServer,
    child: &mut std::process::Child,
    offset: u64,
    times: usize,
) {
    let asked = || {
        server
            .requests()
            .iter()
            .filter(|r| r.body.as_ref().and_then(|b| b.get("offset")) == Some(&offset.into()))
            .count()
    };
    let started = std::time::Instant::now();
    while asked() < times && started.elapsed() < std::time::Duration::from_secs(120) {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        asked(),
        times,
        "the server was asked for the page at {offset}"
    );
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
}

/// Every row of a Parquet file, each as the debug text of its cells.
pub fn parquet_rows(path: &Path) -> Vec<String> {
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).expect("file"))
        .expect("reader")
        .build()
        .expect("batches");
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.expect("batch");
        for i in 0..batch.num_rows() {
            rows.push(format!("{:?}", batch.slice(i, 1).columns()));
        }
    }
    rows
}
