//! Benchmark 7: one MotionDynamic rate budget across processes. Four
//! `motionkit-bench worker fleet` processes make 100 requests each, released at
//! the same moment, against one sandbox enforcing 5 requests per second;
//! their limiter state is per process, machine-wide (a locked file), or in
//! Redis. Shows the aggregate rate achieved and the 429s the sandbox
//! counted.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use motionkit_motiondynamic::ThemesQuery;
use motionkit_motiondynamic::{Client, RateLimitStore};
use motionkit_sandbox::mint_token;
use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};

use super::{Row, Section};

/// Section title.
pub const TITLE: &str = "7. One rate budget across processes";
/// Worker processes.
pub const PROCESSES: usize = 4;
/// Requests per process.
pub const REQUESTS: usize = 100;
/// Requests per second the sandbox allows.
pub const RATE: u32 = 5;
/// Seconds the sandbox blocks after a breach (shorter than the real 60 s,
/// so that the per-process row ends in reasonable time).
pub const BLOCK_SECS: f64 = 5.0;
/// Target aggregate rate for the shared stores.
pub const TARGET_RATE: f64 = 4.8;
const SECRET: &str = "motionkit-bench-fleet-secret";

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What one configuration achieved.
#[derive(Debug)]
struct Outcome {
    ok: usize,
    failed: usize,
    seconds: f64,
    rate_limited: u64,
}

/// Benchmark 7.
pub async fn run() -> Result<Section, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let redis = Redis::find_or_start()?;
    let mut stores = vec![
        ("per-process limiters", "process".to_owned()),
        (
            "machine-wide file",
            format!("machine:{}", dir.path().display()),
        ),
    ];
    if let Some(redis) = &redis {
        stores.push(("Redis", format!("redis:{}", redis.url)));
    }
    let mut section = Section::new(TITLE);
    for (name, store) in &stores {
        eprintln!("bench: 7. {name}");
        let outcome = one_run(store).await?;
        let rate = outcome.ok as f64 / outcome.seconds;
        let shared = *name != "per-process limiters";
        let mut row = Row::new(
            format!("{PROCESSES} processes × {REQUESTS} requests, {name}"),
            format!(
                "{rate:.2} req/s, {} × 429, {} failed",
                outcome.rate_limited, outcome.failed
            ),
        )
        .baseline(format!("{RATE} req/s allowed"))
        .ratio(format!("{:.3}", rate / f64::from(RATE)));
        if shared {
            row = row.target(
                format!("≥ {TARGET_RATE} req/s, 0 × 429"),
                rate >= TARGET_RATE && outcome.rate_limited == 0 && outcome.failed == 0,
            );
        }
        section.rows.push(row);
        section.notes.push(format!(
            "{name}: {} of {} requests succeeded in {:.1} s; the sandbox counted {} × 429.",
            outcome.ok,
            PROCESSES * REQUESTS,
            outcome.seconds,
            outcome.rate_limited
        ));
    }
    if redis.is_none() {
        section.rows.push(
            Row::new(
                "Redis",
                "not run: no redis-server on PATH and no MOTIONKIT_REDIS_URL",
            )
            .target("run", false),
        );
    }
    section.notes.insert(
        0,
        format!(
            "Method: an in-process sandbox with `rate_limit = {RATE}` and `rate_limit_block = \
             {BLOCK_SECS:.0}`; {PROCESSES} `motionkit-bench worker fleet` processes, each one \
             `motionkit_motiondynamic::Client` with its default limiter (5/s, burst 4) and the \
             given `RateLimitStore`, start {REQUESTS} concurrent theme reads at the same \
             moment. The rate is successful requests per second from that moment to the last \
             answer. Redis is `MOTIONKIT_REDIS_URL`, or a `redis-server` started on a free \
             loopback port."
        ),
    );
    Ok(section)
}

async fn one_run(store: &str) -> Result<Outcome, String> {
    let args = SandboxArgs::default()
        .deepmotion_port(0)
        .motiondynamic_port(0)
        .rate_limit(RATE)
        .rate_limit_block(BLOCK_SECS)
        .jwt_secret(SECRET.into());
    let config = SandboxConfig::from_args(args).map_err(|e| e.to_string())?;
    let sandbox = Sandbox::start(config).await.map_err(|e| e.to_string())?;
    let result = workers(&sandbox, store).await;
    let rate_limited = sandbox.motiondynamic().rate_limited();
    sandbox.shutdown().await;
    let (ok, failed, seconds) = result?;
    Ok(Outcome {
        ok,
        failed,
        seconds,
        rate_limited,
    })
}

async fn workers(sandbox: &Sandbox, store: &str) -> Result<(usize, usize, f64), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let token = mint_token(SECRET, 3600);
    let start_at = unix_ms() + 1000;
    let mut children: Vec<Child> = Vec::new();
    for _ in 0..PROCESSES {
        let child = Command::new(&exe)
            .args(["worker", "fleet"])
            .arg(sandbox.motiondynamic_url())
            .arg(&token)
            .arg(store)
            .arg(REQUESTS.to_string())
            .arg(start_at.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot run the worker: {e}"))?;
        children.push(child);
    }
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(Child::wait_with_output)
            .collect::<Result<Vec<_>, _>>()
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| e.to_string())?;
    let (mut ok, mut failed, mut last) = (0, 0, start_at);
    for output in outputs {
        let text = String::from_utf8_lossy(&output.stdout);
        for part in text.split_whitespace() {
            match part.split_once('=') {
                Some(("ok", n)) => ok += n.parse::<usize>().unwrap_or(0),
                Some(("failed", n)) => failed += n.parse::<usize>().unwrap_or(0),
                Some(("done_ms", t)) => last = last.max(t.parse().unwrap_or(0)),
                _ => {}
            }
        }
    }
    let seconds = last.saturating_sub(start_at) as f64 / 1000.0;
    Ok((ok, failed, seconds.max(0.001)))
}

/// `motionkit-bench worker fleet URL TOKEN STORE N START_AT_MS`: N concurrent
/// theme reads from one client, released at START_AT_MS; prints
/// `ok=N failed=M done_ms=T`.
pub async fn worker(args: &[&str]) -> Result<String, String> {
    let [url, token, store, n, start_at] = args else {
        return Err("usage: motionkit-bench worker fleet URL TOKEN STORE N START_AT_MS".into());
    };
    let store = match store.split_once(':') {
        _ if *store == "process" => RateLimitStore::process(),
        Some(("machine", dir)) => RateLimitStore::machine_wide_in(dir),
        Some(("redis", url)) => RateLimitStore::redis(url),
        _ => return Err(format!("unknown store {store}")),
    };
    let n: usize = n.parse().map_err(|e| format!("N: {e}"))?;
    let start_at: u64 = start_at.parse().map_err(|e| format!("START_AT_MS: {e}"))?;
    let client = Client::builder(*url, (*token).to_owned())
        .rate_limit_store(store)
        .build()
        .map_err(|e| e.to_string())?;
    tokio::time::sleep(Duration::from_millis(start_at.saturating_sub(unix_ms()))).await;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..n {
        let client = client.clone();
        tasks.spawn(async move { client.themes(&ThemesQuery::new()).await.is_ok() });
    }
    let (mut ok, mut failed) = (0, 0);
    while let Some(done) = tasks.join_next().await {
        if done.unwrap_or(false) {
            ok += 1;
        } else {
            failed += 1;
        }
    }
    Ok(format!("ok={ok} failed={failed} done_ms={}", unix_ms()))
}

/// The Redis the benchmark uses: `MOTIONKIT_REDIS_URL`, or its own
/// `redis-server` (stopped when dropped), or none.
struct Redis {
    url: String,
    child: Option<Child>,
}

impl Redis {
    fn find_or_start() -> Result<Option<Redis>, String> {
        if let Ok(url) = std::env::var("MOTIONKIT_REDIS_URL") {
            return Ok(Some(Redis { url, child: None }));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let child = match Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(_) => return Ok(None),
        };
        let redis = Redis {
            url: format!("redis://127.0.0.1:{port}"),
            child: Some(child),
        };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(Some(redis));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err("redis-server did not start".into())
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
