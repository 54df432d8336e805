//! The embedded sandbox: with `--sandbox` (or `MOTIONKIT_SANDBOX=1`), and
//! only then, the CLI starts both emulators in-process on free loopback
//! ports and uses them. Everything it produces is marked as simulated: a
//! line on stderr that `--quiet` does not hide, and `"simulated": true` in
//! `--json` output.
//!
//! Its DeepMotion state is kept under `CACHE_DIR/motionkit/sandbox` (Linux:
//! `~/.cache/motionkit/sandbox`), so a later command (`status`, `download`,
//! a resumed `animate`) still finds the jobs of an earlier one. The clock
//! runs [`TIME_SCALE`] times faster than real time, so a demo finishes in
//! seconds. The picture URLs of the demo theme are accepted offline: the
//! sandbox only fetches pictures on loopback addresses.

use std::path::PathBuf;

use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};
use tokio::sync::OnceCell;

use crate::exit::CliError;

/// Simulated seconds per real second in the embedded sandbox.
pub const TIME_SCALE: f64 = 60.0;

/// Credits the embedded account is topped up to when it runs low.
const TOP_UP: f64 = 1000.0;

/// The running embedded sandbox.
#[derive(Debug)]
pub struct Embedded {
    sandbox: Sandbox,
    args: SandboxArgs,
}

impl Embedded {
    /// DeepMotion base URL.
    pub fn deepmotion_url(&self) -> String {
        self.sandbox.deepmotion_url()
    }

    /// MotionDynamic base URL.
    pub fn motiondynamic_url(&self) -> String {
        self.sandbox.motiondynamic_url()
    }

    /// The DeepMotion client id the sandbox accepts.
    pub fn client_id(&self) -> &str {
        &self.args.client_id
    }

    /// The DeepMotion client secret the sandbox accepts.
    pub fn client_secret(&self) -> &str {
        &self.args.client_secret
    }

    /// A MotionDynamic token the sandbox accepts, valid for a day.
    pub fn token(&self) -> String {
        motionkit_sandbox::mint_token(&self.args.jwt_secret, 24 * 3600)
    }
}

fn data_dir() -> Option<PathBuf> {
    let dir = dirs::cache_dir()?.join("motionkit").join("sandbox");
    std::fs::create_dir_all(&dir).ok()?;
    Some(dir)
}

/// Starts the sandbox at most once per process.
#[derive(Debug, Default)]
pub struct Lazy {
    cell: OnceCell<Embedded>,
}

impl Lazy {
    /// The sandbox, started on first use; `service` names who needs it in
    /// the one note printed on stderr.
    pub async fn get(&self, service: &str) -> Result<&Embedded, CliError> {
        self.cell
            .get_or_try_init(|| async {
                let embedded = start(data_dir()).await;
                // A data folder another process holds badly, or a broken
                // one, must not stop the demo: fall back to memory.
                let embedded = match embedded {
                    Ok(embedded) => embedded,
                    Err(_) => start(None).await?,
                };
                // Not a note: `--quiet` does not hide that results are simulated.
                crate::stdio::err(format_args!(
                    "motionkit: sandbox: {service} results are simulated by the embedded sandbox \
                     (--sandbox); nothing leaves this machine"
                ));
                Ok(embedded)
            })
            .await
    }
}

async fn start(data_dir: Option<PathBuf>) -> Result<Embedded, CliError> {
    let args = SandboxArgs::default()
        .time_scale(TIME_SCALE)
        .data_dir(data_dir);
    let config = SandboxConfig::from_args(args.clone())
        .map_err(|e| CliError::permanent(format!("embedded sandbox: {e}")))?;
    let sandbox = Sandbox::start(config)
        .await
        .map_err(|e| CliError::permanent(format!("embedded sandbox: {e}")))?;
    if sandbox.deepmotion().credits() < TOP_UP / 10.0 {
        sandbox.deepmotion().set_credits(TOP_UP);
    }
    Ok(Embedded { sandbox, args })
}
