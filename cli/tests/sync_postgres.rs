//! `gcore-billing sync postgres://...` against a real PostgreSQL server started by the test
//! (common/postgres.rs): the tables it creates, sums equal to the summary's, reruns that change
//! nothing, a revised month replaced and not doubled, and a sync killed or failing mid-month that
//! leaves the database as it was and is finished by a rerun.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::postgres::Postgres;
use common::{kill_at_page, path_arg, run, server_env, server_of, stderr, strings, temp_dir};
use gcore_billing_fake::{FakeServer, Fault};
use rust_decimal::Decimal;

/// The cost per currency of the summary line on stderr.
fn summary_costs(stderr: &str) -> BTreeMap<String, Decimal> {
    let line = stderr
        .lines()
        .rfind(|l| l.starts_with("sync of "))
        .expect("a summary line");
    let costs = line.split("; cost ").nth(1).expect("costs");
    let costs = costs.split(';').next().unwrap_or(costs);
    costs
        .split(", ")
        .filter(|c| *c != "none")
        .map(|c| {
            let (amount, currency) = c.split_once(' ').expect("amount and currency");
            (currency.to_string(), amount.parse().expect("decimal"))
        })
        .collect()
}

/// Sum of `cost` per currency in the table, as PostgreSQL adds them (numeric, exact).
async fn table_costs(client: &tokio_postgres::Client) -> BTreeMap<String, Decimal> {
    sums(client, "gcore_billing_detailed", "cost", "currency").await
}

/// Rows per (account, month) in the table.
async fn counts(client: &tokio_postgres::Client) -> Vec<(String, String, i64)> {
    client
        .query(
            "SELECT account, month, count(*) FROM gcore_billing_detailed \
             GROUP BY account, month ORDER BY account, month",
            &[],
        )
        .await
        .expect("counts")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect()
}

fn config_home(dir: &Path, profiles: &[(&str, &str)]) -> String {
    let folder = dir.join("config/gcore-billing");
    std::fs::create_dir_all(&folder).expect("config folder");
    let mut text = String::new();
    for (name, url) in profiles {
        std::fs::write(folder.join(format!("{name}.key")), format!("{name}-key\n")).expect("key");
        text.push_str(&format!(
            "[profiles.{name}]\napi_key_file = \"{name}.key\"\nbase_url = \"{url}\"\n\n"
        ));
    }
    std::fs::write(folder.join("config.toml"), text).expect("config");
    path_arg(&dir.join("config"))
}

fn days_since(date: &str) -> i64 {
    let start = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .expect("date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc();
    (chrono::Utc::now() - start).num_days()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_into_postgres_sums_equal_the_summary_reruns_change_nothing_revisions_replace()
{
    let database = Postgres::start().await;
    let (prod, staging) = (server_of(6).await, server_of(4).await);
    let dir = temp_dir("sync-pg");
    let home = config_home(
        dir.path(),
        &[("prod", &prod.base_url()), ("staging", &staging.base_url())],
    );
    let env = vec![("XDG_CONFIG_HOME".to_string(), home)];
    let sync = |lookback: &str| {
        strings(&[
            "sync",
            &database.url(),
            "--accounts",
            "prod,staging",
            "--from",
            "2024-06-01",
            "--to",
            "2024-09-01",
            "--lookback",
            lookback,
        ])
    };
    let first = run(sync("3d"), env.clone()).await;
    let err = stderr(&first);
    assert_eq!(first.status.code(), Some(0), "{err}");
    assert!(
        err.contains("6 added, 0 replaced, 0 unchanged; 30 rows"),
        "{err}"
    );
    assert!(
        err.contains("PostgreSQL database postgres on 127.0.0.1"),
        "{err}"
    );
    let client = database.client().await;
    let months = ["2024-06", "2024-07", "2024-08"];
    let mut expected = Vec::new();
    for (account, rows) in [("prod", 6), ("staging", 4)] {
        for month in months {
            expected.push((account.to_string(), month.to_string(), rows));
        }
    }
    assert_eq!(counts(&client).await, expected);
    let summed = table_costs(&client).await;
    assert!(!summed.is_empty());
    assert_eq!(summed, summary_costs(&err));
    // Typed columns: money numeric, times timestamptz, tags jsonb.
    let types: BTreeMap<String, String> = client
        .query(
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_name = 'gcore_billing_detailed'",
            &[],
        )
        .await
        .expect("columns")
        .iter()
        .map(|row| (row.get(0), row.get(1)))
        .collect();
    assert_eq!(types["cost"], "numeric");
    assert_eq!(types["billing_value"], "numeric");
    assert_eq!(types["first_seen"], "timestamp with time zone");
    assert_eq!(types["tags"], "jsonb");
    assert_eq!(types["project_id"], "bigint");
    let state: i64 = client
        .query_one("SELECT count(*) FROM gcore_billing_sync_state", &[])
        .await
        .expect("state")
        .get(0);
    assert_eq!(state, 6);

    // Final months: nothing asked, nothing changed.
    prod.clear_requests();
    staging.clear_requests();
    let second = run(sync("3d"), env.clone()).await;
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert!(
        stderr(&second).contains("0 added, 0 replaced, 6 unchanged; 30 rows"),
        "{}",
        stderr(&second)
    );
    assert!(prod.requests().is_empty() && staging.requests().is_empty());
    assert_eq!(counts(&client).await, expected);

    // prod's costs are revised; a look-back reaching back to mid-July replaces both accounts'
    // July (June stays final), and the table holds each July once, with prod's new figures.
    prod.replace_data(gcore_billing_fake::Dataset::embedded(6, 11).expect("data"));
    let lookback = format!("{}d", days_since("2024-07-15"));
    let third = run(sync(&lookback), env.clone()).await;
    let err = stderr(&third);
    assert_eq!(third.status.code(), Some(0), "{err}");
    assert!(
        err.contains("0 added, 4 replaced, 2 unchanged; 30 rows"),
        "{err}"
    );
    assert_eq!(counts(&client).await, expected, "replaced, not doubled");
    assert_ne!(table_costs(&client).await, summed, "the revision is in");
    assert_eq!(table_costs(&client).await, summary_costs(&err));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_sync_killed_or_failing_mid_month_keeps_the_old_rows_and_a_rerun_equals_a_clean_run()
 {
    let database = Postgres::start().await;
    let client = database.client().await;
    client
        .batch_execute("CREATE DATABASE clean")
        .await
        .expect("second database");
    let clean_url = format!(
        "{}/clean",
        database.url().rsplit_once('/').expect("a path").0
    );
    let server = FakeServer::start(gcore_billing_fake::Config {
        resources: 2500,
        max_page: 1000,
        ..gcore_billing_fake::Config::default()
    })
    .await
    .expect("server");
    let sync = |url: &str| strings(&["sync", url, "--from", "2024-06-01", "--to", "2024-09-01"]);
    let clean = run(sync(&clean_url), server_env(&server)).await;
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));

    // Killed while July's second page hangs: June committed, nothing of July.
    server.clear_requests();
    server.fault_at_offset(1000, 1, Fault::Delay(Duration::ZERO));
    server.fault_at_offset(1000, 1, Fault::Delay(Duration::from_secs(120)));
    let mut child = Command::new(env!("CARGO_BIN_EXE_gcore-billing"))
        .args(sync(&database.url()))
        .envs(server_env(&server))
        .env("XDG_CONFIG_HOME", "/nonexistent/gcore-billing-tests")
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    // July's second page (offset 1000) asked for twice: June's and July's.
    kill_at_page(&server, &mut child, 1000, 2).await;
    let june = vec![("default".to_string(), "2024-06".to_string(), 2500)];
    assert_eq!(counts(&client).await, june);

    // The load of July fails inside its transaction (a trigger refuses its rows): the delete of
    // the old rows is rolled back with it, and the state table does not list July.
    client
        .batch_execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$; \
             CREATE TRIGGER refuse_july BEFORE INSERT ON gcore_billing_detailed \
             FOR EACH ROW WHEN (NEW.month = '2024-07') EXECUTE FUNCTION refuse();",
        )
        .await
        .expect("trigger");
    let failed = run(sync(&database.url()), server_env(&server)).await;
    let err = stderr(&failed);
    assert_eq!(failed.status.code(), Some(1), "{err}");
    assert!(err.contains("refused by the test"), "{err}");
    assert!(err.contains("month=2024-07"), "{err}");
    assert_eq!(counts(&client).await, june);
    let listed: i64 = client
        .query_one(
            "SELECT count(*) FROM gcore_billing_sync_state WHERE month = '2024-07'",
            &[],
        )
        .await
        .expect("state")
        .get(0);
    assert_eq!(listed, 0);

    client
        .batch_execute("DROP TRIGGER refuse_july ON gcore_billing_detailed")
        .await
        .expect("drop trigger");
    let rerun = run(sync(&database.url()), server_env(&server)).await;
    let err = stderr(&rerun);
    assert_eq!(rerun.status.code(), Some(0), "{err}");
    assert!(
        err.contains("2 added, 0 replaced, 1 unchanged; 7500 rows"),
        "{err}"
    );
    // Row for row (every column, as text) what the clean run loaded.
    let (clean_client, connection) = tokio_postgres::connect(&clean_url, tokio_postgres::NoTls)
        .await
        .expect("clean database");
    tokio::spawn(connection);
    let (rerun_rows, clean_rows) = (all_rows(&client).await, all_rows(&clean_client).await);
    assert_eq!(rerun_rows.len(), 7500);
    assert!(rerun_rows == clean_rows, "the same rows as a clean run");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_of_the_same_database_is_refused_while_one_holds_the_lock() {
    let database = Postgres::start().await;
    let server = server_of(3).await;
    let holder = database.client().await;
    let held: bool = holder
        .query_one("SELECT pg_try_advisory_lock(7449920745718835564)", &[])
        .await
        .expect("lock")
        .get(0);
    assert!(held);
    let output = run(
        strings(&[
            "sync",
            &database.url(),
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
}

/// Every row of the table as its text, sorted.
async fn all_rows(client: &tokio_postgres::Client) -> Vec<String> {
    client
        .query(
            "SELECT t::text FROM gcore_billing_detailed t ORDER BY t::text",
            &[],
        )
        .await
        .expect("rows")
        .iter()
        .map(|row| row.get::<_, String>(0))
        .collect()
}

/// Sum of a money column per currency in a table (numeric, exact).
async fn sums(
    client: &tokio_postgres::Client,
    table: &str,
    cost: &str,
    currency: &str,
) -> BTreeMap<String, Decimal> {
    client
        .query(
            &format!(
                "SELECT {currency}, sum({cost})::text FROM {table} \
                 WHERE {cost} IS NOT NULL AND {currency} IS NOT NULL GROUP BY 1"
            ),
            &[],
        )
        .await
        .expect("sum")
        .iter()
        .map(|row| {
            let total: String = row.get(1);
            (row.get(0), total.parse().expect("decimal"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_aggregated_and_focus_get_tables_of_their_own_and_other_fields_are_jsonb() {
    let database = Postgres::start().await;
    let server = server_of(12).await;
    let months = ["--from", "2024-07-01", "--to", "2024-09-01"];
    let url = database.url();
    let mut sync = vec![
        "sync",
        url.as_str(),
        "--reports",
        "detailed,usage,aggregated",
    ];
    sync.extend(months);
    let output = run(strings(&sync), server_env(&server)).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("6 added, 0 replaced, 0 unchanged"), "{err}");
    let client = database.client().await;
    for (table, rows) in [("gcore_billing_detailed", 24), ("gcore_billing_usage", 24)] {
        let count: i64 = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("count")
            .get(0);
        assert_eq!(count, rows, "{table}");
    }
    let detailed = sums(&client, "gcore_billing_detailed", "cost", "currency").await;
    assert!(!detailed.is_empty());
    assert_eq!(
        sums(&client, "gcore_billing_aggregated", "cost", "currency").await,
        detailed
    );
    // The fields no column takes are a jsonb object, queryable by key.
    let count = |sql: &'static str| {
        let client = &client;
        async move {
            let n: i64 = client.query_one(sql, &[]).await.expect(sql).get(0);
            n
        }
    };
    assert!(
        count("SELECT count(*) FROM gcore_billing_detailed WHERE other_fields ? 'flavor'").await
            > 0
    );
    assert_eq!(
        count(
            "SELECT count(*) FROM gcore_billing_detailed WHERE other_fields IS NOT NULL \
             AND jsonb_typeof(other_fields) <> 'object'"
        )
        .await,
        0
    );
    let with_other = "SELECT count(*) FROM gcore_billing_detailed WHERE other_fields IS NOT NULL";
    let before = count(with_other).await;
    assert!(before > 0);

    // FOCUS: its own table, FOCUS names, BilledCost summing to the detailed costs.
    let mut focus = vec!["sync", url.as_str(), "--format", "focus"];
    focus.extend(months);
    focus.extend(["--billing-account-id", "acct-7"]);
    let output = run(strings(&focus), server_env(&server)).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("2 added, 0 replaced, 0 unchanged"), "{err}");
    assert_eq!(
        sums(
            &client,
            "gcore_billing_focus",
            "\"BilledCost\"",
            "\"BillingCurrency\""
        )
        .await,
        detailed
    );
    let accounts: Vec<String> = client
        .query(
            "SELECT DISTINCT \"BillingAccountId\" FROM gcore_billing_focus",
            &[],
        )
        .await
        .expect("accounts")
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(accounts, ["acct-7"]);

    // Rows FOCUS cannot hold (no price) go to the left-out table with their reason, in the
    // same transaction as the month: none lost, none doubled by a rerun.
    let big = server_of(2000).await;
    let mut unpriced = vec![
        "sync",
        url.as_str(),
        "--format",
        "focus",
        "--account",
        "big",
    ];
    unpriced.extend(["--from", "2024-08-01", "--to", "2024-09-01"]);
    unpriced.extend(["--billing-account-id", "acct-8", "--lookback", "100000d"]);
    for _ in 0..2 {
        let output = run(strings(&unpriced), server_env(&big)).await;
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let focus_rows: i64 = client
        .query_one(
            "SELECT count(*) FROM gcore_billing_focus WHERE account = 'big'",
            &[],
        )
        .await
        .expect("count")
        .get(0);
    let left_out: Vec<(i64, String, serde_json::Value)> = client
        .query(
            "SELECT \"offset\", reason, row FROM gcore_billing_left_out \
             WHERE report = 'focus' AND account = 'big' AND month = '2024-08'",
            &[],
        )
        .await
        .expect("left out")
        .iter()
        .map(|row| (row.get(0), row.get(1), row.get(2)))
        .collect();
    assert!(!left_out.is_empty());
    assert_eq!(focus_rows + left_out.len() as i64, 2000);
    assert!(
        left_out
            .iter()
            .all(|(_, reason, row)| { reason.starts_with("no price") && row["cost"].is_null() })
    );
    let recorded: i64 = client
        .query_one(
            "SELECT left_out FROM gcore_billing_sync_state \
             WHERE report = 'focus' AND account = 'big'",
            &[],
        )
        .await
        .expect("state")
        .get(0);
    assert_eq!(recorded, left_out.len() as i64);

    // A month recorded by a version with other columns (layout 1) is fetched again, and its
    // rows get the other fields; the others are kept.
    client
        .batch_execute(
            "UPDATE gcore_billing_sync_state SET layout = 1 \
             WHERE report = 'detailed' AND month = '2024-07'; \
             UPDATE gcore_billing_detailed SET other_fields = NULL WHERE month = '2024-07'",
        )
        .await
        .expect("downgrade");
    let mut detailed_only = vec!["sync", url.as_str()];
    detailed_only.extend(months);
    let output = run(strings(&detailed_only), server_env(&server)).await;
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{err}");
    assert!(err.contains("0 added, 1 replaced, 1 unchanged"), "{err}");
    assert_eq!(count(with_other).await, before);
}

/// A certificate authority and a certificate for 127.0.0.1 that it signed: (CA PEM, server's).
fn certificates() -> (String, common::postgres::ServerCertificate) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("server key");
    let certificate = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("server params")
        .signed_by(&key, &issuer)
        .expect("server certificate");
    (
        ca.pem(),
        common::postgres::ServerCertificate {
            certificate: certificate.pem(),
            key: key.serialize_pem(),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_servers_certificate_is_verified_against_the_given_ca() {
    let (ca, certificate) = certificates();
    let database = Postgres::start_with_tls(certificate).await;
    let server = server_of(5).await;
    let dir = temp_dir("sync-pg-tls");
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).expect("CA file");
    let sync = |url: &str, extra: &[&str]| {
        let mut args = vec!["sync", url, "--from", "2024-08-01", "--to", "2024-09-01"];
        args.extend(extra);
        strings(&args)
    };
    let url = database.url();
    // A CA the platform does not know: refused, naming the way out; nothing is written.
    let refused = run(
        sync(&format!("{url}?sslmode=require"), &[]),
        server_env(&server),
    )
    .await;
    let err = stderr(&refused);
    assert_ne!(refused.status.code(), Some(0), "{err}");
    assert!(err.contains("--pg-ca-file"), "{err}");
    // Without TLS the server refuses (pg_hba: hostssl only).
    let plain = run(
        sync(&format!("{url}?sslmode=disable"), &[]),
        server_env(&server),
    )
    .await;
    assert_ne!(plain.status.code(), Some(0), "{}", stderr(&plain));
    // With the CA, by flag (require) or PGSSLROOTCERT (the default, prefer): over TLS.
    let output = run(
        sync(
            &format!("{url}?sslmode=require"),
            &["--pg-ca-file", &path_arg(&ca_file)],
        ),
        server_env(&server),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("1 added"), "{}", stderr(&output));
    let mut env = server_env(&server);
    env.push(("PGSSLROOTCERT".into(), path_arg(&ca_file)));
    let output = run(sync(&url, &["--lookback", "100000d"]), env).await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("1 replaced"),
        "{}",
        stderr(&output)
    );
    let client = database.client().await;
    let rows: i64 = client
        .query_one("SELECT count(*) FROM gcore_billing_detailed", &[])
        .await
        .expect("count")
        .get(0);
    assert_eq!(rows, 5);
}
