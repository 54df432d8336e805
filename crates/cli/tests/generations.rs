//! `motionkit generate` and `motionkit generations get|wait|download`,
//! the real binary against sandboxes on 127.0.0.1 in both PostgREST modes:
//! a token that may read generations, and a plain PostgREST whose role may
//! only insert them (`--postgrest-mode plain`).

mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use motionkit_sandbox::{PostgrestMode, Sandbox};
use serde_json::Value;
use support::*;
use tempfile::TempDir;

fn stat(sandbox: &Sandbox, name: &str) -> u64 {
    sandbox.motiondynamic().store().stats.to_json()[name]
        .as_u64()
        .unwrap()
}

/// The one generation the sandbox holds.
fn only_generation(sandbox: &Sandbox) -> String {
    let generations = sandbox.motiondynamic().store().generations();
    assert_eq!(generations.len(), 1, "{generations:?}");
    generations[0].generation_id.clone()
}

fn run(sandbox: &Sandbox, home: &TempDir, args: &[&str]) -> std::process::Output {
    motionkit(home.path())
        .envs(motiondynamic_env(sandbox))
        .args(args)
        .output()
        .unwrap()
}

async fn generate_saves_the_mp4_with_one_post(mode: PostgrestMode) {
    let plain = mode == PostgrestMode::Plain;
    let sandbox = sandbox(|args| args.postgrest_mode = mode).await;
    let home = TempDir::new().unwrap();
    let out = home.path().join("videos");
    let output = run(
        &sandbox,
        &home,
        &[
            "--json",
            "generate",
            "--set",
            "l1_titre_01=Hello",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let stderr = text(&output.stderr);
    let json = json_output(&output, "generate");
    let id = only_generation(&sandbox);
    assert_eq!(json["generation_id"], id.as_str(), "{json}");
    assert_eq!(json["via"], "webhook", "{json}");
    if plain {
        assert!(stderr.contains("its id comes with its webhook"), "{stderr}");
        assert!(stat(&sandbox, "permission_denied") >= 1);
    } else {
        assert!(
            stderr.contains(&format!("generation {id} created")),
            "{stderr}"
        );
        assert_eq!(stat(&sandbox, "permission_denied"), 0);
    }
    // One generation, one POST: nothing sent twice, nothing refused.
    assert_eq!(stat(&sandbox, "generations"), 1);
    assert_eq!(stat(&sandbox, "generation_posts"), 1);
    let path = PathBuf::from(json["path"].as_str().unwrap());
    assert_eq!(path, out.join(format!("{id}.mp4")));
    let mp4 = std::fs::read(&path).unwrap();
    assert_eq!(&mp4[4..8], b"ftyp");
    assert_eq!(json["bytes"].as_u64(), Some(mp4.len() as u64));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_saves_the_mp4_when_the_token_may_read_generations() {
    generate_saves_the_mp4_with_one_post(PostgrestMode::Representation).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_saves_the_mp4_from_a_plain_postgrest_with_one_post() {
    generate_saves_the_mp4_with_one_post(PostgrestMode::Plain).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generate_timeout_0_submits_then_generations_get_wait_and_download_finish_it() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let out = home.path().join("videos");

    let output = run(
        &sandbox,
        &home,
        &[
            "--json",
            "generate",
            "--timeout",
            "0",
            "--set",
            "l1_titre_01=Hello",
        ],
    );
    let json = json_output(&output, "generate-submitted");
    let id = only_generation(&sandbox);
    assert_eq!(json["generation_id"], id.as_str(), "{json}");
    assert_eq!(json["submitted"], true);
    assert_eq!(json["confirmed"], true);
    let wait = format!("motionkit generations wait {id}");
    assert_eq!(json["wait_command"], wait.as_str());
    assert!(
        text(&output.stderr).contains(&format!("generation {id} created")),
        "{}",
        text(&output.stderr)
    );
    // Not waited for: nothing was downloaded.
    assert!(!out.exists());

    // Text output: the id on stdout, the command that waits on stderr.
    let output = run(
        &sandbox,
        &home,
        &["generate", "--timeout", "0", "--set", "l1_titre_01=Again"],
    );
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    let line = text(&output.stdout);
    let second = line.trim().strip_suffix("\tsubmitted").unwrap().to_owned();
    assert_ne!(second, id);
    assert!(
        text(&output.stderr).contains(&format!(
            "wait for it with: motionkit generations wait {second}"
        )),
        "{}",
        text(&output.stderr)
    );

    let output = run(&sandbox, &home, &["--json", "generations", "get", &id]);
    let json = json_output(&output, "generation");
    assert_eq!(json["generation_id"], id.as_str());
    assert!(
        matches!(
            json["status"].as_str(),
            Some("pending" | "rendering" | "done")
        ),
        "{json}"
    );
    assert_eq!(json["path"], Value::Null);

    let output = run(
        &sandbox,
        &home,
        &[
            "--json",
            "generations",
            "wait",
            &id,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let json = json_output(&output, "generation");
    assert_eq!(json["status"], "done", "{json}");
    let path = out.join(format!("{id}.mp4"));
    assert_eq!(json["path"], path.to_str().unwrap());
    let mp4 = std::fs::read(&path).unwrap();
    assert_eq!(&mp4[4..8], b"ftyp");

    // Never replaced without --clobber; no part file is left behind.
    let output = run(
        &sandbox,
        &home,
        &[
            "generations",
            "download",
            &id,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_ne!(code(&output), 0);
    assert_ne!(code(&output), 3);
    assert!(
        text(&output.stderr).contains("--clobber"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(std::fs::read(&path).unwrap(), mp4);
    let names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![format!("{id}.mp4")]);

    std::fs::write(&path, b"stale").unwrap();
    let output = run(
        &sandbox,
        &home,
        &[
            "generations",
            "download",
            &id,
            "--out",
            out.to_str().unwrap(),
            "--clobber",
        ],
    );
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert_eq!(std::fs::read(&path).unwrap(), mp4);
    assert_eq!(
        text(&output.stdout).trim(),
        format!("{id}\tdone\t{}", path.display())
    );

    // The second generation: waited for by id, downloaded separately.
    let output = run(&sandbox, &home, &["generations", "wait", &second]);
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert!(text(&output.stdout).starts_with(&format!("{second}\tdone\t")));
    let output = run(
        &sandbox,
        &home,
        &[
            "--json",
            "generations",
            "download",
            &second,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let json = json_output(&output, "generation");
    assert_eq!(
        json["path"],
        out.join(format!("{second}.mp4")).to_str().unwrap()
    );

    assert_eq!(stat(&sandbox, "generations"), 2);
    assert_eq!(stat(&sandbox, "generation_posts"), 2);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_reads_generations_commands_say_unavailable_and_never_resubmit() {
    let sandbox = sandbox(|args| args.postgrest_mode = PostgrestMode::Plain).await;
    let home = TempDir::new().unwrap();

    let output = run(
        &sandbox,
        &home,
        &["generate", "--timeout", "0", "--set", "l1_titre_01=Hello"],
    );
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout).trim(), "-\tsubmitted");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot be waited for"), "{stderr}");
    let id = only_generation(&sandbox);
    assert_eq!(stat(&sandbox, "generation_posts"), 1);

    // A refused read is "unavailable", not an authentication failure (3).
    for args in [
        vec!["generations", "get", id.as_str()],
        vec!["generations", "download", id.as_str(), "--out", "videos"],
    ] {
        let output = run(&sandbox, &home, &args);
        assert_eq!(code(&output), 1, "{args:?}: {}", text(&output.stderr));
        let stderr = text(&output.stderr);
        assert!(stderr.contains("unavailable"), "{stderr}");
        assert!(stderr.contains("42501"), "{stderr}");
    }
    // `wait` cannot receive the webhook of another process: it says so at
    // once instead of waiting until its timeout.
    let started = Instant::now();
    let output = run(&sandbox, &home, &["--json", "generations", "wait", &id]);
    assert_eq!(code(&output), 1, "{}", text(&output.stderr));
    let json = json_output(&output, "error");
    let message = json["error"]["message"].as_str().unwrap();
    assert!(message.contains("cannot wait"), "{json}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(!home.path().join("videos").exists());

    // Nothing was sent again, and the webhook is still delivered (retried
    // while nothing listens).
    assert_eq!(stat(&sandbox, "generations"), 1);
    assert_eq!(stat(&sandbox, "generation_posts"), 1);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generate_that_runs_out_of_time_names_the_command_that_waits_again() {
    // A cold renderer at real time: the first render takes minutes.
    let sandbox = sandbox(|args| {
        args.cold_start = true;
        args.time_scale = 1.0;
    })
    .await;
    let home = TempDir::new().unwrap();
    let output = run(
        &sandbox,
        &home,
        &["generate", "--timeout", "1s", "--set", "l1_titre_01=Hello"],
    );
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 2, "temporary: {stderr}");
    let id = only_generation(&sandbox);
    assert!(
        stderr.contains(&format!("motionkit generations wait {id}")),
        "{stderr}"
    );
    assert_eq!(stat(&sandbox, "generation_posts"), 1);
    sandbox.shutdown().await;
}
