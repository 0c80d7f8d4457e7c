//! A real PostgreSQL server for a test: a cluster made by `initdb` in a temporary directory and
//! started on a free port of 127.0.0.1, from the machine's PostgreSQL binaries (on PATH, else the
//! newest /usr/lib/postgresql/*/bin). PostgreSQL refuses to run as root, so when the tests run as
//! root the cluster belongs to, and the server runs as, the unprivileged user `nobody`. The server
//! stops and its directory goes when the value drops.

use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The uid and gid of `nobody` on Debian.
const NOBODY: u32 = 65534;

pub struct Postgres {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
    /// Whether TCP connections must use TLS (the test's own client then uses the Unix socket).
    tls_only: bool,
}

/// A server certificate and its private key, PEM.
pub struct ServerCertificate {
    pub certificate: String,
    pub key: String,
}

/// The folder holding `initdb` and `postgres`.
fn binaries() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file());
    if let Some(dir) = on_path {
        return dir;
    }
    let mut installed: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("bin"))
                .filter(|bin| bin.join("initdb").is_file())
                .collect()
        })
        .unwrap_or_default();
    installed.sort();
    installed.pop().expect(
        "no PostgreSQL server binaries (initdb, postgres) on PATH or in /usr/lib/postgresql/*/bin: \
         install Debian's postgresql package (.ci/run does)",
    )
}

/// A command that runs as `nobody` when this process is root.
fn command(program: &Path) -> Command {
    let mut command = Command::new(program);
    // SAFETY: geteuid only reads the process's effective user ID.
    if unsafe { libc::geteuid() } == 0 {
        command.uid(NOBODY).gid(NOBODY);
    }
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Postgres {
    /// Makes and starts a cluster; returns once it accepts connections.
    pub async fn start() -> Postgres {
        Self::start_with(None).await
    }

    /// Makes and starts a cluster that accepts TCP connections over TLS only, with this
    /// certificate.
    pub async fn start_with_tls(certificate: ServerCertificate) -> Postgres {
        Self::start_with(Some(certificate)).await
    }

    async fn start_with(tls: Option<ServerCertificate>) -> Postgres {
        let bin = binaries();
        let dir = tempfile::Builder::new()
            .prefix("gcore-cli-postgres-")
            .tempdir()
            .expect("temp dir");
        // SAFETY: geteuid only reads the process's effective user ID.
        if unsafe { libc::geteuid() } == 0 {
            std::os::unix::fs::chown(dir.path(), Some(NOBODY), Some(NOBODY)).expect("chown");
        }
        let data = dir.path().join("data");
        let initdb = command(&bin.join("initdb"))
            .args([
                "--auth=trust",
                "--username=postgres",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg("-D")
            .arg(&data)
            .stdout(Stdio::null())
            .output()
            .expect("initdb runs");
        assert!(
            initdb.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        let mut settings: Vec<String> = Vec::new();
        let tls_only = tls.is_some();
        if let Some(tls) = tls {
            use std::os::unix::fs::PermissionsExt as _;
            let (certificate, key) = (data.join("server.crt"), data.join("server.key"));
            std::fs::write(&certificate, tls.certificate).expect("certificate");
            std::fs::write(&key, tls.key).expect("key");
            // PostgreSQL refuses a key that others can read.
            std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
            // SAFETY: geteuid only reads the process's effective user ID.
            if unsafe { libc::geteuid() } == 0 {
                for file in [&certificate, &key] {
                    std::os::unix::fs::chown(file, Some(NOBODY), Some(NOBODY)).expect("chown");
                }
            }
            // TCP over TLS only; the Unix socket (the test's own client) as before.
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 trust\n",
            )
            .expect("pg_hba.conf");
            settings.extend(["ssl=on".into(), "ssl_cert_file=server.crt".into()]);
            settings.push("ssl_key_file=server.key".into());
        }
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
        let mut server = command(&bin.join("postgres"));
        for setting in &settings {
            server.arg("-c").arg(setting);
        }
        let child = server
            .arg("-D")
            .arg(&data)
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", dir.path().display()))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("postgres starts");
        let server = Postgres {
            child,
            dir,
            port,
            tls_only,
        };
        let started = Instant::now();
        loop {
            match tokio_postgres::connect(&server.own_url(), tokio_postgres::NoTls).await {
                Ok(_) => break,
                Err(e) if started.elapsed() < Duration::from_secs(60) => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!(
                    "PostgreSQL did not start: {e}; its log: {}",
                    std::fs::read_to_string(server.dir.path().join("server.log"))
                        .unwrap_or_default()
                ),
            }
        }
        server
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// What the test's own client connects to: the TCP URL, or the Unix socket when TCP needs TLS.
    fn own_url(&self) -> String {
        if self.tls_only {
            format!(
                "host={} port={} user=postgres dbname=postgres",
                self.dir.path().display(),
                self.port
            )
        } else {
            self.url()
        }
    }

    /// A client of the server, for the test's own queries.
    pub async fn client(&self) -> tokio_postgres::Client {
        let (client, connection) = tokio_postgres::connect(&self.own_url(), tokio_postgres::NoTls)
            .await
            .expect("connects");
        tokio::spawn(connection);
        client
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT: PostgreSQL's fast shutdown (its backends end too).
        if let Ok(pid) = i32::try_from(self.child.id()) {
            // SAFETY: kill with our child's pid and SIGINT only sends a signal.
            unsafe {
                libc::kill(pid, libc::SIGINT);
            }
        }
        let _ = self.child.wait();
    }
}
