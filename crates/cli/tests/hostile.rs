//! The real `motionkit` binary against a hostile server on 127.0.0.1: its
//! peak memory (VmHWM) stays under 64 MiB and its run time is bounded
//! whatever the server sends, it exits with the right code, and it never
//! replaces a file or submits a job twice.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use motionkit_tests::hostile::{Hostile, Payload, Reply, Seen, login};

const BIN: &str = env!("CARGO_BIN_EXE_motionkit");
const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
const PEAK_LIMIT_KIB: u64 = 64 * 1024;
const RID: &str = "0123456789ABCDEFGHJKMNPQRS";

/// What a finished run of the binary did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    peak_kib: u64,
    took: Duration,
    stdout: String,
    stderr: String,
}

/// Runs the binary in `cwd` with DeepMotion pointed at `base`, sampling its
/// peak resident memory from `/proc/<pid>/status` until it exits.
fn run(base: &str, cwd: &Path, args: &[&str]) -> Run {
    let home = cwd.join(".home");
    std::fs::create_dir_all(&home).unwrap();
    let started = Instant::now();
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("DEEPMOTION_API_URL", base)
        .env("DEEPMOTION_CLIENT_ID", "client-id")
        .env("DEEPMOTION_CLIENT_SECRET", "client-secret")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    let code = loop {
        if let Ok(status) = std::fs::read_to_string(&status_file)
            && let Some(hwm) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kib = peak_kib.max(hwm);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("motionkit {args:?} still runs after 120 s");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let output = child.wait_with_output().unwrap();
    Run {
        code,
        peak_kib,
        took: started.elapsed(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

async fn run_async(base: String, cwd: PathBuf, args: Vec<&'static str>) -> Run {
    tokio::task::spawn_blocking(move || run(&base, &cwd, &args))
        .await
        .unwrap()
}

fn assert_bounded(run: &Run) {
    eprintln!("peak {} KiB in {:?}", run.peak_kib, run.took);
    assert!(
        run.peak_kib > 0 && run.peak_kib < PEAK_LIMIT_KIB,
        "peak {} KiB: {run:?}",
        run.peak_kib
    );
    assert!(run.took < Duration::from_secs(60), "{run:?}");
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// A DeepMotion server: login with an absurd cookie lifetime, then `rest`.
fn with_login(
    rest: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |seen| {
        if seen.path() == "/session/auth" {
            login("Max-Age=9223372036854775807")
        } else {
            rest(seen)
        }
    }
}

/// A DeepMotion server whose one job offers one FBX output, served as
/// `output` says (login with an absurd cookie lifetime, as everywhere).
fn one_output(
    output: impl Fn() -> Reply + Send + Sync + 'static,
) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    with_login(move |seen| {
        let base = seen
            .header("host")
            .map(|h| format!("http://{h}"))
            .unwrap_or_default();
        if seen.path().starts_with("/download/") {
            Reply::json(
                200,
                format!(
                    r#"{{"count":1,"links":[{{"rid":"{RID}","urls":[{{"files":[{{"fbx":"{base}/out/a.fbx?sig=secret"}}]}}]}}]}}"#
                ),
            )
        } else {
            output()
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn huge_or_endless_status_bodies_keep_the_cli_small_and_fail_permanently() {
    for payload in [
        Payload::Endless(b' '),
        Payload::Sized(700 * 1024 * 1024, b' '),
    ] {
        let server = Hostile::start(with_login(move |_| Reply::new(200, payload.clone()))).await;
        let dir = tempfile::tempdir().unwrap();
        let run = run_async(
            server.base.clone(),
            dir.path().to_owned(),
            vec!["status", RID],
        )
        .await;
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(run.stderr.contains("larger than the limit"), "{run:?}");
        assert_bounded(&run);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_error_page_on_a_download_keeps_the_cli_small() {
    let server = Hostile::start(one_output(|| {
        Reply::new(404, Payload::Sized(1024 * 1024 * 1024, b'x'))
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_async(
        server.base.clone(),
        dir.path().to_owned(),
        vec!["download", RID, "--out", "out"],
    )
    .await;
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(!run.stderr.contains("secret"), "{run:?}");
    assert_bounded(&run);
}

/// A whole Animate 3D job whose two outputs are both named after the
/// user's input video by `Content-Disposition`. `list_shows_job` switches
/// `/list` from empty to showing the job; `process_rid` is what `/process`
/// answers.
fn animate_server(
    process_rid: &'static str,
    list_shows_job: Arc<AtomicBool>,
) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    // The name the video was uploaded under, which `/list` shows.
    let uploaded = Arc::new(std::sync::Mutex::new(String::from("dance.mp4")));
    with_login(move |seen| {
        let base = seen
            .header("host")
            .map(|h| format!("http://{h}"))
            .unwrap_or_default();
        let path = seen.path();
        match (seen.method.as_str(), path) {
            ("GET", "/upload") => {
                if let Some(name) = seen.target.split("name=").nth(1) {
                    *uploaded.lock().unwrap() = name.split('&').next().unwrap_or(name).to_owned();
                }
                Reply::json(
                    200,
                    format!(r#"{{"url":"{base}/storage/dance.mp4?sig=s"}}"#),
                )
            }
            ("POST", "/storage/dance.mp4") => Reply::new(201, Payload::Bytes(Vec::new()))
                .header("location", format!("{base}/resumable/1?upload_id=secret")),
            ("PUT", "/resumable/1") => Reply::json(200, "{}"),
            ("PUT", "/storage/dance.mp4") => Reply::json(200, "{}"),
            ("POST", "/process") => Reply::json(200, format!(r#"{{"rid":"{process_rid}"}}"#)),
            ("GET", "/list") => {
                if list_shows_job.load(Ordering::SeqCst) {
                    Reply::json(
                        200,
                        format!(
                            r#"{{"count":1,"list":[{{"rid":"{RID}","fileName":"{name}","fileSize":1,"fileDuration":1,"status":"SUCCESS","ctime":{now},"mtime":{now}}}]}}"#,
                            now = now_ms(),
                            name = uploaded.lock().unwrap()
                        ),
                    )
                } else {
                    Reply::json(200, r#"{"count":0,"list":[]}"#)
                }
            }
            ("GET", p) if p.starts_with("/status/") => Reply::json(
                200,
                format!(
                    r#"{{"count":1,"status":[{{"rid":"{RID}","status":"SUCCESS","details":{{"In":"dance.mp4","out":"dance"}}}}]}}"#
                ),
            ),
            ("GET", p) if p.starts_with("/download/") => Reply::json(
                200,
                format!(
                    r#"{{"count":1,"links":[{{"rid":"{RID}","urls":[{{"files":[{{"fbx":"{base}/out/a.fbx?sig=s"}},{{"bvh":"{base}/out/b.bvh?sig=s"}}]}}]}}]}}"#
                ),
            ),
            ("GET", p) if p.starts_with("/out/") => {
                Reply::new(200, Payload::Bytes(format!("output {p}").into_bytes()))
                    .header("content-disposition", "attachment; filename=\"dance.mp4\"")
            }
            _ => Reply::json(404, r#"{"message":"not here"}"#),
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn outputs_named_like_the_input_never_replace_it_or_each_other() {
    let server = Hostile::start(animate_server(RID, Arc::new(AtomicBool::new(false)))).await;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("dance.mp4");
    std::fs::copy(Path::new(FIXTURES).join("walk.mp4"), &input).unwrap();
    let original = std::fs::read(&input).unwrap();
    let run = run_async(
        server.base.clone(),
        dir.path().to_owned(),
        vec!["--json", "animate", "dance.mp4", "--formats", "fbx,bvh"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        std::fs::read(&input).unwrap(),
        original,
        "the input is intact"
    );
    let a = std::fs::read(dir.path().join("dance-2.mp4")).unwrap();
    let b = std::fs::read(dir.path().join("dance-3.mp4")).unwrap();
    assert_eq!(
        (a.as_slice(), b.as_slice()),
        (&b"output /out/a.fbx"[..], &b"output /out/b.bvh"[..])
    );
    assert!(run.stdout.contains("dance-2.mp4"), "{run:?}");
    assert_bounded(&run);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_rid_is_resolved_through_list_on_the_next_run_without_a_second_submission() {
    let list_shows_job = Arc::new(AtomicBool::new(false));
    let server = Hostile::start(animate_server("", list_shows_job.clone())).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(FIXTURES).join("walk.mp4"),
        dir.path().join("dance.mp4"),
    )
    .unwrap();
    let args = vec!["animate", "dance.mp4", "--out", "out", "--formats", "fbx"];
    let first = run_async(server.base.clone(), dir.path().to_owned(), args.clone()).await;
    assert_eq!(
        first.code,
        Some(4),
        "a server fault (the answer names no job), which a rerun looks up: {first:?}"
    );
    assert!(first.stderr.contains("may have been created"), "{first:?}");
    assert_eq!(server.count("POST", "/process"), 1);
    // The job shows up in /list: the next run adopts it.
    list_shows_job.store(true, Ordering::SeqCst);
    let second = run_async(server.base.clone(), dir.path().to_owned(), args).await;
    assert_eq!(second.code, Some(0), "{second:?}");
    assert_eq!(server.count("POST", "/process"), 1, "never submitted twice");
    assert!(dir.path().join("out").read_dir().unwrap().count() >= 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_download_leaves_no_part_file() {
    let server = Hostile::start(one_output(|| {
        Reply::new(
            200,
            Payload::Trickle {
                n: 1_000_000,
                every: Duration::from_millis(50),
            },
        )
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let home = dir.path().join(".home");
    let child = Command::new(BIN)
        .args(["download", RID, "--out"])
        .arg(&out)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("DEEPMOTION_API_URL", &server.base)
        .env("DEEPMOTION_CLIENT_ID", "client-id")
        .env("DEEPMOTION_CLIENT_SECRET", "client-secret")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let part_files = |out: &Path| {
        std::fs::read_dir(out)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".part"))
                    .count()
            })
            .unwrap_or(0)
    };
    let started = Instant::now();
    while part_files(&out) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no part file appeared"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let status = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.status.code(), Some(130), "{status:?}");
    assert_eq!(part_files(&out), 0, "the part file is removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_text_file_named_mp4_is_refused_before_anything_is_uploaded() {
    let server = Hostile::start(with_login(|_| Reply::json(500, "{}"))).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.mp4"), "shopping list: milk, eggs\n").unwrap();
    std::fs::write(dir.path().join("empty.mp4"), "").unwrap();
    for file in ["notes.mp4", "empty.mp4"] {
        let run = run_async(
            server.base.clone(),
            dir.path().to_owned(),
            vec!["animate", file],
        )
        .await;
        assert_eq!(run.code, Some(1), "{run:?}");
        assert!(run.stderr.contains("not media"), "{run:?}");
    }
    assert_eq!(server.count("GET", "/upload"), 0, "nothing uploaded");
    assert_eq!(server.count("POST", "/process"), 0, "nothing charged");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_idle_timeout_is_set_from_the_command_line() {
    let server = Hostile::start(one_output(|| Reply::new(200, Payload::Silent(1_000_000)))).await;
    let dir = tempfile::tempdir().unwrap();
    let run = run_async(
        server.base.clone(),
        dir.path().to_owned(),
        vec!["download", RID, "--out", "out", "--idle-timeout", "1s"],
    )
    .await;
    assert_eq!(
        run.code,
        Some(2),
        "a silent server is a temporary failure: {run:?}"
    );
    assert!(run.took < Duration::from_secs(30), "{run:?}");
    let help = run_async(
        server.base.clone(),
        dir.path().to_owned(),
        vec!["download", "--help"],
    )
    .await;
    for shown in [
        "--idle-timeout",
        "[default: 60s]",
        "--min-rate",
        "[default: 1024]",
        "--download-deadline",
    ] {
        assert!(help.stdout.contains(shown), "{shown} in {}", help.stdout);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_the_server_quotes_back_never_reach_stderr_or_json() {
    // The Basic header's token for `client-id:client-secret`.
    const BASIC: &str = "Y2xpZW50LWlkOmNsaWVudC1zZWNyZXQ=";
    // Every answer but the login quotes the whole request: target, cookie,
    // and the Basic credentials decoded.
    let server = Hostile::start(move |seen: &Seen| {
        let mut echo = format!("{} {}", seen.method, seen.target);
        for (name, value) in &seen.headers {
            echo.push_str(&format!(" {name}={value}"));
        }
        echo.push_str(&format!(" Basic {BASIC} client-id:client-secret"));
        if seen.path() == "/session/auth" {
            login("Max-Age=3600")
        } else {
            Reply::json(400, serde_json::json!({ "message": echo }).to_string())
                .header("x-request-id", "dmsess=hostile-session")
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["list"],
        vec!["--json", "list"],
        vec!["status", RID],
        vec!["--json", "status", RID],
    ] {
        let run = run_async(server.base.clone(), dir.path().to_owned(), args.clone()).await;
        assert_eq!(run.code, Some(1), "{args:?}: {run:?}");
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(
            output.contains("[redacted]"),
            "{args:?}: the echo was masked: {output}"
        );
        for secret in ["client-secret", "hostile-session", BASIC] {
            assert!(
                !output.contains(secret),
                "{args:?}: {secret} printed: {output}"
            );
        }
    }
}

/// Regular files, links and others in `dir`, by name.
fn entries(dir: &Path) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let kind = e.file_type().unwrap();
            let kind = if kind.is_symlink() {
                "link"
            } else if kind.is_file() {
                "file"
            } else {
                "other"
            };
            (e.file_name().to_string_lossy().into_owned(), kind)
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_planted_at_a_killed_runs_part_file_is_never_written_through() {
    let slow = Arc::new(AtomicBool::new(true));
    let serve_slowly = slow.clone();
    let server = Hostile::start(one_output(move || {
        if serve_slowly.load(Ordering::SeqCst) {
            Reply::new(
                200,
                Payload::Trickle {
                    n: 100_000,
                    every: Duration::from_millis(5),
                },
            )
        } else {
            Reply::new(
                200,
                Payload::Bytes(b"Kaydara FBX Binary  \0 the real bytes".to_vec()),
            )
        }
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let precious = outside.path().join("precious.txt");
    std::fs::write(&precious, "the user's data").unwrap();
    let home = dir.path().join(".home");
    std::fs::create_dir_all(&home).unwrap();
    // First run: killed while the download trickles in, leaving its part file.
    let mut child = Command::new(BIN)
        .args(["download", RID, "--out", "out"])
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", &home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("DEEPMOTION_API_URL", &server.base)
        .env("DEEPMOTION_CLIENT_ID", "client-id")
        .env("DEEPMOTION_CLIENT_SECRET", "client-secret")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = dir.path().join("out");
    let started = Instant::now();
    let part = loop {
        let found = std::fs::read_dir(&out).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(".part"))
        });
        if let Some(part) = found {
            break part;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "no part file");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    // An attacker replaces the predictable part file with a link.
    std::fs::remove_file(&part).unwrap();
    std::os::unix::fs::symlink(&precious, &part).unwrap();
    slow.store(false, Ordering::SeqCst);
    let run = run_async(
        server.base.clone(),
        dir.path().to_owned(),
        vec!["download", RID, "--out", "out"],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert_eq!(
        std::fs::read_to_string(&precious).unwrap(),
        "the user's data"
    );
    let kinds = entries(&out);
    let part_name = part.file_name().unwrap().to_string_lossy().into_owned();
    for (name, kind) in &kinds {
        if *name == part_name {
            assert_eq!(*kind, "link", "the planted link is left as it is");
        } else {
            assert_eq!(*kind, "file", "{name} in {kinds:?}");
            assert!(!name.ends_with(".part"), "{kinds:?}");
        }
    }
    let saved: Vec<&(String, &str)> = kinds.iter().filter(|(n, _)| *n != part_name).collect();
    assert_eq!(saved.len(), 1, "{kinds:?}");
    let bytes = std::fs::read(out.join(&saved[0].0)).unwrap();
    assert!(bytes.ends_with(b"the real bytes"), "{bytes:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_that_repeat_are_server_faults_not_try_again_later() {
    // A head larger than any client accepts.
    let huge_head = Hostile::start(with_login(|_| {
        Reply::json(200, "{}").header("x-padding", "a".repeat(2 * 1024 * 1024))
    }))
    .await;
    // A download answered with a range nobody asked for.
    let absurd_range = Hostile::start(one_output(|| {
        Reply::new(206, Payload::Bytes(b"xx".to_vec()))
            .header("content-range", "bytes 999999999-1000000000/5")
    }))
    .await;
    let dir = tempfile::tempdir().unwrap();
    for (server, args) in [
        (&huge_head, vec!["status", RID]),
        (&huge_head, vec!["--json", "status", RID]),
        (&absurd_range, vec!["download", RID, "--out", "out"]),
    ] {
        let run = run_async(server.base.clone(), dir.path().to_owned(), args.clone()).await;
        assert_eq!(run.code, Some(4), "{args:?}: {run:?}");
        let output = format!("{}{}", run.stdout, run.stderr);
        assert!(!output.contains("try again later"), "{args:?}: {output}");
        assert!(output.contains("broke the protocol"), "{args:?}: {output}");
        if args[0] == "--json" {
            let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
            assert_eq!(doc["error"]["kind"], "server_fault", "{doc}");
            assert_eq!(doc["error"]["exit_code"], 4, "{doc}");
        }
        assert_bounded(&run);
    }
    let saved_something =
        dir.path().join("out").read_dir().is_ok_and(|mut d| {
            d.any(|e| !e.unwrap().file_name().to_string_lossy().starts_with('.'))
        });
    assert!(!saved_something, "nothing is saved from a broken answer");
}

#[tokio::test(flavor = "multi_thread")]
async fn status_reports_every_known_rid_when_a_batch_is_all_unknown() {
    use motionkit_tests::hostile::{knows_some_rids, three_hundred_rids};
    let server = Hostile::start(with_login(knows_some_rids)).await;
    let dir = tempfile::tempdir().unwrap();
    let rids = three_hundred_rids();
    let leaked: Vec<&'static str> = rids
        .iter()
        .map(|r| &*Box::leak(r.clone().into_boxed_str()))
        .collect();
    let mut args = vec!["--json", "status"];
    args.extend(leaked.iter().copied());
    let json = run_async(server.base.clone(), dir.path().to_owned(), args).await;
    assert_eq!(json.code, Some(1), "unknown ids: not found: {json:?}");
    assert!(server.count("GET", "/status/") >= 3, "several batches");
    let output: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(output["jobs"].as_array().unwrap().len(), 200, "{output}");
    assert_eq!(output["unknown"].as_array().unwrap().len(), 100);
    assert_eq!(output["unknown"][0], rids[200].as_str());

    let mut args = vec!["status"];
    args.extend(leaked.iter().copied());
    let text = run_async(server.base.clone(), dir.path().to_owned(), args).await;
    assert_eq!(text.code, Some(1), "{text:?}");
    assert_eq!(
        text.stdout.lines().count(),
        200,
        "every known job is printed"
    );
    assert!(text.stderr.contains(&rids[299]), "{}", text.stderr);
}
