//! Credentials rotated without rebuilding a client: a MotionDynamic token
//! replaced by `set_token` or fetched from the `token_provider` after a
//! 401, and a DeepMotion client secret replaced by `set_client_secret` or
//! fetched from the `client_secret_provider` after a refused login.
//! The client keeps its counters (and with them its rate limiter and 429
//! pause); the old secrets stay out of every message.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use motionkit_motiondynamic::ThemesQuery;
use motionkit_sandbox::mint_token;
use motionkit_tests::sandbox;

const JWT_SECRET: &str = "motionkit-sandbox-jwt-secret";
/// A token signed with another secret: the sandbox rejects it (401).
fn rejected_token() -> String {
    mint_token("someone-elses-secret", 3600)
}

#[tokio::test]
async fn a_motiondynamic_token_is_replaced_in_place_and_the_client_goes_on() {
    let sandbox = sandbox(|_| {}).await;
    let old = rejected_token();
    let client = motionkit_motiondynamic::Client::builder(sandbox.motiondynamic_url(), old.clone())
        .build()
        .unwrap();
    let refused = client.themes(&ThemesQuery::new()).await.unwrap_err();
    assert!(refused.is_auth(), "{refused}");
    let answered = client.stats().responses;
    assert!(answered >= 1);

    let clone = client.clone();
    let bad = client.set_token("Bearer x").unwrap_err();
    assert!(bad.to_string().contains("Bearer"), "{bad}");
    client.set_token(mint_token(JWT_SECRET, 3600)).unwrap();
    let themes = clone.themes(&ThemesQuery::new()).await.unwrap();
    assert!(!themes.is_empty(), "the clone uses the new token too");
    assert!(client.stats().responses > answered, "the counters went on");
    assert!(!format!("{client:?} {refused}").contains(&old));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_token_provider_is_asked_after_a_401_and_the_request_goes_once_more() {
    // Three clients, each with its own pacing, share the server's budget:
    // a higher one keeps this test about tokens, not about 429s.
    let sandbox = sandbox(|args| args.rate_limit = 50).await;
    let asked = Arc::new(AtomicUsize::new(0));
    let counter = asked.clone();
    let fresh = mint_token(JWT_SECRET, 3600);
    let client =
        motionkit_motiondynamic::Client::builder(sandbox.motiondynamic_url(), rejected_token())
            .token_provider(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                Some(fresh.clone().into())
            })
            .build()
            .unwrap();
    let themes = client.themes(&ThemesQuery::new()).await.unwrap();
    assert!(!themes.is_empty());
    assert_eq!(asked.load(Ordering::SeqCst), 1, "asked once, after the 401");
    client.themes(&ThemesQuery::new()).await.unwrap();
    assert_eq!(asked.load(Ordering::SeqCst), 1, "the new token is kept");

    // Concurrent callers rejected at once: each tries once more with the
    // token the first of them swapped in, and none gets the 401.
    let fresh = mint_token(JWT_SECRET, 3600);
    let client =
        motionkit_motiondynamic::Client::builder(sandbox.motiondynamic_url(), rejected_token())
            .token_provider(move || Some(fresh.clone().into()))
            .build()
            .unwrap();
    let calls = (0..4).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.themes(&ThemesQuery::new()).await })
    });
    for call in calls.collect::<Vec<_>>() {
        let themes = call.await.unwrap().unwrap();
        assert!(!themes.is_empty());
    }

    // A provider with nothing new: the 401 stands, asked once per call.
    let stale = rejected_token();
    let same = stale.clone();
    let client = motionkit_motiondynamic::Client::builder(sandbox.motiondynamic_url(), stale)
        .token_provider(move || Some(same.clone().into()))
        .build()
        .unwrap();
    assert!(
        client
            .themes(&ThemesQuery::new())
            .await
            .unwrap_err()
            .is_auth()
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_deepmotion_client_secret_is_replaced_and_the_failed_login_forgotten() {
    let sandbox = sandbox(|_| {}).await;
    let client = motionkit_deepmotion::Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "the-old-secret".to_owned(),
    )
    .build()
    .unwrap();
    let refused = client.credit_balance().await.unwrap_err();
    assert!(refused.is_auth(), "{refused}");
    assert!(client.set_client_secret("  ").is_err(), "blank is refused");
    client.set_client_secret("sandbox-secret").unwrap();
    // At once: the failed login is not replayed for its 5 s.
    let credits = client.credit_balance().await.unwrap();
    assert!(credits > 0.0);
    assert!(!format!("{client:?} {refused}").contains("the-old-secret"));
    sandbox.shutdown().await;
}

#[tokio::test]
async fn the_client_secret_provider_is_asked_after_a_refused_login_and_logs_in_once_more() {
    let sandbox = sandbox(|_| {}).await;
    let current = Arc::new(std::sync::Mutex::new("the-old-secret".to_owned()));
    let asked = Arc::new(AtomicUsize::new(0));
    let (source, count) = (current.clone(), asked.clone());
    let client = motionkit_deepmotion::Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "the-old-secret".to_owned(),
    )
    .client_secret_provider(move || {
        count.fetch_add(1, Ordering::SeqCst);
        Some(source.lock().unwrap().clone().into())
    })
    .build()
    .unwrap();
    // The provider has nothing newer: the refusal stands, after one login.
    let refused = client.credit_balance().await.unwrap_err();
    assert!(refused.is_auth(), "{refused}");
    assert_eq!(asked.load(Ordering::SeqCst), 1);
    assert_eq!(sandbox.deepmotion().requests("session_auth"), 1);

    // The secret is rotated where the provider reads it: the next call's
    // login is refused, the provider asked, and the login made once more.
    *current.lock().unwrap() = "sandbox-secret".to_owned();
    client.set_client_secret("still-not-it").unwrap();
    let credits = client.credit_balance().await.unwrap();
    assert!(credits > 0.0);
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    assert_eq!(sandbox.deepmotion().requests("session_auth"), 3);
    let seen = format!("{client:?} {refused}");
    assert!(!seen.contains("the-old-secret") && !seen.contains("sandbox-secret"));
    sandbox.shutdown().await;
}
