"""motionkit: DeepMotion Animate 3D and MotionDynamic from Python.

- :mod:`motionkit.deepmotion`: upload a video, get a 3D animation back.
- :mod:`motionkit.motiondynamic`: fill a theme's values, get a rendered MP4.
- :mod:`motionkit.validation`: the checks, with no network.
- :mod:`motionkit.errors`: the exceptions.
- :class:`motionkit.Sandbox`: both services emulated locally, for tests.
- :mod:`motionkit.compat.animate3d`: a drop-in for DeepMotion's official SDK.

Every call runs in motionkit's Rust engine, the same one as the
``motionkit`` command line.
"""

from motionkit import deepmotion, errors, motiondynamic, validation
from motionkit._native import __version__
from motionkit.errors import MotionkitError
from motionkit.sandbox import Sandbox

__all__ = [
    "deepmotion",
    "motiondynamic",
    "validation",
    "errors",
    "MotionkitError",
    "Sandbox",
    "__version__",
]
