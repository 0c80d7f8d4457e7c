//! `gcore-billing`: export Gcore Cloud billing reports to the files FinOps tools read, and call any
//! operation of the billing API.
//!
//! ```text
//! gcore-billing export detailed --from 2024-08-01 --to 2024-09-01 --format parquet --output aug.parquet
//! gcore-billing export detailed --demo --output cost-report.csv
//! gcore-billing api list-billing-reservations --time-from 2024-08-01T00:00:00Z --time-to 2024-08-31T00:00:00Z
//! ```
//!
//! Exit codes: 0 success (also when the reader of stdout goes away, as `| head` does), 1 an API or
//! network failure, or data the output format cannot hold; 2 a usage error; 3 a local file or disk
//! error; 130 interrupted by Ctrl-C (an export leaves a checkpoint).

mod api;
mod config;
mod export;
mod focus;
mod postgres;
mod sinks;
mod sync;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use gcore_billing::{Client, Error};
use gcore_billing_fake::{Config, FakeServer};

/// Export Gcore Cloud billing reports, or call any billing API operation.
///
/// The API key comes from --api-key-file, GCORE_API_KEY or a profile of the config file (never
/// from the command line); --demo runs against a local server with made-up data.
#[derive(Parser, Debug)]
#[command(
    name = "gcore-billing",
    version,
    propagate_version = true,
    after_help = "Settings come from the first of: a flag, its environment variable, the profile \
                  (--profile, GCORE_PROFILE, else `default`) in \
                  $XDG_CONFIG_HOME/gcore-billing/config.toml.\n\n\
                  Exit codes: 0 success (also when stdout's reader goes away, as with `| head`); \
                  1 API or network failure, or data the format cannot hold; 2 usage error; \
                  3 local file or disk error; 130 interrupted (Ctrl-C)."
)]
struct Cli {
    #[command(flatten)]
    connection: Connection,
    #[command(subcommand)]
    command: Command,
}

/// Where requests go, with which key, and how errors and logs are written.
#[derive(Args, Debug, Clone)]
pub struct Connection {
    /// Read the API key from this file (its first line) [before GCORE_API_KEY and the profile].
    #[arg(long, global = true, value_name = "PATH")]
    api_key_file: Option<PathBuf>,
    /// The profile of the config file to use [default: `default`, when the file has one].
    #[arg(long, global = true, env = "GCORE_PROFILE", value_name = "NAME")]
    profile: Option<String>,
    /// The API's base URL [default: the profile's base_url, else https://api.gcore.com].
    #[arg(long, global = true, env = "GCORE_BASE_URL", value_name = "URL")]
    base_url: Option<String>,
    /// Limit on one request attempt: seconds, or with a unit (90s, 2m) [default: the profile's, else 120s].
    #[arg(long, global = true, env = "GCORE_TIMEOUT", value_name = "DURATION",
          value_parser = config::parse_duration)]
    timeout: Option<std::time::Duration>,
    /// How many times a failed attempt (network, 429, 5xx) is retried [default: the profile's, else 2].
    #[arg(long, global = true, env = "GCORE_MAX_RETRIES", value_name = "N")]
    max_retries: Option<u32>,
    /// Log each request (operation, method, URL, status, retries) to stderr; the key is never
    /// logged. RUST_LOG takes a filter instead (e.g. RUST_LOG=gcore_billing=trace).
    #[arg(long, global = true)]
    debug: bool,
    /// How errors are printed on stderr: text, or json (one object per error: code, message,
    /// exit_code, status, request_id, operation).
    #[arg(long, global = true, value_enum, default_value_t = ErrorFormat::Text, value_name = "FORMAT")]
    error_format: ErrorFormat,
    /// Ask for plain answers instead of compressed ones (gzip, brotli or zstd, about a tenth of
    /// the bytes on the wire), e.g. behind a proxy that mishandles them.
    #[arg(long, global = true)]
    no_compression: bool,
    /// Use a local demo server with made-up data instead of the API (no key needed).
    #[arg(long, global = true)]
    demo: bool,
    /// Resources in the demo server (in fleets of 4 identical but for their ID and name).
    #[arg(long, global = true, default_value_t = 100_000, value_name = "N")]
    demo_resources: usize,
    /// Accept a plain http:// base URL whose host is not this machine. The API key then
    /// crosses the network unencrypted.
    #[arg(long, global = true)]
    allow_insecure_http: bool,
}

/// How errors are printed.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorFormat {
    /// `error: <message>`.
    Text,
    /// One JSON object per error, on one line.
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Export a report to CSV, JSON lines or Parquet.
    Export(Box<export::ExportArgs>),
    /// Keep a dataset of the detailed cost report current, month by month, for one account or
    /// several (DESTINATION: a directory, file://PATH or postgres://...)
    Sync(Box<sync::SyncArgs>),
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
    /// The client's error, with what it knows of the answer: exit 2 when the request was refused
    /// before sending, else 1.
    Client(Box<ClientFailure>),
}

/// A [`gcore_billing::Error`] as the CLI reports it.
pub struct ClientFailure {
    /// The kind of error: `invalid_request`, `api`, `network`, `timeout`, ...
    code: &'static str,
    message: String,
    status: Option<u16>,
    request_id: Option<String>,
    operation: Option<&'static str>,
    /// The server's `exception_class`, when its error body has one.
    exception_class: Option<String>,
    usage: bool,
}

impl ClientFailure {
    /// What went wrong, in one line.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl Failure {
    /// The exit code, the error's code and its message (None: exit quietly).
    fn parts(&self) -> (u8, &'static str, Option<&str>) {
        match self {
            Failure::Usage(m) => (2, "usage", Some(m)),
            Failure::Remote(m) => (1, "remote", Some(m)),
            Failure::Data(m) => (1, "data", Some(m)),
            Failure::Local(m) => (3, "local", Some(m)),
            Failure::Interrupted(m) => (130, "interrupted", Some(m)),
            Failure::ReaderGone => (0, "reader_gone", None),
            Failure::Client(c) => (if c.usage { 2 } else { 1 }, c.code, Some(&c.message)),
        }
    }

    fn exit(self, format: ErrorFormat) -> ExitCode {
        ExitCode::from(self.print(format))
    }

    /// Prints the failure on stderr as `format` asks, and returns its exit code (0: nothing to
    /// print).
    pub fn print(&self, format: ErrorFormat) -> u8 {
        let (code, kind, message) = self.parts();
        let Some(message) = message else {
            return 0;
        };
        match format {
            ErrorFormat::Text => eprintln!("error: {message}"),
            ErrorFormat::Json => {
                let client = match &self {
                    Failure::Client(c) => Some(c),
                    _ => None,
                };
                let object = serde_json::json!({
                    "code": kind,
                    "message": message,
                    "exit_code": code,
                    "status": client.and_then(|c| c.status),
                    "request_id": client.and_then(|c| c.request_id.as_deref()),
                    "operation": client.and_then(|c| c.operation),
                    "exception_class": client.and_then(|c| c.exception_class.as_deref()),
                });
                eprintln!("{object}");
            }
        }
        code
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
            Failure::Client(mut c) => {
                c.message.push_str(more);
                Failure::Client(c)
            }
        }
    }
}

impl From<Error> for Failure {
    /// Input the client refused before sending is a usage error; everything else is remote.
    fn from(error: Error) -> Self {
        let code = match &error {
            Error::Config(_) => "config",
            Error::InvalidRequest { .. } => "invalid_request",
            Error::Network { .. } => "network",
            Error::Timeout { .. } => "timeout",
            Error::Api { .. } => "api",
            Error::Decode { .. } => "decode",
            Error::Pagination { .. } => "pagination",
            Error::ResponseTooLarge { .. } => "response_too_large",
            Error::Csv { .. } => "csv",
            _ => "client",
        };
        let exception_class = match &error {
            Error::Api {
                body: Some(body), ..
            } => body.exception_class.clone(),
            _ => None,
        };
        Failure::Client(Box::new(ClientFailure {
            code,
            usage: matches!(error, Error::InvalidRequest { .. } | Error::Config(_)),
            status: error.status().map(|s| s.as_u16()),
            request_id: error.request_id().map(str::to_string),
            operation: error.operation(),
            exception_class,
            message: error.full_message(),
        }))
    }
}

/// A client, the demo server to keep alive (with --demo), and a fingerprint of the key: a SHA-256
/// of it, so that a checkpoint can tell another account's key without holding this one.
pub struct Connected {
    pub client: Client,
    pub _server: Option<FakeServer>,
    pub key_fingerprint: String,
}

/// The most an API key file may hold: a key is a line, so anything near this is not a key file.
const KEY_FILE_LIMIT: u64 = 64 * 1024;
/// The most a `--body @file` may hold (a request is a few KiB; a report's filter lists stay far below).
pub const BODY_FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// The text of `path`, read up to `limit` bytes: a larger file (or an endless one, `/dev/zero`) is a
/// usage error naming it, so memory stays bounded whatever the file is.
pub fn read_limited(path: &Path, limit: u64, what: &str) -> Result<String, Failure> {
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

/// A client for the API or the demo server, with the profile the flags and environment choose.
pub async fn connect(connection: &Connection) -> Result<Connected, Failure> {
    let profile = config::choose(connection.profile.as_deref())?;
    connect_with(connection, &profile).await
}

/// The API key: `--api-key-file`, else GCORE_API_KEY, else the profile's key file or key command.
fn api_key(connection: &Connection, profile: &config::Chosen) -> Result<String, Failure> {
    let from_file = |path: &Path| -> Result<String, Failure> {
        let text = read_limited(path, KEY_FILE_LIMIT, "the API key file")?;
        let key = text.lines().next().unwrap_or("").trim().to_string();
        if key.is_empty() {
            return Err(Failure::Usage(format!(
                "the API key file {} has no key on its first line",
                path.display()
            )));
        }
        Ok(key)
    };
    if profile.own_key_and_url {
        if let Some(path) = profile.key_file() {
            return from_file(&path);
        }
        if let Some(key) = profile.key_from_command() {
            return key;
        }
    }
    if let Some(path) = &connection.api_key_file {
        tracing::debug!(from = %path.display(), "API key from --api-key-file");
        return from_file(path);
    }
    if let Ok(key) = std::env::var("GCORE_API_KEY")
        && !key.trim().is_empty()
    {
        tracing::debug!("API key from GCORE_API_KEY");
        return Ok(key.trim().to_string());
    }
    if let Some(path) = profile.key_file() {
        tracing::debug!(from = %path.display(), profile = ?profile.name, "API key from the profile's api_key_file");
        return from_file(&path);
    }
    if let Some(key) = profile.key_from_command() {
        tracing::debug!(profile = ?profile.name, "API key from the profile's api_key_command");
        return key;
    }
    Err(Failure::Usage(format!(
        "no API key: set GCORE_API_KEY, pass --api-key-file PATH or give the profile an \
         api_key_file ({}), or add --demo to try the local demo server with made-up data",
        profile.describe()
    )))
}

/// [`connect`] with the profile already chosen.
pub async fn connect_with(
    connection: &Connection,
    profile: &config::Chosen,
) -> Result<Connected, Failure> {
    let timeout = match (connection.timeout, &profile.profile.timeout) {
        (Some(timeout), _) => Some(timeout),
        (None, Some(text)) => Some(
            config::parse_duration(text)
                .map_err(|e| Failure::Usage(format!("timeout in {}: {e}", profile.describe())))?,
        ),
        (None, None) => None,
    };
    let max_retries = connection.max_retries.or(profile.profile.max_retries);
    let compression = !connection.no_compression;
    let configure = |mut builder: gcore_billing::ClientBuilder| {
        builder = builder.compression(compression);
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        if let Some(retries) = max_retries {
            builder = builder.max_retries(retries);
        }
        builder
    };
    if connection.demo {
        let server = FakeServer::start(Config::demo(connection.demo_resources))
            .await
            .map_err(|e| Failure::Remote(format!("cannot start the demo server: {e}")))?;
        let client = configure(
            Client::builder()
                .api_key("demo")
                .base_url(server.base_url()),
        )
        .build()?;
        return Ok(Connected {
            client,
            _server: Some(server),
            key_fingerprint: key_fingerprint("demo"),
        });
    }
    let key = api_key(connection, profile)?;
    let fingerprint = key_fingerprint(&key);
    let mut builder = configure(Client::builder().api_key(key));
    let from_flags = connection
        .base_url
        .clone()
        .filter(|url| !url.trim().is_empty());
    let base_url = if profile.own_key_and_url {
        profile.profile.base_url.clone().or(from_flags)
    } else {
        from_flags.or_else(|| profile.profile.base_url.clone())
    };
    if let Some(url) = base_url {
        builder = builder.base_url(url);
    }
    if connection.allow_insecure_http {
        builder = builder.allow_insecure_http();
    }
    let client = builder.build()?;
    tracing::debug!(
        base_url = client.base_url(),
        profile = ?profile.name,
        ?timeout,
        ?max_retries,
        "client ready"
    );
    Ok(Connected {
        client,
        _server: None,
        key_fingerprint: fingerprint,
    })
}

/// Writes `text` and a newline to stdout. A reader that went away (`| head`) ends the command
/// quietly; any other write failure is a local error.
pub fn print_out(text: &str) -> Result<(), Failure> {
    write_out(format!("{text}\n").as_bytes())
}

/// Writes `bytes` to stdout, with [`print_out`]'s handling of a reader that went away.
pub fn write_out(bytes: &[u8]) -> Result<(), Failure> {
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
    Cli::command().mut_subcommand("api", |_| api::api_command())
}

/// The completion script of `shell` for every command, flag and API operation.
fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cli_command(), "gcore-billing", &mut script);
    write_out(&script)
}

/// Installs a tracing subscriber on stderr: `--debug` shows this crate's and the library's debug
/// events; RUST_LOG, when set, is the filter instead. Without either nothing is logged.
fn init_logging(debug: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(filter) if !filter.trim().is_empty() => EnvFilter::new(filter),
        _ if debug => EnvFilter::new("gcore_billing=debug"),
        _ => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// `--error-format json` among raw arguments: what a command line that clap refused asked for.
fn json_errors_requested(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .zip(args.iter().skip(1).map(Some).chain([None]))
        .any(|(arg, next)| {
            arg == "--error-format=json"
                || (arg == "--error-format" && next.is_some_and(|n| n == "json"))
        })
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let matches = match cli_command().try_get_matches_from(&args) {
        Ok(matches) => matches,
        Err(error) => {
            use clap::error::ErrorKind;
            let shown = matches!(
                error.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            );
            if !shown && json_errors_requested(&args) {
                let text = error.render().to_string();
                let message = text
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("")
                    .trim_start_matches("error: ");
                return Failure::Usage(message.to_string()).exit(ErrorFormat::Json);
            }
            error.exit();
        }
    };
    let connection = match Connection::from_arg_matches(&matches) {
        Ok(connection) => connection,
        Err(e) => return Failure::Usage(e.to_string()).exit(ErrorFormat::Text),
    };
    init_logging(connection.debug);
    let format = connection.error_format;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            return Failure::Remote(format!("cannot start the async runtime: {e}")).exit(format);
        }
    };
    let outcome = runtime.block_on(async {
        if let Some(("api", api)) = matches.subcommand() {
            return api::run(&connection, api).await;
        }
        let cli = Cli::from_arg_matches(&matches).map_err(|e| Failure::Usage(e.to_string()))?;
        match cli.command {
            Command::Export(args) => export::run(&cli.connection, *args).await,
            Command::Sync(args) => sync::run(&cli.connection, *args).await,
            Command::Api => Err(Failure::Usage("name an operation".into())),
            Command::Completions { shell } => completions(shell),
        }
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.exit(format),
    }
}
