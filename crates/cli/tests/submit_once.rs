//! `motionkit animate` posts each video at most once, whatever happens
//! around `POST /process`: the answer comes after `--request-timeout`, the
//! process is killed (SIGKILL) during the POST and run again, the connection is reset after the job was created
//! while `/list` lags behind, two different `clip.mp4` go in parallel from
//! two folders. A proxy in front of the in-process sandbox misbehaves and
//! counts every `POST /process`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use motionkit_sandbox::Sandbox;
use motionkit_tests::proxy::{OnProcess, Proxy};
use serde_json::Value;
use support::*;

/// `motionkit --json animate VIDEO --formats bvh --out OUT` through `proxy`.
fn animate(proxy: &Proxy, home: &Path, video: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_motionkit"));
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("DEEPMOTION_API_URL", &proxy.base)
        .env("DEEPMOTION_CLIENT_ID", "sandbox")
        .env("DEEPMOTION_CLIENT_SECRET", "sandbox-secret")
        .args(["--json", "animate"])
        .arg(video)
        .args(["--formats", "bvh", "--out"])
        .arg(out)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn copy(dir: &Path, from: &str, to: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(to);
    std::fs::copy(fixture(from), &path).unwrap();
    path
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&output.stdout)))
}

/// The rid `animate` reported for its one video.
fn rid(output: &Output) -> String {
    json(output)["videos"][0]["rid"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The `fileName` and `fileSize` the sandbox recorded for `rid`.
async fn job_input(sandbox: &Sandbox, rid: &str) -> (String, u64) {
    let client = motionkit_deepmotion::Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .build()
    .unwrap();
    let jobs = client.list(&[]).await.unwrap();
    let job = jobs.into_iter().find(|j| j.rid == rid).expect("listed");
    (
        job.file_name.unwrap_or_default(),
        job.file_size.unwrap_or_default() as u64,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_the_request_timeout_is_adopted_and_not_posted_again() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::AnswerAfter(Duration::from_secs(40)),
        Duration::ZERO,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let video = copy(home.path(), "walk.mp4", "clip.mp4");
    let out = home.path().join("out");
    let mut cmd = animate(&proxy, home.path(), &video, &out);
    cmd.env("MOTIONKIT_REQUEST_TIMEOUT", "1s");
    let started = Instant::now();
    let output = run(cmd).await;
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    // Done long before the held answer (40 s): the job was found in
    // `/list` once the 1 s attempt timed out.
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        proxy.process_posts(),
        1,
        "the timed-out POST was not sent again"
    );
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    assert_eq!(
        vec![rid(&output)],
        proxy.created(),
        "the job the POST created"
    );
    let (name, _) = job_input(&sandbox, &rid(&output)).await;
    assert_eq!(motionkit_deepmotion::original_name(&name), "clip.mp4");
    assert!(out.join("clip.bvh").is_file());
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_during_the_post_then_rerun_adopts_the_job_and_posts_once() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::AnswerAfter(Duration::from_secs(60)),
        Duration::ZERO,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let video = copy(home.path(), "walk.mp4", "clip.mp4");
    let out = home.path().join("out");
    let mut child = animate(&proxy, home.path(), &video, &out).spawn().unwrap();
    let started = Instant::now();
    while proxy.process_posts() == 0 {
        assert!(child.try_wait().unwrap().is_none(), "ended before its POST");
        assert!(started.elapsed() < Duration::from_secs(60), "no POST");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    let killed = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(killed.status.code(), None, "killed by a signal");
    assert_eq!(proxy.created().len(), 1, "the server created the job");

    proxy.set_on_process(OnProcess::Pass);
    let rerun = run(animate(&proxy, home.path(), &video, &out)).await;
    assert_eq!(code(&rerun), 0, "{}", text(&rerun.stderr));
    assert_eq!(proxy.process_posts(), 1, "the rerun did not post again");
    assert_eq!(vec![rid(&rerun)], proxy.created());
    assert!(out.join("clip.bvh").is_file(), "named after the input");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_post_with_a_lagging_list_exits_2_and_a_later_run_adopts_its_job() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::ResetAfterCreate,
        Duration::from_secs(600),
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let video = copy(home.path(), "walk.mp4", "clip.mp4");
    let out = home.path().join("out");

    let first = run(animate(&proxy, home.path(), &video, &out)).await;
    assert_eq!(code(&first), 2, "{}", text(&first.stderr));
    let error = &json(&first)["error"];
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("clip-") && message.contains("not sent again"),
        "{message}"
    );
    // Still not listed: looked up again, not sent again.
    let second = run(animate(&proxy, home.path(), &video, &out)).await;
    assert_eq!(code(&second), 2, "{}", text(&second.stderr));
    assert!(
        text(&second.stderr).contains("--resubmit-unconfirmed"),
        "{}",
        text(&second.stderr)
    );
    assert_eq!(proxy.process_posts(), 1);

    proxy.set_list_lag(Duration::ZERO);
    proxy.set_on_process(OnProcess::Pass);
    let third = run(animate(&proxy, home.path(), &video, &out)).await;
    assert_eq!(code(&third), 0, "{}", text(&third.stderr));
    assert_eq!(proxy.process_posts(), 1, "one POST over three runs");
    assert_eq!(vec![rid(&third)], proxy.created());
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clip_mp4_from_two_folders_in_parallel_each_get_their_own_job() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::ResetAfterCreate,
        Duration::ZERO,
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let a = home.path().join("a");
    let b = home.path().join("b");
    let video_a = copy(&a, "walk.mp4", "clip.mp4");
    let padded = motionkit_tests::padded_mp4(&std::fs::read(&video_a).unwrap(), 64 * 1024);
    std::fs::create_dir_all(&b).unwrap();
    let video_b = b.join("clip.mp4");
    std::fs::write(&video_b, padded).unwrap();

    let (run_a, run_b) = tokio::join!(
        run(animate(&proxy, home.path(), &video_a, &a.join("out"))),
        run(animate(&proxy, home.path(), &video_b, &b.join("out")))
    );
    assert_eq!(code(&run_a), 0, "{}", text(&run_a.stderr));
    assert_eq!(code(&run_b), 0, "{}", text(&run_b.stderr));
    assert_eq!(proxy.process_posts(), 2, "one POST per video");
    let (rid_a, rid_b) = (rid(&run_a), rid(&run_b));
    assert_ne!(rid_a, rid_b);
    for (rid, video) in [(&rid_a, &video_a), (&rid_b, &video_b)] {
        let (name, size) = job_input(&sandbox, rid).await;
        assert_eq!(motionkit_deepmotion::original_name(&name), "clip.mp4");
        assert_eq!(
            size,
            std::fs::metadata(video).unwrap().len(),
            "{rid} is the job of {}",
            video.display()
        );
    }
    sandbox.shutdown().await;
}
