//! The shape of the `/process` parameter table, which the validation crate
//! generates from `specs/deepmotion.json` and owns.

pub use motionkit_validation::{ProcessParamKind, ProcessParameterSpec};
