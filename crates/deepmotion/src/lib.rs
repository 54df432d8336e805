//! Typed client for the DeepMotion Animate 3D REST API: upload a video,
//! process it, wait for the job and download the animation.

pub mod webhook;

pub use webhook::{JobCompleted, WebhookError};
