//! The embedded sandbox in a `motionkit` built without the `sandbox`
//! feature: `--sandbox` (or `MOTIONKIT_SANDBOX=1`) is still understood, and
//! fails with an error that says how to get a build that has it, before
//! anything is sent.

use crate::exit::CliError;

/// The embedded sandbox, which this build cannot start: no value exists.
#[derive(Debug)]
pub enum Embedded {}

impl Embedded {
    /// DeepMotion base URL.
    pub fn deepmotion_url(&self) -> String {
        match *self {}
    }

    /// MotionDynamic base URL.
    pub fn motiondynamic_url(&self) -> String {
        match *self {}
    }

    /// The DeepMotion client id the sandbox accepts.
    pub fn client_id(&self) -> &str {
        match *self {}
    }

    /// The DeepMotion client secret the sandbox accepts.
    pub fn client_secret(&self) -> &str {
        match *self {}
    }

    /// A MotionDynamic token the sandbox accepts.
    pub fn token(&self) -> String {
        match *self {}
    }
}

/// What `--sandbox` answers in this build.
#[derive(Debug, Default)]
pub struct Lazy;

impl Lazy {
    /// Always an error: this build has no sandbox.
    pub async fn get(&self, service: &str) -> Result<&Embedded, CliError> {
        Err(CliError::usage(format!(
            "--sandbox: this motionkit was built without the embedded sandbox, so {service} \
             cannot be simulated; build motionkit with its default features (the `sandbox` \
             feature), or drop --sandbox and set real credentials"
        )))
    }
}
