//! `gcore-billing api <operation>`: one subcommand per operation of the spec ([`OPERATIONS`]), a
//! flag per parameter, `--body` when the operation takes one. Names are kebab-case; the spec's
//! snake_case spellings are accepted as aliases. The answer prints as JSON, as a table of its list
//! (`--output table`), or, for a paged operation with `--paginate`, as one JSON line per item of
//! every page.

use std::path::Path;

use clap::{Arg, ArgAction, ArgMatches};
use gcore_billing::{ApiOperation, ApiPaging, Client, OPERATIONS};
use serde_json::Value;

use crate::config::Chosen;
use crate::{BODY_FILE_LIMIT, Connection, Failure, connect_with, print_out, read_limited};

/// `snake_case` as `kebab-case`.
fn kebab(name: &str) -> String {
    name.replace('_', "-")
}

/// The `api` command, made from [`OPERATIONS`].
pub fn api_command() -> clap::Command {
    let operations = OPERATIONS.iter().map(operation_command);
    clap::Command::new("api")
        .about("Call one operation of the API by its operationId and print the answer")
        .subcommand_required(true)
        .arg(
            Arg::new("output")
                .long("output")
                .short('o')
                .global(true)
                .value_name("FORMAT")
                .value_parser(["json", "table"])
                .help(
                    "How to print the answer: json (as the server sent it) or table (a row per \
                     item of its list) [default: json, or the profile's output]",
                ),
        )
        .arg(
            Arg::new("paginate")
                .long("paginate")
                .global(true)
                .action(ArgAction::SetTrue)
                .help(
                    "For an operation that pages: fetch every page from the body's offset on and \
                     print each item as one JSON line",
                ),
        )
        .subcommands(operations)
}

/// The subcommand of one operation.
fn operation_command(op: &'static ApiOperation) -> clap::Command {
    let mut command = clap::Command::new(kebab(op.id))
        .about(format!("{} ({} {})", op.summary, op.method, op.path))
        .alias(op.id);
    if let Some(short) = op.id.strip_prefix("get_") {
        command = command.visible_alias(kebab(short)).alias(short);
    }
    for p in op.parameters {
        let mut arg = Arg::new(p.name)
            .long(kebab(p.name))
            .value_name(p.kind)
            .required(p.required)
            .help(format!("{} ({} parameter)", p.description, p.location));
        if kebab(p.name) != p.name {
            arg = arg.alias(p.name);
        }
        if !p.values.is_empty() {
            arg = arg.value_parser(clap::builder::PossibleValuesParser::new(
                p.values.iter().copied(),
            ));
        }
        if p.repeated {
            // An array: the flag once per element, or the elements comma-separated.
            arg = arg
                .action(ArgAction::Append)
                .value_delimiter(',')
                .help(format!(
                    "{} ({} parameter; repeat the flag or separate values with commas)",
                    p.description, p.location
                ));
        }
        command = command.arg(arg);
    }
    if let Some(body) = op.body {
        command = command
            .arg(
                Arg::new("body")
                    .long("body")
                    .value_name("JSON|@FILE")
                    .help(format!(
                        "The request body, a {body} as JSON (or @file to read it from a file)"
                    )),
            )
            .arg(
                Arg::new("allow-unknown-fields")
                    .long("allow-unknown-fields")
                    .alias("allow_unknown_fields")
                    .action(ArgAction::SetTrue)
                    .help(format!(
                        "Send body fields that {body} does not list (by default a misspelt field \
                         is refused rather than ignored by the server)"
                    )),
            );
    }
    command
}

/// A body field the operation's request schema does not list is refused, naming it and the ones
/// it lists: the server would ignore it, and answer as if the filter had not been given.
fn refuse_unknown_fields(operation: &ApiOperation, body: &Value) -> Result<(), Failure> {
    let Some(fields) = body.as_object() else {
        return Ok(());
    };
    let unknown: Vec<&str> = fields
        .keys()
        .map(String::as_str)
        .filter(|name| !operation.body_fields.contains(name))
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    Err(Failure::Usage(format!(
        "{}: --body has fields the {} schema does not list: {} (it lists {}); pass \
         --allow-unknown-fields to send them anyway",
        operation.id,
        operation.body.unwrap_or("request"),
        unknown.join(", "),
        operation.body_fields.join(", ")
    )))
}

/// How the answer is printed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Output {
    Json,
    Table,
}

/// Runs `api <operation>`: reads and checks the parameters and body, then calls and prints.
pub async fn run(connection: &Connection, matches: &ArgMatches) -> Result<(), Failure> {
    let Some((name, op_matches)) = matches.subcommand() else {
        return Err(Failure::Usage("name an operation".into()));
    };
    let Some(operation) = OPERATIONS.iter().find(|o| kebab(o.id) == name) else {
        return Err(Failure::Usage(format!("no operation {name}")));
    };
    let profile = crate::config::choose(connection.profile.as_deref())?;
    let output = output_format(op_matches, &profile)?;
    let paginate = op_matches.get_flag("paginate");
    let paging = match (paginate, operation.paging) {
        (false, _) => None,
        (true, None) => {
            return Err(Failure::Usage(format!(
                "{}: --paginate is for operations that page, and this one does not (those that \
                 do: {})",
                kebab(operation.id),
                OPERATIONS
                    .iter()
                    .filter(|o| o.paging.is_some())
                    .map(|o| kebab(o.id))
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        (true, Some(_)) if output == Output::Table => {
            return Err(Failure::Usage(
                "--paginate prints every item as a JSON line; --output table prints one answer \
                 (drop one of the two)"
                    .into(),
            ));
        }
        (true, Some(paging)) => Some(paging),
    };
    // A repeated parameter gives one pair per value, in order.
    let parameters: Vec<(String, String)> = operation
        .parameters
        .iter()
        .flat_map(|p| {
            op_matches
                .get_many::<String>(p.name)
                .into_iter()
                .flatten()
                .map(|v| (p.name.to_string(), v.clone()))
        })
        .collect();
    let body = read_body(operation, op_matches)?;
    let connected = connect_with(connection, &profile).await?;
    if let Some(paging) = paging {
        return print_every_page(&connected.client, operation, paging, &parameters, body).await;
    }
    let answer = connected
        .client
        .call_operation(operation.id, &parameters, body)
        .await?;
    match output {
        Output::Json => {
            let text = serde_json::to_string_pretty(&answer)
                .map_err(|e| Failure::Remote(format!("cannot print the answer: {e}")))?;
            print_out(&text)
        }
        Output::Table => print_out(&table(&answer, operation.items)),
    }
}

/// `--output`, else the profile's `output`, else JSON.
fn output_format(matches: &ArgMatches, profile: &Chosen) -> Result<Output, Failure> {
    let chosen = matches
        .get_one::<String>("output")
        .map(String::as_str)
        .or(profile.profile.output.as_deref());
    match chosen {
        None | Some("json") => Ok(Output::Json),
        Some("table") => Ok(Output::Table),
        Some(other) => Err(Failure::Usage(format!(
            "output {other:?} in {} is not one of json, table",
            profile.describe()
        ))),
    }
}

/// The `--body` JSON (inline or `@file`), refused when it names fields the schema does not list
/// (unless `--allow-unknown-fields`).
fn read_body(operation: &ApiOperation, matches: &ArgMatches) -> Result<Option<Value>, Failure> {
    let Some(text) = matches.try_get_one::<String>("body").ok().flatten() else {
        return Ok(None);
    };
    let text = match text.strip_prefix('@') {
        Some(path) => read_limited(Path::new(path), BODY_FILE_LIMIT, "the --body file")?,
        None => text.clone(),
    };
    let body: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::Usage(format!("--body is not JSON: {e}")))?;
    if !matches.get_flag("allow-unknown-fields") {
        refuse_unknown_fields(operation, &body)?;
    }
    Ok(Some(body))
}

/// Calls a paged operation page after page from the body's offset (or 0), printing each item as
/// a JSON line as its page arrives, until the answer's count is reached. A page without items
/// before then is an error (exit 1), never an endless loop, whatever count the server claims.
async fn print_every_page(
    client: &Client,
    operation: &ApiOperation,
    paging: ApiPaging,
    parameters: &[(String, String)],
    body: Option<Value>,
) -> Result<(), Failure> {
    let mut body = match body {
        Some(Value::Object(fields)) => fields,
        Some(_) => return Err(Failure::Usage("--body must be a JSON object".into())),
        None => serde_json::Map::new(),
    };
    let integer = |name: &str| -> Result<Option<u64>, Failure> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value.as_u64().map(Some).ok_or_else(|| {
                Failure::Usage(format!(
                    "--body: {name} must be a whole number of at least 0, got {value}"
                ))
            }),
        }
    };
    let mut offset = integer(paging.offset)?.unwrap_or(0);
    if integer(paging.limit)?.is_none() {
        body.insert(paging.limit.into(), paging.default_limit.into());
    }
    loop {
        body.insert(paging.offset.into(), offset.into());
        let answer = client
            .call_operation(operation.id, parameters, Some(Value::Object(body.clone())))
            .await?;
        let count = answer.get(paging.count).and_then(Value::as_u64);
        let items = answer.get(paging.items).and_then(Value::as_array);
        let (Some(count), Some(items)) = (count, items) else {
            return Err(Failure::Remote(format!(
                "{}: the answer at offset {offset} has no {} count or no {} list",
                operation.id, paging.count, paging.items
            )));
        };
        if offset >= count {
            return Ok(());
        }
        if items.is_empty() {
            return Err(Failure::Remote(format!(
                "{}: the page at offset {offset} is empty, but the server counts {count} items",
                operation.id
            )));
        }
        let mut lines = String::new();
        for item in items {
            lines.push_str(&item.to_string());
            lines.push('\n');
        }
        crate::write_out(lines.as_bytes())?;
        offset = offset.saturating_add(items.len() as u64);
    }
}

/// The answer as a table: a row per item of its list (`items`, or the answer itself when it is an
/// array, or else one row), a column per field in the order fields first appear. Nested values
/// are written as compact JSON.
fn table(answer: &Value, items: Option<&str>) -> String {
    let rows: Vec<&Value> = match (answer, items.and_then(|name| answer.get(name))) {
        (_, Some(Value::Array(list))) => list.iter().collect(),
        (Value::Array(list), _) => list.iter().collect(),
        (other, _) => vec![other],
    };
    let mut columns: Vec<&str> = Vec::new();
    for row in &rows {
        if let Value::Object(fields) = row {
            for name in fields.keys() {
                if !columns.contains(&name.as_str()) {
                    columns.push(name);
                }
            }
        }
    }
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    if columns.is_empty() {
        table.set_header(["value"]);
        for row in rows {
            table.add_row([cell(row)]);
        }
    } else {
        table.set_header(columns.iter().map(|c| c.to_uppercase()));
        for row in rows {
            table.add_row(
                columns
                    .iter()
                    .map(|c| row.get(*c).map(cell).unwrap_or_default()),
            );
        }
    }
    table.to_string()
}

/// A value as a table cell: text without quotes, null as empty, the rest as compact JSON.
fn cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_table_has_a_row_per_item_and_a_column_per_field_in_first_seen_order() {
        let answer = json!({"count": 2, "results": [
            {"id": 1, "name": "a", "tags": {"env": "prod"}},
            {"id": 2, "name": null, "extra": "x"}
        ]});
        let text = table(&answer, Some("results"));
        let lines: Vec<Vec<&str>> = text
            .lines()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            lines,
            vec![
                vec!["ID", "NAME", "TAGS", "EXTRA"],
                vec!["1", "a", "{\"env\":\"prod\"}"],
                vec!["2", "x"],
            ]
        );
    }

    #[test]
    fn an_answer_without_a_list_is_one_row() {
        let text = table(&json!({"total": "1.5", "currency": "USD"}), None);
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(text.contains("TOTAL") && text.contains("1.5") && text.contains("USD"));
    }

    #[test]
    fn every_operation_is_kebab_case_with_its_snake_case_name_as_an_alias() {
        let command = api_command();
        for op in OPERATIONS {
            let sub = command
                .find_subcommand(kebab(op.id))
                .unwrap_or_else(|| panic!("{} has a subcommand", op.id));
            assert!(!sub.get_name().contains('_'));
            assert!(sub.get_all_aliases().any(|a| a == op.id), "{}", op.id);
            for p in op.parameters {
                let arg = sub
                    .get_arguments()
                    .find(|a| a.get_id() == p.name)
                    .expect("a flag per parameter");
                assert_eq!(arg.get_long(), Some(kebab(p.name).as_str()));
            }
        }
    }
}
