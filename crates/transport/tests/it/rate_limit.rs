//! The client-side rate limit and the client-wide pause after a 429.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use axum::routing::get;
use motionkit_transport::{Body, Error, RateLimit, Sent, Transport};

use crate::common::*;

const LIMITED: motionkit_models::Endpoint = endpoint(
    "generations",
    motionkit_models::Method::Post,
    "/limited",
    false,
    motionkit_models::AuthKind::None,
);
const OK: motionkit_models::Endpoint = endpoint(
    "themes",
    motionkit_models::Method::Get,
    "/ok",
    true,
    motionkit_models::AuthKind::None,
);

/// `/limited` always answers 429 with `Retry-After: {retry_after}`; `/ok`
/// records when each request arrived.
async fn limited_server(retry_after: &'static str) -> (String, Arc<Mutex<Vec<Instant>>>) {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    let router = axum::Router::new()
        .route(
            "/limited",
            axum::routing::post(move || async move {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", retry_after)],
                    "slow down",
                )
            }),
        )
        .route(
            "/ok",
            get(move || {
                let seen = seen.clone();
                async move {
                    seen.lock().unwrap().push(Instant::now());
                    "{}"
                }
            }),
        );
    (serve(router).await, arrivals)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_pauses_every_clone() {
    let (base, arrivals) = limited_server("2").await;
    let transport = Transport::builder(&base)
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .build()
        .unwrap();
    let other_client = Transport::builder(&base).build().unwrap();
    let (a, b, c) = (transport.clone(), transport.clone(), transport.clone());

    let before_429 = Instant::now();
    let error = a
        .send(&LIMITED, Body::json("job").unwrap())
        .await
        .unwrap_err();
    match &error {
        Error::RateLimited {
            retry_after, sent, ..
        } => {
            assert_eq!(*retry_after, Some(Duration::from_secs(2)));
            assert_eq!(*sent, Sent::Sent);
        }
        other => panic!("{other:?}"),
    }

    // An unrelated client is not paused.
    other_client.send(&OK, Body::empty()).await.unwrap();
    assert!(before_429.elapsed() < Duration::from_millis(1500));

    let (rb, rc) = tokio::join!(b.send(&OK, Body::empty()), c.send(&OK, Body::empty()));
    rb.unwrap();
    rc.unwrap();
    let arrivals = arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), 3);
    for arrival in &arrivals[1..] {
        assert!(
            *arrival >= before_429 + Duration::from_secs(2),
            "a clone sent during the pause"
        );
    }
    assert_eq!(transport.stats().rate_limit_pauses, 1);
}

#[tokio::test]
async fn a_429_without_retry_after_pauses_for_the_configured_time() {
    let server = scripted(vec![status(429), ok_json("{}")]).await;
    let transport = Transport::builder(&server.base)
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .rate_limit(RateLimit::unlimited().pause_on_429(Duration::from_millis(600)))
        .build()
        .unwrap();
    let started = Instant::now();
    transport.send(&OK, Body::empty()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(580));
    assert_eq!(server.hits(), 2);
}

#[tokio::test]
async fn a_pause_longer_than_the_deadline_fails_fast_without_sending() {
    let (base, arrivals) = limited_server("5").await;
    let mut timeouts = fast_timeouts();
    timeouts.total = Duration::from_secs(1);
    let transport = Transport::builder(&base)
        .retry(fast_retry())
        .timeouts(timeouts)
        .build()
        .unwrap();
    transport.send(&LIMITED, Body::empty()).await.unwrap_err();
    let started = Instant::now();
    let error = transport
        .clone()
        .send(&OK, Body::empty())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    assert_eq!(error.sent(), Sent::NotSent);
    assert!(error.retry_after().unwrap() > Duration::from_secs(4));
    assert!(arrivals.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_rate_limit_holds_and_loses_nothing() {
    const N: u32 = 30;
    const RATE: u32 = 20;
    const BURST: u32 = 5;
    let (base, arrivals) = limited_server("1").await;
    let transport = Transport::builder(&base)
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .rate_limit(RateLimit::per_second(RATE).burst(BURST))
        .build()
        .unwrap();
    let started = Instant::now();
    let calls: Vec<_> = (0..N)
        .map(|_| {
            let clone = transport.clone();
            tokio::spawn(async move { clone.send(&OK, Body::empty()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let elapsed = started.elapsed();
    let minimum = Duration::from_secs_f64(f64::from(N - BURST) / f64::from(RATE));
    assert!(
        elapsed >= minimum - Duration::from_millis(30),
        "{elapsed:?}"
    );
    assert!(elapsed < minimum + Duration::from_secs(3), "{elapsed:?}");
    let arrivals = arrivals.lock().unwrap();
    assert_eq!(arrivals.len(), N as usize);
    // No one-second window saw more than rate + burst requests.
    for (i, first) in arrivals.iter().enumerate() {
        let in_window = arrivals[i..]
            .iter()
            .filter(|t| **t < *first + Duration::from_secs(1))
            .count();
        assert!(in_window <= (RATE + BURST) as usize, "{in_window}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_absurd_retry_after_is_bounded_before_it_is_obeyed_or_stored() {
    let (base, arrivals) = limited_server("999999999").await;
    let dir = tempfile::tempdir().unwrap();
    let build = || {
        Transport::builder(&base)
            .retry(fast_retry())
            .timeouts(fast_timeouts())
            .rate_limit(RateLimit::unlimited().max_pause(Duration::from_millis(300)))
            .rate_limit_store(motionkit_transport::RateLimitStore::machine_wide_in(
                dir.path(),
            ))
            .build()
            .unwrap()
    };
    let first = build();
    let started = Instant::now();
    let refused = first.send(&LIMITED, Body::empty()).await.unwrap_err();
    match &refused {
        Error::RateLimited { retry_after, .. } => {
            assert_eq!(*retry_after, Some(Duration::from_millis(300)), "{refused}")
        }
        other => panic!("{other:?}"),
    }
    assert!(!refused.to_string().contains("999999"), "{refused}");
    // A later run sharing the machine-wide state is paused for the bound at
    // most, not for 31 years.
    let later = build();
    later.send(&OK, Body::empty()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(arrivals.lock().unwrap().len(), 1);
}

/// A transport sending to `/ok` at 20/s, sharing its state through files
/// in `dir`, with `fallback` while they cannot be used.
fn sharing(
    base: &str,
    dir: &std::path::Path,
    fallback: motionkit_transport::StoreFallback,
) -> Transport {
    Transport::builder(base)
        .retry(fast_retry())
        .timeouts(fast_timeouts())
        .rate_limit(RateLimit::per_second(20))
        .rate_limit_store(
            motionkit_transport::RateLimitStore::machine_wide_in(dir).on_failure(fallback),
        )
        .build()
        .unwrap()
}

/// Holds the lock of every state file in `dir`, as a stopped process would.
fn stopped_holder(dir: &std::path::Path) -> Vec<std::fs::File> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let file = std::fs::File::open(entry.unwrap().path()).unwrap();
            rustix::fs::flock(&file, rustix::fs::FlockOperation::LockExclusive).unwrap();
            file
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_lock_holder_costs_one_bounded_wait_then_the_share_of_the_rate() {
    let (base, arrivals) = limited_server("1").await;
    let dir = tempfile::tempdir().unwrap();
    let transport = sharing(
        &base,
        dir.path(),
        motionkit_transport::StoreFallback::share(4),
    );
    transport.send(&OK, Body::empty()).await.unwrap();
    let _held = stopped_holder(dir.path());
    let started = Instant::now();
    for _ in 0..6 {
        transport.send(&OK, Body::empty()).await.unwrap();
    }
    let took = started.elapsed();
    // One wait for the lock (2 s), then a quarter of 20/s: 5 intervals of 200 ms.
    assert!(took >= Duration::from_millis(2900), "{took:?}");
    assert!(took < Duration::from_secs(6), "{took:?}");
    assert_eq!(arrivals.lock().unwrap().len(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fail_closed_store_sends_nothing_while_it_is_unavailable() {
    let (base, arrivals) = limited_server("1").await;
    let dir = tempfile::tempdir().unwrap();
    let transport = sharing(
        &base,
        dir.path(),
        motionkit_transport::StoreFallback::FailClosed,
    );
    transport.send(&OK, Body::empty()).await.unwrap();
    let held = stopped_holder(dir.path());
    let refused = transport.send(&OK, Body::empty()).await.unwrap_err();
    assert!(
        matches!(
            refused,
            Error::RateLimited {
                sent: Sent::NotSent,
                ..
            }
        ),
        "{refused:?}"
    );
    assert!(refused.is_temporary());
    assert_eq!(arrivals.lock().unwrap().len(), 1);
    drop(held);
    tokio::time::sleep(Duration::from_millis(5100)).await;
    transport.send(&OK, Body::empty()).await.unwrap();
    assert_eq!(arrivals.lock().unwrap().len(), 2);
}
