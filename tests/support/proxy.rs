//! A proxy in front of the sandbox's DeepMotion API on 127.0.0.1 that
//! misbehaves around `POST /process` the way a real network and server
//! can: the answer comes after the client gave up, the connection is
//! reset after the job was created, the request is held long enough for
//! the client to be killed, and `/list` lags behind the jobs just created.
//!
//! It speaks raw HTTP/1.1 over TCP, one request per connection, forwards
//! each request to the sandbox, and counts every `POST /process` it
//! receives. Storage traffic goes to the signed URLs, straight to the
//! sandbox.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with a `POST /process`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnProcess {
    /// Forwards it and passes the answer back.
    Pass,
    /// Forwards it (the job is created), then holds the answer this long.
    AnswerAfter(Duration),
    /// Forwards it (the job is created), then resets the connection
    /// without answering.
    ResetAfterCreate,
}

#[derive(Debug)]
struct Settings {
    on_process: OnProcess,
    list_lag: Duration,
}

/// The proxy. Dropping it stops accepting connections.
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    posts: Arc<AtomicU64>,
    created: Arc<Mutex<HashMap<String, Instant>>>,
    settings: Arc<Mutex<Settings>>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("base", &self.base).finish()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    posts: Arc<AtomicU64>,
    created: Arc<Mutex<HashMap<String, Instant>>>,
    settings: Arc<Mutex<Settings>>,
}

impl Proxy {
    /// A proxy for `upstream` (the sandbox's DeepMotion URL): `POST
    /// /process` as `on_process` says, and `/list` without the jobs
    /// created through it less than `list_lag` ago.
    pub async fn start(upstream: &str, on_process: OnProcess, list_lag: Duration) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let shared = Shared {
            upstream: upstream.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
            posts: Arc::default(),
            created: Arc::default(),
            settings: Arc::new(Mutex::new(Settings {
                on_process,
                list_lag,
            })),
        };
        let proxy_shared = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let shared = proxy_shared.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, &shared).await;
                });
            }
        });
        Proxy {
            base,
            posts: shared.posts,
            created: shared.created,
            settings: shared.settings,
            task,
        }
    }

    /// `POST /process` requests received so far.
    pub fn process_posts(&self) -> u64 {
        self.posts.load(Ordering::SeqCst)
    }

    /// The rids of the jobs created through the proxy.
    pub fn created(&self) -> Vec<String> {
        self.created.lock().unwrap().keys().cloned().collect()
    }

    /// Changes what the next `POST /process` gets.
    pub fn set_on_process(&self, on_process: OnProcess) {
        self.settings.lock().unwrap().on_process = on_process;
    }

    /// Changes how long `/list` hides a job just created.
    pub fn set_list_lag(&self, lag: Duration) {
        self.settings.lock().unwrap().list_lag = lag;
    }
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn serve(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let path = request
        .target
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let process = request.method == "POST" && path == "/process";
    if process {
        shared.posts.fetch_add(1, Ordering::SeqCst);
    }
    let method = reqwest::Method::from_bytes(request.method.as_bytes()).expect("method");
    let mut forward = shared
        .http
        .request(method, format!("{}{}", shared.upstream, request.target))
        .body(request.body);
    for (name, value) in &request.headers {
        if !matches!(
            name.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            forward = forward.header(name, value);
        }
    }
    let answer = forward.send().await.expect("the sandbox answers");
    let status = answer.status().as_u16();
    let headers: Vec<(String, String)> = answer
        .headers()
        .iter()
        .filter(|(n, _)| {
            !matches!(
                n.as_str(),
                "content-length" | "connection" | "transfer-encoding"
            )
        })
        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    let mut body = answer.bytes().await.expect("the sandbox's body").to_vec();
    let (on_process, lag) = {
        let settings = shared.settings.lock().unwrap();
        (settings.on_process, settings.list_lag)
    };
    if process && status == 200 {
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if let Some(rid) = value["rid"].as_str() {
            shared
                .created
                .lock()
                .unwrap()
                .insert(rid.to_owned(), Instant::now());
        }
        match on_process {
            OnProcess::Pass => {}
            OnProcess::AnswerAfter(delay) => tokio::time::sleep(delay).await,
            // Closed without a byte of answer.
            OnProcess::ResetAfterCreate => return Ok(()),
        }
    }
    if request.method == "GET" && path.starts_with("/list") && status == 200 {
        body = hide_recent(&body, &shared.created.lock().unwrap(), lag);
    }
    let mut head = format!("HTTP/1.1 {status} Proxy\r\nconnection: close\r\n");
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&body).await?;
    stream.flush().await?;
    let _ = stream.shutdown().await;
    Ok(())
}

/// A `/list` answer without the jobs created less than `lag` ago.
fn hide_recent(body: &[u8], created: &HashMap<String, Instant>, lag: Duration) -> Vec<u8> {
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return body.to_vec();
    };
    if let Some(list) = value["list"].as_array_mut() {
        list.retain(|job| {
            let rid = job["rid"].as_str().unwrap_or_default();
            created.get(rid).is_none_or(|at| at.elapsed() >= lag)
        });
        let count = list.len();
        value["count"] = count.into();
    }
    serde_json::to_vec(&value).unwrap()
}

/// Reads one request: its head (at most 256 KiB) and its body.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let read = crate::hostile::read_request_with_body(stream, true).await?;
    Ok(read.map(|(seen, body)| Request {
        method: seen.method,
        target: seen.target,
        headers: seen.headers,
        body,
    }))
}
