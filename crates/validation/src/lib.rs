//! Pure validation rules for DeepMotion and MotionDynamic inputs.
//!
//! This crate has no HTTP or async dependencies so any tool can reuse it.
//! Every rule returns a [`Violation`] naming the field, the [`Rule`], the
//! offending value and the limit; validators collect every violation into
//! [`Violations`] instead of stopping at the first.

pub mod error;

pub use error::{Rule, Violation, Violations};
