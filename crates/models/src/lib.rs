//! Wire types and endpoint descriptors for DeepMotion Animate 3D and
//! MotionDynamic, generated from `specs/` by `cargo xtask codegen`.
//!
//! The types carry exact wire names, tolerate unknown fields in responses
//! and fall back to `Unknown(String)` for server-driven enums. Hand-written
//! extensions live beside the generated code in `*_ext.rs` modules.

pub mod endpoint;

pub use endpoint::{AuthKind, BodyEncoding, Endpoint, Method, PathError, QueryParam, Service};
