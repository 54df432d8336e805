//! A hostile HTTP server on 127.0.0.1: it answers as a broken or malicious
//! server would (huge and endless bodies, silence after the headers, a
//! trickle, absurd cookies, hostile names and redirects), so tests can
//! show that the clients and the CLI stay bounded in memory and time.
//!
//! It speaks raw HTTP/1.1 over TCP, one request per connection, so every
//! byte it sends is under the test's control. Every request it receives is
//! recorded (method, path, headers) for the test to inspect.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the hostile server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The request target, query included.
    pub target: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
}

impl Seen {
    /// The path without the query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    /// The first value of header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// How the body of a reply is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// These bytes, with their `Content-Length`.
    Bytes(Vec<u8>),
    /// `n` bytes of `fill` with `Content-Length: n`.
    Sized(u64, u8),
    /// Chunked bytes of `fill`, without end.
    Endless(u8),
    /// `Content-Length: n`, then nothing, connection held open.
    Silent(u64),
    /// One byte every `every`, announcing `n` bytes.
    Trickle {
        /// The announced length.
        n: u64,
        /// The pause between bytes.
        every: Duration,
    },
}

/// One reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub payload: Payload,
}

impl Reply {
    /// A reply with `status` and a body.
    pub fn new(status: u16, payload: Payload) -> Self {
        Reply {
            status,
            headers: Vec::new(),
            payload,
        }
    }

    /// A JSON reply.
    pub fn json(status: u16, body: impl Into<String>) -> Self {
        Reply::new(status, Payload::Bytes(body.into().into_bytes()))
            .header("content-type", "application/json")
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

type Route = dyn Fn(&Seen) -> Reply + Send + Sync;

/// The server. Dropping it stops accepting connections.
pub struct Hostile {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    sent_bytes: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hostile").field("base", &self.base).finish()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hostile {
    /// Serves `route` on a free port until dropped.
    pub async fn start(route: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sent_bytes = Arc::new(AtomicU64::new(0));
        let route: Arc<Route> = Arc::new(route);
        let (seen_in, sent_in) = (seen.clone(), sent_bytes.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (route, seen, sent) = (route.clone(), seen_in.clone(), sent_in.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &*route, &seen, &sent).await;
                });
            }
        });
        Hostile {
            base,
            seen,
            sent_bytes,
            task,
        }
    }

    /// Every request received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Requests received for paths starting with `prefix`.
    pub fn count(&self, method: &str, prefix: &str) -> usize {
        self.seen()
            .iter()
            .filter(|s| s.method == method && s.path().starts_with(prefix))
            .count()
    }

    /// Body bytes the server managed to write, over all replies.
    pub fn body_bytes_sent(&self) -> u64 {
        self.sent_bytes.load(Ordering::Relaxed)
    }
}

async fn serve(
    mut stream: TcpStream,
    route: &Route,
    seen: &Mutex<Vec<Seen>>,
    sent: &AtomicU64,
) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    seen.lock().unwrap().push(request.clone());
    let reply = route(&request);
    let mut head = format!("HTTP/1.1 {} Hostile\r\nconnection: close\r\n", reply.status);
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match &reply.payload {
        Payload::Bytes(bytes) => head.push_str(&format!("content-length: {}\r\n", bytes.len())),
        Payload::Sized(n, _) | Payload::Silent(n) | Payload::Trickle { n, .. } => {
            head.push_str(&format!("content-length: {n}\r\n"))
        }
        Payload::Endless(_) => head.push_str("transfer-encoding: chunked\r\n"),
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    let count = |n: usize| {
        sent.fetch_add(n as u64, Ordering::Relaxed);
    };
    match reply.payload {
        Payload::Bytes(bytes) => {
            stream.write_all(&bytes).await?;
            count(bytes.len());
        }
        Payload::Sized(n, fill) => {
            let block = vec![fill; 256 * 1024];
            let mut left = n;
            while left > 0 {
                let take = left.min(block.len() as u64) as usize;
                stream.write_all(&block[..take]).await?;
                count(take);
                left -= take as u64;
            }
        }
        Payload::Endless(fill) => {
            let data = vec![fill; 64 * 1024];
            let mut chunk = format!("{:x}\r\n", data.len()).into_bytes();
            chunk.extend_from_slice(&data);
            chunk.extend_from_slice(b"\r\n");
            loop {
                stream.write_all(&chunk).await?;
                count(data.len());
            }
        }
        Payload::Silent(_) => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        Payload::Trickle { n, every } => {
            for _ in 0..n {
                stream.write_all(b"x").await?;
                stream.flush().await?;
                count(1);
                tokio::time::sleep(every).await;
            }
        }
    }
    stream.flush().await?;
    let _ = stream.shutdown().await;
    Ok(())
}

/// Reads one request head (at most 256 KiB) and discards its body.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Seen>> {
    Ok(read_request_with_body(stream, false)
        .await?
        .map(|(seen, _)| seen))
}

/// Reads one request: its head (at most 256 KiB), and its body, kept when
/// `keep_body` (else read and dropped). `None` when the connection closes
/// before a whole head arrives.
pub(crate) async fn read_request_with_body(
    stream: &mut TcpStream,
    keep_body: bool,
) -> std::io::Result<Option<(Seen, Vec<u8>)>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        if buffer.len() > 256 * 1024 {
            return Ok(None);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split(' ');
    let method = first.next().unwrap_or_default().to_owned();
    let target = first.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length: u64 = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = if keep_body {
        buffer[end + 4..].to_vec()
    } else {
        Vec::new()
    };
    let mut left = length.saturating_sub((buffer.len() - end - 4) as u64);
    while left > 0 {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        if keep_body {
            body.extend_from_slice(&chunk[..n]);
        }
        left = left.saturating_sub(n as u64);
    }
    Ok(Some((
        Seen {
            method,
            target,
            headers,
        },
        body,
    )))
}

/// A `Set-Cookie` login answer for DeepMotion's `/session/auth`.
pub fn login(cookie_attributes: &str) -> Reply {
    Reply::json(200, "{}").header(
        "set-cookie",
        format!("dmsess=hostile-session; Path=/; {cookie_attributes}"),
    )
}

/// A DeepMotion server that knows the rids starting with `known-`: a
/// `/status` or `/download` batch gets their entries, or 404 when it has
/// none of them, as the API answers a batch of unknown ids.
pub fn knows_some_rids(seen: &Seen) -> Reply {
    let path = seen.path();
    let (endpoint, joined) = path
        .trim_start_matches('/')
        .split_once('/')
        .unwrap_or_default();
    let known: Vec<&str> = joined
        .split(',')
        .filter(|rid| rid.starts_with("known-"))
        .collect();
    if known.is_empty() {
        return Reply::json(404, r#"{"message":"not found"}"#);
    }
    let entries: Vec<String> = match endpoint {
        "status" => known
            .iter()
            .map(|rid| {
                format!(r#"{{"rid":"{rid}","status":"SUCCESS","details":{{"In":"i","out":"o"}}}}"#)
            })
            .collect(),
        _ => known
            .iter()
            .map(|rid| format!(r#"{{"rid":"{rid}"}}"#))
            .collect(),
    };
    let list = if endpoint == "status" {
        "status"
    } else {
        "links"
    };
    Reply::json(
        200,
        format!(
            r#"{{"count":{},"{list}":[{}]}}"#,
            entries.len(),
            entries.join(",")
        ),
    )
}

/// 200 known rids, then 100 unknown ones, each 26 bytes like the API's.
pub fn three_hundred_rids() -> Vec<String> {
    (0..300)
        .map(|i| {
            let prefix = if i < 200 { "known-" } else { "other-" };
            format!("{prefix}{i:020}")
        })
        .collect()
}
