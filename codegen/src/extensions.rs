//! The one table of the spec's `x-gcore-*` (and `x-source-notes`) extensions: where each may
//! appear, what it looks like, how the review classes a change to it, and its line in the spec
//! header. [`check_extensions`] refuses an extension the table does not know or one in the wrong
//! place; the review reads [`Extension::class_of_change`]; a test keeps the spec header's list
//! equal to the table. Adding an extension is adding a row here, then reading it in the model.

use openapiv3::OpenAPI;

use crate::CodegenError;
use crate::review::Class;

/// Where an extension may be written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// On an operation (`paths./x.post`).
    Operation,
    /// On a schema object, named or nested.
    Schema,
}

/// One extension the generator reads.
#[derive(Debug)]
pub struct Extension {
    pub name: &'static str,
    pub places: &'static [Place],
    /// What it looks like, as the spec header writes it.
    pub shape: &'static str,
    /// What it does, as the spec header writes it.
    pub doc: &'static str,
    /// The review's class when it is added, changed and removed, and why.
    pub added: (Class, &'static str),
    pub changed: (Class, &'static str),
    pub removed: (Class, &'static str),
}

impl Extension {
    /// The class and note of a change from `old` to `new` (None: not written).
    pub fn class_of_change(
        &self,
        old: Option<&serde_json::Value>,
        new: Option<&serde_json::Value>,
    ) -> (Class, &'static str) {
        match (old, new) {
            (None, _) => self.added,
            (Some(_), None) => self.removed,
            (Some(_), Some(_)) => self.changed,
        }
    }
}

/// `x-gcore-pagination` (see [`EXTENSIONS`]).
pub const PAGINATION: &str = "x-gcore-pagination";
/// `x-gcore-csv` (see [`EXTENSIONS`]).
pub const CSV_FORM: &str = "x-gcore-csv";
/// `x-gcore-method` (see [`EXTENSIONS`]).
pub const METHOD: &str = "x-gcore-method";
/// `x-gcore-query-type` (see [`EXTENSIONS`]).
pub const QUERY_TYPE: &str = "x-gcore-query-type";
/// `x-gcore-checks` (see [`EXTENSIONS`]).
pub const CHECKS: &str = "x-gcore-checks";
/// `x-gcore-default-columns` (see [`EXTENSIONS`]).
pub const DEFAULT_COLUMNS: &str = "x-gcore-default-columns";
/// `x-gcore-billing-value-unit` (see [`EXTENSIONS`]).
pub const BILLING_VALUE_UNIT: &str = "x-gcore-billing-value-unit";
/// `x-source-notes` (see [`EXTENSIONS`]).
pub const SOURCE_NOTES: &str = "x-source-notes";

const PAGING: &str = "deployed clients page by the old rule";
const CSV: &str = "deployed clients ask for CSV by the old rule";
const RUST_NAME: &str = "the generated Rust name changes: code using the old one stops compiling";
const CHECKS_TIGHTER: &str = "input sent before is now refused before sending";

/// Every extension, in the order the spec header lists them.
pub const EXTENSIONS: &[Extension] = &[
    Extension {
        name: PAGINATION,
        places: &[Place::Operation],
        shape: "{limit, offset, count, items}",
        doc: "a POST that pages; gives `<method>_stream`.",
        added: (Class::NonBreaking, "new client behaviour"),
        changed: (Class::Breaking, PAGING),
        removed: (Class::Breaking, PAGING),
    },
    Extension {
        name: CSV_FORM,
        places: &[Place::Operation],
        shape: "{field, value}",
        doc: "a POST that can answer text/csv; gives `_csv`, `_csv_rows`.",
        added: (Class::NonBreaking, "new client behaviour"),
        changed: (Class::Breaking, CSV),
        removed: (Class::Breaking, CSV),
    },
    Extension {
        name: METHOD,
        places: &[Place::Operation],
        shape: "name",
        doc: "the Client method's name (default: operationId without get_).",
        added: (Class::Breaking, RUST_NAME),
        changed: (Class::Breaking, RUST_NAME),
        removed: (Class::Breaking, RUST_NAME),
    },
    Extension {
        name: QUERY_TYPE,
        places: &[Place::Operation],
        shape: "Name",
        doc: "a GET's generated query struct (default: <Method>Query).",
        added: (Class::Breaking, RUST_NAME),
        changed: (Class::Breaking, RUST_NAME),
        removed: (Class::Breaking, RUST_NAME),
    },
    Extension {
        name: CHECKS,
        places: &[Place::Operation, Place::Schema],
        shape: "[{field, after} | {field, within-days-of, days}]",
        doc: "rules between fields that JSON Schema cannot say; checked before sending.",
        added: (Class::Breaking, CHECKS_TIGHTER),
        changed: (Class::Breaking, CHECKS_TIGHTER),
        removed: (Class::NonBreaking, "fewer checks before sending"),
    },
    Extension {
        name: DEFAULT_COLUMNS,
        places: &[Place::Schema],
        shape: "{add: [..], omit: [..]}",
        doc: "on a row union: the columns an export writes by default.",
        added: (Class::Breaking, "exports write other default columns"),
        changed: (Class::Breaking, "exports write other default columns"),
        removed: (Class::Breaking, "exports write other default columns"),
    },
    Extension {
        name: BILLING_VALUE_UNIT,
        places: &[Place::Schema],
        shape: "unit",
        doc: "on a row type: the one `billing_value_unit` it has (the fake server writes it).",
        added: (Class::NonBreaking, "the fake server's rows change"),
        changed: (Class::NonBreaking, "the fake server's rows change"),
        removed: (Class::NonBreaking, "the fake server's rows change"),
    },
    Extension {
        name: SOURCE_NOTES,
        places: &[Place::Operation, Place::Schema],
        shape: "text",
        doc: "where the docs and the SDK disagree, and which won.",
        added: (Class::Docs, "notes only"),
        changed: (Class::Docs, "notes only"),
        removed: (Class::Docs, "notes only"),
    },
];

/// The table's row for `name`.
pub fn extension(name: &str) -> Option<&'static Extension> {
    EXTENSIONS.iter().find(|e| e.name == name)
}

/// True for a name the project reserves for its extensions.
fn is_ours(name: &str) -> bool {
    name.starts_with("x-gcore-") || name == "x-source-notes"
}

/// Every `x-gcore-*` key in the spec is in the table and in one of its places; anything else is an
/// error naming where it is (a misspelt extension would otherwise be ignored without a word).
pub fn check_extensions(spec: &OpenAPI) -> Result<(), CodegenError> {
    let fail =
        |location: String, message: String| Err(CodegenError::Unsupported { location, message });
    let known = || {
        EXTENSIONS
            .iter()
            .map(|e| e.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut found: Vec<(String, String, Place)> = Vec::new();
    for (path, method, op) in crate::model::operations(spec) {
        for key in op.extensions.keys() {
            found.push((format!("{method} {path}"), key.clone(), Place::Operation));
        }
    }
    let value = serde_json::to_value(spec).map_err(|e| CodegenError::Unsupported {
        location: "spec".into(),
        message: format!("cannot be read back as JSON: {e}"),
    })?;
    if let Some(schemas) = value.pointer("/components/schemas") {
        collect_schema_extensions(schemas, "/components/schemas".into(), &mut found);
    }
    for (location, key, place) in found {
        if !is_ours(&key) {
            continue;
        }
        let Some(extension) = extension(&key) else {
            return fail(
                location,
                format!("unknown extension {key} (the generator reads {})", known()),
            );
        };
        if !extension.places.contains(&place) {
            return fail(
                location,
                format!("{key} is read only on: {:?}", extension.places),
            );
        }
    }
    Ok(())
}

/// The extension keys of every schema object under `value` (a map of schemas, or a schema),
/// with their JSON pointer. Examples and defaults are data, not schemas, and are not entered.
fn collect_schema_extensions(
    value: &serde_json::Value,
    at: String,
    out: &mut Vec<(String, String, Place)>,
) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, inner) in map {
                if key.starts_with("x-") {
                    out.push((at.clone(), key.clone(), Place::Schema));
                } else if !matches!(key.as_str(), "example" | "examples" | "default" | "enum") {
                    let here = format!("{at}/{}", key.replace('~', "~0").replace('/', "~1"));
                    collect_schema_extensions(inner, here, out);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                collect_schema_extensions(inner, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The spec header's extension lines, as the table writes them (a test compares them with the
/// header of `openapi/gcore-billing.yaml`).
pub fn header_lines() -> Vec<String> {
    EXTENSIONS
        .iter()
        .map(|e| format!("{}: {}", e.name, e.shape))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec header lists exactly the table's extensions, each as `name: shape`.
    #[test]
    fn the_spec_header_lists_the_table() {
        let spec = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../openapi/gcore-billing.yaml"
        ))
        .expect("spec");
        let header: Vec<String> = spec
            .lines()
            .take_while(|line| line.starts_with('#'))
            .filter_map(|line| line.strip_prefix("#   x-"))
            .map(|rest| {
                let line = format!("x-{rest}");
                let end = line.find("  ").unwrap_or(line.len());
                line[..end].trim_end().to_string()
            })
            .collect();
        assert_eq!(header, header_lines());
    }

    #[test]
    fn changes_are_classed_by_the_table() {
        let old = serde_json::json!("old");
        let new = serde_json::json!("new");
        let method = extension(METHOD).expect("row");
        assert_eq!(
            method.class_of_change(Some(&old), Some(&new)).0,
            Class::Breaking
        );
        let paging = extension(PAGINATION).expect("row");
        assert_eq!(
            paging.class_of_change(None, Some(&new)).0,
            Class::NonBreaking
        );
        assert_eq!(paging.class_of_change(Some(&old), None).0, Class::Breaking);
        let notes = extension(SOURCE_NOTES).expect("row");
        assert_eq!(notes.class_of_change(Some(&old), Some(&new)).0, Class::Docs);
    }
}
