//! The server binary listens where `--port` says, and says where.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn port_flag_picks_the_port_and_the_first_line_is_the_base_url() {
    // A port that was free a moment ago.
    let port = std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gcore-billing-fake"))
        .args(["--port", &port.to_string(), "--resources", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("a line");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(line.trim(), format!("http://127.0.0.1:{port}"));

    let output = Command::new(env!("CARGO_BIN_EXE_gcore-billing-fake"))
        .args(["--port", "not-a-port"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("error: --port \"not-a-port\": invalid digit"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
