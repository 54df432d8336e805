//! `motionkit._native.Sandbox`: the embedded emulator of both services,
//! on free loopback ports, for tests written in Python.

use motionkit_sandbox::{SandboxArgs, SandboxConfig};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

use crate::runtime::runtime;

/// A running sandbox; `shutdown()` stops it (it also stops with the
/// process).
#[pyclass(module = "motionkit._native")]
pub struct Sandbox {
    inner: Option<motionkit_sandbox::Sandbox>,
    pid: u32,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").finish_non_exhaustive()
    }
}

impl Sandbox {
    fn running(&self) -> PyResult<&motionkit_sandbox::Sandbox> {
        if self.pid != std::process::id() {
            return Err(PyRuntimeError::new_err(
                "this sandbox runs in the parent process; start a new motionkit.Sandbox() after fork()",
            ));
        }
        self.inner
            .as_ref()
            .ok_or_else(|| PyRuntimeError::new_err("the sandbox was shut down; start a new one"))
    }
}

#[pymethods]
impl Sandbox {
    /// Starts both emulators on 127.0.0.1, on free ports. `time_scale`
    /// makes jobs and renders that many times faster than real time.
    #[new]
    #[pyo3(signature = (time_scale=600.0))]
    fn new(py: Python<'_>, time_scale: f64) -> PyResult<Self> {
        if !(time_scale.is_finite() && time_scale > 0.0) {
            return Err(pyo3::exceptions::PyValueError::new_err(format!(
                "time_scale must be a number above 0 (got {time_scale}); 1 is real time"
            )));
        }
        let args = SandboxArgs::default()
            .deepmotion_port(0)
            .motiondynamic_port(0)
            .time_scale(time_scale);
        let config = SandboxConfig::from_args(args)
            .map_err(|e| PyRuntimeError::new_err(format!("sandbox settings: {e}")))?;
        let runtime = runtime()?;
        let sandbox = py
            .detach(|| runtime.block_on(motionkit_sandbox::Sandbox::start(config)))
            .map_err(|e| PyRuntimeError::new_err(format!("the sandbox did not start: {e}")))?;
        Ok(Sandbox {
            inner: Some(sandbox),
            pid: std::process::id(),
        })
    }

    /// DeepMotion's base URL.
    #[getter]
    fn deepmotion_url(&self) -> PyResult<String> {
        Ok(self.running()?.deepmotion_url())
    }

    /// MotionDynamic's base URL.
    #[getter]
    fn motiondynamic_url(&self) -> PyResult<String> {
        Ok(self.running()?.motiondynamic_url())
    }

    /// The DeepMotion client id the sandbox accepts.
    #[getter]
    fn client_id(&self) -> PyResult<String> {
        Ok(self.running()?.client_id().to_owned())
    }

    /// The DeepMotion client secret the sandbox accepts.
    #[getter]
    fn client_secret(&self) -> PyResult<String> {
        Ok(self.running()?.client_secret().to_owned())
    }

    /// A MotionDynamic token the sandbox accepts for a day.
    #[getter]
    fn motiondynamic_token(&self) -> PyResult<String> {
        Ok(self.running()?.token())
    }

    /// A PNG picture of `width` x `height` the sandbox serves.
    fn picture_url(&self, width: u32, height: u32) -> PyResult<String> {
        Ok(self.running()?.picture_url(width, height))
    }

    /// Stops both emulators; later calls fail with a clear error.
    fn shutdown(&mut self, py: Python<'_>) -> PyResult<()> {
        if self.pid != std::process::id() {
            // The parent's sandbox: not ours to stop, and its tasks are
            // not in this process.
            self.inner = None;
            return Ok(());
        }
        if let Some(sandbox) = self.inner.take() {
            let runtime = runtime()?;
            py.detach(|| runtime.block_on(sandbox.shutdown()));
        }
        Ok(())
    }
}
