//! `gcore-billing`: export Gcore Cloud billing reports to the files FinOps tools read, and call any
//! operation of the billing API.
//!
//! ```text
//! gcore-billing export detailed --from 2024-08-01 --to 2024-09-01 --format parquet --output aug.parquet
//! gcore-billing export detailed --demo --output cost-report.csv
//! gcore-billing api list_billing_reservations --time_from 2024-08-01T00:00:00Z --time_to 2024-08-31T00:00:00Z
//! ```
//!
//! Exit codes: 0 success (also when the reader of stdout goes away, as `| head` does), 1 an API or
//! network failure, or data the output format cannot hold; 2 a usage error; 3 a local file or disk
//! error; 130 interrupted by Ctrl-C (an export leaves a checkpoint).

mod export;
mod focus;
mod sinks;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Arg, ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use gcore_billing::{Client, Error, OPERATIONS};
use gcore_billing_fake::{Config, FakeServer};

/// Export Gcore Cloud billing reports, or call any billing API operation.
///
/// The API key comes from GCORE_API_KEY or --api-key-file (never from the command line);
/// GCORE_BASE_URL overrides `https://api.gcore.com`. --demo runs against a local server with made-up data.
#[derive(Parser, Debug)]
#[command(
    name = "gcore-billing",
    version,
    after_help = "Exit codes: 0 success (also when stdout's reader goes away, as with `| head`); \
                  1 API or network failure, or data the format cannot hold; 2 usage error; \
                  3 local file or disk error; 130 interrupted (Ctrl-C)."
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: Command,
}

/// Where requests go, and with which key.
#[derive(Args, Debug, Clone)]
pub struct Connection {
    /// Read the API key from this file (its first line).
    #[arg(long, global = true, value_name = "PATH")]
    api_key_file: Option<PathBuf>,
    /// Use a local demo server with made-up data instead of the API (no key needed).
    #[arg(long, global = true)]
    demo: bool,
    /// Resources in the demo server (in fleets of 4 identical but for their ID and name).
    #[arg(long, global = true, default_value_t = 100_000, value_name = "N")]
    demo_resources: usize,
    /// Accept a plain http:// GCORE_BASE_URL whose host is not this machine. The API key then
    /// crosses the network unencrypted.
    #[arg(long, global = true)]
    allow_insecure_http: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Export a report to CSV, JSON lines or Parquet.
    Export(Box<export::ExportArgs>),
    /// Call one operation of the API by its operationId and print the JSON answer.
    Api,
    /// Print a shell completion script (e.g. `gcore-billing completions bash > ~/.local/share/bash-completion/completions/gcore-billing`).
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
}

/// What ends the program, with its exit code.
pub enum Failure {
    /// Bad input: exit 2.
    Usage(String),
    /// The API or the network failed: exit 1.
    Remote(String),
    /// The server's data cannot be written in the chosen format (it would fail again): exit 1.
    Data(String),
    /// A local file or the disk failed: exit 3.
    Local(String),
    /// Ctrl-C: exit 130.
    Interrupted(String),
    /// Stdout's reader went away (`| head`): nothing more to do, exit 0 quietly.
    ReaderGone,
}

impl Failure {
    fn exit(self) -> ExitCode {
        let (code, message) = match self {
            Failure::Usage(m) => (2, m),
            Failure::Remote(m) | Failure::Data(m) => (1, m),
            Failure::Local(m) => (3, m),
            Failure::Interrupted(m) => (130, m),
            Failure::ReaderGone => return ExitCode::SUCCESS,
        };
        eprintln!("error: {message}");
        ExitCode::from(code)
    }

    /// The same failure with `more` appended to its message.
    pub fn with(self, more: &str) -> Self {
        match self {
            Failure::Usage(m) => Failure::Usage(m + more),
            Failure::Remote(m) => Failure::Remote(m + more),
            Failure::Data(m) => Failure::Data(m + more),
            Failure::Local(m) => Failure::Local(m + more),
            Failure::Interrupted(m) => Failure::Interrupted(m + more),
            Failure::ReaderGone => Failure::ReaderGone,
        }
    }
}

impl From<Error> for Failure {
    /// Input the client refused before sending is a usage error; everything else is remote.
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidRequest { .. } | Error::Config(_) => Failure::Usage(error.full_message()),
            other => Failure::Remote(other.full_message()),
        }
    }
}

/// A client, the demo server to keep alive (with --demo), and a fingerprint of the key: a SHA-256
/// of it, so that a checkpoint can tell another account's key without holding this one.
pub struct Connected {
    pub client: Client,
    pub _server: Option<FakeServer>,
    pub key_fingerprint: String,
}

/// A body field the operation's request schema does not list is refused, naming it and the ones
/// it lists: the server would ignore it, and answer as if the filter had not been given.
fn refuse_unknown_fields(
    operation: &gcore_billing::ApiOperation,
    body: &serde_json::Value,
) -> Result<(), Failure> {
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

/// The most an API key file may hold: a key is a line, so anything near this is not a key file.
const KEY_FILE_LIMIT: u64 = 64 * 1024;
/// The most a `--body @file` may hold (a request is a few KiB; a report's filter lists stay far below).
const BODY_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// The text of `path`, read up to `limit` bytes: a larger file (or an endless one, `/dev/zero`) is a
/// usage error naming it, so memory stays bounded whatever the file is.
fn read_limited(path: &Path, limit: u64, what: &str) -> Result<String, Failure> {
    use std::io::Read as _;
    let cannot =
        |e: std::io::Error| Failure::Usage(format!("cannot read {what} {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(Failure::Usage(format!(
            "{what} {} is larger than {limit} bytes; is it the right file?",
            path.display()
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| Failure::Usage(format!("{what} {} is not UTF-8 text", path.display())))
}

fn key_fingerprint(key: &str) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA256,
        format!("gcore-billing checkpoint key\0{key}").as_bytes(),
    );
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A client for the API or the demo server, and the demo server to keep alive.
pub async fn connect(connection: &Connection) -> Result<Connected, Failure> {
    if connection.demo {
        let server = FakeServer::start(Config::demo(connection.demo_resources))
            .await
            .map_err(|e| Failure::Remote(format!("cannot start the demo server: {e}")))?;
        let client = Client::builder()
            .api_key("demo")
            .base_url(server.base_url())
            .build()?;
        return Ok(Connected {
            client,
            _server: Some(server),
            key_fingerprint: key_fingerprint("demo"),
        });
    }
    let key = match &connection.api_key_file {
        Some(path) => {
            let text = read_limited(path, KEY_FILE_LIMIT, "the API key file")?;
            let key = text.lines().next().unwrap_or("").trim().to_string();
            if key.is_empty() {
                return Err(Failure::Usage(format!(
                    "the API key file {} has no key on its first line",
                    path.display()
                )));
            }
            key
        }
        None => std::env::var("GCORE_API_KEY").unwrap_or_default(),
    };
    if key.trim().is_empty() {
        return Err(Failure::Usage(
            "no API key: set GCORE_API_KEY or pass --api-key-file PATH, or add --demo to try the \
             local demo server with made-up data"
                .into(),
        ));
    }
    let fingerprint = key_fingerprint(&key);
    let mut builder = Client::builder().api_key(key);
    if let Ok(url) = std::env::var("GCORE_BASE_URL")
        && !url.trim().is_empty()
    {
        builder = builder.base_url(url);
    }
    if connection.allow_insecure_http {
        builder = builder.allow_insecure_http();
    }
    Ok(Connected {
        client: builder.build()?,
        _server: None,
        key_fingerprint: fingerprint,
    })
}

/// The `api` command, one subcommand per operation of the spec, each with a flag per parameter and
/// `--body` when the operation takes one.
fn api_command() -> clap::Command {
    let operations =
        OPERATIONS.iter().map(|op| {
            let mut command = clap::Command::new(op.id)
                .about(format!("{} ({} {})", op.summary, op.method, op.path));
            if let Some(short) = op.id.strip_prefix("get_") {
                command = command.visible_alias(short);
            }
            for p in op.parameters {
                let mut arg = Arg::new(p.name)
                    .long(p.name)
                    .value_name(p.kind)
                    .required(p.required)
                    .help(format!("{} ({} parameter)", p.description, p.location));
                if !p.values.is_empty() {
                    arg = arg.value_parser(clap::builder::PossibleValuesParser::new(
                        p.values.iter().copied(),
                    ));
                }
                command = command.arg(arg);
            }
            if let Some(body) = op.body {
                command = command
                .arg(Arg::new("body").long("body").value_name("JSON|@FILE").help(format!(
                    "The request body, a {body} as JSON (or @file to read it from a file)"
                )))
                .arg(
                    Arg::new("allow-unknown-fields")
                        .long("allow-unknown-fields")
                        .action(clap::ArgAction::SetTrue)
                        .help(format!(
                            "Send body fields that {body} does not list (by default a misspelt \
                             field is refused rather than ignored by the server)"
                        )),
                );
            }
            command
        });
    clap::Command::new("api")
        .about("Call one operation of the API by its operationId and print the JSON answer")
        .subcommand_required(true)
        .subcommands(operations)
}

async fn run_api(connection: &Connection, matches: &ArgMatches) -> Result<(), Failure> {
    let Some((id, op_matches)) = matches.subcommand() else {
        return Err(Failure::Usage("name an operation".into()));
    };
    let Some(operation) = OPERATIONS.iter().find(|o| o.id == id) else {
        return Err(Failure::Usage(format!("no operation {id}")));
    };
    let parameters: Vec<(String, String)> = operation
        .parameters
        .iter()
        .filter_map(|p| {
            op_matches
                .get_one::<String>(p.name)
                .map(|v| (p.name.to_string(), v.clone()))
        })
        .collect();
    let body = match op_matches.try_get_one::<String>("body").ok().flatten() {
        None => None,
        Some(text) => {
            let text = match text.strip_prefix('@') {
                Some(path) => read_limited(Path::new(path), BODY_FILE_LIMIT, "the --body file")?,
                None => text.clone(),
            };
            let body: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Failure::Usage(format!("--body is not JSON: {e}")))?;
            if !op_matches.get_flag("allow-unknown-fields") {
                refuse_unknown_fields(operation, &body)?;
            }
            Some(body)
        }
    };
    let connected = connect(connection).await?;
    let answer = connected
        .client
        .call_operation(operation.id, &parameters, body)
        .await?;
    let text = serde_json::to_string_pretty(&answer)
        .map_err(|e| Failure::Remote(format!("cannot print the answer: {e}")))?;
    print_out(&text)
}

/// Writes `text` and a newline to stdout. A reader that went away (`| head`) ends the command
/// quietly; any other write failure is a local error.
pub fn print_out(text: &str) -> Result<(), Failure> {
    write_out(format!("{text}\n").as_bytes())
}

/// Writes `bytes` to stdout, with [`print_out`]'s handling of a reader that went away.
fn write_out(bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Failure::ReaderGone),
        Err(e) => Err(Failure::Local(format!("writing to stdout: {e}"))),
    }
}

/// Whether to draw a progress bar: only on a terminal, and not with `--quiet`.
pub fn progress_wanted(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// The whole command line: the derived commands, with `api`'s subcommands made from the spec.
fn cli_command() -> clap::Command {
    Cli::command().mut_subcommand("api", |_| api_command())
}

/// The completion script of `shell` for every command, flag and API operation.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli_command(), "gcore-billing", &mut script);
    write_out(&script)
}

fn main() -> ExitCode {
    let matches = cli_command().get_matches();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return Failure::Remote(format!("cannot start the async runtime: {e}")).exit(),
    };
    let outcome = runtime.block_on(async {
        if let Some(("api", api)) = matches.subcommand() {
            let connection = Connection::from_arg_matches(&matches)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            return run_api(&connection, api).await;
        }
        let cli = Cli::from_arg_matches(&matches).map_err(|e| Failure::Usage(e.to_string()))?;
        match cli.command {
            Command::Export(args) => export::run(&cli.connection, *args).await,
            Command::Api => Err(Failure::Usage("name an operation".into())),
            Command::Completions { shell } => completions(shell),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(),
    }
}
