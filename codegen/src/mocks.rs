//! The typed httpmock helpers (`generated/mocks.rs`), written from the spec's operations: for each
//! operation a `When` wrapper (its method and path; a method per path and query parameter; the
//! JSON body) and a `Then` wrapper (a method per declared answer), and `MockServerExt`, which adds
//! a method per operation to httpmock's `MockServer`.
//!
//! [`read_mock_operations`] reads the operations into [`MockOperation`]s, with parameter types
//! taken from the [`SpecModel`] so that a mock takes the values the client's methods take;
//! [`emit_mocks`] writes the module from them. Anything it cannot represent is an error naming the
//! operation.

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{format_ident, quote};

use crate::CodegenError;
use crate::model::{QueryKind, SpecModel, operations, pascal, ref_name};

/// One operation, as its mock helpers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct MockOperation {
    pub operation_id: String,
    /// The HTTP method, upper case (`GET`).
    pub method: String,
    pub path: String,
    pub path_parameters: Vec<MockPathParameter>,
    pub query_parameters: Vec<MockQueryParameter>,
    /// The request body's type in `types`.
    pub body: Option<String>,
    pub answers: Vec<MockAnswer>,
}

/// A path parameter: an integer, signed or not as the client's method takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct MockPathParameter {
    pub name: String,
    pub signed: bool,
}

/// A query parameter of a GET, typed as in the operation's query struct.
#[derive(Debug, Clone, PartialEq)]
pub struct MockQueryParameter {
    pub name: String,
    pub kind: QueryKind,
    pub required: bool,
    /// An array, sent as one `name=value` pair per element.
    pub list: bool,
}

/// An answer the spec declares for an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct MockAnswer {
    pub status: AnswerStatus,
    /// The JSON body's type in `types`; `None` for an answer without a JSON body.
    pub body: Option<String>,
}

/// Which statuses an answer covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerStatus {
    /// One status code (`200`).
    Code(u16),
    /// A class of codes (`4XX` is `Range(4)`).
    Range(u16),
    /// `default`: any status not declared otherwise.
    Default,
}

fn unsupported(location: &str, message: impl Into<String>) -> CodegenError {
    CodegenError::Unsupported {
        location: location.to_string(),
        message: format!("mocks: {}", message.into()),
    }
}

/// Every operation of `spec` (after lowering: bodies and success answers are `$ref`s), in spec
/// order.
pub fn read_mock_operations(
    spec: &OpenAPI,
    model: &SpecModel,
) -> Result<Vec<MockOperation>, CodegenError> {
    let mut out = Vec::new();
    for (path, method, op) in operations(spec) {
        let operation_id = op.operation_id.clone().unwrap_or_default();
        let location = format!("operation {operation_id} ({method} {path})");
        let query = model
            .query_operations
            .iter()
            .find(|q| q.operation_id == operation_id);
        let mut path_parameters = Vec::new();
        let mut query_parameters = Vec::new();
        for parameter in &op.parameters {
            let parameter = parameter
                .as_item()
                .ok_or_else(|| unsupported(&location, "parameters must be written inline"))?;
            match parameter {
                openapiv3::Parameter::Path { parameter_data, .. } => {
                    let read = crate::model::path_parameter(parameter_data, &location)?;
                    path_parameters.push(MockPathParameter {
                        name: read.name,
                        signed: read.signed,
                    });
                }
                openapiv3::Parameter::Query { parameter_data, .. } => {
                    let name = &parameter_data.name;
                    let read = query
                        .and_then(|q| q.parameters.iter().find(|p| &p.name == name))
                        .ok_or_else(|| {
                            unsupported(
                                &location,
                                format!(
                                    "query parameter {name}: query parameters are supported on \
                                     GET operations without a body only"
                                ),
                            )
                        })?;
                    query_parameters.push(MockQueryParameter {
                        name: name.clone(),
                        kind: read.kind.clone(),
                        required: read.required,
                        list: read.list,
                    });
                }
                _ => {
                    return Err(unsupported(
                        &location,
                        format!(
                            "parameter {}: only path and query parameters are supported",
                            parameter.parameter_data_ref().name
                        ),
                    ));
                }
            }
        }
        let body = match &op.request_body {
            None => None,
            Some(_) => Some(type_name(&crate::model::body_ref(op, &location)?)),
        };
        out.push(MockOperation {
            operation_id,
            method: method.to_uppercase(),
            path: path.to_string(),
            path_parameters,
            query_parameters,
            body,
            answers: read_answers(spec, op, &location)?,
        });
    }
    check_helper_names_are_distinct(&out)?;
    Ok(out)
}

/// The Rust type typify gives a component schema.
fn type_name(component: &str) -> String {
    crate::typedefs::typify_name(component, true)
}

/// The declared answers of `op`, each resolved through `#/components/responses/`.
fn read_answers(
    spec: &OpenAPI,
    op: &openapiv3::Operation,
    location: &str,
) -> Result<Vec<MockAnswer>, CodegenError> {
    let declared = op
        .responses
        .responses
        .iter()
        .map(|(status, answer)| {
            let status = match status {
                StatusCode::Code(code) => AnswerStatus::Code(*code),
                StatusCode::Range(class) => AnswerStatus::Range(*class),
            };
            (status, answer)
        })
        .chain(
            op.responses
                .default
                .iter()
                .map(|answer| (AnswerStatus::Default, answer)),
        );
    let mut answers = Vec::new();
    for (status, answer) in declared {
        let answer = match answer {
            ReferenceOr::Item(answer) => answer,
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/responses/")
                .and_then(|name| spec.components.as_ref()?.responses.get(name)?.as_item())
                .ok_or_else(|| {
                    unsupported(
                        location,
                        format!("{reference} is not a response written in components.responses"),
                    )
                })?,
        };
        let body = match answer
            .content
            .get("application/json")
            .and_then(|media| media.schema.as_ref())
        {
            None => None,
            Some(ReferenceOr::Reference { reference }) => {
                let name = ref_name(reference).ok_or_else(|| {
                    unsupported(location, format!("{reference} is not a component schema"))
                })?;
                Some(type_name(name))
            }
            Some(ReferenceOr::Item(_)) => {
                return Err(unsupported(
                    location,
                    format!(
                        "the {} answer's JSON schema is written inline; $ref a component schema",
                        status_text(status)
                    ),
                ));
            }
        };
        answers.push(MockAnswer { status, body });
    }
    Ok(answers)
}

/// How the spec writes a status: `200`, `4XX`, `default`.
fn status_text(status: AnswerStatus) -> String {
    match status {
        AnswerStatus::Code(code) => code.to_string(),
        AnswerStatus::Range(class) => format!("{class}XX"),
        AnswerStatus::Default => "default".to_string(),
    }
}

/// The `Then` method of an answer: the code's reason phrase in snake case (`ok`, `not_found`),
/// `status_<code>` for a code with none; `success`, `redirect`, `client_error`, `server_error` for
/// a class; `default_response` for `default`.
pub fn answer_method_name(status: AnswerStatus) -> String {
    match status {
        AnswerStatus::Code(code) => http::StatusCode::from_u16(code)
            .ok()
            .and_then(|code| code.canonical_reason())
            .map(heck::ToSnakeCase::to_snake_case)
            .unwrap_or_else(|| format!("status_{code}")),
        AnswerStatus::Range(2) => "success".to_string(),
        AnswerStatus::Range(3) => "redirect".to_string(),
        AnswerStatus::Range(4) => "client_error".to_string(),
        AnswerStatus::Range(5) => "server_error".to_string(),
        AnswerStatus::Range(class) => format!("status_{class}xx"),
        AnswerStatus::Default => "default_response".to_string(),
    }
}

/// The name of the method a parameter gets on its operation's `When`.
fn parameter_method_name(name: &str) -> String {
    crate::typedefs::typify_name(name, false)
}

/// A parameter or answer whose method would have the name of another, or of `new`, `into_inner`
/// or `body`, is an error naming both.
fn check_helper_names_are_distinct(operations: &[MockOperation]) -> Result<(), CodegenError> {
    for op in operations {
        let location = format!(
            "operation {} ({} {})",
            op.operation_id,
            op.method.to_lowercase(),
            op.path
        );
        let mut when: std::collections::BTreeMap<String, String> = [
            ("new", "the constructor"),
            ("into_inner", "the unwrapping method"),
            ("body", "the body matcher"),
        ]
        .into_iter()
        .map(|(name, what)| (name.to_string(), what.to_string()))
        .collect();
        let parameters = op
            .path_parameters
            .iter()
            .map(|p| &p.name)
            .chain(op.query_parameters.iter().map(|p| &p.name));
        for name in parameters {
            let method = parameter_method_name(name);
            if let Some(other) = when.insert(method.clone(), format!("parameter {name}")) {
                return Err(unsupported(
                    &location,
                    format!("parameter {name} and {other} would both be When::{method}"),
                ));
            }
        }
        let mut then: std::collections::BTreeMap<String, String> = [
            ("new".to_string(), "the constructor".to_string()),
            (
                "into_inner".to_string(),
                "the unwrapping method".to_string(),
            ),
        ]
        .into_iter()
        .collect();
        for answer in &op.answers {
            let method = answer_method_name(answer.status);
            let this = format!("the {} answer", status_text(answer.status));
            if let Some(other) = then.insert(method.clone(), this.clone()) {
                return Err(unsupported(
                    &location,
                    format!("{this} and {other} would both be Then::{method}"),
                ));
            }
        }
    }
    Ok(())
}

fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// The `operations` module and `MockServerExt` with its impl for `httpmock::MockServer`.
pub fn emit_mocks(operations: &[MockOperation]) -> TokenStream {
    let wrappers = operations.iter().map(|op| {
        let when = emit_when(op);
        let then = emit_then(op);
        quote! { #when #then }
    });
    let server_ext = emit_server_ext(operations);
    // The helper and the import only when something uses them: an unused item fails clippy.
    let has_query = operations.iter().any(|op| !op.query_parameters.is_empty());
    let query_text = has_query.then(|| {
        quote! {
            /// A query value as the client writes it: its serde form (enum values as on the wire,
            /// date-times in RFC 3339), a string as itself.
            fn query_text<T: ::serde::Serialize + ?Sized>(value: &T) -> String {
                match ::serde_json::to_value(value) {
                    Ok(::serde_json::Value::String(text)) => text,
                    Ok(other) => other.to_string(),
                    // Not reached for the scalar types a query holds; a value that matches
                    // nothing fails the test instead of panicking inside it.
                    Err(error) => format!("<unserializable: {error}>"),
                }
            }
        }
    });
    let names_types = operations.iter().any(|op| {
        op.body.is_some()
            || op.answers.iter().any(|a| a.body.is_some())
            || op
                .query_parameters
                .iter()
                .any(|p| matches!(p.kind, QueryKind::Enum(_)))
    });
    let types = names_types.then(|| quote! { use crate::generated::types; });
    quote! {
        pub mod operations {
            //! A `When` and a `Then` wrapper around httpmock's own for each operation, with a
            //! typed method per parameter and per declared answer. `into_inner()` gives back
            //! httpmock's type, to match or answer anything the typed methods do not cover.
            #types
            #query_text
            #(#wrappers)*
        }
        #server_ext
    }
}

/// The regex a request's path must match: each `{parameter}` any one segment, or `value` for the
/// parameter named `fixed`; the rest literally.
fn path_regex(path: &str, fixed: Option<&str>) -> String {
    let mut out = String::from("^");
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&regex_lite::escape(&rest[..start]));
        let Some(length) = rest[start..].find('}') else {
            out.push_str(&regex_lite::escape(&rest[start..]));
            rest = "";
            break;
        };
        let name = &rest[start + 1..start + length];
        if fixed == Some(name) {
            out.push_str("{value}");
        } else {
            out.push_str("[^/]*");
        }
        rest = &rest[start + length + 1..];
    }
    out.push_str(&regex_lite::escape(rest));
    out.push('$');
    out
}

fn when_name(op: &MockOperation) -> Ident {
    format_ident!("{}When", pascal(&op.operation_id))
}

fn then_name(op: &MockOperation) -> Ident {
    format_ident!("{}Then", pascal(&op.operation_id))
}

/// The Rust type a query parameter's value has (one element, for a list).
fn query_value_type(kind: &QueryKind) -> TokenStream {
    match kind {
        QueryKind::DateTime => quote! { ::chrono::DateTime<::chrono::offset::Utc> },
        QueryKind::Text => quote! { str },
        QueryKind::Enum(name) => {
            let name = ident(&crate::typedefs::typify_name(name, true));
            quote! { types::#name }
        }
        QueryKind::Unsigned => quote! { u64 },
        QueryKind::Signed => quote! { i64 },
        QueryKind::Boolean => quote! { bool },
    }
}

fn emit_when(op: &MockOperation) -> TokenStream {
    let name = when_name(op);
    let method = ident(&op.method);
    let route = path_regex(&op.path, None);
    let summary = format!(
        " Matches requests of `{}` (`{} {}`).",
        op.operation_id, op.method, op.path
    );
    let path_methods = op
        .path_parameters
        .iter()
        .map(emit_path_parameter_method(op));
    let query_methods = op.query_parameters.iter().map(emit_query_parameter_method);
    let body = op.body.as_ref().map(|body| {
        let body = ident(body);
        quote! {
            /// Matches a JSON body equal to `value`.
            pub fn body(self, value: &types::#body) -> Self {
                Self(self.0.json_body_obj(value))
            }
        }
    });
    quote! {
        #[doc = #summary]
        pub struct #name(::httpmock::When);
        impl #name {
            /// Wraps httpmock's `When`, matching the operation's method and path.
            pub fn new(inner: ::httpmock::When) -> Self {
                Self(inner.method(::httpmock::Method::#method).path_matches(#route))
            }
            /// httpmock's `When`, to match what the typed methods do not cover.
            pub fn into_inner(self) -> ::httpmock::When {
                self.0
            }
            #(#path_methods)*
            #(#query_methods)*
            #body
        }
    }
}

fn emit_path_parameter_method(op: &MockOperation) -> impl Fn(&MockPathParameter) -> TokenStream {
    move |parameter| {
        let method = ident(&parameter_method_name(&parameter.name));
        let ty = if parameter.signed {
            quote! { i64 }
        } else {
            quote! { u64 }
        };
        let route = path_regex(&op.path, Some(&parameter.name));
        let doc = format!(" Matches the path parameter `{}`.", parameter.name);
        quote! {
            #[doc = #doc]
            pub fn #method(self, value: #ty) -> Self {
                Self(self.0.path_matches(format!(#route)))
            }
        }
    }
}

fn emit_query_parameter_method(parameter: &MockQueryParameter) -> TokenStream {
    let method = ident(&parameter_method_name(&parameter.name));
    let wire = &parameter.name;
    // Text is taken as `&str`, every other value as the query struct holds it.
    let (one, one_of_list) = match &parameter.kind {
        QueryKind::Text => (quote! { &'a str }, quote! { &'a str }),
        kind => {
            let ty = query_value_type(kind);
            (ty.clone(), ty)
        }
    };
    let (read_one, lifetime) = match &parameter.kind {
        QueryKind::Text => (quote! { query_text(value) }, Some(quote! { 'a, })),
        _ => (quote! { query_text(&value) }, None),
    };
    let generics = lifetime.as_ref().map(|_| quote! { <'a> });
    // A required list borrows only for the call, so its lifetimes are elided.
    let element = match &parameter.kind {
        QueryKind::Text => quote! { &str },
        kind => query_value_type(kind),
    };
    let each = quote! {
        values.iter().fold(self.0, |when, value| when.query_param(#wire, query_text(value)))
    };
    match (parameter.required, parameter.list) {
        (true, false) => {
            let doc = format!(" Matches the query parameter `{wire}`.");
            quote! {
                #[doc = #doc]
                pub fn #method #generics(self, value: #one) -> Self {
                    Self(self.0.query_param(#wire, #read_one))
                }
            }
        }
        (false, false) => {
            let doc = format!(
                " Matches the query parameter `{wire}`; `None` matches a request without it."
            );
            quote! {
                #[doc = #doc]
                pub fn #method<#lifetime T>(self, value: T) -> Self
                where
                    T: Into<Option<#one>>,
                {
                    match value.into() {
                        Some(value) => Self(self.0.query_param(#wire, #read_one)),
                        None => Self(self.0.query_param_missing(#wire)),
                    }
                }
            }
        }
        (true, true) => {
            let doc = format!(" Matches a `{wire}=...` pair for each element of `values`.");
            quote! {
                #[doc = #doc]
                pub fn #method(self, values: &[#element]) -> Self {
                    Self(#each)
                }
            }
        }
        (false, true) => {
            let doc = format!(
                " Matches a `{wire}=...` pair for each element of `values`; `None` matches a \
                 request without any."
            );
            quote! {
                #[doc = #doc]
                pub fn #method<'a, T>(self, values: T) -> Self
                where
                    T: Into<Option<&'a [#one_of_list]>>,
                {
                    match values.into() {
                        Some(values) => Self(#each),
                        None => Self(self.0.query_param_missing(#wire)),
                    }
                }
            }
        }
    }
}

fn emit_then(op: &MockOperation) -> TokenStream {
    let name = then_name(op);
    let summary = format!(
        " Answers requests of `{}` with one of the answers the spec declares for it.",
        op.operation_id
    );
    let answers = op.answers.iter().map(emit_answer_method);
    quote! {
        #[doc = #summary]
        pub struct #name(::httpmock::Then);
        impl #name {
            /// Wraps httpmock's `Then`.
            pub fn new(inner: ::httpmock::Then) -> Self {
                Self(inner)
            }
            /// httpmock's `Then`, to answer what the typed methods do not cover.
            pub fn into_inner(self) -> ::httpmock::Then {
                self.0
            }
            #(#answers)*
        }
    }
}

fn emit_answer_method(answer: &MockAnswer) -> TokenStream {
    let method = ident(&answer_method_name(answer.status));
    let respond = match &answer.body {
        Some(body) => {
            let body = ident(body);
            (
                quote! { value: &types::#body },
                quote! {
                    .header("content-type", "application/json")
                    .json_body_obj(value)
                },
            )
        }
        None => (TokenStream::new(), TokenStream::new()),
    };
    let (value, with_body) = respond;
    let comma = (!value.is_empty()).then(|| quote! { , });
    match answer.status {
        AnswerStatus::Code(code) => {
            let doc = format!(" Answers with status {code}.");
            quote! {
                #[doc = #doc]
                pub fn #method(self #comma #value) -> Self {
                    Self(self.0.status(#code) #with_body)
                }
            }
        }
        AnswerStatus::Range(class) => {
            let doc = format!(" Answers with `status`, one of {class}00..={class}99.");
            let low = class * 100;
            let high = low + 99;
            let message = format!("{method} needs a status in {low}..={high}, not {{status}}");
            quote! {
                #[doc = #doc]
                ///
                /// # Panics
                ///
                /// When `status` is outside that range: the mock would answer what the spec does
                /// not declare.
                pub fn #method(self, status: u16 #comma #value) -> Self {
                    let declared = (#low..=#high).contains(&status);
                    assert!(declared, #message);
                    Self(self.0.status(status) #with_body)
                }
            }
        }
        AnswerStatus::Default => quote! {
            /// Answers with `status`, the spec's `default` answer.
            pub fn #method(self, status: u16 #comma #value) -> Self {
                Self(self.0.status(status) #with_body)
            }
        },
    }
}

fn emit_server_ext(operations: &[MockOperation]) -> TokenStream {
    let signatures: Vec<TokenStream> = operations
        .iter()
        .map(|op| {
            let method = ident(&crate::typedefs::typify_name(&op.operation_id, false));
            let when = when_name(op);
            let then = then_name(op);
            quote! {
                fn #method<F>(&self, config_fn: F) -> ::httpmock::Mock<'_>
                where
                    F: FnOnce(operations::#when, operations::#then)
            }
        })
        .collect();
    let docs = operations.iter().map(|op| {
        format!(
            " Mocks `{}`: `config_fn` gets the typed `When` and `Then` of the operation.",
            op.operation_id
        )
    });
    let impls = operations.iter().zip(&signatures).map(|(op, signature)| {
        let when = when_name(op);
        let then = then_name(op);
        quote! {
            #signature
            {
                self.mock(|when, then| {
                    config_fn(operations::#when::new(when), operations::#then::new(then))
                })
            }
        }
    });
    quote! {
        /// A method per operation on httpmock's `MockServer`: a `mock` call whose `When` and
        /// `Then` are typed for that operation.
        pub trait MockServerExt {
            #(#[doc = #docs] #signatures;)*
        }
        impl MockServerExt for ::httpmock::MockServer {
            #(#impls)*
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r"
openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /v1/projects/{project_id}/things:
    get:
      operationId: list_things
      parameters:
        - {name: project_id, in: path, required: true, schema: {type: integer, minimum: 1}}
        - {name: since, in: query, required: true, schema: {type: string, format: date-time}}
        - {name: names, in: query, required: false, schema: {type: array, items: {type: string}}}
        - {name: offset, in: query, required: false, schema: {type: integer}}
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Things'}}}}
        '404': {description: none}
        '4XX': {$ref: '#/components/responses/Error'}
        default: {$ref: '#/components/responses/Error'}
components:
  responses:
    Error: {description: e, content: {application/json: {schema: {$ref: '#/components/schemas/Error'}}}}
  schemas:
    Things: {type: object, properties: {count: {type: integer}}}
    Error: {type: object, properties: {message: {type: string}}}
";

    fn read(text: &str) -> Result<Vec<MockOperation>, CodegenError> {
        let spec: OpenAPI = serde_yaml::from_str(text).expect("spec");
        let model = SpecModel::from_spec(&spec).expect("model");
        read_mock_operations(&spec, &model)
    }

    #[test]
    fn operations_are_read_with_the_types_the_client_takes() {
        let operations = read(SPEC).expect("read");
        let query = |name: &str, kind, required, list| MockQueryParameter {
            name: name.to_string(),
            kind,
            required,
            list,
        };
        let error = Some("Error".to_string());
        assert_eq!(
            operations,
            vec![MockOperation {
                operation_id: "list_things".into(),
                method: "GET".into(),
                path: "/v1/projects/{project_id}/things".into(),
                path_parameters: vec![MockPathParameter {
                    name: "project_id".into(),
                    signed: false,
                }],
                query_parameters: vec![
                    query("since", QueryKind::DateTime, true, false),
                    query("names", QueryKind::Text, false, true),
                    query("offset", QueryKind::Signed, false, false),
                ],
                body: None,
                answers: vec![
                    MockAnswer {
                        status: AnswerStatus::Code(200),
                        body: Some("Things".into()),
                    },
                    MockAnswer {
                        status: AnswerStatus::Code(404),
                        body: None,
                    },
                    MockAnswer {
                        status: AnswerStatus::Range(4),
                        body: error.clone(),
                    },
                    MockAnswer {
                        status: AnswerStatus::Default,
                        body: error,
                    },
                ],
            }]
        );
        // The list matcher adds a pair per element, or matches a request without any.
        let names = emit_query_parameter_method(&operations[0].query_parameters[1]).to_string();
        assert!(
            names.contains("T : Into < Option < & 'a [& 'a str] >>"),
            "{names}"
        );
        assert!(names.contains("fold"), "{names}");
        assert!(names.contains("query_param_missing (\"names\")"), "{names}");
        // The answer without a body takes no value.
        let not_found = emit_answer_method(&operations[0].answers[1]).to_string();
        assert!(
            not_found.contains("pub fn not_found (self) -> Self"),
            "{not_found}"
        );
    }

    #[test]
    fn an_inline_error_answer_and_a_clashing_parameter_are_refused_by_name() {
        let inline = SPEC.replace(
            "'404': {description: none}",
            "'404': {description: none, content: {application/json: {schema: {type: object}}}}",
        );
        let error = read(&inline).unwrap_err().to_string();
        assert!(
            error.contains("list_things")
                && error.contains("the 404 answer's JSON schema is written inline"),
            "{error}"
        );
        let clash = SPEC.replace("name: offset,", "name: body,");
        let error = read(&clash).unwrap_err().to_string();
        assert!(
            error.contains("parameter body and the body matcher would both be When::body"),
            "{error}"
        );
    }

    #[test]
    fn path_regexes_escape_literals_and_fix_one_parameter() {
        assert_eq!(
            path_regex("/v1/pricing/{region_id}/x.y", None),
            r"^/v1/pricing/[^/]*/x\.y$"
        );
        assert_eq!(
            path_regex("/v1/{project_id}/{region_id}", Some("region_id")),
            "^/v1/[^/]*/{value}$"
        );
    }

    #[test]
    fn answers_are_named_by_reason_phrase_or_class() {
        assert_eq!(answer_method_name(AnswerStatus::Code(200)), "ok");
        assert_eq!(answer_method_name(AnswerStatus::Code(404)), "not_found");
        assert_eq!(answer_method_name(AnswerStatus::Code(299)), "status_299");
        assert_eq!(answer_method_name(AnswerStatus::Range(4)), "client_error");
        assert_eq!(
            answer_method_name(AnswerStatus::Default),
            "default_response"
        );
    }
}
