//! Wire types and endpoint descriptors for DeepMotion Animate 3D and
//! MotionDynamic, generated from `specs/` by `cargo xtask codegen`.
//!
//! The types carry exact wire names, tolerate unknown fields in responses
//! and fall back to `Unknown(String)` for server-driven enums. Hand-written
//! extensions live beside the generated code in `*_ext.rs` modules.
//!
//! ```
//! use motionkit_models::deepmotion::{StatusResponse, JobStatus, endpoints};
//!
//! let body = r#"{"count":1,"status":[{"rid":"r1","status":"PROGRESS","details":{"step":1,"total":4}}]}"#;
//! let parsed: StatusResponse = motionkit_models::decode(body).unwrap();
//! assert_eq!(parsed.status[0].status, JobStatus::Progress);
//! assert_eq!(endpoints::STATUS.fill_path(&["r1,r2"]).unwrap(), "/status/r1,r2");
//! ```
//!
//! Each endpoint also has a generated request type (`deepmotion::requests`,
//! `motiondynamic::requests`) that implements [`Request`]: its path
//! parameters and required query parameters are the constructor's
//! arguments, optional ones are setters.
//!
//! ```
//! use motionkit_models::Request;
//! use motionkit_models::deepmotion::requests::{ListModels, Status};
//!
//! assert_eq!(Status::new("r1,r2").path().unwrap(), "/status/r1,r2");
//! let search = ListModels::new().search_token("hero");
//! assert_eq!(search.query(), vec![("searchToken", "hero".to_owned())]);
//! ```
//!
//! A missing path parameter does not compile:
//!
//! ```compile_fail
//! let status = motionkit_models::deepmotion::requests::Status::new();
//! ```
//!
//! nor does a misspelt one:
//!
//! ```compile_fail
//! let status = motionkit_models::deepmotion::requests::Status::new("r1");
//! let rid: &str = status.rid;
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod decode;
mod deepmotion_ext;
mod endpoint;
mod generated;
mod motiondynamic_ext;
mod nullable;
mod number;
mod process_params;

pub use decode::{DecodeError, EXCERPT_BYTES, decode, excerpt, reencode};
pub use deepmotion_ext::{FailureReason, documented_code};
pub use endpoint::{
    AuthKind, BodyEncoding, Endpoint, Method, PathError, QueryParam, Request, Service,
};
pub use generated::{deepmotion, motiondynamic};
pub use process_params::{ProcessParamKind, ProcessParameterSpec};

/// The examples of the crate's README, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
