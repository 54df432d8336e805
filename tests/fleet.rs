//! Beyond one process: OS processes that share one MotionDynamic rate
//! budget (a machine-wide file, or Redis), the fallback when Redis is
//! down, and webhook receiver replicas behind a round-robin forwarder that
//! act on a repeated delivery once.
//!
//! Each member is a `motionkit-fleet-worker` process (`tests/bin/`), built
//! on the libraries. The Redis tests read `MOTIONKIT_TEST_REDIS_URL`, which
//! `.ci/run` sets after starting `redis-server`; without it they are
//! skipped locally and fail under CI (`CI` set), so CI cannot skip them
//! silently.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use motionkit_sandbox::mint_token;

const WORKER: &str = env!("CARGO_BIN_EXE_motionkit-fleet-worker");
const JWT_SECRET: &str = "motionkit-fleet-test-secret";
const WORKERS: usize = 4;
const REQUESTS: usize = 25;

/// The Redis the tests may use, or `None` (skip) outside CI.
fn redis_url() -> Option<String> {
    match std::env::var("MOTIONKIT_TEST_REDIS_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "MOTIONKIT_TEST_REDIS_URL is not set under CI: .ci/run must start redis-server \
                 and export it"
            );
            eprintln!(
                "skipped: set MOTIONKIT_TEST_REDIS_URL=redis://127.0.0.1:PORT to run the Redis \
                 tests (.ci/run does)"
            );
            None
        }
    }
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// What a fleet run did.
#[derive(Debug)]
struct Run {
    ok: usize,
    failed: usize,
    /// Successful requests per second, from the common start to the last
    /// end.
    rate: f64,
    seconds: f64,
    /// 429 answers, from the sandbox's `GET /sandbox/stats`.
    rate_limited: u64,
    stderr: String,
}

/// `workers` processes make `requests` MotionDynamic requests each, all
/// released at the same moment, against one sandbox enforcing 5 req/s
/// (and a 2 s block, to keep the contrast short).
async fn fleet_run(store: &str, workers: usize, requests: usize, env: &[(&str, &str)]) -> Run {
    let sandbox = motionkit_tests::sandbox(|args| {
        args.rate_limit = 5;
        args.rate_limit_block = 2.0;
        args.jwt_secret = JWT_SECRET.into();
    })
    .await;
    let url = sandbox.motiondynamic_url();
    let token = mint_token(JWT_SECRET, 3600);
    let start_at = unix_ms() + 1500;
    let children: Vec<Child> = (0..workers)
        .map(|_| {
            Command::new(WORKER)
                .args(["requests", &url, &token, store])
                .arg(requests.to_string())
                .arg(start_at.to_string())
                .envs(env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("the worker starts")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output().expect("the worker ends"))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let (mut ok, mut failed, mut last_ms, mut stderr) = (0, 0, start_at, String::new());
    for output in &outputs {
        let text = String::from_utf8_lossy(&output.stdout);
        stderr.push_str(&String::from_utf8_lossy(&output.stderr));
        assert!(output.status.success(), "worker failed: {stderr}");
        for part in text.split_whitespace() {
            match part.split_once('=') {
                Some(("ok", n)) => ok += n.parse::<usize>().unwrap(),
                Some(("failed", n)) => failed += n.parse::<usize>().unwrap(),
                Some(("done_ms", t)) => last_ms = last_ms.max(t.parse().unwrap()),
                _ => {}
            }
        }
    }
    let stats: serde_json::Value = reqwest::get(format!("{url}/sandbox/stats"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    sandbox.shutdown().await;
    let seconds = (last_ms - start_at) as f64 / 1000.0;
    Run {
        ok,
        failed,
        rate: ok as f64 / seconds,
        seconds,
        rate_limited: stats["rate_limited"].as_u64().unwrap(),
        stderr,
    }
}

fn assert_shared_budget_held(run: &Run) {
    assert_eq!((run.ok, run.failed), (WORKERS * REQUESTS, 0), "{run:?}");
    assert_eq!(run.rate_limited, 0, "the sandbox answered 429: {run:?}");
    assert!(run.rate >= 4.8, "aggregate rate below 4.8 req/s: {run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_one_budget_through_the_machine_wide_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("machine:{}", dir.path().display());
    let run = fleet_run(&store, WORKERS, REQUESTS, &[]).await;
    eprintln!("machine-wide: {run:?}");
    assert_shared_budget_held(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_share_one_budget_through_redis() {
    let Some(redis) = redis_url() else { return };
    let run = fleet_run(&format!("redis:{redis}"), WORKERS, REQUESTS, &[]).await;
    eprintln!("redis: {run:?}");
    assert_shared_budget_held(&run);
    assert!(
        !run.stderr.contains("shared rate limit unavailable"),
        "{}",
        run.stderr
    );
}

/// The contrast that shows the two tests above can fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_processes_with_their_own_limiters_trip_the_limit() {
    let run = fleet_run("process", WORKERS, REQUESTS, &[]).await;
    eprintln!("per-process: {run:?}");
    assert!(run.rate_limited > 0, "{run:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_a_process_keeps_its_own_limit_and_warns_once() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let requests = 15;
    let run = fleet_run(
        &format!("redis:redis://127.0.0.1:{port}"),
        1,
        requests,
        &[("RUST_LOG", "warn")],
    )
    .await;
    eprintln!("redis down: {run:?}");
    assert_eq!((run.ok, run.failed), (requests, 0), "{run:?}");
    assert_eq!(run.rate_limited, 0, "{run:?}");
    // Burst 4, then 5 per second: never faster than the local limit.
    let floor = (requests - 4) as f64 / 5.0;
    assert!(run.seconds >= floor - 0.1, "{run:?}");
    let warnings = run.stderr.matches("shared rate limit unavailable").count();
    assert_eq!(warnings, 1, "{}", run.stderr);
    assert!(!run.stderr.contains("request failed"), "{}", run.stderr);
}

/// A receiver replica process; its stdout lines arrive on `lines`.
struct Replica {
    child: Child,
    base: String,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Replica {
    fn start(service: &str, dedupe: &str, secret: &str) -> Replica {
        Replica::start_with(service, dedupe, secret, &[])
    }

    fn start_with(service: &str, dedupe: &str, secret: &str, extra: &[&str]) -> Replica {
        let mut child = Command::new(WORKER)
            .args(["receive", service, dedupe, secret])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the replica starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = lines.recv_timeout(Duration::from_secs(20)).unwrap();
        let base = first.strip_prefix("listening ").unwrap().to_owned();
        Replica { child, base, lines }
    }

    /// Closes stdin and returns the keys it acted on.
    fn stop(self) -> Vec<String> {
        self.stop_lines()
            .iter()
            .filter_map(|line| line.strip_prefix("acted ").map(str::to_owned))
            .collect()
    }

    /// Closes stdin and returns every line it printed after `listening`.
    fn stop_lines(mut self) -> Vec<String> {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.wait();
        // The reader thread ends at EOF, which closes the channel.
        self.lines.iter().collect()
    }
}

/// A round-robin forwarder in front of `targets`; returns its base URL.
async fn round_robin(targets: Vec<String>) -> String {
    let next = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::new();
    let forward = move |request: axum::extract::Request| {
        let target = &targets[next.fetch_add(1, Ordering::Relaxed) % targets.len()];
        let url = format!("{target}{}", request.uri());
        let headers = request.headers().clone();
        let http = http.clone();
        async move {
            let body = axum::body::to_bytes(request.into_body(), 1 << 20)
                .await
                .unwrap();
            let answer = http
                .post(url)
                .headers(headers)
                .body(body)
                .send()
                .await
                .unwrap();
            axum::http::StatusCode::from_u16(answer.status().as_u16()).unwrap()
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, axum::Router::new().fallback(forward)).await });
    base
}

/// The path, body and headers of a delivery of `service`'s event `unique`
/// to replicas sharing `secret`.
fn delivery(
    service: &str,
    secret: &str,
    unique: &str,
) -> (String, String, Vec<(&'static str, &'static str)>) {
    match service {
        "motiondynamic" => {
            let issuer = motionkit_motiondynamic::WebhookReceiver::with_secret(
                "http://replica",
                secret.as_bytes().to_vec(),
            );
            let url = issuer.url_for(unique);
            let path = url.strip_prefix("http://replica").unwrap().to_owned();
            (
                path,
                r#"{"video":"https://cdn.example/v.mp4"}"#.to_owned(),
                vec![],
            )
        }
        _ => (
            format!("/{secret}"),
            format!(
                r#"{{"eventType":"job.completed","data":{{"taskId":"{unique}","status":"success"}}}}"#
            ),
            vec![("X-DeepMotion-Signature", "fleet-client")],
        ),
    }
}

/// Three replicas of `service` behind a round-robin forwarder receive the
/// same delivery nine times, concurrently; returns the keys each acted on.
async fn replicas_receive_one_delivery_nine_times(service: &str, dedupe: &str) -> Vec<String> {
    let secret = "fleet-shared-secret-0123456789abcdef";
    let replicas: Vec<Replica> = (0..3)
        .map(|_| Replica::start(service, dedupe, secret))
        .collect();
    let front = round_robin(replicas.iter().map(|r| r.base.clone()).collect()).await;
    let unique = format!("fleet-{}", unix_ms());
    let (path, body, headers) = delivery(service, secret, &unique);
    let http = reqwest::Client::new();
    let deliver = || {
        let mut request = http.post(format!("{front}{path}")).body(body.clone());
        for (name, value) in &headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let answers = futures::future::join_all((0..9).map(|_| deliver())).await;
    for answer in answers {
        // 503: another replica was handing the same delivery over; the
        // sender delivers again, and then finds it done.
        let mut status = answer.unwrap().status();
        for _ in 0..20 {
            if status != 503 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            status = deliver().await.unwrap().status();
        }
        assert_eq!(status, 200);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut acted = Vec::new();
    for replica in replicas {
        acted.extend(replica.stop());
    }
    assert!(acted.iter().all(|key| *key == unique), "{acted:?}");
    acted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_sharing_redis_act_on_a_repeated_delivery_once() {
    let Some(redis) = redis_url() else { return };
    for service in ["motiondynamic", "deepmotion"] {
        let acted =
            replicas_receive_one_delivery_nine_times(service, &format!("redis:{redis}")).await;
        assert_eq!(acted.len(), 1, "{service}: {acted:?}");
    }
}

/// The contrast: each replica alone acts on the delivery once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_with_their_own_memory_act_once_each() {
    for service in ["motiondynamic", "deepmotion"] {
        let acted = replicas_receive_one_delivery_nine_times(service, "memory").await;
        assert_eq!(acted.len(), 3, "{service}: {acted:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_four_workers_keep_to_their_share_and_trip_nothing() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    // Four workers, each at a quarter of 5 req/s while Redis is down.
    let requests = 6;
    let run = fleet_run(
        &format!("redis:redis://127.0.0.1:{port}"),
        WORKERS,
        requests,
        &[("RUST_LOG", "warn")],
    )
    .await;
    eprintln!("redis down, four workers: {run:?}");
    assert_eq!((run.ok, run.failed), (WORKERS * requests, 0), "{run:?}");
    assert_eq!(
        run.rate_limited, 0,
        "the share kept them within 5 req/s: {run:?}"
    );
    // One request at once, then one per 0.8 s each (a quarter of 5/s);
    // with their whole own limit they would be done in half a second.
    let floor = (requests - 1) as f64 * 0.8;
    assert!(run.seconds >= floor - 0.1, "{run:?}");
}

/// A replica that claimed a delivery and died before handing it over
/// leaves a claim that lapses: the redelivery is acted on, once.
#[tokio::test]
async fn a_claim_left_by_a_crashed_replica_lapses_and_the_redelivery_is_acted_on_once() {
    use motionkit_transport::{Claim, DedupeStore};
    let Some(redis) = redis_url() else { return };
    let lease = Duration::from_millis(400);
    let crashed = DedupeStore::redis(&redis).unwrap().with_lease(lease);
    let survivor = DedupeStore::redis(&redis).unwrap().with_lease(lease);
    let third = DedupeStore::redis(&redis).unwrap().with_lease(lease);
    let key = format!("crash-{}", unix_ms());
    let Claim::Fresh(_lost) = crashed.claim(&key).await.unwrap() else {
        panic!("the first claim is fresh");
    };
    drop(crashed); // dies before handing over or confirming
    // While the dead replica's lease runs, a redelivery is told to retry.
    assert_eq!(survivor.claim(&key).await.unwrap(), Claim::Held);
    tokio::time::sleep(lease + Duration::from_millis(100)).await;
    let Claim::Fresh(claim) = survivor.claim(&key).await.unwrap() else {
        panic!("the lapsed claim is taken by the survivor");
    };
    survivor.confirm(claim).await.unwrap();
    assert_eq!(third.claim(&key).await.unwrap(), Claim::Done);
    assert!(!third.first_seen(&key).await.unwrap());
}

/// Two receiver replicas of each service on one Redis store: the replica
/// that takes the first delivery dies after claiming it and before its
/// application confirms it. The sender's redeliveries get 503 while the
/// dead replica's lease runs, then the survivor acts on the event and
/// answers 200; every later redelivery is answered 200 and not acted on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_dying_before_its_application_confirms_leaves_the_event_to_the_survivor_once() {
    let Some(redis) = redis_url() else { return };
    let secret = "fleet-shared-secret-0123456789abcdef";
    let dedupe = format!("redis:{redis}#lease=600");
    for service in ["motiondynamic", "deepmotion"] {
        let unique = format!("crash-{service}-{}", unix_ms());
        let dying = Replica::start_with(service, &dedupe, secret, &["crash"]);
        let survivor = Replica::start(service, &dedupe, secret);
        let (path, body, headers) = delivery(service, secret, &unique);
        let http = reqwest::Client::new();
        let deliver = |base: &str| {
            let mut request = http.post(format!("{base}{path}")).body(body.clone());
            for (name, value) in &headers {
                request = request.header(*name, *value);
            }
            request.send()
        };
        // The dying replica takes the event and exits without answering.
        assert!(deliver(&dying.base).await.is_err(), "{service}: no answer");
        let started = std::time::Instant::now();
        let mut statuses = Vec::new();
        loop {
            let status = deliver(&survivor.base).await.unwrap().status().as_u16();
            statuses.push(status);
            if status == 200 {
                break;
            }
            assert_eq!(status, 503, "{service}: {statuses:?}");
            assert!(started.elapsed() < Duration::from_secs(20), "{statuses:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            statuses.first(),
            Some(&503),
            "{service}: held while the lease ran"
        );
        for _ in 0..3 {
            assert_eq!(deliver(&survivor.base).await.unwrap().status(), 200);
        }
        let took = dying.stop_lines();
        assert_eq!(took, vec![format!("took {unique}")], "{service}");
        assert_eq!(
            survivor.stop(),
            vec![unique.clone()],
            "{service}: acted on once"
        );
    }
}
