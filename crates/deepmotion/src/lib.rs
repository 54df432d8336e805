//! Typed client for the DeepMotion Animate 3D REST API: upload a video,
//! process it, wait for the job and download the animation.
//!
//! - [`Client`] has every documented call: upload URLs and streamed,
//!   resumable uploads; `/process` through [`Process`] (validated before
//!   anything is sent, and never charged twice after an ambiguous failure);
//!   batched `/status` and `/download`; `/list`; credits; `/videoInfo`;
//!   character models ([`StoreModel`]); webhook endpoints.
//! - [`Client::wait`] follows hundreds of jobs with one batched status
//!   request per interval; a [`Watcher`] shares that one request among many
//!   independent tasks.
//! - [`Animate`] does upload → process → wait → download with progress
//!   events a UI can draw.
//! - [`UploadVideo`] uploads that resume across runs: save the
//!   [`ResumeState`] it reports, give it back after an interruption.
//! - [`verify_webhook`] checks a webhook delivery; with the `axum` feature,
//!   [`WebhookReceiver`] also de-duplicates them and hands each to the
//!   application, and can serve itself.
//!
//! ```no_run
//! use motionkit_deepmotion::{Animate, Client};
//! use motionkit_validation::{OutputFormat, ProcessParams};
//!
//! # async fn run() -> Result<(), motionkit_deepmotion::Error> {
//! let client = Client::builder("https://petest.deepmotion.com", "client-id", "client-secret".to_owned())
//!     .build()?;
//! let params = ProcessParams::new().formats([OutputFormat::Bvh, OutputFormat::Mp4]);
//! let animation = Animate::new("walk.mp4", "out").params(params).send(&client).await?;
//! for file in animation.files {
//!     println!("{}", file.display());
//! }
//! # Ok(()) }
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod animate;
mod batch;
mod client;
mod error;
mod models;
mod outputs;
mod people;
mod process;
mod resume;
mod submission;
mod tracker;
mod wait;
mod watch;
mod webhook;

pub use animate::{Animate, AnimateEvent, Animation, EventFn, SaveOutputs, download_outputs};
pub use batch::{MAX_PATH_BYTES, rid_batches};
pub use client::{Client, ClientBuilder, Upload};
pub use error::{Error, JobFailure};
pub use models::{ModelUpload, StoreModel};
pub use motionkit_transport::{
    DedupeStore, Delivered, Limits, MinRate, OnExisting, Proxy, RateLimit, RateLimitStore,
    RetryPolicy, Secret, Sent, Settings, Timeouts, UploadOptions, WaitOptions,
};
pub use outputs::JobOutputs;
pub use people::{
    AnimatePeople, DetectPeople, DetectedPerson, Detection, PeopleAnimation, tracking_id_of,
};
pub use process::{Process, Submitted};
pub use resume::{FileIdentity, ResumeState, StartOver, UploadEvent, UploadEventFn, UploadVideo};
pub use submission::{Adoption, PendingSubmission, original_name, output_file_name, output_name};
pub use tracker::JobEvent;
pub use wait::JobOutcome;
pub use watch::Watcher;
pub use webhook::{JobCompleted, PathToken, WebhookError, verify_webhook};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use webhook::{ReceiverLimits, ServedReceiver, WebhookReceiver};

/// The examples of the crate's README, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
