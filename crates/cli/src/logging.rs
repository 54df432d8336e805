//! Logs on stderr through `tracing-subscriber`.
//!
//! - nothing but warnings of motionkit's own crates by default, nothing at
//!   all with `--quiet`;
//! - `-v`: every HTTP attempt (method, host, path without query, status,
//!   attempt number, duration), retries, pauses and sign-ins;
//! - `-vv`: everything motionkit logs, and other crates' information;
//! - `MOTIONKIT_LOG`, then `RUST_LOG` (when no `-v` is given), take
//!   `tracing` filter directives instead, for example
//!   `MOTIONKIT_LOG=motionkit_transport=trace`.
//!
//! The libraries never log secrets (paths are templates, URLs lose their
//! query strings, cookies and tokens are not fields), so no filter here
//! can reveal one. The host of the API a command talks to is a field of the
//! `api` span every command runs in (see `commands::run`).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

use crate::args::GlobalArgs;

fn directives(global: &GlobalArgs) -> String {
    let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(directives) = from_env("MOTIONKIT_LOG") {
        return directives;
    }
    match (global.verbose, global.quiet) {
        (0, true) => "off".to_owned(),
        (0, false) => from_env("RUST_LOG")
            .unwrap_or_else(|| "off,motionkit=warn,motionkit_sandbox=off".to_owned()),
        (1, _) => "warn,motionkit=info,motionkit_transport=debug,motionkit_sandbox=warn".to_owned(),
        _ => "info,motionkit=debug,motionkit_sandbox=info".to_owned(),
    }
}

/// Installs the subscriber for this process.
pub fn init(global: &GlobalArgs) {
    let directives = directives(global);
    if directives == "off" {
        return;
    }
    let filter = EnvFilter::try_new(&directives).unwrap_or_else(|e| {
        crate::stdio::err(format_args!(
            "motionkit: ignoring the log filter {directives:?}: {e}"
        ));
        EnvFilter::new("off,motionkit=warn")
    });
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .with_target(global.verbose >= 2)
        // Its own report of a failed write is an `eprintln!`, which panics
        // when stderr is closed; a log line nobody can read is dropped.
        .log_internal_errors(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbosity_selects_directives() {
        if std::env::var_os("MOTIONKIT_LOG").is_none() {
            let verbose = GlobalArgs {
                verbose: 1,
                ..GlobalArgs::default()
            };
            assert!(directives(&verbose).contains("motionkit_transport=debug"));
            let quiet = GlobalArgs {
                quiet: true,
                ..GlobalArgs::default()
            };
            assert_eq!(directives(&quiet), "off");
        }
    }
}
