//! One `POST /process` per submission, whatever happens: the answer comes
//! after the client's timeout, the connection is reset after the job was
//! created, `/list` lags behind, the caller drops the future during the
//! POST, two videos of the same name go in parallel. A proxy in front of
//! the sandbox misbehaves and counts every `POST /process` it receives.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use motionkit_deepmotion::{
    Adoption, Animate, AnimateEvent, Client, Error, PendingSubmission, Process, ResumeState,
    UploadEvent, WaitOptions, original_name,
};
use motionkit_tests::proxy::{OnProcess, Proxy};
use motionkit_tests::{fixture, sandbox};
use motionkit_transport::{RetryPolicy, Timeouts, UploadOptions};
use motionkit_validation::{OutputFormat, ProcessParams};

/// A client of `base` that gives up on an attempt after one second.
fn impatient(base: &str) -> Client {
    Client::builder(base, "sandbox", "sandbox-secret".to_owned())
        .timeouts(
            Timeouts::default()
                .attempt(Duration::from_secs(1))
                .total(Duration::from_secs(10)),
        )
        .retry(
            RetryPolicy::default()
                .base_delay(Duration::from_millis(10))
                .max_delay(Duration::from_millis(50)),
        )
        .build()
        .unwrap()
}

fn copy(dir: &Path, from: &str, to: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join(to);
    std::fs::copy(fixture(from), &path).unwrap();
    path
}

/// The `fileName` the server recorded for `rid`.
async fn file_name_of(client: &Client, rid: &str) -> String {
    let jobs = client.list(&[]).await.unwrap();
    let job = jobs
        .iter()
        .find(|j| j.rid == rid)
        .expect("the job is listed");
    job.file_name.clone().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_after_the_timeout_is_adopted_and_not_sent_again() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::AnswerAfter(Duration::from_secs(3)),
        Duration::ZERO,
    )
    .await;
    let client = impatient(&proxy.base);
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let rid = Process::new(&upload).send(&client).await.unwrap().rid;
    assert_eq!(proxy.process_posts(), 1, "one POST /process");
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    assert_eq!(proxy.created(), vec![rid.clone()], "the job created");
    assert_eq!(file_name_of(&client, &rid).await, upload.name);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_after_the_job_was_created_is_adopted_and_not_sent_again() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::ResetAfterCreate,
        Duration::ZERO,
    )
    .await;
    let client = impatient(&proxy.base);
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let rid = Process::new(&upload).send(&client).await.unwrap().rid;
    assert_eq!(proxy.process_posts(), 1);
    assert_eq!(proxy.created(), vec![rid.clone()]);
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap();
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_list_gives_a_typed_unknown_outcome_that_adopt_resolves_later() {
    let sandbox = sandbox(|_| {}).await;
    let lag = Duration::from_secs(2);
    let proxy = Proxy::start(&sandbox.deepmotion_url(), OnProcess::ResetAfterCreate, lag).await;
    let client = impatient(&proxy.base);
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();
    let announced = Arc::new(Mutex::new(None));
    let seen = announced.clone();
    let err = Process::new(&upload)
        .on_submitting(move |pending| *seen.lock().unwrap() = Some(pending.clone()))
        .send(&client)
        .await
        .unwrap_err();
    let Error::SubmissionUnknown { pending, .. } = &err else {
        panic!("expected SubmissionUnknown, got {err:?}");
    };
    assert_eq!(pending.upload_name.as_deref(), Some(upload.name.as_str()));
    assert_eq!(announced.lock().unwrap().as_ref(), Some(pending));
    assert!(err.may_have_acted() && err.is_temporary(), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&upload.name) && message.contains("not sent again"),
        "{message}"
    );
    assert_eq!(
        Process::adopt(&client, pending).await.unwrap(),
        Adoption::NotListed,
        "/list lags"
    );
    tokio::time::sleep(lag).await;
    let adopted = Process::adopt(&client, pending).await.unwrap();
    assert_eq!(adopted, Adoption::Found(proxy.created()[0].clone()));
    assert_eq!(proxy.process_posts(), 1, "never sent again");
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_same_name_videos_in_parallel_each_adopt_their_own_job() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::ResetAfterCreate,
        Duration::ZERO,
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    // Two different videos, both `clip.mp4`, from two folders and two
    // clients (as two processes would be).
    let a = copy(&dir.path().join("a"), "walk.mp4", "clip.mp4");
    let b = copy(&dir.path().join("b"), "turn.mov", "clip.mp4");
    let submit = |video: PathBuf| {
        let client = impatient(&proxy.base);
        async move {
            let upload = client
                .upload(&video, &UploadOptions::default())
                .await
                .unwrap();
            let rid = Process::new(&upload).send(&client).await.unwrap().rid;
            (upload, rid)
        }
    };
    let ((upload_a, rid_a), (upload_b, rid_b)) = tokio::join!(submit(a.clone()), submit(b.clone()));
    assert_eq!(proxy.process_posts(), 2, "one POST per video");
    assert_ne!(rid_a, rid_b, "each folder has its own job");
    assert_eq!(original_name(&upload_a.name), "clip.mp4");
    assert_eq!(original_name(&upload_b.name), "clip.mp4");
    let client = impatient(&sandbox.deepmotion_url());
    let jobs = client.list(&[]).await.unwrap();
    for (rid, upload, video) in [(&rid_a, &upload_a, &a), (&rid_b, &upload_b, &b)] {
        let job = jobs.iter().find(|j| &j.rid == rid).unwrap();
        assert_eq!(job.file_name.as_deref(), Some(upload.name.as_str()));
        assert_eq!(
            job.file_size,
            Some(std::fs::metadata(video).unwrap().len() as f64),
            "{rid} is the job of {}",
            video.display()
        );
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_animate_during_the_post_then_rerunning_with_the_saved_state_posts_once() {
    let sandbox = sandbox(|_| {}).await;
    let proxy = Proxy::start(
        &sandbox.deepmotion_url(),
        OnProcess::AnswerAfter(Duration::from_secs(30)),
        Duration::ZERO,
    )
    .await;
    let client = Client::builder(&proxy.base, "sandbox", "sandbox-secret".to_owned())
        .build()
        .unwrap();
    let out = tempfile::tempdir().unwrap();
    let video = copy(out.path(), "walk.mp4", "walk.mp4");
    let saved: Arc<Mutex<(Option<ResumeState>, Option<PendingSubmission>)>> = Arc::default();
    let record = saved.clone();
    let params = ProcessParams::new().formats([OutputFormat::Bvh]);
    let animate = Animate::new(&video, out.path())
        .params(params.clone())
        .wait_options(WaitOptions::fast())
        .on_event(move |event| match event {
            AnimateEvent::UploadSession(UploadEvent::Session(state)) => {
                record.lock().unwrap().0 = Some(state)
            }
            AnimateEvent::Submitting { since, upload_name } => {
                let since_ms = since
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_millis() as u64;
                record.lock().unwrap().1 = Some(PendingSubmission {
                    upload_name: Some(upload_name),
                    rerun_of: None,
                    since_ms,
                });
            }
            _ => {}
        });
    {
        let run = animate.send(&client);
        tokio::pin!(run);
        let dropped = tokio::select! {
            _ = &mut run => false,
            _ = async {
                while proxy.process_posts() == 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            } => true,
        };
        assert!(dropped, "the run was still in its POST");
    }
    assert_eq!(proxy.created().len(), 1, "the server created the job");
    let (state, pending) = saved.lock().unwrap().clone();
    let (state, pending) = (state.expect("upload state"), pending.expect("Submitting"));
    assert_eq!(Some(state.name.as_str()), pending.upload_name.as_deref());

    proxy.set_on_process(OnProcess::Pass);
    let uploads = sandbox.deepmotion().requests("upload_url");
    let animation = Animate::new(&video, out.path())
        .params(params)
        .wait_options(WaitOptions::fast())
        .resume(state)
        .submission(pending)
        .send(&client)
        .await
        .unwrap();
    assert_eq!(proxy.process_posts(), 1, "the rerun did not post again");
    assert_eq!(vec![animation.rid.clone()], proxy.created());
    assert_eq!(sandbox.deepmotion().requests("upload_url"), uploads);
    assert_eq!(animation.files, vec![out.path().join("walk.bvh")]);
    sandbox.shutdown().await;
}
