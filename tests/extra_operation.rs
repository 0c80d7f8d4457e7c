//! A new operation in the spec gives users its methods with no edit in `src/`: this copies the crate
//! with three operations added to its spec (one paged with a CSV form; one that reuses an existing
//! request schema under another method name, `x-gcore-method`; one paged that shares the detailed
//! report's request type), compiles code that calls every method they should have, with the types
//! they should have, and runs what can be checked without a server.
//!
//! It builds the copy in its own target directory (`target/extra-operation`; the outer `cargo test`
//! holds the main one), so its first run compiles the dependencies once.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::{Mapping, Value};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn yaml(text: &str) -> Value {
    serde_yaml::from_str(text).expect("YAML")
}

/// The spec with `get_extra_cost_report` (paged, CSV, its own request schema, the detailed report's
/// answer), `get_totals_again` (the aggregated report's request and answer, method `totals_again`)
/// and `get_detailed_again` (paged like the detailed report, with the same request schema, method
/// `detailed_again`: two paged operations sharing one request type).
fn spec_with_extra_operations(root: &Path) -> String {
    let mut spec: Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join("openapi/gcore-billing.yaml")).expect("spec"),
    )
    .expect("YAML");
    let detailed = spec["paths"]["/cloud/v1/cost_report/resources"].clone();
    let mut again = detailed.clone();
    again["post"]["operationId"] = Value::from("get_detailed_again");
    again["post"]["x-gcore-method"] = Value::from("detailed_again");
    let mut extra = detailed.clone();
    extra["post"]["operationId"] = Value::from("get_extra_cost_report");
    extra["post"]["requestBody"]["content"]["application/json"]["schema"] =
        yaml("{$ref: '#/components/schemas/ExtraReportRequest'}");
    let request = spec["components"]["schemas"]["CostReportDetailedRequest"].clone();
    let mut totals = spec["paths"]["/cloud/v1/cost_report/totals"].clone();
    totals["post"]["operationId"] = Value::from("get_totals_again");
    totals["post"]["x-gcore-method"] = Value::from("totals_again");
    let paths = spec["paths"].as_mapping_mut().expect("paths");
    paths.insert(Value::from("/cloud/v1/extra/resources"), extra);
    paths.insert(Value::from("/cloud/v1/extra/totals"), totals);
    paths.insert(Value::from("/cloud/v1/extra/detailed"), again);
    let schemas: &mut Mapping = spec["components"]["schemas"]
        .as_mapping_mut()
        .expect("schemas");
    schemas.insert(Value::from("ExtraReportRequest"), request);
    serde_yaml::to_string(&spec).expect("YAML")
}

const USES: &str = r#"
//! Calls every method the two added operations should have.
use futures::stream::BoxStream;
use gcore_billing::{Client, CsvTable, Error, PageOptions, paged, types};
use gcore_billing::pagination::{PagedOperation, Raw, RawRow};

#[allow(dead_code)]
async fn uses(client: Client) -> Result<(), Error> {
    let from: chrono::DateTime<chrono::Utc> = "2024-08-01T00:00:00Z".parse().unwrap();
    let to: chrono::DateTime<chrono::Utc> = "2024-09-01T00:00:00Z".parse().unwrap();
    let request = types::ExtraReportRequest::builder().time_from(from).time_to(to);
    let _page: types::CostReportDetailed = client.extra_cost_report(request.clone()).await?;
    let _rows: BoxStream<'static, Result<types::CostReportResource, Error>> =
        client.extra_cost_report_stream(request.clone(), PageOptions::default());
    let _bytes: bytes::Bytes = client.extra_cost_report_csv(request.clone()).await?;
    let _table: CsvTable = client.extra_cost_report_csv_rows(request).await?;
    let same = types::CostReportAggregatedRequest::builder().time_from(from).time_to(to);
    let _totals: types::CostReportAggregated = client.totals_again(same.clone()).await?;
    let _table: CsvTable = client.totals_again_csv_rows(same).await?;
    // Two paged operations on one request type: each pages as itself.
    let shared = types::CostReportDetailedRequest::builder().time_from(from).time_to(to);
    let _rows: BoxStream<'static, Result<types::CostReportResource, Error>> =
        client.detailed_again_stream(shared.clone(), PageOptions::default());
    let _rows: BoxStream<'static, Result<types::CostReportResource, Error>> =
        client.detailed_cost_report_stream(shared.clone(), PageOptions::default());
    let _raw: BoxStream<'static, Result<RawRow, Error>> =
        client.paginate::<Raw<paged::DetailedAgain>, _>(shared.clone(), PageOptions::default());
    let _n: u64 = client.count::<paged::DetailedAgain, _>(shared.clone()).await?;
    let _n: u64 = client.count::<paged::ExtraCostReport, _>(request_again()).await?;
    Ok(())
}

fn request_again() -> types::builder::ExtraReportRequest {
    types::ExtraReportRequest::builder()
}

/// Run by the test: what can be checked without a server.
fn main() {
    // All three are in the operation table, so `gcore-billing api` has them too.
    for id in ["get_extra_cost_report", "get_totals_again", "get_detailed_again"] {
        assert!(gcore_billing::OPERATIONS.iter().any(|o| o.id == id), "{id} missing");
    }
    // Each paged operation's marker names its own operation, whatever request type it shares.
    assert_eq!(<paged::DetailedAgain as PagedOperation>::OPERATION_ID, "get_detailed_again");
    assert_eq!(<paged::DetailedCostReport as PagedOperation>::OPERATION_ID, "get_detailed_cost_report");
    assert_eq!(<paged::ExtraCostReport as PagedOperation>::OPERATION_ID, "get_extra_cost_report");
    println!("extra operations: ok");
}
"#;

#[test]
fn added_operations_get_every_method_with_no_edit_in_src() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Removed when the test ends, passed or failed.
    let tmp = tempfile::Builder::new()
        .prefix("gcore-billing-extra-op-")
        .tempdir()
        .expect("temp dir");
    let copy = tmp.path();
    for dir in ["src", "codegen", "generated", "openapi"] {
        copy_dir(&root.join(dir), &copy.join(dir));
    }
    for file in ["build.rs", "README.md", "Cargo.lock"] {
        std::fs::copy(root.join(file), copy.join(file)).expect("copy");
    }
    // The package alone: no other workspace members, tests, examples or benches of its own.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let manifest = manifest
        .replace(
            r#"members = [".", "codegen", "fake-server", "cli"]"#,
            r#"members = [".", "codegen"]"#,
        )
        .split("\n[dev-dependencies]")
        .next()
        .expect("manifest")
        .to_string();
    std::fs::write(copy.join("Cargo.toml"), manifest).expect("write manifest");
    std::fs::write(
        copy.join("openapi/gcore-billing.yaml"),
        spec_with_extra_operations(&root),
    )
    .expect("write spec");
    std::fs::create_dir_all(copy.join("examples")).expect("mkdir");
    std::fs::write(copy.join("examples/uses_extra.rs"), USES).expect("write example");

    let output = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--example", "uses_extra"])
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", root.join("target/extra-operation"))
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the copy does not compile or its checks fail:\n{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "extra operations: ok"
    );
}
