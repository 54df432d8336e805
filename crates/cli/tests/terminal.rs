//! The CLI at a terminal (a pseudo-terminal): progress bars with ETAs, the
//! job's rid and state, a ticking batch total and no stale lines; the
//! resume message; `config init`; delete confirmation.

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use expectrl::Expect as _;
use support::*;
use tempfile::TempDir;

const COLS: u16 = 120;
const ROWS: u16 = 40;

/// Runs `command` under a pseudo-terminal of COLS × ROWS; returns every byte
/// it wrote and its exit code.
fn at_terminal(mut command: std::process::Command, home: &std::path::Path) -> (Vec<u8>, i32) {
    command
        .env("TERM", "xterm-256color")
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"));
    let mut session = expectrl::Session::spawn(command).unwrap();
    session
        .get_process_mut()
        .set_window_size(COLS, ROWS)
        .unwrap();
    session.set_expect_timeout(Some(Duration::from_secs(90)));
    let captures = session.expect(expectrl::Eof).unwrap();
    let bytes = captures.as_bytes().to_vec();
    let status = session.get_process().wait().unwrap();
    let code = match status {
        expectrl::process::unix::WaitStatus::Exited(_, code) => code,
        _ => -1,
    };
    (bytes, code)
}

fn screen(bytes: &[u8]) -> String {
    let size = |n: u16| std::num::NonZeroU16::new(n).unwrap();
    let mut parser = vt100::Parser::new(size(ROWS), size(COLS), 0);
    parser.process(bytes);
    parser.screen().contents()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_bars_show_eta_rid_and_state_and_leave_no_stale_line() {
    let sandbox = sandbox(|args| args.time_scale = 10.0).await;
    let home = TempDir::new().unwrap();
    let videos = home.path().join("videos");
    std::fs::create_dir(&videos).unwrap();
    for name in ["a.mp4", "b.mp4"] {
        std::fs::copy(fixture("walk.mp4"), videos.join(name)).unwrap();
    }
    let out = home.path().join("out");
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("motionkit"));
    for var in CLEARED {
        command.env_remove(var);
    }
    command
        .args(["animate", "--formats", "bvh"])
        .arg(videos.join("a.mp4"))
        .arg(videos.join("b.mp4"))
        .arg("--out")
        .arg(&out)
        .envs(deepmotion_env(&sandbox));
    let home_path = home.path().to_owned();
    let (bytes, code) = tokio::task::spawn_blocking(move || at_terminal(command, &home_path))
        .await
        .unwrap();
    let raw = text(&bytes);
    assert_eq!(code, 0, "{raw}");
    assert!(raw.contains("eta"), "no ETA: {raw:?}");
    assert!(raw.contains("rid="), "no rid on the job bar: {raw:?}");
    assert!(
        raw.contains("job STARTING") || raw.contains("job PROGRESS"),
        "no state: {raw:?}"
    );
    // The total's elapsed time ticks: it was drawn with several values.
    let mut elapsed: Vec<&str> = raw
        .split("done, ")
        .skip(1)
        .filter_map(|rest| rest.split(" elapsed").next())
        .collect();
    elapsed.sort_unstable();
    elapsed.dedup();
    assert!(
        elapsed.len() >= 2,
        "the total's elapsed time never moved: {elapsed:?}"
    );
    let screen = screen(&bytes);
    let totals = screen
        .lines()
        .filter(|l| l.trim_start().starts_with("total"))
        .count();
    assert_eq!(totals, 1, "stale total lines:\n{screen}");
    assert!(out.join("a").join("a.bvh").is_file() && out.join("b").join("b.bvh").is_file());

    // The same batch again: the state file is picked up and said so.
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .args(["animate", "--formats", "bvh"])
        .arg(videos.join("a.mp4"))
        .arg(videos.join("b.mp4"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(code_of(&output), 0);
    assert!(
        text(&output.stderr).contains("resuming: 2 done, 0 to go"),
        "{}",
        text(&output.stderr)
    );
    sandbox.shutdown().await;
}

fn code_of(output: &std::process::Output) -> i32 {
    code(output)
}

#[test]
fn config_init_asks_at_a_terminal_and_writes_a_private_file() {
    let home = TempDir::new().unwrap();
    let path = home.path().join("conf").join("motionkit.toml");
    let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin!("motionkit"));
    command
        .arg("--config-file")
        .arg(&path)
        .args(["config", "init"]);
    for var in CLEARED {
        command.env_remove(var);
    }
    command.env("HOME", home.path());
    let mut session = expectrl::Session::spawn(command).unwrap();
    session.set_expect_timeout(Some(Duration::from_secs(30)));
    session.expect("DeepMotion API URL").unwrap();
    // Not a URL (a client id typed one question too early): asked again.
    session.send_line("my-client-id").unwrap();
    session.expect("is not a URL").unwrap();
    session.expect("DeepMotion API URL").unwrap();
    session.send_line("").unwrap();
    session.expect("client id").unwrap();
    session.send_line("my-id").unwrap();
    session.expect("client secret").unwrap();
    session.send_line("my-secret-value").unwrap();
    session.expect("MotionDynamic API URL").unwrap();
    session.send_line("").unwrap();
    session.expect("token").unwrap();
    session.send_line("my-token").unwrap();
    let rest = session.expect(expectrl::Eof).unwrap();
    let shown = text(rest.as_bytes());
    assert!(
        !shown.contains("my-secret-value"),
        "the secret was echoed: {shown}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let table: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    assert_eq!(table["deepmotion"]["client_id"].as_str(), Some("my-id"));
    assert_eq!(
        table["deepmotion"]["client_secret"].as_str(),
        Some("my-secret-value")
    );
    assert_eq!(table["motiondynamic"]["token"].as_str(), Some("my-token"));
    assert!(table["deepmotion"].get("api_url").is_none());

    // Without a terminal it refuses, and it never replaces a file without --force.
    let output = motionkit(home.path())
        .arg("--config-file")
        .arg(&path)
        .args(["config", "init"])
        .output()
        .unwrap();
    assert_eq!(code(&output), 1);
    assert!(text(&output.stderr).contains("terminal"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_ask_for_confirmation_at_a_terminal() {
    let sandbox = sandbox(|_| {}).await;
    let home = TempDir::new().unwrap();
    let output = motionkit(home.path())
        .envs(deepmotion_env(&sandbox))
        .args(["--json", "webhooks", "create", "http://127.0.0.1:9/h"])
        .output()
        .unwrap();
    let json = json_output(&output, "webhook");
    let id = json["endpoint"]["id"].as_str().unwrap().to_owned();
    let env = deepmotion_env(&sandbox);
    let home_path = home.path().to_owned();
    let answer = |reply: &'static str| {
        let id = id.clone();
        let env = env.clone();
        let home_path = home_path.clone();
        move || {
            let mut command =
                std::process::Command::new(assert_cmd::cargo::cargo_bin!("motionkit"));
            command.args(["webhooks", "delete", &id]).envs(env);
            for var in ["MOTIONKIT_CONFIG", "MOTIONKIT_SANDBOX"] {
                command.env_remove(var);
            }
            command.env("XDG_CONFIG_HOME", home_path.join("config"));
            let mut session = expectrl::Session::spawn(command).unwrap();
            session.set_expect_timeout(Some(Duration::from_secs(30)));
            session.expect("[y/N]").unwrap();
            session.send_line(reply).unwrap();
            session.expect(expectrl::Eof).unwrap();
            match session.get_process().wait().unwrap() {
                expectrl::process::unix::WaitStatus::Exited(_, code) => code,
                _ => -1,
            }
        }
    };
    assert_eq!(tokio::task::spawn_blocking(answer("n")).await.unwrap(), 1);
    let listed = |sandbox: &motionkit_sandbox::Sandbox| {
        text(
            &motionkit(home.path())
                .envs(deepmotion_env(sandbox))
                .args(["webhooks", "list"])
                .output()
                .unwrap()
                .stdout,
        )
    };
    assert!(listed(&sandbox).contains(&id));
    assert_eq!(tokio::task::spawn_blocking(answer("y")).await.unwrap(), 0);
    assert!(!listed(&sandbox).contains(&id));
    sandbox.shutdown().await;
}
