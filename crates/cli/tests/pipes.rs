//! The real binary writing into real pipes: a reader that goes away
//! (`motionkit ... | head -1`) ends the command quietly, and plain progress
//! in a pipe ends every transfer on a final line.

mod support;

use std::io::Read as _;
use std::process::{Command, Stdio};

use support::{CLEARED, code, fixture, text};
use tempfile::TempDir;

/// The status a shell reports for a program that SIGPIPE ended.
const CLOSED_EXIT: i32 = 141;

/// The binary with a clean environment and its own folders under `home`.
fn motionkit(home: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_motionkit"));
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("RUST_BACKTRACE", "1");
    cmd
}

/// Runs `args` with stdout a pipe whose read end is closed as soon as the
/// process has started; returns the exit code and stderr.
///
/// A process another test thread forks at the same moment holds a copy of
/// the read end until it execs, and a write made then succeeds instead of
/// failing: one run that exits 0 is tried again (at most twice).
fn with_stdout_closed(home: &std::path::Path, args: &[&str]) -> (i32, String) {
    let mut last = (0, String::new());
    for _ in 0..3 {
        last = run_with_stdout_closed(home, args);
        if last.0 != 0 {
            break;
        }
    }
    last
}

fn run_with_stdout_closed(home: &std::path::Path, args: &[&str]) -> (i32, String) {
    let mut child = motionkit(home)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    (status.code().unwrap_or(-1), stderr)
}

/// A home whose embedded sandbox has one finished job, so `list` prints.
fn home_with_a_job() -> TempDir {
    let home = TempDir::new().unwrap();
    let output = motionkit(home.path())
        .args(["--sandbox", "--quiet", "animate"])
        .arg(fixture("walk.mp4"))
        .arg("--out")
        .arg(home.path().join("out"))
        .output()
        .unwrap();
    assert_eq!(code(&output), 0, "{}", text(&output.stderr));
    home
}

#[test]
fn a_closed_stdout_ends_listings_config_and_completions_quietly() {
    let home = home_with_a_job();
    for args in [
        &["--sandbox", "list"][..],
        &["--sandbox", "--json", "list"],
        &["--sandbox", "themes"],
        &["config", "show"],
        &["--json", "config", "show"],
        &["completions", "zsh"],
        &["--help"],
    ] {
        let (status, stderr) = with_stdout_closed(home.path(), args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        // Help is printed by clap, which ignores the failed write.
        let expected = if args == ["--help"] { 0 } else { CLOSED_EXIT };
        assert_eq!(status, expected, "{args:?}: {stderr}");
    }
}

#[test]
fn piped_into_head_nothing_panics() {
    let home = home_with_a_job();
    let bin = env!("CARGO_BIN_EXE_motionkit");
    for command in [
        "\"$0\" --sandbox list | head -1",
        "\"$0\" config show | head -1",
        "\"$0\" completions zsh | head -1",
        "\"$0\" --sandbox themes | head -1",
    ] {
        let mut bash = Command::new("bash");
        for var in CLEARED {
            bash.env_remove(var);
        }
        // The binary is the script's `$0`.
        let output = bash
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_CACHE_HOME", home.path().join("cache"))
            .env("RUST_BACKTRACE", "1")
            .arg("-c")
            .arg(format!(
                "{command}; echo \"motionkit exited ${{PIPESTATUS[0]}}\" >&2"
            ))
            .arg(bin)
            .output()
            .unwrap();
        let stdout = text(&output.stdout);
        let stderr = text(&output.stderr);
        assert_eq!(stdout.lines().count(), 1, "{command}: {stdout}");
        assert!(!stderr.contains("panicked"), "{command}: {stderr}");
        // Whether the reader was gone before the last write is a race:
        // either the command finished (0) or it stopped quietly (141).
        assert!(
            stderr.contains("motionkit exited 0") || stderr.contains("motionkit exited 141"),
            "{command}: {stderr}"
        );
    }
}

#[test]
fn plain_progress_in_a_pipe_ends_every_transfer_on_its_final_line() {
    let home = TempDir::new().unwrap();
    let out = home.path().join("out");
    let output = motionkit(home.path())
        .arg("--sandbox")
        .arg("animate")
        .arg(fixture("walk.mp4"))
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), 0, "{stderr}");
    // Every output saved had its transfer announced, and each one's last
    // line says it completed: `get KIND 100% (...)` or `get KIND done (...)`.
    let saved = text(&output.stdout);
    assert!(!saved.is_empty(), "{stderr}");
    for line in saved.lines() {
        let kind = line.split('\t').nth(1).unwrap_or_default();
        let prefix = format!("walk.mp4: get {kind} ");
        let last = stderr
            .lines()
            .rfind(|l| l.starts_with(&prefix))
            .unwrap_or_else(|| panic!("no progress line for {kind}: {stderr}"));
        assert!(
            last.contains(" 100% (") || last.contains(" done ("),
            "the last line of {kind} is not a final one: {last:?}\n{stderr}"
        );
    }
    // The upload's too.
    let upload = stderr
        .lines()
        .rfind(|l| l.starts_with("walk.mp4: upload "))
        .unwrap_or_else(|| panic!("no upload line: {stderr}"));
    assert!(upload.contains(" 100% ("), "{upload}\n{stderr}");
}
