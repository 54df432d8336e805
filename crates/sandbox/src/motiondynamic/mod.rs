//! The MotionDynamic emulator.

use std::sync::Arc;

use axum::Router;
use tokio_util::sync::CancellationToken;

use crate::{SandboxConfig, SandboxError};

/// The MotionDynamic half of the sandbox.
#[derive(Debug, Clone)]
pub struct MotionDynamic {
    config: Arc<SandboxConfig>,
}

impl MotionDynamic {
    /// Prepares the emulator that will serve at `base_url`.
    pub fn new(
        config: Arc<SandboxConfig>,
        _base_url: &str,
        _shutdown: CancellationToken,
    ) -> Result<Self, SandboxError> {
        Ok(MotionDynamic { config })
    }

    /// The routes.
    pub fn router(&self) -> Router {
        let _ = &self.config;
        Router::new()
    }
}

/// A JWT for the sandbox, signed with `secret` (HS256), valid `ttl` seconds.
pub fn mint_token(secret: &str, ttl: u64) -> String {
    let _ = (secret, ttl);
    String::new()
}
