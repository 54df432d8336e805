//! The DeepMotion Animate 3D emulator.

use std::sync::Arc;

use axum::Router;
use tokio_util::sync::CancellationToken;

use crate::{SandboxConfig, SandboxError};

/// The DeepMotion half of the sandbox.
#[derive(Debug, Clone)]
pub struct DeepMotion {
    config: Arc<SandboxConfig>,
}

impl DeepMotion {
    /// Prepares the emulator that will serve at `base_url`.
    pub fn new(
        config: Arc<SandboxConfig>,
        _base_url: &str,
        _shutdown: CancellationToken,
    ) -> Result<Self, SandboxError> {
        Ok(DeepMotion { config })
    }

    /// The routes.
    pub fn router(&self) -> Router {
        let _ = &self.config;
        Router::new()
    }
}
