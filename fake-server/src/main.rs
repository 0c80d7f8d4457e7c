//! `cargo run -p gcore-billing-fake -- [--port P] [--resources N] [--seed S] [--max-page N]
//! [--fleet N] [--price-status show|hide|error]`: serves the fake billing API on 127.0.0.1 (port P,
//! or a free one) until interrupted, and prints its base URL.

use std::process::ExitCode;
use std::str::FromStr;

use gcore_billing_fake::{Config, FakeServer};

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--port" => config.port = parse(&flag, &value)?,
            "--resources" => config.resources = parse(&flag, &value)?,
            "--seed" => config.seed = parse(&flag, &value)?,
            "--max-page" => config.max_page = parse(&flag, &value)?,
            "--fleet" => config.fleet = parse(&flag, &value)?,
            "--price-status" => config.price_status = value,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let server = FakeServer::start(config)
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
    println!("{}", server.base_url());
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| format!("cannot wait for Ctrl-C: {e}"))
}

/// A flag's value, or an error naming the flag and the value.
fn parse<T: FromStr>(flag: &str, value: &str) -> Result<T, String>
where
    T::Err: std::fmt::Display,
{
    value.parse().map_err(|e| format!("{flag} {value:?}: {e}"))
}
