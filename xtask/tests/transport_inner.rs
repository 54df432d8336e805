//! The transfers (upload, resumable upload, download) use the transport's
//! small internal interface (`limits()`, `timeouts()`, `address_policy()`,
//! `download_client()`, `transfer_retry_delay()`), never the fields of its
//! shared state: retry and budget decisions stay in the orchestrator, and
//! the state can change shape without touching them.

use xtask::workspace_root;

const TRANSFERS: &[&str] = &[
    "upload.rs",
    "resumable.rs",
    "resume.rs",
    "download.rs",
    "download_attempt.rs",
    "partial.rs",
    "save.rs",
];

#[test]
fn transfers_do_not_reach_into_the_transports_state() {
    let dir = workspace_root().join("crates/transport/src");
    for file in TRANSFERS {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        for (number, line) in text.lines().enumerate() {
            assert!(
                !line.contains(".inner") && !line.contains("Inner"),
                "crates/transport/src/{file}:{}: {line}",
                number + 1
            );
        }
    }
}
