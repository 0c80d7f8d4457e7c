//! `cargo run -p gcore-billing-fake -- [--resources N] [--seed S] [--max-page N] [--fleet N]
//! [--price-status show|hide|error]`: serves the fake billing API on a free port of 127.0.0.1 until
//! interrupted, and prints its base URL.

use gcore_billing_fake::{Config, FakeServer};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        match flag.as_str() {
            "--resources" => config.resources = value.parse().map_err(std::io::Error::other)?,
            "--seed" => config.seed = value.parse().map_err(std::io::Error::other)?,
            "--max-page" => config.max_page = value.parse().map_err(std::io::Error::other)?,
            "--fleet" => config.fleet = value.parse().map_err(std::io::Error::other)?,
            "--price-status" => config.price_status = value,
            other => return Err(std::io::Error::other(format!("unknown flag {other}"))),
        }
    }
    let server = FakeServer::start(config).await?;
    println!("{}", server.base_url());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
