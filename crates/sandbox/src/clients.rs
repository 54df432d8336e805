//! Clients configured for a running sandbox (feature `clients`), so that a
//! test needs no URL, credential, token or wait tuning of its own.
//!
//! The emulators never use client code: these constructors only hand the
//! sandbox's addresses and credentials to the clients' own builders.

use std::time::Duration;

use crate::Sandbox;

/// How long a sandbox client waits for a job or a render before giving
/// up: ten real minutes, far beyond any sandbox job at any time scale.
const SANDBOX_WAIT_TIMEOUT: Duration = Duration::from_secs(600);

/// Waits suited to the sandbox: jobs finish in seconds on loopback, so
/// status is read every 100 ms at first and at most every 500 ms.
pub fn deepmotion_wait_options() -> motionkit_deepmotion::WaitOptions {
    motionkit_deepmotion::WaitOptions::fast()
        .first_interval(Duration::from_millis(100))
        .max_interval(Duration::from_millis(500))
        .timeout(SANDBOX_WAIT_TIMEOUT)
}

/// Waits suited to the sandbox: a generation is read back every 200 ms.
pub fn motiondynamic_wait_options() -> motionkit_motiondynamic::WaitOptions {
    motionkit_motiondynamic::WaitOptions::motiondynamic()
        .timeout(SANDBOX_WAIT_TIMEOUT)
        .every(Duration::from_millis(200))
        .interval_with_webhook(Duration::from_millis(200))
}

impl Sandbox {
    /// A DeepMotion client builder for this sandbox: its URL, its client
    /// id and secret, and [`deepmotion_wait_options`]. Change anything
    /// before building.
    #[cfg_attr(docsrs, doc(cfg(feature = "clients")))]
    pub fn deepmotion_client_builder(&self) -> motionkit_deepmotion::ClientBuilder {
        motionkit_deepmotion::Client::builder(
            self.deepmotion_url(),
            self.client_id(),
            self.client_secret().to_owned(),
        )
        .wait(deepmotion_wait_options())
    }

    /// A DeepMotion client for this sandbox, ready to use (see
    /// [`Sandbox::deepmotion_client_builder`]).
    ///
    /// # Errors
    ///
    /// Only what [`motionkit_deepmotion::ClientBuilder::build`] reports,
    /// which a sandbox's own URL never causes.
    #[cfg_attr(docsrs, doc(cfg(feature = "clients")))]
    pub fn deepmotion_client(
        &self,
    ) -> Result<motionkit_deepmotion::Client, motionkit_deepmotion::Error> {
        self.deepmotion_client_builder().build()
    }

    /// A MotionDynamic client builder for this sandbox: its URL, a token
    /// it accepts for a day, and [`motiondynamic_wait_options`]; without a
    /// webhook receiver (see [`Sandbox::motiondynamic_client`] for one).
    #[cfg_attr(docsrs, doc(cfg(feature = "clients")))]
    pub fn motiondynamic_client_builder(&self) -> motionkit_motiondynamic::ClientBuilder {
        motionkit_motiondynamic::Client::builder(self.motiondynamic_url(), self.token())
            .wait(motiondynamic_wait_options())
    }

    /// A MotionDynamic client for this sandbox with a webhook receiver of
    /// its own, served on 127.0.0.1 (bound on first use, shared by every
    /// client this sandbox hands out, stopped by [`Sandbox::shutdown`]):
    /// `Generate::new(&theme).set(..).send(&client)`, then
    /// `client.wait_one(&submission)` and `client.download(..)` work as they
    /// are.
    ///
    /// # Errors
    ///
    /// The receiver's port cannot be bound.
    #[cfg_attr(docsrs, doc(cfg(feature = "clients")))]
    pub async fn motiondynamic_client(
        &self,
    ) -> Result<motionkit_motiondynamic::Client, motionkit_motiondynamic::Error> {
        let served = self
            .receiver
            .get_or_try_init(|| motionkit_motiondynamic::WebhookReceiver::bind("127.0.0.1:0", None))
            .await?;
        self.motiondynamic_client_builder()
            .webhooks(served.receiver().clone())
            .build()
    }
}
