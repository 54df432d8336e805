//! The native module of the motionkit Python package (`motionkit._native`).
//!
//! It exists so that Python programs get the Rust engine itself: the
//! clients, their validation, transfers, waits and state, and the
//! sandbox. It adds no HTTP, validation or state logic of its own: each
//! operation is one call of a Rust client, with JSON in and out, run on a
//! per-process tokio runtime with the GIL released. The Python files in
//! `python/motionkit/` shape those answers into classes and exceptions.

#![allow(
    clippy::result_large_err,
    reason = "a Failure is built once per failed call and crosses into Python as JSON at once"
)]

mod args;
mod deepmotion;
mod failure;
mod motiondynamic;
mod runtime;
mod sandbox;
mod validation;

use pyo3::prelude::*;

/// `motionkit._native`.
#[pymodule(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<deepmotion::DeepMotion>()?;
    m.add_class::<motiondynamic::MotionDynamic>()?;
    m.add_class::<sandbox::Sandbox>()?;
    m.add_class::<runtime::Task>()?;
    m.add_class::<runtime::Waker>()?;
    m.add("NativeError", m.py().get_type::<failure::NativeError>())?;
    m.add_function(wrap_pyfunction!(validation::check_params, m)?)?;
    m.add_function(wrap_pyfunction!(validation::check_values, m)?)?;
    m.add_function(wrap_pyfunction!(deepmotion::error_codes, m)?)?;
    m.add_function(wrap_pyfunction!(deepmotion::verify_webhook, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
