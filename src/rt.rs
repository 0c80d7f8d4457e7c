//! The one surface the generated code calls into (hidden from the docs, not for users' code): every runtime item it names (`crate::rt::X`) is
//! re-exported here from the module that owns it, so the runtime can be rearranged without
//! touching the generator, and a reader of `generated/` finds the runtime in one place. The crate's
//! public API (`Client`, `Error`, `CsvTable`, `PageOptions`) is named by its own paths.

pub use crate::client::{call, call_bytes, collect_csv, parse_csv, prepare};
pub use crate::columns::{
    Column, ColumnKind, Columns, FieldValue, RowTime, unknown_decimal, unknown_enum, unknown_f64,
    unknown_i64, unknown_str, unknown_time,
};
pub use crate::de::{
    Exact, ExactNumber, FieldFailure, Key, Loose, Skipped, Unlisted, deny_unlisted, first_failure,
    or_default, or_default_exact, required, required_exact, row_failure, set_loose, set_once,
    set_once_exact, set_raw, unknown_row, with_unlisted,
};
pub use crate::error::describe_row_error;
pub use crate::hooks::Hooks;
pub use crate::pagination::{PagedOperation, PagedRows, RowsPage, offset_of, window_value};
pub use crate::runtime::*;
pub use crate::validate::{Check, FieldCheck, Validate, check_fields};
