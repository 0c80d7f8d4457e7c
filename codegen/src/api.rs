//! The operation table and `Client::call_operation`: every operation of the spec, callable by its
//! `operationId` with JSON in and out. The CLI's `api` command is built from this table, so an
//! operation added to the spec becomes a subcommand with no hand edit.
//!
//! The body is checked by parsing it into the operation's generated request type, parameters by
//! their schema (integer and its minimum, date-time, boolean, enum), and the answer by parsing it
//! into the generated response type before it is handed back as JSON.

use openapiv3::{OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::quote;

use crate::CodegenError;
use crate::model::{operations, ref_name};

/// One parameter, as the table describes it.
struct Param {
    name: String,
    location: &'static str,
    required: bool,
    kind: &'static str,
    values: Vec<String>,
    minimum: Option<i64>,
    description: String,
    repeated: bool,
}

/// The table, the check of parameter values, and `call_operation`, as tokens.
pub fn generate_api(
    spec: &OpenAPI,
    model: &crate::SpecModel,
    error_type: &proc_macro2::Ident,
) -> Result<TokenStream, CodegenError> {
    let mut entries = Vec::new();
    let mut arms = Vec::new();
    for (path, method, op) in operations(spec) {
        let location = format!("{} {path}", method.to_uppercase());
        let id = op
            .operation_id
            .clone()
            .ok_or_else(|| CodegenError::Unsupported {
                location: location.clone(),
                message: "every operation needs an operationId".into(),
            })?;
        let params = parameters(spec, op, &location)?;
        let body = body_type(op, &location)?;
        let answer = answer_type(op, &location)?;
        let fields = body
            .as_deref()
            .map(|name| body_fields(spec, name))
            .unwrap_or_default();
        let paging = model.paged_operations.iter().find(|p| p.operation_id == id);
        let items = match paging {
            Some(paged) => Some(paged.items.clone()),
            None => answer_list_field(spec, &answer),
        };
        entries.push(table_entry(
            &TableEntry {
                id: &id,
                method,
                path,
                summary: op.summary.as_deref().unwrap_or(""),
                body: body.as_deref(),
                body_fields: &fields,
                items: items.as_deref(),
                paging,
            },
            &params,
        ));
        let query_type = model
            .query_operations
            .iter()
            .find(|q| q.operation_id == id)
            .map(|q| q.query_type.clone());
        arms.push(call_arm(
            &id,
            method,
            body.as_deref(),
            query_type.as_deref(),
            &answer,
        ));
    }
    Ok(quote! {
        /// A parameter of an operation in [`OPERATIONS`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct ApiParameter {
            /// The name, as on the wire.
            pub name: &'static str,
            /// `path` or `query`.
            pub location: &'static str,
            /// Whether the operation needs it.
            pub required: bool,
            /// `integer`, `date-time`, `boolean` or `string`.
            pub kind: &'static str,
            /// The allowed values, when the spec lists them.
            pub values: &'static [&'static str],
            /// The smallest allowed value of an integer.
            pub minimum: Option<i64>,
            /// What it means.
            pub description: &'static str,
            /// An array: given once per element (`name=a&name=b`); the kind, values and minimum
            /// are each element's.
            pub repeated: bool,
        }

        impl ApiParameter {
            /// `Err` with a sentence when `value` does not fit the parameter's schema.
            pub fn check(&self, value: &str) -> Result<(), String> {
                let name = self.name;
                match self.kind {
                    "integer" => {
                        let number: i64 = value
                            .parse()
                            .map_err(|_| format!("{name} must be an integer, got {value:?}"))?;
                        if let Some(minimum) = self.minimum
                            && number < minimum
                        {
                            return Err(format!("{name} must be at least {minimum}, got {number}"));
                        }
                    }
                    "date-time" => {
                        ::chrono::DateTime::parse_from_rfc3339(value)
                            .map_err(|e| format!("{name} must be an RFC 3339 date-time: {e}"))?;
                    }
                    "boolean" if value != "true" && value != "false" => {
                        return Err(format!("{name} must be true or false, got {value:?}"));
                    }
                    _ => {}
                }
                if !self.values.is_empty() && !self.values.contains(&value) {
                    return Err(format!("{name} must be one of {}, got {value:?}", self.values.join(", ")));
                }
                Ok(())
            }
        }

        /// An operation of the spec, as [`Client::call_operation`] and the CLI's `api` command see it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct ApiOperation {
            /// The spec's `operationId`.
            pub id: &'static str,
            /// The HTTP method.
            pub method: &'static str,
            /// The path template.
            pub path: &'static str,
            /// The spec's summary.
            pub summary: &'static str,
            /// Path and query parameters.
            pub parameters: &'static [ApiParameter],
            /// The request body's schema, when the operation takes a body.
            pub body: Option<&'static str>,
            /// The top-level fields of that schema, as the spec names them (a body field not
            /// among them is one this version of the spec does not know).
            pub body_fields: &'static [&'static str],
            /// The answer's list of items, when it has one: the paged items, or else the one
            /// array property of the answer's schema (`None` also when the answer is itself an
            /// array).
            pub items: Option<&'static str>,
            /// How the operation pages, when the spec gives it `x-gcore-pagination`.
            pub paging: Option<ApiPaging>,
        }

        /// The body and answer fields through which an operation pages.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub struct ApiPaging {
            /// The body field with the page size.
            pub limit: &'static str,
            /// The body field with the index of the page's first item.
            pub offset: &'static str,
            /// The answer field with the number of items in all pages.
            pub count: &'static str,
            /// The answer field with the page's items.
            pub items: &'static str,
            /// The page size when the body gives none (the spec's default `limit`).
            pub default_limit: u64,
        }

        /// Every operation of the spec, in path order.
        pub const OPERATIONS: &[ApiOperation] = &[#(#entries),*];

        impl Client {
            /// Calls the operation `id` with parameters given as text and a JSON body, and returns
            /// the answer's JSON as the server sent it, once it has parsed as the operation's
            /// response type. Parameters are checked against their schema and the body against the
            /// request type before anything is sent; unknown or missing required parameters are
            /// refused.
            pub async fn call_operation(
                &self,
                id: &str,
                parameters: &[(String, String)],
                body: Option<::serde_json::Value>,
            ) -> Result<ResponseValue<::serde_json::Value>, Error<types::#error_type>> {
                let Some(operation) = OPERATIONS.iter().find(|o| o.id == id) else {
                    return Err(Error::InvalidRequest(format!("no operation {id} in the spec")));
                };
                for (name, value) in parameters {
                    let Some(parameter) = operation.parameters.iter().find(|p| p.name == name) else {
                        return Err(Error::InvalidRequest(format!("{id} has no parameter {name}")));
                    };
                    parameter.check(value).map_err(Error::InvalidRequest)?;
                }
                for parameter in operation.parameters.iter().filter(|p| p.required) {
                    if !parameters.iter().any(|(name, _)| name == parameter.name) {
                        return Err(Error::InvalidRequest(format!("{id} needs the parameter {}", parameter.name)));
                    }
                }
                if body.is_some() && operation.body.is_none() {
                    return Err(Error::InvalidRequest(format!("{id} takes no body")));
                }
                let mut path = operation.path.to_string();
                for parameter in operation.parameters.iter().filter(|p| p.location == "path") {
                    if let Some((_, value)) = parameters.iter().find(|(name, _)| name == parameter.name) {
                        path = path.replace(&format!("{{{}}}", parameter.name), &encode_path(value));
                    }
                }
                let query: Vec<(&str, &str)> = parameters
                    .iter()
                    .filter(|(name, _)| operation.parameters.iter().any(|p| p.name == name && p.location == "query"))
                    .map(|(name, value)| (name.as_str(), value.as_str()))
                    .collect();
                let url = format!("{}{}", self.baseurl, path);
                // What is the operation's own: its method, and the checks of its body (when it
                // takes one: its parse into the generated type, then that type's checks, the same
                // as the typed method's) and of its answer (its parse).
                let (method, check_body, check_query, check_answer): (
                    ::reqwest::Method,
                    Option<crate::rt::BodyCheck>,
                    Option<crate::rt::QueryCheck>,
                    crate::rt::AnswerCheck,
                ) = match operation.id {
                    #(#arms)*
                    _ => return Err(Error::InvalidRequest(format!("no operation {id} in the spec"))),
                };
                // A GET's parameters, read into its query struct and checked as the typed method
                // checks them (the rules between parameters too, such as a longest period).
                if let Some(check) = check_query {
                    check(parameters).map_err(Error::InvalidRequest)?;
                }
                // Checked as the typed request, sent as given: only what the caller set goes on
                // the wire.
                let body = match check_body {
                    Some(check) => {
                        let body = body.unwrap_or_else(|| ::serde_json::json!({}));
                        check(&body).map_err(|e| {
                            Error::InvalidRequest(format!("body is not a valid {}: {e}", operation.body.unwrap_or_default()))
                        })?;
                        Some(body)
                    }
                    None => None,
                };
                let mut request = self
                    .client
                    .request(method, url)
                    .header(::reqwest::header::ACCEPT, ::reqwest::header::HeaderValue::from_static("application/json"))
                    .query(&query);
                if let Some(body) = &body {
                    request = request.json(body);
                }
                let mut request = request.build()?;
                let info = OperationInfo { operation_id: operation.id };
                self.pre(&mut request, &info).await?;
                let result = self.exec(request, &info).await;
                self.post(&result, &info).await?;
                let response = result?;
                match response.status().as_u16() {
                    // Checked as the typed answer, returned as sent: a field the spec does not
                    // list yet reaches the caller, and no answer type is serialized again.
                    200..=299 => ResponseValue::checked_json::<types::#error_type>(response, check_answer).await,
                    400..=599 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                    _ => Err(Error::UnexpectedResponse(response)),
                }
            }
        }
    })
}

/// What an operation's entry in the table says besides its parameters.
struct TableEntry<'a> {
    id: &'a str,
    method: &'a str,
    path: &'a str,
    summary: &'a str,
    body: Option<&'a str>,
    body_fields: &'a [String],
    items: Option<&'a str>,
    paging: Option<&'a crate::model::PagedOperation>,
}

fn table_entry(entry: &TableEntry<'_>, params: &[Param]) -> TokenStream {
    let TableEntry {
        id,
        method,
        path,
        summary,
        body,
        body_fields,
        items,
        paging,
    } = entry;
    let method = method.to_uppercase();
    let params = params.iter().map(|p| {
        let Param {
            name,
            location,
            required,
            kind,
            values,
            minimum,
            description,
            repeated,
        } = p;
        let minimum = optional(minimum.as_ref());
        quote! {
            ApiParameter {
                name: #name,
                location: #location,
                required: #required,
                kind: #kind,
                values: &[#(#values),*],
                minimum: #minimum,
                description: #description,
                repeated: #repeated,
            }
        }
    });
    let body = optional(*body);
    let items = optional(*items);
    let paging = optional(paging.map(|p| {
        let (limit, offset, count, items, default_limit) =
            (&p.limit, &p.offset, &p.count, &p.items, p.limit_default);
        quote! {
            ApiPaging {
                limit: #limit,
                offset: #offset,
                count: #count,
                items: #items,
                default_limit: #default_limit,
            }
        }
    }));
    quote! {
        ApiOperation {
            id: #id,
            method: #method,
            path: #path,
            summary: #summary,
            parameters: &[#(#params),*],
            body: #body,
            body_fields: &[#(#body_fields),*],
            items: #items,
            paging: #paging,
        }
    }
}

/// The one array property of an answer's object schema, when it has exactly one: the list a table
/// of the answer shows a row per item of.
fn answer_list_field(spec: &OpenAPI, schema: &str) -> Option<String> {
    let object = match &spec
        .components
        .as_ref()?
        .schemas
        .get(schema)?
        .as_item()?
        .schema_kind
    {
        SchemaKind::Type(Type::Object(object)) => object,
        _ => return None,
    };
    let arrays: Vec<&String> = object
        .properties
        .iter()
        .filter(|(_, property)| {
            matches!(
                property.as_item().map(|s| &s.schema_kind),
                Some(SchemaKind::Type(Type::Array(_)))
            )
        })
        .map(|(name, _)| name)
        .collect();
    match arrays.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// The top-level properties of a request body's schema, as the spec names them.
fn body_fields(spec: &OpenAPI, schema: &str) -> Vec<String> {
    spec.components
        .as_ref()
        .and_then(|c| c.schemas.get(schema)?.as_item())
        .and_then(|s| match &s.schema_kind {
            openapiv3::SchemaKind::Type(openapiv3::Type::Object(object)) => {
                Some(object.properties.keys().cloned().collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// `Some(value)` or `None`, as tokens.
fn optional<T: quote::ToTokens>(value: Option<T>) -> TokenStream {
    match value {
        Some(value) => quote! { Some(#value) },
        None => quote! { None },
    }
}

/// The operation's arm of `call_operation`'s match: its method, the parse of its body into the
/// request type (when it takes one), and the parse of its answer into the response type.
fn call_arm(
    id: &str,
    method: &str,
    body: Option<&str>,
    query_type: Option<&str>,
    answer: &str,
) -> TokenStream {
    let method = proc_macro2::Ident::new(&method.to_uppercase(), proc_macro2::Span::call_site());
    let answer = proc_macro2::Ident::new(answer, proc_macro2::Span::call_site());
    let check_body = match body {
        Some(name) => {
            let ty = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            quote! {
                Some(|body| {
                    let typed = <types::#ty as ::serde::Deserialize>::deserialize(body)
                        .map_err(|e| e.to_string())?;
                    crate::rt::Validate::validate(&typed)
                })
            }
        }
        None => quote! { None },
    };
    let check_query = match query_type {
        Some(name) => {
            let ty = proc_macro2::Ident::new(name, proc_macro2::Span::call_site());
            quote! {
                Some(|params| crate::rt::Validate::validate(&queries::#ty::from_params(params)?))
            }
        }
        None => quote! { None },
    };
    quote! {
        #id => (
            ::reqwest::Method::#method,
            #check_body,
            #check_query,
            |body| ::serde_json::from_slice::<types::#answer>(body).map(drop),
        ),
    }
}

fn parameters(
    spec: &OpenAPI,
    op: &openapiv3::Operation,
    location: &str,
) -> Result<Vec<Param>, CodegenError> {
    let mut out = Vec::new();
    for param in &op.parameters {
        let param = match param {
            ReferenceOr::Item(p) => p,
            ReferenceOr::Reference { reference } => {
                return Err(CodegenError::Unsupported {
                    location: location.into(),
                    message: format!("parameter {reference} must be written inline"),
                });
            }
        };
        let where_ = match param {
            Parameter::Path { .. } => "path",
            Parameter::Query { .. } => "query",
            _ => continue,
        };
        let data = param.parameter_data_ref();
        let schema = match &data.format {
            ParameterSchemaOrContent::Schema(s) => match s {
                ReferenceOr::Item(s) => Some(s.clone()),
                ReferenceOr::Reference { reference } => ref_name(reference)
                    .and_then(|n| spec.components.as_ref()?.schemas.get(n)?.as_item().cloned()),
            },
            ParameterSchemaOrContent::Content(_) => None,
        };
        // An array's elements are checked each as its items' schema.
        let (schema, repeated) = match schema.as_ref().map(|s| &s.schema_kind) {
            Some(SchemaKind::Type(Type::Array(array))) => {
                let items = match array.items.as_ref() {
                    Some(ReferenceOr::Item(item)) => Some((**item).clone()),
                    Some(ReferenceOr::Reference { reference }) => ref_name(reference)
                        .and_then(|n| spec.components.as_ref()?.schemas.get(n)?.as_item().cloned()),
                    None => None,
                };
                (items, true)
            }
            _ => (schema, false),
        };
        let (kind, values, minimum) = match schema.as_ref().map(|s| &s.schema_kind) {
            Some(SchemaKind::Type(Type::Integer(i))) => ("integer", vec![], i.minimum),
            Some(SchemaKind::Type(Type::Boolean(_))) => ("boolean", vec![], None),
            Some(SchemaKind::Type(Type::String(s))) => {
                let values = s.enumeration.iter().flatten().cloned().collect();
                let is_date_time = matches!(
                    s.format,
                    openapiv3::VariantOrUnknownOrEmpty::Item(openapiv3::StringFormat::DateTime)
                );
                (
                    if is_date_time { "date-time" } else { "string" },
                    values,
                    None,
                )
            }
            _ => ("string", vec![], None),
        };
        out.push(Param {
            name: data.name.clone(),
            location: where_,
            required: data.required,
            kind,
            values,
            minimum,
            description: data.description.clone().unwrap_or_default(),
            repeated,
        });
    }
    Ok(out)
}

fn body_type(op: &openapiv3::Operation, location: &str) -> Result<Option<String>, CodegenError> {
    let Some(body) = op.request_body.as_ref().and_then(|b| b.as_item()) else {
        return Ok(None);
    };
    match body
        .content
        .get("application/json")
        .and_then(|m| m.schema.as_ref())
    {
        Some(ReferenceOr::Reference { reference }) => Ok(ref_name(reference).map(str::to_string)),
        _ => Err(CodegenError::Unsupported {
            location: location.into(),
            message: "the request body must be application/json with a $ref schema".into(),
        }),
    }
}

fn answer_type(op: &openapiv3::Operation, location: &str) -> Result<String, CodegenError> {
    let ok = op
        .responses
        .responses
        .iter()
        .find(|(status, _)| matches!(status, openapiv3::StatusCode::Code(200..=299)))
        .and_then(|(_, r)| r.as_item());
    match ok
        .and_then(|r| r.content.get("application/json"))
        .and_then(|m| m.schema.as_ref())
    {
        Some(ReferenceOr::Reference { reference }) => ref_name(reference)
            .map(str::to_string)
            .ok_or_else(|| CodegenError::Unsupported {
                location: location.into(),
                message: format!("{reference} is not a component schema"),
            }),
        _ => Err(CodegenError::Unsupported {
            location: location.into(),
            message: "the success answer must be application/json with a $ref schema".into(),
        }),
    }
}
