//! Strict where the documents speak, lenient where they are silent, against
//! the sandbox on 127.0.0.1.
//!
//! - Every warning-level case (an unknown parameter or output format, an
//!   upload whose extension motionkit does not know, a render option the
//!   documents only show with `render.sbs=0`, a missing theme value, a
//!   picture URL with an unexpected extension) is sent, and the sandbox,
//!   which reads the documents on its own, accepts it.
//! - What the documents say fails (error 505, 503 for a trim beyond the
//!   end, 504 for an unknown model) is refused before `/process`, and sent
//!   only when forced.
//! - A picture job is rerun with png output: the rerun learns its input.

use motionkit_deepmotion::{Client, Error, Process, StoreModel, WaitOptions};
use motionkit_models::deepmotion::ErrorCode;
use motionkit_models::motiondynamic::{DEMO_THEME_ID, GenerationStatus};
use motionkit_sandbox::Sandbox;
use motionkit_tests::{demo_values_without_city, fixture, sandbox};
use motionkit_transport::UploadOptions;
use motionkit_validation::{InputKind, OutputFormat, ProcessParams};
use motionkit_validation::{Rule, Severity};

fn client(sandbox: &Sandbox) -> Client {
    Client::builder(
        sandbox.deepmotion_url(),
        "sandbox",
        "sandbox-secret".to_owned(),
    )
    .build()
    .unwrap()
}

fn copy_as(dir: &std::path::Path, name: &str, as_name: &str) -> std::path::PathBuf {
    let target = dir.join(as_name);
    std::fs::copy(fixture(name), &target).unwrap();
    target
}

#[tokio::test]
async fn warnings_never_block_and_the_sandbox_accepts_what_they_flag() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let dir = tempfile::tempdir().unwrap();
    // A video under an extension motionkit does not know, and a picture
    // named .mp4: what they are comes from their bytes.
    let mts = copy_as(dir.path(), "walk.mp4", "walk.mts");
    let pose = copy_as(dir.path(), "pose.png", "pose.mp4");
    let upload = client
        .upload(&mts, &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(
        (
            motionkit_deepmotion::original_name(&upload.name).as_str(),
            upload.input
        ),
        ("walk.mts", InputKind::Video)
    );
    let picture = client
        .upload(&pose, &UploadOptions::default())
        .await
        .unwrap();
    assert_eq!(picture.input, InputKind::Image);

    let params = ProcessParams::parse(&[
        "formats=bvh,usdz",
        "camera=1",
        "futureOption=on",
        "render.bgColor=0,177,64,0",
    ])
    .unwrap();
    let submitted = Process::new(&upload)
        .params(params)
        .send(&client)
        .await
        .unwrap();
    let rules: Vec<Rule> = submitted.warnings.iter().map(|w| w.rule).collect();
    assert_eq!(
        rules,
        [
            Rule::UnknownParameter,
            Rule::UnknownParameter,
            Rule::OneOf,
            // render.bgColor without render.sbs=0, and a render option
            // without a rendered format.
            Rule::Conflict,
            Rule::Conflict
        ]
    );
    assert!(
        submitted
            .warnings
            .iter()
            .all(|w| w.severity == Severity::Warning)
    );
    assert_eq!(
        sandbox.deepmotion().job_params(&submitted.rid).unwrap(),
        [
            "formats=bvh,usdz",
            "render.bgColor=0,177,64,0",
            "camera=1",
            "futureOption=on"
        ]
    );
    client
        .wait_one_with(&submitted.rid, &WaitOptions::fast())
        .await
        .unwrap();

    // png output for the picture named .mp4: allowed, because it is a picture.
    let rid = Process::new(&picture)
        .params(ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Png]))
        .send(&client)
        .await
        .unwrap()
        .rid;
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn a_picture_job_is_rerun_with_png_output() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let upload = client
        .upload(&fixture("pose.png"), &UploadOptions::default())
        .await
        .unwrap();
    let rid = Process::new(&upload)
        .params(ProcessParams::new().formats([OutputFormat::Bvh]))
        .send(&client)
        .await
        .unwrap()
        .rid;
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap();

    let rerun = Process::rerun(&rid)
        .params(ProcessParams::new().formats([OutputFormat::Png]))
        .send(&client)
        .await
        .unwrap();
    assert_eq!(rerun.input, InputKind::Image);
    client
        .wait_one_with(&rerun.rid, &WaitOptions::fast())
        .await
        .unwrap();
    let links = client
        .download_links(std::slice::from_ref(&rerun.rid))
        .await
        .unwrap();
    let files: Vec<String> = links[0]
        .urls
        .iter()
        .flatten()
        .flat_map(|u| u.files.iter().flatten().map(|(kind, _)| kind.clone()))
        .collect();
    assert!(files.iter().any(|f| f == "png"), "{files:?}");

    // trim is for videos: refused for the picture job before anything is sent.
    let before = sandbox.deepmotion().process_submissions();
    let err = Process::rerun(&rid)
        .params(ProcessParams::new().trim(0.0, 1.0))
        .send(&client)
        .await
        .unwrap_err();
    let Error::Validation(problems) = &err else {
        panic!("{err}")
    };
    assert_eq!(problems.0[0].rule, Rule::VideoInputOnly, "{err}");
    assert_eq!(sandbox.deepmotion().process_submissions(), before);
    sandbox.shutdown().await;
}

/// Submits `params` for `upload` without and then with force: the first is
/// refused before `/process` with `rule`, the second fails on the server
/// with `code`.
async fn refused_then_forced(
    sandbox: &Sandbox,
    client: &Client,
    upload: &motionkit_deepmotion::Upload,
    params: ProcessParams,
    rule: Rule,
    code: ErrorCode,
) {
    let before = sandbox.deepmotion().process_submissions();
    let err = Process::new(upload)
        .params(params.clone())
        .send(client)
        .await
        .unwrap_err();
    let Error::Validation(problems) = &err else {
        panic!("{err}")
    };
    assert_eq!(problems.0[0].rule, rule, "{err}");
    assert_eq!(problems.0[0].severity, Severity::DocumentedFailure);
    assert!(
        problems.0[0].limit.contains(&code.code().to_string()),
        "{err}"
    );
    assert_eq!(
        sandbox.deepmotion().process_submissions(),
        before,
        "nothing reached /process"
    );

    let forced = Process::new(upload)
        .params(params)
        .force(true)
        .send(client)
        .await
        .unwrap();
    assert_eq!(sandbox.deepmotion().process_submissions(), before + 1);
    let failed = client
        .wait_one_with(&forced.rid, &WaitOptions::fast())
        .await
        .unwrap_err();
    assert!(
        matches!(&failed, Error::JobFailed(f) if f.code() == Some(code)),
        "{failed}"
    );
}

#[tokio::test]
async fn what_the_documents_say_fails_is_refused_before_process_unless_forced() {
    let sandbox = sandbox(|_| {}).await;
    let client = client(&sandbox);
    let upload = client
        .upload(&fixture("walk.mp4"), &UploadOptions::default())
        .await
        .unwrap();

    // A custom character with the physics filter: error 505.
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("hero.glb");
    std::fs::copy(fixture("hero.glb"), &model).unwrap();
    let uploaded = client
        .upload_model(&model, None, &UploadOptions::default())
        .await
        .unwrap();
    let id = StoreModel::new(&uploaded.model_url)
        .send(&client)
        .await
        .unwrap();
    let sim = ProcessParams::new().sim(true).model(id.clone());
    refused_then_forced(
        &sandbox,
        &client,
        &upload,
        sim,
        Rule::Conflict,
        ErrorCode::Code505,
    )
    .await;

    // A trim past the end of the video: its duration comes from /videoInfo.
    let info = client.video_info(&upload.url).await.unwrap();
    let end = info.duration.unwrap();
    let trim = ProcessParams::new().trim(0.0, end + 5.0);
    refused_then_forced(
        &sandbox,
        &client,
        &upload,
        trim,
        Rule::TrimBeyondDuration,
        ErrorCode::Code503,
    )
    .await;

    // A model the account does not have: error 504.
    let missing = ProcessParams::new().model("no-such-model");
    refused_then_forced(
        &sandbox,
        &client,
        &upload,
        missing,
        Rule::UnknownModel,
        ErrorCode::Code504,
    )
    .await;

    // The custom model without the physics filter is fine.
    let rid = Process::new(&upload)
        .params(ProcessParams::new().model(id))
        .send(&client)
        .await
        .unwrap()
        .rid;
    client
        .wait_one_with(&rid, &WaitOptions::fast())
        .await
        .unwrap();
    sandbox.shutdown().await;
}

#[tokio::test]
async fn theme_values_the_documents_do_not_forbid_are_sent_and_rendered() {
    use motionkit_motiondynamic::WebhookReceiver;
    let sandbox = sandbox(|args| args.jwt_secret = "severities-secret".into()).await;
    let token = motionkit_sandbox::mint_token("severities-secret", 600);
    let client = motionkit_motiondynamic::Client::builder(sandbox.motiondynamic_url(), token)
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let receiver = WebhookReceiver::new(format!("{base}/hooks"));
    let router = axum::Router::new().nest("/hooks", receiver.router());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let theme = client.theme(DEMO_THEME_ID).await.unwrap();
    // No value for l6_ville_01, a value for an id the theme does not
    // have, and a picture URL whose extension is not png (a remote one:
    // the sandbox has no network and takes it on trust; the client does
    // not fetch it).
    let generate = demo_values_without_city(&theme, "https://pictures.example/render.php?id=7")
        .set("00000000-0000-4000-8000-000000000000", "extra")
        .fetch_pictures(false)
        .webhook(&receiver);
    let rules: Vec<Rule> = generate.warnings().iter().map(|w| w.rule).collect();
    assert!(rules.contains(&Rule::Required), "{rules:?}");
    assert!(rules.contains(&Rule::UnknownParameter), "{rules:?}");
    assert!(rules.contains(&Rule::PictureFormat), "{rules:?}");
    let submission = generate.send(&client).await.unwrap();
    let stored = sandbox
        .motiondynamic()
        .store()
        .generations()
        .into_iter()
        .find(|g| g.webhook.as_deref() == Some(submission.webhook_url()))
        .expect("the generation was created");
    assert_ne!(stored.status, Some(GenerationStatus::Discarded));
    assert!(
        stored
            .values
            .iter()
            .flatten()
            .any(|v| v.parameter_id == "00000000-0000-4000-8000-000000000000"),
        "the unknown id is sent as given"
    );
    sandbox.shutdown().await;
}
