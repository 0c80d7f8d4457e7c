//! What the generator needs to know about the spec beyond what progenitor reads: which types must stay
//! open to new values, which operations have a CSV form, and which are paged. All of it comes from the
//! spec itself (schemas reachable from responses, `x-gcore-csv`, `x-gcore-pagination`).

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, ReferenceOr, Schema, SchemaKind, Type};

use crate::CodegenError;

/// A string enum that responses use: unknown values must be kept, not rejected.
#[derive(Debug, Clone)]
pub struct OpenEnum {
    pub name: String,
    pub description: Option<String>,
    pub values: Vec<String>,
}

/// A `oneOf` with a `discriminator` that responses use: unknown tags must be kept as raw JSON.
#[derive(Debug, Clone)]
pub struct OpenUnion {
    pub name: String,
    pub description: Option<String>,
    pub property: String,
    /// (tag value, variant schema name), in the order of `oneOf`.
    pub variants: Vec<(String, String)>,
    /// Fields that every variant has with the same simple type: these get accessors on the union.
    pub common_fields: Vec<CommonField>,
    /// Every field of any variant, as an export column: the discriminator, then the fields every
    /// variant has (in the first variant's order), then the others in order of first appearance.
    pub columns: Vec<Column>,
}

/// A field of a union's rows, as a column of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub kind: ColumnKind,
    /// True when every variant has the field.
    pub in_every_variant: bool,
    /// True when the field is one of the default export columns: those every variant has, plus
    /// the union's `x-gcore-default-columns.add`, less its `omit`.
    pub in_default: bool,
}

/// How a column's values are typed in an export (Parquet types; CSV writes them all as text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Integer,
    Number,
    /// A `format: decimal` number: `rust_decimal::Decimal`, exact.
    Decimal,
    Boolean,
    Timestamp,
    /// Arrays and objects, written as JSON text.
    Json,
}

/// A field shared by every variant of an open union.
#[derive(Debug, Clone)]
pub struct CommonField {
    pub name: String,
    pub kind: FieldKind,
    pub description: Option<String>,
    /// Per variant (same order as `OpenUnion::variants`): true when the generated field is an `Option`.
    pub optional_in: Vec<bool>,
}

/// The Rust shape of a common field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldKind {
    Str,
    DateTime,
    I64,
    F64,
    /// A `format: decimal` number: `rust_decimal::Decimal`.
    Decimal,
    /// A reference to an open enum (by name).
    OpenEnum(String),
}

/// An operation with `x-gcore-csv`: a request field switches the answer to `text/csv`.
#[derive(Debug, Clone)]
pub struct CsvOperation {
    pub operation_id: String,
    pub path: String,
    pub body_type: String,
    pub field: String,
    pub value: String,
    pub summary: Option<String>,
}

/// An operation with `x-gcore-pagination`: `limit`/`offset` in the body, `count` and items in the answer.
#[derive(Debug, Clone)]
pub struct PagedOperation {
    pub operation_id: String,
    /// The `Client` method's name (`x-gcore-method`, or the operationId without `get_`); its
    /// UpperCamelCase is the operation's marker type in `paged`.
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub body_type: String,
    pub response_type: String,
    pub limit: String,
    pub offset: String,
    pub count: String,
    pub items: String,
    pub item_type: String,
    /// Whether `limit` is generated as a `NonZeroU64` (typify does so for `minimum: 1`).
    pub limit_is_nonzero: bool,
    /// The spec's default `limit`: the page size of a request that does not set one.
    pub limit_default: u64,
}

/// A `POST` operation whose only input is a JSON body: its `Client` methods are generated (the plain
/// one, and `_stream`, `_csv`, `_csv_rows` when it pages or has a CSV form).
#[derive(Debug, Clone)]
pub struct BodyOperation {
    pub operation_id: String,
    /// `x-gcore-method`, or the operationId without a leading `get_`.
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub body_type: String,
    pub response_type: String,
    /// The row type, when the operation has `x-gcore-pagination`.
    pub item_type: Option<String>,
    /// Whether the operation has `x-gcore-csv`.
    pub csv: bool,
    /// Its path parameters (integers), in order: each is a method argument before the body.
    pub path_parameters: Vec<PathParameter>,
    /// The note of `#[deprecated]` when the spec marks the operation `deprecated: true`.
    pub deprecated: Option<String>,
    /// The request body's first example in the spec, for the method's rustdoc example.
    pub body_example: Option<serde_json::Value>,
}

/// An integer path parameter: a `u64` argument (`i64` when the schema allows negatives), checked by
/// its schema before anything is sent.
#[derive(Debug, Clone)]
pub struct PathParameter {
    pub name: String,
    pub signed: bool,
    pub schema: openapiv3::Schema,
    /// The spec's example value.
    pub example: Option<serde_json::Value>,
}

/// A `GET` whose input is query parameters: a generated query struct (`x-gcore-query-type`, or
/// `<Method>Query`) with a constructor taking the required ones, checks from the parameters' schemas
/// and the operation's `x-gcore-checks`, and a `Client` method taking it.
#[derive(Debug, Clone)]
pub struct QueryOperation {
    pub operation_id: String,
    pub method: String,
    pub path: String,
    pub summary: Option<String>,
    pub response_type: String,
    pub query_type: String,
    pub parameters: Vec<QueryParameter>,
    /// Its path parameters (integers), in order: each is a method argument before the query.
    pub path_parameters: Vec<PathParameter>,
    /// The operation's `x-gcore-checks`, as written.
    pub checks: Option<serde_json::Value>,
    /// The note of `#[deprecated]` when the spec marks the operation `deprecated: true`.
    pub deprecated: Option<String>,
}

/// One query parameter and the Rust type of its field.
#[derive(Debug, Clone)]
pub struct QueryParameter {
    pub name: String,
    pub description: Option<String>,
    pub required: bool,
    /// The kind of its value, or of each element when `list`.
    pub kind: QueryKind,
    /// An array: sent as one `name=value` pair per element, a `Vec` in the query struct.
    pub list: bool,
    pub schema: openapiv3::Schema,
    /// The spec's example value.
    pub example: Option<serde_json::Value>,
}

/// The Rust type of a query parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryKind {
    DateTime,
    Text,
    /// An inline string enum: progenitor's type `<OperationId><Parameter>` in `types`.
    Enum(String),
    Unsigned,
    Signed,
    Boolean,
}

/// A query parameter's schema, and the component's name when it is a `$ref` (a `$ref` to a string
/// enum is that named type: open enums are re-exported in `types`).
fn resolve_query_schema<'a>(
    spec: &'a OpenAPI,
    reference_or_schema: &'a ReferenceOr<openapiv3::Schema>,
    name: &str,
    location: &str,
) -> Result<(&'a openapiv3::Schema, Option<String>), CodegenError> {
    match reference_or_schema {
        ReferenceOr::Item(schema) => Ok((schema, None)),
        ReferenceOr::Reference { reference } => ref_name(reference)
            .and_then(|n| component(spec, n).map(|s| (s, Some(n.to_string()))))
            .ok_or_else(|| {
                unsupported(
                    location,
                    format!("query parameter {name}: {reference} not found"),
                )
            }),
    }
}

/// The Rust kind of a scalar query value.
fn query_kind(
    schema: &openapiv3::Schema,
    named: Option<&str>,
    op_id: &str,
    name: &str,
    location: &str,
) -> Result<QueryKind, CodegenError> {
    Ok(match &schema.schema_kind {
        SchemaKind::Type(Type::String(text)) if !text.enumeration.is_empty() => match named {
            Some(named) => QueryKind::Enum(named.to_string()),
            None => QueryKind::Enum(format!("{}{}", pascal(op_id), pascal(name))),
        },
        SchemaKind::Type(Type::String(text))
            if matches!(
                &text.format,
                openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::DateTime)
            ) =>
        {
            QueryKind::DateTime
        }
        SchemaKind::Type(Type::String(_)) => QueryKind::Text,
        SchemaKind::Type(Type::Integer(i)) if i.minimum.is_some_and(|m| m >= 0) => {
            QueryKind::Unsigned
        }
        SchemaKind::Type(Type::Integer(_)) => QueryKind::Signed,
        SchemaKind::Type(Type::Boolean(_)) => QueryKind::Boolean,
        _ => {
            return Err(unsupported(
                location,
                format!(
                    "query parameter {name}: its type is not one a query struct holds (a string, string enum, date-time, integer or boolean, or an array of one; not an object or an array of arrays)"
                ),
            ));
        }
    })
}

/// A path parameter of an operation: an integer with an inline schema (the one kind a path holds
/// in this API: project, region and reservation IDs).
pub(crate) fn path_parameter(
    parameter_data: &openapiv3::ParameterData,
    location: &str,
) -> Result<PathParameter, CodegenError> {
    let schema = match &parameter_data.format {
        openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => schema,
        _ => {
            return Err(unsupported(
                location,
                format!(
                    "path parameter {} needs an inline schema",
                    parameter_data.name
                ),
            ));
        }
    };
    let SchemaKind::Type(Type::Integer(integer)) = &schema.schema_kind else {
        return Err(unsupported(
            location,
            format!("path parameter {} must be an integer", parameter_data.name),
        ));
    };
    Ok(PathParameter {
        name: parameter_data.name.clone(),
        signed: integer.minimum.is_none_or(|m| m < 0),
        schema: schema.clone(),
        example: parameter_example(parameter_data, schema),
    })
}

/// The generator's view of the spec.
#[derive(Debug, Clone, Default)]
pub struct SpecModel {
    pub open_enums: Vec<OpenEnum>,
    pub open_unions: Vec<OpenUnion>,
    pub csv_operations: Vec<CsvOperation>,
    pub paged_operations: Vec<PagedOperation>,
    pub body_operations: Vec<BodyOperation>,
    pub query_operations: Vec<QueryOperation>,
}

fn unsupported(location: impl Into<String>, message: impl Into<String>) -> CodegenError {
    CodegenError::Unsupported {
        location: location.into(),
        message: message.into(),
    }
}

/// The first example of an operation's JSON request body: the media type's `example`, else the
/// first of its `examples`, else the schema's own `example` when written inline.
fn body_example(op: &openapiv3::Operation) -> Option<serde_json::Value> {
    let media = op
        .request_body
        .as_ref()?
        .as_item()?
        .content
        .get("application/json")?;
    media
        .example
        .clone()
        .or_else(|| {
            media
                .examples
                .values()
                .find_map(|e| e.as_item()?.value.clone())
        })
        .or_else(|| {
            media
                .schema
                .as_ref()?
                .as_item()?
                .schema_data
                .example
                .clone()
        })
}

/// A parameter's example: its own `example`, else the first of its `examples`, else its schema's.
fn parameter_example(
    parameter: &openapiv3::ParameterData,
    schema: &openapiv3::Schema,
) -> Option<serde_json::Value> {
    parameter
        .example
        .clone()
        .or_else(|| {
            parameter
                .examples
                .values()
                .find_map(|e| e.as_item()?.value.clone())
        })
        .or_else(|| schema.schema_data.example.clone())
}

/// The note of an operation's `#[deprecated]`: the first paragraph of its description (or its
/// summary), when the spec marks it `deprecated: true`.
fn deprecation_note(op: &openapiv3::Operation) -> Option<String> {
    op.deprecated.then(|| {
        op.description
            .as_deref()
            .or(op.summary.as_deref())
            .and_then(|text| text.split("\n\n").next())
            .map(|text| text.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "deprecated in the spec".to_string())
    })
}

/// A `Client` method's name: `x-gcore-method`, or the operationId without a leading `get_`.
fn method_name(
    op: &openapiv3::Operation,
    op_id: &str,
    location: &str,
) -> Result<String, CodegenError> {
    match op.extensions.get(crate::extensions::METHOD) {
        Some(name) => name
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| unsupported(location, "x-gcore-method must be a string")),
        None => Ok(op_id.strip_prefix("get_").unwrap_or(op_id).to_string()),
    }
}

/// `list_billing_reservations` → `ListBillingReservations`, `order_by` → `OrderBy`.
pub(crate) fn pascal(name: &str) -> String {
    name.split(['_', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `#/components/schemas/Foo` → `Foo`.
pub fn ref_name(reference: &str) -> Option<&str> {
    reference.strip_prefix("#/components/schemas/")
}

fn component<'a>(spec: &'a OpenAPI, name: &str) -> Option<&'a Schema> {
    spec.components.as_ref()?.schemas.get(name)?.as_item()
}

impl SpecModel {
    /// Builds the model; fails with the location of anything it cannot represent.
    pub fn from_spec(spec: &OpenAPI) -> Result<Self, CodegenError> {
        let reachable = schemas_reachable_from_responses(spec);
        let mut model = SpecModel::default();
        for name in &reachable {
            let Some(schema) = component(spec, name) else {
                continue;
            };
            if let Some(values) = string_enum_values(schema) {
                model.open_enums.push(OpenEnum {
                    name: name.clone(),
                    description: schema.schema_data.description.clone(),
                    values,
                });
            } else if schema.schema_data.discriminator.is_some() {
                model.open_unions.push(open_union(spec, name, schema)?);
            }
        }
        for (path, method, op) in operations(spec) {
            let op_id = op.operation_id.clone().unwrap_or_default();
            let location = format!("operation {op_id} ({method} {path})");
            if let Some(csv) = op.extensions.get(crate::extensions::CSV_FORM) {
                let field = ext_str(csv, "field", &location)?;
                let value = ext_str(csv, "value", &location)?;
                if method != "post" {
                    return Err(unsupported(
                        &location,
                        "x-gcore-csv is only supported on POST operations with a JSON body",
                    ));
                }
                model.csv_operations.push(CsvOperation {
                    operation_id: op_id.clone(),
                    path: path.to_string(),
                    body_type: body_ref(op, &location)?,
                    field,
                    value,
                    summary: op.summary.clone(),
                });
            }
            if let Some(page) = op.extensions.get(crate::extensions::PAGINATION) {
                let response_type = success_ref(op, &location)?;
                let items = ext_str(page, "items", &location)?;
                let item_type = array_item_ref(spec, &response_type, &items).ok_or_else(|| {
                    unsupported(
                        &location,
                        format!(
                            "x-gcore-pagination: {response_type}.{items} is not an array of $ref"
                        ),
                    )
                })?;
                if method != "post" {
                    return Err(unsupported(
                        &location,
                        "x-gcore-pagination is only supported on POST operations with a JSON body",
                    ));
                }
                model.paged_operations.push(PagedOperation {
                    operation_id: op_id.clone(),
                    method: method_name(op, &op_id, &location)?,
                    path: path.to_string(),
                    summary: op.summary.clone(),
                    body_type: body_ref(op, &location)?,
                    response_type,
                    limit: ext_str(page, "limit", &location)?,
                    offset: ext_str(page, "offset", &location)?,
                    count: ext_str(page, "count", &location)?,
                    limit_is_nonzero: integer_minimum(
                        spec,
                        &body_ref(op, &location)?,
                        &ext_str(page, "limit", &location)?,
                    ) == Some(1.0),
                    limit_default: optional_integer_default(
                        spec,
                        &body_ref(op, &location)?,
                        &ext_str(page, "limit", &location)?,
                        &location,
                    )?,
                    items,
                    item_type,
                });
                // The pager reads `offset` as an optional field as well.
                optional_integer_default(
                    spec,
                    &body_ref(op, &location)?,
                    &ext_str(page, "offset", &location)?,
                    &location,
                )?;
            }
        }
        for (path, method, op) in operations(spec) {
            let op_id = op.operation_id.clone().unwrap_or_default();
            let location = format!("operation {op_id} ({method} {path})");
            let body = body_ref(op, &location);
            let response = success_ref(op, &location);
            let (Ok(body_type), Ok(response_type)) = (body, response) else {
                continue;
            };
            if method != "post" {
                continue;
            }
            let mut path_parameters = Vec::new();
            for parameter in &op.parameters {
                let parameter = parameter.as_item().ok_or_else(|| {
                    unsupported(&location, "parameters must be written inline, not $ref'd")
                })?;
                let openapiv3::Parameter::Path { parameter_data, .. } = parameter else {
                    return Err(unsupported(
                        &location,
                        "a POST with a JSON body may have path parameters only",
                    ));
                };
                path_parameters.push(path_parameter(parameter_data, &location)?);
            }
            let method_name = method_name(op, &op_id, &location)?;
            model.body_operations.push(BodyOperation {
                operation_id: op_id.clone(),
                method: method_name,
                path: path.to_string(),
                summary: op.summary.clone(),
                body_type,
                response_type,
                item_type: model
                    .paged_operations
                    .iter()
                    .find(|p| p.operation_id == op_id)
                    .map(|p| p.item_type.clone()),
                csv: model.csv_operations.iter().any(|c| c.operation_id == op_id),
                path_parameters,
                deprecated: deprecation_note(op),
                body_example: body_example(op),
            });
        }
        for (path, method, op) in operations(spec) {
            if method != "get" || op.request_body.is_some() {
                continue;
            }
            let op_id = op.operation_id.clone().unwrap_or_default();
            let location = format!("operation {op_id} ({method} {path})");
            let response_type = success_ref(op, &location)?;
            let method_name = method_name(op, &op_id, &location)?;
            let mut parameters = Vec::new();
            let mut path_parameters = Vec::new();
            for parameter in &op.parameters {
                let parameter = parameter.as_item().ok_or_else(|| {
                    unsupported(&location, "parameters must be written inline, not $ref'd")
                })?;
                let parameter_data = match parameter {
                    openapiv3::Parameter::Query { parameter_data, .. } => parameter_data,
                    openapiv3::Parameter::Path { parameter_data, .. } => {
                        path_parameters.push(path_parameter(parameter_data, &location)?);
                        continue;
                    }
                    _ => {
                        return Err(unsupported(
                            &location,
                            "a GET may have path and query parameters only",
                        ));
                    }
                };
                let name = &parameter_data.name;
                let openapiv3::ParameterSchemaOrContent::Schema(reference_or_schema) =
                    &parameter_data.format
                else {
                    return Err(unsupported(
                        &location,
                        format!("query parameter {name} needs a schema"),
                    ));
                };
                let (schema, named) =
                    resolve_query_schema(spec, reference_or_schema, name, &location)?;
                // An array of scalars is sent as one `name=value` pair per element.
                let (kind, list) = match &schema.schema_kind {
                    SchemaKind::Type(Type::Array(array)) => {
                        let items = array.items.as_ref().ok_or_else(|| {
                            unsupported(
                                &location,
                                format!("query parameter {name}: an array needs items"),
                            )
                        })?;
                        let items = match items {
                            ReferenceOr::Item(item) => ReferenceOr::Item((**item).clone()),
                            ReferenceOr::Reference { reference } => ReferenceOr::Reference {
                                reference: reference.clone(),
                            },
                        };
                        let (item, item_named) =
                            resolve_query_schema(spec, &items, name, &location)?;
                        if item_named.is_none()
                            && matches!(&item.schema_kind, SchemaKind::Type(Type::String(t)) if !t.enumeration.is_empty())
                        {
                            return Err(unsupported(
                                &location,
                                format!(
                                    "query parameter {name}: an array of an inline enum; $ref a named enum schema for its items"
                                ),
                            ));
                        }
                        (
                            query_kind(item, item_named.as_deref(), &op_id, name, &location)?,
                            true,
                        )
                    }
                    _ => (
                        query_kind(schema, named.as_deref(), &op_id, name, &location)?,
                        false,
                    ),
                };
                parameters.push(QueryParameter {
                    list,
                    name: name.clone(),
                    description: parameter_data.description.clone(),
                    required: parameter_data.required,
                    kind,
                    example: parameter_example(parameter_data, schema),
                    schema: schema.clone(),
                });
            }
            let query_type = match op.extensions.get(crate::extensions::QUERY_TYPE) {
                Some(name) => name
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| unsupported(&location, "x-gcore-query-type must be a string"))?,
                None => format!("{}Query", pascal(&method_name)),
            };
            model.query_operations.push(QueryOperation {
                operation_id: op_id.clone(),
                method: method_name,
                path: path.to_string(),
                summary: op.summary.clone(),
                response_type,
                query_type,
                parameters,
                path_parameters,
                checks: op.extensions.get(crate::extensions::CHECKS).cloned(),
                deprecated: deprecation_note(op),
            });
        }
        Ok(model)
    }

    /// Names of the schemas that the generator writes itself instead of typify.
    pub fn open_type_names(&self) -> Vec<&str> {
        self.open_enums
            .iter()
            .map(|e| e.name.as_str())
            .chain(self.open_unions.iter().map(|u| u.name.as_str()))
            .collect()
    }

    /// Traits the hand-made open types implement, so typify derives what depends on them.
    pub fn open_type_impls(&self, name: &str) -> Vec<progenitor::TypeImpl> {
        if self.open_enums.iter().any(|e| e.name == name) {
            vec![progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr]
        } else {
            vec![]
        }
    }

    pub fn is_open_enum(&self, name: &str) -> bool {
        self.open_enums.iter().any(|e| e.name == name)
    }
}

/// Every (path, method, operation) in the spec.
pub fn operations(spec: &OpenAPI) -> Vec<(&str, &str, &openapiv3::Operation)> {
    spec.paths
        .paths
        .iter()
        .filter_map(|(path, item)| item.as_item().map(|item| (path.as_str(), item)))
        .flat_map(|(path, item)| item.iter().map(move |(method, op)| (path, method, op)))
        .collect()
}

fn ext_str(ext: &serde_json::Value, key: &str, location: &str) -> Result<String, CodegenError> {
    ext.get(key)
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .ok_or_else(|| unsupported(location, format!("extension is missing the string `{key}`")))
}

pub(crate) fn body_ref(op: &openapiv3::Operation, location: &str) -> Result<String, CodegenError> {
    let body = op.request_body.as_ref().and_then(|b| b.as_item());
    let schema = body
        .and_then(|b| b.content.get("application/json"))
        .and_then(|m| m.schema.as_ref());
    match schema {
        Some(ReferenceOr::Reference { reference }) => ref_name(reference)
            .map(str::to_string)
            .ok_or_else(|| unsupported(location, "request body must $ref a component schema")),
        _ => Err(unsupported(
            location,
            "request body must be application/json with a $ref schema",
        )),
    }
}

fn success_ref(op: &openapiv3::Operation, location: &str) -> Result<String, CodegenError> {
    let ok = op
        .responses
        .responses
        .get(&openapiv3::StatusCode::Code(200))
        .and_then(|r| r.as_item());
    let schema = ok
        .and_then(|r| r.content.get("application/json"))
        .and_then(|m| m.schema.as_ref());
    match schema {
        Some(ReferenceOr::Reference { reference }) => ref_name(reference)
            .map(str::to_string)
            .ok_or_else(|| unsupported(location, "200 response must $ref a component schema")),
        _ => Err(unsupported(
            location,
            "200 response must be application/json with a $ref schema",
        )),
    }
}

fn array_item_ref(spec: &OpenAPI, schema: &str, property: &str) -> Option<String> {
    let SchemaKind::Type(Type::Object(obj)) = &component(spec, schema)?.schema_kind else {
        return None;
    };
    let prop = obj.properties.get(property)?.as_item()?;
    let SchemaKind::Type(Type::Array(array)) = &prop.schema_kind else {
        return None;
    };
    match array.items.as_ref()? {
        ReferenceOr::Reference { reference } => ref_name(reference).map(str::to_string),
        ReferenceOr::Item(_) => None,
    }
}

/// The `minimum` of an integer property of a component schema.
/// The `default` of an optional integer property of a component schema (0 when it has none). The
/// pager's `limit` and `offset` must be optional: defaults are not sent, so the generated fields are
/// `Option`s.
fn optional_integer_default(
    spec: &OpenAPI,
    schema: &str,
    property: &str,
    location: &str,
) -> Result<u64, CodegenError> {
    let not_found = || {
        unsupported(
            location,
            format!("x-gcore-pagination: {schema}.{property} is not an integer property"),
        )
    };
    let SchemaKind::Type(Type::Object(obj)) =
        &component(spec, schema).ok_or_else(not_found)?.schema_kind
    else {
        return Err(not_found());
    };
    if obj.required.iter().any(|r| r == property) {
        return Err(unsupported(
            location,
            format!("x-gcore-pagination: {schema}.{property} must be optional (with a default)"),
        ));
    }
    let item = obj
        .properties
        .get(property)
        .and_then(|p| p.as_item())
        .ok_or_else(not_found)?;
    if !matches!(item.schema_kind, SchemaKind::Type(Type::Integer(_))) {
        return Err(not_found());
    }
    Ok(item
        .schema_data
        .default
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0))
}

fn integer_minimum(spec: &OpenAPI, schema: &str, property: &str) -> Option<f64> {
    let SchemaKind::Type(Type::Object(obj)) = &component(spec, schema)?.schema_kind else {
        return None;
    };
    match &obj.properties.get(property)?.as_item()?.schema_kind {
        // A spec's bound, compared with 0 and 1 only: exact for any |m| below 2^53.
        SchemaKind::Type(Type::Integer(i)) => i.minimum.map(|m| m as f64),
        _ => None,
    }
}

/// The values of a string enum schema, or None when it is not one.
pub fn string_enum_values(schema: &Schema) -> Option<Vec<String>> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(s)) if !s.enumeration.is_empty() => {
            Some(s.enumeration.iter().flatten().cloned().collect())
        }
        _ => None,
    }
}

/// Whether the generated type `name` is made from a schema in `request_types` (typify names a
/// schema's inline parts after it, so a prefix match).
pub fn is_request_type(request_types: &BTreeSet<String>, name: &str) -> bool {
    request_types.iter().any(|t| name.starts_with(t.as_str()))
}

/// Names of component schemas that some request uses (a body or a parameter), directly or through
/// other schemas.
pub fn schemas_reachable_from_requests(spec: &OpenAPI) -> BTreeSet<String> {
    let mut stack: Vec<String> = Vec::new();
    for (_, _, op) in operations(spec) {
        if let Some(body) = op.request_body.as_ref().and_then(|b| b.as_item()) {
            for media in body.content.values() {
                if let Some(schema) = &media.schema {
                    collect_refs(schema_ref_or_item(schema), &mut stack);
                }
            }
        }
        for parameter in op.parameters.iter().filter_map(|p| p.as_item()) {
            if let openapiv3::ParameterSchemaOrContent::Schema(schema) =
                &parameter.parameter_data_ref().format
            {
                collect_refs(schema_ref_or_item(schema), &mut stack);
            }
        }
    }
    reachable(spec, stack)
}

/// Every schema named in `stack`, and every schema those refer to.
fn reachable(spec: &OpenAPI, mut stack: Vec<String>) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone())
            && let Some(schema) = component(spec, &name)
        {
            collect_refs(RefOrSchema::Item(schema), &mut stack);
        }
    }
    seen
}

pub fn schemas_reachable_from_responses(spec: &OpenAPI) -> BTreeSet<String> {
    let mut stack: Vec<String> = Vec::new();
    let responses = operations(spec)
        .into_iter()
        .flat_map(|(_, _, op)| {
            op.responses
                .responses
                .values()
                .chain(op.responses.default.iter())
        })
        .filter_map(|r| match r {
            ReferenceOr::Item(r) => Some(r),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/responses/")
                .and_then(|n| spec.components.as_ref()?.responses.get(n)?.as_item()),
        });
    for response in responses {
        for media in response.content.values() {
            if let Some(schema) = &media.schema {
                collect_refs(schema_ref_or_item(schema), &mut stack);
            }
        }
    }
    reachable(spec, stack)
}

enum RefOrSchema<'a> {
    Ref(&'a str),
    Item(&'a Schema),
}

fn schema_ref_or_item(r: &ReferenceOr<Schema>) -> RefOrSchema<'_> {
    match r {
        ReferenceOr::Reference { reference } => RefOrSchema::Ref(reference),
        ReferenceOr::Item(s) => RefOrSchema::Item(s),
    }
}

fn boxed_ref_or_item(r: &ReferenceOr<Box<Schema>>) -> RefOrSchema<'_> {
    match r {
        ReferenceOr::Reference { reference } => RefOrSchema::Ref(reference),
        ReferenceOr::Item(s) => RefOrSchema::Item(s),
    }
}

fn collect_refs(schema: RefOrSchema<'_>, out: &mut Vec<String>) {
    let schema = match schema {
        RefOrSchema::Ref(reference) => {
            if let Some(name) = ref_name(reference) {
                out.push(name.to_string());
            }
            return;
        }
        RefOrSchema::Item(s) => s,
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(obj)) => {
            for prop in obj.properties.values() {
                collect_refs(boxed_ref_or_item(prop), out);
            }
            if let Some(openapiv3::AdditionalProperties::Schema(s)) = &obj.additional_properties {
                collect_refs(schema_ref_or_item(s), out);
            }
        }
        SchemaKind::Type(Type::Array(array)) => {
            if let Some(items) = &array.items {
                collect_refs(boxed_ref_or_item(items), out);
            }
        }
        SchemaKind::OneOf { one_of: list }
        | SchemaKind::AllOf { all_of: list }
        | SchemaKind::AnyOf { any_of: list } => {
            for s in list {
                collect_refs(schema_ref_or_item(s), out);
            }
        }
        _ => {}
    }
}

fn open_union(spec: &OpenAPI, name: &str, schema: &Schema) -> Result<OpenUnion, CodegenError> {
    let location = format!("schema {name}");
    let Some(discriminator) = schema.schema_data.discriminator.as_ref() else {
        return Err(unsupported(location, "an open union needs a discriminator"));
    };
    let SchemaKind::OneOf { one_of } = &schema.schema_kind else {
        return Err(unsupported(
            location,
            "a discriminator is only supported on a oneOf",
        ));
    };
    let by_schema: BTreeMap<&str, &str> = discriminator
        .mapping
        .iter()
        .filter_map(|(tag, target)| Some((ref_name(target)?, tag.as_str())))
        .collect();
    let mut variants = Vec::new();
    for member in one_of {
        let ReferenceOr::Reference { reference } = member else {
            return Err(unsupported(&location, "every oneOf member must be a $ref"));
        };
        let variant = ref_name(reference).ok_or_else(|| {
            unsupported(&location, format!("{reference} is not a component schema"))
        })?;
        let tag = by_schema.get(variant).ok_or_else(|| {
            unsupported(
                &location,
                format!("{variant} has no entry in discriminator.mapping"),
            )
        })?;
        variants.push((tag.to_string(), variant.to_string()));
    }
    let common_fields = common_fields(spec, &variants, &discriminator.property_name);
    let mut columns = columns(spec, &variants, &discriminator.property_name);
    mark_default_columns(
        &location,
        schema,
        &discriminator.property_name,
        &mut columns,
    )?;
    Ok(OpenUnion {
        name: name.to_string(),
        description: schema.schema_data.description.clone(),
        property: discriminator.property_name.clone(),
        variants,
        common_fields,
        columns,
    })
}

/// The object schemas of a union's variants (those that are objects), in `oneOf` order.
fn variant_objects<'a>(
    spec: &'a OpenAPI,
    variants: &[(String, String)],
) -> Vec<&'a openapiv3::ObjectType> {
    variants
        .iter()
        .filter_map(|(_, v)| match &component(spec, v)?.schema_kind {
            SchemaKind::Type(Type::Object(o)) => Some(o),
            _ => None,
        })
        .collect()
}

/// The export columns of a union's variants (see [`OpenUnion::columns`]).
fn columns(spec: &OpenAPI, variants: &[(String, String)], discriminator: &str) -> Vec<Column> {
    let objects = variant_objects(spec, variants);
    let mut order: Vec<(String, ColumnKind)> = vec![(discriminator.to_string(), ColumnKind::Text)];
    for object in &objects {
        for (name, prop) in &object.properties {
            let kind = column_kind(spec, prop);
            match order.iter_mut().find(|(n, _)| n == name) {
                // A field typed differently in two variants is exported as JSON text.
                Some((_, seen)) if *seen != kind && name != discriminator => {
                    *seen = ColumnKind::Json
                }
                Some(_) => {}
                None => order.push((name.clone(), kind)),
            }
        }
    }
    let in_every = |name: &str| {
        !objects.is_empty()
            && objects.len() == variants.len()
            && objects.iter().all(|o| o.properties.contains_key(name))
    };
    let (common, rest): (Vec<_>, Vec<_>) = order
        .into_iter()
        .map(|(name, kind)| Column {
            in_every_variant: in_every(&name),
            in_default: false,
            name,
            kind,
        })
        .partition(|c| c.in_every_variant);
    common.into_iter().chain(rest).collect()
}

/// Marks the default export columns: every variant's fields, plus the union's
/// `x-gcore-default-columns: {add: [..], omit: [..]}` (fields some variants lack, such as a
/// resource's ID; fields that only repeat another). A name that is not a field of any variant, or an
/// omitted discriminator, is an error: the extension must never silently do nothing.
fn mark_default_columns(
    location: &str,
    schema: &Schema,
    discriminator: &str,
    columns: &mut [Column],
) -> Result<(), CodegenError> {
    for column in columns.iter_mut() {
        column.in_default = column.in_every_variant;
    }
    let Some(rule) = schema
        .schema_data
        .extensions
        .get(crate::extensions::DEFAULT_COLUMNS)
    else {
        return Ok(());
    };
    let names = |key: &str| -> Result<Vec<String>, CodegenError> {
        match rule.get(key) {
            None => Ok(Vec::new()),
            Some(list) => serde_json::from_value(list.clone()).map_err(|_| {
                unsupported(
                    location,
                    format!("x-gcore-default-columns.{key} must be a list of field names"),
                )
            }),
        }
    };
    if let Some(key) = rule
        .as_object()
        .and_then(|o| o.keys().find(|k| !matches!(k.as_str(), "add" | "omit")))
    {
        return Err(unsupported(
            location,
            format!("x-gcore-default-columns has {key:?}; only `add` and `omit` are read"),
        ));
    }
    for (key, value) in [("add", true), ("omit", false)] {
        for name in names(key)? {
            if !value && name == discriminator {
                return Err(unsupported(
                    location,
                    format!("x-gcore-default-columns.omit cannot drop the discriminator {name:?}"),
                ));
            }
            let column = columns.iter_mut().find(|c| c.name == name).ok_or_else(|| {
                unsupported(
                    location,
                    format!("x-gcore-default-columns.{key}: no variant has a field {name:?}"),
                )
            })?;
            column.in_default = value;
        }
    }
    Ok(())
}

/// How a property is exported: by its type, following a `$ref` to a component.
fn column_kind(spec: &OpenAPI, prop: &ReferenceOr<Box<Schema>>) -> ColumnKind {
    let schema = match prop {
        ReferenceOr::Reference { reference } => {
            match ref_name(reference).and_then(|n| component(spec, n)) {
                Some(schema) => schema,
                None => return ColumnKind::Json,
            }
        }
        ReferenceOr::Item(schema) => schema,
    };
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(st)) => match &st.format {
            openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::DateTime) => {
                ColumnKind::Timestamp
            }
            _ => ColumnKind::Text,
        },
        SchemaKind::Type(Type::Integer(_)) => ColumnKind::Integer,
        SchemaKind::Type(Type::Number(n)) if is_decimal(&n.format) => ColumnKind::Decimal,
        SchemaKind::Type(Type::Number(_)) => ColumnKind::Number,
        SchemaKind::Type(Type::Boolean(_)) => ColumnKind::Boolean,
        _ => ColumnKind::Json,
    }
}

/// `format: decimal`: a number held exactly (lower.rs makes it `rust_decimal::Decimal`).
pub fn is_decimal(format: &openapiv3::VariantOrUnknownOrEmpty<openapiv3::NumberFormat>) -> bool {
    matches!(format, openapiv3::VariantOrUnknownOrEmpty::Unknown(name) if name == "decimal")
}

fn field_kind(
    spec: &OpenAPI,
    prop: &ReferenceOr<Box<Schema>>,
) -> Option<(FieldKind, bool, Option<String>)> {
    match prop {
        ReferenceOr::Reference { reference } => {
            let name = ref_name(reference)?;
            let target = component(spec, name)?;
            string_enum_values(target)?;
            Some((FieldKind::OpenEnum(name.to_string()), false, None))
        }
        ReferenceOr::Item(s) => {
            let nullable = s.schema_data.nullable;
            let description = s.schema_data.description.clone();
            let kind = match &s.schema_kind {
                SchemaKind::Type(Type::String(st)) if st.enumeration.is_empty() => match &st.format
                {
                    openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::DateTime) => {
                        FieldKind::DateTime
                    }
                    openapiv3::VariantOrUnknownOrEmpty::Empty => FieldKind::Str,
                    _ => return None,
                },
                SchemaKind::Type(Type::Integer(_)) => FieldKind::I64,
                SchemaKind::Type(Type::Number(n)) if is_decimal(&n.format) => FieldKind::Decimal,
                SchemaKind::Type(Type::Number(_)) => FieldKind::F64,
                _ => return None,
            };
            Some((kind, nullable, description))
        }
    }
}

fn common_fields(
    spec: &OpenAPI,
    variants: &[(String, String)],
    discriminator: &str,
) -> Vec<CommonField> {
    let objects = variant_objects(spec, variants);
    let Some(first) = objects.first() else {
        return vec![];
    };
    if objects.len() != variants.len() {
        return vec![];
    }
    let mut fields = Vec::new();
    'props: for (prop_name, prop) in &first.properties {
        if prop_name == discriminator {
            continue;
        }
        let Some((kind, _, description)) = field_kind(spec, prop) else {
            continue;
        };
        let mut optional_in = Vec::new();
        for obj in &objects {
            let Some(other) = obj.properties.get(prop_name) else {
                continue 'props;
            };
            let Some((other_kind, nullable, _)) = field_kind(spec, other) else {
                continue 'props;
            };
            if other_kind != kind {
                continue 'props;
            }
            optional_in.push(nullable || !obj.required.contains(prop_name));
        }
        fields.push(CommonField {
            name: prop_name.clone(),
            kind,
            description,
            optional_in,
        });
    }
    fields
}
