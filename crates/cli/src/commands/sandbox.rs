//! `motionkit sandbox`: both emulators in the foreground, like
//! `motionkit-sandbox`.

use std::io::Write as _;

use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig, mint_token};

use crate::args::GlobalArgs;
use crate::exit::CliError;
use crate::output::SandboxOutput;

/// Starts both emulators, prints their URLs and a MotionDynamic token, and
/// serves until Ctrl-C or SIGTERM, then says "stopped" and exits 0.
pub async fn run(args: SandboxArgs, global: &GlobalArgs) -> Result<(), CliError> {
    let jwt_secret = args.jwt_secret.clone();
    let config = SandboxConfig::from_args(args).map_err(|e| CliError::permanent(e.to_string()))?;
    let sandbox = Sandbox::start(config)
        .await
        .map_err(|e| CliError::permanent(e.to_string()))?;
    let token = mint_token(&jwt_secret, 24 * 3600);
    // Listening before the URLs are printed: whoever reads them may stop
    // the sandbox at once, and must find the handlers in place.
    let stop = Stop::listen();
    {
        let mut stdout = std::io::stdout().lock();
        if global.json {
            let output = SandboxOutput {
                simulated: true,
                deepmotion: sandbox.deepmotion_url(),
                motiondynamic: sandbox.motiondynamic_url(),
                motiondynamic_token: token.clone(),
            };
            let _ = writeln!(
                stdout,
                "{}",
                serde_json::to_string(&output).unwrap_or_default()
            );
        } else {
            let _ = writeln!(stdout, "deepmotion {}", sandbox.deepmotion_url());
            let _ = writeln!(stdout, "motiondynamic {}", sandbox.motiondynamic_url());
            let _ = writeln!(stdout, "motiondynamic-token {token}");
        }
        let _ = stdout.flush();
    }
    let signal = stop.wait().await;
    sandbox.shutdown().await;
    // Stopping it is how it ends, not a failure: exit code 0.
    crate::stdio::err(format_args!("motionkit: sandbox stopped ({signal})"));
    Ok(())
}

/// Ctrl-C (SIGINT) and, on Unix, SIGTERM, listened for from creation on.
struct Stop {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl Stop {
    fn listen() -> Stop {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Stop {
                signals: signal(SignalKind::interrupt())
                    .and_then(|int| Ok((int, signal(SignalKind::terminate())?)))
                    .ok(),
            }
        }
        #[cfg(not(unix))]
        Stop {}
    }

    /// Waits for one of them; names the one that came.
    async fn wait(self) -> &'static str {
        #[cfg(unix)]
        if let Some((mut int, mut term)) = self.signals {
            return tokio::select! {
                _ = int.recv() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
            };
        }
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}
