//! Typed REST and GraphQL client for MotionDynamic: fill a theme's
//! parameters and receive a rendered MP4 through a webhook.

pub mod operations;
pub mod query;
pub mod values;
pub mod webhook;

pub use webhook::{Delivery, VideoReady, WebhookError, WebhookReceiver};
