//! `motionkit`: the command line for DeepMotion Animate 3D and MotionDynamic.
//!
//! The binary is a thin `main` over this library; [`command`] gives the clap
//! command line (for man pages and completions), [`json_schemas`] the JSON
//! Schemas of every `--json` output, and [`parse_duration`] the parser of
//! duration options (fuzzed). `docs/CLI.md` is the user's reference.
//!
//! # Commands
//!
//! DeepMotion Animate 3D:
//!
//! - `motionkit animate VIDEO... [processing flags] [--out DIR] [--concurrency N] [--webhook URL]
//!   [--dry-run]` uploads, processes, waits and downloads, and prints
//!   `VIDEO<TAB>TYPE<TAB>PATH` for every output. Every `/process` option is a flag, checked
//!   before anything is sent. A batch is resumable: `OUT/.motionkit-state.json` records uploads,
//!   request ids and finished downloads, so running the same command again never uploads,
//!   submits or downloads twice (see the `state` module).
//! - `motionkit status RID...`, `motionkit list [--status S,...]`,
//!   `motionkit download RID... --out DIR [--clobber]`, `motionkit rerun RID [flags] [--out DIR]
//!   [--dry-run]`, `motionkit credits`, `motionkit video-info FILE_OR_URL`.
//! - `motionkit models list|upload FILE|delete ID [--yes]`.
//! - `motionkit webhooks list|create URL|get ID|update ID URL|delete ID [--yes]`.
//!
//! MotionDynamic: `motionkit themes`, `motionkit generate [--dry-run]`, `motionkit validate`.
//!
//! Tools: `motionkit sandbox` (both emulators in the foreground), `motionkit config
//! show|init|path`, `motionkit completions SHELL`.
//!
//! # Configuration
//!
//! Per service, each value from its flag, then its environment variable, then the selected
//! profile of the TOML config file, then the file's top-level section (see the `config`
//! module). A command loads and checks only the service it uses. Without credentials a
//! command exits 3; `--sandbox` (or `MOTIONKIT_SANDBOX=1`) chooses the embedded sandbox
//! explicitly, and everything it produces is marked as simulated.
//!
//! # Output
//!
//! Results go to stdout (`--json` for one JSON document per run, with the shapes of
//! [`json_schemas`]); progress goes to stderr: bars on a terminal, plain lines otherwise,
//! nothing with `--quiet`. Logs (`-v`, `-vv`, `MOTIONKIT_LOG`, `RUST_LOG`) go to stderr.
//! Strings a server sent are printed with control characters escaped; `--json` is exact.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | permanent error: invalid input (the message names the flag, the rule and the value), unknown id, a job that failed |
//! | 2 | temporary error: network, timeout, HTTP 429 or 5xx; try again later |
//! | 3 | authentication failed: credentials missing, rejected or expired |

mod args;
mod commands;
mod config;
mod duration;
#[cfg(feature = "sandbox")]
mod embedded;
#[cfg(not(feature = "sandbox"))]
#[path = "embedded_off.rs"]
mod embedded;
mod exit;
mod fleet;
mod limits;
mod logging;
mod output;
mod params;
mod progress;
mod state;
mod term;

use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

pub use crate::duration::{DurationError, MAX_DURATION, parse_duration};
use crate::exit::CliError;

/// The `motionkit` command line, as clap sees it (for man pages and
/// completions).
pub fn command() -> clap::Command {
    args::Cli::command()
}

/// The JSON Schema of every `--json` output: `(file stem, schema)`, one per
/// command shape, plus `error` for failures.
pub fn json_schemas() -> Vec<(&'static str, serde_json::Value)> {
    output::schemas()
}

/// Runs `motionkit` with the process's arguments and returns its exit code.
pub fn main() -> ExitCode {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `--json` is honoured even when the rest of the line does not parse.
    let json_wanted = raw.iter().skip(1).any(|a| a == "--json");
    let cli = match args::Cli::try_parse_from(&raw) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let message: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
                .map(|l| l.trim_start_matches("error: ").to_owned())
                .collect();
            let error = CliError::usage(format!("{} (see `motionkit --help`)", message.join("; ")));
            return finish(Err(error), json_wanted);
        }
    };
    logging::init(&cli.global);
    let json = cli.global.json;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let error = CliError::permanent(format!("cannot start the async runtime: {e}"));
            return finish(Err(error), json);
        }
    };
    // Ctrl-C drops the command: transfers stop, and their part files are
    // removed as the runtime shuts down (a killed process leaves one that
    // the next run finds and starts over).
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = commands::run(cli) => Some(result),
            _ = tokio::signal::ctrl_c() => None,
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match outcome {
        Some(result) => finish(result, json),
        None => {
            eprintln!("motionkit: interrupted; run the same command again to resume");
            ExitCode::from(INTERRUPTED)
        }
    }
}

/// The exit code after Ctrl-C, as shells report a SIGINT (128 + 2).
const INTERRUPTED: u8 = 130;

/// Prints the error (one line on stderr; with `--json` also the error
/// document on stdout) and gives the exit code.
fn finish(result: Result<(), CliError>, json: bool) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                println!("{}", e.to_json_text());
            }
            eprintln!("motionkit: error: {}", term::safe(&e.message));
            if let Some(hint) = &e.hint {
                eprintln!("motionkit: hint: {}", term::safe(hint));
            }
            ExitCode::from(e.exit.code())
        }
    }
}
