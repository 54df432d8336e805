//! Local emulator of the DeepMotion and MotionDynamic services, for offline
//! development, for motionkit's own tests and for users' CI.
//!
//! Run it as a binary (`motionkit-sandbox --deepmotion-port 0
//! --motiondynamic-port 0`), which prints one `deepmotion http://HOST:PORT`,
//! one `motiondynamic http://HOST:PORT` and one `motiondynamic-token JWT`
//! line, or embed it in a test:
//!
//! ```no_run
//! # async fn demo() -> Result<(), motionkit_sandbox::SandboxError> {
//! use motionkit_sandbox::{Sandbox, SandboxArgs, SandboxConfig};
//!
//! // A simulated minute per real second.
//! let args = SandboxArgs::default().time_scale(60.0);
//! let sandbox = Sandbox::start(SandboxConfig::from_args(args)?).await?;
//!
//! // DeepMotion: Basic credentials `sandbox:sandbox-secret` by default.
//! println!("{} {}", sandbox.deepmotion_url(), sandbox.client_id());
//! // MotionDynamic: a bearer JWT signed with the sandbox's secret.
//! println!("{}", sandbox.motiondynamic_url());
//! let token = sandbox.token();
//! # let _ = token;
//!
//! // ... run the code under test, then look at what the emulators saw:
//! assert_eq!(sandbox.deepmotion().process_submissions(), 0);
//! assert!(sandbox.motiondynamic().store().generations().is_empty());
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Everything is at the crate root: [`Sandbox`] and its configuration
//! ([`SandboxArgs`], [`SandboxConfig`], [`PostgrestMode`], the faults file
//! as [`Faults`]); the two emulators it runs, [`DeepMotion`] and
//! [`MotionDynamic`], whose methods are counters and levers for tests; the
//! MotionDynamic state they expose ([`MotionDynamicStore`],
//! [`MotionDynamicStats`], [`WebhookDelivery`]); and [`mint_token`] and
//! [`DISCARDED_HEADER`] for MotionDynamic clients.
//!
//! With the `clients` feature, `Sandbox::deepmotion_client()` and
//! `Sandbox::motiondynamic_client()` hand out clients already configured
//! for the sandbox (URL, credentials, token, waits suited to it, and a
//! webhook receiver for MotionDynamic), and [`Sandbox::picture_url`]
//! serves pictures for MotionDynamic's picture parameters offline.

#![cfg_attr(docsrs, feature(doc_cfg))]
// Every public item has one path, at the crate root; the modules are
// private and anything else is for the crate only.
#![warn(unreachable_pub)]

#[cfg(feature = "clients")]
mod clients;
mod clock;
mod config;
mod deepmotion;
mod faults;
mod motiondynamic;
mod openapi;
mod server;
mod still;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[cfg(feature = "clients")]
#[cfg_attr(docsrs, doc(cfg(feature = "clients")))]
pub use clients::{deepmotion_wait_options, motiondynamic_wait_options};
pub use config::{PostgrestMode, SandboxArgs, SandboxConfig};
pub use deepmotion::DeepMotion;
pub use faults::{EndpointFaults, Faults, FaultsError, FaultsFile};
pub use motiondynamic::{
    DISCARDED_HEADER, MotionDynamic, MotionDynamicStats, MotionDynamicStore, WebhookDelivery,
    mint_token,
};

/// The sandbox could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    /// A port could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The faults file is unusable.
    #[error(transparent)]
    Faults(#[from] FaultsError),
    /// The data folder or its database is unusable.
    #[error("data folder: {0}")]
    Storage(String),
}

/// A running sandbox. Dropping it does not stop the servers; call
/// [`Sandbox::shutdown`].
#[derive(Debug)]
pub struct Sandbox {
    deepmotion_addr: SocketAddr,
    motiondynamic_addr: SocketAddr,
    deepmotion: DeepMotion,
    motiondynamic: MotionDynamic,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
    config: Arc<SandboxConfig>,
    /// The webhook receiver of the MotionDynamic clients it hands out.
    #[cfg(feature = "clients")]
    receiver: tokio::sync::OnceCell<motionkit_motiondynamic::ServedReceiver>,
}

async fn bind(host: &str, port: u16) -> Result<TcpListener, SandboxError> {
    let address = format!("{host}:{port}");
    TcpListener::bind(&address)
        .await
        .map_err(|source| SandboxError::Bind { address, source })
}

impl Sandbox {
    /// Binds both ports and starts serving.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, SandboxError> {
        let config = Arc::new(config);
        let dm_listener = bind(&config.args.host, config.args.deepmotion_port).await?;
        let md_listener = bind(&config.args.host, config.args.motiondynamic_port).await?;
        let deepmotion_addr = dm_listener
            .local_addr()
            .map_err(|source| SandboxError::Bind {
                address: config.args.host.clone(),
                source,
            })?;
        let motiondynamic_addr = md_listener
            .local_addr()
            .map_err(|source| SandboxError::Bind {
                address: config.args.host.clone(),
                source,
            })?;
        let shutdown = CancellationToken::new();
        let deepmotion =
            DeepMotion::new(config.clone(), &base_url(deepmotion_addr), shutdown.clone())?;
        let motiondynamic = MotionDynamic::new(
            config.clone(),
            &base_url(motiondynamic_addr),
            shutdown.clone(),
        )?;
        let tasks = vec![
            tokio::spawn(server::serve(
                dm_listener,
                deepmotion.router(),
                shutdown.clone(),
            )),
            tokio::spawn(server::serve(
                md_listener,
                motiondynamic.router(),
                shutdown.clone(),
            )),
        ];
        Ok(Sandbox {
            deepmotion_addr,
            motiondynamic_addr,
            deepmotion,
            motiondynamic,
            shutdown,
            tasks,
            config,
            #[cfg(feature = "clients")]
            receiver: tokio::sync::OnceCell::new(),
        })
    }

    /// Base URL of the DeepMotion emulator, such as `http://127.0.0.1:8080`.
    pub fn deepmotion_url(&self) -> String {
        base_url(self.deepmotion_addr)
    }

    /// Base URL of the MotionDynamic emulator.
    pub fn motiondynamic_url(&self) -> String {
        base_url(self.motiondynamic_addr)
    }

    /// The URL of a real `width`×`height` PNG the MotionDynamic emulator
    /// serves (sides of 1 to 2048), for picture parameters in tests
    /// without the internet.
    pub fn picture_url(&self, width: u32, height: u32) -> String {
        format!(
            "{}/sandbox/pictures/{width}x{height}.png",
            self.motiondynamic_url()
        )
    }

    /// The DeepMotion client id the sandbox accepts (`sandbox` by default).
    pub fn client_id(&self) -> &str {
        &self.config.args.client_id
    }

    /// The DeepMotion client secret the sandbox accepts (`sandbox-secret`
    /// by default).
    pub fn client_secret(&self) -> &str {
        &self.config.args.client_secret
    }

    /// A MotionDynamic token the sandbox accepts, valid for a day.
    pub fn token(&self) -> String {
        mint_token(&self.config.args.jwt_secret, 24 * 3600)
    }

    /// The DeepMotion emulator, for inspection in tests.
    pub fn deepmotion(&self) -> &DeepMotion {
        &self.deepmotion
    }

    /// The MotionDynamic emulator, for inspection in tests.
    pub fn motiondynamic(&self) -> &MotionDynamic {
        &self.motiondynamic
    }

    /// Stops accepting connections, closes open ones and waits for the servers.
    pub async fn shutdown(self) {
        #[cfg(feature = "clients")]
        if let Some(receiver) = self.receiver.into_inner() {
            receiver.shutdown().await;
        }
        self.shutdown.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The examples of the crate's README, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
