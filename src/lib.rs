#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

/// The client generated from `openapi/gcore-billing.yaml` by progenitor and `codegen/`.
///
/// The committed `generated/`; while a file of it is out of date with the spec (feature `codegen`),
/// `build.rs`'s fresh copy of that file instead (a cargo warning says so).
#[allow(missing_docs)]
pub mod generated {
    #[cfg(not(gcore_billing_fresh = "gcore_billing.rs"))]
    include!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/generated/gcore_billing.rs"
    ));
    #[cfg(gcore_billing_fresh = "gcore_billing.rs")]
    include!(concat!(env!("OUT_DIR"), "/generated/gcore_billing.rs"));
}

mod client;
pub mod columns;
pub mod csv_safety;
mod de;
mod error;
pub mod hooks;
pub mod pagination;
#[doc(hidden)]
pub mod rt;
mod runtime;
pub mod validate;

pub use client::{Client, ClientBuilder, CsvTable, DEFAULT_BASE_URL, parse_csv};
pub use error::{Error, is_retryable_status};
#[allow(
    unused_imports,
    reason = "the query structs of the spec's GET operations; a spec without any leaves it empty"
)]
pub use generated::queries::*;
pub use generated::{ApiOperation, ApiPaging, ApiParameter, OPERATIONS, paged, types};
pub use hooks::RetryPolicy;
/// The httpmock the `mock` feature's typed helpers are built with, for tests that use them.
#[cfg(feature = "mock")]
pub use httpmock;
pub use pagination::PageOptions;
/// The exact decimal type of money and billed quantities (`cost`, `billing_value`): the
/// rust_decimal this crate is built with, so that callers need no matching version of their own.
pub use rust_decimal::{self, Decimal};

/// The `info.version` of the spec this client was generated from (`openapi/gcore-billing.yaml`).
pub fn spec_version() -> &'static str {
    <generated::Client as runtime::ClientInfo<hooks::Hooks>>::api_version()
}
