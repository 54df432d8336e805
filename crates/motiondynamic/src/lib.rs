//! Typed REST and GraphQL client for MotionDynamic: fill a theme's
//! parameters and receive a rendered MP4 through a webhook.
//!
//! MotionDynamic renders videos from themes (templates with texts,
//! colours, pictures and an output variant). Its API accepts invalid
//! values and silently discards the generation, rate-limits per IP address
//! (5 requests per second, then a one-minute block), and announces the
//! video with an unsigned webhook that does not say which generation it is
//! about. This crate turns that into something hard to misuse:
//!
//! - [`Client`]: bearer JWT (never printed; an expired or rejected token is
//!   an error for which [`Error::is_auth`] is true), a client-side rate
//!   limit shared by every clone ([`default_rate_limit`]), PostgREST reads
//!   with the typed [`Query`] builder, and PostgREST error bodies as
//!   [`Error::Postgrest`].
//! - [`Generate`]: values named by layer (`l3_prix_01`) or id, checked
//!   against the theme offline ([`Generate::validate`]) and pictures checked
//!   from their first bytes ([`Generate::preflight`]) before anything is sent.
//!   `POST /rest/generations` is never sent twice for one generation: it is
//!   identified by its unique callback URL, works when the server answers
//!   `201` without the row (an insert-only role), and after an ambiguous
//!   failure is looked up by that URL where reads are allowed
//!   ([`ReturnPreference`]).
//! - [`WebhookReceiver`]: one HMAC-signed callback URL per generation,
//!   forged deliveries refused, repeated deliveries acknowledged once.
//!   [`Client::wait_one`] (and [`Client::wait`], for many) resolves on the
//!   delivery, reads the generation back only where the server allows it
//!   (a refused read is "unavailable", not a failure), and allows for the
//!   documented 18-minute cold start.
//! - [`Client::download`]: the MP4 streamed to disk atomically.
//! - `Client::graphql` (cargo feature `graphql`): the same operations over
//!   `/graphql` with the typed documents of `operations`.
//!
//! Against the real service, this needs a token, a public callback URL
//! and the internet (the picture is the document's own example URL), so it
//! is compiled, not run. Offline, the sandbox's ready client
//! (`motionkit_sandbox::Sandbox::motiondynamic_client`, feature `clients`)
//! and `Sandbox::picture_url` run the same lines; the repository's
//! `tests/ready_clients.rs` does.
//!
//! ```no_run
//! use motionkit_motiondynamic::{Client, Generate, WebhookReceiver};
//!
//! # async fn run() -> Result<(), motionkit_motiondynamic::Error> {
//! // Serve `receiver.router()` (cargo feature `axum`), or your own handler
//! // calling `receiver.deliver`, at this public URL (for example through ngrok).
//! let receiver = WebhookReceiver::new("https://hooks.example.com/motiondynamic");
//! let client = Client::builder("https://api.motiondynamic.tech", "PUT_YOUR_JWT_HERE".to_owned())
//!     .webhooks(receiver.clone())
//!     .build()?;
//!
//! let theme = client.demo_theme().await?;
//! let submission = Generate::new(&theme)
//!     .set("l6_ville_01", "city_01")
//!     .set("l2_date_01", "date_01")
//!     .set("l1_titre_01", "title")
//!     .set("l3_prix_01", "12.1")
//!     .set("l4_quantite_01", "quantite")
//!     .set("l5_descriptif_01", "desc_01")
//!     .set("l5_descriptif_02", "desc_02")
//!     .set("l5_descriptif_03", "desc_03")
//!     .set("background_color", "0000FF")
//!     .set("image_produit", "https://imgur.com/download/uNcCrzv")
//!     .set("Variante", "MASTER")
//!     .send(&client)
//!     .await?;
//! let video = client.wait_one(&submission).await?;
//! let saved = client.download(&video, std::path::Path::new(".")).await?;
//! println!("{} bytes in {}", saved.bytes, saved.path.display());
//! # Ok(())
//! # }
//! ```
//!
//! Nothing is sent when a value is wrong, and every problem is named:
//!
//! ```
//! use motionkit_motiondynamic::Generate;
//! # let theme: motionkit_models::motiondynamic::Theme = motionkit_models::decode(
//! #     include_str!("../specs/examples/motiondynamic/demo_theme.json")).unwrap();
//! // Every finding at once, each with its severity.
//! let findings = Generate::new(&theme)
//!     .set("l1_titre_01", "far too long")
//!     .set("background_color", "#0000FF")
//!     .validate();
//! let fields: Vec<&str> = findings.errors.iter().map(|v| v.field.as_str()).collect();
//! assert!(fields.contains(&"l1_titre_01"));
//! assert!(fields.contains(&"background_color"));
//! assert!(findings.errors.to_string().contains("max_length"));
//! // Parameters left out are warnings: the documents do not say they fail.
//! assert!(!findings.warnings.is_empty());
//! ```

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod error;
mod generate;
#[cfg(feature = "graphql")]
mod graphql;
#[cfg(feature = "graphql")]
#[cfg_attr(docsrs, doc(cfg(feature = "graphql")))]
pub mod operations;
mod query;
#[cfg(feature = "axum")]
mod serve;
mod submit;
mod values;
mod wait;
mod webhook;

pub use client::{Client, ClientBuilder, ReturnPreference, default_rate_limit};
pub use error::Error;
pub use error::PERMISSION_DENIED;
pub use generate::{Generate, PICTURE_HEADER_BYTES, PICTURE_HEADER_MAX_BYTES};
#[cfg(feature = "graphql")]
#[cfg_attr(docsrs, doc(cfg(feature = "graphql")))]
pub use graphql::{Graphql, ThemesPage};
pub use query::{
    Column, GenerationColumn, GenerationsQuery, Order, Query, Select, ThemeColumn, ThemesQuery,
};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use serve::ServedReceiver;
pub use submit::{PREFER_RETURN_MINIMAL, Submission};
pub use values::{GenerationValues, theme_values_schema};
pub use wait::{ReadyVia, Video};
pub use webhook::{
    Delivery, VideoReady, WEBHOOK_KEY_LIFETIME, WEBHOOK_MAX_BODY_BYTES, WEBHOOK_MAX_IN_FLIGHT,
    WEBHOOK_MAX_REMEMBERED, WebhookError, WebhookReceiver,
};

pub use motionkit_models::motiondynamic::{Generation, GenerationStatus, Theme};
pub use motionkit_transport::{
    DedupeStore, Delivered, DownloadOptions, DownloadReport, Limits, MinRate, OnExisting, Proxy,
    RateLimit, RateLimitStore, RetryPolicy, Secret, Sent, Settings, Timeouts, WaitOptions,
};

/// The examples of the crate's README, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
