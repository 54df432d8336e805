//! Waits, backoff and timeouts on tokio's paused clock: hours of polling
//! and minutes of `Retry-After` run in well under a second, and their
//! schedules are checked to the request. The server is a hostile one on
//! 127.0.0.1 in the test's own single-threaded runtime, so that while a
//! request is in flight the runtime is never idle: the paused clock moves
//! only when every task waits on a timer, never under a pending socket.

use std::time::{Duration, Instant};

use motionkit_deepmotion::{Client, Error, WaitOptions};
use motionkit_tests::hostile::{Hostile, Reply, login};
use motionkit_transport::{RateLimit, RetryPolicy, Timeouts};

/// Request timeouts far beyond any virtual jump a test makes, so that only
/// the waits under test decide when anything ends.
fn patient() -> Timeouts {
    Timeouts::default()
        .connect(Duration::from_secs(24 * 3600))
        .attempt(Duration::from_secs(24 * 3600))
        .total(Duration::from_secs(48 * 3600))
}

/// The DeepMotion login, and one job that never moves.
fn stuck_job(seen: &motionkit_tests::hostile::Seen) -> Reply {
    if seen.path() == "/session/auth" {
        login("Max-Age=604800")
    } else {
        Reply::json(
            200,
            r#"{"count":1,"status":[{"rid":"r1","status":"PROGRESS","details":{"step":1,"total":9}}]}"#,
        )
    }
}

/// The reads a wait makes: one at once, then one after each interval of
/// the schedule (first, growing by `growth` up to `max`) while the time
/// spent is under `timeout`.
fn expected_reads(first: f64, growth: f64, max: f64, timeout: f64) -> usize {
    let (mut spent, mut interval, mut reads) = (0.0, first, 1);
    loop {
        // The last sleep is cut short at the timeout, then one more read.
        spent += interval.min(timeout - spent);
        reads += 1;
        if spent >= timeout {
            return reads;
        }
        interval = (interval * growth).min(max);
    }
}

#[tokio::test(start_paused = true)]
async fn a_deepmotion_wait_backs_off_to_its_cap_and_times_out_after_three_virtual_hours() {
    let server = Hostile::start(stuck_job).await;
    let client = Client::builder(&server.base, "client-id", "client-secret".to_owned())
        .timeouts(patient())
        .build()
        .unwrap();
    let options = WaitOptions::deepmotion().jitter(0.0);
    let real = Instant::now();
    let virtual_start = tokio::time::Instant::now();
    let mut moves = 0;
    let error = client
        .wait_with(&["r1".to_owned()], &options, |_| moves += 1)
        .await
        .unwrap_err();
    let Error::WaitTimeout { pending, after } = &error else {
        panic!("expected the wait's timeout, got {error}");
    };
    assert_eq!(pending, &["r1".to_owned()]);
    assert!(*after >= Duration::from_secs(3 * 3600), "{after:?}");
    assert!(virtual_start.elapsed() < Duration::from_secs(3 * 3600 + 60));
    assert_eq!(moves, 1, "one progress event: the job never moved again");
    // 2 s, 3 s, 4.5 s, ... up to 30 s, then every 30 s for three hours.
    assert_eq!(
        server.count("GET", "/status/"),
        expected_reads(2.0, 1.5, 30.0, 3.0 * 3600.0)
    );
    assert!(
        real.elapsed() < Duration::from_secs(20),
        "no real sleeping: {:?}",
        real.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_motiondynamic_wait_with_no_webhook_reads_every_five_seconds_for_nineteen_minutes() {
    let id = "9c1d2e3f-4a5b-4c6d-8e7f-a0b1c2d3e4f5";
    let row = format!(r#"[{{"generation_id":"{id}","status":"processing","video":null}}]"#);
    let server = Hostile::start(move |_| Reply::json(200, row.clone())).await;
    let client = motionkit_motiondynamic::Client::builder(&server.base, "token")
        .timeouts(patient())
        .rate_limit(RateLimit::unlimited())
        .build()
        .unwrap();
    assert_eq!(client.wait_options().timeout, Duration::from_secs(19 * 60));
    // Half an interval past the default, so that the deadline never falls
    // on a read (both would be due at once, in either order).
    let options = client
        .wait_options()
        .jitter(0.0)
        .timeout(Duration::from_millis(19 * 60 * 1000 + 2500));
    let real = Instant::now();
    let error = client.wait_for_id_with(id, &options).await.unwrap_err();
    assert!(
        matches!(error, motionkit_motiondynamic::Error::WaitTimeout { .. }),
        "{error}"
    );
    // One read at once, one every 5 s while the time lasts, and a last
    // read-back at the deadline.
    assert_eq!(
        server.count("GET", "/rest/generations"),
        expected_reads(5.0, 1.0, 5.0, 19.0 * 60.0 + 2.5)
    );
    assert!(
        real.elapsed() < Duration::from_secs(20),
        "{:?}",
        real.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_of_two_minutes_is_waited_out_on_the_clock_not_in_real_time() {
    let server = Hostile::start(|seen| {
        if seen.path() == "/session/auth" {
            login("Max-Age=604800")
        } else if seen.path() == "/account/creditBalance" {
            Reply::json(503, r#"{"message":"busy"}"#).header("retry-after", "120")
        } else {
            Reply::json(200, r#"{"credits":7}"#)
        }
    })
    .await;
    let client = Client::builder(&server.base, "client-id", "client-secret".to_owned())
        .timeouts(patient())
        .retry(RetryPolicy::default().max_attempts(3))
        .build()
        .unwrap();
    let real = Instant::now();
    let started = tokio::time::Instant::now();
    let error = client.credit_balance().await.unwrap_err();
    assert!(error.is_temporary(), "{error}");
    assert_eq!(
        server.count("GET", "/account/creditBalance"),
        3,
        "three attempts"
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(240) && waited < Duration::from_secs(250),
        "two waits of the server's 120 s: {waited:?}"
    );
    assert!(
        real.elapsed() < Duration::from_secs(20),
        "{:?}",
        real.elapsed()
    );
}
