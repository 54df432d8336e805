//! What the contract and terminal tests share: the binary with a clean
//! environment, sandboxes on 127.0.0.1, and JSON Schema checks against the
//! committed `docs/cli-schemas/`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};
use serde_json::Value;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
pub const SCHEMAS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli-schemas");

pub fn fixture(name: &str) -> PathBuf {
    Path::new(FIXTURES).join(name)
}

pub async fn sandbox(tune: impl FnOnce(&mut SandboxArgs)) -> Sandbox {
    let mut args = SandboxArgs::default().time_scale(60.0);
    tune(&mut args);
    Sandbox::start(SandboxConfig::from_args(args).unwrap())
        .await
        .unwrap()
}

/// Variables that would leak the developer's own setup into a test.
pub const CLEARED: &[&str] = &[
    "DEEPMOTION_CLIENT_ID",
    "DEEPMOTION_CLIENT_SECRET",
    "DEEPMOTION_API_URL",
    "MOTIONDYNAMIC_TOKEN",
    "MOTIONDYNAMIC_API_URL",
    "MOTIONKIT_CONFIG",
    "MOTIONKIT_SANDBOX",
    "MOTIONKIT_PROFILE",
    "MOTIONKIT_LOG",
    "MOTIONKIT_PROXY",
    "MOTIONKIT_REDIS_URL",
    "RUST_LOG",
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
];

/// The binary with a clean environment: no credentials, and config and
/// cache folders of its own under `home`.
pub fn motionkit(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("motionkit").unwrap();
    for var in CLEARED {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .timeout(Duration::from_secs(90));
    cmd
}

pub fn deepmotion_env(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    vec![
        ("DEEPMOTION_API_URL", sandbox.deepmotion_url()),
        ("DEEPMOTION_CLIENT_ID", "sandbox".into()),
        ("DEEPMOTION_CLIENT_SECRET", "sandbox-secret".into()),
    ]
}

pub fn token() -> String {
    motionkit_sandbox::mint_token(&SandboxArgs::default().jwt_secret, 3600)
}

pub fn motiondynamic_env(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    vec![
        ("MOTIONDYNAMIC_API_URL", sandbox.motiondynamic_url()),
        ("MOTIONDYNAMIC_TOKEN", token()),
    ]
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Parses stdout as one JSON document and validates it against
/// `docs/cli-schemas/{schema}.json`; with `error`, also against the error
/// schema, and checks the error's exit code is the process's.
pub fn json_output(output: &Output, schema: &str) -> Value {
    let stdout = text(&output.stdout);
    let value: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}): {stdout:?} / {}",
            text(&output.stderr)
        )
    });
    key_order(&stdout);
    let only_error = value
        .as_object()
        .is_some_and(|o| o.keys().all(|k| k == "error" || k == "simulated"));
    if !only_error {
        validate(schema, &value);
    }
    if value.get("error").is_some() {
        validate("error", &value);
        assert_eq!(
            value["error"]["exit_code"].as_i64(),
            Some(i64::from(code(output))),
            "{value}"
        );
    } else {
        assert_eq!(code(output), 0, "{value}");
    }
    value
}

/// Every document, failures included, opens with `simulated` and, when it
/// has one, ends with `error`, as docs/CLI.md promises (the schemas cannot
/// say anything about order).
pub fn key_order(text: &str) {
    let opening = text.trim_start().trim_start_matches('{').trim_start();
    assert!(
        opening.starts_with("\"simulated\""),
        "the first key is not simulated: {text}"
    );
    // Top-level keys of pretty JSON are the lines indented by two spaces.
    let keys: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  \"") && !l.starts_with("   "))
        .filter_map(|l| l.trim_start().split('"').nth(1))
        .collect();
    if let Some(at) = keys.iter().position(|k| *k == "error") {
        assert_eq!(at + 1, keys.len(), "error is not the last key: {text}");
    }
}

pub fn validate(schema: &str, value: &Value) {
    let path = Path::new(SCHEMAS).join(format!("{schema}.json"));
    let schema_json: Value = serde_json::from_slice(
        &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema_json)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{schema}: {errors:?}\n{value:#}");
}
