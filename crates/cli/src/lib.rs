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
//! Tools: `motionkit sandbox` (both emulators in the foreground, until Ctrl-C or SIGTERM),
//! `motionkit config show|init|path` (`motionkit config --help` describes the file),
//! `motionkit completions SHELL`, `motionkit man DIR` (the man pages).
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
//! | 141 | stdout or stderr was closed (EPIPE): the command stopped quietly |

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
mod stdio;
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
    let sandbox_wanted = raw.iter().skip(1).any(|a| a == "--sandbox")
        || std::env::var("MOTIONKIT_SANDBOX").is_ok_and(|v| {
            !matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "" | "0" | "false" | "no" | "off" | "n" | "f"
            )
        });
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
            let error = usage_error(&e.to_string(), &raw);
            return finish(Err(error), json_wanted, sandbox_wanted);
        }
    };
    logging::init(&cli.global);
    let json = cli.global.json;
    let simulated = cli.global.sandbox;
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            let error = CliError::permanent(format!("cannot start the async runtime: {e}"));
            return finish(Err(error), json, simulated);
        }
    };
    // Ctrl-C drops the command: transfers stop, and their part files are
    // removed as the runtime shuts down (a killed process leaves one that
    // the next run finds and starts over).
    // A closed stdout or stderr (`motionkit list | head -1`) drops it too:
    // no one reads what it would print.
    // `motionkit sandbox` waits for Ctrl-C itself: stopping it is its end,
    // not an interruption.
    let stops_itself = cli.command.stops_on_ctrl_c();
    let interrupted = async move {
        if stops_itself {
            std::future::pending::<()>().await;
        }
        let _ = tokio::signal::ctrl_c().await;
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            result = commands::run(cli) => Some(result),
            () = interrupted => None,
            () = stdio::wait_closed() => Some(Ok(())),
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match outcome {
        Some(result) => finish(
            result.map_err(|e| with_default_hint(e, &raw)),
            json,
            simulated,
        ),
        None => {
            stdio::err("motionkit: interrupted; run the same command again to resume");
            ExitCode::from(INTERRUPTED)
        }
    }
}

/// clap's error text as one line, with a hint: clap's own `tip:` when it
/// has one, then the help of the command that was being parsed.
/// `the following required arguments were not provided:` and the list it
/// introduces are joined by a space, not a `;`.
fn usage_error(text: &str, raw: &[std::ffi::OsString]) -> CliError {
    let mut message = String::new();
    let mut tips = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with("Usage:") || line.starts_with("For more") {
            continue;
        }
        if let Some(tip) = line.strip_prefix("tip: ") {
            tips.push(tip.to_owned());
            continue;
        }
        let line = line.trim_start_matches("error: ");
        if !message.is_empty() {
            message.push_str(if message.ends_with(':') { " " } else { "; " });
        }
        message.push_str(line);
    }
    tips.push(format!("see `{}`", help_command(raw)));
    CliError::usage(message).hint(tips.join("; "))
}

/// `motionkit COMMAND... --help` for the deepest subcommand on the line.
fn help_command(raw: &[std::ffi::OsString]) -> String {
    let mut command = args::Cli::command();
    let mut path = vec!["motionkit".to_owned()];
    for arg in raw.iter().skip(1).filter_map(|a| a.to_str()) {
        if let Some(sub) = command.find_subcommand(arg).cloned() {
            path.push(sub.get_name().to_owned());
            command = sub;
        }
    }
    path.push("--help".to_owned());
    path.join(" ")
}

/// Every error a user can fix gets a hint: the command's own when it gave
/// one, else one that says where to look.
fn with_default_hint(error: CliError, raw: &[std::ffi::OsString]) -> CliError {
    use crate::exit::ErrorKind as K;
    if error.hint.is_some() {
        return error;
    }
    let hint = match error.kind {
        K::Usage | K::InvalidInput => format!("see `{}`", help_command(raw)),
        K::Config => "`motionkit config show` shows each setting and where it came from; \
                      `motionkit config --help` describes the file"
            .to_owned(),
        K::Local => "check the path named above: that it exists and that you may read it, or \
                     write to its folder"
            .to_owned(),
        _ => return error,
    };
    error.hint(hint)
}

/// The exit code after Ctrl-C, as shells report a SIGINT (128 + 2).
const INTERRUPTED: u8 = 130;

/// Prints the error (one line on stderr; with `--json` also the error
/// document on stdout) and gives the exit code.
/// A run whose stdout or stderr was closed ends quietly with
/// [`stdio::CLOSED_EXIT`], whatever it was doing. `simulated` goes into
/// the error document.
fn finish(result: Result<(), CliError>, json: bool, simulated: bool) -> ExitCode {
    if stdio::closed() {
        return ExitCode::from(stdio::CLOSED_EXIT);
    }
    let code = match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                stdio::out(e.to_json_text(simulated));
            }
            stdio::err(format_args!("motionkit: error: {}", term::safe(&e.message)));
            if let Some(hint) = &e.hint {
                stdio::err(format_args!("motionkit: hint: {}", term::safe(hint)));
            }
            ExitCode::from(e.exit.code())
        }
    };
    if stdio::closed() {
        ExitCode::from(stdio::CLOSED_EXIT)
    } else {
        code
    }
}
