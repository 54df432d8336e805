//! Many `motionkit` processes at once share MotionDynamic's per-IP budget
//! by default (a machine-wide file under the cache folder).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};

const PROCESSES: usize = 12;

/// `PROCESSES` `motionkit themes` started together; `cache(i)` is the
/// cache folder of process `i`. Returns their outputs and the 429s the
/// sandbox answered.
async fn themes_at_once(cache: impl Fn(usize) -> std::path::PathBuf) -> (Vec<Output>, u64) {
    let args = SandboxArgs::default().rate_limit(5).rate_limit_block(2.0);
    let sandbox = Sandbox::start(SandboxConfig::from_args(args).unwrap())
        .await
        .unwrap();
    let token = motionkit_sandbox::mint_token(&SandboxArgs::default().jwt_secret, 3600);
    let home = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|i| {
            Command::new(assert_cmd::cargo::cargo_bin("motionkit"))
                .args(["--quiet", "--json", "themes"])
                .env_remove("MOTIONKIT_REDIS_URL")
                .env_remove("MOTIONKIT_CONFIG")
                .env("MOTIONDYNAMIC_API_URL", sandbox.motiondynamic_url())
                .env("MOTIONDYNAMIC_TOKEN", &token)
                .env("HOME", home.path())
                .env("XDG_CONFIG_HOME", home.path().join("config"))
                .env("XDG_CACHE_HOME", cache(i))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let limited = sandbox.motiondynamic().rate_limited();
    sandbox.shutdown().await;
    (outputs, limited)
}

fn all_succeeded(outputs: &[Output]) -> bool {
    outputs.iter().all(|o| o.status.success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_runs_share_one_budget_by_default() {
    let cache = tempfile::tempdir().unwrap();
    let shared = cache.path().to_owned();
    let (outputs, limited) = themes_at_once(|_| shared.clone()).await;
    let stderr: Vec<_> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
        .collect();
    assert!(all_succeeded(&outputs), "{stderr:?}");
    assert_eq!(limited, 0, "{stderr:?}");
    assert!(
        Path::new(&cache.path().join("motionkit/rate-limit")).is_dir(),
        "the state lives under the cache folder"
    );
}

/// The contrast: processes that do not share a cache folder do not share
/// the budget, and the sandbox answers 429.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_with_separate_state_trip_the_limit() {
    let caches = tempfile::tempdir().unwrap();
    let root = caches.path().to_owned();
    let (_, limited) = themes_at_once(|i| root.join(i.to_string())).await;
    assert!(limited > 0);
}
