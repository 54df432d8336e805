//! `motionkit`: the command line for DeepMotion Animate 3D and MotionDynamic.
//!
//! # Commands
//!
//! DeepMotion Animate 3D:
//!
//! - `motionkit animate VIDEO... [processing flags] [--out DIR] [--concurrency N] [--webhook URL]`
//!   uploads, processes, waits and downloads, and prints `VIDEO<TAB>TYPE<TAB>PATH` for every
//!   output. Every `/process` option is a flag (`--formats bvh,fbx,mp4`, `--model ID`, `--sim`,
//!   `--track-face`, `--track-hand`, `--foot-locking MODE`, `--speed-multiplier F`,
//!   `--pose-filtering F`, `--root-at-origin`, `--trim FROM,TO`, `--crop L,T,R,B`,
//!   `--render-sbs 0|1`, `--render-bg-color R,G,B,A`, `--render-backdrop NAME`,
//!   `--render-shadow`, `--render-include-audio 0|1`, `--render-cam-mode 0|1|2`,
//!   `--config NAME`, and `--param KEY=VALUE` for anything else), checked before anything is
//!   sent. A batch is resumable: `OUT/.motionkit-state.json` records uploads, request ids
//!   and finished downloads, so running the same command again never uploads, submits or
//!   downloads twice (see the `state` module).
//! - `motionkit status RID...`, `motionkit list [--status S,...]`,
//!   `motionkit download RID... --out DIR`, `motionkit rerun RID [flags] [--out DIR]`,
//!   `motionkit credits`, `motionkit video-info FILE_OR_URL` (a file is uploaded first).
//! - `motionkit models list|upload FILE [--thumb FILE|--create-thumb] [--name N]|delete ID`.
//! - `motionkit webhooks list|create URL|get ID|update ID URL|delete ID`.
//!
//! MotionDynamic:
//!
//! - `motionkit themes`: every theme's parameters with their constraints.
//! - `motionkit generate --theme ID --set LAYER=VALUE... [--out DIR]
//!   [--webhook-listen ADDR --public-url URL]`: validates, creates the generation, receives
//!   the webhook on a built-in receiver and downloads the MP4.
//! - `motionkit validate --theme ID --set LAYER=VALUE...`: checks values without creating a
//!   generation. It fetches the theme; with the embedded sandbox that needs no network.
//!
//! Sandbox: `motionkit sandbox [flags of motionkit-sandbox]` runs both emulators and prints
//! `deepmotion http://...`, `motiondynamic http://...` and `motiondynamic-token ...` until
//! Ctrl-C.
//!
//! # Credentials
//!
//! Flags (`--client-id`, `--client-secret`, `--deepmotion-url`, `--token`,
//! `--motiondynamic-url`), then the environment (`DEEPMOTION_CLIENT_ID`,
//! `DEEPMOTION_CLIENT_SECRET`, `DEEPMOTION_API_URL`, `MOTIONDYNAMIC_TOKEN`,
//! `MOTIONDYNAMIC_API_URL`), then the TOML file `CONFIG_DIR/motionkit/config.toml`
//! (`--config-file` or `MOTIONKIT_CONFIG` name another). Secrets are never printed. A
//! service with no credentials at all is served by an embedded sandbox started in-process
//! (one note on stderr says so).
//!
//! # Output
//!
//! Results go to stdout (`--json` for JSON); progress bars go to stderr, only when it is
//! a terminal and without `--quiet`. Errors are one line on stderr.
//!
//! # Exit codes
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | permanent error: invalid input (the message names the field, the rule and the value), unknown id, a job that failed |
//! | 2 | temporary error: network, timeout, HTTP 429 or 5xx; try again later |
//! | 3 | authentication failed: credentials missing, rejected or expired |

mod args;
mod commands;
mod config;
mod embedded;
mod exit;
mod fleet;
mod params;
mod progress;
mod state;

use std::process::ExitCode;

use clap::Parser as _;

use crate::exit::{Exit, one_line};

fn main() -> ExitCode {
    let cli = match args::Cli::try_parse() {
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
            eprintln!(
                "motionkit: error: {} (see `motionkit --help`)",
                one_line(&message.join("; "))
            );
            return ExitCode::from(Exit::Permanent.code());
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("motionkit: error: cannot start the async runtime: {e}");
            return ExitCode::from(Exit::Permanent.code());
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
        Some(Ok(())) => ExitCode::SUCCESS,
        Some(Err(e)) => {
            eprintln!("motionkit: error: {}", e.message);
            ExitCode::from(e.exit.code())
        }
        None => {
            eprintln!("motionkit: interrupted; run the same command again to resume");
            ExitCode::from(INTERRUPTED)
        }
    }
}

/// The exit code after Ctrl-C, as shells report a SIGINT (128 + 2).
const INTERRUPTED: u8 = 130;
