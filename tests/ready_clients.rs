//! What a new user writes first, run as written: clients from the sandbox
//! (`Sandbox::deepmotion_client`, `Sandbox::motiondynamic_client`) that
//! animate a video and render a generation to a saved MP4 with no URL,
//! credential, token, receiver or wait of the user's own; and clients from
//! the environment and config file (`Client::from_env`), as the CLI reads
//! them, with errors that name the missing variable.

use std::process::Command;
use std::time::Duration;

use motionkit_deepmotion::Animate;
use motionkit_models::motiondynamic::DEMO_THEME_ID;
use motionkit_motiondynamic::ReadyVia;
use motionkit_tests::{demo_generation, fixture, parse_bvh, sandbox};

#[tokio::test]
async fn ready_sandbox_clients_animate_a_video_and_render_a_generation_to_a_saved_mp4() {
    let sandbox = sandbox(|_| {}).await;
    let out = tempfile::tempdir().unwrap();

    // DeepMotion: one line to a client, one call to the files.
    let dm = sandbox.deepmotion_client().unwrap();
    assert_eq!(dm.wait_options().first_interval, Duration::from_millis(100));
    let animation = Animate::new(fixture("walk.mp4"), out.path().join("animation"))
        .send(&dm)
        .await
        .unwrap();
    let bvh = animation
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "bvh"))
        .unwrap_or_else(|| panic!("a BVH among {:?}", animation.files));
    let text = std::fs::read_to_string(bvh).unwrap();
    assert!(parse_bvh(&text).unwrap().frames > 0);
    assert_eq!(sandbox.deepmotion().process_submissions(), 1);

    // MotionDynamic: the client comes with a receiver of its own, so the
    // video-ready webhook arrives with nothing else to set up.
    let md = sandbox.motiondynamic_client().await.unwrap();
    let theme = md.theme(DEMO_THEME_ID).await.unwrap();
    let generate = demo_generation(&theme, sandbox.picture_url(1200, 680));
    let found = generate.preflight(&md).await;
    assert!(found.errors.is_empty(), "{found:?}");
    let submission = generate.send(&md).await.unwrap();
    let video = md.wait_one(&submission).await.unwrap();
    assert_eq!(video.via, ReadyVia::Webhook);
    let saved = md
        .download(&video, &out.path().join("renders"))
        .await
        .unwrap();
    let bytes = std::fs::read(&saved.path).unwrap();
    assert_eq!(&bytes[4..8], b"ftyp", "{saved:?}");

    // A picture too small for the theme is found before anything is sent.
    let small = demo_generation(&theme, sandbox.picture_url(64, 64));
    let found = small.preflight(&md).await;
    assert!(
        found.errors.iter().any(|v| v.field == "image_produit"),
        "{found:?}"
    );
    sandbox.shutdown().await;
}

/// Set in the environment of a child run of this binary.
const CHILD: &str = "MOTIONKIT_TEST_FROM_ENV_CHILD";

/// Runs `test` of this binary in a child process with `env` only (plus
/// PATH), and returns its exit status and output.
fn child(test: &str, env: &[(&str, String)]) -> (bool, String) {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command
        .args([
            "--exact",
            test,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env_clear()
        .env(CHILD, "1");
    if let Ok(path) = std::env::var("PATH") {
        command.env("PATH", path);
    }
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test]
async fn clients_from_the_environment_read_what_the_cli_reads_and_name_what_is_missing() {
    let sandbox = sandbox(|_| {}).await;
    let home = tempfile::tempdir().unwrap();
    // The URLs from a profile of the config file, the DeepMotion id from
    // the file's top level, its secret and the token from the environment.
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[deepmotion]\nclient_id = \"{}\"\napi_url = \"http://127.0.0.1:9\"\n\n\
             [profiles.local.deepmotion]\napi_url = \"{}\"\n\n\
             [profiles.local.motiondynamic]\napi_url = \"{}\"\n",
            sandbox.client_id(),
            sandbox.deepmotion_url(),
            sandbox.motiondynamic_url()
        ),
    )
    .unwrap();
    let env = vec![
        ("HOME", home.path().display().to_string()),
        ("MOTIONKIT_CONFIG", config.display().to_string()),
        ("MOTIONKIT_PROFILE", "local".to_owned()),
        (
            "DEEPMOTION_CLIENT_SECRET",
            sandbox.client_secret().to_owned(),
        ),
        ("MOTIONDYNAMIC_TOKEN", sandbox.token()),
    ];
    let run = env.clone();
    let (ok, output) = tokio::task::spawn_blocking(move || child("from_env_child", &run))
        .await
        .unwrap();
    assert!(ok, "{output}");
    assert!(output.contains("deepmotion models: "), "{output}");
    assert!(output.contains("motiondynamic themes: "), "{output}");

    // Without the secret: the error names the variable to set.
    let without: Vec<(&str, String)> = env
        .into_iter()
        .filter(|(k, _)| *k != "DEEPMOTION_CLIENT_SECRET")
        .collect();
    let (ok, output) = tokio::task::spawn_blocking(move || child("from_env_child", &without))
        .await
        .unwrap();
    assert!(!ok, "{output}");
    assert!(
        output.contains("DEEPMOTION_CLIENT_SECRET is not set"),
        "{output}"
    );

    // A profile the file does not have: named, with the ones it has.
    let (ok, output) = tokio::task::spawn_blocking(move || {
        child(
            "from_env_child",
            &[
                ("MOTIONKIT_CONFIG", config.display().to_string()),
                ("MOTIONKIT_PROFILE", "staging".to_owned()),
            ],
        )
    })
    .await
    .unwrap();
    assert!(!ok, "{output}");
    assert!(
        output.contains("profile \"staging\" is not in the config file")
            && output.contains("local"),
        "{output}"
    );
    sandbox.shutdown().await;
}

/// The child half of the test above: only runs in the child it starts.
#[tokio::test]
#[ignore = "run by clients_from_the_environment_read_what_the_cli_reads_and_name_what_is_missing"]
async fn from_env_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let dm = match motionkit_deepmotion::Client::from_env() {
        Ok(client) => client,
        Err(error) => panic!("deepmotion from_env: {error}"),
    };
    let models = dm.list_models(None, None).await.unwrap();
    println!("deepmotion models: {}", models.len());
    let md = motionkit_motiondynamic::Client::from_env().unwrap();
    let themes = md
        .themes(&motionkit_motiondynamic::ThemesQuery::new())
        .await
        .unwrap();
    println!("motiondynamic themes: {}", themes.len());
}
