//! MotionDynamic client against the sandbox.
