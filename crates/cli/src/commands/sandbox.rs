//! `motionkit sandbox`: both emulators in the foreground, like
//! `motionkit-sandbox`.

use std::io::Write as _;

use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig, mint_token};

use crate::args::GlobalArgs;
use crate::exit::CliError;
use crate::output::SandboxOutput;

/// Starts both emulators, prints their URLs and a MotionDynamic token, and
/// serves until Ctrl-C.
pub async fn run(args: SandboxArgs, global: &GlobalArgs) -> Result<(), CliError> {
    let jwt_secret = args.jwt_secret.clone();
    let config = SandboxConfig::from_args(args).map_err(|e| CliError::permanent(e.to_string()))?;
    let sandbox = Sandbox::start(config)
        .await
        .map_err(|e| CliError::permanent(e.to_string()))?;
    let token = mint_token(&jwt_secret, 24 * 3600);
    {
        let mut stdout = std::io::stdout().lock();
        if global.json {
            let output = SandboxOutput {
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
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    Ok(())
}
