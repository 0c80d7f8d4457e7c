//! The conventions of aws-cli, gcloud and the oxide CLI: profiles in a config file with a
//! documented precedence, `--debug` logging without the key, machine-readable errors, request
//! limits per run, kebab-case names with the spec's snake_case accepted, `api --output table` and
//! `api --paginate`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::{path_arg, run, server_env, server_of, stderr, strings, temp_dir};
use gcore_billing_fake::{FakeServer, Fault};
use serde_json::Value;

/// The `Authorization` header of each request the server saw.
fn keys_seen(server: &FakeServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

/// A config home holding `config.toml` with `text`.
fn config_home(dir: &Path, text: &str) -> String {
    let folder = dir.join("gcore-billing");
    std::fs::create_dir_all(&folder).expect("config folder");
    std::fs::write(folder.join("config.toml"), text).expect("config file");
    path_arg(dir)
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_come_from_the_flag_then_the_environment_then_the_profile() {
    let (a, b) = (server_of(3).await, server_of(3).await);
    let dir = temp_dir("profiles");
    std::fs::write(
        dir.path().join("gcore-billing-default.key"),
        "default-key\n",
    )
    .expect("key");
    let flag_key = dir.path().join("flag.key");
    std::fs::write(&flag_key, "flag-key\n").expect("key");
    // The default profile's key file is relative: it is read from the config file's folder.
    let home = config_home(
        dir.path(),
        &format!(
            "[profiles.default]\napi_key_file = \"../gcore-billing-default.key\"\nbase_url = \"{}\"\n\n\
             [profiles.other]\napi_key_command = \"echo other-key\"\nbase_url = \"{}\"\n",
            a.base_url(),
            b.base_url()
        ),
    );
    let call = |extra: &[&str], vars: &[(&str, &str)]| {
        let mut args = strings(extra);
        args.extend(strings(&["api", "list-regions"]));
        let mut vars = env(vars);
        vars.push(("XDG_CONFIG_HOME".into(), home.clone()));
        run(args, vars)
    };
    let outcome = |output: &std::process::Output| {
        assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        let (from_a, from_b) = (keys_seen(&a), keys_seen(&b));
        a.clear_requests();
        b.clear_requests();
        (from_a, from_b)
    };
    let none: Vec<String> = Vec::new();
    let one = |key: &str| vec![format!("APIKey {key}")];

    // No flag, no environment: the `default` profile.
    let output = call(&[], &[]).await;
    assert_eq!(outcome(&output), (one("default-key"), none.clone()));
    // GCORE_PROFILE picks another profile, with its key command and base URL.
    let output = call(&[], &[("GCORE_PROFILE", "other")]).await;
    assert_eq!(outcome(&output), (none.clone(), one("other-key")));
    // --profile beats GCORE_PROFILE.
    let output = call(&["--profile", "default"], &[("GCORE_PROFILE", "other")]).await;
    assert_eq!(outcome(&output), (one("default-key"), none.clone()));
    // GCORE_API_KEY and GCORE_BASE_URL beat the profile's key and URL.
    let b_url = b.base_url();
    let vars = [
        ("GCORE_API_KEY", "env-key"),
        ("GCORE_BASE_URL", b_url.as_str()),
    ];
    let output = call(&[], &vars).await;
    assert_eq!(outcome(&output), (none.clone(), one("env-key")));
    // --api-key-file and --base-url beat the environment.
    let a_url = a.base_url();
    let output = call(
        &["--api-key-file", &path_arg(&flag_key), "--base-url", &a_url],
        &vars,
    )
    .await;
    assert_eq!(outcome(&output), (one("flag-key"), none.clone()));

    // A profile that is not there is named, with those that are.
    let output = call(&["--profile", "missing"], &[]).await;
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("no profile \"missing\""), "{err}");
    assert!(err.contains("(it has: default, other)"), "{err}");
    assert_eq!((keys_seen(&a).len(), keys_seen(&b).len()), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_config_file_with_a_misspelt_setting_or_a_failing_key_command_is_a_usage_error() {
    let server = server_of(3).await;
    let dir = temp_dir("bad-config");
    let home = config_home(
        dir.path(),
        &format!(
            "[profiles.default]\napi_key_fiel = \"x\"\nbase_url = \"{}\"\n",
            server.base_url()
        ),
    );
    let output = run(
        strings(&["api", "list-regions"]),
        env(&[("XDG_CONFIG_HOME", &home)]),
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("config.toml is not valid"), "{err}");
    assert!(err.contains("api_key_fiel"), "names the setting: {err}");

    let home = config_home(
        dir.path(),
        "[profiles.default]\napi_key_command = \"echo not-this; exit 3\"\n",
    );
    let output = run(
        strings(&["api", "list-regions"]),
        env(&[("XDG_CONFIG_HOME", &home)]),
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.contains("the api_key_command of profile \"default\" failed"),
        "{err}"
    );
    assert!(
        !err.contains("not-this"),
        "the command's output is never shown: {err}"
    );
    assert!(server.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debug_logs_every_request_and_never_the_key() {
    let server = server_of(3).await;
    let key = "sekrit-key-4711";
    let vars = env(&[
        ("GCORE_API_KEY", key),
        ("GCORE_BASE_URL", &server.base_url()),
    ]);
    let output = run(strings(&["--debug", "api", "list-regions"]), vars.clone()).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let log = stderr(&output);
    assert!(log.contains("gcore_billing.request"), "{log}");
    assert!(log.contains("operation=\"list_regions\""), "{log}");
    assert!(
        log.contains(&format!("{}/cloud/v1/regions", server.base_url())),
        "{log}"
    );
    assert!(log.contains("API key from GCORE_API_KEY"), "{log}");
    assert!(!log.contains(key), "the key is never logged: {log}");
    assert_eq!(keys_seen(&server), vec![format!("APIKey {key}")]);

    // Without --debug or RUST_LOG, nothing is logged.
    let output = run(strings(&["api", "list-regions"]), vars.clone()).await;
    assert_eq!(stderr(&output), "");

    // RUST_LOG at its most verbose, every crate included (hyper, reqwest): still no key.
    let mut all = vars;
    all.push(("RUST_LOG".into(), "trace".into()));
    let output = run(strings(&["api", "list-regions"]), all).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let log = stderr(&output);
    assert!(log.contains("TRACE"), "{log}");
    assert!(!log.contains(key), "the key is never logged: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_format_json_prints_one_object_with_code_status_and_request_id() {
    let server = server_of(3).await;
    server.push_fault(Fault::Status {
        status: 403,
        retry_after: None,
    });
    let mut args = strings(&["--error-format", "json", "api", "list-regions"]);
    let output = run(args.clone(), server_env(&server)).await;
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err}");
    let error: Value = serde_json::from_str(&err).expect("one JSON object");
    assert_eq!(error["code"], "api");
    assert_eq!(error["status"], 403);
    assert_eq!(error["request_id"], "fake-req-1");
    assert_eq!(error["operation"], "list_regions");
    assert_eq!(error["exit_code"], 1);
    assert!(
        error["message"].as_str().is_some_and(|m| m.contains("403")),
        "{err}"
    );

    // A check before sending: exit 2, code invalid_request.
    args = strings(&[
        "--error-format=json",
        "api",
        "list-billing-reservations",
        "--time-from",
        "2024-08-01T00:00:00Z",
        "--time-to",
        "2024-09-30T00:00:00Z",
    ]);
    let output = run(args, server_env(&server)).await;
    assert_eq!(output.status.code(), Some(2));
    let error: Value = serde_json::from_str(&stderr(&output)).expect("JSON");
    assert_eq!(error["code"], "invalid_request");
    assert_eq!(error["status"], Value::Null);
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("31 days"))
    );

    // A command line clap refuses is still one JSON object.
    let output = run(
        strings(&["api", "list-regions", "--bogus", "--error-format", "json"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    let error: Value = serde_json::from_str(&stderr(&output)).expect("JSON");
    assert_eq!(error["code"], "usage");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("--bogus"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_retries_and_timeout_apply_to_each_request() {
    let server = server_of(3).await;
    server.push_fault(Fault::Status {
        status: 503,
        retry_after: Some("0".into()),
    });
    let output = run(
        strings(&["--max-retries", "0", "api", "list-regions"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(server.requests().len(), 1, "no retry with --max-retries 0");
    server.clear_requests();

    server.push_fault(Fault::Status {
        status: 503,
        retry_after: Some("0".into()),
    });
    let output = run(
        strings(&["--max-retries", "1", "api", "list-regions"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(server.requests().len(), 2, "one retry");
    server.clear_requests();

    server.push_fault(Fault::Delay(Duration::from_secs(5)));
    let output = run(
        strings(&[
            "--timeout",
            "300ms",
            "--max-retries",
            "0",
            "--error-format",
            "json",
            "api",
            "list-regions",
        ]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let error: Value = serde_json::from_str(&stderr(&output)).expect("JSON");
    assert_eq!(error["code"], "timeout");

    let output = run(
        strings(&["--timeout", "soon", "api", "list-regions"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("--timeout"), "{}", stderr(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kebab_case_and_the_specs_snake_case_spellings_both_work() {
    let server = server_of(3).await;
    let kebab = [
        "api",
        "list-billing-reservations",
        "--time-from",
        "2024-08-01T00:00:00Z",
        "--time-to",
        "2024-08-20T00:00:00Z",
    ];
    let snake = [
        "api",
        "list_billing_reservations",
        "--time_from",
        "2024-08-01T00:00:00Z",
        "--time_to",
        "2024-08-20T00:00:00Z",
    ];
    let a = run(strings(&kebab), server_env(&server)).await;
    let b = run(strings(&snake), server_env(&server)).await;
    assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
    assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
    assert_eq!(a.stdout, b.stdout);
    let sent: Vec<Option<String>> = server.requests().into_iter().map(|r| r.query).collect();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0], sent[1], "the same request either way");
    assert!(sent[0].as_deref().is_some_and(|q| q.contains("time_from=")));

    let help = run(strings(&["api", "--help"]), Vec::new()).await;
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("get-detailed-cost-report"), "{text}");
    assert!(!text.contains("get_detailed_cost_report"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_table_prints_a_row_per_item_of_the_answers_list() {
    let server = server_of(3).await;
    let json = run(strings(&["api", "list-regions"]), server_env(&server)).await;
    let answer: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    let regions = answer["results"].as_array().expect("results");
    let output = run(
        strings(&["api", "list-regions", "--output", "table"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), regions.len() + 1, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert!(
        header.contains(&"ID") && header.contains(&"DISPLAY_NAME"),
        "{text}"
    );
    for (line, region) in lines[1..].iter().zip(regions) {
        let first = line.split_whitespace().next().expect("a cell");
        assert_eq!(
            first,
            region[header[0].to_lowercase()]
                .to_string()
                .trim_matches('"')
        );
        assert!(
            line.contains(region["display_name"].as_str().expect("name")),
            "{line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginate_prints_every_item_of_every_page_once() {
    let server = server_of(23).await;
    let body =
        r#"{"time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "limit": 5}"#;
    let output = run(
        strings(&[
            "api",
            "get_detailed_cost_report",
            "--body",
            body,
            "--paginate",
        ]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    // The same rows as one request for all of them, in order.
    let whole = r#"{"time_from": "2024-08-01T00:00:00Z", "time_to": "2024-09-01T00:00:00Z", "limit": 1000}"#;
    let one = run(
        strings(&["api", "detailed-cost-report", "--body", whole]),
        server_env(&server),
    )
    .await;
    let answer: Value = serde_json::from_slice(&one.stdout).expect("JSON");
    assert_eq!(Some(&rows), answer["results"].as_array());
    let count = answer["count"].as_u64().expect("count") as usize;
    assert_eq!(rows.len(), count);
    let distinct: BTreeSet<String> = rows.iter().map(Value::to_string).collect();
    assert_eq!(distinct.len(), count, "no row twice");
    let offsets: Vec<u64> = server
        .requests()
        .iter()
        .filter_map(|r| r.body.as_ref()?.get("offset")?.as_u64())
        .collect();
    assert_eq!(
        &offsets[..count.div_ceil(5)],
        &[0, 5, 10, 15, 20][..count.div_ceil(5)]
    );

    // An operation that does not page says so, and which do.
    let output = run(
        strings(&["api", "list-regions", "--paginate"]),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(err.contains("get-detailed-cost-report"), "{err}");
}
