//! `motionkit-fleet-worker`: one member of a fleet, in its own OS process,
//! built on the motionkit libraries, for `tests/fleet.rs`.
//!
//! ```text
//! motionkit-fleet-worker requests URL TOKEN STORE N START_AT_MS
//!     N concurrent MotionDynamic theme reads through one Client, all
//!     released at START_AT_MS (Unix time), with the client's default
//!     rate limit kept in STORE: `process`, `machine:DIR` or `redis:URL`.
//!     Prints `ok=N failed=M done_ms=T` (T: Unix ms when the last ended).
//! motionkit-fleet-worker receive SERVICE DEDUPE SECRET [crash]
//!     A webhook receiver replica on 127.0.0.1 (SERVICE `deepmotion` or
//!     `motiondynamic`; DEDUPE `memory`, `redis:URL` or
//!     `redis:URL#lease=MS`; SECRET the shared HMAC secret or path token).
//!     Prints `listening http://ADDR`, then `acted KEY` for every event it
//!     acts on and confirms, until stdin closes. With `crash`, it prints
//!     `took KEY` for the first event and exits at once, between the claim
//!     and the confirmation.
//! ```
//!
//! Logs (`RUST_LOG`, default `warn`) go to stderr.

use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use motionkit_motiondynamic::ThemesQuery;
use motionkit_motiondynamic::{Client, DedupeStore, RateLimitStore};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fleet-worker: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.as_slice() {
        ["requests", url, token, store, n, start_at] => {
            runtime.block_on(requests(url, token, store, n, start_at))
        }
        ["receive", service, dedupe, secret] => {
            runtime.block_on(receive(service, dedupe, secret, false))
        }
        ["receive", service, dedupe, secret, "crash"] => {
            runtime.block_on(receive(service, dedupe, secret, true))
        }
        _ => Err("usage: see the source of tests/bin/fleet_worker.rs".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet-worker: {e}");
            ExitCode::FAILURE
        }
    }
}

fn store(spec: &str) -> Result<RateLimitStore, String> {
    match spec.split_once(':') {
        _ if spec == "process" => Ok(RateLimitStore::process()),
        Some(("machine", dir)) => Ok(RateLimitStore::machine_wide_in(dir)),
        Some(("redis", url)) => Ok(RateLimitStore::redis(url)),
        _ => Err(format!("unknown store {spec}")),
    }
}

fn dedupe(spec: &str) -> Result<DedupeStore, String> {
    match spec.split_once(':') {
        _ if spec == "memory" => Ok(DedupeStore::in_memory()),
        Some(("redis", url)) => {
            let (url, lease) = match url.split_once("#lease=") {
                Some((url, ms)) => (url, Some(ms.parse::<u64>().map_err(|e| e.to_string())?)),
                None => (url, None),
            };
            let store = DedupeStore::redis(url).map_err(|e| e.to_string())?;
            Ok(match lease {
                Some(ms) => store.with_lease(Duration::from_millis(ms)),
                None => store,
            })
        }
        _ => Err(format!("unknown dedupe store {spec}")),
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

async fn requests(
    url: &str,
    token: &str,
    store_spec: &str,
    n: &str,
    start_at: &str,
) -> Result<(), String> {
    let n: usize = n.parse().map_err(|e| format!("N: {e}"))?;
    let start_at: u64 = start_at.parse().map_err(|e| format!("START_AT_MS: {e}"))?;
    let client = Client::builder(url, token.to_owned())
        .rate_limit_store(store(store_spec)?)
        .build()
        .map_err(|e| e.to_string())?;
    let now = unix_ms();
    if start_at > now {
        tokio::time::sleep(Duration::from_millis(start_at - now)).await;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let client = client.clone();
        tasks.spawn(async move {
            client
                .themes(&ThemesQuery::new())
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        });
    }
    let (mut ok, mut failed) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined.map_err(|e| e.to_string())? {
            Ok(()) => ok += 1,
            Err(e) => {
                failed += 1;
                eprintln!("request failed: {e}");
            }
        }
    }
    println!("ok={ok} failed={failed} done_ms={}", unix_ms());
    Ok(())
}

/// Acts on an event: prints its key, then confirms it; or, for a replica
/// that crashes, prints that it took it and exits before confirming.
fn act<T>(event: motionkit_transport::Delivered<T>, key: &str, crash: bool) -> T {
    use std::io::Write as _;
    if crash {
        println!("took {key}");
        let _ = std::io::stdout().flush();
        std::process::exit(9);
    }
    println!("acted {key}");
    let _ = std::io::stdout().flush();
    event.confirm()
}

async fn receive(
    service: &str,
    dedupe_spec: &str,
    secret: &str,
    crash: bool,
) -> Result<(), String> {
    let store = dedupe(dedupe_spec)?;
    let router = match service {
        "motiondynamic" => {
            let (events, mut ready) = tokio::sync::mpsc::channel(1024);
            let receiver = motionkit_motiondynamic::WebhookReceiver::with_secret(
                "http://replica",
                secret.as_bytes().to_vec(),
            )
            .accept_peer_keys()
            .dedupe(store)
            .with_events(events);
            tokio::spawn(async move {
                while let Some(event) = ready.recv().await {
                    let key = event.key.clone();
                    act(event, &key, crash);
                }
            });
            receiver.router()
        }
        "deepmotion" => {
            let token =
                motionkit_deepmotion::PathToken::from_secret(secret).map_err(|e| e.to_string())?;
            let (sender, mut events) = tokio::sync::mpsc::channel(64);
            let router = motionkit_deepmotion::WebhookReceiver::new("fleet-client")
                .path_token(token)
                .dedupe(store)
                .with_events(sender)
                .router();
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    let rid = event.rid.clone();
                    act(event, &rid, crash);
                }
            });
            router
        }
        other => return Err(format!("unknown service {other}")),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    println!("listening http://{addr}");
    // Runs until the test closes stdin.
    tokio::task::spawn_blocking(|| {
        use std::io::BufRead as _;
        for _ in std::io::stdin().lock().lines().map_while(Result::ok) {}
    })
    .await
    .map_err(|e| e.to_string())
}
