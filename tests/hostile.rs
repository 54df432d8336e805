//! The libraries against a hostile server: every body capped, every wait
//! bounded, no panic, no replaced file, no double submission, no leak.

use std::time::{Duration, Instant};

use motionkit_deepmotion::{Client, Error, Process};
use motionkit_tests::hostile::{
    Hostile, Payload, Reply, Seen, knows_some_rids, login, three_hundred_rids,
};
use motionkit_transport::{
    DownloadOptions, Limits, MinRate, OnExisting, RetryPolicy, Timeouts, Transport,
};

fn quick_timeouts() -> Timeouts {
    Timeouts::default()
        .connect(Duration::from_secs(2))
        .attempt(Duration::from_secs(3))
        .total(Duration::from_secs(10))
        .transfer_stall(Duration::from_secs(1))
        .transfer_min_rate(Some(
            MinRate::default()
                .bytes_per_second(1024)
                .window(Duration::from_secs(2)),
        ))
        .transfer_deadline(None)
}

fn client(base: &str) -> Client {
    Client::builder(base, "client-id", "client-secret".to_owned())
        .timeouts(quick_timeouts())
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(10)),
        )
        .limits(Limits::default().response_bytes(1024 * 1024))
        .build()
        .unwrap()
}

fn transport(base: &str) -> Transport {
    Transport::builder(base)
        .timeouts(quick_timeouts())
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(10)),
        )
        .build()
        .unwrap()
}

/// Routes the DeepMotion session login; everything else goes to `rest`.
fn deepmotion(rest: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> impl Fn(&Seen) -> Reply {
    move |seen| {
        if seen.path() == "/session/auth" {
            login("Max-Age=9223372036854775807")
        } else {
            rest(seen)
        }
    }
}

#[tokio::test]
async fn huge_and_endless_answers_end_in_a_typed_error_naming_the_limit() {
    for payload in [
        Payload::Sized(700 * 1024 * 1024, b' '),
        Payload::Endless(b' '),
    ] {
        let server = Hostile::start(deepmotion(move |_| Reply::new(200, payload.clone()))).await;
        let started = Instant::now();
        let err = client(&server.base)
            .status(&["r1".to_owned()])
            .await
            .unwrap_err();
        let Error::Transport(motionkit_transport::Error::TooLarge { limit, what, .. }) = &err
        else {
            panic!("expected TooLarge, got {err}");
        };
        assert_eq!(*limit, 1024 * 1024);
        assert_eq!(*what, "Limits::response_bytes");
        assert!(!err.is_temporary(), "a limit is permanent: {err}");
        assert!(err.to_string().contains("GET /status/{rids}"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10));
        // The client stopped reading: far less than the body was sent.
        assert!(
            server.body_bytes_sent() < 64 * 1024 * 1024,
            "{} bytes were pushed",
            server.body_bytes_sent()
        );
    }
}

#[tokio::test]
async fn an_absurd_cookie_lifetime_does_not_panic_and_the_session_is_used() {
    let server = Hostile::start(deepmotion(|_| {
        Reply::json(
            200,
            r#"{"count":1,"status":[{"rid":"r1","status":"PROGRESS"}]}"#,
        )
    }))
    .await;
    let client = client(&server.base);
    let entries = client.status(&["r1".to_owned()]).await.unwrap();
    assert_eq!(entries.len(), 1);
    client.status(&["r1".to_owned()]).await.unwrap();
    assert_eq!(client.transport().stats().session_logins, 1);
}

#[tokio::test]
async fn a_download_that_answers_404_then_goes_silent_ends_in_bounded_time() {
    let server = Hostile::start(|_| Reply::new(404, Payload::Silent(1_000_000))).await;
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let err = transport(&server.base)
        .download(
            &format!("{}/out.bvh?sig=secret", server.base),
            dir.path(),
            &DownloadOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert!(!err.to_string().contains("secret"), "{err}");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no part file"
    );
}

#[tokio::test]
async fn a_trickling_or_silent_download_ends_in_a_temporary_timeout() {
    for payload in [
        Payload::Trickle {
            n: 1_000_000,
            every: Duration::from_millis(300),
        },
        Payload::Silent(1_000_000),
    ] {
        let server = Hostile::start(move |_| Reply::new(200, payload.clone())).await;
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let err = transport(&server.base)
            .download(
                &format!("{}/out.fbx", server.base),
                dir.path(),
                &DownloadOptions::default(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, motionkit_transport::Error::Timeout { .. }),
            "{err}"
        );
        assert!(err.is_temporary(), "{err}");
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no part file"
        );
    }
}

#[tokio::test]
async fn a_download_deadline_bounds_the_whole_transfer() {
    let server = Hostile::start(|_| {
        Reply::new(
            200,
            Payload::Trickle {
                n: 1_000_000,
                every: Duration::from_millis(1),
            },
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let transport = Transport::builder(&server.base)
        .timeouts(
            quick_timeouts()
                .transfer_min_rate(None)
                .transfer_deadline(Some(Duration::from_millis(700))),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let err = transport
        .download(
            &format!("{}/out.fbx", server.base),
            dir.path(),
            &DownloadOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_chosen_names_never_replace_files() {
    let server = Hostile::start(|seen| {
        let body = format!("bytes of {}", seen.path()).into_bytes();
        Reply::new(200, Payload::Bytes(body)).header(
            "content-disposition",
            "attachment; filename=\"../dance.mp4\"",
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dance.mp4");
    std::fs::write(&input, b"the user's own video").unwrap();
    let transport = transport(&server.base);
    let mut saved = Vec::new();
    for output in ["a.fbx", "b.bvh"] {
        let report = transport
            .download(
                &format!("{}/{output}", server.base),
                dir.path(),
                &DownloadOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(report.renamed_from.as_deref(), Some(input.as_path()));
        saved.push(report.path);
    }
    assert_eq!(std::fs::read(&input).unwrap(), b"the user's own video");
    assert_eq!(saved[0], dir.path().join("dance-2.mp4"));
    assert_eq!(saved[1], dir.path().join("dance-3.mp4"));
    assert_eq!(std::fs::read(&saved[0]).unwrap(), b"bytes of /a.fbx");
    assert_eq!(std::fs::read(&saved[1]).unwrap(), b"bytes of /b.bvh");
    // Replacing needs an explicit choice.
    let clobber = DownloadOptions::default().on_existing(OnExisting::Replace);
    transport
        .download(&format!("{}/c.glb", server.base), dir.path(), &clobber)
        .await
        .unwrap();
    assert_eq!(std::fs::read(&input).unwrap(), b"bytes of /c.glb");
}

#[tokio::test]
async fn an_empty_rid_is_an_unknown_outcome_and_is_not_submitted_twice() {
    let server = Hostile::start(deepmotion(|seen| match seen.path() {
        "/process" => Reply::json(200, r#"{"rid": ""}"#),
        "/list" => Reply::json(200, r#"{"count":0,"list":[]}"#),
        _ => Reply::json(404, "{}"),
    }))
    .await;
    let client = client(&server.base);
    let err = Process::rerun("r0000000000000000000000001")
        .send(&client)
        .await
        .unwrap_err();
    assert!(err.may_have_acted(), "{err}");
    // The server broke the protocol: not "try again later", but a rerun
    // still looks the job up before anything is submitted again.
    assert!(!err.is_temporary(), "{err}");
    assert!(err.is_server_fault(), "{err}");
    assert!(err.to_string().contains("may have been created"), "{err}");
    assert_eq!(server.count("POST", "/process"), 1, "submitted once");
}

#[tokio::test]
async fn requests_that_cannot_be_built_are_local_and_permanent() {
    let server = Hostile::start(deepmotion(|_| Reply::json(200, "{}"))).await;
    let client = client(&server.base);
    let huge_rid = "r".repeat(100 * 1024);
    let err = client.status(&[huge_rid]).await.unwrap_err();
    assert!(!err.is_temporary(), "{err}");
    assert_eq!(err.sent(), motionkit_transport::Sent::NotSent, "{err}");
    assert_eq!(server.count("GET", "/status"), 0);
}

#[tokio::test]
async fn an_upload_session_pointing_at_a_file_url_is_refused_locally() {
    let server = Hostile::start(|_| {
        Reply::new(201, Payload::Bytes(Vec::new())).header("location", "file:///etc/passwd")
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("walk.mp4");
    std::fs::write(&file, vec![0u8; 1000]).unwrap();
    let err = transport(&server.base)
        .upload_resumable(
            &format!("{}/upload?sig=x", server.base),
            &file,
            &Default::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, motionkit_transport::Error::Refused { .. }),
        "{err}"
    );
    assert!(!err.is_temporary(), "{err}");
    assert_eq!(server.seen().len(), 1, "only the session start was sent");
}

#[tokio::test]
async fn redirected_downloads_send_no_referer_and_never_reach_link_local_addresses() {
    let target = Hostile::start(|_| Reply::new(200, Payload::Bytes(b"ok".to_vec()))).await;
    let target_base = target.base.clone();
    let redirector = Hostile::start(move |seen| {
        let location = if seen.path() == "/to-metadata" {
            "http://169.254.169.254/latest/meta-data/".to_owned()
        } else {
            format!("{target_base}/final.bin")
        };
        Reply::new(302, Payload::Bytes(Vec::new())).header("location", location)
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let transport = transport(&redirector.base);
    transport
        .download(
            &format!("{}/signed.bin?X-Goog-Signature=secret", redirector.base),
            dir.path(),
            &DownloadOptions::default(),
        )
        .await
        .unwrap();
    let seen = target.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("referer"), None, "{:?}", seen[0]);
    let err = transport
        .download(
            &format!("{}/to-metadata?sig=secret", redirector.base),
            dir.path(),
            &DownloadOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, motionkit_transport::Error::Refused { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("link-local"), "{err}");
    assert!(!err.to_string().contains("secret"), "{err}");
    let err = transport
        .download(
            "http://169.254.169.254/latest/meta-data/",
            dir.path(),
            &DownloadOptions::default(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            motionkit_transport::Error::Refused {
                sent: motionkit_transport::Sent::NotSent,
                ..
            }
        ),
        "{err}"
    );
}

#[tokio::test]
async fn user_urls_reach_local_addresses_only_from_a_local_base_or_when_allowed() {
    let server = Hostile::start(|_| Reply::new(200, Payload::Bytes(vec![7u8; 100]))).await;
    let picture = format!("{}/picture.png", server.base);
    let public = Transport::builder("https://api.motiondynamic.invalid")
        .build()
        .unwrap();
    let err = public.fetch_head(&picture, 64).await.unwrap_err();
    assert!(
        matches!(err, motionkit_transport::Error::Refused { .. }),
        "{err}"
    );
    let by_name = format!(
        "{}/picture.png",
        server.base.replace("127.0.0.1", "localhost")
    );
    assert!(public.fetch_head(&by_name, 64).await.is_err());
    assert_eq!(server.seen().len(), 0, "nothing reached the local server");
    let allowed = Transport::builder("https://api.motiondynamic.invalid")
        .allow_local_addresses(true)
        .build()
        .unwrap();
    assert_eq!(
        allowed.fetch_head(&picture, 64).await.unwrap().body().len(),
        64
    );
    let local = transport(&server.base);
    assert_eq!(
        local.fetch_head(&picture, 64).await.unwrap().body().len(),
        64
    );
}

#[tokio::test]
async fn a_picture_server_that_ignores_range_costs_only_the_bytes_needed() {
    let server = Hostile::start(|_| Reply::new(200, Payload::Sized(700 * 1024 * 1024, 0))).await;
    let head = transport(&server.base)
        .fetch_head(&format!("{}/huge.png", server.base), 64 * 1024)
        .await
        .unwrap();
    assert_eq!(head.body().len(), 64 * 1024);
    assert!(
        server.body_bytes_sent() < 64 * 1024 * 1024,
        "{} bytes were pushed",
        server.body_bytes_sent()
    );
}

#[tokio::test]
async fn error_pages_are_cut_to_their_head() {
    let server = Hostile::start(|_| Reply::new(400, Payload::Sized(50 * 1024 * 1024, b'e'))).await;
    let started = Instant::now();
    let err = transport(&server.base)
        .send_url(
            motionkit_models::Method::Get,
            &format!("{}/x", server.base),
            Default::default(),
            motionkit_transport::Body::empty(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().len() < 2048, "the message is an excerpt");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(server.body_bytes_sent() < 32 * 1024 * 1024);
}

fn motiondynamic(base: &str) -> motionkit_motiondynamic::Client {
    motionkit_motiondynamic::Client::builder(base, "header.payload.signature".to_owned())
        .timeouts(quick_timeouts())
        .limits(Limits::default().response_bytes(1024 * 1024))
        .build()
        .unwrap()
}

#[tokio::test]
async fn motiondynamic_answers_are_capped_and_classified_like_deepmotion_ones() {
    let server = Hostile::start(|_| Reply::new(200, Payload::Endless(b'['))).await;
    let err = motiondynamic(&server.base).demo_theme().await.unwrap_err();
    assert!(
        matches!(
            &err,
            motionkit_motiondynamic::Error::Transport(motionkit_transport::Error::TooLarge { .. })
        ),
        "{err}"
    );
    assert!(!err.is_temporary(), "{err}");

    // The same status means the same thing in both clients.
    for (status, temporary) in [
        (429, true),
        (503, true),
        (507, true),
        (501, false),
        (404, false),
    ] {
        let server = Hostile::start(move |_| Reply::json(status, r#"{"message":"no"}"#)).await;
        let md = motiondynamic(&server.base).demo_theme().await.unwrap_err();
        let dm = client(&server.base).credit_balance().await.unwrap_err();
        assert_eq!(md.is_temporary(), temporary, "{status}: {md}");
        assert_eq!(dm.is_temporary(), temporary, "{status}: {dm}");
    }
}

#[tokio::test]
async fn a_batch_of_unknown_rids_fails_those_rids_only() {
    use motionkit_deepmotion::WaitOptions;
    let server = Hostile::start(deepmotion(knows_some_rids)).await;
    let rids = three_hundred_rids();
    // Paths of `/status/` and 100 ids joined: exactly three batches.
    let client = Client::builder(&server.base, "client-id", "client-secret".to_owned())
        .max_path_bytes("/status/".len() + 100 * 27 - 1)
        .build()
        .unwrap();

    let entries = client.status(&rids).await.unwrap();
    assert_eq!(server.count("GET", "/status/"), 3, "three batches");
    assert_eq!(entries.len(), 200, "every known rid is reported");
    assert!(entries.iter().all(|e| e.rid.starts_with("known-")));

    let links = client.download_links(&rids).await.unwrap();
    assert_eq!(links.len(), 200);

    let outcomes = client
        .wait_with(&rids, &WaitOptions::fast(), |_| {})
        .await
        .unwrap();
    assert_eq!(outcomes.len(), 300);
    for outcome in &outcomes {
        match &outcome.result {
            Ok(_) => assert!(outcome.rid.starts_with("known-"), "{}", outcome.rid),
            Err(failure) => {
                assert!(failure.is_unknown(), "{failure}");
                assert!(outcome.rid.starts_with("other-"), "{}", outcome.rid);
            }
        }
    }
    assert_eq!(outcomes.iter().filter(|o| o.result.is_ok()).count(), 200);

    let watcher = client.watcher(WaitOptions::fast());
    let (known, unknown) = tokio::join!(
        watcher.wait(&rids[0], |_| {}),
        watcher.wait(&rids[299], |_| {})
    );
    assert!(known.is_ok(), "{known:?}");
    assert!(
        matches!(unknown, Err(Error::UnknownJob { .. })),
        "{unknown:?}"
    );
    watcher.shutdown();
}

#[tokio::test]
async fn a_hundred_calls_with_wrong_credentials_make_one_login() {
    let server = Hostile::start(|seen| {
        if seen.path() == "/session/auth" {
            Reply::json(401, r#"{"message":"wrong credentials"}"#)
        } else {
            Reply::json(200, r#"{"credits":1}"#)
        }
    })
    .await;
    let client = client(&server.base);
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.credit_balance().await })
        })
        .collect();
    for call in calls {
        let err = call.await.unwrap().unwrap_err();
        assert!(err.is_auth(), "{err}");
    }
    let logins = server.count("GET", "/session/auth");
    assert!((1..=2).contains(&logins), "{logins} logins for 100 calls");
    assert_eq!(
        server.count("GET", "/account"),
        0,
        "nothing sent without a session"
    );
}

#[tokio::test]
async fn a_hanging_login_is_shared_and_each_call_keeps_its_own_deadline() {
    let server = Hostile::start(|seen| {
        if seen.path() == "/session/auth" {
            Reply::new(200, Payload::Silent(10))
        } else {
            Reply::json(200, r#"{"credits":1}"#)
        }
    })
    .await;
    let client = Client::builder(&server.base, "client-id", "client-secret".to_owned())
        .timeouts(
            quick_timeouts()
                .attempt(Duration::from_secs(30))
                .total(Duration::from_secs(2)),
        )
        .build()
        .unwrap();
    let started = Instant::now();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.credit_balance().await })
        })
        .collect();
    for call in calls {
        let err = call.await.unwrap().unwrap_err();
        assert!(err.is_temporary(), "{err}");
    }
    // Twenty callers queued behind one another would take 20 × 2 s.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    // One login for everyone: its own attempts (a silent body is retried
    // once within its 2 s), not one per caller.
    let logins = server.count("GET", "/session/auth");
    assert!((1..=2).contains(&logins), "{logins} login requests");
}

#[tokio::test]
async fn a_watcher_forgets_dropped_waiters_stops_at_shutdown_and_keeps_auth_errors() {
    use motionkit_deepmotion::WaitOptions;
    let server = Hostile::start(deepmotion(|seen| {
        let joined = seen.path().trim_start_matches("/status/");
        let entries: Vec<String> = joined
            .split(',')
            .map(|rid| {
                format!(
                    r#"{{"rid":"{rid}","status":"PROGRESS","details":{{"step":1,"total":10}}}}"#
                )
            })
            .collect();
        Reply::json(
            200,
            format!(
                r#"{{"count":{},"status":[{}]}}"#,
                entries.len(),
                entries.join(",")
            ),
        )
    }))
    .await;
    let polling = client(&server.base);
    let options = WaitOptions::fast()
        .first_interval(Duration::from_millis(50))
        .max_interval(Duration::from_millis(50));
    let watcher = polling.watcher(options);
    let kept = tokio::spawn({
        let watcher = watcher.clone();
        async move { watcher.wait("job-kept", |_| {}).await }
    });
    let dropped = tokio::spawn({
        let watcher = watcher.clone();
        async move { watcher.wait("job-dropped", |_| {}).await }
    });
    let polled = |rid: &str| {
        server
            .seen()
            .iter()
            .filter(|s| s.path().starts_with("/status/") && s.path().contains(rid))
            .count()
    };
    while polled("job-dropped") == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    dropped.abort();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = polled("job-dropped");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        polled("job-dropped"),
        before,
        "a dropped waiter is not polled"
    );
    assert!(polled("job-kept") > before, "the other one still is");

    watcher.shutdown();
    let ended = tokio::time::timeout(Duration::from_secs(2), kept)
        .await
        .expect("shutdown ends the waits at once")
        .unwrap();
    assert!(
        matches!(&ended, Err(Error::StatusUnavailable { message }) if message.contains("shut down")),
        "{ended:?}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!watcher.is_running());
    let polls = server.count("GET", "/status/");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        server.count("GET", "/status/"),
        polls,
        "no poll after shutdown"
    );
    assert!(watcher.wait("late", |_| {}).await.is_err());

    // A rejected login reaches every waiter as itself.
    let refusing = Hostile::start(|seen| {
        if seen.path() == "/session/auth" {
            Reply::json(401, r#"{"message":"wrong credentials"}"#)
        } else {
            Reply::json(500, "{}")
        }
    })
    .await;
    let watcher = client(&refusing.base).watcher(options);
    let (a, b) = tokio::join!(watcher.wait("a", |_| {}), watcher.wait("b", |_| {}));
    for result in [a, b] {
        let err = result.unwrap_err();
        assert!(err.is_auth(), "{err:?}");
    }
}
