//! A programmable HTTP/1.1 server on 127.0.0.1 for the hostile and broken answers the fake server does
//! not give (lying counts, endless or huge bodies, bodies cut short). Each connection carries one
//! request, answered as the test's handler says, and is then closed.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server answers.
pub enum Reply {
    /// A status, a content type, extra headers and a whole body (with its Content-Length).
    Full {
        status: u16,
        content_type: &'static str,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// A 200 whose body trickles in one byte every `pause`, without end.
    Trickle { pause: Duration },
    /// A 200 with `total` bytes of filler, declared by Content-Length or sent chunked.
    Huge { total: u64, declared: bool },
    /// A 200 declaring `declared` bytes, of which only `sent` arrive before the connection closes.
    CutShort { declared: usize, sent: Vec<u8> },
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Self {
        Reply::Full {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body: serde_json::to_vec(body).expect("JSON"),
        }
    }

    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Reply::Full { headers, .. } = &mut self {
            headers.push((name, value.to_string()));
        }
        self
    }
}

/// A request as the server read it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub target: String,
    pub body: Option<Value>,
}

impl Seen {
    /// `offset` and `limit` of a paged request body.
    pub fn window(&self) -> (u64, u64) {
        let field = |name: &str| {
            self.body
                .as_ref()
                .and_then(|b| b.get(name))
                .and_then(Value::as_u64)
                .expect("paged request")
        };
        (field("offset"), field("limit"))
    }
}

pub struct Hostile {
    addr: std::net::SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hostile {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

type Handler = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

/// Starts a server whose `handler` gets the request's arrival index (0-based) and the request.
pub async fn start(handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Hostile {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handler: Arc<Handler> = Arc::new(handler);
    let task = {
        let seen = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (seen, handler) = (seen.clone(), handler.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &seen, &*handler).await;
                });
            }
        })
    };
    Hostile { addr, seen, task }
}

async fn serve(
    mut stream: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    handler: &Handler,
) -> std::io::Result<()> {
    let request = read_request(&mut stream).await?;
    let index = {
        let mut seen = seen.lock().expect("lock");
        seen.push(request.clone());
        seen.len() - 1
    };
    match handler(index, &request) {
        Reply::Full {
            status,
            content_type,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                head.push_str(&format!("{name}: {value}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Reply::Trickle { pause } => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            loop {
                stream.write_all(b"1\r\n \r\n").await?;
                tokio::time::sleep(pause).await;
            }
        }
        Reply::Huge { total, declared } => {
            let framing = if declared {
                format!("content-length: {total}")
            } else {
                "transfer-encoding: chunked".to_string()
            };
            stream
                .write_all(
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{framing}\r\n\r\n"
                    )
                    .as_bytes(),
                )
                .await?;
            let chunk = vec![b' '; 64 * 1024];
            let mut left = total;
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                if declared {
                    stream.write_all(&chunk[..n]).await?;
                } else {
                    stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                    stream.write_all(&chunk[..n]).await?;
                    stream.write_all(b"\r\n").await?;
                }
                left -= n as u64;
            }
            if !declared {
                stream.write_all(b"0\r\n\r\n").await?;
            }
        }
        Reply::CutShort { declared, sent } => {
            stream
                .write_all(
                    format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {declared}\r\n\r\n")
                        .as_bytes(),
                )
                .await?;
            stream.write_all(&sent).await?;
        }
    }
    stream.flush().await?;
    Ok(())
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Seen> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 || buffer.len() > 1 << 20 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.lines();
    let mut start = lines.next().unwrap_or("").split_whitespace();
    let method = start.next().unwrap_or("").to_string();
    let target = start.next().unwrap_or("").to_string();
    let length: usize = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body = (length > 0)
        .then(|| serde_json::from_slice(&buffer[head_end..head_end + length]).ok())
        .flatten();
    Ok(Seen {
        method,
        target,
        body,
    })
}
