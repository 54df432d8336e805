//! `motionkit-sandbox`: runs the DeepMotion and MotionDynamic emulators.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser;
use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig, mint_token};

#[derive(Debug, Parser)]
#[command(
    name = "motionkit-sandbox",
    version,
    about = "Local emulator of DeepMotion Animate 3D and MotionDynamic"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    args: SandboxArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Print a MotionDynamic JWT signed with --jwt-secret and exit.
    Token {
        /// Lifetime of the token in seconds.
        #[arg(long, default_value_t = 24 * 3600)]
        ttl: u64,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MOTIONKIT_SANDBOX_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    if let Some(Command::Token { ttl }) = cli.command {
        println!("{}", mint_token(&cli.args.jwt_secret, ttl));
        return ExitCode::SUCCESS;
    }
    let jwt_secret = cli.args.jwt_secret.clone();
    let config = match SandboxConfig::from_args(cli.args) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("motionkit-sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    let sandbox = match Sandbox::start(config).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("motionkit-sandbox: {e}");
            return ExitCode::from(2);
        }
    };
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "deepmotion {}", sandbox.deepmotion_url());
    let _ = writeln!(stdout, "motiondynamic {}", sandbox.motiondynamic_url());
    let _ = writeln!(
        stdout,
        "motiondynamic-token {}",
        mint_token(&jwt_secret, 24 * 3600)
    );
    let _ = stdout.flush();
    drop(stdout);
    let _ = tokio::signal::ctrl_c().await;
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
